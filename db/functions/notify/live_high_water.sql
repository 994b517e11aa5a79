-- drop: drop function if exists notify.live_high_water();
-- The newest notification id: where a live hub starts its catch-up after batch writers
-- (notify.live_items' p_after) when it begins listening.
create or replace function notify.live_high_water()
returns bigint
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(max(id), 0) from notify.outbox;
$$;
