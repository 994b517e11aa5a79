"""Answers built on a shared part say exactly what they said when each wrote it out:
app.user_public is auth.user_json's public fields, and both payment reports find and lock
their order through store.lock_order."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

# app.user_public as it was written out before it was built on auth.user_json.
USER_PUBLIC_WRITTEN_OUT = """
    select jsonb_build_object(
        'id', u.id, 'username', u.username, 'display_name', u.display_name, 'avatar_url', u.avatar_url,
        'bio', u.bio, 'created_at', u.created_at, 'level', coalesce(t.level, 1),
        'layers', jsonb_build_object(
            'reality', coalesce(t.reality_layer, (select code from xp.layers where mode = 'reality' order by min_level limit 1)),
            'cyber', coalesce(t.cyber_layer, (select code from xp.layers where mode = 'cyber' order by min_level limit 1))))::text
    from app.users u left join xp.totals t on t.user_id = u.id
    where lower(u.username) = lower($1) and u.deleted_at is null
"""


@pytest.mark.parametrize("with_xp", [False, True])
async def test_user_public_is_byte_for_byte_what_it_was(conn, with_xp: bool) -> None:
    name = f"Pub{uuid.uuid4().hex[:10]}"
    user = await conn.fetchval(
        "insert into app.users (username, display_name, email, discord_id, avatar_url, bio, roles)"
        " values ($1, 'Pub \"quoted\" é', $1 || '@example.com', $1, 'https://example.com/a.png', e'line\\nbreak',"
        " array['admin']) returning id",
        name,
    )
    if with_xp:
        await conn.fetchval("select xp.award_fixed($1, 'cyber', 5000, 'bot', $2)", user, uuid.uuid4().hex)
    answer = await conn.fetchval("select app.user_public($1)::text", name.lower())
    assert answer == await conn.fetchval(USER_PUBLIC_WRITTEN_OUT, name.lower())
    assert not {"email", "discord_id", "roles"} & set(await conn.fetchval("select app.user_public($1)", name))
    assert await conn.fetchval("select app.user_public('nobody-' || $1)", name) is None


async def test_unknown_orders_and_payments_are_404_as_before(conn) -> None:
    for sql, message in (
        ("select store.payment_credit('order_none', 'pay_x', 100, null, 'webhook')", "no order order_none"),
        ("select store.payment_refund('pay_none', null)", "no credited payment pay_none"),
    ):
        with pytest.raises(asyncpg.PostgresError) as raised:
            async with conn.transaction():
                await conn.fetchval(sql)
        assert (raised.value.sqlstate, raised.value.args[0]) == ("XP404", message)
