-- drop: drop function if exists store.wallet(uuid, bigint, integer);
-- A user's coins, debt and coin movements (newest first, keyset by entry id).
create or replace function store.wallet(p_user_id uuid, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    with page as (
        select id, amount, source, metadata, created_at from store.coin_ledger
        where user_id = p_user_id and (p_cursor is null or id < p_cursor)
        order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100) + 1
    ), shown as (select * from page order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100))
    select jsonb_build_object(
        'coins', coalesce((select balance from store.wallets where user_id = p_user_id), 0),
        'debt', coalesce((select debt from store.wallets where user_id = p_user_id), 0),
        'events', coalesce((select jsonb_agg(jsonb_build_object('id', id, 'amount', amount, 'source', source,
                            'metadata', metadata, 'created_at', created_at) order by id desc) from shown), '[]'::jsonb),
        'next_cursor', case when (select count(*) from page) > least(greatest(coalesce(p_limit, 20), 1), 100)
                            then (select min(id) from shown)::text end);
$$;
