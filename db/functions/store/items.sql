-- drop: drop function if exists store.items(uuid, text);
-- The active catalog, optionally one category, with owned/equipped flags for a signed-in user.
create or replace function store.items(p_user_id uuid, p_category text)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    return (select coalesce(jsonb_agg(store.item_json(i, v.item_id is not null, e.item_id is not null)
                              order by i.featured desc, i.category, i.price_coins, i.slug), '[]'::jsonb)
    from store.items i
    left join store.inventory v on v.item_id = i.id and v.user_id = p_user_id
    left join store.equipped e on e.item_id = i.id and e.user_id = p_user_id
    where i.active and (p_category is null or i.category = p_category));
end;
$$;
