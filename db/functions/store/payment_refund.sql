-- drop: drop function if exists store.payment_refund(text, integer);
-- Claws back the coins of a refunded payment (in proportion to the refunded amount), once.
-- The balance never goes negative: what cannot be taken back becomes a debt that blocks
-- spending until later credits pay it.
create or replace function store.payment_refund(p_payment_id text, p_refund_paise integer)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_order store.payment_orders := store.lock_order(null, p_payment_id);
    v_wallet store.wallets;
    v_coins integer;
begin
    if v_order.status = 'refunded' then
        return jsonb_build_object('status', 'already_refunded');
    end if;
    v_coins := ceil(v_order.coins * least(coalesce(p_refund_paise, v_order.amount_paise), v_order.amount_paise)::numeric
                    / v_order.amount_paise)::integer;
    v_wallet := store.lock_wallet(v_order.user_id);
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    values (v_order.user_id, -v_coins, 'refund', 'refund:' || p_payment_id,
            jsonb_build_object('payment_id', p_payment_id, 'order_id', v_order.id));
    update store.wallets set
        balance = greatest(balance - v_coins, 0),
        debt = debt + greatest(v_coins - balance, 0),
        updated_at = now()
    where user_id = v_order.user_id
    returning * into v_wallet;
    update store.payment_orders set status = 'refunded' where id = v_order.id;
    return jsonb_build_object('status', 'refunded', 'coins', v_wallet.balance, 'debt', v_wallet.debt);
end;
$$;
