-- drop: drop function if exists xp.season_for(timestamptz);
-- The season (calendar month in UTC) of a moment, stored if it is not yet (xp.season_of). Only
-- write paths call it: the roll job (seasons.roll) for this month and the next, and an award
-- (xp.book) whose month the roll job has not stored yet. Reads use seasons.resolve.
create or replace function xp.season_for(p_at timestamptz)
returns xp.seasons
language plpgsql
volatile
as $$
declare
    v_id text := to_char(p_at at time zone 'UTC', 'YYYY-MM');
    v_season xp.seasons;
begin
    select * into v_season from xp.seasons where id = v_id;
    if found then
        return v_season;
    end if;
    insert into xp.seasons select * from xp.season_of(p_at) on conflict (id) do nothing;
    select * into v_season from xp.seasons where id = v_id;
    return v_season;
end;
$$;
