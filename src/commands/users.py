"""`xpcore users ...`: operator commands for accounts."""

from __future__ import annotations

import asyncio

import click

from src.db import Database
from src.settings import get_settings


@click.group(name="users", help="Manage user accounts.")
def users() -> None:
    pass


@users.command(name="create-admin", help="Give EMAIL the admin role (creating the user if new).")
@click.argument("email")
def create_admin(email: str) -> None:
    async def run() -> dict:
        db = Database(get_settings())
        try:
            return await db.fetchval("select app.user_grant_role($1, 'admin')", email)  # type: ignore[no-any-return]
        finally:
            await db.close()

    user = asyncio.run(run())
    click.echo(f"{user['username']} ({user['id']}) is an admin")
