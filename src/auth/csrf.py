"""The one CSRF check for cookie-authenticated unsafe requests.

The token is bound to the session: HMAC of the refresh-token family id under the server
secret, so it survives rotations but a value an attacker planted in the `csrf_token` cookie
(a sibling subdomain can set one) or took from their own session never matches. The header
is compared with what the session's token must be, in constant time; the cookie only carries
it to the page's script.
"""

from __future__ import annotations

import base64
import hmac
import uuid

import jwt

from src.auth.secrets import keyed_hash
from src.settings import Settings

HEADER = "X-CSRF-Token"
REFUSED = "X-CSRF-Token must be this session's csrf_token"


def csrf_token(settings: Settings, session_id: uuid.UUID | str) -> str:
    return base64.urlsafe_b64encode(keyed_hash(settings, "csrf", str(session_id))).decode().rstrip("=")


def csrf_ok(settings: Settings, session_id: uuid.UUID | str | None, sent: str | None) -> bool:
    if session_id is None or not sent:
        return False
    return hmac.compare_digest(sent.encode("latin-1", "replace"), csrf_token(settings, session_id).encode())


def session_of(access_token: str) -> str | None:
    """The `sid` of an access token we have just issued (no need to verify our own signature)."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    sid = claims.get("sid")
    return str(sid) if sid else None
