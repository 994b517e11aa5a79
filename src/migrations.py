"""Migration mechanics: versioned DDL revisions, then the db/functions files as repeatable
scripts, then db/after_migrate.sql.

- **Revisions** (`db/migrations/versions/`) hold tables, indexes, columns and data fixes. They
  run in order, once, each in its own transaction. Roll-forward only: undoing one is a new
  revision.
- **db/functions/<area>/*.sql** hold every function, view and trigger, edited in place. After
  the revisions, `sync_functions` applies each file whose text differs from what this database
  last applied (a sha256 per file in `xpcore_scripts`), in path order with function bodies
  checked at call time, so files may refer to each other in any order. Each file starts with a
  `-- drop: ...` line that removes what it creates: it runs when the file is deleted, when its
  drop line changes (a new signature: the old one must go) and when `create or replace` cannot
  change an object in place (a new return type).
- **db/after_migrate.sql** runs after every upgrade: idempotent grants and first-install data.

Why not frozen copies in each revision: 17 revisions had grown to 7,050 lines, most of them old
copies of functions kept for replay and downgrade, and a reviewer could not see what changed.
Now a function's history is `git log db/functions/...`, and the drift test proves a database
equals the files.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from src.settings import ROOT

if TYPE_CHECKING:
    import asyncpg

MIGRATIONS_DIR = ROOT / "db" / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
FUNCTIONS_DIR = ROOT / "db" / "functions"
AFTER_MIGRATE = ROOT / "db" / "after_migrate.sql"
VERSION_TABLE = "alembic_versions"
SCRIPTS_TABLE = "public.xpcore_scripts"
_DROP = re.compile(r"^--\s*drop:\s*(.+)$", re.MULTILINE)
# One upgrade at a time per database (two `migrate` containers starting together).
_LOCK_KEY = 0x7870636F7265  # "xpcore"
_CANNOT_CHANGE_IN_PLACE = {"42P13", "42P16", "42809"}  # return type, view columns, object kind


# --- inside a revision ---------------------------------------------------------------------


def run_sql(sql: str) -> None:
    """Run a multi-statement SQL body on Alembic's connection, inside its transaction.

    `op.execute` goes through asyncpg's extended protocol, which takes one statement; the
    driver connection's `execute()` without arguments uses the simple protocol, which takes
    many. A `select 1` first makes SQLAlchemy open its transaction, so the body is part of the
    revision's transaction and rolls back with it.
    """
    if not sql.strip():
        return
    from alembic import op
    from sqlalchemy.util import await_only

    bind = op.get_bind()
    bind.exec_driver_sql("select 1")
    driver = bind.connection.driver_connection
    assert driver is not None and driver.is_in_transaction(), "migration SQL must run in a transaction"
    await_only(driver.execute(sql))


def roll_forward_only(revision: str) -> None:
    raise RuntimeError(
        f"revision {revision} cannot be downgraded: xpcore migrations are roll-forward only. "
        "Undo a change with a new revision (and restore a backup to go back to older code)."
    )


# --- the repeatable scripts ------------------------------------------------------------------


def drop_statement(path: str, text: str) -> str:
    match = _DROP.search(text)
    if not match:
        raise ValueError(f"db/functions/{path} lacks a '-- drop: ...' header line")
    return match.group(1).strip()


def function_files(directory: Path | None = None) -> dict[str, str]:
    """db/functions/**/*.sql keyed by relative path, in the order they are applied."""
    root = directory or FUNCTIONS_DIR
    files = sorted(root.rglob("*.sql"))
    return {p.relative_to(root).as_posix(): p.read_text() for p in files}


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_SCRIPTS_DDL = f"""
create table if not exists {SCRIPTS_TABLE} (
    path           text primary key,
    sha256         text not null,
    drop_statement text not null,
    applied_at     timestamptz not null default now()
);
comment on table {SCRIPTS_TABLE} is 'db/functions files as this database last applied them (src/migrations.py)';
"""


async def _applied(conn: asyncpg.Connection) -> dict[str, tuple[str, str]]:
    exists = await conn.fetchval("select to_regclass($1) is not null", SCRIPTS_TABLE)
    if not exists:
        return {}
    rows = await conn.fetch(f"select path, sha256, drop_statement from {SCRIPTS_TABLE}")
    return {r["path"]: (r["sha256"], r["drop_statement"]) for r in rows}


async def pending_functions(conn: asyncpg.Connection, directory: Path | None = None) -> dict[str, str]:
    """path -> 'new' | 'changed' | 'removed' for every file this database has not applied."""
    applied = await _applied(conn)
    files = function_files(directory)
    pending = {path: "removed" for path in applied if path not in files}
    for path, text in files.items():
        if path not in applied:
            pending[path] = "new"
        elif applied[path][0] != checksum(text):
            pending[path] = "changed"
    return dict(sorted(pending.items()))


async def sync_functions(
    conn: asyncpg.Connection, directory: Path | None = None, after_migrate: Path | None = AFTER_MIGRATE
) -> list[str]:
    """Apply every new or changed db/functions file, drop removed ones, then after_migrate.sql.

    Runs in one transaction: a failing file leaves the database as it was. Returns the paths
    applied or dropped.
    """
    files = function_files(directory)
    for path, text in files.items():
        drop_statement(path, text)  # every file must say how to remove it, before anything runs
    after = _read(after_migrate)
    touched: list[str] = []
    async with conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(_SCRIPTS_DDL)
        # Bodies are checked when called, not when created: files apply in path order even
        # when one calls a function defined in a later file.
        await conn.execute("set local check_function_bodies = off")
        applied = await _applied(conn)
        for path in sorted(set(applied) - set(files), reverse=True):
            await conn.execute(applied[path][1])
            await conn.execute(f"delete from {SCRIPTS_TABLE} where path = $1", path)
            touched.append(path)
        for path, text in files.items():
            digest, drop = checksum(text), drop_statement(path, text)
            before = applied.get(path)
            if before is not None and before[0] == digest:
                continue
            if before is not None and before[1] != drop:
                await conn.execute(before[1])  # the old signature goes, or it would linger beside the new
            try:
                async with conn.transaction():
                    await conn.execute(text)
            except _postgres_error() as exc:
                if getattr(exc, "sqlstate", None) not in _CANNOT_CHANGE_IN_PLACE:
                    raise _in_file(path, exc) from exc
                await conn.execute(drop)
                try:
                    await conn.execute(text)
                except _postgres_error() as again:
                    raise _in_file(path, again) from again
            await conn.execute(
                f"""insert into {SCRIPTS_TABLE} (path, sha256, drop_statement) values ($1, $2, $3)
                    on conflict (path) do update set sha256 = excluded.sha256,
                        drop_statement = excluded.drop_statement, applied_at = now()""",
                path,
                digest,
                drop,
            )
            touched.append(path)
        if after:
            await conn.execute(after)
    return touched


def _read(path: Path | None) -> str:
    return path.read_text() if path is not None and path.exists() else ""


def _postgres_error() -> type[Exception]:
    import asyncpg

    return asyncpg.PostgresError


def _in_file(path: str, exc: Exception) -> RuntimeError:
    return RuntimeError(f"db/functions/{path}: {exc}")


# --- the revision chain ----------------------------------------------------------------------


def script_directory():  # type: ignore[no-untyped-def]
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    head = script_directory().get_current_head()
    if head is None:
        raise RuntimeError("no migration revisions found")
    return str(head)


def write_revision(message: str, revision: str | None = None) -> Path:
    """A new DDL revision on top of the head, from db/migrations/script.py.mako."""
    from alembic import command
    from alembic.config import Config

    down = script_directory().get_current_head()
    if revision is None:
        number = int(re.sub(r"\D", "", down or "") or 0) + 1
        revision = f"{number:04d}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = command.revision(config, message=message, rev_id=revision)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
