"""engage schema: achievements, tiers, progress and unlocks (issue 16, achievements)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:53:58 UTC

Achievements are data operators edit: a rule (kind + params) and tiers (thresholds). Progress
is one row per (user, achievement), updated in the transaction of the event that moves it
(engage.on_award, on_challenge, on_purchase, on_season_close). An unlocked tier is one row,
unique per (user, achievement, tier): the constraint is what makes an unlock happen once, with
its one notification and coin credit. The outbox learns the kind 'achievement_unlocked'.
Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SCHEMA = """
create schema engage;
comment on schema engage is 'xpcore engagement: achievements (rules as data), progress and unlocks';

create table engage.achievements (
    id           bigint generated always as identity primary key,
    key          text not null unique check (key ~ '^[a-z0-9][a-z0-9_-]{1,63}$'),
    name         text not null check (char_length(name) between 1 and 100),
    description  text not null default '' check (char_length(description) <= 500),
    icon         text check (char_length(icon) <= 200),
    mode         text check (mode in ('reality', 'cyber')),
    hidden       boolean not null default false,
    reward_coins integer not null default 0 check (reward_coins between 0 and 1000000),
    active       boolean not null default true,
    -- The rule: what moves progress (docs/engagement.md lists the kinds and their params).
    kind         text not null check (kind in (
        'total_xp', 'mode_xp', 'level', 'layer', 'activity_events', 'activity_units',
        'challenges_completed', 'challenge_stars', 'season_rank', 'purchases')),
    params       jsonb not null default '{}'::jsonb check (jsonb_typeof(params) = 'object'),
    -- The activity an activity rule counts, kept as a column for the hot path's index.
    activity_key text generated always as (params ->> 'activity') stored,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint achievements_mode_needed check (kind not in ('mode_xp', 'layer', 'season_rank') or mode is not null),
    constraint achievements_activity_needed check (kind not in ('activity_events', 'activity_units') or activity_key is not null)
);
-- xp.book asks only for the achievements an award can move: by kind, mode and activity.
create index achievements_by_rule on engage.achievements (kind, activity_key, mode) where active;

create table engage.tiers (
    achievement_id bigint not null references engage.achievements (id) on delete cascade,
    tier           smallint not null check (tier between 1 and 10),
    name           text not null check (char_length(name) between 1 and 30),
    threshold      numeric not null check (threshold > 0),
    primary key (achievement_id, tier)
);

create table engage.progress (
    user_id        uuid not null references app.users (id) on delete cascade,
    achievement_id bigint not null references engage.achievements (id) on delete cascade,
    value          numeric not null default 0,
    tier           smallint not null default 0,  -- the highest tier unlocked
    updated_at     timestamptz not null default now(),
    primary key (user_id, achievement_id)
);
create index progress_achievement on engage.progress (achievement_id);

create table engage.unlocks (
    user_id        uuid not null references app.users (id) on delete cascade,
    achievement_id bigint not null references engage.achievements (id) on delete cascade,
    tier           smallint not null,
    unlocked_at    timestamptz not null default now(),
    event_id       bigint,  -- the ledger row that unlocked it, when an award did
    primary key (user_id, achievement_id, tier)
);
create index unlocks_achievement on engage.unlocks (achievement_id, tier);

-- Back-fills of a rule added later: where each got to (users in id order), so a job resumes.
create table engage.backfills (
    achievement_id bigint primary key references engage.achievements (id) on delete cascade,
    after_user     uuid,
    users_done     bigint not null default 0,
    started_at     timestamptz not null default now(),
    done_at        timestamptz
);

alter table notify.outbox drop constraint outbox_kind_known;
alter table notify.outbox add constraint outbox_kind_known check (kind in (
    'level_up', 'layer_up', 'season_final_standing', 'purchase_completed',
    'payment_credited', 'broadcast', 'challenge_completed', 'achievement_unlocked'
));
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
