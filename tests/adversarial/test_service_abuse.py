"""Abuse against `replicator serve` through a logging proxy: hostile design-check bodies (megabytes
of CSS, over the cap, nested past the limit), cross-site writes, foreign host names, framed
requests, absurd numbers and an image too wide to render, all at once, while ``/healthz`` is probed
every 50 ms. Every abuse gets its 4xx (never a 5xx), the service keeps answering, and the figures
(``/healthz`` p50/p99/max, the process tree's peak memory) are printed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest
from PIL import Image

from tests.adversarial.proxy import ProxyLog, logging_proxy
from tests.service_helpers import running_service

pytestmark = pytest.mark.slow


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(out, format="PNG")
    return out.getvalue()


def css_heavy_page(mib: float) -> bytes:
    """A page with ``mib`` MiB of distinct CSS rules: what makes CSS sanitizing slow."""
    rules: list[str] = []
    size = i = 0
    while size < mib * 1048576:
        rules.append(f".a{i} > .b{i % 997}:hover {{ color: #{i % 4096:03x}; margin: {i % 89}px }}\n")
        size += len(rules[-1])
        i += 1
    return f"<html><head><style>{''.join(rules)}</style></head><body><h1>Hi</h1></body></html>".encode()


def nested_page(levels: int) -> bytes:
    return ("<html><body>" + "<div>" * levels + "deep" + "</div>" * levels + "</body></html>").encode()


def tree_rss(pid: int) -> int:
    total = 0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@pytest.fixture(scope="module")
def proxied_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ProxyLog, int]]:
    workdir = tmp_path_factory.mktemp("abuse")
    with running_service(workdir, REPLICATOR_BACKEND="local", REPLICATOR_CPU_WORKERS="2") as (process, base):
        deadline = time.monotonic() + 120
        while httpx.get(f"{base}/api/v1/readyz", timeout=30).status_code != 200:  # warm: OCR loaded
            assert time.monotonic() < deadline, "the service never became ready"
            time.sleep(0.5)
        with logging_proxy(base) as (proxied, log):
            yield proxied, log, process.pid


async def test_abuse_gets_4xx_and_the_service_keeps_answering(
    proxied_service: tuple[str, ProxyLog, int], figures: dict[str, str]
) -> None:
    base, log, pid = proxied_service
    design = png(800, 600)
    health: list[float] = []
    health_statuses: list[int] = []
    peak = 0
    done = asyncio.Event()

    def check(html: bytes) -> dict[str, Any]:
        return {
            "files": {
                "design": ("design.png", design, "image/png"),
                "implementation": ("page.html", html, "text/html"),
            }
        }

    async with httpx.AsyncClient(
        base_url=base, timeout=600, limits=httpx.Limits(max_connections=32)
    ) as client:
        job = (
            await client.post("/api/v1/replications", files={"file": ("a.png", png(400, 300), "image/png")})
        ).json()
        abuses: dict[str, tuple[set[int], Any]] = {
            "css 1 MiB #1": ({200}, client.post("/api/v1/checks", **check(css_heavy_page(1.0)))),
            "css 1 MiB #2": ({200}, client.post("/api/v1/checks", **check(css_heavy_page(1.0)))),
            "html over the cap #1": ({413}, client.post("/api/v1/checks", **check(css_heavy_page(5.2)))),
            "html over the cap #2": ({413}, client.post("/api/v1/checks", **check(css_heavy_page(5.2)))),
            "nested 20,000 deep": ({413, 422}, client.post("/api/v1/checks", **check(nested_page(20_000)))),
            "image 40000 px wide": (
                {413, 422},
                client.post("/api/v1/replications", files={"file": ("w.png", png(40_000, 100), "image/png")}),
            ),
            "cross-site write": (
                {403},
                client.post(
                    "/api/v1/replications",
                    headers={"Origin": "https://evil.example"},
                    files={"file": ("a.png", design, "image/png")},
                ),
            ),
            "cross-site cancel": (
                {403},
                client.post(
                    f"/api/v1/replications/{job['id']}/cancel", headers={"Sec-Fetch-Site": "cross-site"}
                ),
            ),
            "foreign host name": (
                {421},
                client.get("/api/v1/replications", headers={"Host": "evil.example"}),
            ),
            "framed API request": (
                {403},
                client.get("/api/v1/replications", headers={"Sec-Fetch-Dest": "iframe"}),
            ),
            "offset 10^19": (
                {400, 422},
                client.get("/api/v1/replications", params={"offset": "1" + "0" * 19}),
            ),
            "Last-Event-ID ²": (
                {400, 422},
                client.get(f"/api/v1/replications/{job['id']}/events", headers={"Last-Event-ID": b"\xb2"}),
            ),
        }

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                response = await client.get("/api/v1/healthz")
                health.append((time.perf_counter() - started) * 1000)
                health_statuses.append(response.status_code)
                await asyncio.sleep(0.05)

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, await asyncio.to_thread(tree_rss, pid))
                await asyncio.sleep(0.1)

        watchers = [asyncio.create_task(probe()), asyncio.create_task(sample())]
        started = time.perf_counter()
        answers = await asyncio.gather(*(request for _, request in abuses.values()))
        wall = time.perf_counter() - started
        done.set()
        await asyncio.gather(*watchers)

    statuses = {name: answer.status_code for name, answer in zip(abuses, answers, strict=True)}
    figures["service: /healthz during abuse (p50 / p99 / max)"] = (
        f"{percentile(health, 50):.0f} / {percentile(health, 99):.0f} / {max(health):.0f} ms over {len(health)} probes, {wall:.0f} s"
    )
    figures["service: peak RSS of the process tree"] = f"{peak >> 20} MiB"
    figures["service: answers"] = ", ".join(f"{name}={status}" for name, status in statuses.items())
    wrong = {name: status for name, status in statuses.items() if status not in abuses[name][0]}
    assert not wrong, wrong
    for name, answer in zip(abuses, answers, strict=True):
        if answer.status_code >= 400:
            assert answer.json()["error"]["code"], name  # the API's error shape, not a stack trace
    assert set(health_statuses) == {200}
    server_errors = [e for e in log.snapshot() if e.status >= 500]
    assert not server_errors, server_errors
    assert len(log.snapshot()) >= len(abuses) + len(health)  # everything went through the proxy
    assert httpx.get(f"{base}/api/v1/readyz", timeout=30).status_code == 200
