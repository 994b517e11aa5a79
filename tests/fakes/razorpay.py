"""A local fake of the Razorpay API parts we use (create order, an order's payments), for the
real razorpay client, plus helpers that sign like Razorpay does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.http import Request, serve

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_key", "rzp-test-secret", "rzp-webhook-secret"


class FakeRazorpay:
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, list[dict[str, Any]]] = {}

    def _authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        return {k.lower(): v for k, v in request.headers.items()}.get("authorization") == expected

    def create_order(self, request: Request) -> tuple[int, Any]:
        if not self._authorized(request):
            return 401, {"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed"}}
        body = request.json()
        order = {"id": f"order_{uuid.uuid4().hex[:14]}", "entity": "order", "status": "created", **body}
        self.orders[order["id"]] = order
        return 200, order

    def order_payments(self, request: Request) -> tuple[int, Any]:
        order_id = request.path.split("/")[3]
        return 200, {"entity": "collection", "items": self.payments.get(order_id, [])}


@contextmanager
def fake_razorpay() -> Iterator[tuple[FakeRazorpay, str]]:
    fake = FakeRazorpay()
    routes = {("POST", "/v1/orders"): fake.create_order, ("GET", "/v1/orders/*/payments"): fake.order_payments}
    with serve(routes) as url:
        yield fake, url


def checkout_signature(order_id: str, payment_id: str) -> str:
    return hmac.new(KEY_SECRET.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()


def webhook(event: str, entities: dict[str, Any], event_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"entity": "event", "event": event, "payload": {k: {"entity": v} for k, v in entities.items()}})
    signature = hmac.new(WEBHOOK_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    return body.encode(), {
        "X-Razorpay-Signature": signature,
        "X-Razorpay-Event-Id": event_id,
        "Content-Type": "application/json",
    }
