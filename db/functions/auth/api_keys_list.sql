-- drop: drop function if exists auth.api_keys_list();
-- Every key, newest first, without any secret material.
create or replace function auth.api_keys_list()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'id', id, 'name', name, 'prefix', prefix, 'scopes', to_jsonb(scopes), 'created_at', created_at,
        'last_used_at', last_used_at, 'revoked_at', revoked_at) order by created_at desc), '[]'::jsonb)
    from auth.api_keys;
$$;
