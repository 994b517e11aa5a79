"""Sending e-mail from the queue, with retries. A login code travels sealed (encrypted with
the server secret), so neither Redis nor a job's log line ever holds it in the clear."""

from __future__ import annotations

from typing import Any

from src.auth.mail import Mail, send
from src.auth.secrets import unseal
from src.settings import get_settings

OTP_SUBJECT = "Your xpcore login code"


async def send_login_code(ctx: Any, *, to: str, sealed_code: str) -> str:
    settings = get_settings()
    code = unseal(settings, sealed_code)
    text = f"Your xpcore login code is {code}. It is valid for 10 minutes and works once.\n"
    return await send(settings, Mail(to=to, subject=OTP_SUBJECT, text=text), dev_code=code)
