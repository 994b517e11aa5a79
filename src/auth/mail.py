"""Outgoing e-mail: `console` (dev: logs that a mail was sent; shows a login code only in dev)
or `ses` (boto3 SES v2; `AWS_ENDPOINT_URL_SESV2` is honoured by boto3 itself)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from src.settings import Settings

log = logging.getLogger("xpcore.email")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


def mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _send_ses(settings: Settings, mail: Mail) -> str:
    import boto3

    client = boto3.client("sesv2", region_name=settings.email.aws_region, endpoint_url=settings.email.endpoint_url)
    answer = client.send_email(
        FromEmailAddress=settings.email.sender,
        Destination={"ToAddresses": [mail.to]},
        Content={
            "Simple": {
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"}},
            }
        },
    )
    return str(answer.get("MessageId", ""))


async def send(settings: Settings, mail: Mail, *, dev_code: str | None = None) -> str:
    if settings.email.backend == "ses":
        message_id = await asyncio.to_thread(_send_ses, settings, mail)
        log.info("mail sent", extra={"to": mask(mail.to), "message_id": message_id})
        return message_id
    # console backend: never in production (settings refuse it there)
    extra = {"to": mask(mail.to), "subject": mail.subject}
    if settings.is_dev and dev_code:
        extra["dev_login_code"] = dev_code
    log.info("mail sent (console backend)", extra=extra)
    return "console"
