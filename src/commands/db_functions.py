"""`xpcore db-functions`: the db/functions files against what a database has applied."""

from __future__ import annotations

import asyncio

import click

from src import migrations
from src.db import Database
from src.settings import get_settings, normalize_database_url


@click.group(name="db-functions", help="db/functions: what this database has not applied yet, and new revisions.")
def db_functions() -> None:
    pass


@db_functions.command(name="status", help="List db/functions files this database has not applied (exit 1 if any).")
def status() -> None:
    async def pending() -> dict[str, str]:
        import asyncpg

        db = Database(get_settings())
        try:
            await db.pool()  # attaches the embedded server when no DATABASE_URL is set
            conn = await asyncpg.connect(normalize_database_url(get_settings().database_direct_url or db.dsn))
            try:
                return await migrations.pending_functions(conn)
            finally:
                await conn.close()
        finally:
            await db.close()

    pending_files = asyncio.run(pending())
    if not pending_files:
        click.echo("the database has applied every db/functions file")
        return
    for path, state in pending_files.items():
        click.echo(f"{state}: db/functions/{path}")
    click.echo("run `xpcore database upgrade` to apply them")
    raise SystemExit(1)


@db_functions.command(name="revision", help="Write a new DDL revision (tables, columns, indexes, data fixes).")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--rev-id", default=None, help="Revision id (default: the next number).")
def revision(message: str, rev_id: str | None) -> None:
    path = migrations.write_revision(message, rev_id)
    click.echo(
        f"wrote {path.relative_to(migrations.ROOT)}: put its DDL in SCHEMA. Functions, views and "
        "triggers need no revision: edit db/functions and run `xpcore database upgrade`."
    )
