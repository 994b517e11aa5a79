"""engage quests: a pool of daily and weekly quests, assigned per user and period (issue 16, quests)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 12:00:00 UTC

A quest is data operators edit (`engage.quests`): a goal over an award (a kind, its params and
a target), a period ('daily' or 'weekly'), a reward in XP (ledger source `quest`, allowed by
0021) and coins, and a weight in the draw. Each user gets `engage.quest_settings.per_user`
quests of each period from the active pool, drawn deterministically from (user, period key,
quest key), when the period is first needed (the first award in it, or a read).

An assignment is one row per (user, quest, period key): the primary key is what makes a
completion, with its XP, coins and notification, happen once. It copies the goal and the
reward when it is made, so the award hook reads one index range of its own rows and nothing
else, and an operator's edit applies from the next period. Its absolute bounds (`starts_at`,
`expires_at`, the period's local midnight in the user's time zone then) say which events count.
Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SCHEMA = """
create table engage.quests (
    id           bigint generated always as identity primary key,
    key          text not null unique check (key ~ '^[a-z0-9][a-z0-9_-]{1,63}$'),
    name         text not null check (char_length(name) between 1 and 100),
    description  text not null default '' check (char_length(description) <= 500),
    icon         text check (char_length(icon) <= 200),
    period       text not null check (period in ('daily', 'weekly')),
    mode         text check (mode in ('reality', 'cyber')),
    -- The goal: what an award adds (docs/engagement.md, Quests) and how much is needed.
    kind         text not null check (kind in (
        'total_xp', 'mode_xp', 'activity_events', 'activity_units', 'challenges_completed')),
    params       jsonb not null default '{}'::jsonb check (jsonb_typeof(params) = 'object'),
    activity_key text generated always as (params ->> 'activity') stored,
    target       numeric not null check (target > 0 and target <= 1000000000),
    reward_xp    integer not null default 0 check (reward_xp between 0 and 1000000),
    reward_coins integer not null default 0 check (reward_coins between 0 and 1000000),
    weight       numeric not null default 1 check (weight > 0 and weight <= 1000),
    active       boolean not null default true,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint quests_mode_needed check (kind <> 'mode_xp' or mode is not null),
    constraint quests_activity_needed check (kind <> 'activity_units' or activity_key is not null)
);
create index quests_pool on engage.quests (period) where active;

-- How many quests of each period a user gets (0: none of that period).
create table engage.quest_settings (
    period   text primary key check (period in ('daily', 'weekly')),
    per_user smallint not null check (per_user between 0 and 20)
);
insert into engage.quest_settings (period, per_user) values ('daily', 3), ('weekly', 3);

create table engage.quest_assignments (
    user_id         uuid not null references app.users (id) on delete cascade,
    quest_id        bigint not null references engage.quests (id) on delete cascade,
    period          text not null check (period in ('daily', 'weekly')),
    period_key      text not null,  -- the local date '2026-12-03', or the ISO week '2026-W49'
    starts_at       timestamptz not null,
    expires_at      timestamptz not null,
    -- The goal and the reward as they were when assigned.
    kind            text not null,
    mode            text,
    activity_key    text,
    target          numeric not null,
    reward_xp       integer not null,
    reward_coins    integer not null,
    value           numeric not null default 0,
    assigned_at     timestamptz not null default now(),
    completed_at    timestamptz,
    event_id        bigint,  -- the ledger row that completed it
    reward_event_id bigint,  -- the ledger row (source quest) that paid its XP
    primary key (user_id, quest_id, period_key),
    check (expires_at > starts_at)
) with (fillfactor = 60);
-- Every award that moves a quest updates its row (value, completed_at: no indexed column), so
-- pages keep room for the new version on the same page (a HOT update: no index entries, the
-- old version pruned on the next visit). With the default 100 nearly no update was HOT.
-- The award hook's one probe: the user's rows whose period has not ended. No index leads with
-- quest_id: the hook's update by primary key must not be planned on one (a generic plan chose
-- it over the key before the table had statistics); retiring a quest and the analytics view
-- read the whole table, and are rare.
create index quest_assignments_current on engage.quest_assignments (user_id, expires_at);
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
