"""pytest fixtures: the session's sealed browser pool and a loopback canary HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
import pytest_asyncio
from playwright.async_api import Browser

from replicator.config import Settings
from replicator.render import SealedBrowserPool
from tests.service_helpers import launched_chromium


def browser_settings(**overrides: object) -> Settings:
    """Settings for browser tests, isolated from the developer's environment and .env file."""
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser_pool() -> AsyncIterator[SealedBrowserPool]:
    """One warm SealedBrowserPool for the whole test session (default deadlines)."""
    pool = SealedBrowserPool(browser_settings())
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class CanaryRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Canary:
    """A loopback HTTP server that records every connection and request it receives."""

    host: str
    port: int
    requests: list[CanaryRequest] = field(default_factory=list)
    connections: int = 0
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def hits(self) -> int:
        """Connections plus requests: a preconnect opens a connection without a request."""
        with self._lock:
            return self.connections + len(self.requests)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def serve(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
        """Answer ``path`` with ``body`` (every other path gets a short text answer)."""
        self.pages[path] = (content_type, body.encode() if isinstance(body, str) else body)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.connections = 0


def _canary_handler(canary: Canary) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Any method at all, WebSocket upgrades included, is recorded and answered with 200.
        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                return
            with canary._lock:
                canary.requests.append(CanaryRequest(self.command, self.path, dict(self.headers.items())))
            length = int(self.headers.get("Content-Length") or 0)
            if 0 < length <= 1_000_000:
                self.rfile.read(length)
            content_type, body = canary.pages.get(self.path.split("?")[0], ("text/plain", b"canary"))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    return Handler


class _CanaryServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, canary: Canary) -> None:
        self.canary = canary
        super().__init__((canary.host, 0), _canary_handler(canary))

    def verify_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> bool:
        with self.canary._lock:
            self.canary.connections += 1
        return True


@pytest.fixture
def canary_server() -> Iterator[Canary]:
    """A loopback HTTP server on 127.0.0.1 (ephemeral port) counting everything it receives."""
    with running_canary() as canary:
        yield canary


@contextlib.contextmanager
def running_canary() -> Iterator[Canary]:
    """A Canary serving on 127.0.0.1 (ephemeral port) until the block ends."""
    canary = Canary(host="127.0.0.1", port=0)
    server = _CanaryServer(canary)
    canary.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield canary
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest_asyncio.fixture(scope="module")
async def full_chromium() -> AsyncIterator[Browser]:
    """Debian's full Chromium, as a user's browser: the headless shell the renderer uses is built
    without WebRTC, so a test of what a page does in the viewer's browser needs the full one."""
    path = shutil.which("chromium")
    assert path, "Debian's chromium package is missing (make setup installs it)"
    async with launched_chromium(path) as browser:
        yield browser


# --- the processes of a pool's Chromium ----------------------------------------------------------


def chromium_browser_pids() -> set[int]:
    """Chromium browser processes (not renderers or helpers) started by this test process."""
    found = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            cmdline = proc.cmdline()
        except psutil.Error:
            continue
        if cmdline and "chrom" in Path(cmdline[0]).name and not any(a.startswith("--type=") for a in cmdline):
            found.add(proc.pid)
    return found


async def new_browser_pid(before: set[int]) -> int:
    """The one browser this test's pool started. Waits a little: a browser of an earlier test may
    still be exiting (a recycled or crashed one), and only one new live browser is ours."""
    new: set[int] = set()
    for _ in range(50):
        new = {p for p in chromium_browser_pids() - before if _alive(p)}
        if len(new) == 1:
            return new.pop()
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected one new Chromium browser process, found {sorted(new)}")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def renderer_pids(browser_pid: int) -> set[int]:
    try:
        children = psutil.Process(browser_pid).children(recursive=True)
    except psutil.Error:
        return set()
    pids = set()
    for proc in children:
        try:
            if "--type=renderer" in proc.cmdline():
                pids.add(proc.pid)
        except psutil.Error:
            continue
    return pids
