"""The db functions of schema `auth` the API calls: one typed function per db function.

Answers are the JSON documents the functions build (decoded as `Document`); their shapes are
the Structs in `src/auth/answers.py` and `src/users/answers.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from src.db import Database, Document


async def otp_store(db: Database, email: str, code_hash: bytes, ttl_s: int) -> None:
    await db.execute("select auth.otp_store($1, $2, $3)", email, code_hash, ttl_s)


async def otp_verify(db: Database, email: str, code_hash: bytes, max_failures: int, lock_s: int) -> Document:
    """`{status: ok|wrong|locked, user?, retry_after?}`."""
    answer: Document = await db.fetchval(
        "select auth.otp_verify($1, $2, $3, $4)", email, code_hash, max_failures, lock_s
    )
    return answer


async def refresh_issue(db: Database, user_id: Any, token_hash: bytes, ttl_s: int) -> uuid.UUID:
    """A new refresh-token family (a session); its id."""
    session_id: uuid.UUID = await db.fetchval("select auth.refresh_issue($1, $2, $3)", user_id, token_hash, ttl_s)
    return session_id


async def refresh_rotate(
    db: Database, presented_hash: bytes, fresh_hash: bytes, ttl_s: int, fresh_sealed: str, reuse_s: int
) -> Document:
    answer: Document = await db.fetchval(
        "select auth.refresh_rotate($1, $2, $3, $4, $5)", presented_hash, fresh_hash, ttl_s, fresh_sealed, reuse_s
    )
    return answer


async def refresh_family(db: Database, token_hash: bytes) -> uuid.UUID | None:
    """The session a refresh token belongs to (for its CSRF check), if any."""
    family: uuid.UUID | None = await db.fetchval("select auth.refresh_family($1)", token_hash)
    return family


async def family_revoke(db: Database, session_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    """End one of the user's sessions; false when it is not theirs or already ended."""
    return bool(await db.fetchval("select auth.family_revoke($1, $2)", session_id, user_id))


async def sessions_list(db: Database, user_id: uuid.UUID) -> list[Document]:
    rows: list[Document] = await db.fetchval("select auth.sessions_list($1)", user_id)
    return rows


async def api_key_create(
    db: Database, name: str, prefix: str, secret_hash: bytes, scopes: list[str], created_by: uuid.UUID | None
) -> Document:
    row: Document = await db.fetchval(
        "select auth.api_key_create($1, $2, $3, $4, $5)", name, prefix, secret_hash, scopes, created_by
    )
    return row


async def api_key_revoke(db: Database, key_id: uuid.UUID) -> None:
    await db.fetchval("select auth.api_key_revoke($1)", key_id)


async def api_keys_list(db: Database) -> list[Document]:
    rows: list[Document] = await db.fetchval("select auth.api_keys_list()")
    return rows


async def oauth_link(
    db: Database, user_id: uuid.UUID, provider: str, subject: str, email: str | None, email_verified: bool
) -> Document:
    """`{status: linked|taken|other|gone}`."""
    answer: Document = await db.fetchval(
        "select auth.oauth_link($1, $2, $3, $4, $5)", user_id, provider, subject, email, email_verified
    )
    return answer


async def oauth_login(
    db: Database,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    username_hint: str | None,
    display_name: str | None,
    avatar_url: str | None,
) -> Document:
    """The user of a provider account, created or linked by verified e-mail on first sign-in."""
    user: Document = await db.fetchval(
        "select auth.oauth_login($1, $2, $3, $4, $5, $6, $7)",
        provider,
        subject,
        email,
        email_verified,
        username_hint,
        display_name,
        avatar_url,
    )
    return user
