-- drop: drop function if exists xp.book_reward(uuid, text, timestamptz, jsonb, text, integer, text);
-- A reward paid inside an award's own booking (engage.quest_reward, called from xp.book's quest
-- hook under the user's totals lock): its own ledger row (source `quest`) and idempotency row
-- only, so the reward stays one row of history with its own key. The calling xp.book adds the
-- XP to the totals, the season score and the achievement probe once, with its own XP (a second
-- whole xp.book per completed quest cost about what the award itself costs; bench/README.md).
-- Returns the XP booked: 0 when the key was used already (the reward is paid once, whatever
-- happens to the quest row).
create or replace function xp.book_reward(
    p_user_id uuid, p_key text, p_at timestamptz, p_metadata jsonb, p_mode text, p_xp integer, p_season_id text
)
returns integer
language plpgsql
volatile
as $$
declare
    v_event_id bigint;
begin
    perform from xp.idempotency where source = 'quest' and idempotency_key = p_key;
    if found then
        return 0;
    end if;
    insert into xp.ledger (user_id, source, mode, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, 'quest', p_mode, p_xp, p_key, p_at, coalesce(p_metadata, '{}'::jsonb), p_season_id)
    returning id into v_event_id;
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
    values ('quest', p_key, p_user_id, v_event_id,
            jsonb_build_object('event_id', v_event_id, 'user_id', p_user_id, 'xp_awarded', p_xp, 'mode', p_mode,
                               'season_id', p_season_id, 'replayed', false));
    return p_xp;
end;
$$;
