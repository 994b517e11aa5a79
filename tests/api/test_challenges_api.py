"""Challenges over HTTP and in SQL: unlock order, judge-only completions, paid once."""

from __future__ import annotations

import asyncio

import pytest

from src.challenges import content as challenge_content


@pytest.fixture(scope="module")
async def seeded(db) -> list[dict]:
    await challenge_content.seed(db)
    return challenge_content.load()


async def _complete(client, judge, user, slug, **extra):
    body = {"user_id": str(user["id"]), "passed": True, "hints_used": 0, **extra}
    return await client.post(f"/api/v1/challenges/{slug}/completions", json=body, headers=judge)


async def test_the_last_challenge_cannot_be_opened_or_completed_before_the_one_before(
    client, user, api_key_factory, seeded
) -> None:
    client.cookies.clear()
    judge = await api_key_factory("challenges:judge")
    last, before_last = seeded[-1]["slug"], seeded[-2]["slug"]
    assert (await client.get(f"/api/v1/challenges/{last}", headers=user["headers"])).status_code == 403
    locked = await _complete(client, judge, user, last)
    assert locked.status_code == 409
    profile = (await client.get("/api/v1/users/me/profile", headers=user["headers"])).json()
    assert profile["total_xp"] == 0  # the original paid 600 XP here
    for c in seeded[:-1]:
        assert (await _complete(client, judge, user, c["slug"])).json()["status"] == "completed"
    listing = (await client.get("/api/v1/challenges", headers=user["headers"])).json()
    assert [c["status"] for c in listing][-2:] == ["completed", "unlocked"] and before_last
    done = await _complete(client, judge, user, last, duration_s=10)
    assert done.json() == {"status": "completed", "xp_awarded": len(seeded) * 10, "stars": 3, "next_slug": None}


async def test_concurrent_duplicate_completions_pay_once(client, user, api_key_factory, seeded, db) -> None:
    client.cookies.clear()
    judge = await api_key_factory("challenges:judge")
    first = seeded[0]["slug"]
    answers = await asyncio.gather(*(_complete(client, judge, user, first) for _ in range(10)))
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["already_completed"] * 9 + ["completed"]
    assert (
        await db.fetchval("select count(*) from xp.ledger where user_id = $1 and source = 'challenge'", user["id"]) == 1
    )
    coins = await db.fetchval(
        "select count(*) from store.coin_ledger where user_id = $1 and source = 'challenge'", user["id"]
    )
    assert coins == 1


async def test_stars_rules_and_best_kept(client, user, api_key_factory, seeded) -> None:
    client.cookies.clear()
    judge = await api_key_factory("challenges:judge")
    c = seeded[0]
    slow_with_hint = await _complete(client, judge, user, c["slug"], hints_used=1, duration_s=c["target_time_s"] * 3)
    assert slow_with_hint.json()["stars"] == 1  # 3 - 1 (slow) - 1 (hint)
    better = await _complete(client, judge, user, c["slug"], duration_s=1)
    assert better.json() == {"status": "already_completed", "xp_awarded": 0, "stars": 3, "next_slug": seeded[1]["slug"]}
    listing = (await client.get("/api/v1/challenges", headers=user["headers"])).json()
    assert listing[0]["stars"] == 3
    many_hints = await _complete(client, judge, user, seeded[1]["slug"], hints_used=9)
    assert many_hints.json()["stars"] == 1


async def test_hidden_tests_never_reach_players(client, user, admin, api_key_factory, seeded) -> None:
    client.cookies.clear()
    first = seeded[0]
    secret_line = first["tests"].strip().splitlines()[-1]
    answers = [
        await client.get("/api/v1/challenges", headers=user["headers"]),
        await client.get(f"/api/v1/challenges/{first['slug']}", headers=user["headers"]),
        await client.post(f"/api/v1/challenges/{first['slug']}/start", headers=user["headers"]),
        await client.get(f"/api/v1/challenges/{first['slug']}/judge", headers=user["headers"]),
        await client.get(f"/api/v1/challenges/{seeded[1]['slug']}", headers=user["headers"]),
    ]
    assert [a.status_code for a in answers] == [200, 200, 204, 403, 403]
    for answer in answers:
        assert secret_line not in answer.text and "import solution" not in answer.text.replace(
            "from solution import", "import solution"
        )
    judge = await api_key_factory("challenges:judge")
    view = await client.get(f"/api/v1/challenges/{first['slug']}/judge", headers=judge)
    assert view.status_code == 200 and secret_line in view.json()["tests"]


async def test_seed_is_idempotent_and_keeps_progress(user, api_key_factory, client, seeded, db) -> None:
    client.cookies.clear()
    judge = await api_key_factory("challenges:judge")
    await _complete(client, judge, user, seeded[0]["slug"])
    before = await db.fetchval("select count(*) from challenges.challenges")
    assert await challenge_content.seed(db) == len(seeded)
    assert await db.fetchval("select count(*) from challenges.challenges") == before
    assert (
        await db.fetchval(
            "select count(*) from challenges.progress where user_id = $1 and completed_at is not null", user["id"]
        )
        == 1
    )


async def test_admin_manages_challenges(client, admin, user, seeded) -> None:
    client.cookies.clear()
    body = {
        "slug": "bonus-round",
        "title": "Bonus round",
        "order": 1000,
        "description": "d",
        "starter_code": "s",
        "tests": "import solution",
    }
    assert (await client.post("/api/v1/admin/challenges", json=body, headers=user["headers"])).status_code == 403
    created = await client.post("/api/v1/admin/challenges", json=body, headers=admin["headers"])
    assert created.status_code == 201 and created.json()["xp_reward"] == 10000
    changed = await client.patch(
        "/api/v1/admin/challenges/bonus-round", json={"xp_reward": 5}, headers=admin["headers"]
    )
    assert changed.status_code == 200 and changed.json()["xp_reward"] == 5
    assert (await client.delete("/api/v1/admin/challenges/bonus-round", headers=admin["headers"])).status_code == 204
    listing = (await client.get("/api/v1/challenges", headers=user["headers"])).json()
    assert "bonus-round" not in [c["slug"] for c in listing]
    assert (
        await client.patch("/api/v1/admin/challenges/nope", json={"active": True}, headers=admin["headers"])
    ).status_code == 404
