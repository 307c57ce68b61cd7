"""Shared fixtures. Area-specific fixtures live in tests/plugins/ (one module per area)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replicator.config import Settings

pytest_plugins = [
    "tests.plugins.data_dirs",  # first: tests.service_helpers, which the others import, imports it
    "tests.plugins.browser",
    "tests.plugins.fake_glm",
    "tests.plugins.figures",
    "tests.plugins.pages",
    "tests.plugins.postgres",
    "tests.plugins.recordings",
]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings isolated from the developer's environment: a fresh data dir, the local backend."""
    for key in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "REPLICATOR_BACKEND"):
        monkeypatch.delenv(key, raising=False)
    return Settings(_env_file=None, data_dir=tmp_path / "data", backend="local")  # type: ignore[call-arg]
