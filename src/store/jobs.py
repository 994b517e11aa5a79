"""Reconciliation: orders still unpaid 15 minutes after creation are looked up at Razorpay;
a captured payment is credited (once: store.payment_credit)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from src.db import database
from src.platform.cron import once_per_tick
from src.settings import get_settings
from src.store import calls, razorpay

log = logging.getLogger("xpcore.payments")


@once_per_tick
async def reconcile_payments(ctx: Any, *, age_s: int = 900) -> int:
    settings = get_settings()
    if not (settings.razorpay_key_id and settings.razorpay_key_secret):
        return 0
    db = database(ctx)
    credited = 0
    for order_id in await calls.orders_to_reconcile(db, age_s):
        payments = await asyncio.to_thread(razorpay.order_payments, settings, order_id)
        for payment in payments:
            if payment.get("status") == "captured":
                answer = await calls.payment_credit(
                    db, order_id, payment["id"], payment.get("amount"), None, "reconciliation"
                )
                credited += answer["status"] == "credited"
                break
    return credited
