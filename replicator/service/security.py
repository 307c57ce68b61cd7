"""Bearer-token auth, signed artifact URLs, and the security headers of every response.

Browsers cannot put an ``Authorization`` header on ``<img>``, ``<iframe>`` or ``EventSource``
requests, so when a token is set the API hands out artifact URLs signed with an HMAC of the path
and an expiry (keyed by the token): such a URL opens that one path for GET, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import AuthenticationRequired

SIGNED_URL_TTL_S = 12 * 3600

# The app's own pages: scripts and styles from our origin only, no inline code, no framing.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; worker-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# A generated page shown live: its own opaque origin (sandbox without allow-same-origin), so it
# reaches neither our cookies, storage nor API; and no network at all (connect-src 'none', no
# remote images, fonts or frames). Its inline scripts and styles may run: it is interactive.
PREVIEW_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; "
    "connect-src 'none'; frame-src 'none'; worker-src 'none'; object-src 'none'; manifest-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

PREVIEW_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_APP_HEADERS = [
    (b"content-security-policy", APP_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeaders:
    """ASGI middleware: the app's CSP and friends on every response that did not set its own.

    Pure ASGI rather than ``BaseHTTPMiddleware``, which would buffer the event stream.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _APP_HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UrlSigner:
    """HMAC-signed, expiring URLs for GET requests to one path."""

    def __init__(self, token: str) -> None:
        self._key = hashlib.sha256(b"replicator signed urls\x00" + token.encode()).digest()

    def query(self, path: str, *, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + SIGNED_URL_TTL_S)
        return urlencode({"exp": expires, "sig": self._mac(path, expires)})

    def verify(self, path: str, expires: str | None, signature: str | None) -> bool:
        if not expires or not signature or not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._mac(path, int(expires)), signature)

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self._key, f"{path}\x00{expires}".encode(), hashlib.sha256).hexdigest()


class TokenGuard:
    """The ``api_token`` check: a FastAPI dependency on every API route but ``/healthz``."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.signer = UrlSigner(token) if token else None

    @property
    def enabled(self) -> bool:
        return self.token is not None

    def sign(self, path: str) -> str:
        """``path`` with a signature when auth is on (so a browser element may load it)."""
        if self.signer is None:
            return path
        return f"{path}?{self.signer.query(path)}"

    async def __call__(self, request: Request) -> None:
        if self.token is None:
            return
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.token.encode()
        ):
            return
        if (
            request.method in ("GET", "HEAD")
            and self.signer is not None
            and self.signer.verify(
                request.url.path, request.query_params.get("exp"), request.query_params.get("sig")
            )
        ):
            return
        raise AuthenticationRequired(
            "This API needs a token: send the header 'Authorization: Bearer <token>' "
            "(the token is the server's REPLICATOR_API_TOKEN)."
        )
