-- drop: drop function if exists app.user_delete(uuid);
-- DELETE /users/me: erase personal data, keep the row (ledgers keep pointing at it, now
-- anonymous), end every session and identity, revoke keys the user created.
create or replace function app.user_delete(p_id uuid)
returns boolean
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    update app.users set
        username = 'deleted-' || substr(replace(id::text, '-', ''), 1, 12),
        display_name = null, email = null, avatar_url = null, bio = null, discord_id = null,
        roles = '{user}', deleted_at = now(), updated_at = now()
    where id = p_id and deleted_at is null;
    if not found then
        return false;
    end if;
    update auth.refresh_families set revoked_at = coalesce(revoked_at, now()), revoked_reason = 'user deleted'
     where user_id = p_id;
    delete from auth.identities where user_id = p_id;
    update auth.api_keys set revoked_at = coalesce(revoked_at, now()) where created_by = p_id;
    return true;
end;
$$;
