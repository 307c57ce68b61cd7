"""SealedBrowserPool: one long-lived Chromium, a fresh sealed context per render, deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Playwright, async_playwright

from ..config import Settings
from ..errors import BrowserNotFound, InputError, RenderError, RenderTimeout
from ..models import MAX_VIEWPORT_SIDE, RenderResult, Viewport
from ._launch import driver_in_own_session, launch_args, use_sandbox
from ._live import LivePage
from ._memory import watch_renderers
from ._page import (
    BrowserGone,
    BrowserHandle,
    Slot,
    capture,
    close_quietly,
    forget,
    load,
    new_slot,
    unless_crashed,
    unless_gone,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# A context close that takes longer than this means Chromium is stuck: the browser is replaced.
CLOSE_GRACE_S = 3.0


class SealedBrowserPool:
    """Renders untrusted HTML in a sealed Chromium. Use ``async with`` or ``start``/``close``."""

    def __init__(self, settings: Settings, *, warm_spare: bool = True, nice: int = 0) -> None:
        """``nice``: niceness added to Chromium's processes (see ``driver_in_own_session``)."""
        self.settings = settings
        self.nice = nice
        # Keep the next render's context made ahead of time (off only to observe processes in tests).
        self.warm_spare = warm_spare
        self._semaphore = asyncio.Semaphore(settings.render_concurrency)
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._current: BrowserHandle | None = None
        self._handles: set[BrowserHandle] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._generation = 0
        self._closed = False
        self.launches = 0  # browsers started so far (recycles and crash recoveries included)
        self.renders = 0  # renders finished, successful or not
        self.active = 0  # renders and open pages in progress (at most render_concurrency)
        self._memory_watch: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Launch Chromium now (else the first render does); BrowserNotFound names the fix."""
        async with self._lock:
            await self._ensure_browser()

    async def close(self) -> None:
        """Close every browser and the Playwright driver; renders still running fail."""
        async with self._lock:
            self._closed = True
            self._current = None
            if self._memory_watch is not None:
                self._memory_watch.cancel()
                await asyncio.wait({self._memory_watch})
                self._memory_watch = None
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

    async def warmed(self) -> None:
        """Wait until the browser is up and the next render's context is made (for benchmarks)."""
        async with self._lock:
            handle = await self._ensure_browser()
            self._prepare_spare(handle)
            spare = handle.spare
        if spare is not None:
            await asyncio.wait({spare})

    async def _ensure_browser(self) -> BrowserHandle:
        """The browser to use now, launching or replacing it as needed (caller holds the lock)."""
        if self._closed:
            raise RenderError("The browser pool is closed.")
        if self._memory_watch is None:
            limit = self.settings.render_max_memory_mb * 1048576
            self._memory_watch = asyncio.create_task(watch_renderers(limit, lambda: self.active > 0))
        current = self._current
        if current is not None and not current.dead and current.browser.is_connected():
            if current.renders < self.settings.browser_recycle_after:
                return current
            log.info("recycling Chromium after %d renders", current.renders)
        if current is not None:
            self._retire(current)
        self._current = await self._launch()
        return self._current

    async def _launch(self) -> BrowserHandle:
        executable = self.settings.resolve_chromium()
        if self._playwright is None:
            with driver_in_own_session(self.nice):
                self._playwright = await async_playwright().start()
        try:
            browser = await self._playwright.chromium.launch(
                executable_path=str(executable),
                headless=True,
                args=launch_args(self.settings),
                chromium_sandbox=use_sandbox(self.settings),
                timeout=30_000,
            )
        except PlaywrightError as exc:
            sandbox_hint = (
                " If it fails only in containers, its sandbox may be unavailable: set "
                "REPLICATOR_CHROMIUM_SANDBOX=false."
                if use_sandbox(self.settings)
                else ""
            )
            raise BrowserNotFound(
                f"Chromium at {executable} did not start ({_first_line(exc)}). Check that it is a working "
                "Chromium or Chrome (`sudo apt-get install chromium`), or point REPLICATOR_CHROMIUM_PATH "
                f"at one.{sandbox_hint}",
                path=str(executable),
            ) from exc
        self._generation += 1
        self.launches += 1
        handle = BrowserHandle(browser, self._generation)
        self._handles.add(handle)
        browser.on("disconnected", lambda _browser: self._on_disconnected(handle))
        self._prepare_spare(handle)
        log.info("Chromium %s started (generation %d)", browser.version, handle.generation)
        return handle

    def _on_disconnected(self, handle: BrowserHandle) -> None:
        if not handle.dead and not handle.retiring:
            log.warning(
                "Chromium (generation %d) disconnected; the next render relaunches it", handle.generation
            )
        handle.mark_gone()
        if self._current is handle:
            self._current = None

    def _retire(self, handle: BrowserHandle, *, force: bool = False) -> None:
        """Stop giving out ``handle``; close it once its renders finish (at once when forced)."""
        handle.retiring = True
        if force:
            handle.mark_gone()
        if self._current is handle:
            self._current = None
        if force or handle.in_flight == 0:
            self._spawn(self._shutdown(handle))

    async def _shutdown(self, handle: BrowserHandle) -> None:
        handle.retiring = True
        handle.mark_gone()
        self._handles.discard(handle)
        if handle.spare is not None:
            handle.spare.cancel()
            forget(handle.spare)
        try:
            await asyncio.wait_for(handle.browser.close(), 10)
        except (TimeoutError, PlaywrightError) as exc:
            log.warning("Chromium (generation %d) did not close cleanly: %s", handle.generation, exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _acquire(self) -> BrowserHandle:
        async with self._lock:
            handle = await self._ensure_browser()
            handle.renders += 1
            handle.in_flight += 1
            return handle

    def _release(self, handle: BrowserHandle) -> None:
        handle.in_flight -= 1
        self.renders += 1
        if handle.retiring and handle.in_flight == 0 and handle in self._handles:
            self._spawn(self._shutdown(handle))
        else:
            self._prepare_spare(handle)

    # --- slots: the next render's context, made ahead of time -----------------------------------

    def _prepare_spare(self, handle: BrowserHandle) -> None:
        """Start making the next render's context, unless one is ready or being made.

        Called when a render has finished with the browser, not when it starts: making a context
        starts a renderer process, which on two cores would slow the render in progress.
        """
        if handle.dead or handle.retiring or self._closed or not self.warm_spare or handle.spare is not None:
            return
        viewport = Viewport(self.settings.viewport_width, self.settings.viewport_height)
        handle.spare = asyncio.ensure_future(new_slot(handle.browser, viewport))

    async def _take_slot(self, handle: BrowserHandle, viewport: Viewport) -> Slot:
        """The warm spare when there is a healthy one, else a new slot."""
        spare, handle.spare = handle.spare, None
        slot: Slot | None = None
        if spare is not None:
            try:
                # wait(), not await: a spare cancelled by a shutdown must not look like our own cancel.
                await asyncio.wait({spare})
            except asyncio.CancelledError:
                spare.add_done_callback(self._close_orphan)
                raise
            if spare.cancelled():
                pass
            elif spare.exception() is not None:
                log.debug("spare context failed: %s", spare.exception())
            else:
                slot = spare.result()
        if slot is None:
            slot = await new_slot(handle.browser, viewport)
        return slot

    def _close_orphan(self, spare: asyncio.Future[Slot]) -> None:
        if not spare.cancelled() and spare.exception() is None:
            self._spawn(close_quietly(spare.result().context))

    async def _dispose(self, handle: BrowserHandle, slot: Slot) -> None:
        """Close a render's context; a context that will not close takes its browser with it.

        Measured with Chromium 156: closing the context kills a renderer stuck in ``while(1){}``
        within ~20 ms, so the relaunch is only the fallback for a browser that stopped answering.
        """
        try:
            await asyncio.wait_for(slot.context.close(), CLOSE_GRACE_S)
        except TimeoutError:
            log.warning("a browser context did not close within %.0f s; replacing Chromium", CLOSE_GRACE_S)
            self._retire(handle, force=True)
        except PlaywrightError as exc:
            log.debug("context close failed: %s", exc)

    # --- rendering -----------------------------------------------------------------------------

    async def render(
        self, html: str, viewport: Viewport, *, base_dir: Path | None = None, full_page: bool = True
    ) -> RenderResult:
        """Render ``html`` at ``viewport``: screenshot (full page, clamped) plus DOM boxes.

        ``base_dir``: the page may load files from that folder (and nothing else). Raises
        RenderTimeout when the page does not finish within ``settings.render_timeout_s``.
        """
        _check_viewport(viewport)
        async with self._semaphore, self._counted():
            for attempt in (1, 2):
                handle = await self._acquire()
                try:
                    return await self._render_once(handle, html, viewport, base_dir, full_page)
                except BrowserGone as exc:
                    if attempt == 2:
                        raise RenderError("Chromium stopped twice while rendering this page.") from exc
                    log.warning("Chromium went away during a render; retrying on a fresh browser")
                finally:
                    self._release(handle)
        raise AssertionError("unreachable")

    async def _render_once(
        self, handle: BrowserHandle, html: str, viewport: Viewport, base_dir: Path | None, full_page: bool
    ) -> RenderResult:
        started = time.perf_counter()
        max_height = self.settings.render_max_height

        async def steps() -> RenderResult:
            slot = await self._take_slot(handle, viewport)

            async def rendered() -> RenderResult:
                await load(slot, html, viewport, base_dir)
                return await capture(
                    slot, viewport, full_page=full_page, max_height=max_height, started=started
                )

            try:
                result = await unless_crashed(slot.page, rendered())
            except BaseException:
                await self._dispose(handle, slot)  # awaited: a hung renderer must be gone before we report
                raise
            # The result is ready; closing a healthy page need not delay it.
            self._spawn(self._dispose(handle, slot))
            return result

        return await self._run(handle, steps(), retryable=True)

    @contextlib.asynccontextmanager
    async def open(
        self, html: str, viewport: Viewport, *, base_dir: Path | None = None
    ) -> AsyncIterator[LivePage]:
        """A sealed page kept open for interactions: ``async with pool.open(html, vp) as live:``."""
        _check_viewport(viewport)

        async def opening(handle: BrowserHandle) -> Slot:
            slot = await self._take_slot(handle, viewport)
            try:
                await load(slot, html, viewport, base_dir)
            except BaseException:
                await self._dispose(handle, slot)
                raise
            return slot

        async with self._semaphore, self._counted():
            # Opening is retried once on a fresh browser when Chromium goes away meanwhile (another
            # render's hung context retired it), as a render is; what the caller does is not.
            for attempt in (1, 2):
                handle = await self._acquire()
                try:
                    slot = await self._run(handle, opening(handle), retryable=True)
                except BrowserGone as exc:
                    self._release(handle)
                    if attempt == 2:
                        raise RenderError("Chromium stopped twice while opening this page.") from exc
                    log.warning("Chromium went away while opening a page; retrying on a fresh browser")
                    continue
                except BaseException:
                    self._release(handle)
                    raise
                break
            try:
                self._prepare_spare(handle)  # interactions mostly wait on the page: make it now
                try:
                    yield LivePage(self, handle, slot, viewport)
                finally:
                    await self._dispose(handle, slot)
            finally:
                self._release(handle)

    @contextlib.asynccontextmanager
    async def _counted(self) -> AsyncIterator[None]:
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    async def _run(
        self, handle: BrowserHandle, work: Coroutine[Any, Any, T], *, retryable: bool = False
    ) -> T:
        """Run browser work under the render deadline, stopping early if the browser dies.

        Failures become ours: RenderTimeout, RenderError, or (when ``retryable``) BrowserGone so the
        caller can retry on a fresh browser.
        """
        try:
            async with asyncio.timeout(self.settings.render_timeout_s):
                return await unless_gone(handle, work)
        except TimeoutError as exc:
            raise self._timeout_error() from exc
        except BrowserGone as exc:
            if retryable:
                raise
            raise RenderError("Chromium stopped while rendering this page.") from exc
        except PlaywrightError as exc:
            if handle.dead or not handle.browser.is_connected():
                if retryable:
                    raise BrowserGone(str(exc)) from exc
                raise RenderError("Chromium stopped while rendering this page.") from exc
            message = _first_line(exc)
            if "crash" in message.lower():
                raise RenderError(
                    "The page crashed Chromium's renderer (it may use too much memory)."
                ) from exc
            raise RenderError(f"Chromium could not render the page: {message}") from exc

    def _timeout_error(self) -> RenderTimeout:
        seconds = self.settings.render_timeout_s
        return RenderTimeout(
            f"The page did not finish rendering within {seconds:g} s and was stopped "
            "(a script that never yields, or a page too heavy to lay out).",
            timeout_s=seconds,
        )


def _check_viewport(viewport: Viewport) -> None:
    if not (1 <= viewport.width <= MAX_VIEWPORT_SIDE and 1 <= viewport.height <= MAX_VIEWPORT_SIDE):
        raise InputError(
            f"Cannot render at {viewport.width}x{viewport.height}: each side must be 1 to "
            f"{MAX_VIEWPORT_SIDE} pixels."
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
