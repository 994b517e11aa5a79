"""foundation: users, heartbeats

Revision ID: 0001
Revises: None
Create Date: 2026-11-22 23:05:10 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema if not exists app;
comment on schema app is 'xpcore core objects: users and operational state';

create table app.users (
    id           uuid primary key default gen_random_uuid(),
    username     text not null,
    display_name text,
    email        text,
    avatar_url   text,
    bio          text,
    discord_id   text,
    roles        text[] not null default '{user}',
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    deleted_at   timestamptz,
    constraint users_username_format check (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    constraint users_roles_known check (roles <@ array['user', 'admin']::text[]),
    constraint users_bio_length check (char_length(bio) <= 500),
    constraint users_display_name_length check (char_length(display_name) <= 64)
);
create unique index users_username_key on app.users (lower(username));
create unique index users_email_key on app.users (lower(email)) where email is not null;
create unique index users_discord_id_key on app.users (discord_id) where discord_id is not null;

create table app.heartbeats (
    name    text primary key,
    beat_at timestamptz not null,
    beats   bigint not null default 0
);
"""

SCHEMA_DOWN = """
drop table app.heartbeats;
drop table app.users;
drop schema app;
"""

FUNCTIONS: dict[str, str] = {
    'app/beat.sql': """-- drop: drop function if exists app.beat(text);
-- Records that a periodic job ran: one row per job name, upserted in one statement.
create or replace function app.beat(p_name text)
returns timestamptz
language sql
volatile
as $$
    insert into app.heartbeats (name, beat_at, beats)
    values (p_name, now(), 1)
    on conflict (name) do update
        set beat_at = excluded.beat_at,
            beats = app.heartbeats.beats + 1
    returning beat_at;
$$;
""",
    'app/user_public.sql': """-- drop: drop function if exists app.user_public(text);
-- The public face of a user, by username (case-insensitive); null when unknown or deleted.
create or replace function app.user_public(p_username text)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'created_at', u.created_at
    )
    from app.users u
    where lower(u.username) = lower(p_username)
      and u.deleted_at is null;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'app/beat.sql': None,
    'app/user_public.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
