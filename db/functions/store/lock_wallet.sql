-- drop: drop function if exists store.lock_wallet(uuid);
-- The user's wallet row, created if new, locked for the rest of the transaction: every coin
-- movement of one user takes this lock first, so they queue instead of racing.
create or replace function store.lock_wallet(p_user_id uuid)
returns store.wallets
language plpgsql
volatile
as $$
declare
    v store.wallets;
begin
    select * into v from store.wallets where user_id = p_user_id for update;
    if not found then
        insert into store.wallets (user_id) values (p_user_id) on conflict do nothing;
        select * into v from store.wallets where user_id = p_user_id for update;
    end if;
    return v;
end;
$$;
