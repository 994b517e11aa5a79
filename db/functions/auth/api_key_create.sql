-- drop: drop function if exists auth.api_key_create(text, text, bytea, text[], uuid);
-- Registers an API key by its public prefix and the hash of its secret (never the secret).
create or replace function auth.api_key_create(
    p_name text, p_prefix text, p_secret_hash bytea, p_scopes text[], p_created_by uuid
)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into auth.api_keys (name, prefix, secret_hash, scopes, created_by)
    values (p_name, p_prefix, p_secret_hash, (select array_agg(distinct s order by s) from unnest(p_scopes) s), p_created_by)
    returning jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'scopes', to_jsonb(scopes),
                                 'created_at', created_at, 'last_used_at', last_used_at, 'revoked_at', revoked_at);
$$;
