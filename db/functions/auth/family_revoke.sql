-- drop: drop function if exists auth.family_revoke(uuid, uuid);
-- Logout: revokes the caller's refresh-token family (only their own).
create or replace function auth.family_revoke(p_family_id uuid, p_user_id uuid)
returns boolean
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update auth.refresh_families
       set revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'logout')
     where id = p_family_id and user_id = p_user_id
    returning true;
$$;
