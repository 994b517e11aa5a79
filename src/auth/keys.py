"""RS256 signing keys: the current private key and previous public keys, and the JWKS.

`JWT_PRIVATE_KEY` (PEM text or a file path) signs; `JWT_PREVIOUS_PUBLIC_KEYS` (comma-separated
PEM texts or paths) still verify, so keys rotate without logging anyone out. Outside production
a key pair is generated once under `.xpcore/`. A key's `kid` is derived from its public key.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from src.settings import Settings

_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL)


def _pem_text(value: str) -> str:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return value.replace("\\n", "\n")
    return Path(value).read_text()


def kid_for(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


@dataclass(frozen=True)
class KeyRing:
    private_key: rsa.RSAPrivateKey
    kid: str
    public_keys: dict[str, rsa.RSAPublicKey]  # kid -> key, current first

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.public_keys.items():
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key, as_dict=True)  # type: ignore[assignment]
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return {"keys": keys}


def _dev_private_key(settings: Settings) -> str:
    path = settings.state_dir / "jwt_private.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        path.chmod(0o600)
    return path.read_text()


@lru_cache(maxsize=4)
def _load(private_pem: str, previous: str) -> KeyRing:
    private_key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("JWT_PRIVATE_KEY must be an RSA private key")
    kid = kid_for(private_key.public_key())
    public_keys: dict[str, rsa.RSAPublicKey] = {kid: private_key.public_key()}
    for pem in _PEM.findall(previous):
        key = serialization.load_pem_public_key(pem.encode())
        if isinstance(key, rsa.RSAPublicKey):
            public_keys.setdefault(kid_for(key), key)
    return KeyRing(private_key=private_key, kid=kid, public_keys=public_keys)


def key_ring(settings: Settings) -> KeyRing:
    private_pem = _pem_text(settings.jwt.private_key) if settings.jwt.private_key else _dev_private_key(settings)
    previous = ""
    if settings.jwt.previous_public_keys:
        raw = settings.jwt.previous_public_keys
        parts = _PEM.findall(raw.replace("\\n", "\n")) or [p for p in raw.split(",") if p.strip()]
        previous = "\n".join(p if p.startswith("-----BEGIN") else _pem_text(p) for p in parts)
    return _load(private_pem, previous)
