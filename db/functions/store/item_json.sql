-- drop: drop function if exists store.item_json(store.items, boolean, boolean);
create or replace function store.item_json(i store.items, p_owned boolean, p_equipped boolean)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('slug', i.slug, 'name', i.name, 'description', i.description, 'category', i.category,
        'price_coins', i.price_coins, 'data', i.data, 'featured', i.featured, 'owned', p_owned, 'equipped', p_equipped);
$$;
