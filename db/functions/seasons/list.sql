-- drop: drop function if exists seasons.list();
-- Every season, newest first (the current one is created on demand).
create or replace function seasons.list()
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform xp.season_for(now());
    return (select coalesce(jsonb_agg(seasons.season_json(s) order by s.id desc), '[]') from xp.seasons s);
end;
$$;
