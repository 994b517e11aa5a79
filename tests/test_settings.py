"""Settings are validated at start; a bad one stops the process with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from src.settings import ROOT, SettingsError, load_settings


def _run_cli(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "src.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("REDIS_URL", "http://example.com"),
        ("XPCORE_ENV", "staging"),
        ("OTP_MAX_PER_EMAIL", "five"),
        ("COOKIE_SECURE", "maybe"),
    ],
)
def test_bad_setting_is_one_clear_line(variable: str, value: str) -> None:
    result = _run_cli({variable: value, "REDIS_URL": "redis://127.0.0.1:6379/0"} | {variable: value}, "version")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_production_refuses_dev_only_settings(monkeypatch) -> None:
    monkeypatch.setenv("XPCORE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY"):
        load_settings()


def test_defaults_follow_the_architecture(monkeypatch) -> None:
    for name in ("OTP_MAX_PER_EMAIL", "OTP_MAX_PER_IP", "API_KEY_MAX_PER_MINUTE", "XPCORE_ENV", "COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.otp_max_per_email, settings.otp_max_per_ip, settings.api_key_max_per_minute) == (5, 20, 6000)
    assert settings.env == "dev" and settings.cookies.secure is False


def test_env_example_lists_every_variable_the_code_reads() -> None:
    import re

    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    read = set(re.findall(r'_(?:env|bool|int|list|choice|cron)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    read |= {
        f"{prefix}_{suffix}"
        for prefix in re.findall(r'_oauth\(\s*"([A-Z_]+)"', source)
        for suffix in ("CLIENT_ID", "CLIENT_SECRET")
    }
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set(), f".env.example misses {sorted(read - listed)}"


def test_push_lease_defaults_to_two_minutes_and_can_be_shortened(monkeypatch) -> None:
    monkeypatch.delenv("PUSH_LEASE_S", raising=False)
    assert load_settings().push_lease_s == 120
    monkeypatch.setenv("PUSH_LEASE_S", "6")
    assert load_settings().push_lease_s == 6
    monkeypatch.setenv("PUSH_LEASE_S", "0")
    with pytest.raises(SettingsError, match="PUSH_LEASE_S"):
        load_settings()


def test_the_analytics_refresh_runs_every_five_minutes_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("ANALYTICS_REFRESH_CRON", raising=False)
    assert load_settings().analytics_refresh_cron == "*/5 * * * *"
    monkeypatch.setenv("ANALYTICS_REFRESH_CRON", "*/15 * * * *")
    assert load_settings().analytics_refresh_cron == "*/15 * * * *"
    monkeypatch.setenv("ANALYTICS_REFRESH_CRON", "off")
    assert load_settings().analytics_refresh_cron is None
    monkeypatch.setenv("ANALYTICS_REFRESH_CRON", "every five minutes")
    with pytest.raises(SettingsError, match="ANALYTICS_REFRESH_CRON"):
        load_settings()
