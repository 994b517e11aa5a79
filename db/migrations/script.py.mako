"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Hand-written revision. For changed db/functions files prefer `make revision m="..."`, which
freezes their text into FUNCTIONS for you.
"""

from src.migrations import apply_revision, revert_revision

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

SCHEMA_UP = """
"""

SCHEMA_DOWN = """
"""

FUNCTIONS: dict[str, str] = {}

PREVIOUS: dict[str, str | None] = {}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
