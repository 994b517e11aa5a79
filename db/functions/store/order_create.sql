-- drop: drop function if exists store.order_create(uuid, text);
-- Records our order for a coin pack before Razorpay is asked for its own (amount from the pack).
create or replace function store.order_create(p_user_id uuid, p_pack_id text)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_pack store.coin_packs;
    v_order store.payment_orders;
begin
    select * into v_pack from store.coin_packs where id = p_pack_id and active;
    if not found then
        raise exception 'no coin pack %', p_pack_id using errcode = 'XP404', detail = 'store.unknown_coin_pack';
    end if;
    insert into store.payment_orders (user_id, pack_id, amount_paise, currency, coins)
    values (p_user_id, v_pack.id, v_pack.amount_paise, v_pack.currency, v_pack.coins)
    returning * into v_order;
    return jsonb_build_object('order_id', v_order.id, 'amount', v_order.amount_paise, 'currency', v_order.currency,
                              'coins', v_order.coins);
end;
$$;
