-- drop: drop view if exists analytics.daily_xp;
-- XP per UTC day, activity, mode and source.
create or replace view analytics.daily_xp as
select (l.occurred_at at time zone 'UTC')::date as day,
       l.activity_key as activity,
       l.mode,
       l.source,
       count(*) as events,
       count(distinct l.user_id) as users,
       sum(l.xp) as xp,
       sum(l.units) as units
from xp.ledger l
group by 1, 2, 3, 4;
comment on view analytics.daily_xp is 'XP events per UTC day, activity, mode and source (adjustments included as source adjustment).';
