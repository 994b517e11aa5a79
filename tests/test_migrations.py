"""The database equals the db/functions files, the repeatable scripts replace what changed,
and revisions are roll-forward only."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import asyncpg
import pytest

from src import migrations
from tests.conftest import _admin, clone_database, migrate
from tests.schema_snapshot import functions_only, snapshot

_DROPPED = re.compile(r"drop (function|view|materialized view|trigger) if exists ([^;]+?)(?: cascade)?;", re.IGNORECASE)

OURS = """
    select oid from pg_namespace
    where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_%'
"""


def test_every_function_file_declares_how_to_drop_it() -> None:
    for path, text in migrations.function_files().items():
        assert migrations.drop_statement(path, text)


async def test_the_migrated_database_has_applied_every_file(conn: asyncpg.Connection) -> None:
    assert await migrations.pending_functions(conn) == {}


async def test_upgrade_from_empty_equals_applying_the_function_files(conn: asyncpg.Connection) -> None:
    """The database the migrations build is exactly what the db/functions files describe."""
    migrated = await functions_only(conn)
    for text in migrations.function_files().values():
        await conn.execute(text)
    assert await functions_only(conn) == migrated


async def test_the_drift_check_notices_an_edited_function(conn: asyncpg.Connection) -> None:
    """Proof the comparison above can fail: an edit the files do not carry is seen."""
    migrated = await functions_only(conn)
    text = migrations.function_files()["app/beat.sql"]
    await conn.execute(text.replace("beats + 1", "beats + 2"))
    assert await functions_only(conn) != migrated


@pytest.mark.parametrize(
    "by_hand",
    [
        "drop materialized view analytics.level_distribution; create materialized view analytics.level_distribution"
        " as select level, count(*) + 1 as users, now() as refreshed_at from xp.totals group by level;"
        " create unique index level_distribution_key on analytics.level_distribution (level)",
        "drop index analytics.level_distribution_key;"
        " create unique index level_distribution_key on analytics.level_distribution (level, users)",
    ],
)
async def test_the_drift_check_notices_an_edited_matview_or_its_key(conn: asyncpg.Connection, by_hand: str) -> None:
    migrated = await functions_only(conn)
    await conn.execute(by_hand)
    assert await functions_only(conn) != migrated


async def test_a_plain_view_file_becomes_a_materialized_view_and_back(conn: asyncpg.Connection, tmp_path: Path) -> None:
    """The upgrade from the plain view: the drop line changed, so the old one (drop view) runs
    first; the new file drops and rebuilds the matview with data, and its unique key."""
    files = _copy_functions(tmp_path)
    growth = files / "analytics" / "user_growth.sql"
    growth.write_text(
        "-- drop: drop view if exists analytics.user_growth;\n"
        "create or replace view analytics.user_growth as select current_date as day, 0::bigint as new_users;\n"
    )
    await migrations.sync_functions(conn, files, after_migrate=None)
    assert (
        await conn.fetchval("select relkind::text from pg_class where oid = 'analytics.user_growth'::regclass") == "v"
    )
    growth.write_text(migrations.function_files()["analytics/user_growth.sql"])
    await conn.execute("insert into app.users (username) values ('plain_to_matview')")
    assert await migrations.sync_functions(conn, files, after_migrate=None) == ["analytics/user_growth.sql"]
    assert (
        await conn.fetchval("select relkind::text from pg_class where oid = 'analytics.user_growth'::regclass") == "m"
    )
    assert await conn.fetchval("select sum(new_users) from analytics.user_growth") == await conn.fetchval(
        "select count(*) from app.users"
    )
    await conn.execute("refresh materialized view concurrently analytics.user_growth")


async def test_every_function_view_and_trigger_comes_from_a_file(conn: asyncpg.Connection) -> None:
    """Nothing lingers that no file creates (an old signature, a hand-made object), and every
    file's drop line names objects that exist: the drop lines are the inventory."""
    named: dict[str, set[str]] = {"function": set(), "view": set(), "materialized view": set(), "trigger": set()}
    for path, text in migrations.function_files().items():
        for kind, target in _DROPPED.findall(migrations.drop_statement(path, text)):
            named[kind.lower()].add(target.strip())
    functions = {
        r[0]
        for r in await conn.fetch(
            f"select p.oid::regprocedure::text from pg_proc p where p.pronamespace in ({OURS}) and p.prokind <> 'a'"
        )
    }
    resolved = {await conn.fetchval("select to_regprocedure($1)::text", sig) for sig in named["function"]}
    assert None not in resolved, "a drop line names a function that does not exist"
    assert functions == resolved
    for kind, relkind in (("view", "v"), ("materialized view", "m")):
        views = {
            r[0]
            for r in await conn.fetch(
                f'select c.oid::regclass::text from pg_class c where c.relkind = $1::text::"char" and c.relnamespace in ({OURS})',
                relkind,
            )
        }
        assert views == {await conn.fetchval("select to_regclass($1)::text", v) for v in named[kind]}, kind
    triggers = {
        f"{r[0]} on {r[1]}"
        for r in await conn.fetch(
            f"""select t.tgname, t.tgrelid::regclass::text from pg_trigger t join pg_class c on c.oid = t.tgrelid
                where not t.tgisinternal and c.relnamespace in ({OURS})"""
        )
    }
    assert triggers == named["trigger"]


def _copy_functions(tmp_path: Path) -> Path:
    target = tmp_path / "functions"
    shutil.copytree(migrations.FUNCTIONS_DIR, target)
    return target


async def _has(conn: asyncpg.Connection, signature: str) -> bool:
    return bool(await conn.fetchval("select to_regprocedure($1) is not null", signature))


async def test_a_new_signature_replaces_the_old_one(conn: asyncpg.Connection, tmp_path: Path) -> None:
    files = _copy_functions(tmp_path)
    beat = files / "app" / "beat.sql"
    beat.write_text(
        beat.read_text()
        .replace("app.beat(text)", "app.beat(text, integer)")
        .replace("app.beat(p_name text)", "app.beat(p_name text, p_step integer default 1)")
        .replace("beats + 1", "beats + p_step")
    )
    assert await migrations.pending_functions(conn, files) == {"app/beat.sql": "changed"}
    assert await migrations.sync_functions(conn, files, after_migrate=None) == ["app/beat.sql"]
    assert not await _has(conn, "app.beat(text)")
    assert await _has(conn, "app.beat(text, integer)")
    assert await migrations.pending_functions(conn, files) == {}
    assert await migrations.sync_functions(conn, files, after_migrate=None) == [], "unchanged files are skipped"


async def test_a_new_return_type_is_dropped_and_created(conn: asyncpg.Connection, tmp_path: Path) -> None:
    """`create or replace` cannot change a return type; the file's drop line runs first."""
    files = _copy_functions(tmp_path)
    beat = files / "app" / "beat.sql"
    beat.write_text(
        beat.read_text()
        .replace("returns timestamptz", "returns bigint")
        .replace("returning beat_at", "returning beats")
    )
    await migrations.sync_functions(conn, files, after_migrate=None)
    assert await conn.fetchval("select pg_get_function_result('app.beat(text)'::regprocedure)") == "bigint"


async def test_a_deleted_file_drops_its_objects(conn: asyncpg.Connection, tmp_path: Path) -> None:
    files = _copy_functions(tmp_path)
    (files / "app" / "beat.sql").unlink()
    assert await migrations.pending_functions(conn, files) == {"app/beat.sql": "removed"}
    await migrations.sync_functions(conn, files, after_migrate=None)
    assert not await _has(conn, "app.beat(text)")
    assert await migrations.pending_functions(conn, files) == {}


async def test_a_broken_file_names_itself_and_changes_nothing(conn: asyncpg.Connection, tmp_path: Path) -> None:
    before = await snapshot(conn)
    files = _copy_functions(tmp_path)
    (files / "app" / "beat.sql").write_text(
        migrations.function_files()["app/beat.sql"] + "\nselect from nowhere_at_all;\n"
    )
    (files / "app" / "zz_new.sql").write_text(
        "-- drop: drop function if exists app.zz();\ncreate function app.zz() returns int language sql as 'select 1';\n"
    )
    with pytest.raises(RuntimeError, match=r"db/functions/app/beat\.sql"):
        await migrations.sync_functions(conn, files, after_migrate=None)
    assert await snapshot(conn) == before
    assert await migrations.pending_functions(conn) == {}


async def test_a_file_without_a_drop_line_is_refused_before_anything_runs(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    files = _copy_functions(tmp_path)
    (files / "app" / "zz_new.sql").write_text("create function app.zz() returns int language sql as 'select 1';\n")
    with pytest.raises(ValueError, match="drop"):
        await migrations.sync_functions(conn, files, after_migrate=None)
    assert not await _has(conn, "app.zz()")


@pytest.mark.slow
def test_upgrade_is_repeatable_and_downgrade_is_refused(pg_server_url: str, template_db: str, worker_name: str) -> None:
    """A second upgrade changes nothing; a database that never recorded its scripts (built
    before the baseline squash) gets them recorded without change; downgrade says why not."""
    name = f"xpcore_migrate_{worker_name}"
    url = clone_database(pg_server_url, template_db, name)

    async def run(sql: str | None = None) -> dict[str, str]:
        conn = await asyncpg.connect(url)
        try:
            if sql:
                await conn.execute(sql)
            return await snapshot(conn)
        finally:
            await conn.close()

    at_head = asyncio.run(run())
    migrate(url, "head")
    assert asyncio.run(run()) == at_head
    asyncio.run(run(f"drop table {migrations.SCRIPTS_TABLE}"))
    migrate(url, "head")
    assert asyncio.run(run()) == at_head
    with pytest.raises(RuntimeError, match="roll-forward only"):
        migrate(url, "-1", down=True)
    assert asyncio.run(run()) == at_head
    asyncio.run(_admin(pg_server_url, f'drop database if exists "{name}" with (force)'))


def test_revision_writer_starts_a_ddl_revision_on_the_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(migrations.MIGRATIONS_DIR, tmp_path / "migrations")
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", tmp_path / "migrations")
    head = migrations.head_revision()
    written = migrations.write_revision("add a column")
    assert written.parent == tmp_path / "migrations" / "versions"
    assert written.name.startswith(f"{int(head) + 1:04d}_add_a_column")
    body = written.read_text()
    assert f"down_revision = {head!r}" in body and "roll_forward_only(revision)" in body
    assert migrations.head_revision() == f"{int(head) + 1:04d}"
