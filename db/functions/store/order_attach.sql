-- drop: drop function if exists store.order_attach(uuid, text);
-- Attaches Razorpay's order id to ours once Razorpay created it.
create or replace function store.order_attach(p_order_id uuid, p_razorpay_order_id text)
returns void
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update store.payment_orders set razorpay_order_id = p_razorpay_order_id, status = 'created'
    where id = p_order_id and razorpay_order_id is null;
$$;
