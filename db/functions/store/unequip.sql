-- drop: drop function if exists store.unequip(uuid, text);
-- Takes off whatever is equipped in a category (a no-op when nothing is).
create or replace function store.unequip(p_user_id uuid, p_category text)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    with gone as (delete from store.equipped where user_id = p_user_id and category = p_category returning 1)
    select jsonb_build_object('category', p_category, 'unequipped', exists (select 1 from gone));
$$;
