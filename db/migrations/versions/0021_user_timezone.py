"""user timezone: each user's IANA time zone, for streak days and quest periods (issue 16)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 11:45:00 UTC

`app.users.timezone` holds an IANA name (`Europe/Berlin`); every user starts on UTC. A check
constraint cannot consult `pg_timezone_names` (it is not immutable), so `app.user_update`
refuses a name PostgreSQL does not know. Adding a column with a constant default rewrites no
rows. Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SCHEMA = """
alter table app.users add column timezone text not null default 'UTC'
    check (char_length(timezone) between 1 and 64);
comment on column app.users.timezone is 'IANA time zone of the user (streak days, quest periods); UTC by default';
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
