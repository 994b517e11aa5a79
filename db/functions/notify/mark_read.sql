-- drop: drop function if exists notify.mark_read(uuid, bigint);
-- Marks one of the caller's notifications read (idempotent); XP404 if it is not theirs.
create or replace function notify.mark_read(p_user_id uuid, p_id bigint)
returns void
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    update notify.outbox set read_at = coalesce(read_at, now()) where id = p_id and user_id = p_user_id;
    if not found then
        raise exception 'no notification %', p_id using errcode = 'XP404', detail = 'notify.unknown_notification';
    end if;
end;
$$;
