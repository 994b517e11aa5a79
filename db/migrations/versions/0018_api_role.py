"""api role: xpcore_api, the role the HTTP API runs as (least privilege)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 08:39:38 UTC

The API's pool sets `role = xpcore_api` (DATABASE_API_ROLE, src/db.py). The role owns nothing
and reads no table: it may only execute the functions the API calls, which are `security
definer` and run as their owner. db/after_migrate.sql grants it exactly those, after every
upgrade. Functions no longer execute for PUBLIC: functions created later by this owner do not
either (default privileges), and after_migrate.sql revokes it from every function in xpcore's
schemas. Workers and the CLI keep the owner's connection. Roll-forward only: undoing this is a
new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SCHEMA = """
-- Roles are cluster-wide: create the API role once, grant per database (db/after_migrate.sql).
do $do$
begin
    if not exists (select from pg_roles where rolname = 'xpcore_api') then
        create role xpcore_api nologin;
    end if;
    -- The owner's API pool switches to the role: a superuser may, anyone else must be a member.
    if not (select rolsuper from pg_roles where rolname = current_user) then
        execute format('grant xpcore_api to %I', current_user);
    end if;
end
$do$;

-- Functions this owner creates from now on are not executable by PUBLIC (in this database).
alter default privileges revoke execute on functions from public;
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)
