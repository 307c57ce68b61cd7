"""pytest fixtures: the fake GLM-4.5V server on loopback, and settings pointing at it.

One server per session (started lazily in a background thread, stopped at teardown); each test
gets it reset: no queued scenarios, no recorded requests, the default expectations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from replicator.config import Settings
from replicator.fake_glm import FakeGlm, FakeGlmServer

FAKE_KEY = "sk-test-7f3a9c1e5b2d4e6f8a0b"


@pytest.fixture(scope="session")
def fake_glm_server() -> Iterator[FakeGlmServer]:
    server = FakeGlmServer(FakeGlm(api_key=FAKE_KEY)).start()
    yield server
    server.stop()


@pytest.fixture
def fake_glm(fake_glm_server: FakeGlmServer) -> Iterator[FakeGlmServer]:
    """The running fake, reset for this test: ``.fake.queue(...)``, ``.fake.requests``, ``.base_url``."""
    fake_glm_server.fake.reset(api_key=FAKE_KEY)
    yield fake_glm_server
    fake_glm_server.fake.reset(api_key=FAKE_KEY)


@pytest.fixture
def glm_settings(fake_glm: FakeGlmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for the glm backend aimed at the fake, with short deadlines for tests."""
    for key in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "REPLICATOR_BACKEND"):
        monkeypatch.delenv(key, raising=False)
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        backend="glm",
        glm_base_url=fake_glm.base_url,
        api_key=SecretStr(FAKE_KEY),
        glm_deadline_s=20.0,
        glm_read_timeout_s=10.0,
        glm_max_retries=3,
    )
