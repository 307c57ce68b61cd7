"""The CLI as a person meets it before any work: help text, start-up imports, switches, messages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from replicator.cli import app
from replicator.cli.convert_cmd import _for_items
from replicator.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "fixtures" / "cli"
RECORDING = ROOT / "fixtures" / "recordings" / "static.mp4"
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
# What a command's work needs and ``--help`` must not pay for.
HEAVY_MODULES = (
    "playwright",
    "onnxruntime",
    "rapidocr_onnxruntime",
    "cv2",
    "numpy",
    "scipy",
    "skimage",
    "PIL",
    "fastapi",
    "uvicorn",
    "httpx",
    "bs4",
    "pydantic_settings",
    "replicator.pipeline",
    "replicator.score",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "REPLICATOR_BACKEND"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    monkeypatch.setenv("REPLICATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "100")


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_help_imports_nothing_a_command_needs_for_its_work() -> None:
    # A real interpreter, as the console script runs it: the help comes from the command
    # definitions alone, so the browser, OCR, image and web libraries stay unloaded.
    probe = (
        "import sys\n"
        "from replicator.cli import main\n"
        "sys.argv = ['replicator', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Commands:" in done.stdout
    assert "HEAVY []" in done.stdout, done.stdout.splitlines()[-1]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_names_values_not_python_types(command: str) -> None:
    text = _help(*([command] if command else []))
    # Typer's defaults would show <bool>, <list[str]>, <int range>, <path> and {INPUT}...
    assert not re.search(r"<(bool|str|int|float|path|file|dir|list\[\w+\])( range)?>", text), text
    assert "{" not in text.split("\n\n")[0], text
    assert "(default:" not in text and "[default: (" not in text, text


def test_convert_help_shows_metavars_switches_and_defaults() -> None:
    text = " ".join(_help("convert").split())  # help wraps lines: compare words
    assert "Usage: replicator convert [OPTIONS] INPUT... --out OUT_DIR" in text
    assert "INPUT... Screenshots" in text
    assert "-j, --concurrency N" in text
    assert "--resume Skip items" in text  # a switch: no value after it
    defaults = Settings.model_fields
    for option, setting, field in (
        ("--backend", "REPLICATOR_BACKEND", "backend"),
        ("--mode", "REPLICATOR_OUTPUT_MODE", "output_mode"),
        ("--refine-rounds", "REPLICATOR_REFINE_ROUNDS", "refine_rounds"),
        ("--target-score", "REPLICATOR_TARGET_SCORE", "target_score"),
    ):
        value = defaults[field].default
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        assert f"default: {setting}, else {shown}" in text, (option, text)


def test_render_help_keeps_its_defaults_in_sight() -> None:
    # Typer's markup used to swallow "[default: 1280]" written into a help text.
    text = " ".join(_help("render").split())
    assert "default: REPLICATOR_VIEWPORT_WIDTH, else 1280" in text
    assert "--full-page / --no-full-page" in text and "default: --full-page" in text


def test_fake_glm_help_lists_every_scenario() -> None:
    from replicator.fake_glm import scenario_names

    text = " ".join(_help("fake-glm").split())
    for name in scenario_names():
        assert name in text


@pytest.mark.parametrize("value", ["true", "false", "yes", "1"])
def test_a_value_after_a_switch_is_a_clear_usage_error(tmp_path: Path, value: str) -> None:
    result = CliRunner().invoke(
        app, ["convert", str(CLI / "welcome.png"), "-o", str(tmp_path / "out"), "--resume", value]
    )
    assert result.exit_code == 2, result.output
    assert "--resume is a switch and takes no value" in result.output
    assert "does not exist" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_switch_with_an_off_form_names_both(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", str(CLI / "welcome.html"), "--full-page", "false"])
    assert result.exit_code == 2, result.output
    assert "--no-full-page to turn it off" in result.output


def test_a_check_of_a_recording_says_check_takes_a_design_image() -> None:
    result = CliRunner().invoke(app, ["check", str(RECORDING), str(CLI / "welcome.html")])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "is a screen recording" in message
    assert "design image (PNG, JPEG or WebP)" in message and "does not take recordings" in message
    assert "MP4" not in message and "accepted" not in message  # the old, self-contradicting text


def test_a_check_against_a_recording_as_implementation_is_refused_the_same_way() -> None:
    result = CliRunner().invoke(app, ["check", str(CLI / "welcome.png"), str(RECORDING)])
    assert result.exit_code == 2, result.output
    assert "is a screen recording" in result.output


def test_a_design_that_is_no_image_is_named_as_such(tmp_path: Path) -> None:
    notes = tmp_path / "design.png"
    notes.write_text("not an image at all")
    result = CliRunner().invoke(app, ["check", str(notes), str(CLI / "welcome.html")])
    assert result.exit_code == 2, result.output
    assert "is not a PNG, JPEG or WebP image" in " ".join(result.output.split())


def test_an_invalid_setting_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATOR_REFINE_ROUNDS", "many")
    result = CliRunner().invoke(app, ["convert", str(CLI / "welcome.png"), "-o", "out"])
    assert result.exit_code == 2, result.output
    assert "Error: invalid setting: REPLICATOR_REFINE_ROUNDS" in result.output
    assert "Traceback" not in result.output


def test_a_single_item_runs_the_cpu_stages_in_this_process(settings: Settings) -> None:
    # A worker process costs its start and a second copy of the models: worth it over many items only.
    assert _for_items(settings, count=1).cpu_workers == 0
    assert _for_items(settings, count=3).cpu_workers is None  # workers, one per item in flight
    for chosen in ({"cpu_workers": 1}, {"ocr_threads": 1}):  # a setting that describes the workers
        assert _for_items(settings.model_copy(update=chosen), count=1) == settings.model_copy(update=chosen)
