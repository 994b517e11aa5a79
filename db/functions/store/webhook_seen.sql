-- drop: drop function if exists store.webhook_seen(text, text);
-- True the first time an event id arrives (it is then recorded), false for a replay.
create or replace function store.webhook_seen(p_event_id text, p_event text)
returns boolean
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    with fresh as (
        insert into store.webhook_events (event_id, event) values (p_event_id, p_event)
        on conflict do nothing returning 1
    )
    select exists (select 1 from fresh);
$$;
