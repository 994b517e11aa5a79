-- drop: drop function if exists auth.refresh_rotate(bytea, bytea, integer, text, integer);
-- Rotates a refresh token: the presented one is spent and a new one in the same family is
-- stored. Presenting a spent token again is reuse (as GoTrue treats it): the whole family is
-- revoked, so the thief's and the owner's newer tokens die together. Except within the reuse
-- interval (p_reuse_s after it was spent, while its successor is unspent): two tabs refreshing
-- at once both get the successor (kept sealed by the API on the parent for that purpose), as
-- GoTrue's refresh_token_reuse_interval. Answers a status rather than raising so the
-- revocation commits.
create or replace function auth.refresh_rotate(
    p_old_hash bytea, p_new_hash bytea, p_ttl_s integer, p_new_sealed text, p_reuse_s integer
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_token auth.refresh_tokens;
    v_family auth.refresh_families;
    v_user app.users;
    v_child auth.refresh_tokens;
begin
    select * into v_token from auth.refresh_tokens where token_hash = p_old_hash for update;
    if not found then
        return jsonb_build_object('status', 'invalid');
    end if;
    select * into v_family from auth.refresh_families where id = v_token.family_id for update;
    if v_family.revoked_at is not null then
        return jsonb_build_object('status', 'revoked');
    end if;
    select * into v_user from app.users where id = v_family.user_id and deleted_at is null;
    if not found then
        update auth.refresh_families set revoked_at = now(), revoked_reason = 'user deleted' where id = v_family.id;
        return jsonb_build_object('status', 'revoked');
    end if;
    if v_token.used_at is not null then
        if v_token.used_at > now() - make_interval(secs => p_reuse_s) and v_token.successor_sealed is not null then
            select * into v_child from auth.refresh_tokens
             where parent_id = v_token.id and used_at is null and expires_at > now();
            if found then
                return jsonb_build_object('status', 'ok', 'family_id', v_family.id, 'user', auth.user_json(v_user),
                                          'successor_sealed', v_token.successor_sealed);
            end if;
        end if;
        update auth.refresh_families set revoked_at = now(), revoked_reason = 'reuse' where id = v_family.id;
        return jsonb_build_object('status', 'reuse');
    end if;
    if v_token.expires_at <= now() then
        return jsonb_build_object('status', 'expired');
    end if;
    -- the grandparent's sealed successor (this token) is no longer needed
    update auth.refresh_tokens set successor_sealed = null where id = v_token.parent_id;
    update auth.refresh_tokens set used_at = now(), successor_sealed = p_new_sealed where id = v_token.id;
    insert into auth.refresh_tokens (family_id, parent_id, token_hash, expires_at)
    values (v_family.id, v_token.id, p_new_hash, now() + make_interval(secs => p_ttl_s));
    update auth.refresh_families set last_used_at = now() where id = v_family.id;
    return jsonb_build_object('status', 'ok', 'family_id', v_family.id, 'user', auth.user_json(v_user));
end;
$$;
