"""Render latency and throughput: each fixture page rendered N times by a warm SealedBrowserPool.

Prints, per page, the median and p95 milliseconds per render (screenshot and DOM boxes included)
on a warm pool: the browser is up and the render's fresh context was made beforehand, as the pool
does between renders (in the service and the CLI, renders are seconds apart). Then the same page
rendered back to back, where each render also waits for its fresh context to be made (a new
renderer process: the dominant CPU cost), and the landing page's throughput with the pool's
configured concurrency. Target: median <= 150 ms for the typical landing page.

    .venv/bin/python bench/render.py [--quick] [--json] [-n N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.config import Settings  # noqa: E402
from replicator.models import Viewport  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402

PAGES_DIR = ROOT / "fixtures" / "render"
# name -> (file, viewport); the landing page is the one the target is about.
PAGES = {
    "landing": ("landing.html", Viewport(1280, 800)),
    "chinese": ("chinese.html", Viewport(1280, 800)),
    "tall_50000px": ("tall.html", Viewport(1280, 800)),
    "local_assets": ("local_assets/page.html", Viewport(800, 600)),
}
TARGET_MEDIAN_MS = 150.0


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and its children (driver, Chromium, renderers).

    Wall time depends on what else the machine runs; CPU time per render does much less.
    Processes that already exited are not counted, so it is a lower bound.
    """
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:4])
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run(n: int, concurrency: int) -> dict[str, object]:
    settings = Settings(_env_file=None, render_concurrency=concurrency)  # type: ignore[call-arg]
    pool = SealedBrowserPool(settings)
    started = time.perf_counter()
    await pool.start()
    launch_ms = (time.perf_counter() - started) * 1000
    pages: dict[str, dict[str, float]] = {}
    try:
        for name, (file, viewport) in PAGES.items():
            path = PAGES_DIR / file
            html = path.read_text(encoding="utf-8")
            await pool.render(html, viewport, base_dir=path.parent)  # warm-up, not counted
            times = []
            for _ in range(n):
                await pool.warmed()
                t0 = time.perf_counter()
                await pool.render(html, viewport, base_dir=path.parent)
                times.append((time.perf_counter() - t0) * 1000)
            await pool.warmed()
            cpu_before = tree_cpu_s()
            t0 = time.perf_counter()
            for _ in range(n):
                await pool.render(html, viewport, base_dir=path.parent)
            back_to_back_s = time.perf_counter() - t0
            await pool.warmed()  # the last render's context made: its cost belongs to the run
            cpu_ms = (tree_cpu_s() - cpu_before) * 1000 / n
            pages[name] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "back_to_back_renders_per_s": round(n / back_to_back_s, 2),
                "cpu_ms_per_render": round(cpu_ms, 1),
            }
        landing = PAGES_DIR / PAGES["landing"][0]
        html = landing.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        await asyncio.gather(*(pool.render(html, PAGES["landing"][1]) for _ in range(n)))
        parallel_rps = n / (time.perf_counter() - t0)
    finally:
        await pool.close()
    return {
        "summary": {
            "landing_median_ms": pages["landing"]["median_ms"],
            "landing_p95_ms": pages["landing"]["p95_ms"],
            "landing_cpu_ms_per_render": pages["landing"]["cpu_ms_per_render"],
            f"landing_renders_per_s_at_concurrency_{concurrency}": round(parallel_rps, 2),
            "browser_launch_ms": round(launch_ms, 1),
        },
        "pages": pages,
        "renders_per_page": n,
        "concurrency": concurrency,
        "target_median_ms": TARGET_MEDIAN_MS,
        "meets_target": pages["landing"]["median_ms"] <= TARGET_MEDIAN_MS,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=None, help="renders per page (default 30, --quick 5)")
    parser.add_argument("--quick", action="store_true", help="5 renders per page")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--concurrency", type=int, default=2, help="renders in flight for the throughput run")
    args = parser.parse_args()
    n = args.n or (5 if args.quick else 30)
    result = asyncio.run(run(n, args.concurrency))
    if args.json:
        print(json.dumps(result))
        return 0
    console = Console()
    table = Table(title=f"render: {n} renders per page, one at a time")
    for column in ("page", "median ms (warm)", "p95 ms (warm)", "back-to-back renders/s", "CPU ms/render"):
        table.add_column(column, justify="left" if column == "page" else "right")
    pages = result["pages"]
    assert isinstance(pages, dict)
    for name, figures in pages.items():
        table.add_row(
            name,
            f"{figures['median_ms']:.1f}",
            f"{figures['p95_ms']:.1f}",
            f"{figures['back_to_back_renders_per_s']:.2f}",
            f"{figures['cpu_ms_per_render']:.1f}",
        )
    console.print(table)
    summary = result["summary"]
    assert isinstance(summary, dict)
    for key, value in summary.items():
        console.print(f"{key}: {value}")
    verdict = "meets" if result["meets_target"] else "misses"
    console.print(
        f"landing median {verdict} the {TARGET_MEDIAN_MS:.0f} ms target "
        f"(load average {result['load_average_1m']} on {result['cpus']} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
