"""LivePage: a sealed page kept open for interaction replay (clicks, then what the page shows)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from playwright.async_api import Page

from ..models import RenderResult, Viewport
from ._dom import AT_REST_JS, SETTLE_JS
from ._page import BrowserHandle, Slot, capture, screenshot

if TYPE_CHECKING:
    from ._pool import SealedBrowserPool


class LivePage:
    """A sealed page kept open for interaction replay; every call has the render deadline."""

    def __init__(
        self, pool: SealedBrowserPool, handle: BrowserHandle, slot: Slot, viewport: Viewport
    ) -> None:
        self._pool = pool
        self._handle = handle
        self._slot = slot
        self.viewport = viewport

    @property
    def page(self) -> Page:
        """The Playwright page, for interactions beyond click (typing, hovering, scrolling)."""
        return self._slot.page

    async def screenshot(self) -> bytes:
        """A PNG of what the viewport shows now."""

        async def shot() -> bytes:
            x, y = await self._slot.page.evaluate(AT_REST_JS)
            return await screenshot(
                self._slot, x, y, self.viewport.width, self.viewport.height, beyond_viewport=False
            )

        return await self._pool._run(self._handle, shot())

    async def capture(self, *, full_page: bool = True) -> RenderResult:
        """Screenshot (full page, clamped) plus the DOM's text and element boxes, as a render."""
        started = time.perf_counter()
        work = capture(
            self._slot,
            self.viewport,
            full_page=full_page,
            max_height=self._pool.settings.render_max_height,
            started=started,
        )
        return await self._pool._run(self._handle, work)

    async def click(self, x: float, y: float) -> None:
        """A left click at viewport coordinates (call ``settle`` to let the page react)."""
        await self._pool._run(self._handle, self._slot.page.mouse.click(x, y))

    async def type(self, text: str) -> None:
        """Type ``text`` into whatever has the focus, key by key, as a person would."""
        await self._pool._run(self._handle, self._slot.page.keyboard.type(text, delay=5))

    async def settle(self, *, quiet_ms: int = 100, max_ms: int = 1500) -> None:
        """Wait until the DOM has been quiet for ``quiet_ms`` over two animation frames (or ``max_ms``)."""
        await self._pool._run(self._handle, self._slot.page.evaluate(SETTLE_JS, [quiet_ms, max_ms]))
