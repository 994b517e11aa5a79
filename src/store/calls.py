"""The db functions of schema `store` the API and the reconciliation job call: one typed
function each. Catalog, wallet and inventory are PostgreSQL's JSON text, sent as it is."""

from __future__ import annotations

import uuid
from typing import Any

from src.db import Database, Document


async def wallet(db: Database, user_id: uuid.UUID, cursor: int | None, limit: int) -> str | None:
    text: str | None = await db.fetchval("select store.wallet($1, $2, $3)::text", user_id, cursor, limit)
    return text


async def items(db: Database, user_id: uuid.UUID | None, category: str | None) -> str | None:
    text: str | None = await db.fetchval("select store.items($1, $2)::text", user_id, category)
    return text


async def coin_packs(db: Database) -> str | None:
    text: str | None = await db.fetchval("select store.coin_packs()::text")
    return text


async def inventory(db: Database, user_id: uuid.UUID) -> str | None:
    text: str | None = await db.fetchval("select store.inventory($1)::text", user_id)
    return text


async def purchase(db: Database, user_id: uuid.UUID, slug: str) -> Document:
    answer: Document = await db.fetchval("select store.purchase($1, $2)", user_id, slug)
    return answer


async def equip(db: Database, user_id: uuid.UUID, slug: str) -> Document:
    item: Document = await db.fetchval("select store.equip($1, $2)", user_id, slug)
    return item


async def unequip(db: Database, user_id: uuid.UUID, category: str) -> Document:
    answer: Document = await db.fetchval("select store.unequip($1, $2)", user_id, category)
    return answer


async def credit_coins(
    db: Database, user_id: uuid.UUID, amount: int, source: str, idempotency_key: str, metadata: dict[str, Any]
) -> Document:
    """Coins credited once per (source, key): the CoinCredit document, `replayed` after."""
    credit: Document = await db.fetchval(
        "select store.credit_coins($1, $2, $3, $4, $5)", user_id, amount, source, idempotency_key, metadata
    )
    return credit


async def order_create(db: Database, user_id: uuid.UUID, pack_id: str) -> Document:
    order: Document = await db.fetchval("select store.order_create($1, $2)", user_id, pack_id)
    return order


async def order_attach(db: Database, order_id: Any, razorpay_order_id: str) -> None:
    await db.fetchval("select store.order_attach($1, $2)", order_id, razorpay_order_id)


async def payment_credit(
    db: Database,
    razorpay_order_id: str | None,
    payment_id: str | None,
    amount_paise: int | None,
    user_id: uuid.UUID | None,
    via: str,
) -> Document:
    """Credit a paid order's coins once, whichever report comes first: `{status, coins}`."""
    answer: Document = await db.fetchval(
        "select store.payment_credit($1, $2, $3, $4, $5)", razorpay_order_id, payment_id, amount_paise, user_id, via
    )
    return answer


async def payment_refund(db: Database, payment_id: str | None, refund_paise: int | None) -> Document:
    answer: Document = await db.fetchval("select store.payment_refund($1, $2)", payment_id, refund_paise)
    return answer


async def webhook_seen(db: Database, event_id: str, name: str) -> bool:
    """True the first time an event id arrives, false for a replay."""
    return bool(await db.fetchval("select store.webhook_seen($1, $2)", event_id, name))


async def orders_to_reconcile(db: Database, age_s: int) -> list[str]:
    """Razorpay order ids still unpaid `age_s` after creation."""
    return [row[0] for row in await db.fetch("select store.orders_to_reconcile($1)", age_s)]
