"""Wallet, store and inventory of api.md. Coins are spent only through store.purchase, which
charges and grants in one transaction; payments (Razorpay) come next."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from src.answers import documented
from src.answers import store as answers
from src.db import json_response
from src.guards import requires_admin, requires_user
from src.limits import INT64_MAX
from src.sql import store as sql

Category = Literal["theme", "font", "effect", "victory_animation", "title", "avatar_frame"]


class Unequip(msgspec.Struct, forbid_unknown_fields=True):
    category: Category


class CoinGrant(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    amount: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class StoreController(Controller):
    path = "/api/v1"
    tags = ["store"]

    @get("/store/items", responses=documented(list[answers.Item], "The catalog, featured first"))
    async def items(self, request: Request[Any, Any, Any], category: Category | None = None) -> Response[bytes]:
        """The catalog; `owned`/`equipped` are filled in when signed in."""
        user = request.scope.get("user")
        user_id = getattr(user, "user_id", None)
        return json_response(await request.app.state.db.fetchval(sql.ITEMS, user_id, category))

    @get("/store/coin-packs", responses=documented(list[answers.CoinPack], "Coin packs for sale"))
    async def coin_packs(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(await request.app.state.db.fetchval(sql.COIN_PACKS))

    @post("/store/items/{slug:str}/purchase", guards=[requires_user], status_code=201)
    async def purchase(self, request: Request[Any, Any, Any], slug: str) -> answers.Purchase:
        """Buy an item: 402 not enough coins, 409 already owned, 404 unknown item."""
        return await request.app.state.db.fetchval(sql.PURCHASE, request.user.user_id, slug)  # type: ignore[no-any-return]

    @get("/users/me/wallet", guards=[requires_user], responses=documented(answers.Wallet, "The caller's coins"))
    async def wallet(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: Annotated[int | None, Parameter(ge=1, le=INT64_MAX)] = None,
    ) -> Response[dict[str, Any]]:
        """`{coins, debt, events:[...], next_cursor}`."""
        return json_response(await request.app.state.db.fetchval(sql.WALLET, request.user.user_id, cursor, limit))

    @get(
        "/users/me/inventory",
        guards=[requires_user],
        responses=documented(list[answers.OwnedItem], "What the caller owns, newest first"),
    )
    async def inventory(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(await request.app.state.db.fetchval(sql.INVENTORY, request.user.user_id))

    @post("/users/me/inventory/{slug:str}/equip", guards=[requires_user], status_code=200)
    async def equip(self, request: Request[Any, Any, Any], slug: str) -> answers.Item:
        """Equip an owned item (one per category)."""
        return await request.app.state.db.fetchval(sql.EQUIP, request.user.user_id, slug)  # type: ignore[no-any-return]

    @post("/users/me/inventory/unequip", guards=[requires_user], status_code=200)
    async def unequip(self, request: Request[Any, Any, Any], data: Unequip) -> answers.Unequipped:
        return await request.app.state.db.fetchval(sql.UNEQUIP, request.user.user_id, data.category)  # type: ignore[no-any-return]

    @post("/admin/coins/grants", guards=[requires_admin], status_code=201)
    async def grant(self, request: Request[Any, Any, Any], data: CoinGrant) -> answers.CoinCredit:
        """Admin grant of coins, exactly once per idempotency key."""
        return await request.app.state.db.fetchval(  # type: ignore[no-any-return]
            sql.CREDIT,
            data.user_id,
            data.amount,
            "admin",
            data.idempotency_key or uuid.uuid4().hex,
            {"reason": data.reason, "admin_id": str(request.user.user_id)},
        )
