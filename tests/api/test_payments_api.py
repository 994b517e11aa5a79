"""Coin packs paid with Razorpay: the real razorpay client against a local fake."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from contextlib import contextmanager

import pytest

from tests.fakes import razorpay as rzp


@contextmanager
def payments_on(app, url: str):
    real = app.state.settings
    app.state.settings = dataclasses.replace(
        real,
        razorpay_key_id=rzp.KEY_ID,
        razorpay_key_secret=rzp.KEY_SECRET,
        razorpay_webhook_secret=rzp.WEBHOOK_SECRET,
        razorpay_base_url=url,
    )
    try:
        yield
    finally:
        app.state.settings = real


@pytest.fixture
def razorpay(app):
    with rzp.fake_razorpay() as (fake, url), payments_on(app, url):
        yield fake


async def _order(client, user, pack="pack-100") -> dict:
    answer = await client.post("/api/v1/payments/orders", json={"pack_id": pack}, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _coins(client, user) -> int:
    return (await client.get("/api/v1/users/me/wallet", headers=user["headers"])).json()["coins"]


def _payment(order: dict, amount: int | None = None) -> dict:
    return {
        "id": f"pay_{uuid.uuid4().hex[:12]}",
        "order_id": order["razorpay_order_id"],
        "amount": amount if amount is not None else order["amount"],
        "status": "captured",
    }


async def test_checkout_verification_credits_once(client, user, razorpay) -> None:
    client.cookies.clear()
    order = await _order(client, user)
    sent = razorpay.orders[order["razorpay_order_id"]]
    assert (sent["amount"], sent["currency"], sent["notes"]["xpcore_order_id"]) == (9900, "INR", order["order_id"])
    assert order["key_id"] == rzp.KEY_ID and order["coins"] == 100
    payment = _payment(order)
    body = {
        "razorpay_order_id": order["razorpay_order_id"],
        "razorpay_payment_id": payment["id"],
        "razorpay_signature": rzp.checkout_signature(order["razorpay_order_id"], payment["id"]),
    }
    first = await client.post("/api/v1/payments/verify", json=body, headers=user["headers"])
    again = await client.post("/api/v1/payments/verify", json=body, headers=user["headers"])
    assert (first.json()["status"], again.json()["status"]) == ("credited", "already_credited")
    assert await _coins(client, user) == 100


async def test_verify_and_webhook_racing_credit_exactly_once(client, user, razorpay, db) -> None:
    client.cookies.clear()
    order = await _order(client, user, "pack-500")
    payment = _payment(order)
    verify = {
        "razorpay_order_id": order["razorpay_order_id"],
        "razorpay_payment_id": payment["id"],
        "razorpay_signature": rzp.checkout_signature(order["razorpay_order_id"], payment["id"]),
    }
    body, headers = rzp.webhook("payment.captured", {"payment": payment}, f"evt_{uuid.uuid4().hex}")
    answers = await asyncio.gather(
        client.post("/api/v1/payments/verify", json=verify, headers=user["headers"]),
        client.post("/api/v1/webhooks/razorpay", content=body, headers=headers),
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert await _coins(client, user) == 500
    assert (
        await db.fetchval(
            "select count(*) from store.coin_ledger where user_id = $1 and source = 'payment'", user["id"]
        )
        == 1
    )


async def test_forged_mismatched_foreign_and_replayed_payments_credit_nothing_twice(
    client, user, admin, razorpay
) -> None:
    client.cookies.clear()
    order = await _order(client, user)
    payment = _payment(order)
    good = {
        "razorpay_order_id": order["razorpay_order_id"],
        "razorpay_payment_id": payment["id"],
        "razorpay_signature": rzp.checkout_signature(order["razorpay_order_id"], payment["id"]),
    }
    forged = await client.post(
        "/api/v1/payments/verify", headers=user["headers"], json={**good, "razorpay_signature": "0" * 64}
    )
    assert forged.status_code == 400
    foreign = await client.post("/api/v1/payments/verify", json=good, headers=admin["headers"])
    assert foreign.status_code == 403
    body, headers = rzp.webhook("payment.captured", {"payment": {**payment, "amount": 1}}, f"evt_{uuid.uuid4().hex}")
    mismatch = await client.post("/api/v1/webhooks/razorpay", content=body, headers=headers)
    assert mismatch.status_code == 200 and mismatch.json()["status"] == "ignored"
    bad_sig = await client.post(
        "/api/v1/webhooks/razorpay", content=body, headers={**headers, "X-Razorpay-Signature": "f" * 64}
    )
    assert bad_sig.status_code == 400
    assert await _coins(client, user) == 0
    body, headers = rzp.webhook("order.paid", {"payment": payment}, "evt_replayed")
    first = await client.post("/api/v1/webhooks/razorpay", content=body, headers=headers)
    replay = await client.post("/api/v1/webhooks/razorpay", content=body, headers=headers)
    assert (first.json()["status"], replay.json()["status"]) == ("ok", "duplicate")
    unknown = rzp.webhook("payment.captured", {"payment": {**payment, "order_id": "order_nope"}}, "evt_unknown")
    assert (await client.post("/api/v1/webhooks/razorpay", content=unknown[0], headers=unknown[1])).status_code == 200
    assert await _coins(client, user) == 100


async def test_a_refund_claws_back_and_a_debt_blocks_spending(client, user, razorpay) -> None:
    client.cookies.clear()
    order = await _order(client, user, "pack-200")
    payment = _payment(order)
    body, headers = rzp.webhook("payment.captured", {"payment": payment}, f"evt_{uuid.uuid4().hex}")
    await client.post("/api/v1/webhooks/razorpay", content=body, headers=headers)
    assert (await client.post("/api/v1/store/items/theme-paper/purchase", headers=user["headers"])).status_code == 201
    refund = {"id": f"rfnd_{uuid.uuid4().hex[:8]}", "payment_id": payment["id"], "amount": order["amount"]}
    body, headers = rzp.webhook("refund.processed", {"refund": refund, "payment": payment}, f"evt_{uuid.uuid4().hex}")
    assert (await client.post("/api/v1/webhooks/razorpay", content=body, headers=headers)).status_code == 200
    wallet = (await client.get("/api/v1/users/me/wallet", headers=user["headers"])).json()
    assert (wallet["coins"], wallet["debt"]) == (0, 80)  # 200 credited, 80 spent, 200 clawed back
    blocked = await client.post("/api/v1/store/items/font-space-grotesk/purchase", headers=user["headers"])
    assert blocked.status_code == 402


async def test_reconciliation_credits_a_payment_nobody_reported(client, user, razorpay, db, test_env) -> None:
    client.cookies.clear()
    from src.store.jobs import reconcile_payments

    order = await _order(client, user, "pack-50")
    razorpay.payments[order["razorpay_order_id"]] = [_payment(order)]
    await db.execute(
        "update store.payment_orders set created_at = now() - interval '20 minutes' where id = $1",
        uuid.UUID(order["order_id"]),
    )
    import os

    os.environ.update(
        RAZORPAY_KEY_ID=rzp.KEY_ID,
        RAZORPAY_KEY_SECRET=rzp.KEY_SECRET,
        RAZORPAY_BASE_URL=client.app.state.settings.razorpay_base_url,
    )
    try:
        from src.settings import get_settings

        get_settings.cache_clear()
        assert await reconcile_payments({"db": db}) >= 1
        assert await reconcile_payments({"db": db}) == 0
    finally:
        for key in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_BASE_URL"):
            os.environ.pop(key, None)
    assert await _coins(client, user) == 50
