-- drop: drop function if exists notify.claim_deliveries(integer, integer);
-- Claims due deliveries for one sender: rows nobody holds (SKIP LOCKED) get a lease of
-- p_lease_s seconds, so a worker that dies mid-batch releases them by itself. Answers what the
-- push needs (notification id, token, title, body, data).
create or replace function notify.claim_deliveries(p_limit integer, p_lease_s integer)
returns table (outbox_id bigint, token text, title text, body text, data jsonb, kind text)
language sql
volatile
as $$
    with due as (
        select d.outbox_id, d.token from notify.deliveries d
        where d.state = 'pending' and d.next_attempt_at <= now()
          and (d.claimed_until is null or d.claimed_until < now())
        order by d.next_attempt_at, d.outbox_id
        limit p_limit
        for update skip locked
    ), claimed as (
        update notify.deliveries d set claimed_until = now() + make_interval(secs => p_lease_s)
        from due where d.outbox_id = due.outbox_id and d.token = due.token
        returning d.outbox_id, d.token
    )
    select c.outbox_id, c.token, o.title, o.body, o.data, o.kind
    from claimed c join notify.outbox o on o.id = c.outbox_id;
$$;
