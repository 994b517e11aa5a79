-- drop: drop materialized view if exists analytics.level_distribution;
-- How many users stand at each overall level: a materialized view (it counts every user's
-- totals), refreshed concurrently by the analytics refresh job; `refreshed_at` says when.
-- A change to this file drops and rebuilds it with data during the upgrade.
drop materialized view if exists analytics.level_distribution;
create materialized view analytics.level_distribution as
select t.level, count(*) as users, now() as refreshed_at
from xp.totals t
group by t.level;
create unique index level_distribution_key on analytics.level_distribution (level);
comment on materialized view analytics.level_distribution is 'Users per overall level (users who ever received XP); refreshed every few minutes, as of refreshed_at.';
