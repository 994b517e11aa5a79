"""`xpcore seed ...`: load reference and demo data. Every seed is an idempotent upsert."""

from __future__ import annotations

import asyncio

import click

from src.db import Database
from src.settings import get_settings

DEMO_USERS = [
    ("ada", "Ada Lovelace", "ada@example.com"),
    ("alan", "Alan Turing", "alan@example.com"),
    ("grace", "Grace Hopper", "grace@example.com"),
    ("linus", "Linus T.", "linus@example.com"),
    ("margaret", "Margaret Hamilton", "margaret@example.com"),
]


async def seed_demo_users(db: Database) -> int:
    rows = await db.fetch(
        """
        insert into app.users (username, display_name, email)
        select * from unnest($1::text[], $2::text[], $3::text[])
        on conflict do nothing
        returning id
        """,
        [u[0] for u in DEMO_USERS],
        [u[1] for u in DEMO_USERS],
        [u[2] for u in DEMO_USERS],
    )
    return len(rows)


async def _run(*steps):  # type: ignore[no-untyped-def]
    db = Database(get_settings())
    try:
        for step in steps:
            count = await step(db)
            click.echo(f"{step.__name__}: {count} new rows")
    finally:
        await db.close()


@click.group(name="seed", help="Load reference and demo data (idempotent).")
def seed() -> None:
    pass


@seed.command(name="demo", help="Demo users (and, as areas land, their XP, items ...).")
def demo() -> None:
    asyncio.run(_run(seed_demo_users))
