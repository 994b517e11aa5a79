-- drop: drop function if exists engage.quest_reward(uuid, bigint, text, text, timestamptz, bigint);
-- Pays a quest the hook just completed (its assignment row went from open to completed, which
-- happens once: the row is unique per user, quest and period key). reward_xp is an award of
-- source `quest` (xp.award_fixed, so xp.book, in the same transaction: the caller holds the
-- totals lock), in the quest's mode or else the completing event's (every counted event has
-- one), at the event's time, with idempotency key quest:<user>:<quest key>:<period key>; reward_coins is a credit (source bonus, the same
-- key); the notification is outbox kind quest_completed (dedupe quest:<key>:<period key>).
-- The keys make a payment once even if the row were ever completed again.
create or replace function engage.quest_reward(
    p_user_id uuid, p_quest_id bigint, p_period_key text, p_mode text, p_at timestamptz, p_event_id bigint
)
returns void
language plpgsql
volatile
as $$
declare
    a engage.quest_assignments;
    q engage.quests;
    v_key text;
    v_paid jsonb;
begin
    select * into a from engage.quest_assignments x
     where x.user_id = p_user_id and x.quest_id = p_quest_id and x.period_key = p_period_key;
    select * into q from engage.quests x where x.id = p_quest_id;
    v_key := format('quest:%s:%s:%s', p_user_id, q.key, p_period_key);
    if a.reward_xp > 0 and coalesce(a.mode, p_mode) is not null then
        v_paid := xp.award_fixed(p_user_id, coalesce(a.mode, p_mode), a.reward_xp, 'quest', v_key, p_at,
                                 jsonb_build_object('quest', q.key, 'period_key', p_period_key, 'event_id', p_event_id));
        update engage.quest_assignments x set reward_event_id = (v_paid ->> 'event_id')::bigint
         where x.user_id = p_user_id and x.quest_id = p_quest_id and x.period_key = p_period_key;
    end if;
    if a.reward_coins > 0 then
        perform store.credit_coins(p_user_id, a.reward_coins, 'bonus', v_key,
                                   jsonb_build_object('quest', q.key, 'period_key', p_period_key));
    end if;
    perform notify.enqueue(p_user_id, 'quest_completed', format('Quest complete: %s', q.name),
        coalesce(nullif(q.description, ''), q.name),
        jsonb_build_object('quest', q.key, 'period', a.period, 'period_key', p_period_key, 'icon', q.icon,
                           'reward_xp', a.reward_xp, 'reward_coins', a.reward_coins),
        format('quest:%s:%s', q.key, p_period_key));
end;
$$;
