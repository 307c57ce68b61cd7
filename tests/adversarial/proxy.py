"""A logging reverse proxy for the adversarial suite: every request that reaches the app goes through
it, and it records what the app was asked and answered (method, path, the browser's Sec-Fetch-*
headers, status, time). An ASGI app forwarding with httpx, streamed both ways (SSE included), served
by uvicorn on loopback in a thread of its own."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.service_helpers import free_port

# Hop-by-hop headers (RFC 9110, 7.6.1) are the proxy's own, not forwarded.
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Exchange:
    method: str
    path: str
    fetch_dest: str | None
    fetch_site: str | None
    status: int
    ms: float


@dataclass
class ProxyLog:
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)


def proxy_app(upstream: str, log: ProxyLog) -> ASGIApp:
    client = httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(600.0, connect=10.0))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        request = Request(scope, receive)
        started = time.perf_counter()
        headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1").lower() not in _HOP]
        outgoing = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query.encode(),
            headers=headers,
            content=request.stream(),
        )
        answer = await client.send(outgoing, stream=True)
        log.add(
            Exchange(
                request.method,
                request.url.path,
                request.headers.get("sec-fetch-dest"),
                request.headers.get("sec-fetch-site"),
                answer.status_code,
                (time.perf_counter() - started) * 1000,
            )
        )
        response = StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers={k: v for k, v in answer.headers.items() if k.lower() not in _HOP | {"content-length"}},
            background=BackgroundTask(answer.aclose),
        )
        await response(scope, receive, send)

    return app


@contextlib.contextmanager
def logging_proxy(upstream: str) -> Iterator[tuple[str, ProxyLog]]:
    """(proxy base URL, its log) for a proxy in front of ``upstream``, until the block ends."""
    log = ProxyLog()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(proxy_app(upstream, log), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the logging proxy did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.should_exit = True
        thread.join(timeout=20)
