"""Migration mechanics: run SQL bodies inside Alembic's transaction, and write revisions
from changed `db/functions` files.

A revision module declares `SCHEMA_UP`/`SCHEMA_DOWN` (hand-written DDL), `FUNCTIONS` (frozen
copies of the `db/functions` files it installs, keyed by path under `db/functions/`),
`PREVIOUS` (the text each of those files had before, or None when new) and optionally
`DATA_UP`/`DATA_DOWN`. Revisions never read `db/functions` at upgrade time, so old revisions
replay history exactly. Every function file starts with a `-- drop: ...` line: the statement
that removes what it creates, used when a revision that introduced it is downgraded.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from src.settings import ROOT

MIGRATIONS_DIR = ROOT / "db" / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
FUNCTIONS_DIR = ROOT / "db" / "functions"
VERSION_TABLE = "alembic_versions"
_DROP = re.compile(r"^--\s*drop:\s*(.+)$", re.MULTILINE)


# --- executing inside a revision -------------------------------------------------------------


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


def drop_statement(path: str, text: str) -> str:
    match = _DROP.search(text)
    if not match:
        raise ValueError(f"db/functions/{path} lacks a '-- drop: ...' header line")
    return match.group(1).strip()


def apply_revision(schema_up: str, functions: Mapping[str, str], data_up: str = "") -> None:
    run_sql(schema_up)
    for _path, text in functions.items():
        run_sql(text)
    run_sql(data_up)


def revert_revision(
    schema_down: str, functions: Mapping[str, str], previous: Mapping[str, str | None], data_down: str = ""
) -> None:
    run_sql(data_down)
    # Reverse order: later files may depend on earlier ones.
    for path in reversed(list(functions)):
        old = previous.get(path)
        run_sql(old if old is not None else drop_statement(path, functions[path]))
    run_sql(schema_down)


# --- reading the chain -------------------------------------------------------------------------


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


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_xpcore_rev_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def revisions_in_order() -> list[tuple[str, Path]]:
    scripts = list(script_directory().walk_revisions())  # head first
    return [(s.revision, Path(s.path)) for s in reversed(scripts)]


def frozen_functions() -> dict[str, str]:
    """The text of each function file as the latest revision that installed it froze it."""
    frozen: dict[str, str] = {}
    for _rev, path in revisions_in_order():
        frozen.update(getattr(_load(path), "FUNCTIONS", {}))
    return frozen


def function_files() -> dict[str, str]:
    """db/functions/**/*.sql, keyed by relative path, in the order they are applied."""
    files = sorted(FUNCTIONS_DIR.rglob("*.sql"))
    return {p.relative_to(FUNCTIONS_DIR).as_posix(): p.read_text() for p in files}


def changed_functions() -> dict[str, tuple[str, str | None]]:
    """path -> (current text, frozen text or None) for every file that differs from history."""
    frozen = frozen_functions()
    return {path: (text, frozen.get(path)) for path, text in function_files().items() if frozen.get(path) != text}


# --- writing a revision ------------------------------------------------------------------------

_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: {created}

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None

SCHEMA_UP = """
"""

SCHEMA_DOWN = """
"""

FUNCTIONS: dict[str, str] = {{
{functions}}}

PREVIOUS: dict[str, str | None] = {{
{previous}}}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
'''


def _literal(text: str | None) -> str:
    if text is None:
        return "None"
    if '"""' not in text and not text.endswith(("\\", '"')):
        return 'r"""' + text + '"""' if "\\" in text else '"""' + text + '"""'
    return repr(text)


def _revision_path(revision: str) -> Path | None:
    script = script_directory().get_revision(revision)
    return Path(script.path) if script is not None else None


def _changed_since(frozen: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    return {path: (text, frozen.get(path)) for path, text in function_files().items() if frozen.get(path) != text}


def _blocks(changed: dict[str, tuple[str, str | None]]) -> tuple[str, str]:
    for path, (text, _) in changed.items():
        drop_statement(path, text)  # fail early when a new file lacks its drop line
    functions = "".join(f"    {path!r}: {_literal(text)},\n" for path, (text, _) in changed.items())
    previous = "".join(f"    {path!r}: {_literal(old)},\n" for path, (_, old) in changed.items())
    return functions, previous


_FUNCTIONS_BLOCK = re.compile(r"^FUNCTIONS: dict\[str, str\] = \{\n.*?^\}\n", re.MULTILINE | re.DOTALL)
_PREVIOUS_BLOCK = re.compile(r"^PREVIOUS: dict\[str, str \| None\] = \{\n.*?^\}\n", re.MULTILINE | re.DOTALL)


def update_revision(revision: str) -> Path:
    """Re-freeze the head revision `revision` from the current files (for unreleased work).

    Keeps its hand-written SCHEMA_UP/SCHEMA_DOWN; rewrites FUNCTIONS and PREVIOUS as if the
    revision were written now on top of its parent.
    """
    path = _revision_path(revision)
    if path is None:
        raise ValueError(f"no revision {revision!r}")
    if head_revision() != revision:
        raise ValueError(f"revision {revision!r} is not the head; only unreleased head revisions may be rewritten")
    frozen: dict[str, str] = {}
    for rev, rev_path in revisions_in_order():
        if rev == revision:
            break
        frozen.update(getattr(_load(rev_path), "FUNCTIONS", {}))
    functions, previous = _blocks(_changed_since(frozen))
    text = path.read_text()
    text = _FUNCTIONS_BLOCK.sub(lambda _: "FUNCTIONS: dict[str, str] = {\n" + functions + "}\n", text, count=1)
    text = _PREVIOUS_BLOCK.sub(lambda _: "PREVIOUS: dict[str, str | None] = {\n" + previous + "}\n", text, count=1)
    path.write_text(text)
    return path


def write_revision(message: str, revision: str | None = None) -> Path | None:
    """Write a revision for every changed function file; None when nothing changed."""
    changed = changed_functions()
    if not changed:
        return None
    down = script_directory().get_current_head()
    if revision is None:
        number = int(re.sub(r"\D", "", down or "") or 0) + 1
        revision = f"{number:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "functions"
    functions, previous = _blocks(changed)
    body = _TEMPLATE.format(
        message=message,
        revision=revision,
        down_revision=down,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        functions=functions,
        previous=previous,
    )
    target = VERSIONS_DIR / f"{revision}_{slug}.py"
    target.write_text(body)
    return target
