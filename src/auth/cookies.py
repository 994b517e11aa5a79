"""The dual-mode answer: every TokenPair also sets HttpOnly auth cookies and a readable CSRF
cookie bound to the session (src/auth/csrf.py); logout clears them. Secure/SameSite/Domain come from settings."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.datastructures import Cookie

from src.auth.csrf import csrf_token, session_of
from src.settings import Settings

AUTH_PATH = "/api/v1/auth"


def cookie(
    settings: Settings, key: str, value: str, max_age: int, *, path: str = "/", http_only: bool = True
) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        path=path,
        domain=settings.cookies.domain,
        secure=settings.cookies.secure,
        httponly=http_only,
        samesite=settings.cookies.samesite,  # type: ignore[arg-type]
    )


def set_auth_cookies(response: Response[Any], settings: Settings, access: str, refresh: str) -> Response[Any]:
    response.set_cookie(cookie(settings, "access_token", access, settings.jwt.access_ttl_s))
    response.set_cookie(cookie(settings, "refresh_token", refresh, settings.jwt.refresh_ttl_s, path=AUTH_PATH))
    sid = session_of(access)
    if sid:
        csrf = csrf_token(settings, sid)
        response.set_cookie(cookie(settings, "csrf_token", csrf, settings.jwt.refresh_ttl_s, http_only=False))
    return response


def clear_auth_cookies(response: Response[Any], settings: Settings) -> Response[Any]:
    for key, path in (("access_token", "/"), ("refresh_token", AUTH_PATH), ("csrf_token", "/")):
        response.set_cookie(cookie(settings, key, "", 0, path=path, http_only=key != "csrf_token"))
    return response
