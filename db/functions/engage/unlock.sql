-- drop: drop function if exists engage.unlock(uuid, engage.achievements, smallint, bigint, text);
-- Unlocks one tier of one achievement for a user, in the caller's transaction. The row of
-- engage.unlocks is unique per (user, achievement, tier): only the insert that wrote it
-- notifies (outbox kind 'achievement_unlocked', dedupe key achievement:<key>:<tier>) and
-- credits reward_coins (source 'bonus', key per user, achievement and tier), so an unlock
-- happens once however many transactions race for it. True when this call unlocked it.
create or replace function engage.unlock(
    p_user_id uuid, p_achievement engage.achievements, p_tier smallint, p_event_id bigint default null,
    p_tier_name text default null
)
returns boolean
language plpgsql
volatile
as $$
declare
    v_name text := p_tier_name;
begin
    insert into engage.unlocks (user_id, achievement_id, tier, event_id)
    values (p_user_id, p_achievement.id, p_tier, p_event_id)
    on conflict do nothing;
    if not found then
        return false;
    end if;
    if v_name is null then  -- the award hook passes it (its probe read the tier)
        select t.name into v_name from engage.tiers t where t.achievement_id = p_achievement.id and t.tier = p_tier;
    end if;
    perform notify.enqueue(p_user_id, 'achievement_unlocked',
        format('Achievement unlocked: %s (%s)', p_achievement.name, v_name),
        coalesce(nullif(p_achievement.description, ''), p_achievement.name),
        jsonb_build_object('achievement', p_achievement.key, 'tier', p_tier, 'tier_name', v_name,
                           'icon', p_achievement.icon, 'reward_coins', p_achievement.reward_coins),
        format('achievement:%s:%s', p_achievement.key, p_tier));
    if p_achievement.reward_coins > 0 then
        perform store.credit_coins(p_user_id, p_achievement.reward_coins, 'bonus',
            format('achievement:%s:%s:%s', p_user_id, p_achievement.key, p_tier),
            jsonb_build_object('achievement', p_achievement.key, 'tier', p_tier));
    end if;
    return true;
end;
$$;
