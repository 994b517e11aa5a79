"""Coin packs paid with Razorpay (api.md: payments and the webhook). Coins are credited once
by store.payment_credit, whichever of checkout verification, webhook or reconciliation
reports the payment first."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import ClientException, HTTPException, ServiceUnavailableException

from src.answers import documented
from src.answers.platform import WebhookAck
from src.guards import requires_user
from src.integrations import razorpay
from src.sql import payments as sql

log = logging.getLogger("xpcore.payments")
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
    async def create_order(self, request: Request[Any, Any, Any], data: OrderCreate) -> Order:
        """Our order for a coin pack, and Razorpay's, for the checkout."""
        state = request.app.state
        if not razorpay.configured(state.settings):  # before our order row: nothing to leave behind
            raise ServiceUnavailableException("payments are not configured on this server")
        ours = await state.db.fetchval(sql.ORDER_CREATE, request.user.user_id, data.pack_id)
        try:
            theirs = await asyncio.to_thread(razorpay.create_order, state.settings, ours)
        except razorpay.NotConfigured:
            raise ServiceUnavailableException("payments are not configured on this server") from None
        except Exception as exc:  # Razorpay refused or did not answer: our order stays `creating`
            log.warning("razorpay order for %s failed: %s", ours["order_id"], type(exc).__name__)
            raise HTTPException(
                "the payment provider did not accept the order; retry shortly",
                status_code=502,
                headers={"Retry-After": "10"},
            ) from None
        await state.db.fetchval(sql.ORDER_ATTACH, ours["order_id"], theirs["id"])
        return Order(
            order_id=str(ours["order_id"]),
            razorpay_order_id=theirs["id"],
            amount=ours["amount"],
            currency=ours["currency"],
            key_id=state.settings.razorpay_key_id,
            coins=ours["coins"],
        )

    @post("/payments/verify", guards=[requires_user], status_code=200)
    async def verify(self, request: Request[Any, Any, Any], data: Verify) -> Credited:
        """The checkout's answer: a valid signature credits the order's coins once."""
        settings = request.app.state.settings
        if not razorpay.checkout_signature_ok(
            settings, data.razorpay_order_id, data.razorpay_payment_id, data.razorpay_signature
        ):
            raise ClientException("payment signature does not match")
        answer = await request.app.state.db.fetchval(
            sql.PAYMENT_CREDIT, data.razorpay_order_id, data.razorpay_payment_id, None, request.user.user_id, "verify"
        )
        return Credited(status=answer["status"], coins=answer["coins"])

    @post(
        "/webhooks/razorpay",
        status_code=200,
        request_max_body_size=256 * 1024,
        responses=documented(WebhookAck, "The event was received (applied, a duplicate, or ignored)"),
    )
    async def webhook(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        """Razorpay's events, authenticated by `X-Razorpay-Signature` over the raw body.
        payment.captured / order.paid credit once; refund.processed claws back; replays are no-ops."""
        state = request.app.state
        raw = await request.body()
        if not razorpay.webhook_signature_ok(state.settings, raw, request.headers.get("x-razorpay-signature", "")):
            raise ClientException("webhook signature does not match")
        try:
            event = json.loads(raw)
            name = str(event["event"])
        except (ValueError, KeyError, TypeError):
            raise ClientException("webhook body is not a Razorpay event") from None
        event_id = request.headers.get("x-razorpay-event-id") or str(event.get("id") or "")
        if event_id and not await state.db.fetchval(sql.WEBHOOK_SEEN, event_id, name):
            return {"status": "duplicate"}
        payload = event.get("payload", {})
        payment = (payload.get("payment") or {}).get("entity") or {}
        try:
            if name in ("payment.captured", "order.paid"):
                order_id = payment.get("order_id") or ((payload.get("order") or {}).get("entity") or {}).get("id")
                await state.db.fetchval(
                    sql.PAYMENT_CREDIT, order_id, payment.get("id"), payment.get("amount"), None, "webhook"
                )
            elif name == "refund.processed":
                refund = (payload.get("refund") or {}).get("entity") or {}
                await state.db.fetchval(
                    sql.PAYMENT_REFUND, refund.get("payment_id") or payment.get("id"), refund.get("amount")
                )
        except Exception as exc:  # an order we do not know, an amount mismatch: record, answer 200
            log.warning("razorpay %s not applied: %s", name, getattr(exc, "message", type(exc).__name__))
            return {"status": "ignored"}
        return {"status": "ok"}
