-- drop: drop function if exists store.equip(uuid, text);
-- Equips an owned item: one per category (replacing what was there). XP404 if not owned.
create or replace function store.equip(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_item store.items;
begin
    select i.* into v_item from store.items i join store.inventory v on v.item_id = i.id
     where i.slug = p_slug and v.user_id = p_user_id;
    if not found then
        raise exception 'you do not own %', p_slug using errcode = 'XP404', detail = 'store.not_owned';
    end if;
    insert into store.equipped (user_id, category, item_id) values (p_user_id, v_item.category, v_item.id)
    on conflict (user_id, category) do update set item_id = excluded.item_id, equipped_at = now();
    return store.item_json(v_item, true, true);
end;
$$;
