"""render: untrusted HTML -> screenshot plus the DOM's text and element boxes, in a sealed Chromium.

One long-lived Chromium, a fresh browser context per render, the network sealed at two layers
(request routing that answers only the page's own document and its local assets, and a host
resolver that resolves nothing), service workers and downloads off, deterministic screenshots,
and a deadline on every render after which a hung page is killed.
"""

from __future__ import annotations

from ._live import LivePage
from ._pool import SealedBrowserPool
from ._routing import PAGE_ORIGIN, PAGE_URL

__all__ = ["PAGE_ORIGIN", "PAGE_URL", "LivePage", "SealedBrowserPool"]
