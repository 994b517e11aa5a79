-- drop: drop function if exists engage.for_user(uuid);
-- GET /users/me/achievements: `unlocked` (at least one tier, newest first) and `in_progress`
-- (none yet), each with its tiers and the percent toward the next tier (100 when all are
-- unlocked). The value is engage.current_value (totals, the activity's counter, or the progress
-- row of the other kinds); the tier is the highest one unlocked. Hidden achievements appear only
-- once unlocked; retired (inactive) ones only if unlocked.
create or replace function engage.for_user(p_user_id uuid)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    with got as (
        select a, coalesce(u.top, 0) as tier, u.first_at as unlocked_at
          from engage.achievements a
          left join lateral (select max(x.tier) as top, min(x.unlocked_at) as first_at from engage.unlocks x
                              where x.user_id = p_user_id and x.achievement_id = a.id) u on true
         where exists (select from engage.tiers t where t.achievement_id = a.id)
           and (u.top is not null or (a.active and not a.hidden))
    ),
    items as (
        select (g.a).id as id, g.tier, g.unlocked_at,
               jsonb_build_object(
                   'key', (g.a).key, 'name', (g.a).name, 'description', (g.a).description, 'icon', (g.a).icon,
                   'mode', (g.a).mode, 'hidden', (g.a).hidden, 'reward_coins', (g.a).reward_coins, 'kind', (g.a).kind,
                   'value', v.value, 'tier', g.tier,
                   'next_threshold', n.threshold,
                   'percent', case when n.threshold is null then 100
                                   else least(99, greatest(0, floor(100 * v.value / n.threshold)))::int end,
                   'tiers', (select jsonb_agg(jsonb_build_object('tier', t.tier, 'name', t.name, 'threshold', t.threshold,
                                                                 'unlocked_at', u.unlocked_at) order by t.tier)
                               from engage.tiers t
                               left join engage.unlocks u on u.user_id = p_user_id and u.achievement_id = t.achievement_id
                                                        and u.tier = t.tier
                              where t.achievement_id = (g.a).id)) as item
          from got g
          cross join lateral (select engage.current_value(p_user_id, g.a) as value) v
          left join lateral (select t.threshold from engage.tiers t
                              where t.achievement_id = (g.a).id and t.tier > g.tier
                              order by t.tier limit 1) n on true
    )
    select jsonb_build_object(
        'unlocked', coalesce((select jsonb_agg(i.item || jsonb_build_object('unlocked_at', i.unlocked_at)
                                               order by i.unlocked_at desc, i.id)
                                from items i where i.tier > 0), '[]'::jsonb),
        'in_progress', coalesce((select jsonb_agg(i.item || jsonb_build_object('unlocked_at', null)
                                                  order by (i.item ->> 'percent')::int desc, i.id)
                                   from items i where i.tier = 0), '[]'::jsonb));
$$;
