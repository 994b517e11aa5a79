-- drop: drop view if exists analytics.quest_completion;
-- Per quest and period: how many users it was assigned to, how many completed it, the rate,
-- and the median time from the period's start to completion (zero assigned: no row). Reads
-- engage.quest_progress (one row per user and period, an array element per quest) directly.
create or replace view analytics.quest_completion as
select q.key as quest, q.name, q.period, q.mode, q.kind, q.active, s.period_key,
       min(s.starts_at) as period_starts_at,
       count(*) as assigned,
       count(e.completed_at) as completed,
       round(count(e.completed_at)::numeric / count(*), 4) as completion_rate,
       percentile_cont(0.5) within group (order by extract(epoch from e.completed_at - s.starts_at))
           filter (where e.completed_at is not null) as median_seconds_to_complete,
       sum(case when e.completed_at is not null then e.reward_xp else 0 end) as xp_paid,
       sum(case when e.completed_at is not null then e.reward_coins else 0 end) as coins_paid
from engage.quest_progress s
cross join lateral unnest(s.quest_ids, s.completed_at, s.reward_xp, s.reward_coins)
     as e(quest_id, completed_at, reward_xp, reward_coins)
join engage.quests q on q.id = e.quest_id
group by q.id, s.period_key;
comment on view analytics.quest_completion is 'Quest assignments and completions per quest and period (engagement, docs/engagement.md).';
