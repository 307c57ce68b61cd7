"""Abuse: does `replicator serve` keep answering while design checks are fed hostile HTML?

Starts the service on 127.0.0.1 (ephemeral port, private data dir, local backend), then sends
``--concurrent`` design checks at once whose implementation is a page with megabytes of CSS, in two
rounds: bodies over the check's HTML cap (refused with 413) and bodies just under it (sanitized, in
CPU workers, then rendered and scored). Meanwhile ``/healthz`` is probed every 50 ms and the
resident memory of the whole process tree (the service, its CPU workers, Chromium) is sampled.

Target: ``/healthz`` p99 under 100 ms during the abuse. Prints p50/p99/max of ``/healthz``, the
tree's peak RSS, and how each round's checks ended.

    python bench/abuse.py [--concurrent 8] [--mib 5] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from PIL import Image
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service import percentile, start_service

CAP_MIB = 5.0  # replicator.check.MAX_CHECK_HTML_BYTES


def hostile_page(mib: float) -> bytes:
    """A page whose stylesheet is ``mib`` MiB of distinct rules (what makes CSS sanitizing slow)."""
    rules: list[str] = []
    size = 0
    i = 0
    while size < mib * 1048576:
        rule = f".r{i} > .c{i % 977}:hover {{ color: #{i % 4096:03x}; margin: {i % 97}px {i % 13}em }}\n"
        rules.append(rule)
        size += len(rule)
        i += 1
    return f"<html><head><style>{''.join(rules)}</style></head><body><h1>Hi</h1></body></html>".encode()


def design_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (250, 250, 250)).save(out, format="PNG")
    return out.getvalue()


def tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


async def abuse_round(base: str, pid: int, concurrent: int, body: bytes) -> dict[str, Any]:
    health: list[float] = []
    peak = 0
    done = asyncio.Event()
    design = design_png()
    limits = httpx.Limits(max_connections=concurrent + 4)
    async with httpx.AsyncClient(base_url=base, timeout=900, limits=limits) as client:

        async def check() -> int:
            files = {
                "design": ("design.png", design, "image/png"),
                "implementation": ("page.html", body, "text/html"),
            }
            response = await client.post("/api/v1/checks", files=files, data={"threshold": "10"})
            return response.status_code

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await client.get("/api/v1/healthz")
                health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.05)

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, await asyncio.to_thread(tree_rss, pid))
                await asyncio.sleep(0.1)

        watchers = [asyncio.create_task(probe()), asyncio.create_task(sample())]
        started = time.perf_counter()
        statuses = await asyncio.gather(*(check() for _ in range(concurrent)))
        wall = time.perf_counter() - started
        done.set()
        await asyncio.gather(*watchers)
    return {
        "body_mib": round(len(body) / 1048576, 2),
        "statuses": sorted(statuses),
        "wall_s": round(wall, 1),
        "healthz_p50_ms": round(percentile(health, 50), 1),
        "healthz_p99_ms": round(percentile(health, 99), 1),
        "healthz_max_ms": round(max(health), 1) if health else float("nan"),
        "healthz_probes": len(health),
        "peak_tree_rss_mib": round(peak / 1048576),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrent", type=int, default=8, help="checks sent at once (default 8)")
    parser.add_argument("--mib", type=float, default=CAP_MIB, help="CSS per hostile body (default 5)")
    parser.add_argument("--quick", action="store_true", help="4 checks; 1 MiB bodies under the cap")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    concurrent = 4 if args.quick else args.concurrent
    under_mib = 1.0 if args.quick else CAP_MIB - 0.3

    with tempfile.TemporaryDirectory(prefix="replicator-abuse-") as tmp:
        process, base = start_service(Path(tmp), 2, {"REPLICATOR_BACKEND": "local"})
        try:
            # Ready means warmed: the first check should not pay for loading OCR models.
            deadline = time.monotonic() + 120
            while httpx.get(f"{base}/api/v1/readyz", timeout=30).status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("the service never became ready")
                time.sleep(0.5)
            rss_idle = tree_rss(process.pid)
            rounds = {
                "over_cap": asyncio.run(
                    abuse_round(base, process.pid, concurrent, hostile_page(max(args.mib, CAP_MIB + 0.1)))
                ),
                "under_cap": asyncio.run(abuse_round(base, process.pid, concurrent, hostile_page(under_mib))),
            }
        finally:
            process.terminate()
            process.wait(timeout=30)
    worst = max(r["healthz_p99_ms"] for r in rounds.values())
    result = {
        "concurrent": concurrent,
        "idle_tree_rss_mib": round(rss_idle / 1048576),
        "rounds": rounds,
        "summary": {
            "healthz_p99_ms": worst,
            "peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in rounds.values()),
        },
        "target": {"healthz_p99_ms": 100},
    }
    if args.json:
        print(json.dumps(result))
        return 0
    table = Table(
        title=f"abuse: {concurrent} design checks at once, hostile CSS; /healthz probed every 50 ms"
    )
    for column in ("round", "body MiB", "answers", "wall s", "healthz p50", "p99", "max ms", "peak RSS MiB"):
        table.add_column(column, justify="right")
    for name, r in rounds.items():
        table.add_row(
            name,
            f"{r['body_mib']}",
            " ".join(str(s) for s in sorted(set(r["statuses"]))),
            f"{r['wall_s']}",
            f"{r['healthz_p50_ms']}",
            f"{r['healthz_p99_ms']}",
            f"{r['healthz_max_ms']}",
            f"{r['peak_tree_rss_mib']}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"idle process tree {result['idle_tree_rss_mib']} MiB; target: /healthz p99 < 100 ms (worst {worst} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
