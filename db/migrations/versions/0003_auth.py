"""auth: otp, refresh families, api keys, identities, user self-service

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:43:05 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema auth;
comment on schema auth is 'xpcore identity: login codes, refresh-token families, API keys, OAuth identities';

-- One pending login code per address, as an HMAC; failures and the lock outlive a new code.
create table auth.otp_codes (
    email        text primary key,
    code_hmac    bytea,
    expires_at   timestamptz not null,
    failures     integer not null default 0,
    locked_until timestamptz,
    created_at   timestamptz not null default now()
);

-- A login starts a family; every refresh spends one token and adds its successor.
create table auth.refresh_families (
    id             uuid primary key default gen_random_uuid(),
    user_id        uuid not null references app.users (id) on delete cascade,
    created_at     timestamptz not null default now(),
    revoked_at     timestamptz,
    revoked_reason text
);
create index refresh_families_user on auth.refresh_families (user_id);

create table auth.refresh_tokens (
    id         uuid primary key default gen_random_uuid(),
    family_id  uuid not null references auth.refresh_families (id) on delete cascade,
    parent_id  uuid references auth.refresh_tokens (id) on delete set null,
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at    timestamptz
);
create index refresh_tokens_family on auth.refresh_tokens (family_id);

-- xpk_<prefix>_<secret>: the prefix is public and indexed, the secret only as an HMAC.
create table auth.api_keys (
    id           uuid primary key default gen_random_uuid(),
    name         text not null check (char_length(name) between 1 and 100),
    prefix       text not null unique,
    secret_hash  bytea not null,
    scopes       text[] not null check (
        cardinality(scopes) > 0
        and scopes <@ array['xp:write', 'challenges:judge', 'users:read', 'notifications:write']::text[]
    ),
    created_by   uuid references app.users (id) on delete set null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- OAuth identities: many per user, one user per (provider, subject).
create table auth.identities (
    provider       text not null check (provider in ('google', 'github', 'discord')),
    subject        text not null,
    user_id        uuid not null references app.users (id) on delete cascade,
    email          text,
    email_verified boolean not null default false,
    created_at     timestamptz not null default now(),
    last_login_at  timestamptz not null default now(),
    primary key (provider, subject)
);
create index identities_user on auth.identities (user_id);
"""

SCHEMA_DOWN = """
drop schema auth cascade;
"""

FUNCTIONS: dict[str, str] = {
    'auth/api_key_create.sql': """-- drop: drop function if exists auth.api_key_create(text, text, bytea, text[], uuid);
-- Registers an API key by its public prefix and the hash of its secret (never the secret).
create or replace function auth.api_key_create(
    p_name text, p_prefix text, p_secret_hash bytea, p_scopes text[], p_created_by uuid
)
returns jsonb
language sql
volatile
as $$
    insert into auth.api_keys (name, prefix, secret_hash, scopes, created_by)
    values (p_name, p_prefix, p_secret_hash, (select array_agg(distinct s order by s) from unnest(p_scopes) s), p_created_by)
    returning jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'scopes', to_jsonb(scopes),
                                 'created_at', created_at, 'last_used_at', last_used_at, 'revoked_at', revoked_at);
$$;
""",
    'auth/api_key_lookup.sql': """-- drop: drop function if exists auth.api_key_lookup(text);
-- What the API needs to check a presented key: its secret hash, scopes and whether it is live.
create or replace function auth.api_key_lookup(p_prefix text)
returns table (id uuid, secret_hash bytea, scopes text[], revoked boolean)
language sql
stable
as $$
    select k.id, k.secret_hash, k.scopes, k.revoked_at is not null
    from auth.api_keys k
    where k.prefix = p_prefix;
$$;
""",
    'auth/api_key_revoke.sql': """-- drop: drop function if exists auth.api_key_revoke(uuid);
create or replace function auth.api_key_revoke(p_id uuid)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_key jsonb;
begin
    update auth.api_keys set revoked_at = coalesce(revoked_at, now()) where id = p_id
    returning jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'revoked_at', revoked_at) into v_key;
    if v_key is null then
        raise exception 'no API key %', p_id using errcode = 'XP404';
    end if;
    return v_key;
end;
$$;
""",
    'auth/api_key_touch.sql': """-- drop: drop function if exists auth.api_key_touch(uuid);
-- Records use; the API calls it at most once a minute per key and process.
create or replace function auth.api_key_touch(p_id uuid)
returns void
language sql
volatile
as $$
    update auth.api_keys set last_used_at = now() where id = p_id;
$$;
""",
    'auth/api_keys_list.sql': """-- drop: drop function if exists auth.api_keys_list();
-- Every key, newest first, without any secret material.
create or replace function auth.api_keys_list()
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'id', id, 'name', name, 'prefix', prefix, 'scopes', to_jsonb(scopes), 'created_at', created_at,
        'last_used_at', last_used_at, 'revoked_at', revoked_at) order by created_at desc), '[]'::jsonb)
    from auth.api_keys;
$$;
""",
    'auth/family_revoke.sql': """-- drop: drop function if exists auth.family_revoke(uuid, uuid);
-- Logout: revokes the caller's refresh-token family (only their own).
create or replace function auth.family_revoke(p_family_id uuid, p_user_id uuid)
returns boolean
language sql
volatile
as $$
    update auth.refresh_families
       set revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'logout')
     where id = p_family_id and user_id = p_user_id
    returning true;
$$;
""",
    'auth/otp_store.sql': """-- drop: drop function if exists auth.otp_store(text, bytea, integer);
-- Stores the HMAC of a fresh login code for an address (never the code), replacing any
-- earlier code. Failure counts and a lock survive a new code: requesting codes is no way
-- around the brute-force lock.
create or replace function auth.otp_store(p_email text, p_code_hmac bytea, p_ttl_s integer)
returns void
language sql
volatile
as $$
    insert into auth.otp_codes (email, code_hmac, expires_at)
    values (lower(p_email), p_code_hmac, now() + make_interval(secs => p_ttl_s))
    on conflict (email) do update
        set code_hmac = excluded.code_hmac,
            expires_at = excluded.expires_at;
$$;
""",
    'auth/otp_verify.sql': """-- drop: drop function if exists auth.otp_verify(text, bytea, integer, integer);
-- Checks a login code. Answers a status instead of raising, so that a failed attempt is
-- counted (an exception would roll the count back). The row lock serialises attempts for one
-- address; p_max_failures wrong codes lock it for p_lock_s seconds, even for the right code.
-- A right code is single use and returns the user (created on first login).
create or replace function auth.otp_verify(p_email text, p_code_hmac bytea, p_max_failures integer, p_lock_s integer)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_row auth.otp_codes;
    v_user app.users;
begin
    select * into v_row from auth.otp_codes where email = lower(p_email) for update;
    if not found then
        return jsonb_build_object('status', 'invalid');
    end if;
    if v_row.locked_until is not null and v_row.locked_until > now() then
        return jsonb_build_object('status', 'locked',
            'retry_after', ceil(extract(epoch from v_row.locked_until - now()))::int);
    end if;
    if v_row.code_hmac is null or v_row.expires_at <= now() or v_row.code_hmac <> p_code_hmac then
        update auth.otp_codes
            set failures = case when locked_until is not null and locked_until <= now() then 1 else failures + 1 end,
                locked_until = case
                    when (case when locked_until is not null and locked_until <= now() then 1 else failures + 1 end)
                         >= p_max_failures
                    then now() + make_interval(secs => p_lock_s)
                    else null end
            where email = v_row.email
            returning * into v_row;
        if v_row.locked_until is not null then
            return jsonb_build_object('status', 'locked',
                'retry_after', ceil(extract(epoch from v_row.locked_until - now()))::int);
        end if;
        return jsonb_build_object('status', 'invalid');
    end if;
    delete from auth.otp_codes where email = v_row.email;
    v_user := auth.user_for_email(p_email);
    return jsonb_build_object('status', 'ok', 'user', auth.user_json(v_user));
end;
$$;
""",
    'auth/refresh_issue.sql': """-- drop: drop function if exists auth.refresh_issue(uuid, bytea, integer);
-- Starts a refresh-token family for a fresh login and stores its first token (hashed).
-- Returns the family id, which access tokens carry as `sid` so logout can revoke it.
create or replace function auth.refresh_issue(p_user_id uuid, p_token_hash bytea, p_ttl_s integer)
returns uuid
language sql
volatile
as $$
    with family as (
        insert into auth.refresh_families (user_id) values (p_user_id) returning id
    )
    insert into auth.refresh_tokens (family_id, token_hash, expires_at)
    select id, p_token_hash, now() + make_interval(secs => p_ttl_s) from family
    returning family_id;
$$;
""",
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
    'auth/unique_username.sql': """-- drop: drop function if exists auth.unique_username(text);
-- A free username derived from a hint (an e-mail local part, a provider login): lowercased,
-- reduced to [a-z0-9_.-], 3..24 characters, with a numeric suffix when taken.
create or replace function auth.unique_username(p_hint text)
returns text
language plpgsql
volatile
as $$
declare
    v_base text := left(regexp_replace(lower(coalesce(p_hint, '')), '[^a-z0-9_.-]+', '', 'g'), 24);
    v_candidate text;
    v_try integer := 0;
begin
    if char_length(v_base) < 3 then
        v_base := rpad(coalesce(nullif(v_base, ''), 'user'), 4, '0');
    end if;
    v_candidate := v_base;
    loop
        exit when not exists (select 1 from app.users where lower(username) = v_candidate);
        v_try := v_try + 1;
        v_candidate := left(v_base, 24) || (floor(random() * 9000) + 1000)::int::text;
        if v_try > 20 then
            v_candidate := left(v_base, 16) || substr(md5(random()::text), 1, 8);
        end if;
    end loop;
    return v_candidate;
end;
$$;
""",
    'auth/user_for_email.sql': """-- drop: drop function if exists auth.user_for_email(text);
-- The live user with this e-mail, created on first login (username derived from the address).
-- Concurrent first logins for one address create one user: the unique index decides.
create or replace function auth.user_for_email(p_email text)
returns app.users
language plpgsql
volatile
as $$
declare
    v_user app.users;
begin
    select * into v_user from app.users where lower(email) = lower(p_email) and deleted_at is null;
    if found then
        return v_user;
    end if;
    insert into app.users (username, email)
    values (auth.unique_username(split_part(p_email, '@', 1)), lower(p_email))
    on conflict do nothing
    returning * into v_user;
    if v_user.id is null then  -- lost a race for the same address (or username): read the winner
        select * into v_user from app.users where lower(email) = lower(p_email) and deleted_at is null;
        if not found then
            raise exception 'could not create a user for this address, retry' using errcode = 'XP409';
        end if;
    end if;
    return v_user;
end;
$$;
""",
    'auth/user_json.sql': """-- drop: drop function if exists auth.user_json(app.users);
-- The private view of a user (GET /users/me and TokenPair.user).
create or replace function auth.user_json(u app.users)
returns jsonb
language sql
immutable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'email', u.email,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'discord_id', u.discord_id,
        'roles', to_jsonb(u.roles),
        'created_at', u.created_at
    );
$$;
""",
    'users/user_delete.sql': """-- drop: drop function if exists app.user_delete(uuid);
-- DELETE /users/me: erase personal data, keep the row (ledgers keep pointing at it, now
-- anonymous), end every session and identity, revoke keys the user created.
create or replace function app.user_delete(p_id uuid)
returns boolean
language plpgsql
volatile
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
""",
    'users/user_lookup.sql': """-- drop: drop function if exists app.user_lookup(uuid, text);
-- For trusted services (API key scope users:read): a live user by id or Discord id.
create or replace function app.user_lookup(p_id uuid, p_discord_id text)
returns jsonb
language sql
stable
as $$
    select auth.user_json(u) from app.users u
    where u.deleted_at is null
      and ((p_id is not null and u.id = p_id) or (p_id is null and u.discord_id = p_discord_id));
$$;
""",
    'users/user_me.sql': """-- drop: drop function if exists app.user_me(uuid);
create or replace function app.user_me(p_id uuid)
returns jsonb
language sql
stable
as $$
    select auth.user_json(u) from app.users u where u.id = p_id and u.deleted_at is null;
$$;
""",
    'users/user_roles.sql': """-- drop: drop function if exists app.user_grant_role(text, text);
-- Operators: give the user with this e-mail a role (created if the address is new).
create or replace function app.user_grant_role(p_email text, p_role text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_id uuid := (auth.user_for_email(p_email)).id;  -- its own statement, so the update sees a new row
    v_user jsonb;
begin
    update app.users u set roles = array(select distinct r from unnest(u.roles || p_role) r order by r), updated_at = now()
    where u.id = v_id
    returning auth.user_json(u) into v_user;
    return v_user;
end;
$$;
""",
    'users/user_update.sql': """-- drop: drop function if exists app.user_update(uuid, jsonb);
-- PATCH /users/me: only the fields present in p_patch change; a taken username is a 409
-- (the unique index raises 23505, which the API maps to 409).
create or replace function app.user_update(p_id uuid, p_patch jsonb)
returns jsonb
language sql
volatile
as $$
    update app.users u set
        username     = case when p_patch ? 'username' then p_patch->>'username' else u.username end,
        display_name = case when p_patch ? 'display_name' then p_patch->>'display_name' else u.display_name end,
        avatar_url   = case when p_patch ? 'avatar_url' then p_patch->>'avatar_url' else u.avatar_url end,
        bio          = case when p_patch ? 'bio' then p_patch->>'bio' else u.bio end,
        updated_at   = now()
    where u.id = p_id and u.deleted_at is null
    returning auth.user_json(u);
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'auth/api_key_create.sql': None,
    'auth/api_key_lookup.sql': None,
    'auth/api_key_revoke.sql': None,
    'auth/api_key_touch.sql': None,
    'auth/api_keys_list.sql': None,
    'auth/family_revoke.sql': None,
    'auth/otp_store.sql': None,
    'auth/otp_verify.sql': None,
    'auth/refresh_issue.sql': None,
    'auth/refresh_rotate.sql': None,
    'auth/unique_username.sql': None,
    'auth/user_for_email.sql': None,
    'auth/user_json.sql': None,
    'users/user_delete.sql': None,
    'users/user_lookup.sql': None,
    'users/user_me.sql': None,
    'users/user_roles.sql': None,
    'users/user_update.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
