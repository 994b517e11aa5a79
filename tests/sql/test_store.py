"""The coin wallet and the store in SQL: atomic purchases, exact balances."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


async def _user(db) -> uuid.UUID:
    return await db.fetchval("insert into app.users (username) values ($1) returning id", f"s{uuid.uuid4().hex[:12]}")


async def _balanced(conn, user) -> None:
    row = await conn.fetchrow(
        "select w.balance, w.debt, (select coalesce(sum(amount), 0) from store.coin_ledger where user_id = w.user_id) as ledger"
        " from store.wallets w where w.user_id = $1",
        user,
    )
    assert row["balance"] - row["debt"] == row["ledger"] and row["balance"] >= 0


async def test_fifty_concurrent_purchases_charge_once_and_grant_once(db_pool) -> None:
    user = await _user(db_pool)
    await db_pool.fetchval("select store.credit_coins($1, 1000, 'admin', $2)", user, f"grant-{user}")

    async def buy():
        try:
            return (await db_pool.fetchval("select store.purchase($1, 'theme-neon-grid')", user))["coins"]
        except asyncpg.PostgresError as error:
            return error.sqlstate

    answers = await asyncio.gather(*(buy() for _ in range(50)))
    assert sorted(a for a in answers if isinstance(a, int)) == [800]  # 1000 - 200, once
    assert answers.count("XP409") == 49
    assert await db_pool.fetchval("select count(*) from store.inventory where user_id = $1", user) == 1
    assert await db_pool.fetchval("select balance from store.wallets where user_id = $1", user) == 800
    async with db_pool.acquire() as conn:
        await _balanced(conn, user)


async def test_not_enough_coins_unknown_item_and_credit_replays(conn) -> None:
    user = await _user(conn)
    first = await conn.fetchval("select store.credit_coins($1, 50, 'challenge', 'c1')", user)
    again = await conn.fetchval("select store.credit_coins($1, 50, 'challenge', 'c1')", user)
    assert (first["coins"], again["replayed"], again["entry_id"]) == (50, True, first["entry_id"])
    for slug, code in (("theme-neon-grid", "XP402"), ("no-such-item", "XP404")):
        with pytest.raises(asyncpg.PostgresError) as raised:
            async with conn.transaction():
                await conn.fetchval("select store.purchase($1, $2)", user, slug)
        assert raised.value.sqlstate == code
    await _balanced(conn, user)


async def test_equip_one_per_category(conn) -> None:
    user = await _user(conn)
    await conn.fetchval("select store.credit_coins($1, 1000, 'admin', $2)", user, f"g-{user}")
    for slug in ("font-fira-code", "font-victor-mono", "theme-paper"):
        await conn.fetchval("select store.purchase($1, $2)", user, slug)
    await conn.fetchval("select store.equip($1, 'font-fira-code')", user)
    await conn.fetchval("select store.equip($1, 'font-victor-mono')", user)
    await conn.fetchval("select store.equip($1, 'theme-paper')", user)
    equipped = {
        r["category"]: r["slug"]
        for r in await conn.fetch(
            "select e.category, i.slug from store.equipped e join store.items i on i.id = e.item_id where e.user_id = $1",
            user,
        )
    }
    assert equipped == {"font": "font-victor-mono", "theme": "theme-paper"}
    with pytest.raises(asyncpg.PostgresError) as raised:
        async with conn.transaction():
            await conn.fetchval("select store.equip($1, 'frame-gold')", user)  # not owned
    assert raised.value.sqlstate == "XP404"
    assert (await conn.fetchval("select store.unequip($1, 'font')", user))["unequipped"] is True


async def test_seed_is_idempotent_and_keeps_purchases(conn) -> None:
    user = await _user(conn)
    await conn.fetchval("select store.credit_coins($1, 500, 'admin', $2)", user, f"g-{user}")
    await conn.fetchval("select store.purchase($1, 'frame-silver')", user)
    assert await conn.fetchval("select store.seed()") >= 32
    assert await conn.fetchval("select count(*) from store.items") >= 32
    assert await conn.fetchval("select count(distinct category) from store.items") == 6
    assert await conn.fetchval("select count(*) from store.inventory where user_id = $1", user) == 1
    assert await conn.fetchval("select count(*) from store.coin_packs") == 6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("credit"), st.integers(1, 400)),
            st.tuples(st.just("pay"), st.sampled_from(["pack-50", "pack-100", "pack-200"])),
            st.tuples(st.just("refund"), st.integers(0, 5)),
            st.tuples(
                st.just("buy"), st.sampled_from(["theme-paper", "font-fira-code", "effect-sparkles", "frame-gold"])
            ),
        ),
        min_size=1,
        max_size=25,
    )
)
async def test_balance_equals_the_ledger_after_any_sequence(conn, steps) -> None:
    """Random credits, paid coin packs, refunds and purchases: balance - debt = ledger sum,
    balance never negative, a refund never twice."""
    user = await _user(conn)
    paid: list[str] = []
    for n, (kind, value) in enumerate(steps):
        try:
            async with conn.transaction():
                if kind == "credit":
                    await conn.fetchval("select store.credit_coins($1, $2, 'bonus', $3)", user, value, f"{user}:{n}")
                elif kind == "pay":
                    order = await conn.fetchval("select store.order_create($1, $2)", user, value)
                    await conn.fetchval("select store.order_attach($1, $2)", order["order_id"], f"order_{user}_{n}")
                    await conn.fetchval(
                        "select store.payment_credit($1, $2, $3, null, 'webhook')",
                        f"order_{user}_{n}",
                        f"pay_{user}_{n}",
                        order["amount"],
                    )
                    paid.append(f"pay_{user}_{n}")
                elif kind == "refund" and paid:
                    await conn.fetchval("select store.payment_refund($1, null)", paid[value % len(paid)])
                elif kind == "buy":
                    await conn.fetchval("select store.purchase($1, $2)", user, value)
        except asyncpg.PostgresError as error:
            assert error.sqlstate in ("XP402", "XP409")
    if await conn.fetchval("select 1 from store.wallets where user_id = $1", user):
        await _balanced(conn, user)
        refunds = await conn.fetchval(
            "select count(*) - count(distinct idempotency_key) from store.coin_ledger where user_id = $1 and source = 'refund'",
            user,
        )
        assert refunds == 0


async def test_the_coin_rules_hold_as_domains(conn: asyncpg.Connection) -> None:
    """0031 moved the coin tables' CHECKs to domains; the table still refuses a negative
    balance or debt, a zero amount and an unknown source, with the same error."""
    user = await conn.fetchval("insert into app.users (username) values ('coin_domains') returning id")
    await conn.execute("insert into store.wallets (user_id, balance) values ($1, 5)", user)
    for sql in (
        "update store.wallets set balance = -1 where user_id = $1",
        "update store.wallets set debt = -1 where user_id = $1",
        "insert into store.coin_ledger (user_id, amount, source, idempotency_key) values ($1, 0, 'bonus', 'k0')",
        "insert into store.coin_ledger (user_id, amount, source, idempotency_key) values ($1, 5, 'gift', 'k1')",
    ):
        with pytest.raises(asyncpg.CheckViolationError):
            async with conn.transaction():
                await conn.execute(sql, user)
