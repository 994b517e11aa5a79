"""auth: CSRF tokens bound to the session, OAuth link flow, sessions and reuse interval

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:34:57 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Sessions: when a family was last refreshed (for the list), and, on a spent token, its
# successor sealed by the API for the reuse interval. refresh_rotate gains two arguments.
SCHEMA_UP = """
alter table auth.refresh_families add column last_used_at timestamptz;
alter table auth.refresh_tokens add column successor_sealed text;
create index refresh_tokens_parent on auth.refresh_tokens (parent_id);
drop function auth.refresh_rotate(bytea, bytea, integer);
"""

# After the functions: the trigger needs its function.
TRIGGERS_UP = """
create trigger users_sessions_end
after update of roles, deleted_at on app.users
for each row
when (old.roles is distinct from new.roles or (old.deleted_at is null and new.deleted_at is not null))
execute function auth.sessions_end_on_user_change();
"""

SCHEMA_DOWN = """
drop function if exists auth.refresh_rotate(bytea, bytea, integer, text, integer);
drop index if exists auth.refresh_tokens_parent;
alter table auth.refresh_tokens drop column if exists successor_sealed;
alter table auth.refresh_families drop column if exists last_used_at;
"""

FUNCTIONS: dict[str, str] = {
    'auth/oauth_link.sql': """-- drop: drop function if exists auth.oauth_link(uuid, text, text, text, boolean);
-- Links a provider identity to a signed-in user (the OAuth link flow). A provider account
-- belongs to one xpcore account, and an account has at most one identity per provider:
--  'taken'   the identity (or, for Discord, its id as discord_id) belongs to another user;
--  'other'   this user already linked another account of that provider;
--  'linked'  done (also when it was already linked to this user); Discord sets discord_id.
create or replace function auth.oauth_link(
    p_user_id uuid, p_provider text, p_subject text, p_email text, p_email_verified boolean
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_owner uuid;
    v_user app.users;
begin
    select * into v_user from app.users where id = p_user_id and deleted_at is null for update;
    if not found then
        return jsonb_build_object('status', 'gone');
    end if;
    select user_id into v_owner from auth.identities where provider = p_provider and subject = p_subject;
    if v_owner is not null and v_owner <> p_user_id then
        return jsonb_build_object('status', 'taken');
    end if;
    if v_owner is null then
        if exists (select 1 from auth.identities where provider = p_provider and user_id = p_user_id) then
            return jsonb_build_object('status', 'other');
        end if;
        if p_provider = 'discord'
           and exists (select 1 from app.users where discord_id = p_subject and id <> p_user_id) then
            return jsonb_build_object('status', 'taken');
        end if;
        insert into auth.identities (provider, subject, user_id, email, email_verified)
        values (p_provider, p_subject, p_user_id, lower(p_email), coalesce(p_email_verified, false));
    end if;
    if p_provider = 'discord' and v_user.discord_id is distinct from p_subject then
        update app.users set discord_id = p_subject, updated_at = now() where id = p_user_id returning * into v_user;
    end if;
    return jsonb_build_object('status', 'linked', 'user', auth.user_json(v_user));
end;
$$;
""",
    'auth/refresh_family.sql': """-- drop: drop function if exists auth.refresh_family(bytea);
-- The family (session) a refresh token belongs to, or null: a cookie-borne refresh checks its
-- CSRF token, which is bound to the family, before anything is rotated.
create or replace function auth.refresh_family(p_token_hash bytea)
returns uuid
language sql
stable
as $$
    select family_id from auth.refresh_tokens where token_hash = p_token_hash;
$$;
""",
    'auth/refresh_rotate.sql': """-- drop: drop function if exists auth.refresh_rotate(bytea, bytea, integer, text, integer);
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
""",
    'auth/sessions_end_on_user_change.sql': """-- drop: drop function if exists auth.sessions_end_on_user_change() cascade;
-- Trigger on app.users: when a user's roles change (an admin granted or took one) or the user
-- is deleted, every session ends, so no refresh mints tokens with the old roles.
create or replace function auth.sessions_end_on_user_change()
returns trigger
language plpgsql
as $$
begin
    update auth.refresh_families
       set revoked_at = now(),
           revoked_reason = case when new.deleted_at is not null then 'user deleted' else 'roles changed' end
     where user_id = new.id and revoked_at is null;
    return new;
end;
$$;
""",
    'auth/sessions_list.sql': """-- drop: drop function if exists auth.sessions_list(uuid);
-- A user's live sessions (refresh-token families not revoked with an unexpired, unspent token),
-- newest use first.
create or replace function auth.sessions_list(p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
               'id', f.id, 'created_at', f.created_at, 'last_used_at', coalesce(f.last_used_at, f.created_at))
             order by coalesce(f.last_used_at, f.created_at) desc), '[]'::jsonb)
      from auth.refresh_families f
     where f.user_id = p_user_id and f.revoked_at is null
       and exists (select 1 from auth.refresh_tokens t
                    where t.family_id = f.id and t.used_at is null and t.expires_at > now());
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'auth/oauth_link.sql': None,
    'auth/refresh_family.sql': None,
    'auth/refresh_rotate.sql': """-- drop: drop function if exists auth.refresh_rotate(bytea, bytea, integer);
-- Rotates a refresh token: the presented one is spent and a new one in the same family is
-- stored. Presenting a spent token again is reuse (as GoTrue treats it): the whole family is
-- revoked, so the thief's and the owner's newer tokens die together. Answers a status rather
-- than raising so the revocation commits.
create or replace function auth.refresh_rotate(p_old_hash bytea, p_new_hash bytea, p_ttl_s integer)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_token auth.refresh_tokens;
    v_family auth.refresh_families;
    v_user app.users;
begin
    select * into v_token from auth.refresh_tokens where token_hash = p_old_hash for update;
    if not found then
        return jsonb_build_object('status', 'invalid');
    end if;
    select * into v_family from auth.refresh_families where id = v_token.family_id for update;
    if v_family.revoked_at is not null then
        return jsonb_build_object('status', 'revoked');
    end if;
    if v_token.used_at is not null then
        update auth.refresh_families set revoked_at = now(), revoked_reason = 'reuse' where id = v_family.id;
        return jsonb_build_object('status', 'reuse');
    end if;
    if v_token.expires_at <= now() then
        return jsonb_build_object('status', 'expired');
    end if;
    select * into v_user from app.users where id = v_family.user_id and deleted_at is null;
    if not found then
        update auth.refresh_families set revoked_at = now(), revoked_reason = 'user deleted' where id = v_family.id;
        return jsonb_build_object('status', 'revoked');
    end if;
    update auth.refresh_tokens set used_at = now() where id = v_token.id;
    insert into auth.refresh_tokens (family_id, parent_id, token_hash, expires_at)
    values (v_family.id, v_token.id, p_new_hash, now() + make_interval(secs => p_ttl_s));
    return jsonb_build_object('status', 'ok', 'family_id', v_family.id, 'user', auth.user_json(v_user));
end;
$$;
""",
    'auth/sessions_end_on_user_change.sql': None,
    'auth/sessions_list.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, TRIGGERS_UP)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
