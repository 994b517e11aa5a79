"""notification outbox core

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:17:39 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema notify;
comment on schema notify is 'xpcore notifications: the transactional outbox, feed and push delivery';

-- One row per notification: the in-app feed item (read_at) and the push to deliver.
create table notify.outbox (
    id         bigint generated always as identity primary key,
    user_id    uuid not null references app.users (id) on delete cascade,
    kind       text not null,
    title      text not null,
    body       text not null,
    data       jsonb not null default '{}'::jsonb,
    dedupe_key text,
    created_at timestamptz not null default now(),
    read_at    timestamptz,
    constraint outbox_kind_known check (kind in (
        'level_up', 'layer_up', 'season_final_standing', 'purchase_completed',
        'payment_credited', 'broadcast', 'challenge_completed'
    )),
    constraint outbox_title_length check (char_length(title) between 1 and 200),
    constraint outbox_body_length check (char_length(body) <= 2000)
);
create unique index outbox_dedupe_key on notify.outbox (user_id, kind, dedupe_key) where dedupe_key is not null;
create index outbox_feed on notify.outbox (user_id, id desc);
create index outbox_unread on notify.outbox (user_id, id) where read_at is null;
"""

SCHEMA_DOWN = """
drop table notify.outbox;
drop schema notify;
"""

FUNCTIONS: dict[str, str] = {
    'notify/enqueue.sql': """-- drop: drop function if exists notify.enqueue(uuid, text, text, text, jsonb, text);
-- Writes one notification to the outbox, in the caller's transaction, so it exists exactly
-- when the event that caused it commits. A repeated (user, kind, dedupe_key) is a no-op
-- returning null: replays of the same event never notify twice. pg_notify is delivered on
-- commit only, which wakes the delivery worker without polling.
create or replace function notify.enqueue(
    p_user_id uuid,
    p_kind text,
    p_title text,
    p_body text,
    p_data jsonb default '{}'::jsonb,
    p_dedupe_key text default null
)
returns bigint
language plpgsql
volatile
as $$
declare
    v_id bigint;
begin
    insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
    values (p_user_id, p_kind, p_title, p_body, coalesce(p_data, '{}'::jsonb), p_dedupe_key)
    on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing
    returning id into v_id;
    if v_id is not null then
        perform pg_notify('xpcore_outbox', v_id::text);
    end if;
    return v_id;
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'notify/enqueue.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
