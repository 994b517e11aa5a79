"""leagues: the season's close in batches of cohorts, each its own transaction (issue 17)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 12:00:00 UTC

`leagues.closing` is the progress cursor of a close that has begun and not ended, one row per
(season, mode): the phase (the cohorts, then the placed users who did not play) and how far it
got. `leagues.close_batch` advances it one batch per transaction, so a close of a million
members is about 140 short transactions the awards run between, and a crash resumes where the
last batch committed. The cohorts of a season and mode are walked in id order
(`cohorts_by_season`), and the first joins that waited for a close are seated oldest first, a
batch at a time (`pending_by_time`: a close of a million members with awards running left a
quarter of a million of them).

`leagues.results` drops its three foreign keys: each result row is derived from a member row
(which references the season, the user and the cohort) or from a placement (which references
the user), and the per-row checks were a third of the time of writing the results (1M rows:
three index probes and a row lock on the user, season and cohort each), and its index by
cohort, which nothing reads. Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

SCHEMA = """
create table leagues.closing (
    season_id    text not null,
    mode         text not null check (mode in ('reality', 'cyber')),
    phase        text not null default 'cohorts' check (phase in ('cohorts', 'inactive')),
    after_cohort bigint not null default 0,
    after_user   uuid,
    batches      integer not null default 0,
    started_at   timestamptz not null default now(),
    primary key (season_id, mode)
);
comment on table leagues.closing is 'League closes under way: the progress cursor of each (season, mode), deleted when its close is recorded in leagues.closes';

create index cohorts_by_season on leagues.cohorts (season_id, mode, id);
-- the waiting joins, oldest first: leagues.seat_pending takes them a batch at a time
create index pending_by_time on leagues.pending (at);

alter table leagues.results drop constraint results_season_id_fkey;
alter table leagues.results drop constraint results_user_id_fkey;
alter table leagues.results drop constraint results_cohort_id_fkey;
drop index leagues.results_cohort;
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
