"""engage: daily streaks per user and mode, and the close job's record per (time zone, day) (issue 16)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 12:00:00 UTC

One row per (user, mode) in engage.streaks: the current run's length, the longest, the freezes
held and the last local day the run covers (active or frozen), in the user's time zone (kept in
`tz`, the zone that day was counted in, which is the zone the close job settles the row in).
engage.on_streak (a one-line hook in xp.book) and the check-in move it; the daily close job
(engage.streak_close) spends freezes or resets runs whose last day is before yesterday.
engage.streak_closes holds one row per (time zone, local day) the job settled: its primary key
is what makes a day close once. Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

SCHEMA = """
create table engage.streaks (
    user_id     uuid not null references app.users (id) on delete cascade,
    mode        text not null check (mode in ('reality', 'cyber')),
    current     integer not null default 0 check (current >= 0),
    longest     integer not null default 0 check (longest >= current),
    freezes     smallint not null default 0 check (freezes between 0 and 2),
    last_day    date not null,  -- the last local day the run covers: active, or frozen by the close job
    last_active date not null,  -- the last local day with a qualifying event or check-in
    run_start   date not null,  -- the first day of the current run: milestones notify once per run
    tz          text not null,  -- the time zone last_day was counted in; the close job settles the row in it
    updated_at  timestamptz not null default now(),
    primary key (user_id, mode)
);
comment on table engage.streaks is 'Daily streaks per user and mode (docs/engagement.md, Streaks)';
-- The close job: the live runs of one time zone whose last day is before the day it closes.
create index streaks_to_close on engage.streaks (tz, last_day) where current > 0;

create table engage.streak_closes (
    tz         text not null,
    day        date not null,  -- the local day that ended
    streaks    bigint not null default 0,  -- rows settled so far (a freeze spent or a reset)
    started_at timestamptz not null default now(),
    closed_at  timestamptz,  -- null: still in progress (the next run resumes it)
    primary key (tz, day)
);
comment on table engage.streak_closes is 'Local days the streak close job settled, one per time zone and day';
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
