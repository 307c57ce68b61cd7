"""Settings: environment parsing, key aliases, strict booleans, browser discovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from replicator.config import Settings
from replicator.errors import BrowserNotFound


def make() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_environment_variables_use_the_replicator_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATOR_WORKERS", "5")
    monkeypatch.setenv("REPLICATOR_BACKEND", "glm")
    settings = make()
    assert settings.workers == 5
    assert settings.backend == "glm"


@pytest.mark.parametrize("name", ["REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY"])
def test_api_key_is_read_from_each_documented_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for other in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, "sk-test-123")
    settings = make()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-test-123"
    assert "sk-test-123" not in repr(settings)


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("true", True), ("1", True)])
def test_booleans_are_parsed_strictly(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("REPLICATOR_GLM_THINKING", raw)
    assert make().glm_thinking is expected


def test_a_nonsense_boolean_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATOR_GLM_THINKING", "maybe")
    with pytest.raises(ValidationError):
        make()


def test_unknown_backend_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATOR_BACKEND", "gpt")
    with pytest.raises(ValidationError):
        make()


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATOR_PORT", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("REPLICATOR_PORT=9123\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.port == 9123


def test_configured_browser_path_that_is_missing_names_the_fix(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, chromium_path=tmp_path / "nope")  # type: ignore[call-arg]
    with pytest.raises(BrowserNotFound) as info:
        settings.resolve_chromium()
    assert "REPLICATOR_CHROMIUM_PATH" in info.value.message


def test_browser_is_found_without_configuration() -> None:
    path = Settings(_env_file=None).resolve_chromium()  # type: ignore[call-arg]
    assert path.is_file()


def test_headless_shell_is_preferred_and_launched_without_the_debian_wrapper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make test installs chromium-headless-shell: it is the default, as the real binary, not the
    # /usr/bin shell script that forks it.
    assert Settings(_env_file=None).resolve_chromium() == Path(  # type: ignore[call-arg]
        "/usr/lib/chromium/chromium-headless-shell"
    )
    # Off the candidate list, PATH decides, and the headless shell still comes before chromium.
    for name in ("chromium", "chromium-headless-shell"):
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setattr("replicator.config.CHROMIUM_CANDIDATES", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    assert Settings(_env_file=None).resolve_chromium() == tmp_path / "chromium-headless-shell"  # type: ignore[call-arg]


def test_web_dir_resolves_to_the_templates() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.web_dir / "templates").is_dir()


@pytest.mark.parametrize("name", ["REPLICATOR_API_KEY", "REPLICATOR_API_TOKEN"])
def test_an_empty_secret_means_unset(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for other in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, "  ")
    settings = make()
    assert settings.api_key is None
    assert settings.api_token is None
