-- drop: drop function if exists xp.claim(uuid, text, text);
-- First step of every award, in the award's transaction: lock the user's totals row (created if
-- new) — always this row first, so two awards for one user queue instead of deadlocking — then
-- claim (source, idempotency key). Returns the original answer when the key was used before
-- (a replay), else null and the key is ours until commit.
create or replace function xp.claim(p_user_id uuid, p_source text, p_key text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_done xp.idempotency;
begin
    insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
    perform 1 from xp.totals where user_id = p_user_id for update;
    insert into xp.idempotency (source, idempotency_key, user_id) values (p_source, p_key, p_user_id)
    on conflict (source, idempotency_key) do nothing;
    if found then
        return null;
    end if;
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = p_key;
    if v_done.user_id <> p_user_id then
        raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';
    end if;
    return v_done.result || jsonb_build_object('replayed', true);
end;
$$;
