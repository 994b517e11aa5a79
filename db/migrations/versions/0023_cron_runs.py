"""cron runs: one row per (job, tick), so a cron tick runs once across any number of workers (issue 18)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 12:00:00 UTC

SAQ's `unique=True` keeps one job per cron function in Redis while it is queued or running,
but a worker whose schedule loop enqueues the same tick after another worker already finished
it (a clock behind, a slow loop) runs that tick again. `app.cron_claim` inserts the
(job, tick) row first; a second claimer of the same tick gets nothing and skips
(src/worker/ticks.py). The rows are also the record of what ran, where and when; each claim
prunes its job's rows older than a day.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

SCHEMA = """
create table app.cron_runs (
    job text not null check (char_length(job) between 1 and 200),
    tick timestamptz not null,
    worker text not null default '',
    started_at timestamptz not null default now(),
    primary key (job, tick)
);
comment on table app.cron_runs is 'One row per cron job tick that ran (app.cron_claim): a tick runs once across workers';
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
