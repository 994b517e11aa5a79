-- drop: drop function if exists store.inventory(uuid);
-- What a user owns, with the equipped flag.
create or replace function store.inventory(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    return (select coalesce(jsonb_agg(store.item_json(i, true, e.item_id is not null) || jsonb_build_object('acquired_at', v.acquired_at)
                              order by v.acquired_at desc), '[]'::jsonb)
    from store.inventory v
    join store.items i on i.id = v.item_id
    left join store.equipped e on e.item_id = i.id and e.user_id = p_user_id
    where v.user_id = p_user_id);
end;
$$;
