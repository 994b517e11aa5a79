"""Migrations and db/functions never drift apart, and the latest revision reverses cleanly."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from src import migrations
from tests.conftest import _admin, clone_database, migrate
from tests.schema_snapshot import functions_only, snapshot


def test_every_function_file_is_frozen_into_a_revision() -> None:
    """Editing a db/functions file without `make revision` fails here (static check)."""
    changed = migrations.changed_functions()
    assert not changed, "db/functions files differ from the migrations; run `make revision m=...`: " + ", ".join(
        sorted(changed)
    )


def test_every_function_file_declares_how_to_drop_it() -> None:
    for path, text in migrations.function_files().items():
        assert migrations.drop_statement(path, text)


async def test_upgrade_from_empty_equals_applying_the_function_files(conn: asyncpg.Connection) -> None:
    """The database the migrations build is exactly what the db/functions files describe."""
    migrated = await functions_only(conn)
    for text in migrations.function_files().values():
        await conn.execute(text)
    assert await functions_only(conn) == migrated


async def test_the_drift_check_notices_an_edited_function(conn: asyncpg.Connection) -> None:
    """Proof the comparison above can fail: an edit that no revision carries is seen."""
    migrated = await functions_only(conn)
    text = migrations.function_files()["app/beat.sql"]
    await conn.execute(text.replace("beats + 1", "beats + 2"))
    assert await functions_only(conn) != migrated


@pytest.mark.slow
def test_latest_revision_downgrades_and_upgrades_again(pg_server_url: str, template_db: str, worker_name: str) -> None:
    name = f"xpcore_migrate_{worker_name}"
    url = clone_database(pg_server_url, template_db, name)

    async def take() -> dict[str, str]:
        conn = await asyncpg.connect(url)
        try:
            return await snapshot(conn)
        finally:
            await conn.close()

    at_head = asyncio.run(take())
    migrate(url, "-1", down=True)
    below = asyncio.run(take())
    assert below != at_head, "the latest revision's downgrade changed nothing"
    migrate(url, "head")
    assert asyncio.run(take()) == at_head
    asyncio.run(_admin(pg_server_url, f'drop database if exists "{name}" with (force)'))


def test_revision_writer_freezes_changed_files(tmp_path, monkeypatch) -> None:
    """`xpcore db-functions revision` writes a revision embedding the changed file's text."""
    functions_dir = tmp_path / "functions"
    versions_dir = tmp_path / "versions"
    functions_dir.mkdir()
    versions_dir.mkdir()
    for path, text in migrations.function_files().items():
        (functions_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (functions_dir / path).write_text(text)
    monkeypatch.setattr(migrations, "FUNCTIONS_DIR", functions_dir)
    assert migrations.changed_functions() == {}
    target = functions_dir / "app" / "beat.sql"
    target.write_text(target.read_text().replace("beats + 1", "beats + 1 /* counted */"))
    monkeypatch.setattr(migrations, "VERSIONS_DIR", versions_dir)
    written = migrations.write_revision("count beats")
    assert written is not None and written.parent == versions_dir
    body = written.read_text()
    assert "/* counted */" in body
    assert f"down_revision = {migrations.head_revision()!r}" in body
    namespace: dict[str, object] = {}
    exec(compile(body, str(written), "exec"), namespace)
    assert namespace["FUNCTIONS"] == {"app/beat.sql": target.read_text()}
    assert "beats + 1\n" in namespace["PREVIOUS"]["app/beat.sql"]  # type: ignore[index]


def test_refreeze_rewrites_only_the_head_revisions_frozen_blocks(tmp_path, monkeypatch) -> None:
    """`xpcore db-functions refreeze REV` updates an unreleased head revision in place."""
    import shutil

    versions_dir = tmp_path / "migrations" / "versions"
    shutil.copytree(migrations.MIGRATIONS_DIR, tmp_path / "migrations")
    functions_dir = tmp_path / "functions"
    shutil.copytree(migrations.FUNCTIONS_DIR, functions_dir)
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", tmp_path / "migrations")
    monkeypatch.setattr(migrations, "VERSIONS_DIR", versions_dir)
    monkeypatch.setattr(migrations, "FUNCTIONS_DIR", functions_dir)
    head = migrations.head_revision()
    head_file = next(versions_dir.glob(f"{head}_*.py"))
    schema_before = head_file.read_text().split("FUNCTIONS:")[0]
    edited = next(p for p in sorted(functions_dir.rglob("*.sql")))
    edited.write_text(edited.read_text() + "\n-- an unreleased edit\n")
    assert migrations.changed_functions()
    migrations.update_revision(head)
    assert migrations.changed_functions() == {}
    assert head_file.read_text().split("FUNCTIONS:")[0] == schema_before
    with pytest.raises(ValueError, match="not the head"):
        migrations.update_revision("0001")
