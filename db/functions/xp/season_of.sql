-- drop: drop function if exists xp.season_of(timestamptz);
-- The season (calendar month in UTC) of a moment as it is stored, without storing it: its id,
-- bounds and a status that follows the clock (upcoming, active, or closed once the month is
-- over; the close job freezes standings). xp.season_for stores it; reads show it as it is.
create or replace function xp.season_of(p_at timestamptz)
returns xp.seasons
language sql
stable
as $$
    select to_char(m.starts_at at time zone 'UTC', 'YYYY-MM'), m.starts_at, m.starts_at + interval '1 month',
           case when now() < m.starts_at then 'upcoming'
                when now() < m.starts_at + interval '1 month' then 'active' else 'closed' end,
           null::timestamptz
    from (select date_trunc('month', p_at at time zone 'UTC') at time zone 'UTC' as starts_at) m;
$$;
