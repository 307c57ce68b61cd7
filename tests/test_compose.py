"""compose.yaml: PostgreSQL, a one-shot migration, the API and two workers from our image, with
health checks that work (no Docker here: the file is read, its commands are run against this
checkout's CLI and its worker health check against a worker's data folder)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from replicator.cli.worker_cmd import ALIVE_FILE
from replicator.config import PROJECT_DIR


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())
    return data


def test_compose_runs_the_database_a_migration_the_api_and_two_workers_from_our_image() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "api", "worker"}
    ours = [services[name] for name in ("migrate", "api", "worker")]
    assert all(s["build"] == "." and s["image"] == "replicator:latest" for s in ours)
    db = services["db"]["environment"]
    for service in ours:
        url = service["environment"]["REPLICATOR_DATABASE_URL"]
        assert url.startswith(f"postgresql://{db['POSTGRES_USER']}:") and url.endswith(
            f"@db:5432/{db['POSTGRES_DB']}"
        )
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["api"]["ports"] == ["8000:8000"]
    assert services["db"]["healthcheck"]["test"][1] == "pg_isready"
    assert "/api/v1/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_every_command_in_compose_is_one_this_cli_has() -> None:
    binary = str(Path(sys.executable).with_name("replicator"))
    for name in ("migrate", "api", "worker"):
        command = _compose()["services"][name]["command"]
        assert command[0] == "replicator"
        done = subprocess.run([binary, *command[1:], "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (name, done.stdout, done.stderr)


def test_the_worker_health_check_tells_a_beating_worker_from_a_silent_one(tmp_path: Path) -> None:
    test = _compose()["services"]["worker"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    script = test[3].replace("/data/", f"{tmp_path}/")
    alive = tmp_path / ALIVE_FILE

    def healthy() -> bool:
        return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30).returncode == 0

    alive.touch()
    assert healthy()
    stale = time.time() - 120
    os.utime(alive, (stale, stale))
    assert not healthy()
