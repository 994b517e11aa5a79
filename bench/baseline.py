"""The minimal baselines the benchmarks compare against: bare Litestar + asyncpg, no auth, no
middleware. `POST /award` does only an insert and an update in one transaction (what an award
must do at least); `GET /read` does one primary-key read (the ceiling for any read endpoint).

Run: `uvicorn bench.baseline:app --port 8101` with DATABASE_URL set; `bench/run.py` does this.
"""

from __future__ import annotations

import os

import asyncpg
from litestar import Litestar, get, post

SCHEMA = """
create schema if not exists bench_baseline;
create table if not exists bench_baseline.events (
    id bigint generated always as identity primary key,
    user_id bigint not null,
    xp integer not null,
    created_at timestamptz not null default now()
);
create table if not exists bench_baseline.totals (user_id bigint primary key, xp bigint not null default 0);
insert into bench_baseline.totals (user_id) select g from generate_series(1, 100000) g on conflict do nothing;
"""

pool: asyncpg.Pool | None = None


async def startup() -> None:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=int(os.environ.get("POOL", "10")))
    async with pool.acquire() as conn, conn.transaction():
        # with several uvicorn workers, one creates the schema while the others wait
        await conn.execute("select pg_advisory_xact_lock(hashtext('bench_baseline'))")
        await conn.execute(SCHEMA)


@post("/award")
async def award(data: dict[str, int]) -> dict[str, int]:
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("insert into bench_baseline.events (user_id, xp) values ($1, $2)", data["user"], data["xp"])
        total = await conn.fetchval(
            "update bench_baseline.totals set xp = xp + $2 where user_id = $1 returning xp", data["user"], data["xp"]
        )
    return {"total": total}


@get("/read")
async def read(user: int) -> dict[str, int]:
    assert pool is not None
    return {"total": await pool.fetchval("select xp from bench_baseline.totals where user_id = $1", user)}


app = Litestar([award, read], on_startup=[startup])
