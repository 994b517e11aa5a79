"""`xpcore users ...`: operator commands for accounts."""

from __future__ import annotations

import asyncio

import click

from src.db import Database, Document
from src.settings import get_settings


@click.group(name="users", help="Manage user accounts.")
def users() -> None:
    pass


@users.command(name="create-admin", help="Give EMAIL the admin role (creating the user if new).")
@click.argument("email")
def create_admin(email: str) -> None:
    from src.users import calls

    async def run() -> Document:
        db = Database(get_settings())
        try:
            return await calls.user_grant_role(db, email, "admin")
        finally:
            await db.close()

    user = asyncio.run(run())
    click.echo(f"{user['username']} ({user['id']}) is an admin")
