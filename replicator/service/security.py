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

# Runs first in every live preview, before any of the page's own scripts, for what CSP does not
# govern in Chromium:
# 1. WebRTC: the RTC constructors are removed from the page's window (fixed, not configurable).
# 2. Frames: every frame, object and embed element is removed as it is inserted (a frame document,
#    e.g. a srcdoc one, would be a fresh window with fresh constructors; frame documents load in a
#    later task, so removal from a mutation observer's microtask always comes first), in shadow roots
#    too, and the parsing entry points that build shadow roots without attachShadow are taken away.
# 3. Leaving the document: the browser looks a navigation's host up (DNS, and a bare TCP
#    preconnect) before the parent's frame-src refuses it, so a click on a link to another document
#    is cancelled, a meta refresh is stopped and removed, and window.open, navigation.navigate and
#    document.open are sealed. Assigning ``location`` cannot be intercepted from a page; the
#    README's security section says what that leaves.
# The guard takes every built-in it uses later at its start, so a page that replaces prototype
# methods cannot blind it. The preview has no use for frames (its CSP lets none load) or WebRTC.
PREVIEW_GUARD = """<script>(() => {
  'use strict';
  // Everything this guard calls later is taken now, before any script of the page runs: the page
  // may replace prototype methods (Function.prototype.call, Element.prototype.remove, iterators,
  // Event.prototype.preventDefault...) to blind a guard that looked them up when it needed them.
  const apply = Reflect.apply;
  const define = Object.defineProperty;
  const describe = Object.getOwnPropertyDescriptor;
  const getter = (proto, name) => describe(proto, name).get;
  const call = (fn, self, ...args) => apply(fn, self, args);
  const seal = (target, name, value) => {
    try { define(target, name, { value, writable: false, configurable: false }); } catch (e) {}
  };
  const refuse = (what) => function () { throw new TypeError(what + ' is not available in the preview'); };
  const nodeType = getter(Node.prototype, 'nodeType');
  const localName = getter(Element.prototype, 'localName');
  const shadowOf = getter(Element.prototype, 'shadowRoot');
  const matches = Element.prototype.matches;
  const removeNode = Element.prototype.remove;
  const hasAttribute = Element.prototype.hasAttribute;
  const getAttribute = Element.prototype.getAttribute;
  const getAttributeNS = Element.prototype.getAttributeNS;
  const setAttribute = Element.prototype.setAttribute;
  const setAttributeNS = Element.prototype.setAttributeNS;
  const removeAttribute = Element.prototype.removeAttribute;
  const removeAttributeNS = Element.prototype.removeAttributeNS;
  const cancelable = getter(Event.prototype, 'cancelable');
  const later = setTimeout;
  const selectElements = Element.prototype.querySelectorAll;
  const selectDocument = Document.prototype.querySelectorAll;
  const selectFragment = DocumentFragment.prototype.querySelectorAll;
  const listLength = getter(NodeList.prototype, 'length');
  const listItem = NodeList.prototype.item;
  const addedNodes = getter(MutationRecord.prototype, 'addedNodes');
  const observe = MutationObserver.prototype.observe;
  const listen = EventTarget.prototype.addEventListener;
  const composedPath = Event.prototype.composedPath;
  const preventDefault = Event.prototype.preventDefault;
  const attach = Element.prototype.attachShadow;
  const write = Document.prototype.write;
  const writeln = Document.prototype.writeln;
  const readyState = getter(Document.prototype, 'readyState');
  const stop = window.stop;
  const MakeURL = URL;
  const urlHref = getter(URL.prototype, 'href');
  const indexOf = String.prototype.indexOf;
  const slice = String.prototype.slice;
  const toLower = String.prototype.toLowerCase;
  const trim = String.prototype.trim;
  const XLINK = 'http://www.w3.org/1999/xlink';

  // 1. No WebRTC (CSP does not govern it in Chromium): the constructors are sealed to undefined.
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(webkit|moz)?RTC|^MediaStreamTrackProcessor$/.test(name)) seal(window, name, undefined);
  }

  // 2. No frames: a frame document (a srcdoc one) would be a fresh window with fresh constructors.
  // Frame documents load a task later, so removing every frame, object and embed from a mutation
  // observer's microtask always comes first; shadow roots are watched as they appear (made by
  // attachShadow or declared in the markup). A scheduled meta refresh, which can lead the frame
  // elsewhere, is removed and cancelled (window.stop) the same way.
  const FRAMES = 'iframe,frame,object,embed,portal,fencedframe,meta';
  let watch;
  const inspect = (el) => {
    if (call(matches, el, FRAMES)) {
      if (call(localName, el) === 'meta') {
        const equiv = call(getAttribute, el, 'http-equiv');
        if (equiv === null || call(toLower, call(trim, equiv)) !== 'refresh') return;
        call(stop, window);
      }
      call(removeNode, el);
      return;
    }
    const root = call(shadowOf, el);
    if (root) { watch(root); prune(root); }
  };
  const prune = (root) => {
    const type = call(nodeType, root);
    if (type === 1) inspect(root);
    const select = type === 1 ? selectElements : type === 9 ? selectDocument : type === 11 ? selectFragment : null;
    if (select === null) return;
    const found = call(select, root, '*');
    for (let i = call(listLength, found) - 1; i >= 0; i -= 1) inspect(call(listItem, found, i));
  };
  const observer = new MutationObserver((records) => {
    for (let r = 0; r < records.length; r += 1) {
      const nodes = call(addedNodes, records[r]);
      for (let i = 0; i < call(listLength, nodes); i += 1) prune(call(listItem, nodes, i));
    }
  });
  watch = (root) => call(observe, observer, root, { childList: true, subtree: true });
  watch(document);
  seal(Element.prototype, 'attachShadow', function (init) {
    const root = call(attach, this, init);
    watch(root);
    call(listen, root, 'click', onClick, true);  // a closed root hides its links from the window
    return root;
  });
  // Entry points that parse markup into shadow roots without attachShadow, or replace the document
  // (which would also erase this guard's listeners).
  seal(Element.prototype, 'setHTMLUnsafe', undefined);
  seal(ShadowRoot.prototype, 'setHTMLUnsafe', undefined);
  seal(Element.prototype, 'setHTML', undefined);
  seal(ShadowRoot.prototype, 'setHTML', undefined);
  seal(Document, 'parseHTMLUnsafe', undefined);
  seal(Document, 'parseHTML', undefined);
  seal(Document.prototype, 'open', refuse('document.open'));
  let written = '';
  const guardedWrite = (original) => function (...parts) {
    if (call(readyState, document) !== 'loading') throw new TypeError('document.write after the page has loaded is not available in the preview');
    let text = '';
    for (let i = 0; i < parts.length; i += 1) text += `${parts[i]}`;  // once: a part's toString may change
    const tail = call(toLower, call(slice, written + text, -4096));
    if (call(indexOf, tail, 'shadowroot') >= 0) throw new TypeError('declarative shadow roots are not available to document.write in the preview');
    written = call(slice, tail, -32);
    return apply(original, this, [text]);
  };
  seal(Document.prototype, 'write', guardedWrite(write));
  seal(Document.prototype, 'writeln', guardedWrite(writeln));

  // 3. No leaving the document: a click on a link to another document (a tap, Enter, a script's
  // click()) is cancelled before the browser looks the target up; same-document #fragments work.
  // window.open and navigation.navigate are sealed. (Assigning location cannot be intercepted;
  // the frame's policy still stops that navigation, after the browser's lookup: see the README.)
  const isElement = (node) => { try { return call(nodeType, node) === 1; } catch (e) { return false; } };
  const here = () => { const h = location.href; const cut = call(indexOf, h, '#'); return cut < 0 ? h : call(slice, h, 0, cut); };
  const leaves = (link) => {
    let raw = call(getAttribute, link, 'href');
    if (raw === null) raw = call(getAttributeNS, link, XLINK, 'href');
    if (raw === null) return false;
    let target;
    try { target = call(urlHref, new MakeURL(raw, location.href)); } catch (e) { return true; }
    const cut = call(indexOf, target, '#');
    return cut < 0 || call(slice, target, 0, cut) !== here();
  };
  // A script may dispatch a click that cannot be cancelled, and a link still follows it: the link
  // loses its address until the next task (its activation looks the address up after the dispatch).
  const disarm = (link) => {
    const plain = call(getAttribute, link, 'href');
    const xlink = call(getAttributeNS, link, XLINK, 'href');
    call(removeAttribute, link, 'href');
    call(removeAttributeNS, link, XLINK, 'href');
    call(later, window, () => {
      if (plain !== null) call(setAttribute, link, 'href', plain);
      if (xlink !== null) call(setAttributeNS, link, XLINK, 'xlink:href', xlink);
    }, 0);
  };
  function onClick(event) {
    const path = call(composedPath, event);
    for (let i = 0; i < path.length; i += 1) {
      const node = path[i];
      if (!isElement(node)) continue;  // not instanceof: the page may redefine Element[Symbol.hasInstance]
      const name = call(localName, node);
      if ((name === 'a' || name === 'area') && (call(hasAttribute, node, 'href') || call(getAttributeNS, node, XLINK, 'href') !== null)) {
        if (leaves(node)) {
          call(preventDefault, event);
          if (!call(cancelable, event)) disarm(node);
        }
        return;
      }
    }
  }
  call(listen, window, 'click', onClick, true);
  call(listen, window, 'auxclick', onClick, true);
  seal(window, 'open', () => null);
  if (typeof Navigation === 'function') seal(Navigation.prototype, 'navigate', refuse('navigation.navigate'));
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
# Requests for a document to show inside another (Sec-Fetch-Dest). Only the live preview is ever
# framed; any other framed request is a generated page leading its frame to one of our URLs.
_FRAMED_DESTS = frozenset({"iframe", "frame", "embed", "object", "fencedframe"})
_PREVIEW_PATH = re.compile(r"/api/v1/replications/[^/]+/preview")
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
    """ASGI middleware against the ways a web page elsewhere reaches a service on loopback.

    - Cross-site requests (CSRF): a state-changing request (POST, PUT, PATCH, DELETE) that a browser
      marks as coming from another site (``Sec-Fetch-Site`` other than ``same-origin``/``none``, or
      an ``Origin`` that is not this host) is refused with 403. Clients that are not browsers (curl,
      the CLI, CI) send neither header and are not affected.
    - DNS rebinding: without an API token, a request whose ``Host`` is not a name the service was
      told it has (loopback, ``REPLICATOR_HOST``, ``REPLICATOR_ALLOWED_HOSTS``) is refused with
      421: a page on evil.example whose name now resolves to 127.0.0.1 still says ``Host:
      evil.example``. With a token, the token is the guard (a rebound page cannot read it).

    - Framing: a request for a framed document (``Sec-Fetch-Dest`` iframe, frame, embed, object)
      to anything but the live preview is refused with 403 before any work: the preview's page may
      lead its own frame to our API (the parent's ``frame-src 'self'`` allows it), and nothing of
      ours is meant to be shown in a frame (``frame-ancestors 'none'`` would hide the answer, but
      the request would already have run).

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
        dest = headers.get("sec-fetch-dest", "").strip().lower()
        if dest in _FRAMED_DESTS and not _PREVIEW_PATH.fullmatch(scope.get("path", "")):
            await _refuse(
                send,
                403,
                "framed_request",
                "Only the live preview is shown in a frame; open this address as a page of its own.",
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
