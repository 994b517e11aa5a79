-- drop: drop function if exists notify.broadcast_batch(bigint, integer);
-- Fans one batch of a broadcast out to the next users by id, set-based, and remembers how far
-- it got. Safe to rerun after a crash: each user's copy is keyed by the broadcast id. Returns
-- how many users this batch covered (0 when the broadcast is done).
create or replace function notify.broadcast_batch(p_broadcast_id bigint, p_batch integer)
returns integer
language plpgsql
volatile
as $$
declare
    v_broadcast notify.broadcasts;
    v_last uuid;
    v_count integer;
begin
    select * into v_broadcast from notify.broadcasts where id = p_broadcast_id for update;
    if not found then
        raise exception 'no broadcast %', p_broadcast_id using errcode = 'XP404', detail = 'notify.unknown_broadcast';
    end if;
    if v_broadcast.done_at is not null then
        return 0;
    end if;
    with batch as (
        select id from app.users
        where deleted_at is null and (v_broadcast.cursor_user_id is null or id > v_broadcast.cursor_user_id)
        order by id limit p_batch
    ), written as (
        insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
        select id, 'broadcast', v_broadcast.title, v_broadcast.body,
               v_broadcast.data || jsonb_build_object('broadcast_id', v_broadcast.id), 'broadcast:' || v_broadcast.id
        from batch
        on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing
    )
    select max(id::text)::uuid, count(*) into v_last, v_count from batch;
    if v_count = 0 then
        update notify.broadcasts set done_at = now() where id = p_broadcast_id;
    else
        update notify.broadcasts set cursor_user_id = v_last, users = users + v_count where id = p_broadcast_id;
        perform pg_notify('xpcore_outbox', 'broadcast:' || p_broadcast_id);
    end if;
    return v_count;
end;
$$;
