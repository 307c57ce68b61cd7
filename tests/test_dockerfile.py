"""The Dockerfile cannot be built here (no Docker engine), so check what can be checked honestly:
it parses, every path it copies from the context exists, its settings are real settings, and it
runs the same entry point as the README's `make run`."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import httpx

from replicator.cli import app
from replicator.config import Settings
from replicator.service.app import create_app

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str, int]]:
    """(INSTRUCTION, arguments, stage index) for each instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    result = []
    stage = -1
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage += 1
        result.append((word, rest.strip(), stage))
    return result


KNOWN = {
    "FROM",
    "RUN",
    "COPY",
    "ENV",
    "WORKDIR",
    "USER",
    "VOLUME",
    "EXPOSE",
    "HEALTHCHECK",
    "CMD",
    "ARG",
    "LABEL",
}


def test_dockerfile_uses_only_known_instructions_and_a_slim_debian_base() -> None:
    parsed = instructions()
    assert {word for word, _, _ in parsed} <= KNOWN
    bases = [rest for word, rest, _ in parsed if word == "FROM"]
    assert bases and all("slim-bookworm" in base for base in bases)


def test_every_path_copied_from_the_build_context_exists() -> None:
    for word, rest, _ in instructions():
        if word != "COPY" or "--from=" in rest:
            continue
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"


def test_runtime_stage_runs_as_non_root_with_a_volume_port_and_healthcheck() -> None:
    parsed = instructions()
    last = max(stage for _, _, stage in parsed)
    final = [(word, rest) for word, rest, stage in parsed if stage == last]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(word == "VOLUME" for word, _ in final)
    assert any(word == "EXPOSE" and "8000" in rest for word, rest in final)
    health = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    packages = " ".join(rest for word, rest in final if word == "RUN")
    for package in ("chromium", "ffmpeg", "fonts-noto-cjk"):
        assert package in packages


def test_environment_settings_in_the_image_are_real_settings() -> None:
    fields = {f"REPLICATOR_{name.upper()}" for name in Settings.model_fields}
    for word, rest, _ in instructions():
        if word == "ENV":
            for name in re.findall(r"(REPLICATOR_[A-Z_]+)=", rest):
                assert name in fields, f"{name} is not a setting"


def test_container_runs_the_same_entry_point_as_make_run() -> None:
    cmd = [rest for word, rest, _ in instructions() if word == "CMD"][-1]
    argv = json.loads(cmd)
    assert argv[:2] == ["replicator", "serve"]
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "replicator serve" in run_recipe
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["replicator"] == "replicator.cli:main"
    assert "serve" in {command.name for command in app.registered_commands}


async def test_healthcheck_probes_a_real_unauthenticated_route_on_the_configured_port(tmp_path: Path) -> None:
    parsed = instructions()
    health = [rest for word, rest, _ in parsed if word == "HEALTHCHECK"][-1]
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", health)
    assert match, health
    port, path = match.groups()
    env = " ".join(rest for word, rest, _ in parsed if word == "ENV")
    assert f"REPLICATOR_PORT={port}" in env
    # Even with a token configured, the health check must not need it.
    service = create_app(Settings(_env_file=None, data_dir=tmp_path, api_token="secret"))  # type: ignore[call-arg]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service), base_url="http://127.0.0.1:8000"
    ) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
