"""Bearer-token auth, signed artifact URLs, and the security headers of every response.

Browsers cannot put an ``Authorization`` header on ``<img>``, ``<iframe>`` or ``EventSource``
requests, so when a token is set the API hands out artifact URLs signed with an HMAC of the path
and an expiry (keyed by the token): such a URL opens that one path for GET, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlencode, urlsplit

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

# Run first in every live preview (the WebRTC gap of CSP). Chromium's CSP does not govern WebRTC, so
# a page could send STUN/TURN traffic from the viewer's browser. This script, before any of the
# page's own: removes the WebRTC constructors from the page's window (fixed, not configurable);
# removes every frame, object and embed element as it is inserted (a frame document, e.g. a srcdoc,
# would be a fresh window with its own constructors, and frame documents load in a later task, so
# removal from a mutation observer's microtask always comes first), in shadow roots too; and takes
# away the HTML parsing entry points that build shadow roots without attachShadow. The preview has
# no use for frames: its CSP already lets none load. Generated pages never need WebRTC.
PREVIEW_GUARD = """<script>(() => {
  'use strict';
  const seal = (target, name) => {
    try { Object.defineProperty(target, name, { value: undefined, writable: false, configurable: false }); } catch (e) {}
  };
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(webkit|moz)?RTC|^MediaStreamTrackProcessor$/.test(name)) seal(window, name);
  }
  const FRAMES = 'iframe,frame,object,embed,portal,fencedframe';
  const prune = (root) => {
    if (root.nodeType !== 1 && root.nodeType !== 11) return;
    if (root.nodeType === 1 && root.matches(FRAMES)) { root.remove(); return; }
    for (const el of root.querySelectorAll(FRAMES)) el.remove();
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) prune(node);
  });
  const watch = (root) => observer.observe(root, { childList: true, subtree: true });
  watch(document);
  const attach = Element.prototype.attachShadow;
  Object.defineProperty(Element.prototype, 'attachShadow', {
    value: function (init) { const root = attach.call(this, init); watch(root); return root; },
    writable: false, configurable: false,
  });
  seal(Element.prototype, 'setHTMLUnsafe');
  seal(ShadowRoot.prototype, 'setHTMLUnsafe');
  seal(Document, 'parseHTMLUnsafe');
})();</script>"""

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


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_MAX_EXPIRY_DIGITS = 12


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + _APP_HEADERS})
    await send({"type": "http.response.body", "body": body})


def _host_name(host: str) -> str:
    """``host`` (a Host header or an origin's netloc) without its port, lower case, IPv6 unbracketed."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestOriginGuard:
    """ASGI middleware against the two ways a web page elsewhere reaches a service on loopback.

    - Cross-site requests (CSRF): a state-changing request (POST, PUT, PATCH, DELETE) that a browser
      marks as coming from another site (``Sec-Fetch-Site`` other than ``same-origin``/``none``, or
      an ``Origin`` that is not this host) is refused with 403. Clients that are not browsers (curl,
      the CLI, CI) send neither header and are not affected.
    - DNS rebinding: without an API token, a request whose ``Host`` is not a name the service was
      told it has (loopback, ``REPLICATOR_HOST``, ``REPLICATOR_ALLOWED_HOSTS``) is refused with
      421: a page on evil.example whose name now resolves to 127.0.0.1 still says ``Host:
      evil.example``. With a token, the token is the guard (a rebound page cannot read it).

    Written here rather than with Starlette's TrustedHostMiddleware: both checks share the parsing,
    and a refusal must say which setting to change, in the API's JSON error shape.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: frozenset[str] | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts  # None: any host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and _host_name(host) not in self.allowed_hosts:
            names = ", ".join(sorted(self.allowed_hosts))
            await _refuse(
                send,
                421,
                "host_not_allowed",
                f"This service does not answer to the host name {_host_name(host)!r} (it answers to: "
                f"{names}). Add it to REPLICATOR_ALLOWED_HOSTS, or set REPLICATOR_API_TOKEN.",
            )
            return
        if scope["method"].upper() in _UNSAFE_METHODS and _cross_site(headers, host):
            await _refuse(
                send,
                403,
                "cross_site_request",
                "A page on another site may not change anything here; use this service's own pages, "
                "or a client that is not a browser.",
            )
            return
        await self.app(scope, receive, send)


def _cross_site(headers: dict[str, str], host: str) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    netloc = urlsplit(origin.strip()).netloc.lower()
    return not netloc or netloc != host.strip().lower()


def allowed_host_names(configured: str, bind_host: str, *, token_set: bool) -> frozenset[str] | None:
    """The host names the service answers to; None for any (a token is set, or ``*`` is configured)."""
    names = {name.strip().lower().strip("[]") for name in configured.split(",") if name.strip()}
    if token_set or "*" in names:
        return None
    bind = bind_host.strip().lower().strip("[]")
    if bind and bind not in ("0.0.0.0", "::"):
        names.add(bind)
    return frozenset(names | _LOOPBACK_HOSTS)


class UrlSigner:
    """HMAC-signed, expiring URLs for GET requests to one path."""

    def __init__(self, token: str) -> None:
        self._key = hashlib.sha256(b"replicator signed urls\x00" + token.encode()).digest()

    def query(self, path: str, *, now: float | None = None, expires: int | None = None) -> str:
        """The signature query for ``path``; ``expires``: an expiry to keep (never a later one)."""
        if expires is None:
            expires = int((now if now is not None else time.time()) + SIGNED_URL_TTL_S)
        return urlencode({"exp": expires, "sig": self._mac(path, expires)})

    def verify(self, path: str, expires: str | None, signature: str | None) -> bool:
        if not expires or not signature or not _expiry_like(expires) or int(expires) < time.time():
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

    def sign(self, path: str, *, expires: int | None = None) -> str:
        """``path`` with a signature when auth is on (so a browser element may load it).

        ``expires``: the expiry of the signed link the request came in with; links handed out in
        answer to it expire no later (a leaked link cannot renew itself)."""
        if self.signer is None:
            return path
        return f"{path}?{self.signer.query(path, expires=expires)}"

    def inherited_expiry(self, request: Request) -> int | None:
        """The expiry of the signed URL that authorised ``request`` (None: the bearer token did)."""
        if self.signer is None or _bearer(request) == self.token:
            return None
        expires = request.query_params.get("exp")
        return int(expires) if expires and _expiry_like(expires) else None

    async def __call__(self, request: Request) -> None:
        if self.token is None:
            return
        credentials = _bearer(request)
        if credentials is not None and hmac.compare_digest(credentials.encode(), self.token.encode()):
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


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _expiry_like(value: str) -> bool:
    """A signed URL's ``exp``: ASCII digits of a plausible length (``²`` is a digit to isdigit)."""
    return value.isascii() and value.isdigit() and len(value) <= _MAX_EXPIRY_DIGITS


_HEAD = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(rb"\s*<!doctype[^>]*>", re.IGNORECASE)


def with_guard(html: bytes) -> bytes:
    """``html`` (a sanitized page) with PREVIEW_GUARD as the first thing its document runs."""
    guard = PREVIEW_GUARD.encode()
    match = _HEAD.search(html) or _DOCTYPE.match(html)
    if match is not None:
        return html[: match.end()] + guard + html[match.end() :]
    return guard + html  # neither: the parser puts a leading script into the head it makes
