"""`xpcore db-functions`: keep migrations in step with the readable db/functions files."""

from __future__ import annotations

import click

from src import migrations


@click.group(name="db-functions", help="Write migration revisions from changed db/functions files.")
def db_functions() -> None:
    pass


@db_functions.command(name="status", help="List db/functions files that differ from the migrations.")
def status() -> None:
    changed = migrations.changed_functions()
    if not changed:
        click.echo("db/functions matches the migrations")
        return
    for path, (_, old) in changed.items():
        click.echo(f"{'new' if old is None else 'changed'}: db/functions/{path}")
    raise SystemExit(1)


@db_functions.command(name="revision", help="Freeze changed db/functions files into a new revision.")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--rev-id", default=None, help="Revision id (default: the next number).")
def revision(message: str, rev_id: str | None) -> None:
    path = migrations.write_revision(message, rev_id)
    if path is None:
        click.echo("nothing to do: db/functions matches the migrations")
        return
    click.echo(f"wrote {path.relative_to(migrations.ROOT)}; add any table DDL to SCHEMA_UP/SCHEMA_DOWN")


@db_functions.command(name="refreeze", help="Rewrite the unreleased head revision REV from the current files.")
@click.argument("rev")
def refreeze(rev: str) -> None:
    path = migrations.update_revision(rev)
    click.echo(f"re-froze {path.relative_to(migrations.ROOT)}")
