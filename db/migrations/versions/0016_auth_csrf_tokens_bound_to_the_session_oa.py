"""auth: CSRF tokens bound to the session, OAuth link flow, sessions and reuse interval

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:34:57 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SCHEMA_UP = """
"""

SCHEMA_DOWN = """
"""

FUNCTIONS: dict[str, str] = {
    'auth/refresh_family.sql': """-- drop: drop function if exists auth.refresh_family(bytea);
-- The family (session) a refresh token belongs to, or null: a cookie-borne refresh checks its
-- CSRF token, which is bound to the family, before anything is rotated.
create or replace function auth.refresh_family(p_token_hash bytea)
returns uuid
language sql
stable
as $$
    select family_id from auth.refresh_tokens where token_hash = p_token_hash;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'auth/refresh_family.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
