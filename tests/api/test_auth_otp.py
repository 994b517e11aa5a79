"""E-mail OTP login over HTTP, with mail really sent through boto3 to moto's SES server."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from saq import Worker

from src.auth.secrets import keyed_hash
from src.worker import TASKS, context
from tests.fakes.ses import moto_ses, sent_messages


def _email() -> str:
    return f"otp-{uuid.uuid4().hex[:10]}@example.com"


async def _drain(queue) -> None:
    """Run a real SAQ worker on the app's queue until the queued jobs are done."""
    worker = Worker(queue, functions=TASKS, startup=context.startup, shutdown=context.shutdown, concurrency=2)
    runner = asyncio.create_task(worker.start())
    try:
        for _ in range(100):
            info = await queue.info()
            if info["queued"] == 0 and info["active"] == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        runner.cancel()


@pytest.fixture
def ses(monkeypatch):
    sender = "xpcore <no-reply@xpcore.local>"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_ses(sender) as url:
        monkeypatch.setenv("EMAIL_BACKEND", "ses")
        monkeypatch.setenv("EMAIL_FROM", sender)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", url)
        yield url


async def test_full_otp_journey_bearer_cookies_refresh_logout(queue, client, ses) -> None:
    email = _email()
    assert (await client.post("/api/v1/auth/otp", json={"email": email})).status_code == 202
    await _drain(queue)
    mails = [m for m in sent_messages(ses) if email in m["destinations"]["ToAddresses"]]
    assert len(mails) == 1
    code = re.search(r"\b(\d{6})\b", mails[0]["body"]).group(1)

    login = await client.post("/api/v1/auth/login", json={"email": email, "code": code})
    assert login.status_code == 200, login.text
    pair = login.json()
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900 and pair["user"]["email"] == email
    assert {"access_token", "refresh_token", "csrf_token"} <= set(login.cookies.keys())
    assert "httponly" in login.headers.get_list("set-cookie")[0].lower()

    # Bearer, without cookies
    client.cookies.clear()
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == email.split("@")[0]

    # cookies: reads need nothing more, unsafe methods need the CSRF header
    cookies = {k: v for k, v in login.cookies.items()}
    client.cookies.update(cookies)
    assert (await client.get("/api/v1/users/me")).status_code == 200
    no_csrf = await client.patch("/api/v1/users/me", json={"bio": "hi"})
    assert no_csrf.status_code == 403
    with_csrf = await client.patch(
        "/api/v1/users/me", json={"bio": "hi"}, headers={"X-CSRF-Token": cookies["csrf_token"]}
    )
    assert with_csrf.status_code == 200 and with_csrf.json()["bio"] == "hi"

    # refresh by body rotates
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    new_pair = refreshed.json()
    assert new_pair["refresh_token"] != pair["refresh_token"]

    # logout (Bearer) revokes the family: the newest refresh token is dead too
    client.cookies.clear()
    out = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {new_pair['access_token']}"})
    assert out.status_code == 204
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": new_pair["refresh_token"]})
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")


async def test_otp_answer_is_the_same_for_known_and_unknown_addresses(client, user) -> None:
    known = await client.post("/api/v1/auth/otp", json={"email": user["email"]})
    unknown = await client.post("/api/v1/auth/otp", json={"email": _email()})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


async def test_otp_requests_are_limited_per_address(client) -> None:
    email = _email()
    statuses = [(await client.post("/api/v1/auth/otp", json={"email": email})).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    limited = await client.post("/api/v1/auth/otp", json={"email": email})
    assert int(limited.headers["Retry-After"]) > 0


async def test_otp_requests_are_limited_per_ip(client, app) -> None:
    """20 requests per IP per 10 minutes (the default), whatever the addresses."""
    import dataclasses

    real = app.state.settings
    app.state.settings = dataclasses.replace(
        real, otp_max_per_ip=20, redis=dataclasses.replace(real.redis, key_prefix=f"ip-test-{uuid.uuid4().hex}")
    )
    try:
        statuses = [(await client.post("/api/v1/auth/otp", json={"email": _email()})).status_code for _ in range(21)]
    finally:
        app.state.settings = real
    assert statuses == [202] * 20 + [429]


async def _store_code(db, app, email: str, code: str) -> None:
    settings = app.state.settings
    await db.execute("select auth.otp_store($1, $2, 600)", email, keyed_hash(settings, "otp", f"{email}:{code}"))


async def test_five_wrong_codes_lock_the_address_even_for_the_right_code(db, app, client) -> None:
    email = _email()
    await _store_code(db, app, email, "123456")
    answers = [
        (await client.post("/api/v1/auth/login", json={"email": email, "code": f"00000{i}"})).status_code
        for i in range(5)
    ]
    assert answers == [400, 400, 400, 400, 429]
    right = await client.post("/api/v1/auth/login", json={"email": email, "code": "123456"})
    assert right.status_code == 429
    assert 800 < int(right.headers["Retry-After"]) <= 900
    # a new code does not lift the lock
    await _store_code(db, app, email, "654321")
    assert (await client.post("/api/v1/auth/login", json={"email": email, "code": "654321"})).status_code == 429


async def test_a_code_works_once_and_expires(db, app, client) -> None:
    email = _email()
    await _store_code(db, app, email, "111111")
    assert (await client.post("/api/v1/auth/login", json={"email": email, "code": "111111"})).status_code == 200
    assert (await client.post("/api/v1/auth/login", json={"email": email, "code": "111111"})).status_code == 400
    await _store_code(db, app, email, "222222")
    await db.execute("update auth.otp_codes set expires_at = now() - interval '1 second' where email = $1", email)
    assert (await client.post("/api/v1/auth/login", json={"email": email, "code": "222222"})).status_code == 400


async def test_login_code_never_reaches_logs_or_the_queue_in_clear(db, queue, client, caplog) -> None:
    email = _email()
    caplog.set_level("DEBUG")
    assert (await client.post("/api/v1/auth/otp", json={"email": email})).status_code == 202
    keys = [k for k in await queue.redis.keys(f"saq:job:{queue.name}:*")]
    payloads = [await queue.redis.get(k) for k in keys]
    ours = [p for p in payloads if p and email.encode() in p]
    assert len(ours) == 1 and b"sealed_code" in ours[0]  # the job is queued, addressed ...
    assert not re.search(rb'"sealed_code":\s*"\d{6}"', ours[0])  # ... but its code is sealed
    code_row = await db.fetchrow("select code_hmac from auth.otp_codes where email = $1", email)
    assert code_row is not None and len(bytes(code_row["code_hmac"])) == 32  # an HMAC, not a code
    assert not re.search(r"\b\d{6}\b", caplog.text.replace(email, ""))


async def test_first_login_derives_a_unique_username(db, app, client) -> None:
    base = f"same{uuid.uuid4().hex[:6]}"
    first, second = f"{base}@one.example", f"{base}@two.example"
    names = []
    for email in (first, second):
        await _store_code(db, app, email, "333333")
        answer = await client.post("/api/v1/auth/login", json={"email": email, "code": "333333"})
        names.append(answer.json()["user"]["username"])
    assert names[0] == base and names[1] != base and names[1].startswith(base)
