"""The coding challenges shipped with xpcore: one TOML file per challenge under
db/seed/challenges/ (slug, title, order, xp_reward, coin_reward, target_time_s, description,
starter_code, tests). The judge contract: `tests` is a Python script that imports the player's
code as module `solution` and exits non-zero (a failed assert) when it is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from src.settings import ROOT

CONTENT_DIR = ROOT / "db" / "seed" / "challenges"


def load(directory: Path = CONTENT_DIR) -> list[dict[str, Any]]:
    challenges = []
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        data["description"] = data["description"].strip() + "\n"
        data["starter_code"] = data["starter_code"].lstrip("\n")
        data["tests"] = data["tests"].lstrip("\n")
        challenges.append(data)
    return challenges


async def seed(db: Any) -> int:
    """Upsert every shipped challenge by slug (progress is never touched)."""
    for challenge in load():
        await db.fetchval("select challenges.upsert($1)", challenge)
    return len(load())
