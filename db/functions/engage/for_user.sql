-- drop: drop function if exists engage.for_user(uuid);
-- GET /users/me/achievements: `unlocked` (at least one tier, newest first) and `in_progress`
-- (none yet), each with its tiers and the percent toward the next tier (100 when all are
-- unlocked). Hidden achievements appear only once unlocked; retired (inactive) ones only if
-- unlocked.
create or replace function engage.for_user(p_user_id uuid)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    with items as (
        select a.id, coalesce(p.tier, 0) as tier, (select min(u.unlocked_at) from engage.unlocks u
                                                 where u.user_id = p_user_id and u.achievement_id = a.id) as unlocked_at,
               jsonb_build_object(
                   'key', a.key, 'name', a.name, 'description', a.description, 'icon', a.icon, 'mode', a.mode,
                   'hidden', a.hidden, 'reward_coins', a.reward_coins, 'kind', a.kind,
                   'value', coalesce(p.value, 0), 'tier', coalesce(p.tier, 0),
                   'next_threshold', n.threshold,
                   'percent', case when n.threshold is null then 100
                                   else least(99, greatest(0, floor(100 * coalesce(p.value, 0) / n.threshold)))::int end,
                   'tiers', (select jsonb_agg(jsonb_build_object('tier', t.tier, 'name', t.name, 'threshold', t.threshold,
                                                                 'unlocked_at', u.unlocked_at) order by t.tier)
                               from engage.tiers t
                               left join engage.unlocks u on u.user_id = p_user_id and u.achievement_id = t.achievement_id
                                                        and u.tier = t.tier
                              where t.achievement_id = a.id)) as item
          from engage.achievements a
          left join engage.progress p on p.user_id = p_user_id and p.achievement_id = a.id
          left join lateral (select t.threshold from engage.tiers t
                              where t.achievement_id = a.id and t.tier > coalesce(p.tier, 0)
                              order by t.tier limit 1) n on true
         where exists (select from engage.tiers t where t.achievement_id = a.id)
           and (coalesce(p.tier, 0) > 0 or (a.active and not a.hidden))
    )
    select jsonb_build_object(
        'unlocked', coalesce((select jsonb_agg(i.item || jsonb_build_object('unlocked_at', i.unlocked_at)
                                               order by i.unlocked_at desc, i.id)
                                from items i where i.tier > 0), '[]'::jsonb),
        'in_progress', coalesce((select jsonb_agg(i.item || jsonb_build_object('unlocked_at', null)
                                                  order by (i.item ->> 'percent')::int desc, i.id)
                                   from items i where i.tier = 0), '[]'::jsonb));
$$;
