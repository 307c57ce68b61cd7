"""``replicator convert``: batches through the real pipeline (local backend, real Chromium), reports,
failures that stay contained, exit codes, manifests, and Ctrl-C then --resume in a real process."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from replicator.cli import app
from replicator.config import Settings, usable_cores
from tests.plugins.data_dirs import warmed

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "fixtures" / "cli"
BIN = Path(sys.executable).parent / "replicator"
SHOTS = ("welcome", "pricing", "login")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a run: local backend, a private data dir (its caches built), no key, no .env."""
    for key in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "REPLICATOR_BACKEND"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    monkeypatch.setenv("COLUMNS", "400")  # usage errors are drawn in a box: keep messages on one line
    values = {"REPLICATOR_DATA_DIR": str(warmed(tmp_path / "data")), "REPLICATOR_REFINE_ROUNDS": "0"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values}


def _shots(folder: Path, names: tuple[str, ...] = SHOTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(CLI / f"{name}.png", folder / f"{name}.png")
    return folder


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def _invoke(*args: str):
    return CliRunner().invoke(app, ["convert", *args], catch_exceptions=False)


def test_a_corrupt_file_fails_alone_and_the_report_names_why(tmp_path: Path, env: dict[str, str]) -> None:
    shots = _shots(tmp_path / "shots", ("welcome", "pricing"))
    good = (shots / "welcome.png").read_bytes()
    (shots / "cut.png").write_bytes(good[: len(good) // 3])  # a PNG header, then nothing decodable
    (shots / "notes.txt").write_text("not an image, not named like one: not an input")
    out = tmp_path / "out"

    result = _invoke(str(shots), "-o", str(out), "--concurrency", "2")

    assert result.exit_code == 1, result.output
    report = _report(out)
    items = {item["name"]: item for item in report["items"]}
    assert set(items) == {"cut", "pricing", "welcome"}
    assert items["cut"]["status"] == "failed"
    assert items["cut"]["error"]["code"] == "corrupt_input"
    assert "could not be decoded" in items["cut"]["error"]["message"]
    for name in ("welcome", "pricing"):
        assert items[name]["status"] == "ok"
        assert 0 <= items[name]["score"]["overall"] <= 100
        for suffix in ("html", "render.png", "diff.png", "json"):
            assert (out / f"{name}.{suffix}").stat().st_size > 0
        record = json.loads((out / f"{name}.json").read_text())
        assert record["score"] == items[name]["score"]
        assert set(record["timings_ms"]) >= {"intake", "generate", "render", "score"}
        assert set(record["usage"]) == {"prompt_tokens", "completion_tokens", "cost_usd"}
        assert record["source"]["width"] == 640
        html = (out / f"{name}.html").read_text()
        assert "<html" in html.lower() and "Content-Security-Policy" in html
        with Image.open(out / f"{name}.render.png") as render:
            assert render.width == 640
    assert not (out / "cut.json").exists()
    assert report["finished"] is True and report["interrupted"] is False
    assert report["summary"]["succeeded"] == 2 and report["summary"]["failed"] == 1
    page = (out / "report.html").read_text()
    assert "could not be decoded" in page and "welcome.render.png" in page
    assert "FAILED cut" in result.output  # plain log lines: the runner is not a terminal


def test_all_good_exits_0_and_fail_under_turns_low_scores_into_exit_1(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # The pricing shot, not the welcome one: the local backend now reproduces that simple page
    # perfectly (100.0), and a threshold above the score needs a score below 100.
    shots = _shots(tmp_path / "shots", ("pricing",))
    out = tmp_path / "out"
    assert _invoke(str(shots / "*.png"), "-o", str(out)).exit_code == 0
    assert _report(out)["options"]["concurrency"] == usable_cores()  # no -j: one item per usable core
    score = _report(out)["items"][0]["score"]["overall"]
    assert score < 100

    result = _invoke(str(shots), "-o", str(out), "--resume", "--fail-under", str(min(score + 1, 100)))
    assert result.exit_code == 1, result.output
    report = _report(out)
    assert report["items"][0]["below_fail_under"] is True
    assert report["items"][0]["resumed"] is True  # --fail-under alone does not redo the work


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing.png"], "does not exist"),
        (["{tmp}/empty"], "No inputs found"),
        (["{tmp}/empty", "--viewport", "wide"], "WIDTHxHEIGHT"),
        (["{tmp}/empty", "--mode", "fancy"], "static"),
        (["{tmp}/empty", "--stack", "angular"], "react-tailwind"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, env: dict[str, str], args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    argv = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(app, ["convert", *argv, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out" / "report.json").exists()


def test_stack_writes_the_component_beside_its_preview(tmp_path: Path, env: dict[str, str]) -> None:
    shots = _shots(tmp_path / "shots", ("welcome",))
    out = tmp_path / "out"
    result = _invoke(str(shots), "-o", str(out), "--stack", "vue-tailwind")
    assert result.exit_code == 0, result.output
    sfc = (out / "welcome.vue").read_text()
    assert sfc.startswith("<template>") and 'class="' in sfc
    assert '<div id="root">' in (out / "welcome.html").read_text()  # the preview Vue renders
    item = json.loads((out / "welcome.json").read_text())
    assert item["stack"] == "vue-tailwind" and item["outputs"]["code"] == "welcome.vue"
    assert item["options"]["stack"] == "vue-tailwind"
    assert item["score"]["overall"] > 90


def test_manifest_sets_names_and_viewports_per_item(tmp_path: Path, env: dict[str, str]) -> None:
    shots = _shots(tmp_path / "shots", ("welcome", "login"))
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        json.dumps({"source": "shots/welcome.png", "name": "home-narrow", "viewport": "480x480"})
        + "\n"
        + json.dumps({"source": str(shots / "login.png"), "mode": "static"})
        + "\n"
    )
    out = tmp_path / "out"

    result = _invoke(str(manifest), "-o", str(out))

    assert result.exit_code == 0, result.output
    with Image.open(out / "home-narrow.render.png") as render:
        assert render.width == 480
    login = json.loads((out / "login.json").read_text())
    assert login["options"]["mode"] == "static"
    assert "<script" not in (out / "login.html").read_text().lower()


def test_ctrl_c_keeps_finished_items_and_resume_finishes_the_rest(
    tmp_path: Path, env: dict[str, str]
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    names = [f"page{n}" for n in range(6)]
    for n, name in enumerate(names):
        shutil.copy(CLI / f"{SHOTS[n % 3]}.png", shots / f"{name}.png")
    out = tmp_path / "out"
    argv = [str(BIN), "convert", str(shots), "-o", str(out), "--concurrency", "1"]

    # Its own session, so that Ctrl-C can be sent the way a terminal sends it: to the whole process
    # group (Playwright's driver included), not only to the CLI process.
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not any(out.glob("page*.json")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "--resume" in stdout

    first = _report(out)
    assert first["interrupted"] is True and first["finished"] is False
    done = {i["name"] for i in first["items"] if i["status"] == "ok"}
    assert done and len(done) < len(names)
    # The item running at Ctrl-C was finished, not failed: nothing was lost to the interruption.
    assert all(i["status"] in ("ok", "pending") for i in first["items"]), first["items"]
    assert "interrupted" in (out / "report.html").read_text()
    stamps = {name: (out / f"{name}.json").stat().st_mtime_ns for name in done}

    resumed = subprocess.run([*argv, "--resume"], env=env, capture_output=True, text=True, timeout=300)

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = _report(out)
    assert final["finished"] is True
    assert {i["name"] for i in final["items"] if i["status"] == "ok"} == set(names)
    assert {i["name"] for i in final["items"] if i["resumed"]} == done
    for name in done:
        assert (out / f"{name}.json").stat().st_mtime_ns == stamps[name], f"{name} was converted again"
    assert f"Converting {len(names) - len(done)} of {len(names)}" in resumed.stdout


def test_a_terminal_gets_a_live_progress_bar_instead_of_log_lines(
    tmp_path: Path, env: dict[str, str]
) -> None:
    shots = _shots(tmp_path / "shots", ("welcome",))
    out = tmp_path / "out"
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN), "convert", str(shots), "-o", str(out)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "200"},
    )
    os.close(secondary)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert "1/1" in screen and "Converting" in screen
    assert "[1/1] ok" not in screen  # the plain log lines are for pipes and CI logs


def test_outputs_get_the_mode_the_users_umask_allows(tmp_path: Path, env: dict[str, str]) -> None:
    shots = _shots(tmp_path / "shots", ("welcome",))
    out = tmp_path / "out"
    done = subprocess.run(
        [str(BIN), "convert", str(shots), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o027),  # what a shell with `umask 027` starts the CLI with
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = sorted(p.name for p in out.iterdir() if p.is_file())
    expected = [f"welcome.{s}" for s in ("html", "render.png", "diff.png", "json")]
    assert written == sorted([*expected, "report.html", "report.json"])
    modes = {name: oct(stat.S_IMODE((out / name).stat().st_mode)) for name in written}
    assert set(modes.values()) == {oct(0o640)}, modes  # not rw------- whatever the umask


def test_the_first_item_starts_while_the_browser_is_still_starting(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # A browser that cannot start until the test lets it: the first item must be under way before.
    # (Before, the CLI started Chromium and its workers one after the other, then the first item.)
    gate = tmp_path / "browser-may-start"
    browser = tmp_path / "gated-chromium"
    real = Settings(_env_file=None).resolve_chromium()  # type: ignore[call-arg]
    browser.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\nexec "{real}" "$@"\n')
    browser.chmod(0o755)
    shots = _shots(tmp_path / "shots", ("welcome",))
    proc = subprocess.Popen(
        [str(BIN), "convert", str(shots), "-o", str(tmp_path / "out")],
        env={**env, "REPLICATOR_CHROMIUM_PATH": str(browser)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if " start welcome " in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        item_started_first = started.wait(timeout=60)
    finally:
        gate.touch()
    assert item_started_first, "the item did not start before the browser was up: " + "".join(lines)
    assert proc.wait(timeout=300) == 0, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
    reader.join(timeout=10)
    assert any("[1/1] ok welcome" in line for line in lines), lines


def test_a_recording_in_a_batch_reports_its_replay_step_by_step(tmp_path: Path, env: dict[str, str]) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    shutil.copy(ROOT / "fixtures" / "recordings" / "dropdown.mp4", shots / "dropdown.mp4")
    out = tmp_path / "out"
    assert _invoke(str(shots), "-o", str(out), "--mode", "interactive").exit_code == 0
    item = _report(out)["items"][0]
    assert item["interactions"]["worked"] == "2/2", item
    details = json.loads((out / "dropdown.json").read_text())["interactions"]
    clicked = [s["clicked"] for s in details["steps"] if s["phase"] == "recorded"]
    assert len(clicked) == 2 and all(c.startswith("Dana Smith") for c in clicked)  # the menu's button, twice
    assert item["interactions"]["passed"] is details["passed"]
    html = (out / "report.html").read_text()
    assert "Interactions" in html and ("all steps work" in html or "failing" in html)
