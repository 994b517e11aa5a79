"""Store and wallet over HTTP."""

from __future__ import annotations


async def test_store_journey(client, user, admin) -> None:
    client.cookies.clear()
    catalog = (await client.get("/api/v1/store/items")).json()
    assert len(catalog) >= 32 and all(i["owned"] is False for i in catalog)
    fonts = (await client.get("/api/v1/store/items?category=font")).json()
    assert fonts and {i["category"] for i in fonts} == {"font"}
    packs = (await client.get("/api/v1/store/coin-packs")).json()
    assert [(p["amount_paise"], p["coins"]) for p in packs][:2] == [(4900, 50), (9900, 100)]

    poor = await client.post("/api/v1/store/items/frame-gold/purchase", headers=user["headers"])
    assert poor.status_code == 402 and poor.headers["content-type"].startswith("application/problem+json")
    denied = await client.post(
        "/api/v1/admin/coins/grants",
        headers=user["headers"],
        json={"user_id": str(user["id"]), "amount": 300, "reason": "bonus"},
    )
    assert denied.status_code == 403
    granted = await client.post(
        "/api/v1/admin/coins/grants",
        headers=admin["headers"],
        json={"user_id": str(user["id"]), "amount": 300, "reason": "tournament prize", "idempotency_key": "prize-1"},
    )
    assert granted.status_code == 201 and granted.json()["coins"] == 300
    bought = await client.post("/api/v1/store/items/frame-gold/purchase", headers=user["headers"])
    assert bought.status_code == 201 and bought.json()["coins"] == 50 and bought.json()["item"]["owned"]
    again = await client.post("/api/v1/store/items/frame-gold/purchase", headers=user["headers"])
    assert again.status_code == 409
    equip = await client.post("/api/v1/users/me/inventory/frame-gold/equip", headers=user["headers"])
    assert equip.status_code == 200 and equip.json()["equipped"] is True
    inventory = (await client.get("/api/v1/users/me/inventory", headers=user["headers"])).json()
    assert [(i["slug"], i["equipped"]) for i in inventory] == [("frame-gold", True)]
    mine = (await client.get("/api/v1/store/items?category=avatar_frame", headers=user["headers"])).json()
    assert any(i["slug"] == "frame-gold" and i["owned"] and i["equipped"] for i in mine)
    off = await client.post(
        "/api/v1/users/me/inventory/unequip", json={"category": "avatar_frame"}, headers=user["headers"]
    )
    assert off.status_code == 200
    wallet = (await client.get("/api/v1/users/me/wallet", headers=user["headers"])).json()
    assert wallet["coins"] == 50 and [e["amount"] for e in wallet["events"]] == [-250, 300]
    feed = (await client.get("/api/v1/notifications", headers=user["headers"])).json()
    assert any(i["kind"] == "purchase_completed" for i in feed["items"])
