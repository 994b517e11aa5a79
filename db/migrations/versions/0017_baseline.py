"""baseline: the schema of 0.1.0 (squashes revisions 0001-0017)

Revision ID: 0017
Revises: None
Create Date: 2026-12-02 19:30:00 UTC

Tables, indexes, roles and installation state only. Functions, views and triggers are not
here: they live in db/functions and are applied after the revisions (src/migrations.py). The
id 0017 is the head of the chain this baseline replaces, so a database built before the
squash is already at the baseline and upgrades without a reset. Roll-forward only: a change
is a new revision, never a downgrade.
"""

from src.migrations import run_sql, roll_forward_only

revision = "0017"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = """
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
    fanned_at  timestamptz,  -- when push deliveries were created (notify.fan_out)
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
    revoked_reason text,
    last_used_at   timestamptz
);
create index refresh_families_user on auth.refresh_families (user_id);

create table auth.refresh_tokens (
    id         uuid primary key default gen_random_uuid(),
    family_id  uuid not null references auth.refresh_families (id) on delete cascade,
    parent_id  uuid references auth.refresh_tokens (id) on delete set null,
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at    timestamptz,
    successor_sealed text
);
create index refresh_tokens_family on auth.refresh_tokens (family_id);
create index refresh_tokens_parent on auth.refresh_tokens (parent_id);

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

create schema xp;
comment on schema xp is 'xpcore XP engine: activities, the ledger, totals, levels, layers, seasons';

create table xp.activity_types (
    key             text primary key check (key ~ '^[a-z][a-z0-9_]{1,63}$'),
    name            text not null check (char_length(name) between 1 and 100),
    unit            text not null check (char_length(unit) between 1 and 32),
    xp_per_unit     numeric(12, 4) not null check (xp_per_unit > 0),
    mode            text not null check (mode in ('reality', 'cyber')),
    daily_cap_units numeric(14, 4) check (daily_cap_units > 0),
    self_report     boolean not null default false,
    active          boolean not null default true,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

create table xp.level_curve (
    level       integer primary key check (level >= 1),
    xp_required bigint not null unique check (xp_required >= 0)
);

create table xp.layers (
    code      text primary key,
    name      text not null,
    mode      text not null check (mode in ('reality', 'cyber')),
    min_level integer not null check (min_level >= 1),
    position  integer not null,
    unique (mode, position)
);

create table xp.seasons (
    id        text primary key check (id ~ '^[0-9]{4}-[0-9]{2}$'),
    starts_at timestamptz not null,
    ends_at   timestamptz not null,
    status    text not null check (status in ('upcoming', 'active', 'closed')),
    closed_at timestamptz
);

-- The append-only ledger, partitioned by month of occurred_at. Nothing updates or deletes a
-- row; a correction is a compensating row. Uniqueness of (source, key) lives in
-- xp.idempotency because a partitioned table's unique keys must include occurred_at.
-- No foreign keys: they would cost every award two lookups and a KEY SHARE lock on the
-- activity's row, the same row for every concurrent award of it (a MultiXact each). xp.book
-- is the only writer and checks both first: the user under the lock of its totals row (whose
-- foreign key stays), the activity in xp.award. Users and activities are never deleted.
create table xp.ledger (
    id              bigint generated always as identity,
    user_id         uuid not null,
    activity_key    text,
    source          text not null check (source in ('activity', 'self_report', 'bot', 'challenge', 'adjustment', 'purchase')),
    mode            text check (mode in ('reality', 'cyber')),
    units           numeric(14, 4),
    xp              integer not null,
    idempotency_key text not null,
    occurred_at     timestamptz not null,
    created_at      timestamptz not null default now(),
    metadata        jsonb not null default '{}'::jsonb,
    season_id       text not null,
    primary key (id, occurred_at)
) partition by range (occurred_at);
create table xp.ledger_default partition of xp.ledger default;
create index ledger_user on xp.ledger (user_id, id desc);
create index ledger_day on xp.ledger (occurred_at);

create table xp.idempotency (
    source          text not null,
    idempotency_key text not null,
    user_id         uuid not null,
    event_id        bigint,
    result          jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null default now(),
    request_hash    bytea,  -- sha256 of the request: a reused key with another body is 409
    primary key (source, idempotency_key)
);

-- Per-user totals, always equal to the ledger sums (maintained by xp.apply under a row lock).
create table xp.totals (
    user_id       uuid primary key references app.users (id),
    total_xp      bigint not null default 0 check (total_xp >= 0),
    level         integer not null default 1,
    reality_xp    bigint not null default 0 check (reality_xp >= 0),
    reality_level integer not null default 1,
    reality_layer text,
    cyber_xp      bigint not null default 0 check (cyber_xp >= 0),
    cyber_level   integer not null default 1,
    cyber_layer   text,
    reached_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index totals_rank on xp.totals (total_xp desc, reached_at, user_id);

create table xp.daily_usage (
    user_id      uuid not null,
    activity_key text not null,
    day          date not null,
    units        numeric(16, 4) not null default 0,
    primary key (user_id, activity_key, day)
);

-- Season score per (season, mode, user), maintained by every award; ranked by xp desc, then
-- whoever reached that XP first, then user id.
create table xp.season_scores (
    season_id  text not null references xp.seasons (id),
    mode       text not null check (mode in ('reality', 'cyber')),
    user_id    uuid not null references app.users (id),
    xp         bigint not null default 0 check (xp >= 0),
    reached_at timestamptz not null,
    primary key (season_id, mode, user_id)
);
create index season_scores_rank on xp.season_scores (season_id, mode, xp desc, reached_at, user_id);

-- Rank snapshots, rebuilt by a job beside the live scores (xp.rebuild_board): four fixed slot
-- tables read with static SQL; xp.rank_generations points each board (season, mode) at the
-- slot holding its current generation, so a rebuild never blocks or confuses readers. Derived
-- data, rebuilt every few seconds: unlogged (no WAL); after a crash they are empty until the
-- next rebuild and ranks are counted live meanwhile.
create sequence xp.rank_generation;
create unlogged table xp.rank_generations (
    season_id    text not null,
    mode         text not null check (mode in ('reality', 'cyber')),
    generation   bigint not null,
    generated_at timestamptz not null,
    rows         bigint not null,
    slot         integer not null check (slot between 1 and 4),
    spare_slot   integer check (spare_slot between 1 and 4),
    primary key (season_id, mode)
);
create unlogged table xp.rank_slot_1 (rank bigint, neg_xp bigint, reached_at timestamptz, user_id uuid,
                                      xp bigint, username text, display_name text, avatar_url text, level integer);
create unlogged table xp.rank_slot_2 (like xp.rank_slot_1);
create unlogged table xp.rank_slot_3 (like xp.rank_slot_1);
create unlogged table xp.rank_slot_4 (like xp.rank_slot_1);

create schema seasons;
comment on schema seasons is 'xpcore seasons and leaderboards: the read side of xp.season_scores and xp.totals';
create schema analytics;
comment on schema analytics is 'Stable read-only views for BI tools; the role xpcore_bi reads these and nothing else';

-- Final standings, frozen when a season closes (seasons.close).
create table seasons.final_standings (
    season_id text not null references xp.seasons (id),
    mode      text not null check (mode in ('reality', 'cyber')),
    user_id   uuid not null references app.users (id),
    rank      bigint not null,
    xp        bigint not null,
    primary key (season_id, mode, user_id)
);
create index final_standings_rank on seasons.final_standings (season_id, mode, rank);

-- Roles are cluster-wide: create the BI group role once, grant per database.
do $do$
begin
    if not exists (select from pg_roles where rolname = 'xpcore_bi') then
        create role xpcore_bi nologin;
    end if;
end
$do$;
alter default privileges in schema analytics grant select on tables to xpcore_bi;

-- Push tokens: one owner at a time.
create table notify.devices (
    token        text primary key check (char_length(token) between 10 and 4096),
    user_id      uuid not null references app.users (id) on delete cascade,
    platform     text not null check (platform in ('android', 'ios', 'web')),
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz not null default now()
);
create index devices_user on notify.devices (user_id);

-- Admin broadcasts, fanned out in batches by a job (cursor_user_id: how far it got).
create table notify.broadcasts (
    id             bigint generated always as identity primary key,
    created_by     uuid references app.users (id) on delete set null,
    title          text not null check (char_length(title) between 1 and 200),
    body           text not null check (char_length(body) <= 2000),
    data           jsonb not null default '{}'::jsonb,
    created_at     timestamptz not null default now(),
    cursor_user_id uuid,
    users          bigint not null default 0,
    done_at        timestamptz
);
create index broadcasts_pending on notify.broadcasts (id) where done_at is null;

-- Push delivery: one row per (notification, device token), acknowledged one by one.
create index outbox_to_fan_out on notify.outbox (id) where fanned_at is null;
create table notify.deliveries (
    outbox_id       bigint not null references notify.outbox (id) on delete cascade,
    token           text not null,
    state           text not null default 'pending' check (state in ('pending', 'sent', 'failed', 'dead')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    claimed_until   timestamptz,
    sent_at         timestamptz,
    message_id      text,
    last_error      text,
    primary key (outbox_id, token)
);
create index deliveries_due on notify.deliveries (next_attempt_at, outbox_id) where state = 'pending';

create schema store;
comment on schema store is 'xpcore coins and store: wallet ledger, catalog, inventory, coin packs';

-- Balance never negative; a refund that cannot be taken back in full becomes a debt that
-- blocks spending until later credits pay it.
create table store.wallets (
    user_id    uuid primary key references app.users (id),
    balance    bigint not null default 0 check (balance >= 0),
    debt       bigint not null default 0 check (debt >= 0),
    updated_at timestamptz not null default now()
);

-- Append-only coin movements; the sum of a user's amounts is balance - debt.
create table store.coin_ledger (
    id              bigint generated always as identity primary key,
    user_id         uuid not null references app.users (id),
    amount          integer not null check (amount <> 0),
    source          text not null check (source in ('payment', 'challenge', 'admin', 'bonus', 'purchase', 'refund')),
    idempotency_key text not null,
    metadata        jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null default now(),
    unique (source, idempotency_key)
);
create index coin_ledger_user on store.coin_ledger (user_id, id desc);

create table store.items (
    id          bigint generated always as identity primary key,
    slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    name        text not null,
    description text not null default '',
    category    text not null check (category in ('theme', 'font', 'effect', 'victory_animation', 'title', 'avatar_frame')),
    price_coins integer not null check (price_coins >= 0),
    data        jsonb not null default '{}'::jsonb,
    active      boolean not null default true,
    featured    boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table store.inventory (
    user_id     uuid not null references app.users (id),
    item_id     bigint not null references store.items (id),
    acquired_at timestamptz not null default now(),
    primary key (user_id, item_id)
);

create table store.equipped (
    user_id     uuid not null references app.users (id),
    category    text not null,
    item_id     bigint not null references store.items (id),
    equipped_at timestamptz not null default now(),
    primary key (user_id, category)
);

create table store.coin_packs (
    id           text primary key,
    amount_paise integer not null check (amount_paise > 0),
    currency     text not null default 'INR',
    coins        integer not null check (coins > 0),
    active       boolean not null default true
);

-- Our order for a coin pack; Razorpay's order id is attached once it exists.
create table store.payment_orders (
    id                uuid primary key default gen_random_uuid(),
    user_id           uuid not null references app.users (id),
    pack_id           text not null references store.coin_packs (id),
    amount_paise      integer not null check (amount_paise > 0),
    currency          text not null,
    coins             integer not null check (coins > 0),
    razorpay_order_id text unique,
    status            text not null default 'creating' check (status in ('creating', 'created', 'paid', 'refunded')),
    payment_id        text unique,
    credited_via      text,
    created_at        timestamptz not null default now(),
    paid_at           timestamptz
);
create index payment_orders_pending on store.payment_orders (created_at) where status = 'created';

-- Webhook deliveries already handled (Razorpay retries and may send an event twice).
create table store.webhook_events (
    event_id    text primary key,
    event       text not null,
    received_at timestamptz not null default now()
);

create schema challenges;
comment on schema challenges is 'xpcore coding challenges: catalog, hidden tests for the judge, per-user progress';

create table challenges.challenges (
    id             bigint generated always as identity primary key,
    slug           text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    title          text not null,
    description_md text not null,
    starter_code   text not null,
    hidden_tests   text not null,
    position       integer not null unique check (position >= 1),
    xp_reward      integer not null check (xp_reward > 0),
    coin_reward    integer not null default 0 check (coin_reward >= 0),
    target_time_s  integer not null default 600 check (target_time_s > 0),
    active         boolean not null default true,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

create table challenges.progress (
    user_id      uuid not null references app.users (id),
    challenge_id bigint not null references challenges.challenges (id),
    started_at   timestamptz,
    completed_at timestamptz,
    best_stars   integer check (best_stars between 1 and 3),
    hints_used   integer,
    attempts     integer not null default 0,
    primary key (user_id, challenge_id)
);

-- Board cursors are signed (seasons.board_mac, HMAC-SHA256): this installation's secret, 32
-- bytes hashed from three gen_random_uuid() (366 random bits of pg_strong_random), kept as the
-- two HMAC-padded keys (K xor 0x36.., K xor 0x5c.., 64 bytes each). Materialized: evaluated
-- once, so both pads come from the same K.
create table seasons.cursor_secret (
    one       boolean primary key default true check (one),
    inner_key bytea not null check (length(inner_key) = 64),
    outer_key bytea not null check (length(outer_key) = 64)
);
revoke all on seasons.cursor_secret from public;
with k as materialized (
    select sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))
           || decode(repeat('00', 32), 'hex') as key
)
insert into seasons.cursor_secret (inner_key, outer_key)
select decode(string_agg(lpad(to_hex(get_byte(k.key, i) # 54), 2, '0'), '' order by i), 'hex'),
       decode(string_agg(lpad(to_hex(get_byte(k.key, i) # 92), 2, '0'), '' order by i), 'hex')
from k, generate_series(0, 63) as i;
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
