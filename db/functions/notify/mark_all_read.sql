-- drop: drop function if exists notify.mark_all_read(uuid);
-- Marks every unread notification of the caller read; returns how many.
create or replace function notify.mark_all_read(p_user_id uuid)
returns bigint
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    with marked as (
        update notify.outbox set read_at = now() where user_id = p_user_id and read_at is null returning 1
    )
    select count(*) from marked;
$$;
