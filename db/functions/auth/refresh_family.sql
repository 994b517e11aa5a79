-- drop: drop function if exists auth.refresh_family(bytea);
-- The family (session) a refresh token belongs to, or null: a cookie-borne refresh checks its
-- CSRF token, which is bound to the family, before anything is rotated.
create or replace function auth.refresh_family(p_token_hash bytea)
returns uuid
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select family_id from auth.refresh_tokens where token_hash = p_token_hash;
$$;
