"""Hostile pages in the sealed renderer (the browser that renders every generated page): what
reaches the network (an HTTP canary, a TURN server over TCP and a STUN server over UDP, all on
loopback), how much memory each page takes the renderer to, and whether the pool works afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from replicator.errors import RenderError
from replicator.models import Viewport
from replicator.render import SealedBrowserPool
from tests.adversarial.conftest import UdpCanary
from tests.plugins.browser import (
    browser_settings,
    chromium_browser_pids,
    new_browser_pid,
    renderer_pids,
    running_canary,
)

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "render"
VIEWPORT = Viewport(800, 600)
BUDGET_MB = 1024
# The watch samples the renderers a few times a second; a page allocating as fast as it can gets
# this far past the budget before it is killed.
OVERSHOOT_MB = 800

WEBRTC = """<h1>WebRTC</h1><script>
const ice = [{urls: 'stun:127.0.0.1:STUN'}, {urls: 'turn:127.0.0.1:TURN?transport=tcp', username: 'u', credential: 'c'}];
try {
  const pc = new RTCPeerConnection({iceServers: ice});
  pc.createDataChannel('x');
  pc.createOffer().then((o) => pc.setLocalDescription(o));
} catch (e) {}
</script>"""

# name -> page. Each is rendered once; what became of it and its peak memory are printed.
MEMORY_PAGES = {
    "typed arrays, 3 GB": """<p>hoarding</p><script>const hoard = [];
        for (let i = 0; i < 48; i++) hoard.push(new Float64Array(8e6).fill(1));</script>""",
    "string doubling": """<p>strings</p><script>let s = 'x'; const keep = [];
        for (let i = 0; i < 40; i++) { s = s + s; keep.push(s); }</script>""",
    "canvas, 16k x 16k": """<canvas id="c" width="16384" height="16384"></canvas><script>
        const g = document.getElementById('c').getContext('2d'); g.fillStyle = 'red'; g.fillRect(0, 0, 16384, 16384);
        const copies = []; for (let i = 0; i < 8; i++) copies.push(g.getImageData(0, 0, 16384, 4096));</script>""",
    "400,000 elements": """<div id="r"></div><script>const r = document.getElementById('r');
        for (let i = 0; i < 400000; i++) { const d = document.createElement('span'); d.textContent = 'cell ' + i; r.append(d); }</script>""",
    "100,000 levels of nesting": """<div id="r"></div><script>let n = document.getElementById('r');
        for (let i = 0; i < 100000; i++) { const d = document.createElement('div'); n.append(d); n = d; }
        n.textContent = 'bottom';</script>""",
    "never yields": "<p>spin</p><script>while (true) {}</script>",
}


@pytest_asyncio.fixture(scope="module")
async def hostile_pool() -> AsyncIterator[tuple[SealedBrowserPool, int]]:
    before = chromium_browser_pids()
    settings = browser_settings(render_timeout_s=8.0, render_max_memory_mb=BUDGET_MB)
    async with SealedBrowserPool(settings, warm_spare=False) as pool:
        yield pool, await new_browser_pid(before)


def _tree_rss(browser_pid: int) -> tuple[int, int]:
    """(largest renderer, whole Chromium tree) resident memory in bytes."""
    renderers = renderer_pids(browser_pid)
    largest = total = 0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(browser_pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                rss = process.memory_info().rss
                total += rss
                if process.pid in renderers:
                    largest = max(largest, rss)
    return largest, total


async def test_hostile_pages_reach_nothing_from_the_sealed_renderer(
    hostile_pool: tuple[SealedBrowserPool, int], udp_canary: UdpCanary, figures: dict[str, str]
) -> None:
    pool, _ = hostile_pool
    with running_canary() as http, running_canary() as turn:
        pages = [
            (FIXTURES / "hostile.html").read_text(encoding="utf-8").replace("CANARY", http.url),
            WEBRTC.replace("STUN", str(udp_canary.port)).replace("TURN", str(turn.port)),
        ]
        for html in pages:
            with contextlib.suppress(RenderError):
                await pool.render(html, VIEWPORT)
        await asyncio.sleep(1.0)
        figures["renderer: canary hits (HTTP, TURN/TCP, STUN/UDP)"] = (
            f"{http.hits}, {turn.hits}, {udp_canary.datagrams}"
        )
        assert (http.hits, turn.hits, udp_canary.datagrams) == (0, 0, 0), http.paths()
    await _control_reaches(udp_canary)


async def _control_reaches(udp: UdpCanary) -> None:
    """The canaries are not deaf: a plain socket reaches each."""
    import socket

    with running_canary() as canary:
        with socket.create_connection((canary.host, canary.port), timeout=5) as connection:
            connection.sendall(b"GET /control HTTP/1.0\r\n\r\n")
            connection.recv(100)
        assert canary.paths() == ["/control"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"stun", ("127.0.0.1", udp.port))
    for _ in range(50):
        if udp.datagrams:
            break
        await asyncio.sleep(0.02)
    assert udp.datagrams == 1


@pytest.mark.parametrize("name", list(MEMORY_PAGES))
async def test_a_hostile_page_is_bounded_and_the_pool_goes_on(
    hostile_pool: tuple[SealedBrowserPool, int], name: str, figures: dict[str, str]
) -> None:
    pool, browser_pid = hostile_pool
    peak_renderer = peak_tree = 0
    started = time.perf_counter()
    task = asyncio.create_task(pool.render(MEMORY_PAGES[name], VIEWPORT))
    while not task.done():
        renderer, tree = await asyncio.to_thread(_tree_rss, browser_pid)
        peak_renderer, peak_tree = max(peak_renderer, renderer), max(peak_tree, tree)
        await asyncio.sleep(0.02)
    try:
        result = task.result()
        outcome = f"rendered ({len(result.text_boxes)} text boxes)"
    except RenderError as error:
        outcome = error.code
    elapsed = time.perf_counter() - started
    figures[f"renderer: {name}"] = (
        f"{outcome} in {elapsed:.1f} s; peak renderer {peak_renderer >> 20} MiB, Chromium tree {peak_tree >> 20} MiB"
    )
    assert peak_renderer < (BUDGET_MB + OVERSHOOT_MB) << 20, figures[f"renderer: {name}"]
    assert elapsed < 8.0 + 5.0  # the deadline, and the time to kill and report
    after = await pool.render("<p>next page</p>", VIEWPORT)
    assert [box.text for box in after.text_boxes] == ["next page"]
