"""app.users: a partial index of the deleted users (issue 17, the season close's notes)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 19:00:00 UTC

The season close writes each live member's notifications, and asked "is this user live?" by
joining app.users: two probes per member (one per notification), each a random read of the
users' heap, a million of them per million members. Deleted users are few and kept (DELETE
/users/me anonymises the row and sets deleted_at), so the close now asks the opposite, "is this
user deleted?", of this index: a probe that finds nothing in a handful of pages and reads no
heap. Roll-forward only, as every xpcore revision; a later revision undoing this would run
`drop index app.users_deleted`.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

UPGRADE = """
create index users_deleted on app.users (id) where deleted_at is not null;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    roll_forward_only(revision)
