-- drop: drop function if exists seasons.resolve(text);
-- 'current' or a season id ('2026-11') to its row; XP404 for an unknown season. Read-only, so
-- the board reads are stable: seasons.roll stores every month ahead of time (and after every
-- upgrade), and until it has stored the current one (a fresh database, or the first minutes of
-- a month) 'current' answers the row it will store (xp.season_of).
create or replace function seasons.resolve(p_id text)
returns xp.seasons
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v xp.seasons;
begin
    if p_id = 'current' then
        select * into v from xp.seasons where id = to_char(now() at time zone 'UTC', 'YYYY-MM');
        if not found then
            return xp.season_of(now());
        end if;
        return v;
    end if;
    select * into v from xp.seasons where id = p_id;
    if not found then
        raise exception 'no season %', p_id using errcode = 'XP404', detail = 'seasons.unknown_season';
    end if;
    return v;
end;
$$;
