"""``replicator doctor``: browser, OCR and backend checks, with the glm backend aimed at the fake."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from replicator.cli import app
from replicator.fake_glm import FakeGlmServer
from tests.plugins.fake_glm import FAKE_KEY


@pytest.fixture
def glm_env(fake_glm: FakeGlmServer, monkeypatch: pytest.MonkeyPatch, tmp_path) -> FakeGlmServer:  # type: ignore[no-untyped-def]
    for key in ("ZAI_API_KEY", "ZHIPUAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env file
    monkeypatch.setenv("REPLICATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPLICATOR_BACKEND", "glm")
    monkeypatch.setenv("REPLICATOR_GLM_BASE_URL", fake_glm.base_url)
    monkeypatch.setenv("REPLICATOR_API_KEY", FAKE_KEY)
    return fake_glm


def test_doctor_reports_every_check_ok_as_json(glm_env: FakeGlmServer) -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == ["browser", "ocr", "backend"]
    backend = report["checks"][2]
    assert backend["ok"] and "key accepted" in backend["detail"]
    assert "4271" in report["checks"][1]["detail"]
    assert FAKE_KEY not in result.output
    # The backend check is one small, unthinking, non-streamed request.
    (request,) = glm_env.fake.requests
    assert request.body["stream"] is False and request.body["thinking"] == {"type": "disabled"}


def test_doctor_fails_with_exit_1_on_a_bad_key_without_showing_it(
    glm_env: FakeGlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATOR_API_KEY", "sk-not-the-right-one-1234")
    monkeypatch.setenv("COLUMNS", "240")  # one table row per check, no wrapping
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "provider_auth" in result.output
    assert "sk-not-the-right-one-1234" not in result.output
    assert len(glm_env.fake.requests) == 1  # an auth failure is never retried
