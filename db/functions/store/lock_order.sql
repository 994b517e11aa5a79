-- drop: drop function if exists store.lock_order(text, text);
-- A payment order under its row lock, which serialises whoever reports on it (the checkout,
-- the webhook, reconciliation): by Razorpay's order id for a credit, or by the payment that
-- paid it for a refund (the other argument null). XP404 when there is none.
create or replace function store.lock_order(p_razorpay_order_id text, p_payment_id text)
returns store.payment_orders
language plpgsql
volatile
as $$
declare
    v_order store.payment_orders;
begin
    select * into v_order from store.payment_orders
     where razorpay_order_id = p_razorpay_order_id or payment_id = p_payment_id
       for update;
    if not found and p_razorpay_order_id is not null then
        raise exception 'no order %', p_razorpay_order_id using errcode = 'XP404', detail = 'payments.unknown_order';
    elsif not found then
        raise exception 'no credited payment %', p_payment_id
            using errcode = 'XP404', detail = 'payments.unknown_payment';
    end if;
    return v_order;
end;
$$;
