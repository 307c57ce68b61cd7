"""The web UI as a person meets it, in real Chromium at phone, tablet and desktop widths, against
`replicator serve` (started here on loopback; the local backend by default, the fake GLM-4.5V for
model jobs): layout without sideways scrolling, the states of a job (queued, running, done, failed),
the compare views and the live preview, the upload form's checks, the history, the design check,
error pages, and an automated accessibility check (axe-core from node_modules)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page

from replicator.fake_glm import FakeGlmServer
from replicator.models import SUBSCORES
from tests.e2e.test_ui import wait_until
from tests.plugins.fake_glm import FAKE_KEY
from tests.service_helpers import FIXTURES, SCREENSHOT, launched_chromium, running_service

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 768, 1280)
DESIGN = FIXTURES / "cli" / "pricing.png"
CHANGED = ROOT / "docs" / "examples" / "pricing-changed" / "index.html"


@pytest.fixture(scope="module")
def service(fake_glm_server: FakeGlmServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One job at a time (so a second job waits in the queue), local by default, GLM via the fake."""
    with running_service(
        tmp_path_factory.mktemp("ux"),
        REPLICATOR_BACKEND="local",
        REPLICATOR_GLM_BASE_URL=fake_glm_server.base_url,
        REPLICATOR_API_KEY=FAKE_KEY,
        REPLICATOR_REFINE_ROUNDS="0",
        REPLICATOR_WORKERS="1",
        REPLICATOR_GLM_READ_TIMEOUT_S="60",
        REPLICATOR_GLM_DEADLINE_S="120",
    ) as (_, base):
        yield base


@pytest.fixture(scope="module")
def finished_job(service: str) -> dict[str, Any]:
    """A local job that has succeeded (made through the API: the views below only look at it)."""
    with SCREENSHOT.open("rb") as handle:
        response = httpx.post(
            f"{service}/api/v1/replications?wait=240",
            files={"file": ("welcome.png", handle, "image/png")},
            timeout=260,
        )
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    assert job["state"] == "succeeded"
    return job


@pytest_asyncio.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with launched_chromium() as browser:
        yield browser


async def _context(browser: Browser, width: int, **options: Any) -> tuple[BrowserContext, Page, list[str]]:
    context = await browser.new_context(viewport={"width": width, "height": 900}, **options)
    page = await context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return context, page, problems


async def _sideways(page: Page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


async def _open_view(page: Page, base: str, view: str, job: dict[str, Any]) -> None:
    if view == "job":
        await page.goto(f"{base}/jobs/{job['id']}")
        await page.wait_for_selector("#result:not([hidden])")
        await page.wait_for_selector("#editor .cm-content")
    elif view == "check":
        await page.goto(f"{base}/check")
        await page.set_input_files("input[name=design]", str(DESIGN))
        await page.set_input_files("input[name=implementation]", str(CHANGED))
        await page.click("#check-form button[type=submit]")
        await page.wait_for_selector("#check-result:not([hidden])")
    else:
        await page.goto(base + ("/" if view == "home" else "/history"))
        await page.wait_for_selector(".history-item")


# --- layout at every width, and accessibility --------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
async def test_every_view_fits_the_width_and_passes_axe(
    service: str, finished_job: dict[str, Any], chromium: Browser, width: int
) -> None:
    # axe is injected as a test tool: the app's CSP (rightly) refuses scripts it did not serve.
    context, page, problems = await _context(chromium, width, bypass_csp=True)
    for view in ("home", "job", "history", "check"):
        await _open_view(page, service, view, finished_job)
        assert await _sideways(page) <= 0, f"{view} scrolls sideways at {width} px"
        # The top bar is one row on a phone too.
        assert (await page.locator(".topbar").bounding_box() or {})["height"] < 60, view  # type: ignore[index]
        await page.add_script_tag(path=str(AXE))
        found = await page.evaluate(
            "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({ id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })))"
        )
        assert found == [], f"{view} at {width} px: {json.dumps(found)}"
        if view == "job":
            # Every sub-score shows its value, inside the screen.
            values = page.locator("#breakdown td.value")
            assert await values.count() == len(SUBSCORES)
            for i in range(await values.count()):
                box = await values.nth(i).bounding_box()
                assert box is not None and box["x"] + box["width"] <= width, (i, box)
                assert (await values.nth(i).inner_text()).strip()
    assert not [p for p in problems if "Content Security Policy" not in p], problems
    await context.close()


# --- a job page: hidden buttons, result first, ready, offline usage -------------------------------


async def test_finished_job_opens_on_its_result_and_hides_what_does_not_apply(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    context, page, _ = await _context(chromium, 1280)
    await _open_view(page, service, "job", finished_job)
    assert not await page.locator("#cancel").is_visible()  # finished: nothing to cancel
    assert not await page.locator("#token-button").is_visible()  # no token on this server
    assert not await page.locator("#retry-local").is_visible()
    # The result is at the top; the progress log is folded away below it.
    result_top = (await page.locator("#result").bounding_box() or {})["y"]  # type: ignore[index]
    progress_top = (await page.locator("#progress").bounding_box() or {})["y"]  # type: ignore[index]
    assert result_top < 300 < progress_top
    assert await page.evaluate("document.getElementById('progress').open") is False
    # The offline backend used no tokens, and says so instead of "0 prompt + 0 completion".
    text = await page.locator("body").inner_text()
    assert "0 prompt" not in text and "none (no model was called)" in text
    assert (
        await page.locator("#rounds li").first.inner_text()
        == f"Round 0 (generation): {finished_job['score']:.1f}"
    )
    assert (
        await page.evaluate("getComputedStyle(document.querySelector('#rounds li')).listStyleType") == "none"
    )
    await context.close()


async def test_watched_job_says_when_it_is_ready(service: str, chromium: Browser) -> None:
    context, page, problems = await _context(chromium, 1280)
    await page.goto(service + "/")
    await page.set_input_files("#file-input", str(SCREENSHOT))
    await page.click("#submit")
    await page.wait_for_url("**/jobs/*")
    # While it runs: the current stage and a clock that moves.
    await wait_until(page, "document.getElementById('status-text').textContent.startsWith('Running')", 120)
    first = float((await page.locator("#elapsed").inner_text()).removesuffix(" s"))
    await asyncio.sleep(0.8)
    state = await page.locator("#state").inner_text()
    if state == "running":
        second = float((await page.locator("#elapsed").inner_text()).removesuffix(" s"))
        assert second > first
    await page.wait_for_selector("#result:not([hidden])", timeout=240_000)
    await wait_until(page, "!document.getElementById('ready').hidden")
    assert (await page.locator("#ready").inner_text()).startswith("Done: the replica scored")
    assert (await page.locator("#announce").inner_text()).startswith("Replication finished")
    assert await page.locator("#announce").get_attribute("aria-live") == "polite"
    assert await page.evaluate("document.activeElement.id") == "result-title"
    box = await page.locator("#result").bounding_box()
    assert box is not None and -5 <= box["y"] < 200  # scrolled to the result
    assert await page.evaluate("document.getElementById('answer-box').open") is False
    assert not problems, problems
    await context.close()


async def test_running_and_queued_jobs_show_stage_clock_source_and_place(
    service: str, fake_glm: FakeGlmServer, chromium: Browser
) -> None:
    fake_glm.fake.reset(api_key=FAKE_KEY, stall_s=60.0)
    fake_glm.fake.queue("stall")
    with SCREENSHOT.open("rb") as handle:
        data = handle.read()
    running = httpx.post(
        f"{service}/api/v1/replications",
        files={"file": ("slow.png", data, "image/png")},
        data={"backend": "glm"},
        timeout=30,
    ).json()
    waiting = httpx.post(
        f"{service}/api/v1/replications", files={"file": ("next.png", data, "image/png")}, timeout=30
    ).json()
    context, page, _ = await _context(chromium, 768)
    try:
        await page.goto(f"{service}/jobs/{running['id']}")
        await wait_until(page, "document.getElementById('status-text').textContent.includes('generate')", 60)
        clock = page.locator("#elapsed")
        first = float((await clock.inner_text()).removesuffix(" s"))
        await asyncio.sleep(1.0)
        assert float((await clock.inner_text()).removesuffix(" s")) >= first + 0.6
        await page.wait_for_selector("#progress-source:not([hidden])")
        assert await page.locator("#progress-source-img").evaluate("i => i.naturalWidth") > 0
        assert await page.locator("#cancel").is_visible()

        await page.goto(f"{service}/jobs/{waiting['id']}")
        await wait_until(
            page, "document.getElementById('status-text').textContent === 'Queued: next to start.'"
        )
        assert await page.locator("#state").inner_text() == "queued"
        await page.wait_for_selector("#progress-source:not([hidden])")  # the source, before it runs
    finally:
        for job in (running, waiting):
            httpx.post(job["urls"]["cancel"], timeout=30)
        await context.close()


# --- compare views: tabs, slider, live preview ---------------------------------------------------


async def test_tabs_work_with_arrow_keys_and_name_their_panels(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    context, page, _ = await _context(chromium, 1280)
    await _open_view(page, service, "job", finished_job)
    for tab in await page.locator("[role=tab]").all():
        panel = await tab.get_attribute("aria-controls")
        assert panel and await page.locator(f"#{panel}[role=tabpanel]").count() == 1
    await page.focus("#tab-side")
    await page.keyboard.press("ArrowRight")
    assert await page.evaluate("document.activeElement.id") == "tab-slider"
    assert await page.get_attribute("#tab-slider", "aria-selected") == "true"
    assert (
        await page.locator("#view-slider").is_visible() and not await page.locator("#view-side").is_visible()
    )
    await page.keyboard.press("End")
    assert await page.evaluate("document.activeElement.id") == "tab-live"
    await page.keyboard.press("ArrowRight")  # wraps round
    assert await page.evaluate("document.activeElement.id") == "tab-side"
    assert [await t.get_attribute("tabindex") for t in await page.locator("[role=tab]").all()].count("0") == 1
    await context.close()


async def test_slider_shows_a_seam_a_handle_and_which_side_is_which(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    context, page, _ = await _context(chromium, 1280)
    await _open_view(page, service, "job", finished_job)
    await page.click("#tab-slider")
    await wait_until(page, "document.getElementById('slider-render').naturalWidth > 0")
    assert await page.locator(".seam .handle").is_visible()
    assert await page.locator(".side-label.left").inner_text() == "Source"
    assert await page.locator(".side-label.right").inner_text() == "Render"
    stack = await page.locator("#slider-stack").bounding_box()
    seam = await page.locator("#seam").bounding_box()
    assert stack and seam and abs(seam["x"] - (stack["x"] + stack["width"] / 2)) < 4
    # Dragging on the picture moves the seam and the cut of the source.
    await page.mouse.click(stack["x"] + stack["width"] * 0.25, stack["y"] + 40)
    seam = await page.locator("#seam").bounding_box()
    assert seam and abs(seam["x"] - (stack["x"] + stack["width"] * 0.25)) < 6
    assert await page.get_attribute("#slider-source", "style") is not None
    assert "75%" in (await page.get_attribute("#slider-source", "style") or "")
    await context.close()


async def test_live_preview_fits_switches_width_and_opens_in_a_tab_of_its_own(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    context, page, _ = await _context(chromium, 1280)
    await _open_view(page, service, "job", finished_job)
    await page.click("#tab-live")
    frame = page.frame_locator("#live")
    await frame.locator("body").wait_for()
    box = await page.locator("#frame-box").bounding_box()
    shown = await page.locator("#live").bounding_box()
    assert box and shown and shown["width"] <= box["width"]  # scaled to fit, not clipped
    width = finished_job["result"]["render"]["width"]
    assert await frame.locator("body").evaluate("() => window.innerWidth") == width  # laid out at its width
    for label, expected in (("Mobile 390", 390), ("Tablet 768", 768)):
        await page.get_by_role("button", name=label).click()
        assert await frame.locator("body").evaluate("() => window.innerWidth") == expected
        assert await page.get_by_role("button", name=label).get_attribute("aria-pressed") == "true"
    async with context.expect_page() as opened:
        await page.click("#open-preview")
    tab = await opened.value
    await tab.wait_for_load_state()
    assert tab.url == f"{service}/jobs/{finished_job['id']}/preview"
    # The generated page runs in a sandboxed frame of that tab, never as the tab's own document.
    assert await tab.get_attribute("#live", "sandbox") == "allow-scripts"
    await tab.frame_locator("#live").locator("body").wait_for()
    assert await tab.frame_locator("#live").locator("body").inner_text()
    await context.close()


# --- GLM-4.5V without a key; a failed model job retried on the local backend ---------------------


async def test_glm_without_a_key_is_not_offered_and_is_refused_at_once(
    chromium: Browser, tmp_path: Path
) -> None:
    with running_service(tmp_path, REPLICATOR_BACKEND="local") as (_, base):  # hosted endpoint, no key
        context, page, _ = await _context(chromium, 1280)
        await page.goto(base + "/")
        assert await page.locator("#backend option[value=glm]").is_disabled()
        assert "needs an API key" in await page.locator("#backend option[value=glm]").inner_text()
        assert "REPLICATOR_API_KEY" in await page.locator("#backend-hint").inner_text()
        await context.close()
        started = time.monotonic()
        with SCREENSHOT.open("rb") as handle:
            refused = httpx.post(
                f"{base}/api/v1/replications",
                files={"file": ("a.png", handle, "image/png")},
                data={"backend": "glm"},
                timeout=30,
            )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "backend_unavailable"
        assert time.monotonic() - started < 10  # refused at upload, no job queued
        assert httpx.get(f"{base}/api/v1/replications", timeout=10).json()["total"] == 0


async def test_failed_model_job_says_why_and_retries_with_local(
    service: str, fake_glm: FakeGlmServer, chromium: Browser
) -> None:
    fake_glm.fake.queue("error-1001")  # the provider refuses the key
    with SCREENSHOT.open("rb") as handle:
        job = httpx.post(
            f"{service}/api/v1/replications?wait=120",
            files={"file": ("refused.png", handle, "image/png")},
            data={"backend": "glm"},
            timeout=140,
        ).json()["error"]["details"]["replication"]
    assert job["state"] == "failed"
    context, page, _ = await _context(chromium, 1280)
    await page.goto(f"{service}/jobs/{job['id']}")
    await page.wait_for_selector("#retry-local:not([hidden])")
    message = await page.locator("#job-error").inner_text()
    assert "local backend" in message and "[provider_auth]" not in message and "[" not in message
    assert not await page.locator("#cancel").is_visible()
    await page.click("#retry-local")
    await page.wait_for_url(lambda url: job["id"] not in url and "/jobs/" in url)
    await page.wait_for_selector("#result:not([hidden])", timeout=240_000)
    assert await page.locator("#state").inner_text() == "succeeded"
    assert "backend local" in await page.locator("#meta").inner_text()
    await context.close()


async def test_refinement_not_needed_is_said(
    service: str, fake_glm: FakeGlmServer, chromium: Browser
) -> None:
    with SCREENSHOT.open("rb") as handle:
        job = httpx.post(
            f"{service}/api/v1/replications?wait=180",
            files={"file": ("glm.png", handle, "image/png")},
            data={"backend": "glm", "refine_rounds": "2", "target_score": "5"},
            timeout=200,
        ).json()
    assert job["state"] == "succeeded"
    context, page, _ = await _context(chromium, 1280)
    await _open_view(page, service, "job", job)
    assert "no refinement needed" in await page.locator("#refinement").inner_text()
    rounds = await page.locator("#rounds li").all_inner_texts()
    assert len(rounds) == 1 and rounds[0].startswith("Round 0 (generation): ")
    await context.close()


# --- the upload form ---------------------------------------------------------------------------


async def test_upload_form_refuses_bad_input_before_and_after_upload(
    service: str, chromium: Browser, tmp_path: Path
) -> None:
    context, page, _ = await _context(chromium, 768)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    await page.goto(service + "/")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a screenshot")
    await page.set_input_files("#file-input", str(notes))
    error = page.locator("#upload-error")
    assert ".txt files cannot be replicated" in await error.inner_text()
    assert await page.locator("#submit").is_disabled() and not await page.locator("#chosen").is_visible()
    assert await page.evaluate("document.getElementById('file-input').files.length") == 0

    await page.set_input_files("#file-input", str(SCREENSHOT))
    assert not await error.is_visible() and await page.locator("#submit").is_enabled()
    await page.fill("#refine-rounds", "99")
    assert (
        await page.locator("#rounds-error").inner_text()
        == "Refine rounds must be a whole number from 0 to 10."
    )
    assert await page.get_attribute("#refine-rounds", "aria-invalid") == "true"
    await page.click("#submit")
    assert posts == []  # nothing was sent
    await page.fill("#refine-rounds", "0")
    assert not await page.locator("#rounds-error").is_visible()

    # A file the browser cannot judge (a PNG that is not one) is refused by the server; it is not kept.
    fake = tmp_path / "broken.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    await page.set_input_files("#file-input", str(fake))
    await page.click("#submit")
    await wait_until(page, "!document.getElementById('upload-error').hidden")
    text = await error.inner_text()
    assert text and "[" not in text and "corrupt_input" not in text
    assert not await page.locator("#chosen").is_visible() and await page.locator("#submit").is_disabled()
    assert page.url.rstrip("/") == service
    await context.close()


# --- history -----------------------------------------------------------------------------------


async def test_history_shows_replicas_colours_scores_filters_and_deletes(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    with SCREENSHOT.open("rb") as handle:
        doomed = httpx.post(
            f"{service}/api/v1/replications?wait=240",
            files={"file": ("to-delete.png", handle, "image/png")},
            timeout=260,
        ).json()
    context, page, _ = await _context(chromium, 1280)
    await page.goto(service + "/history")
    item = page.locator(".history-item", has_text="welcome.png").first
    await item.wait_for()
    thumb = item.locator("img.thumb")
    assert "render-thumb.png" in (await thumb.get_attribute("src") or "")  # the replica, not the source
    # The thumbnail loads after its item is listed (on a loaded machine, a while after): it must.
    deadline = time.monotonic() + 30
    while not await thumb.evaluate("i => i.complete && i.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the replica's thumbnail did not load in 30 s"
        await asyncio.sleep(0.05)
    # Score badges are coloured by score: 80.1 must not look like 97.1.
    colours = await page.evaluate(
        "import('/static/app.js').then(m => [97.1, 80.1, 42].map(v => {"
        " const b = document.createElement('span'); b.className = 'badge ' + m.scoreClass(v);"
        " document.body.append(b); const c = getComputedStyle(b).backgroundColor; b.remove(); return c; }))"
    )
    assert len(set(colours)) == 3, colours
    badge = item.locator(".badge")
    assert "score-good" in (await badge.get_attribute("class") or "") or finished_job["score"] < 90

    await page.fill("#filter-name", "to-del")
    await wait_until(page, "document.querySelectorAll('.history-item').length === 1")
    assert "to-delete.png" in await page.locator(".history-item").inner_text()
    await page.select_option("#filter-state", "failed")
    await wait_until(page, "document.querySelectorAll('.history-item').length === 0")
    assert await page.locator("#history-empty").inner_text() == "No replication matches these filters."
    await page.select_option("#filter-state", "")
    await wait_until(page, "document.querySelectorAll('.history-item').length === 1")
    delete = page.get_by_role("button", name="Delete to-delete.png")
    await delete.click()
    assert await delete.inner_text() == "Really delete?"
    await delete.click()
    await wait_until(page, "document.querySelectorAll('.history-item').length === 0")
    assert httpx.get(doomed["urls"]["self"], timeout=10).status_code == 404
    await context.close()


async def test_unknown_pages_are_pages_and_the_api_stays_json(service: str, chromium: Browser) -> None:
    context, page, _ = await _context(chromium, 390)
    for path in ("/jobs/x", "/jobs/" + "0" * 32, "/nowhere"):
        response = await page.goto(service + path)
        assert response is not None and response.status == 404
        assert "text/html" in response.headers["content-type"]
        assert await page.locator("h1").inner_text() == "Page not found"
        assert await _sideways(page) <= 0
    api = httpx.get(f"{service}/api/v1/replications/{'0' * 32}", headers={"Accept": "text/html"}, timeout=10)
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    icon = httpx.get(f"{service}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    await context.close()


async def test_api_docs_describe_every_field(service: str, chromium: Browser) -> None:
    context, page, _ = await _context(chromium, 1280)
    await page.goto(service + "/docs")
    text = await page.locator("main").inner_text()
    assert "Get Replication" not in text
    for op in await page.locator("section.op").all():
        assert (await op.locator("h2 + p").count()) == 1, await op.locator("h2").inner_text()  # a summary
        for row in await op.locator("table.params tbody tr").all():
            assert (await row.locator("td").last.inner_text()).strip(), await row.inner_text()
    await context.close()


# --- the design check page ---------------------------------------------------------------------


async def test_check_page_shows_design_render_heatmap_whole_and_a_red_failure(
    service: str, chromium: Browser
) -> None:
    context, page, _ = await _context(chromium, 1280)
    await page.goto(service + "/check")
    assert await page.input_value("input[name=threshold]") == "85"  # what the README's CI examples use
    await _open_view(page, service, "check", {})
    assert await page.locator("#verdict").inner_text() == "failed"
    colour = await page.locator("#check-score").evaluate("e => getComputedStyle(e).color")
    red, green, blue = (int(c) for c in colour.removeprefix("rgb(").removesuffix(")").split(","))
    assert red > 2 * max(green, blue), colour  # a failing score is red, not the accent blue
    assert await page.locator("#check-breakdown meter").count() == len(SUBSCORES) + 1  # and overall
    for image in ("#check-design", "#check-render", "#check-heatmap"):
        await wait_until(page, f"document.querySelector('{image}').naturalWidth > 0")
        # Shown whole: scaled to its column, not cropped to the top-left corner.
        shown = await page.locator(image).evaluate(
            "i => [i.getBoundingClientRect().width, i.parentElement.clientWidth, i.naturalWidth]"
        )
        assert abs(shown[0] - shown[1]) <= 1 and shown[0] < shown[2], (image, shown)
    await context.close()


# --- the CLI's batch report ----------------------------------------------------------------------


async def test_batch_report_fits_the_window_and_every_thumbnail_opens_its_picture(
    chromium: Browser, tmp_path: Path
) -> None:
    from PIL import Image

    from replicator.batch.report import BatchReport, ItemRecord

    items = []
    for n in range(3):
        for suffix in ("png", "render.png", "diff.png"):
            Image.new("RGB", (1280, 1600), (40 * n, 90, 160)).save(tmp_path / f"page{n}.{suffix}")
        items.append(
            ItemRecord(
                name=f"a-rather-long-page-name-{n}",
                source=str(tmp_path / f"page{n}.png"),
                source_thumb=f"page{n}.png",
                status="ok" if n else "failed",
                score={name: 91.25 for name in ("overall", *SUBSCORES)} if n else None,
                error=None
                if n
                else {"code": "render_failed", "message": "The page could not be rendered " * 4},
                elapsed_s=4.25,
                outputs={
                    "html": f"page{n}.html",
                    "render.png": f"page{n}.render.png",
                    "diff.png": f"page{n}.diff.png",
                },
            )
        )
    BatchReport(out_dir=tmp_path, options={"backend": "local"}, items=items).write()
    context, page, _ = await _context(chromium, 1280)
    await page.goto((tmp_path / "report.html").as_uri())
    assert await _sideways(page) <= 0
    thumbs = page.locator("img.thumb")
    assert await thumbs.count() == 9
    for i in range(await thumbs.count()):
        assert await thumbs.nth(i).evaluate(
            "i => i.parentElement.tagName === 'A' && i.parentElement.href === i.src"
        )
    await context.close()


# --- another site cannot drive the service (CSRF) ------------------------------------------------


EVIL_PAGE = """<!doctype html><html><body><h1>Cute cats</h1>
<form id="f" method="post" action="SERVICE/api/v1/replications/JOB/retry"></form>
<script>
fetch('SERVICE/api/v1/replications/JOB/retry', { method: 'POST', mode: 'no-cors' })
  .then(() => { document.title = 'sent'; }, () => { document.title = 'sent'; });
</script></body></html>"""


@pytest.fixture
def evil_site(service: str, finished_job: dict[str, Any]) -> Iterator[str]:
    """A page on another origin (another loopback port) that tries to start a job on the service."""
    import http.server
    import threading

    page = EVIL_PAGE.replace("SERVICE", service).replace("JOB", finished_job["id"]).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_page_on_another_site_cannot_start_or_change_jobs(
    service: str, finished_job: dict[str, Any], evil_site: str, chromium: Browser
) -> None:
    before = httpx.get(f"{service}/api/v1/replications", timeout=10).json()["total"]
    context, page, _ = await _context(chromium, 1280)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/retry" in r.url else None)
    await page.goto(evil_site)
    await wait_until(page, "document.title === 'sent'")
    async with page.expect_navigation():
        await page.evaluate("document.getElementById('f').submit()")  # a plain form post, as CSRF does
    await asyncio.sleep(0.5)
    assert answers and set(answers) == {403}, answers
    assert httpx.get(f"{service}/api/v1/replications", timeout=10).json()["total"] == before
    await context.close()


async def test_the_raw_preview_is_never_a_page_of_its_own(
    service: str, finished_job: dict[str, Any], chromium: Browser
) -> None:
    """Opened directly (a pasted link, a new tab), the generated page would run unsandboxed as the
    top document: the browser is sent to the page that frames it instead."""
    context, page, _ = await _context(chromium, 1280)
    await page.goto(finished_job["urls"]["preview"])
    assert page.url == f"{service}/jobs/{finished_job['id']}/preview"
    assert await page.get_attribute("#live", "sandbox") == "allow-scripts"
    await page.frame_locator("#live").locator("body").wait_for()
    assert await page.title() == f"Preview of replication {finished_job['id'][:8]} · replicator"
    await context.close()


# --- WebRTC from the live preview ----------------------------------------------------------------

WEBRTC_PAGE = """<!DOCTYPE html><html><head><title>Chat</title></head><body><h1>Support chat</h1>
<pre id="out">pending</pre><script>
const ice = [{ urls: 'stun:127.0.0.1:STUN_PORT' }, { urls: 'turn:127.0.0.1:TURN_PORT?transport=tcp', username: 'typed-text', credential: 'c' }];
const out = {};
const offer = async (name, make) => {
  try {
    const pc = make();
    pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer());
    out[name] = 'opened';
  } catch (e) { out[name] = 'blocked:' + e.name; }
};
const child = '<scr' + 'ipt>const pc = new RTCPeerConnection({ iceServers: ' + JSON.stringify(ice) + ' });'
  + 'pc.createDataChannel("x"); pc.createOffer().then((o) => pc.setLocalDescription(o));</scr' + 'ipt>';
(async () => {
  await offer('window', () => new RTCPeerConnection({ iceServers: ice }));
  await offer('webkit', () => new webkitRTCPeerConnection({ iceServers: ice }));
  // A fresh window brings fresh constructors: a srcdoc frame, in the page and in a shadow root.
  const frame = document.createElement('iframe');
  frame.srcdoc = child;
  document.body.append(frame);
  const host = document.createElement('div');
  document.body.append(host);
  const shadow = host.attachShadow({ mode: 'open' });
  const inner = document.createElement('iframe');
  inner.srcdoc = child;
  shadow.append(inner);
  document.body.insertAdjacentHTML('beforeend', '<iframe srcdoc="' + child.replace(/"/g, '&quot;') + '"></iframe>');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  out.frames_left = document.querySelectorAll('iframe').length + shadow.querySelectorAll('iframe').length;
  const el = document.getElementById('out');
  el.textContent = JSON.stringify(out);
  el.dataset.done = '1';
})();
</script></body></html>"""


@pytest.fixture
def webrtc_canary() -> Iterator[dict[str, Any]]:
    """A STUN (UDP) and a TURN (TCP) server on loopback that count what reaches them."""
    import socket
    import threading

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    canary: dict[str, Any] = {
        "udp_port": udp.getsockname()[1],
        "tcp_port": tcp.getsockname()[1],
        "udp": 0,
        "tcp": 0,
    }

    def count_udp() -> None:
        while True:
            try:
                udp.recvfrom(65536)
            except OSError:
                return
            canary["udp"] += 1

    def count_tcp() -> None:
        while True:
            try:
                connection, _ = tcp.accept()
            except OSError:
                return
            canary["tcp"] += 1
            connection.close()

    for target in (count_udp, count_tcp):
        threading.Thread(target=target, daemon=True).start()
    try:
        yield canary
    finally:
        udp.close()
        tcp.close()


async def test_live_preview_cannot_open_webrtc_connections(
    service: str,
    fake_glm: FakeGlmServer,
    webrtc_canary: dict[str, Any],
    full_chromium: Browser,
    tmp_path: Path,
) -> None:
    page_html = WEBRTC_PAGE.replace("STUN_PORT", str(webrtc_canary["udp_port"])).replace(
        "TURN_PORT", str(webrtc_canary["tcp_port"])
    )
    fixtures = tmp_path / "answers"
    fixtures.mkdir()
    answer = {
        "reasoning_content": "A chat page.",
        "content": f"```html\n{page_html}\n```",
        "finish_reason": "stop",
    }
    (fixtures / "thinking_fenced.json").write_text(json.dumps(answer))
    fake_glm.fake.reset(api_key=FAKE_KEY, fixtures_dir=fixtures)
    with SCREENSHOT.open("rb") as handle:
        job = httpx.post(
            f"{service}/api/v1/replications?wait=180",
            files={"file": ("chat.png", handle, "image/png")},
            data={"backend": "glm"},
            timeout=200,
        ).json()
    assert job["state"] == "succeeded"

    context, page, _ = await _context(full_chromium, 1280)
    await page.goto(f"{service}/jobs/{job['id']}")
    await page.wait_for_selector("#result:not([hidden])")
    await page.click("#tab-live")
    out = page.frame_locator("#live").locator("#out[data-done='1']")
    await out.wait_for(timeout=30_000)
    results = json.loads(await out.inner_text())
    assert results["window"] == results["webkit"] == "blocked:TypeError", results  # sealed to undefined
    assert results["frames_left"] == 0, results
    await asyncio.sleep(1.0)
    assert (webrtc_canary["udp"], webrtc_canary["tcp"]) == (0, 0)

    # The canary is not deaf: the same script on an ordinary page reaches it.
    control = await context.new_page()
    await control.set_content(page_html)
    await control.wait_for_selector("#out[data-done='1']", timeout=30_000)
    await asyncio.sleep(1.0)
    assert webrtc_canary["udp"] + webrtc_canary["tcp"] > 0, await control.inner_text("#out")
    await context.close()
