-- drop: drop function if exists store.purchase(uuid, text);
-- Buys an item in one transaction: the wallet lock serialises a user's purchases, the
-- inventory's primary key makes a second grant impossible, the debit is a ledger row.
-- XP404 unknown or inactive item, XP409 already owned, XP402 not enough coins (or a debt).
create or replace function store.purchase(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_item store.items;
    v_wallet store.wallets;
begin
    select * into v_item from store.items where slug = p_slug and active;
    if not found then
        raise exception 'no item %', p_slug using errcode = 'XP404', detail = 'store.unknown_item';
    end if;
    v_wallet := store.lock_wallet(p_user_id);
    if exists (select 1 from store.inventory where user_id = p_user_id and item_id = v_item.id) then
        raise exception 'you already own %', p_slug using errcode = 'XP409', detail = 'store.already_owned';
    end if;
    if v_wallet.debt > 0 then
        raise exception 'a refunded payment left a debt of % coins; spending resumes once it is paid', v_wallet.debt
            using errcode = 'XP402', detail = 'store.wallet_in_debt';
    end if;
    if v_wallet.balance < v_item.price_coins then
        raise exception '% costs % coins; you have %', p_slug, v_item.price_coins, v_wallet.balance
            using errcode = 'XP402', detail = 'store.insufficient_coins';
    end if;
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    values (p_user_id, -v_item.price_coins, 'purchase', p_user_id || ':' || v_item.slug,
            jsonb_build_object('item', v_item.slug));
    perform engage.on_purchase(p_user_id);
    update store.wallets set balance = balance - v_item.price_coins, updated_at = now()
     where user_id = p_user_id returning * into v_wallet;
    insert into store.inventory (user_id, item_id) values (p_user_id, v_item.id);
    perform notify.enqueue(p_user_id, 'purchase_completed', format('You got %s', v_item.name),
        format('%s is in your inventory.', v_item.name), jsonb_build_object('item', v_item.slug),
        'purchase:' || v_item.slug);
    return jsonb_build_object('item', store.item_json(v_item, true, false), 'coins', v_wallet.balance);
end;
$$;
