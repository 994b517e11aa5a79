-- drop: drop function if exists notify.release_deliveries(jsonb);
-- Gives claimed but unsent deliveries back at once (a sender failing cleanly); a sender that
-- dies without calling this releases them when the lease runs out.
create or replace function notify.release_deliveries(p_keys jsonb)
returns integer
language sql
volatile
as $$
    with released as (
        update notify.deliveries d set claimed_until = null
        from jsonb_array_elements(p_keys) x
        where d.outbox_id = (x->>'outbox_id')::bigint and d.token = x->>'token' and d.state = 'pending'
        returning 1
    )
    select count(*)::integer from released;
$$;
