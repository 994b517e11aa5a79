-- drop: drop function if exists notify.enqueue(uuid, text, text, text, jsonb, text);
-- Writes one notification to the outbox, in the caller's transaction, so it exists exactly
-- when the event that caused it commits. A repeated (user, kind, dedupe_key) is a no-op
-- returning null: replays of the same event never notify twice. pg_notify is delivered on
-- commit only, which wakes the delivery worker without polling; its payload
-- `<outbox id>:<user id>` lets each API process's live hub (src/live/hub.py) skip users with
-- no open stream without a query.
create or replace function notify.enqueue(
    p_user_id uuid,
    p_kind text,
    p_title text,
    p_body text,
    p_data jsonb default '{}'::jsonb,
    p_dedupe_key text default null
)
returns bigint
language plpgsql
volatile
as $$
declare
    v_id bigint;
begin
    -- one statement: the wake-up is sent from the insert's own returning (only for a new row)
    insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
    values (p_user_id, p_kind, p_title, p_body, coalesce(p_data, '{}'::jsonb), p_dedupe_key)
    on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing
    returning id, pg_notify('xpcore_outbox', id::text || ':' || p_user_id::text) into v_id;
    return v_id;
end;
$$;
