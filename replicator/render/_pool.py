"""SealedBrowserPool: one long-lived Chromium, a fresh sealed context per render, deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from ..config import Settings
from ..errors import BrowserNotFound, RenderError, RenderTimeout
from ..models import RenderResult, Viewport
from ._dom import FONTS_READY_JS, LOADED_JS, PREAMBLE_JS, SETTLE_JS, SURVEY_JS, parse_survey
from ._launch import launch_args, use_sandbox
from ._routing import PAGE_URL, PageRouter, refuse_websocket

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long web fonts may take to settle before we screenshot anyway.
FONTS_TIMEOUT_MS = 1500
# A context close that takes longer than this means Chromium is stuck: the browser is replaced.
CLOSE_GRACE_S = 3.0
# Boxes beyond these counts are dropped (a page of 100k words would otherwise flood the scorer).
MAX_TEXT_BOXES = 10_000
MAX_ELEMENT_BOXES = 10_000


class _BrowserGone(Exception):
    """The browser died under a render (crash, kill, recycle race); the render may be retried."""


@dataclass(eq=False)
class _BrowserHandle:
    browser: Browser
    generation: int
    renders: int = 0
    in_flight: int = 0
    retiring: bool = False
    dead: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # set once the browser is unusable


class LivePage:
    """A sealed page kept open for interaction replay; every call has the render deadline."""

    def __init__(
        self, pool: SealedBrowserPool, handle: _BrowserHandle, page: Page, viewport: Viewport
    ) -> None:
        self._pool = pool
        self._handle = handle
        self._page = page
        self.viewport = viewport

    @property
    def page(self) -> Page:
        """The Playwright page, for interactions beyond click (typing, hovering, scrolling)."""
        return self._page

    async def screenshot(self) -> bytes:
        """A PNG of what the viewport shows now."""
        return await self._pool._run(self._handle, self._page.screenshot(type="png", caret="hide"))

    async def capture(self, *, full_page: bool = True) -> RenderResult:
        """Screenshot (full page, clamped) plus the DOM's text and element boxes, as a render."""
        started = time.perf_counter()
        return await self._pool._run(
            self._handle, self._pool._capture(self._page, self.viewport, full_page, started)
        )

    async def click(self, x: float, y: float) -> None:
        """A left click at viewport coordinates (call ``settle`` to let the page react)."""
        await self._pool._run(self._handle, self._page.mouse.click(x, y))

    async def settle(self, *, quiet_ms: int = 100, max_ms: int = 1500) -> None:
        """Wait until the DOM has been quiet for ``quiet_ms`` over two animation frames (or ``max_ms``)."""
        await self._pool._run(self._handle, self._page.evaluate(SETTLE_JS, [quiet_ms, max_ms]))


class SealedBrowserPool:
    """Renders untrusted HTML in a sealed Chromium. Use ``async with`` or ``start``/``close``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._semaphore = asyncio.Semaphore(settings.render_concurrency)
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._current: _BrowserHandle | None = None
        self._handles: set[_BrowserHandle] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._generation = 0
        self._closed = False
        self.launches = 0  # browsers started so far (recycles and crash recoveries included)
        self.renders = 0  # renders finished, successful or not
        self.active = 0  # renders and open pages in progress (at most render_concurrency)

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Launch Chromium now (else the first render does); BrowserNotFound names the fix."""
        async with self._lock:
            await self._ensure_browser()

    async def close(self) -> None:
        """Close every browser and the Playwright driver; in-flight renders fail."""
        async with self._lock:
            self._closed = True
            self._current = None
            for handle in list(self._handles):
                await self._shutdown(handle)
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            if self._playwright is not None:
                with contextlib.suppress(PlaywrightError):
                    await self._playwright.stop()
                self._playwright = None

    async def __aenter__(self) -> SealedBrowserPool:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _ensure_browser(self) -> _BrowserHandle:
        """The browser to use now, launching or replacing it as needed (caller holds the lock)."""
        if self._closed:
            raise RenderError("The browser pool is closed.")
        current = self._current
        if current is not None and not current.dead and current.browser.is_connected():
            if current.renders < self.settings.browser_recycle_after:
                return current
            log.info("recycling Chromium after %d renders", current.renders)
        if current is not None:
            self._retire(current)
        self._current = await self._launch()
        return self._current

    async def _launch(self) -> _BrowserHandle:
        executable = self.settings.resolve_chromium()
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        try:
            browser = await self._playwright.chromium.launch(
                executable_path=str(executable),
                headless=True,
                args=launch_args(self.settings),
                chromium_sandbox=use_sandbox(self.settings),
                timeout=30_000,
                # Ctrl-C in a terminal reaches the whole process group, Playwright's driver included;
                # by default it then kills the browser under our feet. Signals are the app's to handle
                # (the CLI's batch stops cleanly, uvicorn shuts down), and close() ends the browser.
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except PlaywrightError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserNotFound(
                f"Chromium at {executable} did not start ({first_line}). Check that it is a working "
                "Chromium or Chrome (`sudo apt-get install chromium`), or point REPLICATOR_CHROMIUM_PATH "
                "at one.",
                path=str(executable),
            ) from exc
        self._generation += 1
        self.launches += 1
        handle = _BrowserHandle(browser, self._generation)
        self._handles.add(handle)
        browser.on("disconnected", lambda _browser: self._on_disconnected(handle))
        log.info("Chromium %s started (generation %d)", browser.version, handle.generation)
        return handle

    def _on_disconnected(self, handle: _BrowserHandle) -> None:
        if not handle.dead and not handle.retiring:
            log.warning(
                "Chromium (generation %d) disconnected; the next render relaunches it", handle.generation
            )
        handle.dead = True
        handle.gone.set()
        if self._current is handle:
            self._current = None

    def _retire(self, handle: _BrowserHandle, *, force: bool = False) -> None:
        """Stop giving out ``handle``; close it once its renders finish (at once when forced)."""
        handle.retiring = True
        if force:
            handle.dead = True
            handle.gone.set()
        if self._current is handle:
            self._current = None
        if force or handle.in_flight == 0:
            self._spawn(self._shutdown(handle))

    async def _shutdown(self, handle: _BrowserHandle) -> None:
        handle.retiring = True
        handle.dead = True
        handle.gone.set()
        self._handles.discard(handle)
        try:
            await asyncio.wait_for(handle.browser.close(), 10)
        except (TimeoutError, PlaywrightError) as exc:
            log.warning("Chromium (generation %d) did not close cleanly: %s", handle.generation, exc)

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _acquire(self) -> _BrowserHandle:
        async with self._lock:
            handle = await self._ensure_browser()
            handle.renders += 1
            handle.in_flight += 1
            return handle

    def _release(self, handle: _BrowserHandle) -> None:
        handle.in_flight -= 1
        if handle.retiring and handle.in_flight == 0 and handle in self._handles:
            self._spawn(self._shutdown(handle))

    # --- rendering -----------------------------------------------------------------------------

    async def render(
        self, html: str, viewport: Viewport, *, base_dir: Path | None = None, full_page: bool = True
    ) -> RenderResult:
        """Render ``html`` at ``viewport``: screenshot (full page, clamped) plus DOM boxes.

        ``base_dir``: the page may load files from that folder (and nothing else). Raises
        RenderTimeout when the page does not finish within ``settings.render_timeout_s``.
        """
        async with self._semaphore, self._counted():
            for attempt in (1, 2):
                handle = await self._acquire()
                try:
                    return await self._render_once(handle, html, viewport, base_dir, full_page)
                except _BrowserGone as exc:
                    if attempt == 2:
                        raise RenderError("Chromium stopped twice while rendering this page.") from exc
                    log.warning("Chromium went away during a render; retrying on a fresh browser")
                finally:
                    self._release(handle)
                    self.renders += 1
        raise AssertionError("unreachable")

    async def _render_once(
        self, handle: _BrowserHandle, html: str, viewport: Viewport, base_dir: Path | None, full_page: bool
    ) -> RenderResult:
        started = time.perf_counter()

        async def steps() -> RenderResult:
            context, page = await self._open_page(handle, html, viewport, base_dir)
            try:
                return await self._capture(page, viewport, full_page, started)
            finally:
                await self._dispose(handle, context)

        return await self._run(handle, steps(), retryable=True)

    @contextlib.asynccontextmanager
    async def open(
        self, html: str, viewport: Viewport, *, base_dir: Path | None = None
    ) -> AsyncIterator[LivePage]:
        """A sealed page kept open for interactions: ``async with pool.open(html, vp) as live:``."""
        async with self._semaphore, self._counted():
            handle = await self._acquire()
            try:
                context, page = await self._run(handle, self._open_page(handle, html, viewport, base_dir))
                try:
                    yield LivePage(self, handle, page, viewport)
                finally:
                    await self._dispose(handle, context)
            finally:
                self._release(handle)
                self.renders += 1

    @contextlib.asynccontextmanager
    async def _counted(self) -> AsyncIterator[None]:
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    async def _run(
        self, handle: _BrowserHandle, work: Coroutine[Any, Any, T], *, retryable: bool = False
    ) -> T:
        """Run browser work under the render deadline, stopping early if the browser dies.

        Maps failures to ours: RenderTimeout, RenderError, or (``retryable``) _BrowserGone so the
        caller can retry on a fresh browser.
        """
        try:
            async with asyncio.timeout(self.settings.render_timeout_s):
                return await _unless_gone(handle, work)
        except TimeoutError as exc:
            raise self._timeout_error() from exc
        except PlaywrightError as exc:
            error = self._playwright_error(handle, exc)
            if isinstance(error, _BrowserGone):
                if retryable:
                    raise error from exc
                raise RenderError("Chromium stopped while rendering this page.") from exc
            raise error from exc
        except _BrowserGone as exc:
            if retryable:
                raise
            raise RenderError("Chromium stopped while rendering this page.") from exc

    async def _open_page(
        self, handle: _BrowserHandle, html: str, viewport: Viewport, base_dir: Path | None
    ) -> tuple[BrowserContext, Page]:
        context = await handle.browser.new_context(
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
            router = PageRouter(html, base_dir)
            await context.route("**/*", router.handle)
            await context.route_web_socket("**/*", refuse_websocket)
            await context.add_init_script(PREAMBLE_JS)
            page = await context.new_page()
            # The deadline is ours (asyncio); Playwright's own timeouts must not fire first.
            page.set_default_timeout(0)
            await page.goto(PAGE_URL, wait_until="commit")
            await _wait_until_loaded(page)
            await page.evaluate(FONTS_READY_JS, FONTS_TIMEOUT_MS)
        except BaseException:
            await self._dispose(handle, context)
            raise
        return context, page

    async def _capture(self, page: Page, viewport: Viewport, full_page: bool, started: float) -> RenderResult:
        survey: dict[str, Any] = await page.evaluate(
            SURVEY_JS,
            {
                "fullPage": full_page,
                "maxHeight": self.settings.render_max_height,
                "vw": viewport.width,
                "vh": viewport.height,
                "maxText": MAX_TEXT_BOXES,
                "maxElements": MAX_ELEMENT_BOXES,
            },
        )
        width, height = int(survey["width"]), int(survey["height"])
        full_height = int(survey["fullHeight"])
        if survey.get("truncated"):
            log.info(
                "page has more boxes than kept (%d text, %d elements)", MAX_TEXT_BOXES, MAX_ELEMENT_BOXES
            )
        png = await page.screenshot(
            type="png",
            full_page=full_page,
            clip={"x": 0, "y": 0, "width": width, "height": height},
            caret="hide",
        )
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

    async def _dispose(self, handle: _BrowserHandle, context: BrowserContext) -> None:
        """Close a render's context; a context that will not close takes its browser with it.

        Measured with Chromium 156: closing the context kills a renderer stuck in ``while(1){}``
        within ~20 ms, so the relaunch is only the fallback for a browser that stopped answering.
        """
        try:
            await asyncio.wait_for(context.close(), CLOSE_GRACE_S)
        except TimeoutError:
            log.warning("a browser context did not close within %.0f s; replacing Chromium", CLOSE_GRACE_S)
            self._retire(handle, force=True)
        except PlaywrightError as exc:
            log.debug("context close failed: %s", exc)

    def _timeout_error(self) -> RenderTimeout:
        seconds = self.settings.render_timeout_s
        return RenderTimeout(
            f"The page did not finish rendering within {seconds:g} s and was stopped "
            "(a script that never yields, or a page too heavy to lay out).",
            timeout_s=seconds,
        )

    def _playwright_error(self, handle: _BrowserHandle, exc: PlaywrightError) -> Exception:
        if handle.dead or not handle.browser.is_connected():
            return _BrowserGone(str(exc))
        message = _first_line(exc)
        if "crash" in message.lower():
            return RenderError("The page crashed Chromium's renderer (it may use too much memory).")
        return RenderError(f"Chromium could not render the page: {message}")


async def _unless_gone(handle: _BrowserHandle, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``, or raise _BrowserGone as soon as the browser dies under it.

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
        _forget(task)
        raise
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task}, timeout=CLOSE_GRACE_S)
    _forget(task)
    raise _BrowserGone("the browser disconnected")


def _forget(task: asyncio.Future[Any]) -> None:
    """Mark an abandoned task's failure as seen (asyncio would log it as never retrieved)."""
    if task.done() and not task.cancelled():
        task.exception()
    elif not task.done():
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())


async def _wait_until_loaded(page: Page) -> None:
    """Wait for the document to finish loading (the caller's deadline bounds the wait).

    The page may reload itself or replace its document meanwhile; its JavaScript context is then
    destroyed under us, and we wait again for the new document.
    """
    while True:
        try:
            await page.evaluate(LOADED_JS)
            return
        except PlaywrightError as exc:
            message = str(exc)
            if "context was destroyed" not in message and "navigat" not in message.lower():
                raise
        await asyncio.sleep(0.02)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
