-- drop: drop function if exists store.orders_to_reconcile(integer);
-- Orders Razorpay knows that are still unpaid after p_age_s seconds (the user may have paid
-- and closed the browser before we heard): the reconciliation job asks Razorpay about them.
create or replace function store.orders_to_reconcile(p_age_s integer)
returns setof text
language sql
stable
as $$
    select razorpay_order_id from store.payment_orders
    where status = 'created' and created_at < now() - make_interval(secs => p_age_s)
      and created_at > now() - interval '7 days'
    order by created_at limit 500;
$$;
