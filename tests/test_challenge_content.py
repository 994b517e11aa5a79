"""Every shipped challenge is solvable and not trivially passed: its reference solution passes
its hidden tests in a subprocess, its starter code fails them."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from src.challenges import content as challenge_content
from src.settings import ROOT

SOLUTIONS = ROOT / "tests" / "data" / "challenge_solutions"


def _judge(solution: str, tests: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "solution.py").write_text(solution)
        Path(tmp, "tests.py").write_text(tests)
        return subprocess.run([sys.executable, "tests.py"], cwd=tmp, capture_output=True, timeout=60).returncode


def test_content_is_well_formed() -> None:
    challenges = challenge_content.load()
    assert [c["order"] for c in challenges] == list(range(1, len(challenges) + 1))
    assert len({c["slug"] for c in challenges}) == len(challenges)
    for c in challenges:
        assert c["xp_reward"] == c["order"] * 10
        assert c["description"].strip() and c["starter_code"].strip() and "solution" in c["tests"]
        assert (SOLUTIONS / f"{c['order']:02d}-{c['slug']}.py").exists(), c["slug"]


def test_reference_solutions_pass_and_starters_fail() -> None:
    challenges = challenge_content.load()

    def check(c: dict) -> tuple[str, int, int]:
        solution = (SOLUTIONS / f"{c['order']:02d}-{c['slug']}.py").read_text()
        return c["slug"], _judge(solution, c["tests"]), _judge(c["starter_code"], c["tests"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, challenges))
    assert [slug for slug, solved, _ in results if solved != 0] == []
    assert [slug for slug, _, starter in results if starter == 0] == []
