"""Benchmark extract and sanitize on a ~50 KB landing page (Tailwind CDN, Font Awesome, Google Fonts).

Prints milliseconds for: extract; sanitize cold (fresh process caches, empty Tailwind cache, so the
Tailwind build runs in Node); sanitize warm (cached build: the steady state of the service); and a
plain page without CDN assets. ``--json`` prints one JSON object; ``--quick`` does fewer runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from replicator.config import PROJECT_DIR
from replicator.extract import extract_html
from replicator.sanitize import Sanitizer

HEAD = (
    '<script src="https://cdn.tailwindcss.com"></script>'
    '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/css/all.min.css">'
    '<link href="https://fonts.googleapis.com/css2?family=Inter:wght@400;600;700&display=swap" rel="stylesheet">'
    "<style>body{font-family:Inter,sans-serif}.hero{background:url(https://images.example/hero.jpg)}</style>"
)
ICONS = ("fa-star", "fa-bolt", "fa-shield-halved", "fa-chart-line", "fa-user", "fa-gear")
COLORS = ("blue", "emerald", "rose", "amber", "indigo", "slate")


def landing_page(target_bytes: int = 50_000, *, cdn: bool = True) -> str:
    """A deterministic landing page of about ``target_bytes``, in the style models write."""
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Landing</title>{HEAD if cdn else ""}'
    ]
    parts.append('</head><body class="bg-gray-50 text-gray-900">')
    i = 0
    while sum(map(len, parts)) < target_bytes:
        color, icon = COLORS[i % len(COLORS)], ICONS[i % len(ICONS)]
        parts.append(
            f'<section class="py-16 px-8 bg-white shadow-md rounded-lg mb-{i % 8}">'
            f'<div class="max-w-6xl mx-auto grid grid-cols-1 md:grid-cols-3 gap-6">'
            f'<div class="p-6 bg-{color}-500 text-white rounded-xl hover:bg-{color}-600">'
            f'<i class="fas {icon} text-2xl"></i><h3 class="text-xl font-semibold mt-4">Feature {i}</h3>'
            f'<p class="text-sm opacity-80">Lorem ipsum dolor sit amet, consectetur adipiscing elit {i}.</p>'
            f'<a href="#" class="inline-block mt-4 px-4 py-2 bg-white text-{color}-600 rounded">Learn more</a>'
            f'<img src="https://picsum.photos/400/300?{i}" alt="" class="w-full h-48 object-cover"></div>'
            "</div></section>"
        )
        i += 1
    parts.append(
        "<script>document.querySelectorAll('a').forEach(a => a.onclick = e => e.preventDefault())</script>"
    )
    parts.append("</body></html>")
    return "".join(parts)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    runs = 5 if args.quick else 30
    page = landing_page()
    plain = landing_page(cdn=False)
    answer = "Here is the page:\n```html\n" + page + "\n```\nIt matches the screenshot."

    extract_ms = timed(lambda: extract_html(answer), runs)
    with tempfile.TemporaryDirectory() as cache:
        sanitizer = Sanitizer(PROJECT_DIR / "node_modules", cache_dir=Path(cache))
        cold_ms = timed(lambda: sanitizer.sanitize(page, "static"), 1)[0]
        warm_ms = timed(lambda: sanitizer.sanitize(page, "static"), runs)
        interactive_ms = timed(lambda: sanitizer.sanitize(page, "interactive"), runs)[1:] or [0.0]
        plain_ms = timed(lambda: sanitizer.sanitize(plain, "static"), runs)
        out_bytes = len(sanitizer.sanitize(page, "static").html.encode())

    summary = {
        "page_kb": round(len(page.encode()) / 1024, 1),
        "output_kb": round(out_bytes / 1024, 1),
        "extract_median_ms": round(statistics.median(extract_ms), 2),
        "sanitize_cold_ms": round(cold_ms, 1),
        "sanitize_warm_median_ms": round(statistics.median(warm_ms), 1),
        "sanitize_warm_p95_ms": round(p95(warm_ms), 1),
        "sanitize_interactive_median_ms": round(statistics.median(interactive_ms), 1),
        "sanitize_plain_median_ms": round(statistics.median(plain_ms), 1),
    }
    if args.json:
        print(json.dumps({"benchmark": "sanitize", "runs": runs, "summary": summary}))
        return 0
    table = Table(title=f"extract + sanitize, {summary['page_kb']} KB page, {runs} runs")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, str(value))
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
