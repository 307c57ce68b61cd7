"""The sealed renderer, in a real Chromium: sealing, deadlines, determinism, boxes, recovery, CLI."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import psutil
import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import async_playwright
from typer.testing import CliRunner

from replicator.cli import app
from replicator.errors import BrowserNotFound, InputError, RenderError, RenderTimeout
from replicator.models import RenderResult, Viewport
from replicator.render import PAGE_URL, SealedBrowserPool
from replicator.render._launch import launch_args
from replicator.render._routing import PageRouter, refuse_websocket, resolve_local_asset
from tests.plugins.browser import (
    Canary,
    browser_settings,
    chromium_browser_pids,
    new_browser_pid,
    renderer_pids,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "render"
PROJECT = FIXTURES.parent.parent
VIEWPORT = Viewport(800, 600)
DEADLINE_S = 3.0
# Closing the hung page and raising must follow the deadline promptly; this allows for a busy CI box.
DEADLINE_MARGIN_S = 1.5


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def texts(result: RenderResult) -> list[str]:
    return [box.text for box in result.text_boxes]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def quick_pool() -> AsyncIterator[tuple[SealedBrowserPool, int]]:
    """A pool with a short deadline and no warm spare context, and the pid of its own Chromium."""
    before = chromium_browser_pids()
    pool = SealedBrowserPool(browser_settings(render_timeout_s=DEADLINE_S), warm_spare=False)
    await pool.start()
    pid = await new_browser_pid(before)
    try:
        yield pool, pid
    finally:
        await pool.close()


# --- the network is sealed ---------------------------------------------------------------------


def hostile_page(canary: Canary) -> str:
    return (FIXTURES / "hostile.html").read_text(encoding="utf-8").replace("CANARY", canary.url)


async def test_canary_counts_a_plain_request(canary_server: Canary) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(canary_server.url + "/positive-control")
    assert response.status_code == 200
    assert canary_server.paths() == ["/positive-control"]
    assert canary_server.connections == 1


async def test_hostile_page_reaches_the_canary_in_an_unsealed_browser(canary_server: Canary) -> None:
    # Control: the hostile page really does try every way out when nothing stops it.
    canary_server.serve("/hostile", hostile_page(canary_server))
    expected = {"/fetch", "/xhr", "/ws", "/beacon", "/img.png", "/css-background.png", "/sw.js", "/prefetch"}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(browser_settings().resolve_chromium()))
        try:
            page = await browser.new_page()
            await page.goto(canary_server.url + "/hostile")
            # Some attempts (the service worker, the prefetch) come late on a busy machine.
            deadline = time.monotonic() + 15
            while not expected <= set(canary_server.paths()) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            await browser.close()
    paths = set(canary_server.paths())
    for path in sorted(expected):
        assert path in paths, f"{path} not attempted; attempts seen: {sorted(paths)}"


async def test_hostile_page_reaches_nothing_from_the_sealed_pool(
    browser_pool: SealedBrowserPool, canary_server: Canary
) -> None:
    async with browser_pool.open(hostile_page(canary_server), VIEWPORT) as live:
        await live.settle()
        await asyncio.sleep(1.0)  # beacons, prefetches and retries happen after load
        title = await live.page.title()
    result = await browser_pool.render(hostile_page(canary_server), VIEWPORT)
    await asyncio.sleep(0.5)
    # The page's script ran and made every attempt (a trailing "!" marks one that threw at once).
    for name in ("fetch", "xhr", "websocket", "beacon", "service-worker", "image-object"):
        assert name in title.split(",") or name + "!" in title.split(","), title
    assert "Nothing here may reach the network" in texts(result)
    assert canary_server.hits == 0, canary_server.paths()


async def test_resolver_alone_refuses_loopback(canary_server: Canary) -> None:
    # Second layer on its own: the pool's launch flags with no request routing at all.
    settings = browser_settings()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(settings.resolve_chromium()), args=launch_args(settings)
        )
        try:
            page = await browser.new_page()
            await page.set_content(hostile_page(canary_server))
            await asyncio.sleep(1.0)
        finally:
            await browser.close()
    assert canary_server.hits == 0, canary_server.paths()


async def test_routing_alone_refuses_everything_but_the_document(canary_server: Canary) -> None:
    # First layer on its own: a browser that resolves normally, with the pool's routing.
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(browser_settings().resolve_chromium()))
        try:
            context = await browser.new_context(service_workers="block")
            router = PageRouter(hostile_page(canary_server))
            await context.route("**/*", router.handle)
            await context.route_web_socket("**/*", refuse_websocket)
            page = await context.new_page()
            await page.goto(PAGE_URL, wait_until="commit")  # its form submit means no load event
            await asyncio.sleep(1.5)
        finally:
            await browser.close()
    # Every request the page makes itself is refused. What Chromium preloads on its own (a
    # speculation-rules prefetch, preconnect sockets) bypasses request interception: only the
    # resolver layer stops those, which is why there are two (the sealed-pool test shows hits == 0).
    assert set(canary_server.paths()) <= {"/speculation"}, canary_server.paths()
    assert any(url.startswith(canary_server.url) for url in router.refused)


async def test_page_lives_at_the_fake_origin_with_fresh_storage(browser_pool: SealedBrowserPool) -> None:
    html = """<p id=out></p><script>
      const seen = localStorage.getItem('k') || 'none';
      localStorage.setItem('k', 'set'); document.cookie = 'c=1';
      document.getElementById('out').textContent = location.href + ' ' + seen;
    </script>"""
    first = await browser_pool.render(html, VIEWPORT)
    second = await browser_pool.render(html, VIEWPORT)
    assert texts(first) == [f"{PAGE_URL} none"]
    assert texts(second) == [f"{PAGE_URL} none"]  # nothing survives from one render to the next


async def test_navigating_away_keeps_the_page(browser_pool: SealedBrowserPool) -> None:
    html = "<h1>Still here</h1><script>location.href = 'https://example.com/elsewhere';</script>"
    result = await browser_pool.render(html, VIEWPORT)
    assert texts(result) == ["Still here"]


async def test_page_cannot_embed_or_open_copies_of_itself(browser_pool: SealedBrowserPool) -> None:
    html = """<h1>Only once</h1><iframe src="/"></iframe><iframe src="https://page.invalid/"></iframe>
      <script>for (let i = 0; i < 5; i++) window.open('/');</script>"""
    async with browser_pool.open(html, VIEWPORT) as live:
        await live.settle()
        await asyncio.sleep(0.3)
        framed = await live.page.evaluate(
            "() => [...document.querySelectorAll('iframe')].map(f => f.contentDocument?.body?.innerText ?? null)"
        )
        pages = live.page.context.pages
    assert all(not text for text in framed), framed
    assert pages == [live.page]


async def test_dialogs_do_not_block_the_render(browser_pool: SealedBrowserPool) -> None:
    html = "<script>alert('a'); confirm('b'); prompt('c'); print();</script><p>after dialogs</p>"
    assert texts(await browser_pool.render(html, VIEWPORT)) == ["after dialogs"]


async def test_page_that_eats_memory_is_stopped_as_a_crash(quick_pool: tuple[SealedBrowserPool, int]) -> None:
    pool, _ = quick_pool
    html = "<script>const hoard = []; for (;;) hoard.push(new Array(1e6).fill(Math.random()));</script>"
    with pytest.raises(RenderError) as caught:
        await pool.render(html, VIEWPORT)
    # The renderer's heap cap ends it (a crash), or failing that the deadline does.
    assert caught.value.code in ("render_crashed", "render_failed", "render_timeout")
    assert texts(await pool.render("<p>next</p>", VIEWPORT)) == ["next"]


async def test_strict_csp_page_still_gets_determinism(browser_pool: SealedBrowserPool) -> None:
    # The sanitizer's pages carry a strict CSP; the preamble (stylesheet, seeded random) must still apply.
    html = """<html><head><meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"></head>
      <body><div id="box" style="width:100px;height:100px;background:rgb(255,0,0);transition:background 30s linear">
      </div><input id="field" autofocus><p id="r"></p>
      <script>onload = () => { document.getElementById('box').style.background = 'rgb(0,0,255)';
        document.getElementById('r').textContent = String(Math.random()); };</script></body></html>"""
    async with browser_pool.open(html, VIEWPORT) as live:
        styles = await live.page.evaluate(
            "() => [getComputedStyle(document.getElementById('box')).transitionDuration,"
            " getComputedStyle(document.getElementById('field')).caretColor]"
        )
        first = await live.capture()
    second = await browser_pool.render(html, VIEWPORT)
    assert styles == ["0s", "rgba(0, 0, 0, 0)"]
    assert tuple(pixels(first.png)[50, 50]) == (0, 0, 255)  # the end of the transition, at once
    assert [t for t in texts(first) if t.startswith("0.")] == [t for t in texts(second) if t.startswith("0.")]


# --- deadlines ------------------------------------------------------------------------------------

HANGS = {
    "inline-script": "<p>before</p><script>while (true) {}</script>",
    "onload": "<body onload='while (true) {}'><p>loaded</p></body>",
    "animation-frame": "<p>frames</p><script>requestAnimationFrame(function spin() { while (true) {} });</script>",
    "animation-frame-after-load": (
        "<p>late</p><script>onload = () => requestAnimationFrame(() => { for (;;) {} });</script>"
    ),
}


@pytest.mark.parametrize("hang", sorted(HANGS))
async def test_page_that_never_yields_is_killed_within_the_deadline(
    quick_pool: tuple[SealedBrowserPool, int], hang: str
) -> None:
    pool, browser_pid = quick_pool
    started = time.perf_counter()
    with pytest.raises(RenderTimeout) as caught:
        await pool.render(HANGS[hang], VIEWPORT)
    elapsed = time.perf_counter() - started
    assert elapsed < DEADLINE_S + DEADLINE_MARGIN_S, f"took {elapsed:.2f} s"
    assert caught.value.code == "render_timeout"
    # The spinning renderer process is gone, not left burning a core (this pool keeps no spare
    # context, so no renderer at all should remain).
    for _ in range(40):
        if not renderer_pids(browser_pid):
            break
        await asyncio.sleep(0.05)
    assert not renderer_pids(browser_pid)
    after = await pool.render("<h1>Next page</h1>", VIEWPORT)
    assert texts(after) == ["Next page"]


async def test_a_killed_renderer_is_reported_as_a_crash_at_once() -> None:
    """A renderer that dies mid-render (out of memory, or killed) is said to have crashed as soon as
    it does, not after the whole deadline as a timeout; the next page renders."""
    before = chromium_browser_pids()
    async with SealedBrowserPool(browser_settings(render_timeout_s=20.0), warm_spare=False) as pool:
        browser_pid = await new_browser_pid(before)
        in_flight = asyncio.create_task(pool.render(HANGS["inline-script"], VIEWPORT))
        for _ in range(200):
            if renderer_pids(browser_pid):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        killed = time.perf_counter()
        for pid in renderer_pids(browser_pid):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(RenderError) as caught:
            await in_flight
        assert caught.value.code == "render_crashed", caught.value.message
        assert time.perf_counter() - killed < 5.0  # the deadline is 20 s
        assert "renderer" in caught.value.message
        assert texts(await pool.render("<p>next</p>", VIEWPORT)) == ["next"]


async def test_a_page_filling_typed_arrays_is_stopped_at_the_memory_budget() -> None:
    """Typed arrays live outside V8's heap, so the heap flag does not stop them: the pool's memory
    watch kills the renderer near its budget and the render fails as a crash. The tree's peak
    resident memory stays near the budget instead of growing to gigabytes."""
    before = chromium_browser_pids()
    hoarder = """<p>hoarding</p><script>
      const hoard = [];  // 48 x 64 MB = 3 GB, touched, before the page has even loaded
      for (let i = 0; i < 48; i++) hoard.push(new Float64Array(8e6).fill(1));</script>"""
    settings = browser_settings(render_timeout_s=20.0, render_max_memory_mb=400)
    async with SealedBrowserPool(settings, warm_spare=False) as pool:
        browser_pid = await new_browser_pid(before)
        peak = 0
        in_flight = asyncio.create_task(pool.render(hoarder, VIEWPORT))
        started = time.perf_counter()
        while not in_flight.done():
            rss = 0
            for pid in renderer_pids(browser_pid):
                with contextlib.suppress(psutil.Error):
                    rss = max(rss, psutil.Process(pid).memory_info().rss)
            peak = max(peak, rss)
            await asyncio.sleep(0.02)
        with pytest.raises(RenderError) as caught:
            await in_flight
        assert caught.value.code == "render_crashed", caught.value.message
        assert time.perf_counter() - started < 15.0
        assert peak < 1200 * 1048576, f"peak {peak / 1048576:.0f} MiB"
        assert texts(await pool.render("<p>next</p>", VIEWPORT)) == ["next"]


async def test_hang_during_interaction_is_killed(quick_pool: tuple[SealedBrowserPool, int]) -> None:
    pool, _ = quick_pool
    html = "<button style='position:absolute;left:0;top:0;width:100px;height:40px' onclick='for(;;){}'>x</button>"
    started = time.perf_counter()
    with pytest.raises(RenderTimeout):
        async with pool.open(html, VIEWPORT) as live:
            await live.click(50, 20)
            await live.settle()
    assert time.perf_counter() - started < 2 * DEADLINE_S + DEADLINE_MARGIN_S
    assert texts(await pool.render("<p>fine</p>", VIEWPORT)) == ["fine"]


async def test_cancelled_render_leaves_the_pool_working(quick_pool: tuple[SealedBrowserPool, int]) -> None:
    pool, _ = quick_pool
    task = asyncio.create_task(pool.render(HANGS["inline-script"], VIEWPORT))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.active == 0
    assert texts(await pool.render("<p>after cancel</p>", VIEWPORT)) == ["after cancel"]


# --- screenshots -----------------------------------------------------------------------------------

DETERMINISM_EXTRAS = """
<style>@keyframes spin { to { transform: rotate(360deg); } } @keyframes fade { from { opacity: 0; } }
  .spin { animation: spin 1s linear infinite; width: 40px; height: 40px; background: #e11d48; }
  .fade { animation: fade 3s ease-in both; } input { width: 200px; }</style>
<div class="spin"></div><p class="fade">Fades in over three seconds</p><input autofocus value="focused">
<div id="r"></div><script>document.getElementById('r').textContent = 'random ' + Math.random();
  document.getElementById('r').style.color = `hsl(${Math.random() * 360}, 70%, 40%)`;</script>
"""


async def test_same_html_renders_identical_pixels(browser_pool: SealedBrowserPool) -> None:
    html = (
        (FIXTURES / "landing.html")
        .read_text(encoding="utf-8")
        .replace("</body>", DETERMINISM_EXTRAS + "</body>")
    )
    first = await browser_pool.render(html, Viewport(1280, 800))
    second = await browser_pool.render(html, Viewport(1280, 800))
    assert first.height > 800 and not first.clamped
    if first.png != second.png:
        a, b = pixels(first.png), pixels(second.png)
        differ = np.argwhere(np.any(a != b, axis=2)) if a.shape == b.shape else np.zeros((0, 2))
        where = f"rows {differ[:, 0].min()}-{differ[:, 0].max()}, columns {differ[:, 1].min()}-{differ[:, 1].max()}"
        assert a.shape == b.shape and not len(differ), (
            f"the two renders differ at {where if len(differ) else a.shape}"
        )
    assert texts(first) == texts(second)
    # The finite fade is shown at its end state, not half transparent.
    assert "Fades in over three seconds" in texts(first)


async def test_large_images_are_painted_decoded_in_every_render(browser_pool: SealedBrowserPool) -> None:
    # Big, noisy images (slow to decode) scaled into small boxes: a screenshot taken after load but
    # before decoding would show them blank, and two renders of the page would differ.
    rng = np.random.default_rng(7)
    tiles = []
    for color in ((220, 38, 38), (37, 99, 235), (22, 163, 74)):
        noise = rng.integers(0, 40, (1400, 1400, 3), dtype=np.uint8)
        image = np.clip(np.array(color, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        tiles.append(base64.b64encode(buffer.getvalue()).decode())
    html = "<body style='margin:0;background:#fff'>" + "".join(
        f"<img src='data:image/png;base64,{tile}' style='width:200px;height:200px;display:block'>"
        for tile in tiles
    )
    first = await browser_pool.render(html, Viewport(400, 600))
    second = await browser_pool.render(html, Viewport(400, 600))
    shot = pixels(first.png)
    for index, color in enumerate(((220, 38, 38), (37, 99, 235), (22, 163, 74))):
        center = shot[index * 200 + 100, 100].astype(int)
        assert np.abs(center - np.array(color) - 20).max() < 30, (index, center)
    assert np.array_equal(shot, pixels(second.png))


async def test_tall_page_is_clamped(browser_pool: SealedBrowserPool) -> None:
    result = await browser_pool.render(
        (FIXTURES / "tall.html").read_text(encoding="utf-8"), Viewport(1280, 800)
    )
    limit = browser_pool.settings.render_max_height
    assert result.full_height == 50_000
    assert result.clamped and result.height == limit
    image = Image.open(io.BytesIO(result.png))
    assert image.size == (1280, limit)
    assert all(box.box.bottom <= limit for box in result.text_boxes + result.element_boxes)
    assert "Band 10 of 50" in texts(result) and "Band 11 of 50" not in texts(result)
    # The last kept band is really there: band 10 (even) is yellow.
    assert tuple(pixels(result.png)[limit - 5, 10]) == (0xFD, 0xE6, 0x8A)


async def test_viewport_only_screenshot(browser_pool: SealedBrowserPool) -> None:
    html = (FIXTURES / "landing.html").read_text(encoding="utf-8")
    result = await browser_pool.render(html, Viewport(1000, 700), full_page=False)
    assert Image.open(io.BytesIO(result.png)).size == (1000, 700)
    assert (result.width, result.height, result.clamped) == (1000, 700, False)
    assert result.full_height > 700
    assert all(box.box.bottom <= 700 for box in result.text_boxes)


async def test_chinese_text_renders_real_glyphs(browser_pool: SealedBrowserPool) -> None:
    # Each character alone in a 64x64 cell. Tofu is one box shape for every missing character, so
    # the unassigned code points (the control) give identical cells; real glyphs all differ.
    cjk = "永国语字爱"
    missing = "\u0378\u0379\u0380\u0381\u0382"
    cells = "".join(
        f'<div style="position:absolute;left:{i * 64}px;top:{row * 64}px;width:64px;height:64px;'
        f'font:48px/64px sans-serif;text-align:center">{ch}</div>'
        for row, chars in enumerate((cjk, missing))
        for i, ch in enumerate(chars)
    )
    result = await browser_pool.render(f"<body style='margin:0'>{cells}</body>", VIEWPORT)
    image = pixels(result.png).mean(axis=2) < 128  # ink
    crop = [[image[row * 64 : row * 64 + 64, i * 64 : i * 64 + 64] for i in range(5)] for row in (0, 1)]
    glyphs, tofu = crop
    assert all(int(cell.sum()) > 50 for cell in glyphs + tofu), "every cell draws something"
    assert all(np.array_equal(tofu[0], cell) for cell in tofu[1:]), "the control shows one tofu shape"
    for i, cell in enumerate(glyphs):
        assert not np.array_equal(cell, tofu[0]), f"{cjk[i]} is drawn as tofu"
        for other in glyphs[i + 1 :]:
            assert not np.array_equal(cell, other)


async def test_chinese_page_text_boxes(browser_pool: SealedBrowserPool) -> None:
    result = await browser_pool.render(
        (FIXTURES / "chinese.html").read_text(encoding="utf-8"), Viewport(1280, 800)
    )
    headline = next(box for box in result.text_boxes if box.text == "让团队协作更简单、更高效")
    assert headline.tag == "h1" and headline.font_size == 44 and headline.font_weight == 700
    # The long lead paragraph wraps; its line fragments put the sentence back together.
    lead = [box for box in result.text_boxes if box.tag == "p" and box.font_size == 18]
    assert len(lead) >= 2
    assert "".join(box.text for box in lead).startswith("云协作把文档、任务和日程放在同一个地方。")


# --- DOM boxes -------------------------------------------------------------------------------------

KNOWN_PAGE = """<!doctype html><html><body style="margin:0;font-family:'Liberation Sans',sans-serif">
<h1 style="position:absolute;left:20px;top:30px;margin:0;font-size:32px;color:rgb(200,20,30)">Known title</h1>
<p style="position:absolute;left:20px;top:100px;width:150px;margin:0;font-size:16px;line-height:20px;
   font-weight:300;color:#123456">one two three four five six seven eight nine ten</p>
<div style="position:absolute;left:300px;top:100px;width:120px;height:60px;background:rgb(10,200,90);
   border:2px solid rgb(0,0,255);border-radius:12px"></div>
<div style="position:absolute;left:300px;top:200px;width:50px;height:50px;background:oklch(0.7 0.1 200)"></div>
<span style="position:absolute;left:500px;top:300px;color:rgba(0,0,0,0)">invisible ink</span>
<span style="position:absolute;left:500px;top:350px;visibility:hidden">hidden</span>
<span style="position:absolute;left:500px;top:400px;opacity:0">transparent</span>
<div style="display:none">not displayed</div>
<img style="position:absolute;left:600px;top:20px" width="30" height="30" src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
<input style="position:absolute;left:20px;top:300px" placeholder="Search here">
<template><p>inert</p></template><script>/* not text */</script>
</body></html>"""


async def test_text_boxes_report_text_color_and_size(browser_pool: SealedBrowserPool) -> None:
    result = await browser_pool.render(KNOWN_PAGE, VIEWPORT)
    title = next(box for box in result.text_boxes if box.text == "Known title")
    assert title.color == (200, 20, 30) and title.font_size == 32 and title.font_weight == 700
    assert title.tag == "h1"
    assert abs(title.box.x - 20) < 1 and 30 <= title.box.y < 40 and title.box.height > 30
    lines = [box for box in result.text_boxes if box.tag == "p"]
    assert len(lines) >= 3  # 150 px wide: the paragraph wraps into line fragments
    assert " ".join(box.text for box in lines) == "one two three four five six seven eight nine ten"
    assert all(box.color == (0x12, 0x34, 0x56) and box.font_weight == 300 for box in lines)
    assert all(abs(box.box.y - (100 + 20 * i)) <= 2 for i, box in enumerate(lines))
    assert all(box.box.right <= 171 for box in lines)
    assert {"invisible ink", "hidden", "transparent", "not displayed", "inert"}.isdisjoint(texts(result))
    placeholder = next(box for box in result.text_boxes if box.tag == "input")
    assert placeholder.text == "Search here"


async def test_element_boxes_report_backgrounds_borders_and_images(browser_pool: SealedBrowserPool) -> None:
    result = await browser_pool.render(KNOWN_PAGE, VIEWPORT)
    card = next(box for box in result.element_boxes if box.background == (10, 200, 90))
    assert (card.tag, card.border_color, card.border_radius) == ("div", (0, 0, 255), 12)
    assert (card.box.x, card.box.y, card.box.width, card.box.height) == (300, 100, 124, 64)
    oklch = next(box for box in result.element_boxes if box.box.x == 300 and box.box.y == 200)
    assert oklch.background is not None and oklch.background[2] > oklch.background[0]  # a teal
    assert any(box.tag == "img" and box.box.width == 30 for box in result.element_boxes)
    assert any(box.tag == "input" for box in result.element_boxes)
    # Boxes match the pixels: the card's inside is its background color.
    assert tuple(pixels(result.png)[130, 360]) == (10, 200, 90)


async def test_form_controls_report_their_visible_text(browser_pool: SealedBrowserPool) -> None:
    html = """<select><option>First</option><option selected>Second choice</option></select>
      <input value="typed value"><textarea placeholder="Write here"></textarea><button>Send</button>"""
    found = texts(await browser_pool.render(html, VIEWPORT))
    for expected in ("Second choice", "typed value", "Write here", "Send"):
        assert expected in found
    assert "First" not in found


async def test_text_that_is_not_valid_unicode_still_renders(browser_pool: SealedBrowserPool) -> None:
    result = await browser_pool.render("<p>broken \ud800 surrogate</p>", VIEWPORT)
    assert texts(result) == ["broken \ufffd surrogate"]


@pytest.mark.parametrize("viewport", [Viewport(0, 600), Viewport(800, -1), Viewport(100_000, 600)])
async def test_impossible_viewport_is_refused(browser_pool: SealedBrowserPool, viewport: Viewport) -> None:
    with pytest.raises(InputError):
        await browser_pool.render("<p>x</p>", viewport)


# --- local assets -----------------------------------------------------------------------------------


async def test_base_dir_serves_a_local_stylesheet_and_image(browser_pool: SealedBrowserPool) -> None:
    base = FIXTURES / "local_assets"
    result = await browser_pool.render(
        (base / "page.html").read_text(encoding="utf-8"), VIEWPORT, base_dir=base
    )
    shot = pixels(result.png)
    assert tuple(shot[5, 5]) == (10, 120, 60)  # body background from style.css
    title = next(box for box in result.text_boxes if box.text == "Styled by a local stylesheet")
    assert title.color == (255, 220, 0)
    badge = next(box for box in result.element_boxes if box.tag == "img")
    x, y = badge.box.center
    assert tuple(shot[int(y), int(x)]) == (200, 30, 30)  # the SVG image was loaded


async def test_base_dir_refuses_escapes(browser_pool: SealedBrowserPool, tmp_path: Path) -> None:
    base = tmp_path / "site"
    base.mkdir()
    (tmp_path / "secret.css").write_text("body { background: rgb(255, 0, 0) !important; }")
    (base / ".hidden.css").write_text("body { background: rgb(255, 0, 255) !important; }")
    (base / "link.css").symlink_to(tmp_path / "secret.css")
    (base / "ok.css").write_text("h1 { color: rgb(0, 0, 255); }")
    sheets = [
        "ok.css",
        "../secret.css",
        "..%2fsecret.css",
        "%2e%2e%2fsecret.css",
        "%2E%2E/secret.css",
        ".hidden.css",
        "link.css",
        f"{tmp_path}/secret.css",
        "file:///" + str(tmp_path / "secret.css"),
    ]
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in sheets)
    html = (
        f"<html><head>{links}</head><body style='background:#fff'><h1>Only ok.css applies</h1></body></html>"
    )
    result = await browser_pool.render(html, VIEWPORT, base_dir=base)
    assert tuple(pixels(result.png)[300, 400]) == (255, 255, 255)
    assert result.text_boxes[0].color == (0, 0, 255)


@pytest.mark.parametrize(
    ("url", "served"),
    [
        ("https://page.invalid/ok.css", "ok.css"),
        ("https://page.invalid/sub/img.png?v=2", "sub/img.png"),
        ("https://page.invalid/..%2fsecret.css", None),
        ("https://page.invalid/sub/..%2f..%2fsecret.css", None),
        ("https://page.invalid/%2e%2e/secret.css", None),
        ("https://page.invalid/.hidden.css", None),
        ("https://page.invalid/sub/.git/config", None),
        ("https://page.invalid/link.css", None),
        ("https://page.invalid/ok.css%00.png", None),
        ("https://page.invalid/", None),
        ("https://page.invalid/sub", None),
        ("https://other.invalid/ok.css", None),
        ("http://page.invalid/ok.css", None),
        ("file:///etc/passwd", None),
    ],
)
def test_resolve_local_asset(tmp_path: Path, url: str, served: str | None) -> None:
    base = tmp_path / "site"
    (base / "sub" / ".git").mkdir(parents=True)
    (base / "ok.css").write_text("")
    (base / ".hidden.css").write_text("")
    (base / "sub" / "img.png").write_bytes(b"")
    (base / "sub" / ".git" / "config").write_text("")
    (tmp_path / "secret.css").write_text("")
    (base / "link.css").symlink_to(tmp_path / "secret.css")
    found = resolve_local_asset(base, url)
    assert found == ((base / served).resolve() if served else None)


# --- the browser's life ------------------------------------------------------------------------------


async def test_missing_browser_names_the_fix(tmp_path: Path) -> None:
    pool = SealedBrowserPool(browser_settings(chromium_path=tmp_path / "no-such-chromium"))
    with pytest.raises(BrowserNotFound) as caught:
        await pool.render("<p>x</p>", VIEWPORT)
    assert "REPLICATOR_CHROMIUM_PATH" in caught.value.message
    await pool.close()


async def test_missing_browser_on_path_names_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("replicator.config.CHROMIUM_CANDIDATES", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    pool = SealedBrowserPool(browser_settings())
    with pytest.raises(BrowserNotFound) as caught:
        await pool.start()
    assert "apt-get install chromium" in caught.value.message
    assert "REPLICATOR_CHROMIUM_PATH" in caught.value.message
    await pool.close()


async def test_browser_that_will_not_start_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'not a browser' >&2\nexit 1\n")
    fake.chmod(0o755)
    pool = SealedBrowserPool(browser_settings(chromium_path=fake))
    with pytest.raises(BrowserNotFound) as caught:
        await pool.start()
    assert str(fake) in caught.value.message and "did not start" in caught.value.message
    await pool.close()


async def test_browser_is_recycled_without_failing_renders_in_flight() -> None:
    before = chromium_browser_pids()
    async with SealedBrowserPool(browser_settings(browser_recycle_after=2, render_concurrency=3)) as pool:
        slow = "<p>slow {}</p><script>const t = Date.now(); while (Date.now() - t < 150) {{}}</script>"
        results = await asyncio.gather(*(pool.render(slow.format(i), VIEWPORT) for i in range(7)))
        assert [texts(r) for r in results] == [[f"slow {i}"] for i in range(7)]
        assert pool.launches == 4  # 7 renders, 2 per browser
    # Every browser this pool started, retired ones included, is gone once it is closed.
    for _ in range(50):
        if not chromium_browser_pids() - before:
            break
        await asyncio.sleep(0.1)
    assert not chromium_browser_pids() - before


async def test_browser_crash_is_survived() -> None:
    before = chromium_browser_pids()
    async with SealedBrowserPool(browser_settings()) as pool:
        pid = await new_browser_pid(before)
        slow = "<p>survivor</p><script>const t = Date.now(); while (Date.now() - t < 1500) {}</script>"
        in_flight = asyncio.create_task(pool.render(slow, VIEWPORT))
        await asyncio.sleep(0.6)
        os.kill(pid, signal.SIGKILL)  # a real crash, mid-render
        result = await in_flight  # retried on a fresh browser
        assert texts(result) == ["survivor"]
        assert texts(await pool.render("<p>next</p>", VIEWPORT)) == ["next"]
        assert pool.launches == 2
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_browser_crash_while_opening_a_live_page_is_survived() -> None:
    before = chromium_browser_pids()
    async with SealedBrowserPool(browser_settings()) as pool:
        pid = await new_browser_pid(before)
        slow = "<p>opened</p><script>const t = Date.now(); while (Date.now() - t < 1500) {}</script>"

        async def open_and_read() -> list[str]:
            async with pool.open(slow, VIEWPORT) as live:
                return texts(await live.capture())

        opening = asyncio.create_task(open_and_read())
        await asyncio.sleep(0.6)
        os.kill(pid, signal.SIGKILL)  # Chromium dies while the page loads
        assert await opening == ["opened"]  # opened again on a fresh browser
        assert pool.launches == 2


async def test_nice_pool_runs_chromium_and_its_renderers_at_lower_priority() -> None:
    before = chromium_browser_pids()
    own = os.getpriority(os.PRIO_PROCESS, 0)
    async with SealedBrowserPool(browser_settings(), nice=5) as pool:
        pid = await new_browser_pid(before)
        async with pool.open("<p>niced</p>", VIEWPORT):
            renderers = renderer_pids(pid)
            assert renderers
            assert os.getpriority(os.PRIO_PROCESS, pid) == own + 5
            assert {os.getpriority(os.PRIO_PROCESS, r) for r in renderers} == {own + 5}
    assert os.getpriority(os.PRIO_PROCESS, 0) == own  # this process is untouched


async def test_concurrency_is_bounded() -> None:
    async with SealedBrowserPool(browser_settings(render_concurrency=2)) as pool:
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, pool.active)
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        slow = "<p>{}</p><script>const t = Date.now(); while (Date.now() - t < 200) {{}}</script>"
        results = await asyncio.gather(*(pool.render(slow.format(i), VIEWPORT) for i in range(6)))
        watcher.cancel()
        assert peak == 2
        assert [texts(r) for r in results] == [[str(i)] for i in range(6)]


async def test_closed_pool_refuses_renders() -> None:
    pool = SealedBrowserPool(browser_settings())
    await pool.start()
    await pool.close()
    with pytest.raises(RenderError):
        await pool.render("<p>x</p>", VIEWPORT)


# --- interaction replay ----------------------------------------------------------------------------------

TOGGLE_PAGE = """<body style="margin:0">
<button id="b" style="position:absolute;left:100px;top:100px;width:200px;height:50px">Show details</button>
<div id="d" style="display:none;position:absolute;left:100px;top:200px">Details are open</div>
<script>document.getElementById('b').addEventListener('click', () => {
  setTimeout(() => { document.getElementById('d').style.display = 'block'; }, 50); });</script></body>"""


async def test_live_page_click_settle_and_capture(browser_pool: SealedBrowserPool) -> None:
    async with browser_pool.open(TOGGLE_PAGE, VIEWPORT) as live:
        before = await live.capture()
        await live.click(200, 125)
        await live.settle()
        after = await live.capture()
        shot = await live.screenshot()
        assert live.page.url == PAGE_URL
    assert "Details are open" not in texts(before)
    assert "Details are open" in texts(after)
    assert Image.open(io.BytesIO(shot)).size == (VIEWPORT.width, VIEWPORT.height)
    assert browser_pool.active == 0


ANIMATED_PAGE = """<style>@keyframes appear { from { opacity: 0; } to { opacity: 1; } }
  .shown { animation: appear 5s ease-in; }</style><body style="margin:0">
<button id="b" style="position:absolute;left:0;top:0;width:100px;height:40px">Open</button>
<div id="panel" style="display:none;position:absolute;left:0;top:100px;width:200px;height:100px;
  background:rgb(0,128,0)"></div>
<div id="spin" style="position:absolute;left:300px;top:100px;width:100px;height:100px;background:rgb(0,0,200)"></div>
<script>document.getElementById('spin').animate([{opacity: 1}, {opacity: 0.1}], {duration: 700, iterations: Infinity});
document.getElementById('b').onclick = () => {
  const panel = document.getElementById('panel'); panel.style.display = 'block'; panel.className = 'shown'; };
</script></body>"""


async def test_live_page_screenshots_show_animations_at_rest(browser_pool: SealedBrowserPool) -> None:
    async with browser_pool.open(ANIMATED_PAGE, VIEWPORT) as live:
        await live.click(50, 20)
        await live.settle()
        first = pixels(await live.screenshot())
        await asyncio.sleep(0.35)
        second = pixels(await live.screenshot())
    assert tuple(first[150, 100]) == (0, 128, 0)  # the 5 s fade-in is already complete
    assert tuple(first[150, 350]) == (0, 0, 200)  # the endless script animation is at its start
    assert np.array_equal(first, second)


# --- the command line -------------------------------------------------------------------------------------


def test_cli_renders_a_page_with_its_local_assets(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    boxes = tmp_path / "boxes.json"
    page = FIXTURES / "local_assets" / "page.html"
    result = CliRunner().invoke(
        app, ["render", str(page), "-o", str(out), "--width", "640", "--height", "480", "--boxes", str(boxes)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    image = Image.open(out)
    assert image.size == (640, 480)
    assert image.convert("RGB").getpixel((5, 5)) == (10, 120, 60)
    assert "Styled by a local stylesheet" in boxes.read_text(encoding="utf-8")


def test_cli_clamps_or_keeps_to_the_viewport(tmp_path: Path) -> None:
    runner = CliRunner()
    tall = FIXTURES / "tall.html"
    result = runner.invoke(
        app, ["render", str(tall), "-o", str(tmp_path / "a.png"), "--max-height", "3000", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"clamped": true' in result.output and '"full_height": 50000' in result.output
    assert Image.open(tmp_path / "a.png").size == (1280, 3000)
    result = runner.invoke(app, ["render", str(tall), "-o", str(tmp_path / "b.png"), "--no-full-page"])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "b.png").size == (1280, 800)


def test_cli_reports_a_hung_page_as_an_error(tmp_path: Path) -> None:
    page = tmp_path / "hang.html"
    page.write_text("<script>while(1){}</script>")
    result = CliRunner().invoke(app, ["render", str(page), "-o", str(tmp_path / "x.png"), "--timeout", "1"])
    assert result.exit_code == 1
    assert "render_timeout" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists()


def test_cli_missing_page_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_cli_as_a_real_subprocess(tmp_path: Path) -> None:
    exe = PROJECT / ".venv" / "bin" / "replicator"
    out = tmp_path / "landing.png"
    proc = subprocess.run(
        [str(exe), "render", str(FIXTURES / "landing.html"), "-o", str(out), "--width", "1024"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "REPLICATOR_RENDER_MAX_HEIGHT": "1500"},
    )
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (1024, 1500)
    assert "clamped from" in proc.stdout


CTRL_C_SCRIPT = """
import asyncio, os, signal
from replicator.config import Settings
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

async def main():
    # Like the CLI after its first Ctrl-C: this process keeps going; it must keep its browser too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    async with SealedBrowserPool(Settings(_env_file=None)) as pool:
        await pool.render("<h1>one</h1>", Viewport(400, 300))
        os.killpg(os.getpgid(0), signal.SIGINT)  # what a terminal's Ctrl-C does
        await asyncio.sleep(1.0)
        await pool.render("<h1>two</h1>", Viewport(400, 300))
        print("launches", pool.launches)

asyncio.run(main())
"""


def test_ctrl_c_to_the_process_group_does_not_kill_the_browser(tmp_path: Path) -> None:
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # its own process group, so the SIGINT stays inside the test
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "launches 1", done.stdout + done.stderr
