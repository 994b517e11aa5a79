-- drop: drop function if exists engage.quest_json(engage.quests);
-- A quest's definition as operators edit it (QuestDefinition in src/engagement/answers.py).
create or replace function engage.quest_json(q engage.quests)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'key', q.key, 'name', q.name, 'description', q.description, 'icon', q.icon, 'period', q.period,
        'mode', q.mode, 'goal', jsonb_build_object('kind', q.kind, 'params', q.params, 'target', q.target),
        'reward_xp', q.reward_xp, 'reward_coins', q.reward_coins, 'weight', q.weight, 'active', q.active,
        'created_at', q.created_at, 'updated_at', q.updated_at);
$$;
