-- drop: drop function if exists notify.record_deliveries(jsonb);
-- Records what FCM answered for a chunk of claimed deliveries, as soon as it answered:
--   sent  -> done (never sent again);
--   retry -> back to pending with exponential backoff (2^attempts s, at most an hour);
--            after 8 attempts it is given up as failed;
--   dead  -> the token is unregistered or invalid: the delivery is dropped and the device
--            forgotten.
-- p_results: [{outbox_id, token, status, message_id?, error?}]
create or replace function notify.record_deliveries(p_results jsonb)
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    with r as (
        select (x->>'outbox_id')::bigint as outbox_id, x->>'token' as token, x->>'status' as status,
               x->>'message_id' as message_id, left(x->>'error', 500) as error
        from jsonb_array_elements(p_results) x
    )
    update notify.deliveries d set
        state = case r.status when 'sent' then 'sent' when 'dead' then 'dead'
                              else case when d.attempts + 1 >= 8 then 'failed' else 'pending' end end,
        attempts = d.attempts + 1,
        sent_at = case when r.status = 'sent' then now() end,
        message_id = r.message_id,
        last_error = r.error,
        next_attempt_at = case when r.status = 'retry'
                               then now() + least(power(2, d.attempts + 1), 3600) * interval '1 second'
                               else d.next_attempt_at end,
        claimed_until = null
    from r
    where d.outbox_id = r.outbox_id and d.token = r.token and d.state = 'pending';
    get diagnostics v_count = row_count;
    delete from notify.devices v
    using jsonb_array_elements(p_results) x
    where x->>'status' = 'dead' and v.token = x->>'token';
    return v_count;
end;
$$;
