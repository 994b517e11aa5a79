-- drop: drop function if exists engage.quest_reward(uuid, bigint, text, text, text, integer, integer, text, timestamptz, bigint, text);
-- Pays a quest the hook just completed (its element of the user's engage.quest_progress row went
-- from open to completed, which happens once: the row is unique per user and period key, the
-- element per quest). The hook's update returns the quest's period, mode and reward, passed
-- here (no second read of the row). reward_xp
-- is a ledger row of source `quest` booked inside the completing award's own booking
-- (xp.book_reward; returned to xp.book, which adds it to the totals, the season score and the
-- achievement probe with the award's own XP), in the quest's mode or else the completing
-- event's (the same: a quest with a mode moves only on its mode's events), at the event's time
-- and in its season, with idempotency key quest:<user>:<quest key>:<period key>; reward_coins
-- is a credit (source bonus, the same key);
-- the notification is outbox kind quest_completed (dedupe quest:<key>:<period key>). The keys
-- make a payment once even if the row were ever completed again. The paying ledger row is found
-- by that key (engage.quest_assignments.reward_event_id), so nothing is written back.
create or replace function engage.quest_reward(
    p_user_id uuid, p_quest_id bigint, p_period text, p_period_key text, p_quest_mode text, p_reward_xp integer,
    p_reward_coins integer, p_mode text, p_at timestamptz, p_event_id bigint, p_season_id text
)
returns integer
language plpgsql
volatile
as $$
declare
    q engage.quests;
    v_key text;
    v_mode text := coalesce(p_quest_mode, p_mode);
    v_xp integer := 0;
begin
    select * into q from engage.quests x where x.id = p_quest_id;
    v_key := format('quest:%s:%s:%s', p_user_id, q.key, p_period_key);
    if p_reward_xp > 0 and v_mode is not null then
        -- xp.award_fixed's checks hold by construction (a mode, 0 < reward_xp <= 1,000,000).
        v_xp := xp.book_reward(p_user_id, v_key, p_at,
                               jsonb_build_object('quest', q.key, 'period_key', p_period_key, 'event_id', p_event_id),
                               v_mode, p_reward_xp, p_season_id);
    end if;
    if p_reward_coins > 0 then
        perform store.credit_coins(p_user_id, p_reward_coins, 'bonus', v_key,
                                   jsonb_build_object('quest', q.key, 'period_key', p_period_key));
    end if;
    perform notify.enqueue(p_user_id, 'quest_completed', format('Quest complete: %s', q.name),
        coalesce(nullif(q.description, ''), q.name),
        jsonb_build_object('quest', q.key, 'period', p_period, 'period_key', p_period_key, 'icon', q.icon,
                           'reward_xp', p_reward_xp, 'reward_coins', p_reward_coins),
        format('quest:%s:%s', q.key, p_period_key));
    return v_xp;
end;
$$;
