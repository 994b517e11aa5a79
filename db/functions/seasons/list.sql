-- drop: drop function if exists seasons.list();
-- Every season, newest first, the current one included even before seasons.roll stores it.
create or replace function seasons.list()
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_current xp.seasons := seasons.resolve('current');
begin
    return (select coalesce(jsonb_agg(seasons.season_json(l.s) order by (l.s).id desc), '[]')
              from (select s from xp.seasons s where s.id <> v_current.id union all select v_current) l (s));
end;
$$;
