-- drop: drop function if exists engage.streak_close_due(timestamptz);
-- The close job's list (worker only): for every time zone that has live streaks, the local day
-- that ended last (yesterday there, at p_now). Each gets its row in engage.streak_closes (once:
-- the primary key), and those not closed yet are returned, the ones in progress too, so a run
-- that stopped is resumed. The time zones are found by a loose index scan of streaks_to_close
-- (one probe per zone, not a read of every streak).
create or replace function engage.streak_close_due(p_now timestamptz default now())
returns table (tz text, day date)
language plpgsql
volatile
as $$
begin
    insert into engage.streak_closes (tz, day)
    with recursive zones(tz) as (
        (select s.tz from engage.streaks s where s.current > 0 order by s.tz limit 1)
        union all
        select (select s.tz from engage.streaks s where s.current > 0 and s.tz > z.tz order by s.tz limit 1)
          from zones z where z.tz is not null
    )
    select z.tz, (p_now at time zone z.tz)::date - 1 from zones z where z.tz is not null
    on conflict do nothing;
    return query
        select c.tz, c.day from engage.streak_closes c
         where c.closed_at is null and c.day < (p_now at time zone c.tz)::date
         order by c.day, c.tz;
end;
$$;
