-- drop: drop view if exists analytics.quest_completion;
-- Per quest and period: how many users it was assigned to, how many completed it, the rate,
-- and the median time from the period's start to completion (zero assigned: no row).
create or replace view analytics.quest_completion as
select q.key as quest, q.name, q.period, q.mode, q.kind, q.active, a.period_key,
       min(a.starts_at) as period_starts_at,
       count(*) as assigned,
       count(a.completed_at) as completed,
       round(count(a.completed_at)::numeric / count(*), 4) as completion_rate,
       percentile_cont(0.5) within group (order by extract(epoch from a.completed_at - a.starts_at))
           filter (where a.completed_at is not null) as median_seconds_to_complete,
       sum(case when a.completed_at is not null then a.reward_xp else 0 end) as xp_paid,
       sum(case when a.completed_at is not null then a.reward_coins else 0 end) as coins_paid
from engage.quests q
join engage.quest_assignments a on a.quest_id = q.id
group by q.id, a.period_key;
comment on view analytics.quest_completion is 'Quest assignments and completions per quest and period (engagement, docs/engagement.md).';
