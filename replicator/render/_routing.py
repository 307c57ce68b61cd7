"""Request routing for a sealed page: its own document from memory, local assets, nothing else.

The page lives at a fixed fake origin (``https://page.invalid/``): never ``about:blank`` (which would
inherit the opener's origin) and never the app's own origin, so it can reach neither the service nor
its cookies. ``https`` makes it a secure context, so features that need one (``crypto.randomUUID``)
behave as they would for a user opening the exported file from a server.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Request, Route, WebSocketRoute

log = logging.getLogger(__name__)

PAGE_ORIGIN = "https://page.invalid"
PAGE_URL = PAGE_ORIGIN + "/"


def resolve_local_asset(base_dir: Path, url: str) -> Path | None:
    """The file under ``base_dir`` that ``url`` names, or None when it names anything else.

    Chromium already removes ``..`` segments from URLs, but not percent-encoded slashes
    (``..%2f``), so the decoded path is resolved (symlinks too) and must stay inside ``base_dir``.
    Hidden files and folders (``.env``, ``.git/``) are never served.
    """
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != PAGE_ORIGIN:
        return None
    relative = unquote(parts.path).lstrip("/")
    if not relative or "\x00" in relative:
        return None
    if any(segment.startswith(".") for segment in relative.replace("\\", "/").split("/")):
        return None
    root = base_dir.resolve()
    try:
        candidate = (root / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop, a name too long
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


class PageRouter:
    """Answers every request of one browser context: the document, local assets, or a refusal."""

    def __init__(self, html: str = "", base_dir: Path | None = None) -> None:
        self.html = html
        self.base_dir = base_dir
        # The frame the document is for; iframes and popups asking for it get nothing (a page that
        # embeds or opens itself would otherwise multiply). None: any top-level frame.
        self.main_frame: Frame | None = None
        self.refused: list[str] = []

    def _is_main(self, frame: Frame | None) -> bool:
        if frame is None:
            return False
        if self.main_frame is None:
            return frame.parent_frame is None
        return frame == self.main_frame

    async def handle(self, route: Route) -> None:
        request = route.request
        try:
            if (
                request.url == PAGE_URL
                and request.is_navigation_request()
                and self._is_main(_frame_of(request))
            ):
                await route.fulfill(
                    status=200,
                    body=_utf8(self.html),
                    content_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"},
                )
                return
            path = resolve_local_asset(self.base_dir, request.url) if self.base_dir else None
            if path is not None and request.method in ("GET", "HEAD"):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                await route.fulfill(status=200, path=path, content_type=content_type)
                return
            if len(self.refused) < 200:
                self.refused.append(request.url[:200])
            # ERR_ABORTED, not ERR_BLOCKED_BY_CLIENT: a refused navigation then leaves the page where
            # it is instead of replacing it with Chromium's error page.
            await route.abort("aborted")
        except PlaywrightError as exc:
            # The page or context closed while the request was pending: nothing left to answer.
            log.debug("route for %s not answered: %s", request.url[:100], exc)


def _utf8(text: str) -> bytes:
    """The document as UTF-8; a lone surrogate (not encodable) becomes U+FFFD, as a browser shows it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8")


def _frame_of(request: Request) -> Frame | None:
    try:
        return request.frame
    except PlaywrightError:  # a service worker's request has no frame
        return None


async def refuse_websocket(socket: WebSocketRoute) -> None:
    """A WebSocket that is never connected to any server (the resolver would refuse it too)."""
    try:
        await socket.close(code=1008, reason="network is sealed")
    except PlaywrightError as exc:
        log.debug("websocket close failed: %s", exc)
