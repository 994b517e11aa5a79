"""`xpcore api-keys create NAME --scope ...`: the key alone on the last line of stdout."""

from __future__ import annotations

import asyncio

import click

from src.auth.api_keys import SCOPES
from src.db import Database
from src.settings import get_settings


@click.group(name="api-keys", help="Manage scoped API keys for trusted services.")
def api_keys() -> None:
    pass


@api_keys.command(name="create", help="Create a key; prints it once, alone on the last line.")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES), help="Repeatable.")
def create(name: str, scopes: tuple[str, ...]) -> None:
    from src.auth.api_keys import create as create_api_key

    async def run():  # type: ignore[no-untyped-def]
        settings = get_settings()
        db = Database(settings)
        try:
            return await create_api_key(db, settings, name, list(scopes), None)
        finally:
            await db.close()

    created = asyncio.run(run())
    click.echo(f"created API key {created['name']} ({created['id']}) with scopes {', '.join(created['scopes'])}")
    click.echo("store it now: it is shown only once")
    click.echo(created["key"])
