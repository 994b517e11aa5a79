"""Journeys over HTTP against `xpcore run` and `xpcore workers run` as compose.yaml starts them
(tests/e2e/conftest.py). The journeys share one stack and run in file order; each makes its own
users, so a failure in one does not hide the others."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.fakes import razorpay as rzp
from tests.fakes.ses import sent_messages

pytestmark = pytest.mark.slow  # a minute of real processes: `make test` runs it, `make test-fast` not

T = TypeVar("T")


def eventually(what: str, probe: Callable[[], T | None], within: float = 20, every: float = 0.2) -> T:
    """Poll `probe` until it answers something truthy (bounded)."""
    deadline = time.monotonic() + within
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        time.sleep(every)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(stack: Stack, email: str) -> dict[str, Any]:
    """OTP by e-mail: the worker sends the code through SES; the code from the mail logs in."""

    def mail() -> list[dict[str, Any]]:
        return [m for m in sent_messages(stack.ses_url) if email in m["destinations"]["ToAddresses"]]

    before = len(mail())
    assert stack.http.post("/api/v1/auth/otp", json={"email": email}).status_code == 202
    mails = eventually(f"a new login mail to {email}", lambda: (m := mail())[before:] and m)
    match = re.search(r"\b(\d{6})\b", mails[-1]["body"])
    assert match, mails[-1]
    answer = stack.http.post("/api/v1/auth/login", json={"email": email, "code": match.group(1)})
    assert answer.status_code == 200, answer.text
    stack.http.cookies.clear()  # Bearer from here on
    pair = answer.json()
    pair["headers"] = bearer(pair["access_token"])
    return pair


def _email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@e2e.example.com"


def award(stack: Stack, user_id: str, units: float, key: str, activity: str = "run_km", **extra: Any) -> httpx.Response:
    return stack.http.post(
        "/api/v1/xp/events",
        headers={"X-API-Key": stack.api_key},
        json={"user": {"id": user_id}, "activity": activity, "units": units, "idempotency_key": key, **extra},
    )


def pushes_to(stack: Stack, tokens: set[str], kind: str | None = None) -> list[dict[str, Any]]:
    return [m for m in list(stack.fcm.accepted) if m["token"] in tokens and (kind is None or m["data"]["kind"] == kind)]


def test_an_otp_mail_arrives_and_its_code_logs_in(stack: Stack) -> None:
    email = _email("otp")
    pair = login(stack, email)
    me = stack.http.get("/api/v1/users/me", headers=pair["headers"])
    assert me.status_code == 200 and me.json()["email"] == email


def test_a_bots_award_levels_up_into_the_feed_and_one_push_per_device(stack: Stack) -> None:
    user = login(stack, _email("levelup"))
    tokens = {f"e2e-device-{uuid.uuid4().hex}" for _ in range(2)}
    for platform, token in zip(("android", "ios"), sorted(tokens), strict=True):
        answer = stack.http.post(
            "/api/v1/users/me/devices", json={"token": token, "platform": platform}, headers=user["headers"]
        )
        assert answer.status_code == 201, answer.text

    awarded = award(stack, user["user"]["id"], 2, f"levelup-{uuid.uuid4().hex}")
    assert awarded.status_code == 201, awarded.text
    assert awarded.json()["leveled_up"] is True
    level = awarded.json()["level"]

    feed = stack.http.get("/api/v1/notifications", headers=user["headers"]).json()
    level_ups = [item for item in feed["items"] if item["kind"] == "level_up"]
    assert [item["data"]["level"] for item in level_ups] == [level]

    eventually("a level-up push on each device", lambda: len(pushes_to(stack, tokens, "level_up")) >= 2)
    time.sleep(1.5)  # a second delivery, if there were one, would arrive by now
    pushed = pushes_to(stack, tokens, "level_up")
    assert sorted(m["token"] for m in pushed) == sorted(tokens)
    assert {m["data"]["notification_id"] for m in pushed} == {str(level_ups[0]["id"])}
    every = Counter((m["token"], m["data"]["notification_id"]) for m in pushes_to(stack, tokens))
    assert max(every.values()) == 1, every


def test_the_workers_rank_snapshot_shows_my_rank(stack: Stack) -> None:
    user = login(stack, _email("rank"))
    assert award(stack, user["user"]["id"], 1, f"rank-{uuid.uuid4().hex}").status_code == 201

    def ranked() -> dict[str, Any] | None:
        answer = stack.http.get("/api/v1/seasons/current/leaderboards/reality/me", headers=user["headers"])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        # a snapshot built before the award ranks the user live, without neighbours: wait for
        # the worker's next rebuild, which has the user's own line
        mine = [entry for entry in body.get("entries", []) if entry["user"]["id"] == user["user"]["id"]]
        return body if body.get("generated_at") and body.get("rank") and mine else None

    standing = eventually("a rank from the worker's snapshot", ranked, within=25, every=0.5)
    assert standing["rank"] >= 1 and standing["xp"] > 0
    assert user["user"]["id"] in [entry["user"]["id"] for entry in standing["entries"]]


def test_a_paid_coin_pack_is_credited_by_the_signed_webhook(stack: Stack) -> None:
    user = login(stack, _email("coins"))
    order = stack.http.post("/api/v1/payments/orders", json={"pack_id": "pack-100"}, headers=user["headers"])
    assert order.status_code == 201, order.text
    order_body = order.json()
    assert order_body["razorpay_order_id"] in stack.razorpay.orders  # created at the Razorpay fake
    payment = {
        "id": f"pay_{uuid.uuid4().hex[:12]}",
        "order_id": order_body["razorpay_order_id"],
        "amount": order_body["amount"],
        "status": "captured",
    }
    body, headers = rzp.webhook("payment.captured", {"payment": payment}, f"evt_{uuid.uuid4().hex}")
    for _ in range(2):  # Razorpay retries; the replay changes nothing
        answer = stack.http.post("/api/v1/webhooks/razorpay", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    wallet = stack.http.get("/api/v1/users/me/wallet", headers=user["headers"])
    assert wallet.status_code == 200 and wallet.json()["coins"] == order_body["coins"] == 100


def test_closing_last_months_season_freezes_its_standings(stack: Stack) -> None:
    """The late award for last month was made before the worker started (conftest); the worker's
    roll job closes the season. It runs on cron every five minutes, so the test queues it now,
    as an operator can."""
    season = stack.past_season
    stack.enqueue("roll_seasons")

    def closed() -> dict[str, Any] | None:
        body = stack.http.get(f"/api/v1/seasons/{season}").json()
        return body if body.get("status") == "closed" else None

    eventually(f"season {season} closed by the worker", closed)
    admin = login(stack, stack.admin_email)
    board = stack.http.get(f"/api/v1/seasons/{season}/leaderboards/reality").json()
    assert [(e["rank"], e["user"]["id"]) for e in board["entries"]] == [(1, stack.admin_id)]
    me = stack.http.get(f"/api/v1/seasons/{season}/leaderboards/reality/me", headers=admin["headers"]).json()
    assert me["rank"] == 1 and me["generated_at"]

    feed = stack.http.get("/api/v1/notifications", headers=admin["headers"]).json()
    finals = [item for item in feed["items"] if item["kind"] == "season_final_standing"]
    assert [(f["data"]["season_id"], f["data"]["mode"], f["data"]["rank"]) for f in finals] == [(season, "reality", 1)]
    last_minute = datetime.fromisoformat(me["season"]["ends_at"]) - timedelta(minutes=1)
    late = award(stack, stack.admin_id, 1, f"too-late-{uuid.uuid4().hex}", occurred_at=last_minute.isoformat())
    assert late.status_code in (409, 422), late.text  # a closed season takes no more XP


def test_a_worker_killed_mid_broadcast_delivers_every_push_once_after_restart(stack: Stack) -> None:
    admin = login(stack, stack.admin_email)
    # arrangement: many users, one device each (the journey is the broadcast, not sign-ups)
    users = 300
    tag = uuid.uuid4().hex[:8]
    stack.sql(
        """
        with made as (
            insert into app.users (username) select 'e2e_' || $1 || '_' || i from generate_series(1, $2) i
            returning id, username
        )
        select notify.device_register(id, 'bcast-' || username, 'android') from made
        """,
        tag,
        users,
    )
    tokens = {r["token"] for r in stack.sql("select token from notify.devices")}
    assert len(tokens) >= users

    stack.fcm.delay = 0.3  # each chunk of 100 sends takes a while: the kill lands mid-broadcast
    answer = stack.http.post(
        "/api/v1/admin/notifications/broadcast",
        json={"title": "Maintenance", "body": f"tonight ({tag})"},
        headers=admin["headers"],
    )
    assert answer.status_code == 202, answer.text

    def broadcast_pushes() -> list[dict[str, Any]]:
        return [m for m in pushes_to(stack, tokens, "broadcast") if m["notification"]["body"].endswith(f"({tag})")]

    eventually("the broadcast under way", lambda: len(broadcast_pushes()) >= 50, within=30, every=0.05)
    stack.worker.kill()
    at_kill = len(broadcast_pushes())
    assert at_kill < len(tokens), "the broadcast finished before the kill; raise users or fcm.delay"

    stack.fcm.delay = 0.0
    stack.start_worker()

    def all_delivered() -> bool:
        # claims of the killed worker expire after PUSH_LEASE_S; nothing new wakes delivery, and
        # its cron runs each minute, so the test asks for delivery runs as an operator can
        stack.enqueue("deliver_pushes")
        return {m["token"] for m in broadcast_pushes()} == tokens

    eventually("every device's broadcast push after the restart", all_delivered, within=40, every=1)
    time.sleep(1.5)
    pushed = broadcast_pushes()
    per_device = Counter(m["token"] for m in {(m["token"], m["data"]["notification_id"]): m for m in pushed}.values())
    assert set(per_device) == tokens and set(per_device.values()) == {1}, "one broadcast notification per device"
    # at least once: what was in flight at the kill (a chunk per concurrent delivery job, its
    # acknowledgements lost) goes again; devices drop it by notification id
    resent = len(pushed) - len(tokens)
    print(f"broadcast: {len(tokens)} devices, {at_kill} pushed before SIGKILL, {resent} sent twice")


def _generated_client(stack: Stack) -> Any:
    """A Python client generated from the live document by openapi-python-client, imported."""
    import importlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = stack.logs / "client"
    home.mkdir(exist_ok=True)
    document = home / "openapi.json"
    document.write_bytes(stack.http.get("/schema/openapi.json").content)
    venv_bin = str(Path(sys.executable).parent)  # the generator formats with ruff from this venv
    done = subprocess.run(
        [
            f"{venv_bin}/openapi-python-client",
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(home / "xpcore_client"),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr  # nothing skipped
    sys.path.insert(0, str(home))
    try:
        return importlib.import_module("xpcore_client")
    finally:
        sys.path.remove(str(home))


def test_a_client_generated_from_the_openapi_document_drives_a_journey(stack: Stack) -> None:
    """The contract is usable, not just valid: OTP login, an API-key award, the profile, the
    board and my rank, and a purchase, through typed models only."""
    import importlib

    client_pkg = _generated_client(stack)

    def op(tag: str, name: str) -> Any:
        return importlib.import_module(f"xpcore_client.api.{tag}.{name}")

    models = importlib.import_module("xpcore_client.models")
    # the shipped achievements come inactive; an operator turns on the ones the product uses
    stack.sql(
        "update engage.achievements set active = true where key = any($1::text[])",
        ["first-run", "reality-xp", "first-purchase"],
    )
    anonymous = client_pkg.Client(base_url=stack.base_url, raise_on_unexpected_status=True)

    # OTP login: the code arrives by mail (SES), the typed TokenPair carries the tokens
    email = _email("generated")
    sent = op("auth", "request_code").sync_detailed(client=anonymous, body=models.OtpRequest(email=email))
    assert sent.status_code == 202
    code = eventually(
        "the login mail",
        lambda: next(
            (
                re.search(r"\b(\d{6})\b", m["body"]).group(1)  # type: ignore[union-attr]
                for m in sent_messages(stack.ses_url)
                if email in m["destinations"]["ToAddresses"]
            ),
            None,
        ),
    )
    pair = op("auth", "login").sync(client=anonymous, body=models.LoginRequest(email=email, code=code))
    assert isinstance(pair, models.TokenPair) and pair.token_type == "Bearer"
    me = client_pkg.AuthenticatedClient(
        base_url=stack.base_url, token=pair.access_token, raise_on_unexpected_status=True
    )
    user_id = str(pair.user.id)

    # the bot's award with its API key
    bot = client_pkg.Client(
        base_url=stack.base_url, headers={"X-API-Key": stack.api_key}, raise_on_unexpected_status=True
    )
    awarded = op("xp", "award").sync(
        client=bot,
        body=models.XPEventCreate(
            user=models.UserRef(id=user_id), activity="run_km", units=2, idempotency_key=f"gen-{uuid.uuid4().hex}"
        ),
    )
    assert isinstance(awarded, models.XPAward) and awarded.xp_awarded == 600 and awarded.leveled_up

    # the profile
    profile = op("xp", "profile").sync(client=me)
    assert isinstance(profile, models.Profile)
    assert profile.total_xp == 600 and profile.modes.reality.xp == 600 and profile.level >= 2

    # the board and my own rank (from the worker's snapshot)
    page = op("seasons", "leaderboard").sync(season_id="current", mode="reality", client=me)
    assert isinstance(page, models.LeaderboardPage)
    assert user_id in [str(entry.user.id) for entry in page.entries]

    def ranked() -> Any:
        standing = op("seasons", "around_me").sync(season_id="current", mode="reality", client=me)
        assert isinstance(standing, models.AroundMe)
        mine = [entry for entry in standing.entries if str(entry.user.id) == user_id]
        return standing if isinstance(standing.rank, int) and mine else None

    standing = eventually("my rank from the snapshot", ranked, within=25, every=0.5)
    assert standing.rank >= 1 and standing.xp == 600

    # coins through Razorpay, then a purchase
    order = op("payments", "create_order").sync(client=me, body=models.OrderCreate(pack_id="pack-100"))
    assert isinstance(order, models.Order)
    payment = {
        "id": f"pay_{uuid.uuid4().hex[:12]}",
        "order_id": order.razorpay_order_id,
        "amount": order.amount,
        "status": "captured",
    }
    body, headers = rzp.webhook("payment.captured", {"payment": payment}, f"evt_{uuid.uuid4().hex}")
    assert stack.http.post("/api/v1/webhooks/razorpay", content=body, headers=headers).status_code == 200
    items = op("store", "items").sync(client=me)
    affordable = sorted((item for item in items if item.price_coins <= 100), key=lambda item: item.price_coins)
    assert affordable, [item.price_coins for item in items]
    bought = op("store", "purchase").sync(slug=affordable[0].slug, client=me)
    assert isinstance(bought, models.Purchase)
    assert bought.item.slug == affordable[0].slug and bought.item.owned
    # the run and the purchase unlocked the achievements turned on above, each tier paying its
    # reward_coins once
    mine = op("achievements", "my_achievements").sync(client=me)
    assert isinstance(mine, models.MyAchievements)
    assert {"first-run", "reality-xp", "first-purchase"} <= {a.key for a in mine.unlocked}
    rewards = sum(a.reward_coins * a.tier for a in mine.unlocked)
    wallet = op("store", "wallet").sync(client=me)
    assert isinstance(wallet, models.Wallet) and wallet.coins == 100 + rewards - affordable[0].price_coins
