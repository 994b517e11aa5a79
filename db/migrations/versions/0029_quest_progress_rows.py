"""engage quests: one progress row per (user, period), not one per (user, quest, period) (issue 16, the bench goal)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 13:00:00 UTC

With 10 quests a user, an award rewrote 2-5 `engage.quest_assignments` rows (a new heap tuple
each, on an 80 MB table at 100,000 users) and the award with quests ran at 47-61% of the award
without (bench/results/engage.md). Now a user's quests of one period are one row of
`engage.quest_progress`: parallel arrays, one element per quest (its id, the goal and reward
copied when assigned, its progress, completion time and completing event). An award writes at
most two rows (its daily and weekly ones), one statement for both.

Element i of every array is one quest; `open` counts the elements not completed, so a period
whose quests are all done is skipped without reading its arrays. What paid a quest's XP is the
ledger row of its idempotency key (quest:<user>:<quest key>:<period key>), so no column keeps it.

Streak achievements keep no engage.progress row any more (a new longest run only probes the
tiers it crossed, engage.streak_day); their rows go here.

`engage.quest_assignments` becomes a view of one row per quest (db/functions/engage/
quest_assignments.sql), for readers and analytics. The existing assignments are carried over
(grouped by user, period and period key, in quest id order). Roll-forward only, as every xpcore
revision (tests/test_migrations.py refuses a downgrade); REVERSE below is the SQL that a later
revision undoing this would run (tests/sql/test_quests.py runs it and the forward insert both
ways on real rows).
"""

from src.migrations import roll_forward_only, run_sql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

SCHEMA = """
create table engage.quest_progress (
    user_id       uuid not null references app.users (id) on delete cascade,
    period        text not null check (period in ('daily', 'weekly')),
    period_key    text not null,  -- the local date '2026-12-03', or the ISO week '2026-W49'
    starts_at     timestamptz not null,
    expires_at    timestamptz not null,
    assigned_at   timestamptz not null default now(),
    -- One element per quest, element i of every array being one quest (the functions that
    -- write them build them together; a CHECK comparing their lengths cost each award's update
    -- a third of its CPU). The goal and the reward as they were when assigned:
    quest_ids     bigint[] not null,
    kinds         text[] not null,
    modes         text[] not null,
    activity_keys text[] not null,
    targets       numeric[] not null,
    reward_xp     integer[] not null,
    reward_coins  integer[] not null,
    -- and what awards change, last: an update on the same page logs only the changed suffix.
    progress      numeric[] not null,
    completed_at  timestamptz[] not null,
    event_ids     bigint[] not null,  -- the ledger row that completed each (null: open)
    open          smallint not null,  -- elements not completed yet
    primary key (user_id, period_key),  -- daily and weekly keys never collide
    check (expires_at > starts_at)
) with (fillfactor = 50);
-- An award updates progress, completed_at, event_ids and open (no indexed column): room on the
-- page keeps that a HOT update (no index entries). The hook's probe: the user's rows whose
-- period has not ended.
create index quest_progress_current on engage.quest_progress (user_id, expires_at);
comment on table engage.quest_progress is
    'per user and quest period: the quests assigned, one array element each (engage.quest_assignments: one row per quest)';

insert into engage.quest_progress (user_id, period, period_key, starts_at, expires_at, assigned_at,
                                   quest_ids, kinds, modes, activity_keys, targets, reward_xp, reward_coins,
                                   progress, completed_at, event_ids, open)
select a.user_id, a.period, a.period_key, min(a.starts_at), min(a.expires_at), min(a.assigned_at),
       array_agg(a.quest_id order by a.quest_id), array_agg(a.kind order by a.quest_id),
       array_agg(a.mode order by a.quest_id), array_agg(a.activity_key order by a.quest_id),
       array_agg(a.target order by a.quest_id), array_agg(a.reward_xp order by a.quest_id),
       array_agg(a.reward_coins order by a.quest_id), array_agg(a.value order by a.quest_id),
       array_agg(a.completed_at order by a.quest_id), array_agg(a.event_id order by a.quest_id),
       count(*) filter (where a.completed_at is null)
  from engage.quest_assignments a
 group by a.user_id, a.period, a.period_key;

-- The view that reads the old table goes with it; db/functions recreates it on the new one
-- (analytics/quest_completion.sql changed with this revision, so the sync applies it again).
drop view if exists analytics.quest_completion;
drop table engage.quest_assignments;

-- Streak achievements read their progress from engage.streaks (the longest run), as the totals
-- kinds read xp.totals: their engage.progress rows go (the tiers they unlocked stay).
delete from engage.progress p using engage.achievements a where a.id = p.achievement_id and a.kind = 'streak';
"""

# What a revision undoing this would run (before dropping the view engage.quest_assignments and
# its readers): the one-row-per-quest table back, filled from the arrays.
REVERSE = """
create table engage.quest_assignments_rows (
    user_id         uuid not null references app.users (id) on delete cascade,
    quest_id        bigint not null references engage.quests (id) on delete cascade,
    period          text not null check (period in ('daily', 'weekly')),
    period_key      text not null,
    starts_at       timestamptz not null,
    expires_at      timestamptz not null,
    kind            text not null,
    mode            text,
    activity_key    text,
    target          numeric not null,
    reward_xp       integer not null,
    reward_coins    integer not null,
    value           numeric not null default 0,
    assigned_at     timestamptz not null default now(),
    completed_at    timestamptz,
    event_id        bigint,
    reward_event_id bigint,
    primary key (user_id, quest_id, period_key),
    check (expires_at > starts_at)
) with (fillfactor = 60);
insert into engage.quest_assignments_rows
select user_id, quest_id, period, period_key, starts_at, expires_at, kind, mode, activity_key, target,
       reward_xp, reward_coins, value, assigned_at, completed_at, event_id, reward_event_id
  from engage.quest_assignments;
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
