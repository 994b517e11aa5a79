"""Platform answers built in Python: the JWKS and the payment webhook's acknowledgement."""

from __future__ import annotations

from typing import Literal

from src.answers import Answer


class Jwk(Answer):
    """An RS256 public key (RFC 7517)."""

    kty: Literal["RSA"]
    kid: str
    alg: Literal["RS256"]
    use: Literal["sig"]
    n: str
    e: str
    key_ops: list[Literal["verify"]]


class Jwks(Answer):
    """GET /.well-known/jwks.json: the current signing key and the previous ones."""

    keys: list[Jwk]


class WebhookAck(Answer):
    """POST /webhooks/razorpay: `ok` applied, `duplicate` an event id seen before, `ignored` an
    event that could not be applied (an unknown order, an amount mismatch; logged)."""

    status: Literal["ok", "duplicate", "ignored"]
