"""A generated page in the live preview tries to lead its frame elsewhere, in Debian's full Chromium.

The preview is framed by the app (``frame-src 'self'``), so a navigation to another host is refused,
but only after the browser has looked the host up and opened a connection to it: a leak of the
viewer's address and of whatever the page puts in the host name. The guard that runs first in every
preview cancels each way a page can start such a navigation that a page can intercept. Each way
below gets its own canary port; the same pages without the guard show the canaries are not deaf.

Served here by a small loopback server with the service's own headers, policies and sanitizer, so
the guard can be left out for the control."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser

from replicator.sanitize import Sanitizer
from replicator.service.security import APP_CSP, PREVIEW_CSP, PREVIEW_HEADERS, with_guard
from tests.plugins.browser import running_canary

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sanitizer(tmp_path_factory: pytest.TempPathFactory) -> Sanitizer:
    return Sanitizer(ROOT / "node_modules", cache_dir=tmp_path_factory.mktemp("assets"))


# name -> (markup, script run 300 ms after load); OUT is the vector's canary origin.
VECTORS: dict[str, tuple[str, str]] = {
    "link_click": ('<a id="l" href="OUT/click">next</a>', "document.getElementById('l').click();"),
    "dispatched_click": (
        '<a id="l" href="OUT/dispatch"><span id="s">next</span></a>',
        "document.getElementById('s').dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));",
    ),
    "svg_link": (
        '<svg width="40" height="40"><a href="OUT/svg"><rect id="r" width="40" height="40"/></a></svg>',
        "document.getElementById('r').dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));",
    ),
    "closed_shadow_link": (
        '<div id="h"></div>',
        "const root = document.getElementById('h').attachShadow({mode: 'closed'});"
        "root.innerHTML = '<a href=\"OUT/shadow\">x</a>'; root.querySelector('a').click();",
    ),
    "uncancelable_click": (
        '<a id="l" href="OUT/uncancelable">next</a>',
        # preventDefault cannot stop this one, and the link still follows it.
        "document.getElementById('l').dispatchEvent(new MouseEvent('click', {bubbles: true}));",
    ),
    "declarative_closed_shadow": (
        '<div><template shadowrootmode="closed"><a id="d" href="OUT/dsd">x</a></template></div>',
        "const host = document.querySelector('div'); const root = host.shadowRoot;"
        "(root ? root.getElementById('d') : host).dispatchEvent(new MouseEvent('click', {bubbles: true, composed: true}));"
        "if (root) root.getElementById('d').click();",
    ),
    "patched_builtins": (
        '<a id="l" href="OUT/patched">next</a>',
        # Blind a guard that looks its tools up late: every method it could call, replaced.
        "Event.prototype.preventDefault = function () {};"
        "Event.prototype.composedPath = function () { return []; };"
        "Object.defineProperty(Element, Symbol.hasInstance, {value: () => false});"
        "Function.prototype.call = function () {}; Function.prototype.apply = function () {};"
        "Map.prototype.get = function () {}; Element.prototype.getAttribute = function () { return null; };"
        "String.prototype.indexOf = function () { return -1; };"
        "HTMLElement.prototype.click.bind(document.getElementById('l'))();",
    ),
    "meta_refresh": (
        "",
        "const m = document.createElement('meta'); m.httpEquiv = 'refresh';"
        "m.content = '0;url=OUT/refresh'; document.head.append(m);",
    ),
    "window_open_self": ("", "window.open('OUT/open', '_self');"),
    "document_open_3": ("", "document.open('OUT/docopen', '_self', '');"),
    "navigation_navigate": ("", "navigation.navigate('OUT/navigate');"),
    "srcdoc_frame_link": (
        "",
        "const f = document.createElement('iframe');"
        "f.srcdoc = '<a id=l href=\"OUT/srcdoc\" target=_top>x</a><scr' + 'ipt>document.getElementById(\"l\").click()</scr' + 'ipt>';"
        "document.body.append(f);",
    ),
    "form_submit": (
        '<form id="f"><input name=q value=1></form>',
        "const f = document.getElementById('f'); f.action = 'OUT/form'; f.submit();",
    ),
}
# Ways that lead out without the guard (the control): each must reach its canary then.
LEAKS_WITHOUT_GUARD = {
    "link_click",
    "dispatched_click",
    "svg_link",
    "closed_shadow_link",
    "declarative_closed_shadow",
    "patched_builtins",
    "meta_refresh",
    "window_open_self",
    "document_open_3",
    "navigation_navigate",
    "uncancelable_click",
}


def preview_page(sanitizer: Sanitizer, name: str, origin: str) -> str:
    markup, script = VECTORS[name]
    body = (
        f"<h1 id='top'>{name}</h1>{markup.replace('OUT', origin)}"
        "<p><a id='hash' href='#part-2'>part 2</a></p><h2 id='part-2'>Part 2</h2>"
        f"<script>setTimeout(() => {{ {script.replace('OUT', origin)} }}, 300);</script>"
    )
    page = sanitizer.sanitize(
        f"<!DOCTYPE html><html><head><title>{name}</title></head><body>{body}</body></html>", "interactive"
    )
    return page.html


@contextlib.contextmanager
def preview_server(pages: dict[str, str]) -> Iterator[str]:
    """/parent?v=NAME&guard=0|1 frames /preview?v=NAME&guard=..., with the service's headers."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/parent":
                body = (
                    "<!DOCTYPE html><title>parent</title>"
                    f'<iframe id="live" src="/preview?{url.query}" sandbox="allow-scripts" '
                    'referrerpolicy="no-referrer" width="800" height="600"></iframe>'
                ).encode()
                headers = {"Content-Security-Policy": APP_CSP}
            elif url.path == "/preview" and query.get("v") in pages:
                html = pages[query["v"]].encode()
                body = with_guard(html) if query.get("guard") == "1" else html
                headers = {**PREVIEW_HEADERS, "Content-Security-Policy": PREVIEW_CSP}
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def run_vectors(browser: Browser, base: str, guard: bool) -> dict[str, str]:
    """Loads every vector's parent page at once; answers each preview's location afterwards."""
    context = await browser.new_context(viewport={"width": 900, "height": 700})
    try:
        pages = []
        for name in VECTORS:
            page = await context.new_page()
            await page.goto(f"{base}/parent?v={name}&guard={int(guard)}")
            pages.append((name, page))
        await asyncio.sleep(2.5)
        where = {}
        for name, page in pages:
            frame = page.frame_locator("#live")
            with contextlib.suppress(Exception):
                where[name] = await frame.locator("h1").inner_text(timeout=2000)
        return where
    finally:
        await context.close()


async def test_the_preview_guard_keeps_every_interceptable_navigation_off_the_network(
    full_chromium: Browser, sanitizer: Sanitizer, figures: dict[str, str]
) -> None:
    with contextlib.ExitStack() as stack:
        guarded = {name: stack.enter_context(running_canary()) for name in VECTORS}
        unguarded = {name: stack.enter_context(running_canary()) for name in VECTORS}
        pages = {f"{name}": preview_page(sanitizer, name, guarded[name].url) for name in VECTORS}
        control_pages = {f"{name}": preview_page(sanitizer, name, unguarded[name].url) for name in VECTORS}
        base = stack.enter_context(preview_server(pages))
        control_base = stack.enter_context(preview_server(control_pages))

        stayed = await run_vectors(full_chromium, base, guard=True)
        await run_vectors(full_chromium, control_base, guard=False)
        await asyncio.sleep(0.5)

        hits = {name: canary.hits for name, canary in guarded.items()}
        control = {name: canary.hits for name, canary in unguarded.items()}
        figures["preview: canary hits, guarded (all ways)"] = str(sum(hits.values()))
        figures["preview: canary hits, unguarded control"] = ", ".join(f"{k}={v}" for k, v in control.items())
        assert hits == {name: 0 for name in VECTORS}, hits
        assert stayed == {name: name for name in VECTORS}, stayed  # every preview still shows its page
        deaf = sorted(name for name in LEAKS_WITHOUT_GUARD if control[name] == 0)
        assert not deaf, (
            f"without the guard these reached nothing, so the test proves nothing for them: {deaf}"
        )


async def test_a_person_clicking_links_stays_in_the_preview_and_fragments_still_work(
    full_chromium: Browser, sanitizer: Sanitizer
) -> None:
    """Real mouse clicks: on a link to another host, on one inside a shadow root declared closed in
    the markup (a closed root would hide the link from the guard: the sanitizer opens it), and on a
    same-document #fragment link, which must still scroll to its section."""
    with running_canary() as canary:
        body = (
            f'<a id="out" href="{canary.url}/out" style="display:block;height:40px">out</a>'
            '<div id="host" style="height:40px"><template shadowrootmode="closed">'
            f'<a href="{canary.url}/dsd" style="display:block;height:40px">inside</a></template></div>'
            "<a id='hash' href='#part-2' style='display:block;height:40px'>part 2</a>"
            "<div style='height:2000px'></div><h2 id='part-2'>Part 2</h2>"
        )
        html = sanitizer.sanitize(f"<!DOCTYPE html><html><body>{body}</body></html>", "interactive").html
        with preview_server({"clicks": html}) as base:
            context = await full_chromium.new_context()
            page = await context.new_page()
            await page.goto(f"{base}/parent?v=clicks&guard=1")
            frame = page.frame_locator("#live")
            await frame.locator("#hash").wait_for()
            for target in ("#out", "#host"):
                box = await frame.locator(target).bounding_box()
                assert box is not None
                await page.mouse.click(box["x"] + 10, box["y"] + 10)
            await frame.locator("#hash").click(timeout=5000)  # times out if the frame left
            await asyncio.sleep(0.8)
            inner = page.frames[1]
            assert await inner.evaluate("location.hash") == "#part-2"
            assert await inner.evaluate("scrollY") > 1000
            await context.close()
        assert canary.hits == 0, canary.paths()


async def test_assigning_location_is_stopped_by_the_frame_policy(
    full_chromium: Browser, sanitizer: Sanitizer, figures: dict[str, str]
) -> None:
    """What the guard cannot intercept (``location`` is unforgeable): the parent's frame-src still
    refuses the navigation, so no request is sent; the browser has looked the host up and may
    have opened a bare connection first (the README says so)."""
    with running_canary() as canary:
        html = sanitizer.sanitize(
            f"<!DOCTYPE html><h1>stays</h1><script>setTimeout(() => {{ location.href = '{canary.url}/assigned'; }}, 200);</script>",
            "interactive",
        ).html
        with preview_server({"assign": html}) as base:
            context = await full_chromium.new_context()
            page = await context.new_page()
            await page.goto(f"{base}/parent?v=assign&guard=1")
            await asyncio.sleep(1.5)
            await context.close()
        figures["preview: location assignment (known hole)"] = (
            f"{canary.connections} bare connection(s), {len(canary.requests)} request(s)"
        )
        assert canary.requests == []
