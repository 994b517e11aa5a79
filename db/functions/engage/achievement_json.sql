-- drop: drop function if exists engage.achievement_json(engage.achievements);
-- An achievement's definition as operators edit it (Achievement in src/engagement/answers.py).
create or replace function engage.achievement_json(a engage.achievements)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'key', a.key, 'name', a.name, 'description', a.description, 'icon', a.icon, 'mode', a.mode,
        'hidden', a.hidden, 'reward_coins', a.reward_coins, 'active', a.active,
        'rule', jsonb_build_object('kind', a.kind, 'params', a.params),
        'tiers', coalesce((select jsonb_agg(jsonb_build_object('tier', t.tier, 'name', t.name, 'threshold', t.threshold)
                                            order by t.tier)
                             from engage.tiers t where t.achievement_id = a.id), '[]'::jsonb),
        'created_at', a.created_at, 'updated_at', a.updated_at);
$$;
