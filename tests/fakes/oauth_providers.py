"""Local fakes of GitHub's and Discord's OAuth 2 and user APIs, as our client uses them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.http import Request, serve

CODE = "good-code"
TOKEN = "provider-access-token"


def _token(request: Request) -> tuple[int, Any]:
    form = request.form()
    if form.get("code") != CODE or form.get("grant_type") != "authorization_code":
        return 400, {"error": "bad_verification_code"}
    if not form.get("code_verifier"):
        return 400, {"error": "invalid_request", "error_description": "PKCE code_verifier required"}
    return 200, {"access_token": TOKEN, "token_type": "bearer", "scope": "read"}


def _authorized(request: Request) -> bool:
    return request.headers.get("Authorization") == f"Bearer {TOKEN}"


@contextmanager
def github(user: dict[str, Any], emails: list[dict[str, Any]]) -> Iterator[str]:
    routes = {
        ("POST", "/login/oauth/access_token"): _token,
        ("GET", "/user"): lambda r: (200, user) if _authorized(r) else (401, {"message": "Bad credentials"}),
        ("GET", "/user/emails"): lambda r: (200, emails) if _authorized(r) else (401, {"message": "Bad credentials"}),
    }
    with serve(routes) as url:
        yield url


@contextmanager
def discord(me: dict[str, Any]) -> Iterator[str]:
    routes = {
        ("POST", "/api/oauth2/token"): _token,
        ("GET", "/api/users/@me"): lambda r: (200, me) if _authorized(r) else (401, {"message": "401: Unauthorized"}),
    }
    with serve(routes) as url:
        yield url
