"""`xpcore seed ...`: load reference and demo data. Every seed is an idempotent upsert."""

from __future__ import annotations

import asyncio

import click

from src.db import Database
from src.settings import get_settings

# Discord ids too: the README's award example names discord_id 123 (ada).
DEMO_USERS = [
    ("ada", "Ada Lovelace", "ada@example.com", "123"),
    ("alan", "Alan Turing", "alan@example.com", "124"),
    ("grace", "Grace Hopper", "grace@example.com", "125"),
    ("linus", "Linus T.", "linus@example.com", "126"),
    ("margaret", "Margaret Hamilton", "margaret@example.com", "127"),
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
    # demo users of earlier installs get their Discord ids too, unless someone holds them
    await db.execute(
        """
        update app.users u set discord_id = d.discord_id, updated_at = now()
          from unnest($1::text[], $2::text[]) as d (username, discord_id)
         where u.username = d.username and u.discord_id is null and u.deleted_at is null
           and not exists (select 1 from app.users o where o.discord_id = d.discord_id)
        """,
        [u[0] for u in DEMO_USERS],
        [u[3] for u in DEMO_USERS],
    )
    return len(rows)


async def seed_demo_xp(db: Database) -> int:
    """A few awards per demo user so profiles and boards have something to show (idempotent keys)."""
    rows = await db.fetch(
        """
        select xp.award(u.id, a.activity, a.units, 'bot', 'demo:' || u.username || ':' || a.activity)
        from app.users u
        cross join (values ('run_km', 3), ('pushup_standard', 40), ('code_review', 2), ('stream_hour', 1))
            as a (activity, units)
        where u.username = any($1::text[])
        """,
        [u[0] for u in DEMO_USERS],
    )
    return sum(1 for r in rows if not r[0]["replayed"])


async def seed_activities(db: Database) -> int:
    return int(await db.fetchval("select xp.seed_activities()"))


async def seed_layers(db: Database) -> int:
    return int(await db.fetchval("select xp.seed_layers()"))


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


@seed.command(name="demo", help="Demo users and some XP for them.")
def demo() -> None:
    from src.challenges import content as challenge_content

    asyncio.run(_run(seed_demo_users, seed_demo_xp, challenge_content.seed))


@seed.command(name="challenges", help="The shipped coding challenges (upsert by slug; never deletes progress).")
def challenges() -> None:
    from src.challenges import content as challenge_content

    asyncio.run(_run(challenge_content.seed))


@seed.command(name="store", help="Store items and coin packs (upsert by slug; never deletes purchases).")
def store() -> None:
    async def seed_store(db: Database) -> int:
        return int(await db.fetchval("select store.seed()"))

    asyncio.run(_run(seed_store))


@seed.command(name="quests", help="The shipped quests, inactive, that are not there yet (never changes existing ones).")
def quests() -> None:
    async def seed_quests(db: Database) -> int:
        return int(await db.fetchval("select engage.seed_quests()"))

    asyncio.run(_run(seed_quests))


@seed.command(name="activities", help="The shipped activity types (upsert by key).")
def activities() -> None:
    asyncio.run(_run(seed_activities))


@seed.command(name="layers", help="The ten layers (upsert by code); users' layers are recomputed.")
def layers() -> None:
    asyncio.run(_run(seed_layers))


@seed.command(name="levels", help="Regenerate the level curve from a preset; users' levels are recomputed.")
@click.option("--preset", type=click.Choice(["default", "linear", "runescape"]), default="default", show_default=True)
@click.option("--max-level", type=click.IntRange(2, 1000), default=100, show_default=True)
def levels(preset: str, max_level: int) -> None:
    async def seed_levels(db: Database) -> int:
        return int(await db.fetchval("select xp.generate_curve($1, $2)", preset, max_level))

    asyncio.run(_run(seed_levels))
