"""The server secret (HMAC key for OTP codes and API keys) and what is derived from it.

`XPCORE_SECRET_KEY` in production; outside production, when unset, one is generated once
under `.xpcore/` so dev and tests need no setup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
from functools import lru_cache

from cryptography.fernet import Fernet

from src.settings import Settings


@lru_cache(maxsize=4)
def _key_from(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def server_secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return _key_from(settings.secret_key)
    path = settings.state_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_secrets.token_urlsafe(48))
        path.chmod(0o600)
    return _key_from(path.read_text().strip())


def keyed_hash(settings: Settings, purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of value under the server secret, separated by purpose."""
    return hmac.new(server_secret(settings), f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def _fernet(settings: Settings) -> Fernet:
    key = hmac.new(server_secret(settings), b"seal", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, text: str) -> str:
    """Encrypt a short secret for transit through the job queue (never logged in the clear)."""
    return _fernet(settings).encrypt(text.encode()).decode()


def unseal(settings: Settings, token: str) -> str:
    return _fernet(settings).decrypt(token.encode()).decode()
