"""The coin wallet, the store catalog, purchases and the inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from src.answers import Answer

Category = Literal["theme", "font", "effect", "victory_animation", "title", "avatar_frame"]
CoinSource = Literal["payment", "challenge", "admin", "bonus", "purchase", "refund"]


class Item(Answer):
    """A store item (`store.item_json`); `owned`/`equipped` for the signed-in caller."""

    slug: str
    name: str
    description: str
    category: Category
    price_coins: int
    data: dict[str, Any]
    featured: bool
    owned: bool
    equipped: bool


class OwnedItem(Item):
    """An item in the caller's inventory."""

    acquired_at: datetime


class CoinPack(Answer):
    """Coins for sale through Razorpay."""

    id: str
    amount_paise: int
    currency: str
    coins: int


class WalletEvent(Answer):
    """One coin movement: positive credits, negative spending and refunds."""

    id: int
    amount: int
    source: CoinSource
    metadata: dict[str, Any]
    created_at: datetime


class Wallet(Answer):
    """GET /users/me/wallet (`store.wallet`): the balance, any debt a refund left (it blocks
    spending), and the coin movements, newest first."""

    coins: int
    debt: int
    events: list[WalletEvent]
    next_cursor: str | None


class Purchase(Answer):
    """POST /store/items/{slug}/purchase: the item, now owned, and the balance left."""

    item: Item
    coins: int


class Unequipped(Answer):
    """POST /users/me/inventory/unequip: whether anything was equipped in that category."""

    category: Category
    unequipped: bool


class CoinCredit(Answer):
    """A coin credit (`store.credit_coins`), once per idempotency key (`replayed` after)."""

    entry_id: int
    coins: int
    debt: int
    replayed: bool


class WebhookAck(Answer):
    """POST /webhooks/razorpay: `ok` applied, `duplicate` an event id seen before, `ignored` an
    event that could not be applied (an unknown order, an amount mismatch; logged)."""

    status: Literal["ok", "duplicate", "ignored"]
