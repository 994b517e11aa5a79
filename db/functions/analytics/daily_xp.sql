-- drop: drop materialized view if exists analytics.daily_xp;
-- XP per UTC day, activity, mode and source: a materialized view (it aggregates the whole
-- ledger), refreshed concurrently by the analytics refresh job (src/analytics/jobs.py, every
-- 5 minutes by default); `refreshed_at` says when. Readers never wait for a refresh. A change
-- to this file drops and rebuilds it with data during the upgrade (docs/analytics.md).
drop materialized view if exists analytics.daily_xp;
create materialized view analytics.daily_xp as
select (l.occurred_at at time zone 'UTC')::date as day,
       l.activity_key as activity,
       l.mode,
       l.source,
       count(*) as events,
       count(distinct l.user_id) as users,
       sum(l.xp) as xp,
       sum(l.units) as units,
       now() as refreshed_at
from xp.ledger l
group by 1, 2, 3, 4;
-- the key `refresh materialized view concurrently` merges on (activity and mode may be null)
create unique index daily_xp_key on analytics.daily_xp (day, activity, mode, source) nulls not distinct;
comment on materialized view analytics.daily_xp is 'XP events per UTC day, activity, mode and source (adjustments included as source adjustment); refreshed every few minutes, as of refreshed_at.';
