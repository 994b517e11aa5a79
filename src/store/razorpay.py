"""Razorpay through its official client (`RAZORPAY_KEY_ID`, `RAZORPAY_KEY_SECRET`;
`RAZORPAY_BASE_URL` replaces https://api.razorpay.com, the client's own `base_url` option).
The client is synchronous: callers run it in a thread. Signatures are checked here with
constant-time comparisons."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from src.settings import Settings


class NotConfigured(Exception):
    """Payments are not configured on this server."""


def configured(settings: Settings) -> bool:
    return bool(settings.razorpay_key_id and settings.razorpay_key_secret)


def client(settings: Settings) -> Any:
    import razorpay

    if not configured(settings):
        raise NotConfigured("RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET are not set")
    options = {"base_url": settings.razorpay_base_url} if settings.razorpay_base_url else {}
    return razorpay.Client(auth=(settings.razorpay_key_id, settings.razorpay_key_secret), **options)


def create_order(settings: Settings, our_order: dict[str, Any]) -> dict[str, Any]:
    """Razorpay's order for ours: amount from the pack, receipt and notes carry our id."""
    order: dict[str, Any] = client(settings).order.create(
        {
            "amount": our_order["amount"],
            "currency": our_order["currency"],
            "receipt": str(our_order["order_id"]),
            "notes": {"xpcore_order_id": str(our_order["order_id"])},
        }
    )
    return order


def order_payments(settings: Settings, razorpay_order_id: str) -> list[dict[str, Any]]:
    return list(client(settings).order.payments(razorpay_order_id).get("items", []))


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def checkout_signature_ok(settings: Settings, order_id: str, payment_id: str, signature: str) -> bool:
    """Checkout: HMAC-SHA256 of `order_id|payment_id` with the key secret."""
    if not settings.razorpay_key_secret:
        return False
    expected = _hmac(settings.razorpay_key_secret, f"{order_id}|{payment_id}".encode())
    return _same(expected, signature)


def webhook_signature_ok(settings: Settings, raw_body: bytes, signature: str) -> bool:
    """Webhook: HMAC-SHA256 of the raw body with the webhook secret."""
    if not settings.razorpay_webhook_secret:
        return False
    return _same(_hmac(settings.razorpay_webhook_secret, raw_body), signature)


def _same(expected: str, given: str) -> bool:
    """Constant-time, on bytes: compare_digest refuses str with non-ASCII characters (a 500)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))
