-- drop: drop function if exists xp.claim(uuid, text, text);
-- First step of every award, in the award's transaction: lock the user's totals row (created if
-- new) — always this row first, so two awards for one user queue instead of deadlocking — then
-- look (source, idempotency key) up. Returns the original answer when the key was used before
-- (a replay), else null. While the lock is held no other award for this user can book the key;
-- xp.apply stores it, and the primary key refuses the same key for another user.
create or replace function xp.claim(p_user_id uuid, p_source text, p_key text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_done xp.idempotency;
begin
    perform 1 from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        perform 1 from xp.totals where user_id = p_user_id for update;
    end if;
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = p_key;
    if not found then
        return null;
    end if;
    if v_done.user_id <> p_user_id then
        raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';
    end if;
    return v_done.result || jsonb_build_object('replayed', true);
end;
$$;
