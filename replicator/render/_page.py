"""One sealed page: its context (a slot made ahead of time), loading, and the capture.

A slot is a fresh browser context with its routing, preamble and an empty page, created before
the HTML is known: starting the renderer process is the slowest step of a render (about 100 ms
idle), so the pool keeps one slot warm per browser and makes the next one between renders.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, CDPSession, Page
from playwright.async_api import Error as PlaywrightError

from ..errors import RenderCrashed, RenderError
from ..models import RenderResult, Viewport
from ._dom import PREAMBLE_JS, READY_JS, SURVEY_JS, parse_survey
from ._routing import PAGE_URL, PageRouter, refuse_websocket

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long web fonts may take to settle before we screenshot anyway.
FONTS_TIMEOUT_MS = 1500
# Boxes beyond these counts are dropped (a page of 100k words would otherwise flood the scorer).
MAX_TEXT_BOXES = 10_000
MAX_ELEMENT_BOXES = 10_000


class BrowserGone(Exception):
    """The browser died under a render (crash, kill, forced restart); the render may be retried."""


@dataclass(eq=False)
class BrowserHandle:
    """One launched Chromium and its bookkeeping in the pool."""

    browser: Browser
    generation: int
    renders: int = 0
    in_flight: int = 0
    retiring: bool = False
    dead: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # set once the browser is unusable
    spare: asyncio.Task[Slot] | None = None  # the next render's context, being made or ready

    def mark_gone(self) -> None:
        self.dead = True
        self.gone.set()


@dataclass(eq=False)
class Slot:
    """A fresh sealed context with one blank page, waiting for a document."""

    context: BrowserContext
    page: Page
    router: PageRouter
    cdp: CDPSession


async def new_slot(browser: Browser, viewport: Viewport) -> Slot:
    """A fresh context: sealed routing, no service workers or downloads, fixed locale and motion."""
    context = await browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height},
        device_scale_factor=1,
        service_workers="block",
        accept_downloads=False,
        java_script_enabled=True,
        reduced_motion="reduce",
        color_scheme="light",
        locale="en-US",
        timezone_id="UTC",
    )
    try:
        router = PageRouter()
        await context.route("**/*", router.handle)
        await context.route_web_socket("**/*", refuse_websocket)
        await context.add_init_script(PREAMBLE_JS)
        page = await context.new_page()
        router.main_frame = page.main_frame
        # Popups are not part of the render and could multiply (each loading more): close them.
        context.on("page", _close_popup)
        # The deadline is ours (asyncio); Playwright's own timeouts must not fire first.
        page.set_default_timeout(0)
        cdp = await context.new_cdp_session(page)
    except BaseException:
        await close_quietly(context)
        raise
    return Slot(context, page, router, cdp)


async def load(slot: Slot, html: str, viewport: Viewport, base_dir: Path | None) -> None:
    """Navigate the slot's page to the document and wait for it and its fonts to be ready.

    A navigation, not document.write over a blank page (measured 40 ms faster): after
    document.close() Chromium reports readyState "complete" while stylesheets are still loading,
    and fires the load event before a listener can be added, so nothing in the page says reliably
    when a written document has finished loading.
    """
    slot.router.html = html
    slot.router.base_dir = base_dir
    size = slot.page.viewport_size
    if size is None or (size["width"], size["height"]) != (viewport.width, viewport.height):
        await slot.page.set_viewport_size({"width": viewport.width, "height": viewport.height})
    await slot.page.goto(PAGE_URL, wait_until="commit")
    await _wait_until_ready(slot)


async def _wait_until_ready(slot: Slot) -> None:
    """Wait for the document to finish loading, then for its fonts (bounded by FONTS_TIMEOUT_MS).

    The page may reload itself or replace its document meanwhile; its JavaScript context is then
    destroyed under us, and we wait again for the new document. The caller's deadline bounds it all.
    """
    while True:
        try:
            await call(slot, READY_JS, FONTS_TIMEOUT_MS)
            return
        except PlaywrightError as exc:
            if not _navigated(exc):
                raise
        await asyncio.sleep(0.02)


async def call(slot: Slot, function: str, arg: Any) -> Any:
    """Call one of our page functions with a JSON argument; its JSON result (promises awaited).

    Straight through CDP's Runtime.evaluate in the page's main world, not page.evaluate: measured
    on a fresh context, Playwright's first evaluates cost 30-50 ms more (it injects and runs its own
    serialization script first), which was a fifth of a whole render.
    """
    reply = await slot.cdp.send(
        "Runtime.evaluate",
        {
            "expression": f"({function})({json.dumps(arg)})",
            "returnByValue": True,
            "awaitPromise": True,
        },
    )
    details = reply.get("exceptionDetails")
    if details is not None:
        exception = details.get("exception") or {}
        message = str(exception.get("description") or details.get("text") or "unknown error")
        if _navigated_message(message):
            raise PlaywrightError(message)
        # Our scripts only fail this way when the page has broken the built-ins they use.
        raise RenderError(f"The page broke the renderer's measurements: {message.splitlines()[0]}")
    return reply.get("result", {}).get("value")


def _navigated(exc: PlaywrightError) -> bool:
    """Whether an evaluate failed because the page's document was replaced under it."""
    return _navigated_message(str(exc))


def _navigated_message(message: str) -> bool:
    return "context was destroyed" in message or "navigat" in message.lower()


async def capture(
    slot: Slot, viewport: Viewport, *, full_page: bool, max_height: int, started: float
) -> RenderResult:
    """The survey (boxes, heights) in one evaluate, then a screenshot of exactly those bounds."""
    survey: dict[str, Any] = await call(
        slot,
        SURVEY_JS,
        {
            "fullPage": full_page,
            "maxHeight": max_height,
            "vw": viewport.width,
            "vh": viewport.height,
            "maxText": MAX_TEXT_BOXES,
            "maxElements": MAX_ELEMENT_BOXES,
        },
    )
    width, height = int(survey["width"]), int(survey["height"])
    full_height = int(survey["fullHeight"])
    if survey.get("truncated"):
        log.info("page has more boxes than kept (%d text, %d elements)", MAX_TEXT_BOXES, MAX_ELEMENT_BOXES)
    # A full page starts at the document's top; the viewport is wherever the page is scrolled to.
    x, y = (0.0, 0.0) if full_page else (float(survey["scrollX"]), float(survey["scrollY"]))
    png = await screenshot(slot, x, y, width, height, beyond_viewport=full_page)
    texts, elements = parse_survey(survey)
    return RenderResult(
        png=png,
        width=width,
        height=height,
        full_height=full_height,
        clamped=full_page and full_height > height,
        text_boxes=texts,
        element_boxes=elements,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


async def screenshot(
    slot: Slot, x: float, y: float, width: int, height: int, *, beyond_viewport: bool
) -> bytes:
    """A PNG of a region in document coordinates, straight from CDP.

    Measured on the landing page: Page.captureScreenshot with optimizeForSpeed (faster zlib, larger
    file) takes about a third of Playwright's page.screenshot, which adds its own waits and style
    injections we do not need (our preamble already hides carets and stops transitions).
    """
    reply = await slot.cdp.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "clip": {"x": x, "y": y, "width": width, "height": height, "scale": 1},
            "captureBeyondViewport": beyond_viewport,
            "optimizeForSpeed": True,
        },
    )
    return base64.b64decode(reply["data"])


_closing: set[asyncio.Task[None]] = set()


def _close_popup(popup: Page) -> None:
    async def close() -> None:
        try:
            await popup.close()
        except PlaywrightError as exc:
            log.debug("popup close failed: %s", exc)

    task = asyncio.ensure_future(close())
    _closing.add(task)  # keep a reference until done (the loop holds tasks only weakly)
    task.add_done_callback(_closing.discard)


async def close_quietly(context: BrowserContext) -> None:
    try:
        await context.close()
    except PlaywrightError as exc:
        log.debug("context close failed: %s", exc)


async def unless_gone(handle: BrowserHandle, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``, or raise BrowserGone as soon as the browser dies under it.

    Playwright does not always fail calls that are pending when Chromium is killed (measured: a
    render in progress during a SIGKILL waited for its deadline), so the death is raced explicitly.
    Cancelling this cancels ``work`` and waits for its cleanup (closing its context).
    """
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(handle.gone.wait())
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait({task})
        forget(task)
        raise
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task}, timeout=3.0)
    forget(task)
    raise BrowserGone("the browser disconnected")


async def unless_crashed(page: Page, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` on ``page``, or raise RenderCrashed as soon as the page's renderer dies.

    Like a dead browser (see ``unless_gone``), a renderer killed mid-render (out of memory, or by
    a person) leaves Playwright's pending calls waiting for the deadline: the crash is raced."""
    crashed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_crash(_page: Page) -> None:
        if not crashed.done():
            crashed.set_result(None)

    page.on("crash", on_crash)
    task = asyncio.ensure_future(work)
    racing: set[asyncio.Future[Any]] = {task, crashed}
    try:
        try:
            await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.wait({task})
            forget(task)
            raise
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.wait({task}, timeout=3.0)
        forget(task)
        raise RenderCrashed(
            "The page's renderer process stopped while rendering it: the page used more memory "
            "than a renderer may have, or the process was killed."
        )
    finally:
        page.remove_listener("crash", on_crash)


def forget(task: asyncio.Future[Any]) -> None:
    """Mark an abandoned task's failure as seen (asyncio would log it as never retrieved)."""
    if task.done():
        if not task.cancelled():
            task.exception()
    else:
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())
