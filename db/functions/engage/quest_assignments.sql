-- drop: drop view if exists engage.quest_assignments;
-- One row per assigned quest (user, quest, period key), from the per-period rows of
-- engage.quest_progress (one array element per quest): what readers and analytics see.
-- reward_event_id is the ledger row that paid the quest's XP, found by its idempotency key
-- (quest:<user>:<quest key>:<period key>, engage.quest_reward); null when none was paid.
create or replace view engage.quest_assignments as
select s.user_id, e.quest_id, s.period, s.period_key, s.starts_at, s.expires_at,
       e.kind, e.mode, e.activity_key, e.target, e.reward_xp, e.reward_coins, e.value,
       s.assigned_at, e.completed_at, e.event_id,
       (select i.event_id from xp.idempotency i
         where i.source = 'quest' and e.completed_at is not null
           and i.idempotency_key = 'quest:' || s.user_id || ':' || q.key || ':' || s.period_key) as reward_event_id
  from engage.quest_progress s
 cross join lateral unnest(s.quest_ids, s.kinds, s.modes, s.activity_keys, s.targets, s.reward_xp,
                           s.reward_coins, s.progress, s.completed_at, s.event_ids)
       as e(quest_id, kind, mode, activity_key, target, reward_xp, reward_coins, value, completed_at, event_id)
  join engage.quests q on q.id = e.quest_id;
comment on view engage.quest_assignments is
    'one row per user, quest and period (engage.quest_progress holds them as arrays per user and period)';
