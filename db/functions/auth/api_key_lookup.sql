-- drop: drop function if exists auth.api_key_lookup(text);
-- What the API needs to check a presented key: its secret hash, scopes and whether it is live.
create or replace function auth.api_key_lookup(p_prefix text)
returns table (id uuid, secret_hash bytea, scopes text[], revoked boolean)
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select k.id, k.secret_hash, k.scopes, k.revoked_at is not null
    from auth.api_keys k
    where k.prefix = p_prefix;
$$;
