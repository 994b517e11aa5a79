"""Starting and rotating sessions: the TokenPair every login path answers with."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response

from src.auth import calls
from src.auth.cookies import set_auth_cookies
from src.auth.tokens import issue_access, new_refresh_token, refresh_hash
from src.db import Database
from src.settings import Settings
from src.users.answers import User


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    token_type: str = "Bearer"


def token_pair(settings: Settings, user: dict[str, Any], session_id: Any, refresh: str) -> TokenPair:
    return TokenPair(
        access_token=issue_access(settings, user, session_id),
        refresh_token=refresh,
        expires_in=settings.jwt.access_ttl_s,
        user=msgspec.convert(user, User),
    )


async def start_session(db: Database, settings: Settings, user: dict[str, Any]) -> TokenPair:
    """A new refresh-token family for `user` and its first token pair."""
    refresh = new_refresh_token()
    session_id = await calls.refresh_issue(db, user["id"], refresh_hash(settings, refresh), settings.jwt.refresh_ttl_s)
    return token_pair(settings, user, session_id, refresh)


def token_response(settings: Settings, pair: TokenPair, status_code: int = 200) -> Response[TokenPair]:
    return set_auth_cookies(Response(pair, status_code=status_code), settings, pair.access_token, pair.refresh_token)
