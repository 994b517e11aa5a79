-- drop: drop view if exists analytics.level_distribution;
-- How many users stand at each overall level.
create or replace view analytics.level_distribution as
select t.level, count(*) as users
from xp.totals t
group by t.level;
comment on view analytics.level_distribution is 'Users per overall level (users who ever received XP).';
