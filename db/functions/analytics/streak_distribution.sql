-- drop: drop view if exists analytics.streak_distribution;
-- Streaks per mode and length band: how many users' current run (as the close job leaves it:
-- missed days spend freezes or end the run, engage.streak_json) and longest run fall in it.
-- Band 0 holds the users who started a streak once and have no live run now.
create or replace view analytics.streak_distribution as
with live as (
    select s.mode, s.longest,
           case when x.alive then s.current else 0 end as current,
           case when x.alive then s.freezes - m.missed else 0 end as freezes
    from engage.streaks s
    cross join lateral (select greatest((now() at time zone s.tz)::date - 1 - s.last_day, 0) as missed) m
    cross join lateral (select s.current > 0 and m.missed <= s.freezes as alive) x
), bands(band, min_days, max_days) as (
    values ('0', 0, 0), ('1', 1, 1), ('2', 2, 2), ('3-6', 3, 6), ('7-13', 7, 13), ('14-29', 14, 29),
           ('30-99', 30, 99), ('100-364', 100, 364), ('365+', 365, null)
)
select m.mode, b.band, b.min_days, b.max_days,
       count(*) filter (where l.current >= b.min_days and (b.max_days is null or l.current <= b.max_days)) as current_users,
       count(*) filter (where l.longest >= b.min_days and (b.max_days is null or l.longest <= b.max_days)) as longest_users,
       count(*) filter (where l.current >= b.min_days and (b.max_days is null or l.current <= b.max_days)
                        and l.freezes > 0) as with_freezes
from (values ('reality'), ('cyber')) m(mode)
cross join bands b
left join live l on l.mode = m.mode
group by m.mode, b.band, b.min_days, b.max_days;
comment on view analytics.streak_distribution is 'Users per mode and streak length band, current and longest runs (engagement, docs/engagement.md).';
