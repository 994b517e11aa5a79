-- drop: drop function if exists store.coin_packs();
-- Coin packs for sale (Razorpay, INR).
create or replace function store.coin_packs()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object('id', id, 'amount_paise', amount_paise, 'currency', currency,
                                                 'coins', coins) order by amount_paise), '[]'::jsonb)
    from store.coin_packs where active;
$$;
