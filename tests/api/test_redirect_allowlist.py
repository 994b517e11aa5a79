"""Hostile `redirect_to` values, as an attacker would try them against an allowlist of
http://127.0.0.1 and http://localhost (plus https://app.example/app for path prefixes): every
one is a 400 at /authorize, before the browser is sent anywhere."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import pytest

from src.settings import OAuthProvider
from tests.api.test_oauth import providers

ALLOWLIST = ("http://127.0.0.1", "http://localhost", "https://app.example/app")

HOSTILE = [
    "https://evil.example/",
    "http://127.0.0.1@evil.example/",  # userinfo: the host is evil.example
    "http://@127.0.0.1/",  # empty userinfo
    "http://:@127.0.0.1/",
    "http://localhost:80@evil.example/",
    "http://127.0.0.1\\@evil.example/",  # backslash: browsers read it as a slash
    "http://127.0.0.1\\evil.example/",
    "http:\\\\evil.example/",
    "//evil.example/",  # scheme-relative
    "///evil.example/",
    "http:/evil.example/",
    "HTTP://EVIL.example/",  # mixed case
    "http://LocalHost.Evil.example/",
    "http://127.0.0.1%40evil.example/",  # encoded characters
    "http://localhost%2eevil.example/",
    "http://127.0.0.1?@evil.example",  # ambiguous authorities
    "http://127.0.0.1#@evil.example",
    "http://xn--lcalhost-9za/",  # IDN and confusables
    "http://l\u043ecalhost/",  # Cyrillic o
    "http://ⓛocalhost/",  # normalises to localhost in browsers
    "http://localhost./",  # trailing dot
    "http://127.0.0.1:99999/",  # ports
    "http://127.0.0.1:\uff13\uff10\uff10\uff10/",  # full-width digits
    "http://127.0.0.1\t.evil.example/",  # parsers drop tabs
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://app.example/application",  # a path prefix is not a path
    "https://app.example/app/../admin",
    "https://app.example/app/%2e%2e/admin",
    "https://app.example.evil.example/app",
]

FINE = [
    "http://127.0.0.1:3000/welcome",
    "http://localhost/cb?x=1",
    "https://app.example/app/cb",
    "https://app.example/app",
    "http://LOCALHOST/",
]


def _google(app):  # any enabled provider reaches the check; the discovery fetch comes after it
    return OAuthProvider(client_id="id", client_secret="s", metadata_url="http://127.0.0.1:9/none")


def test_the_table_is_the_probes_and_more() -> None:
    assert len(HOSTILE) >= 23


@pytest.mark.parametrize("target", HOSTILE)
async def test_hostile_redirect_to_is_400(client, app, target) -> None:
    settings = dataclasses.replace(app.state.settings, redirect_allowlist=ALLOWLIST)
    with providers(app, google=_google(app), redirect_allowlist=settings.redirect_allowlist):
        answer = await client.get(f"/api/v1/auth/google/authorize?redirect_to={quote(target)}", follow_redirects=False)
    assert answer.status_code == 400, target
    assert "redirect_to" in answer.json()["detail"]


@pytest.mark.parametrize("target", FINE)
def test_allowed_destinations_still_pass(target) -> None:
    from src.auth.redirects import allowed

    assert allowed(target, ALLOWLIST)
