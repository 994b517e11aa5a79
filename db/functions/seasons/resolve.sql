-- drop: drop function if exists seasons.resolve(text);
-- 'current' or a season id ('2026-11') to its row; XP404 for an unknown season.
create or replace function seasons.resolve(p_id text)
returns xp.seasons
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v xp.seasons;
begin
    if p_id = 'current' then
        return xp.season_for(now());
    end if;
    select * into v from xp.seasons where id = p_id;
    if not found then
        raise exception 'no season %', p_id using errcode = 'XP404', detail = 'seasons.unknown_season';
    end if;
    return v;
end;
$$;
