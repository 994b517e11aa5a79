"""compose.yaml is for users with Docker; there is no engine here, so check its structure."""

from __future__ import annotations

import yaml

from src.settings import ROOT


def test_compose_defines_the_stack() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "database" in " ".join(services["migrate"]["command"])
    assert "workers" in " ".join(services["worker"]["command"])
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and env["REDIS_URL"].startswith("redis://")
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["api"]
