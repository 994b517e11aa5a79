"""Wallet, store, inventory and coin packs paid with Razorpay (api.md). Coins are spent only
through store.purchase, which charges and grants in one transaction. A payment's coins are
credited once by store.payment_credit, whichever of checkout verification, webhook or
reconciliation (src/store/jobs.py) reports the payment first."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, HTTPException, ServiceUnavailableException
from litestar.params import Parameter

from src.answers import documented
from src.db import Database, Document, json_response
from src.guards import requires_admin, requires_user
from src.limits import INT64_MAX
from src.problems import with_code
from src.store import answers, calls, razorpay

log = logging.getLogger("xpcore.payments")

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
    async def items(
        self, request: Request[Any, Any, Any], replica: Database, category: Category | None = None
    ) -> Response[bytes]:
        """The catalog; `owned`/`equipped` are filled in when signed in."""
        user = request.scope.get("user")
        user_id = getattr(user, "user_id", None)
        return json_response(await calls.items(replica, user_id, category))

    @get("/store/coin-packs", responses=documented(list[answers.CoinPack], "Coin packs for sale"))
    async def coin_packs(self, replica: Database) -> Response[bytes]:
        return json_response(await calls.coin_packs(replica))

    @post(
        "/store/items/{slug:str}/purchase",
        guards=[requires_user],
        status_code=201,
        responses=documented(answers.Purchase, "The item, now owned, and the coins left", 201),
    )
    async def purchase(self, request: Request[Any, Any, Any], db: Database, slug: str) -> Document:
        """Buy an item: 402 not enough coins, 409 already owned, 404 unknown item."""
        return await calls.purchase(db, request.user.user_id, slug)

    @get("/users/me/wallet", guards=[requires_user], responses=documented(answers.Wallet, "The caller's coins"))
    async def wallet(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: Annotated[int | None, Parameter(ge=1, le=INT64_MAX)] = None,
    ) -> Response[bytes]:
        """`{coins, debt, events:[...], next_cursor}`."""
        return json_response(await calls.wallet(db, request.user.user_id, cursor, limit))

    @get(
        "/users/me/inventory",
        guards=[requires_user],
        responses=documented(list[answers.OwnedItem], "What the caller owns, newest first"),
    )
    async def inventory(self, request: Request[Any, Any, Any], db: Database) -> Response[bytes]:
        return json_response(await calls.inventory(db, request.user.user_id))

    @post(
        "/users/me/inventory/{slug:str}/equip",
        guards=[requires_user],
        status_code=200,
        responses=documented(answers.Item, "The item, now equipped"),
    )
    async def equip(self, request: Request[Any, Any, Any], db: Database, slug: str) -> Document:
        """Equip an owned item (one per category)."""
        return await calls.equip(db, request.user.user_id, slug)

    @post(
        "/users/me/inventory/unequip",
        guards=[requires_user],
        status_code=200,
        responses=documented(answers.Unequipped, "Whether anything was equipped in that category"),
    )
    async def unequip(self, request: Request[Any, Any, Any], db: Database, data: Unequip) -> Document:
        return await calls.unequip(db, request.user.user_id, data.category)

    @post(
        "/admin/coins/grants",
        guards=[requires_admin],
        status_code=201,
        responses=documented(answers.CoinCredit, "The credit, once per idempotency key", 201),
    )
    async def grant(self, request: Request[Any, Any, Any], db: Database, data: CoinGrant) -> Document:
        """Admin grant of coins, exactly once per idempotency key."""
        return await calls.credit_coins(
            db,
            data.user_id,
            data.amount,
            "admin",
            data.idempotency_key or uuid.uuid4().hex,
            {"reason": data.reason, "admin_id": str(request.user.user_id)},
        )


Id = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class OrderCreate(msgspec.Struct, forbid_unknown_fields=True):
    pack_id: Id


class Order(msgspec.Struct):
    order_id: str
    razorpay_order_id: str
    amount: int
    currency: str
    key_id: str
    coins: int


class Verify(msgspec.Struct, forbid_unknown_fields=True):
    razorpay_order_id: Id
    razorpay_payment_id: Id
    razorpay_signature: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Credited(msgspec.Struct):
    status: str
    coins: int | None


class PaymentsController(Controller):
    path = "/api/v1"
    tags = ["payments"]

    @post("/payments/orders", guards=[requires_user], status_code=201)
    async def create_order(self, request: Request[Any, Any, Any], db: Database, data: OrderCreate) -> Order:
        """Our order for a coin pack, and Razorpay's, for the checkout."""
        state = request.app.state
        if not razorpay.configured(state.settings):  # before our order row: nothing to leave behind
            raise with_code(
                ServiceUnavailableException("payments are not configured on this server"),
                "store.payments_not_configured",
            )
        ours = await calls.order_create(db, request.user.user_id, data.pack_id)
        try:
            theirs = await asyncio.to_thread(razorpay.create_order, state.settings, ours)
        except razorpay.NotConfigured:
            raise with_code(
                ServiceUnavailableException("payments are not configured on this server"),
                "store.payments_not_configured",
            ) from None
        except Exception as exc:  # Razorpay refused or did not answer: our order stays `creating`
            log.warning("razorpay order for %s failed: %s", ours["order_id"], type(exc).__name__)
            raise with_code(
                HTTPException(
                    "the payment provider did not accept the order; retry shortly",
                    status_code=502,
                    headers={"Retry-After": "10"},
                ),
                "store.provider_failed",
            ) from None
        await calls.order_attach(db, ours["order_id"], theirs["id"])
        return Order(
            order_id=str(ours["order_id"]),
            razorpay_order_id=theirs["id"],
            amount=ours["amount"],
            currency=ours["currency"],
            key_id=state.settings.razorpay_key_id,
            coins=ours["coins"],
        )

    @post("/payments/verify", guards=[requires_user], status_code=200)
    async def verify(self, request: Request[Any, Any, Any], db: Database, data: Verify) -> Credited:
        """The checkout's answer: a valid signature credits the order's coins once."""
        settings = request.app.state.settings
        if not razorpay.checkout_signature_ok(
            settings, data.razorpay_order_id, data.razorpay_payment_id, data.razorpay_signature
        ):
            raise with_code(ClientException("payment signature does not match"), "store.bad_payment_signature")
        answer = await calls.payment_credit(
            db, data.razorpay_order_id, data.razorpay_payment_id, None, request.user.user_id, "verify"
        )
        return Credited(status=answer["status"], coins=answer["coins"])

    @post(
        "/webhooks/razorpay",
        status_code=200,
        request_max_body_size=256 * 1024,
        responses=documented(answers.WebhookAck, "The event was received (applied, a duplicate, or ignored)"),
    )
    async def webhook(self, request: Request[Any, Any, Any], db: Database) -> dict[str, str]:
        """Razorpay's events, authenticated by `X-Razorpay-Signature` over the raw body.
        payment.captured / order.paid credit once; refund.processed claws back; replays are no-ops."""
        state = request.app.state
        raw = await request.body()
        if not razorpay.webhook_signature_ok(state.settings, raw, request.headers.get("x-razorpay-signature", "")):
            raise with_code(ClientException("webhook signature does not match"), "store.bad_webhook_signature")
        try:
            event = json.loads(raw)
            name = str(event["event"])
        except (ValueError, KeyError, TypeError):
            raise with_code(ClientException("webhook body is not a Razorpay event"), "store.bad_webhook_body") from None
        event_id = request.headers.get("x-razorpay-event-id") or str(event.get("id") or "")
        if event_id and not await calls.webhook_seen(db, event_id, name):
            return {"status": "duplicate"}
        payload = event.get("payload", {})
        payment = (payload.get("payment") or {}).get("entity") or {}
        try:
            if name in ("payment.captured", "order.paid"):
                order_id = payment.get("order_id") or ((payload.get("order") or {}).get("entity") or {}).get("id")
                await calls.payment_credit(db, order_id, payment.get("id"), payment.get("amount"), None, "webhook")
            elif name == "refund.processed":
                refund = (payload.get("refund") or {}).get("entity") or {}
                await calls.payment_refund(db, refund.get("payment_id") or payment.get("id"), refund.get("amount"))
        except Exception as exc:  # an order we do not know, an amount mismatch: record, answer 200
            log.warning("razorpay %s not applied: %s", name, getattr(exc, "message", type(exc).__name__))
            return {"status": "ignored"}
        return {"status": "ok"}
