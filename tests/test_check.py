"""Design checks (replicator.check): HTML, asset folders and screenshots scored against a design."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import psutil
import pytest
import pytest_asyncio

from replicator import check
from replicator.check import CheckTarget, inline_local_assets, run_check
from replicator.config import Settings
from replicator.errors import InputError, InputTooComplex
from replicator.intake import image_source
from replicator.models import SCORE_FIELDS, Source
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime

CLI = Path(__file__).resolve().parent.parent / "fixtures" / "cli"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def runtime(
    tmp_path_factory: pytest.TempPathFactory, browser_pool: SealedBrowserPool
) -> AsyncIterator[Runtime]:
    """A Runtime on the session's warm browser pool."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("data"), backend="local")  # type: ignore[call-arg]
    async with Runtime(settings, renderer=browser_pool) as rt:
        yield rt


def _design(runtime: Runtime, name: str = "welcome") -> Source:
    return image_source((CLI / f"{name}.png").read_bytes(), runtime.settings)


async def test_the_page_a_design_was_made_from_passes(runtime: Runtime) -> None:
    result = await run_check(
        runtime, _design(runtime), CheckTarget.from_path(CLI / "welcome.html"), threshold=85
    )
    assert result.passed, result.to_dict()
    assert result.score.overall >= 85
    assert (result.viewport.width, result.viewport.height) == (640, 480)
    assert result.render_png.startswith(b"\x89PNG")


async def test_a_different_page_fails_with_discrepancies(runtime: Runtime) -> None:
    good = await run_check(
        runtime, _design(runtime), CheckTarget.from_path(CLI / "welcome.html"), threshold=0
    )
    bad = await run_check(runtime, _design(runtime), CheckTarget.from_path(CLI / "broken.html"), threshold=85)
    assert not bad.passed
    assert bad.score.overall < good.score.overall - 20
    body = bad.to_dict()
    assert body["passed"] is False and body["threshold"] == 85
    assert set(body["score"]) == set(SCORE_FIELDS)
    assert body["discrepancies"], "a failing check explains itself"
    assert {"kind", "message", "weight"} <= set(body["discrepancies"][0])


async def test_a_folder_serves_its_own_stylesheet_to_the_renderer(runtime: Runtime) -> None:
    folder = await run_check(runtime, _design(runtime), CheckTarget.from_path(CLI / "site"), threshold=0)
    inline = await run_check(
        runtime, _design(runtime), CheckTarget.from_path(CLI / "welcome.html"), threshold=0
    )
    unstyled = await run_check(
        runtime,
        _design(runtime),
        CheckTarget.from_html((CLI / "site" / "index.html").read_text()),  # no base_dir: no CSS
        threshold=0,
    )
    assert folder.score.overall > unstyled.score.overall + 5
    assert abs(folder.score.overall - inline.score.overall) < 5


async def test_screenshot_against_screenshot(runtime: Runtime) -> None:
    same = await run_check(
        runtime, _design(runtime), CheckTarget.from_path(CLI / "welcome.png"), threshold=95
    )
    other = await run_check(runtime, _design(runtime), CheckTarget.from_path(CLI / "login.png"), threshold=95)
    assert same.passed and same.score.overall >= 95
    assert not other.passed and other.score.overall < same.score.overall


async def test_a_threshold_outside_0_to_100_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="between 0 and 100"):
        await run_check(runtime, _design(runtime), CheckTarget.from_path(CLI / "welcome.png"), threshold=120)


def test_implementation_paths_that_cannot_be_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"without an index\.html"):
        CheckTarget.from_path(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("just words")
    with pytest.raises(InputError, match="neither an HTML file"):
        CheckTarget.from_path(notes)
    with pytest.raises(InputError, match="does not exist"):
        CheckTarget.from_path(tmp_path / "missing.html")


def test_html_file_gets_its_folder_for_assets_and_screenshot_is_detected_by_content(tmp_path: Path) -> None:
    page = CheckTarget.from_path(CLI / "site" / "index.html")
    assert page.kind == "html" and page.base_dir == (CLI / "site").resolve()
    disguised = tmp_path / "shot.bin"
    disguised.write_bytes((CLI / "login.png").read_bytes())
    assert CheckTarget.from_path(disguised).kind == "screenshot"


def test_local_assets_are_inlined_and_nothing_outside_the_folder_is_read(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "img").mkdir(parents=True)
    (site / "css").mkdir()
    dot = (CLI / "login.png").read_bytes()
    (site / "img" / "dot.png").write_bytes(dot)
    (site / "css" / "main.css").write_text("header { background: url('../img/dot.png') }")
    (site / ".secret.css").write_text("body { color: red }")
    (tmp_path / "outside.png").write_bytes(dot)
    html = (
        '<link rel="stylesheet" href="css/main.css"><link rel="stylesheet" href=".secret.css">'
        '<img src="img/dot.png"><img src="../outside.png"><img src="/etc/hostname">'
        '<div style="background:url(img/dot.png)"></div>'
    )

    out = inline_local_assets(html, site)

    encoded = base64.b64encode(dot).decode()
    assert out.count(f"data:image/png;base64,{encoded}") == 3  # CSS url(), <img>, style attribute
    assert "header { background: url(" in out and "css/main.css" not in out
    assert ".secret.css" in out and "color: red" not in out  # hidden files are never read
    assert 'src="../outside.png"' in out and 'src="/etc/hostname"' in out


def test_a_folder_page_nested_too_deep_is_refused_before_its_assets_are_inlined(tmp_path: Path) -> None:
    """Inlining parses with BeautifulSoup's html5lib tree, quadratic in depth (5,000 levels: 4 s,
    30,000: minutes); the sanitizer's depth check comes first and refuses such a page at once."""
    from replicator.errors import InputTooLarge

    (tmp_path / "site.css").write_text("p { color: red }")
    deep = '<link rel="stylesheet" href="site.css">' + "<div>" * 30_000 + "x" + "</div>" * 30_000
    with pytest.raises(InputTooLarge):
        inline_local_assets(deep, tmp_path)
    shallow = inline_local_assets('<link rel="stylesheet" href="site.css"><p>x</p>', tmp_path)
    assert "color: red" in shallow


def misnested_table(rows: int) -> str:
    """A few KiB that html5lib parses in quadratic time (BeautifulSoup's tree: worse)."""
    return "<table>" + "<b><tr>" * rows


async def test_a_check_too_complex_to_sanitize_in_time_is_refused_and_the_service_goes_on(
    settings: Settings, browser_pool: SealedBrowserPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicator.service import create_app

    default_deadline = check.SANITIZE_DEADLINE_S
    monkeypatch.setattr(check, "SANITIZE_DEADLINE_S", 0.5)
    runtime = Runtime(settings.model_copy(update={"cpu_workers": 1}), renderer=browser_pool)
    app = create_app(runtime.settings, runtime=runtime)
    design = (CLI / "welcome.png").read_bytes()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(runtime.close)
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000")
        )
        assert runtime.cpu is not None
        (worker,) = runtime.cpu.pids()
        hostile = misnested_table(12_000).encode()  # about 3 s to sanitize here, minutes for more rows
        files = {"design": ("d.png", design, "image/png"), "implementation": ("i.html", hostile, "text/html")}

        started = time.monotonic()
        refused = await client.post("/api/v1/checks", files=files)
        elapsed = time.monotonic() - started

        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "input_too_complex"
        assert "more than 0.5 s to parse and sanitize" in error["message"] and "simplify" in error["message"]
        assert elapsed < 2.5
        assert not psutil.pid_exists(worker) or psutil.Process(worker).status() == psutil.STATUS_ZOMBIE
        assert (await client.get("/api/v1/healthz")).status_code == 200
        monkeypatch.setattr(check, "SANITIZE_DEADLINE_S", default_deadline)
        files["implementation"] = ("i.html", (CLI / "welcome.html").read_bytes(), "text/html")
        passed = await client.post("/api/v1/checks", files=files, data={"threshold": "85"})
        assert passed.status_code == 200 and passed.json()["passed"] is True, passed.text
        assert runtime.cpu.pids() and worker not in runtime.cpu.pids()


async def test_a_folder_check_without_cpu_workers_is_stopped_at_the_deadline_too(
    settings: Settings, browser_pool: SealedBrowserPool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``replicator check page.html`` runs its stages on threads (cpu_workers=0), and inlines the
    folder's assets with BeautifulSoup first (1,000 rows: 30 s); both are stopped in a worker."""
    monkeypatch.setattr(check, "SANITIZE_DEADLINE_S", 0.5)
    page = tmp_path / "index.html"
    page.write_text(misnested_table(1_000))
    runtime = Runtime(settings.model_copy(update={"cpu_workers": 0}), renderer=browser_pool)
    try:
        assert runtime.cpu is None
        design = image_source((CLI / "welcome.png").read_bytes(), runtime.settings)
        started = time.monotonic()
        with pytest.raises(InputTooComplex) as refused:
            await run_check(runtime, design, CheckTarget.from_path(page), threshold=85)
        assert time.monotonic() - started < 5  # a worker without OCR models starts in well under 1 s
        assert refused.value.http_status == 422
    finally:
        await runtime.close()
