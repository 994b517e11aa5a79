"""The HTTP API runs as xpcore_api: it executes the functions it calls and reads no table.

The rest of the suite is the proof that the grants are complete (every API test, and
test_schemathesis.py's every operation, runs under the role); these tests prove they are no
wider, and that the app's pool, not just some connection, runs as the role.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from src.settings import ROOT, SettingsError, load_settings

ROLE = "xpcore_api"
SCHEMAS = ("app", "auth", "challenges", "engage", "leagues", "notify", "seasons", "store", "xp", "analytics")
# Pure: reads only its argument, so it stays invoker (and inlinable in seasons.list).
INVOKER = {"seasons.season_json(xp.seasons)"}
# Sent by the workers only (src/<area>/jobs.py): they connect as the owner, the API may not call them.
WORKER_ONLY = [
    "notify.broadcasts_pending()",
    "notify.broadcast_batch(bigint, integer)",
    "notify.fan_out(integer)",
    "notify.claim_deliveries(integer, integer)",
    "store.orders_to_reconcile(integer)",
    "xp.rebuild_board(text, text)",
    "xp.ensure_ledger_partitions(timestamp with time zone, integer)",
    "seasons.roll()",
    "leagues.close(text)",
    "leagues.join(text, text, uuid)",
    "leagues.seat_pending(integer)",
    "leagues.close_batch(text, integer)",
    "leagues.closes_due()",
    "app.beat(text)",
    "engage.backfill_batch(text, integer)",
    "engage.backfills_pending()",
    "engage.on_award(uuid, bigint, text, text, text, numeric, integer, xp.totals, xp.totals, text)",
]


@pytest.fixture
async def api_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection made the way the API's pool makes them (src/db.py): role at connect."""
    connection = await asyncpg.connect(database_url, server_settings={"role": ROLE})
    try:
        yield connection
    finally:
        await connection.close()


async def test_the_role_runs_as_itself(api_conn: asyncpg.Connection) -> None:
    assert await api_conn.fetchval("select current_user") == ROLE


@pytest.mark.parametrize(
    "sql",
    [
        "select * from app.users limit 1",
        "select * from store.wallets limit 1",
        "select * from xp.ledger limit 1",
        "select * from auth.api_keys limit 1",
        "select * from analytics.daily_xp limit 1",
        "update challenges.challenges set active = false",
        "insert into app.heartbeats (name, beat_at) values ('x', now())",
    ],
)
async def test_the_role_reads_and_writes_no_table(api_conn: asyncpg.Connection, sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api_conn.execute(sql)


async def test_the_role_reads_only_the_migration_head(api_conn: asyncpg.Connection) -> None:
    """/ready reads the head (src/platform/calls.py); that column is all it may read there."""
    assert await api_conn.fetchval("select string_agg(version_num, ',') from public.alembic_versions")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api_conn.execute("select * from public.xpcore_scripts")


@pytest.mark.parametrize("signature", WORKER_ONLY)
async def test_the_role_cannot_call_a_function_it_was_not_granted(api_conn: asyncpg.Connection, signature: str) -> None:
    assert not await api_conn.fetchval("select has_function_privilege($1, 'execute')", signature)


@pytest.mark.parametrize(
    "sql",
    [
        "select xp.award_fixed(gen_random_uuid(), 'cyber', 5, 'bot', 'x')",
        "select * from notify.broadcasts_pending()",
        "select seasons.roll()",
        "select auth.user_json(null::app.users)",
        "select analytics.refresh('daily_xp')",
    ],
)
async def test_the_role_cannot_call_an_internal_function(api_conn: asyncpg.Connection, sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api_conn.execute(sql)


async def test_granted_functions_work_as_their_owner(api_conn: asyncpg.Connection) -> None:
    """Security definer: a granted function reads the tables the role cannot."""
    assert await api_conn.fetchval("select xp.levels()") is not None
    assert await api_conn.fetchval("select seasons.season_json(seasons.resolve('current'))")
    assert await api_conn.fetchval("select challenges.deactivate('no-such-challenge')") is None


async def _granted(conn: asyncpg.Connection) -> dict[str, tuple[bool, list[str] | None]]:
    rows = await conn.fetch(
        """select p.oid::regprocedure::text as signature, p.prosecdef, p.proconfig
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = any($1::text[]) and has_function_privilege($2, p.oid, 'execute')""",
        list(SCHEMAS),
        ROLE,
    )
    return {r["signature"]: (r["prosecdef"], r["proconfig"]) for r in rows}


def _called_by_the_api() -> set[str]:
    """`schema.function` names in the SQL the app's modules send (every `src/` module but the
    jobs and the worker's)."""
    sources = [p for p in (ROOT / "src").rglob("*.py") if p.name != "jobs.py" and "worker" not in p.parts]
    text = "\n".join(p.read_text() for p in sources)
    schemas = "|".join(SCHEMAS)
    return set(re.findall(rf"\b((?:{schemas})\.[a-z_]+)\(", text))


async def test_grants_are_the_api_functions_all_security_definer(conn: asyncpg.Connection) -> None:
    granted = await _granted(conn)
    names = {signature.split("(")[0] for signature in granted}
    assert names <= _called_by_the_api(), names - _called_by_the_api()
    assert len(granted) == 79
    for signature, (definer, config) in granted.items():
        if signature in INVOKER:
            continue
        assert definer, f"{signature} is granted to the API but not security definer"
        assert config and "search_path=pg_catalog, pg_temp" in config, f"{signature}: {config}"


async def test_public_executes_no_xpcore_function(conn: asyncpg.Connection) -> None:
    public = await conn.fetch(
        """select p.oid::regprocedure::text
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                  aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            where n.nspname = any($1::text[]) and a.grantee = 0 and a.privilege_type = 'EXECUTE'""",
        list(SCHEMAS),
    )
    assert public == []


async def test_a_function_created_later_is_not_executable_by_public(conn: asyncpg.Connection) -> None:
    """Default privileges (revision 0018) cover functions made outside an upgrade."""
    await conn.execute("create function app.least_privilege_probe() returns int language sql as 'select 1'")
    assert not await conn.fetchval("select has_function_privilege($1, 'app.least_privilege_probe()', 'execute')", ROLE)
    assert not await conn.fetchval(
        """select bool_or(a.grantee = 0) from pg_proc p,
                  aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            where p.oid = 'app.least_privilege_probe()'::regprocedure"""
    )


# --- the app -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def probe_client(test_env: dict[str, str]) -> AsyncIterator[Any]:
    """The real app with one extra route that asks, through the app's own pool, who it is."""
    from litestar import Request, get
    from litestar.testing import AsyncTestClient

    from src.app import create_app

    @get("/_probe/whoami", include_in_schema=False)
    async def whoami(request: Request[Any, Any, Any]) -> dict[str, Any]:
        db = request.app.state.db
        try:
            await db.fetchval("select count(*) from app.users")
            users = "read"
        except asyncpg.PostgresError as exc:
            users = exc.sqlstate
        return {"current_user": await db.fetchval("select current_user"), "users": users}

    app = create_app(load_settings())
    app.register(whoami)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def test_the_apps_pool_runs_as_the_role(probe_client: Any) -> None:
    answer = await probe_client.get("/_probe/whoami")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"current_user": ROLE, "users": "42501"}


async def test_an_api_request_reads_through_the_role(probe_client: Any) -> None:
    """A real endpoint answers under the role (its function is granted and security definer)."""
    answer = await probe_client.get("/api/v1/seasons")
    assert answer.status_code == 200, answer.text
    ready = await probe_client.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_workers_keep_the_owner_connection(test_env: dict[str, str]) -> None:
    from src.worker.context import database

    db = database({})
    try:
        assert db.role is None
        assert await db.fetchval("select current_user") != ROLE
        assert await db.fetchval("select count(*) >= 0 from app.users")
    finally:
        await db.close()


# --- the setting -------------------------------------------------------------------------


def test_the_setting_defaults_to_the_role_and_empty_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_API_ROLE", raising=False)
    assert load_settings().database.api_role == ROLE
    monkeypatch.setenv("DATABASE_API_ROLE", "")
    assert load_settings().database.api_role is None
    monkeypatch.setenv("DATABASE_API_ROLE", "api; drop table x")
    with pytest.raises(SettingsError, match="DATABASE_API_ROLE"):
        load_settings()
