"""``replicator check``: verdicts and exit codes, JSON, JUnit XML, heatmaps, manifests, a real
subprocess, and the same check through a running service (``--server``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from replicator.cli import app
from replicator.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "fixtures" / "cli"
BIN = Path(sys.executable).parent / "replicator"
DESIGN = str(CLI / "welcome.png")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "REPLICATOR_API_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPLICATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "400")  # usage errors are drawn in a box: keep messages on one line


def _check(*args: str):
    return CliRunner().invoke(app, ["check", *args], catch_exceptions=False)


def test_matching_page_passes_and_prints_the_breakdown() -> None:
    result = _check(DESIGN, str(CLI / "welcome.html"), "--min-score", "80")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    for word in ("Block", "Text", "Position", "Color", "Visual"):
        assert word in result.output


def test_failing_page_exits_1_with_json_junit_and_heatmap(tmp_path: Path) -> None:
    junit, heatmap = tmp_path / "reports" / "check.xml", tmp_path / "diff.png"

    result = _check(
        DESIGN,
        str(CLI / "broken.html"),
        "--min-score",
        "80",
        "--json",
        "--junit",
        str(junit),
        "--diff",
        str(heatmap),
    )

    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    assert body["passed"] is False and body["threshold"] == 80
    assert body["score"]["overall"] < 80
    assert body["discrepancies"] and body["implementation"].endswith("broken.html")
    assert heatmap.read_bytes().startswith(b"\x89PNG")

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "1" and root.get("failures") == "1"
    (suite,) = root.findall("testsuite")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "welcome.png vs broken.html" and float(case.get("time", "-1")) > 0
    failure = case.find("failure")
    assert failure is not None and "below 80" in failure.get("message", "")
    assert body["discrepancies"][0]["message"] in (failure.text or "")


def test_manifest_checks_every_pair_and_reports_errors_per_pair(tmp_path: Path) -> None:
    manifest = tmp_path / "pairs.csv"
    manifest.write_text(
        "name,design,implementation,min_score\n"
        f"home,{DESIGN},{CLI / 'site'},80\n"
        f"home-broken,{DESIGN},{CLI / 'broken.html'},80\n"
        f"missing,{tmp_path / 'nope.png'},{CLI / 'welcome.html'},80\n"
        f"shots,{CLI / 'login.png'},{CLI / 'login.png'},95\n"
    )
    junit, diffs = tmp_path / "junit.xml", tmp_path / "diffs"

    result = _check(
        "--manifest", str(manifest), "-j", "2", "--json", "--junit", str(junit), "--diff", str(diffs)
    )

    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    # Two pairs at a time, reported in the manifest's order.
    assert [r["name"] for r in body["results"]] == ["home", "home-broken", "missing", "shots"]
    verdicts = {r["name"]: r["passed"] for r in body["results"]}
    assert verdicts == {"home": True, "home-broken": False, "missing": False, "shots": True}
    one_at_a_time = json.loads(_check("--manifest", str(manifest), "-j", "1", "--json").stdout)
    assert [r.get("score") for r in one_at_a_time["results"]] == [r.get("score") for r in body["results"]]
    assert body["results"][2]["error"]["code"] in ("bad_input", "corrupt_input")
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["missing"].find("error") is not None
    assert cases["home"].find("failure") is None and cases["home"].find("error") is None
    assert sorted(p.name for p in diffs.iterdir()) == [
        "home-broken.diff.png",
        "home.diff.png",
        "shots.diff.png",
    ]


def test_sub_score_gates_fail_a_page_whose_overall_passes(tmp_path: Path) -> None:
    # The welcome page in a serif face: every word and box in place, so the overall stays high.
    serif = tmp_path / "serif.html"
    serif.write_text((CLI / "welcome.html").read_text().replace("font:20px sans-serif", "font:20px serif"))
    overall_only = _check(DESIGN, str(serif), "--min-score", "70", "--json")
    assert overall_only.exit_code == 0, overall_only.output
    typography = json.loads(overall_only.stdout)["score"]["typography"]
    assert typography < 80

    junit = tmp_path / "junit.xml"
    gated = _check(
        DESIGN, str(serif), "--min-score", "70", "--min-subscore", "typography=90", "--junit", str(junit)
    )
    assert gated.exit_code == 1, gated.output
    assert "FAIL" in gated.output and f"typography {typography:.1f} is below 90" in gated.output
    failure = ET.parse(junit).getroot().find(".//failure")
    assert failure is not None and "typography" in failure.get("message", "")

    as_json = json.loads(
        _check(DESIGN, str(serif), "--min-subscore", "typography=90,edges=50", "--json").stdout
    )
    assert as_json["passed"] is False and as_json["min_subscores"] == {"typography": 90.0, "edges": 50.0}
    assert as_json["failures"] == [f"typography {typography:.1f} is below 90"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "DESIGN"),
        ([DESIGN, str(CLI / "welcome.html"), "--min-subscore", "fonts=90"], "sub-score gate"),
        ([DESIGN, str(CLI / "welcome.html"), "--min-subscore", "typography=120"], "between 0 and 100"),
        ([DESIGN, "{tmp}/missing.html"], "does not exist"),
        ([DESIGN, str(CLI / "welcome.html"), "--manifest", "{tmp}/m.csv"], "not both"),
        ([DESIGN, str(CLI / "welcome.html"), "--min-score", "120"], "--min-score"),
        ([DESIGN, str(CLI / "welcome.html"), "--server", "ftp://example"], "http://"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["check", *(a.format(tmp=tmp_path) for a in args)])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_real_subprocess_checks_a_folder_with_local_assets(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN), "check", DESIGN, str(CLI / "site"), "--min-score", "80", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REPLICATOR_DATA_DIR": str(tmp_path / "data")},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["passed"] is True
    assert "Traceback" not in proc.stderr


# --- --server ------------------------------------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1, an ephemeral port, a bearer token; stopped after."""
    from replicator.service.app import create_app

    settings = Settings(_env_file=None, data_dir=tmp_path / "svc", api_token="s3cret")  # type: ignore[call-arg]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the service did not start")
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_server_mode_gives_the_same_verdict_and_exit_codes(service: str, tmp_path: Path) -> None:
    local = json.loads(_check(DESIGN, str(CLI / "broken.html"), "--min-score", "80", "--json").stdout)
    heatmap = tmp_path / "remote-diff.png"

    remote = _check(
        DESIGN,
        str(CLI / "broken.html"),
        "--min-score",
        "80",
        "--json",
        "--server",
        service,
        "--token",
        "s3cret",
        "--diff",
        str(heatmap),
    )

    assert remote.exit_code == 1, remote.output
    body = json.loads(remote.stdout)
    assert body["passed"] is False and body["score"] == local["score"]
    assert body["heatmap_url"].startswith(service)
    assert heatmap.read_bytes().startswith(b"\x89PNG")

    passing = _check(
        DESIGN, str(CLI / "welcome.html"), "--min-score", "80", "--server", service, "--token", "s3cret"
    )
    assert passing.exit_code == 0, passing.output
    assert "PASS" in passing.output

    # Sub-score gates give the same verdict through the service.
    serif = tmp_path / "serif.html"
    serif.write_text((CLI / "welcome.html").read_text().replace("font:20px sans-serif", "font:20px serif"))
    gate = ["--min-score", "70", "--min-subscore", "typography=90", "--json"]
    local_gated = _check(DESIGN, str(serif), *gate)
    remote_gated = _check(DESIGN, str(serif), *gate, "--server", service, "--token", "s3cret")
    assert local_gated.exit_code == remote_gated.exit_code == 1, remote_gated.output
    remote_body = json.loads(remote_gated.stdout)
    assert remote_body["failures"] == json.loads(local_gated.stdout)["failures"]
    assert remote_body["failures"][0].startswith("typography")

    refused = CliRunner().invoke(app, ["check", DESIGN, str(CLI / "welcome.html"), "--server", service])
    assert refused.exit_code == 2
    assert "--token" in refused.output


def test_server_mode_scores_a_folder_with_its_own_assets_like_the_local_check(service: str) -> None:
    site = str(CLI / "site")
    local = json.loads(_check(DESIGN, site, "--json").stdout)
    remote = _check(DESIGN, site, "--json", "--server", service, "--token", "s3cret")
    assert remote.exit_code == 0, remote.output
    # The folder's stylesheet reaches the service (inlined before upload): the verdicts agree.
    assert json.loads(remote.stdout)["score"] == local["score"]


def test_a_missing_icon_fails_a_graphics_gate_and_says_so_in_junit(tmp_path: Path) -> None:
    # The welcome page with a bell icon beside its heading is the design; the page without the
    # icon is the implementation: every word and box in place, one icon gone.
    bell = (
        '<svg width="32" height="32" viewBox="0 0 32 32" style="vertical-align:middle;margin-left:12px">'
        '<path d="M16 3c-5 0-8 4-8 9v7l-3 4h22l-3-4v-7c0-5-3-9-8-9z" fill="#b45309"/>'
        '<circle cx="16" cy="27" r="3" fill="#b45309"/></svg>'
    )
    with_icon = tmp_path / "with-icon.html"
    with_icon.write_text(
        (CLI / "welcome.html").read_text().replace("Welcome back</h1>", f"Welcome back{bell}</h1>")
    )
    design = tmp_path / "design.png"
    rendered = CliRunner().invoke(
        app,
        ["render", str(with_icon), "-o", str(design), "--width", "640", "--height", "480"],
        catch_exceptions=False,
    )
    assert rendered.exit_code == 0, rendered.output

    junit = tmp_path / "junit.xml"
    result = _check(
        str(design),
        str(CLI / "welcome.html"),
        "--min-subscore",
        "graphics=95",
        "--json",
        "--junit",
        str(junit),
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["score"]["graphics"] < 95 and data["score"]["text"] == 100.0
    assert data["failures"] == [f"graphics {data['score']['graphics']:.1f} is below 95"]
    missing = [d for d in data["discrepancies"] if d["kind"] == "graphics"]
    assert (
        missing
        and missing[0]["message"].startswith("icon at")
        and missing[0]["message"].endswith("is missing")
    )
    case = ET.parse(junit).getroot().find(".//testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and "graphics" in failure.get("message", "")
    assert "graphics" in (failure.text or "") and "is missing" in (failure.text or "")
