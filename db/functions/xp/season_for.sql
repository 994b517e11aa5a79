-- drop: drop function if exists xp.season_for(timestamptz);
-- The season (calendar month in UTC) of a moment, created on demand. Its status follows the
-- clock: upcoming, active, or closed once the month is over (the close job freezes standings).
create or replace function xp.season_for(p_at timestamptz)
returns xp.seasons
language plpgsql
volatile
as $$
declare
    v_start timestamptz := date_trunc('month', p_at at time zone 'UTC') at time zone 'UTC';
    v_season xp.seasons;
begin
    select * into v_season from xp.seasons where id = to_char(v_start at time zone 'UTC', 'YYYY-MM');
    if found then
        return v_season;
    end if;
    insert into xp.seasons (id, starts_at, ends_at, status)
    values (to_char(v_start at time zone 'UTC', 'YYYY-MM'), v_start, v_start + interval '1 month',
            case when now() < v_start then 'upcoming' when now() < v_start + interval '1 month' then 'active' else 'closed' end)
    on conflict (id) do nothing;
    select * into v_season from xp.seasons where id = to_char(v_start at time zone 'UTC', 'YYYY-MM');
    return v_season;
end;
$$;
