-- drop: drop function if exists auth.refresh_issue(uuid, bytea, integer);
-- Starts a refresh-token family for a fresh login and stores its first token (hashed).
-- Returns the family id, which access tokens carry as `sid` so logout can revoke it.
create or replace function auth.refresh_issue(p_user_id uuid, p_token_hash bytea, p_ttl_s integer)
returns uuid
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    with family as (
        insert into auth.refresh_families (user_id) values (p_user_id) returning id
    )
    insert into auth.refresh_tokens (family_id, token_hash, expires_at)
    select id, p_token_hash, now() + make_interval(secs => p_ttl_s) from family
    returning family_id;
$$;
