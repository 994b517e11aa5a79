-- drop: drop function if exists engage.advance(uuid, engage.achievements, numeric, text, bigint);
-- Moves one user's progress on one achievement and unlocks every tier it now reaches, in the
-- caller's transaction. p_how: 'add' (counters: events, units, purchases), 'set' (absolute
-- values: XP, level, layer, challenge counts) or 'min' (season_rank: the best rank, where a
-- tier is reached at or below its threshold). Each unlock is one row of engage.unlocks, unique
-- per (user, achievement, tier): only the insert that wrote it notifies (outbox kind
-- 'achievement_unlocked') and credits reward_coins (source 'bonus', key per user, achievement
-- and tier), so an unlock happens once however many transactions race for it.
create or replace function engage.advance(
    p_user_id uuid, p_achievement engage.achievements, p_value numeric, p_how text, p_event_id bigint default null
)
returns void
language plpgsql
volatile
as $$
declare
    v_progress engage.progress;
    v_tier record;
    v_name text;
    v_top smallint;
begin
    insert into engage.progress as p (user_id, achievement_id, value)
    values (p_user_id, p_achievement.id, p_value)
    on conflict (user_id, achievement_id) do update set
        value = case p_how when 'add' then p.value + excluded.value
                           when 'min' then least(p.value, excluded.value)
                           else excluded.value end,
        updated_at = now()
    returning * into v_progress;

    v_top := v_progress.tier;
    for v_tier in
        insert into engage.unlocks (user_id, achievement_id, tier, event_id)
        select p_user_id, p_achievement.id, t.tier, p_event_id
          from engage.tiers t
         where t.achievement_id = p_achievement.id and t.tier > v_progress.tier
           and case when p_achievement.kind = 'season_rank' then v_progress.value <= t.threshold else v_progress.value >= t.threshold end
        on conflict do nothing
        returning tier
    loop
        select t.name into v_name from engage.tiers t where t.achievement_id = p_achievement.id and t.tier = v_tier.tier;
        v_top := greatest(v_top, v_tier.tier);
        perform notify.enqueue(p_user_id, 'achievement_unlocked',
            format('Achievement unlocked: %s (%s)', p_achievement.name, v_name),
            coalesce(nullif(p_achievement.description, ''), p_achievement.name),
            jsonb_build_object('achievement', p_achievement.key, 'tier', v_tier.tier, 'tier_name', v_name,
                               'icon', p_achievement.icon, 'reward_coins', p_achievement.reward_coins),
            format('achievement:%s:%s', p_achievement.key, v_tier.tier));
        if p_achievement.reward_coins > 0 then
            perform store.credit_coins(p_user_id, p_achievement.reward_coins, 'bonus',
                format('achievement:%s:%s:%s', p_user_id, p_achievement.key, v_tier.tier),
                jsonb_build_object('achievement', p_achievement.key, 'tier', v_tier.tier));
        end if;
    end loop;
    if v_top > v_progress.tier then
        update engage.progress set tier = v_top
         where user_id = p_user_id and achievement_id = p_achievement.id and tier < v_top;
    end if;
end;
$$;
