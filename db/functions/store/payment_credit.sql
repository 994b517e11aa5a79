-- drop: drop function if exists store.payment_credit(text, text, integer, uuid, text);
-- Credits the coins of a paid order exactly once, whoever reports it first: the checkout
-- verification (p_user_id: the caller, who must own the order), the webhook or reconciliation
-- (p_user_id null). The order row lock serialises reporters; the amount must match the order.
-- Answers {status: credited | already_credited, coins, user_id}.
create or replace function store.payment_credit(
    p_razorpay_order_id text, p_payment_id text, p_amount_paise integer, p_user_id uuid, p_via text
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_order store.payment_orders := store.lock_order(p_razorpay_order_id, null);
    v_credit jsonb;
begin
    if p_user_id is not null and v_order.user_id <> p_user_id then
        raise exception 'order % is not yours', p_razorpay_order_id
            using errcode = 'XP403', detail = 'payments.not_your_order';
    end if;
    if v_order.status in ('paid', 'refunded') then
        return jsonb_build_object('status', 'already_credited', 'user_id', v_order.user_id,
            'coins', (select balance from store.wallets where user_id = v_order.user_id));
    end if;
    if p_amount_paise is not null and p_amount_paise <> v_order.amount_paise then
        raise exception 'paid % paise, the order is for %', p_amount_paise, v_order.amount_paise
            using errcode = 'XP422', detail = 'payments.amount_mismatch';
    end if;
    v_credit := store.credit_coins(v_order.user_id, v_order.coins, 'payment', 'order:' || v_order.id,
        jsonb_build_object('razorpay_order_id', p_razorpay_order_id, 'payment_id', p_payment_id, 'via', p_via));
    update store.payment_orders set status = 'paid', payment_id = p_payment_id, paid_at = now(), credited_via = p_via
     where id = v_order.id;
    perform notify.enqueue(v_order.user_id, 'payment_credited', format('%s coins added', v_order.coins),
        format('Your payment for %s coins went through.', v_order.coins),
        jsonb_build_object('coins', v_order.coins, 'order_id', v_order.id), 'payment:' || v_order.id);
    return jsonb_build_object('status', 'credited', 'user_id', v_order.user_id, 'coins', v_credit->'coins');
end;
$$;
