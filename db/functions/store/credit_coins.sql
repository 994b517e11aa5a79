-- drop: drop function if exists store.credit_coins(uuid, integer, text, text, jsonb);
-- Credits coins exactly once per (source, idempotency key): a replay answers the original with
-- replayed = true. A debt left by a refund is paid off first. The wallet row lock serialises a
-- user's coin movements, so balance always equals the ledger sum.
create or replace function store.credit_coins(
    p_user_id uuid, p_amount integer, p_source text, p_idempotency_key text, p_metadata jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_wallet store.wallets;
    v_entry bigint;
    v_done store.coin_ledger;
begin
    if p_amount is null or p_amount <= 0 or p_amount > 10000000 then
        raise exception 'amount must be between 1 and 10,000,000 coins'
            using errcode = 'XP422', detail = 'store.invalid_amount';
    end if;
    if p_source not in ('payment', 'challenge', 'admin', 'bonus') then
        raise exception 'source % cannot credit coins', p_source
            using errcode = 'XP422', detail = 'store.source_not_allowed';
    end if;
    -- The common case in two statements: the ledger row, only for a live user, once per key
    -- (its unique key); then the wallet, created or locked and credited by one upsert, paying a
    -- debt first. The wallet lock comes after the ledger row here (purchases and refunds take it
    -- first); either order holds balance = ledger sum at commit, and a credit never waits on
    -- another movement's ledger row. An achievement unlock or a quest credits coins inside an
    -- award, where each statement saved is an executor start (up to eight were; bench/README.md).
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    select p_user_id, p_amount, p_source, p_idempotency_key, coalesce(p_metadata, '{}')
     where exists (select from app.users where id = p_user_id and deleted_at is null)
    on conflict (source, idempotency_key) do nothing
    returning id into v_entry;
    if v_entry is null then  -- no such user, or the key was used: say which
        if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
            raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
        end if;
        select * into v_done from store.coin_ledger where source = p_source and idempotency_key = p_idempotency_key;
        if v_done.user_id <> p_user_id then
            raise exception 'idempotency key % was already used for another user', p_idempotency_key
                using errcode = 'XP409', detail = 'request.idempotency_key_reused';
        end if;
        v_wallet := store.lock_wallet(p_user_id);
        return jsonb_build_object('entry_id', v_done.id, 'coins', v_wallet.balance, 'debt', v_wallet.debt, 'replayed', true);
    end if;
    insert into store.wallets as w (user_id, balance) values (p_user_id, p_amount)
    on conflict (user_id) do update set
        balance = w.balance + greatest(excluded.balance - w.debt, 0),
        debt = greatest(w.debt - excluded.balance, 0),
        updated_at = now()
    returning * into v_wallet;
    return jsonb_build_object('entry_id', v_entry, 'coins', v_wallet.balance, 'debt', v_wallet.debt, 'replayed', false);
end;
$$;
