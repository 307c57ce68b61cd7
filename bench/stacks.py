"""Every output stack of the embedded `local` backend on the development set, scored like html-css.

For every reference in fixtures/references/ the local backend writes its page once; the page is
restated in each stack (Tailwind / Bootstrap utilities, a React or Vue component compiled with
esbuild / @vue/compiler-sfc into its preview), sanitized, rendered in the sealed Chromium and scored
against the reference. Prints each page's score per stack, the mean, the largest gap to html-css,
the time to restate and to compile, and the size of each stack's code.

Target (issue 19): every stack within 1.0 point of html-css on every page.

    .venv/bin/python bench/stacks.py [--pages landing login ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.backends.base import AnswerDelta, GenerateOptions  # noqa: E402
from replicator.backends.local import LocalBackend  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.intake import load_source  # noqa: E402
from replicator.ocr import OcrEngine  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402
from replicator.sanitize import Sanitizer  # noqa: E402
from replicator.score import analyze_reference, score_against_source  # noqa: E402
from replicator.stacks import STACKS  # noqa: E402
from replicator.stacks.convert import from_html  # noqa: E402
from replicator.stacks.preview import component_preview  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", help="Only these development pages (names without .png).")
    parser.add_argument("--quick", action="store_true", help="four pages only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    references = sorted((ROOT / "fixtures" / "references").glob("*.png"))
    if args.quick and not args.pages:
        args.pages = ["card_grid", "data_table", "pricing", "settings_form"]
    if args.pages:
        references = [r for r in references if r.stem in set(args.pages)]
    settings = Settings()
    sanitizer = Sanitizer.from_settings(settings)
    backend = LocalBackend(settings)
    scores: dict[str, dict[str, float]] = {}
    restate_ms: dict[str, list[float]] = {s: [] for s in STACKS}
    compile_ms: dict[str, list[float]] = {s: [] for s in STACKS}
    sizes: dict[str, list[int]] = {s: [] for s in STACKS}
    async with SealedBrowserPool(settings) as pool:
        for path in references:
            source = load_source(path, settings)
            reference = analyze_reference(source.png, ocr=OcrEngine.shared())
            events = backend.generate(source, GenerateOptions())
            html = "".join([e.text async for e in events if isinstance(e, AnswerDelta)])
            scores[path.stem] = {}
            for stack in STACKS.values():
                start = time.perf_counter()
                code = from_html(html, stack.name)
                restate_ms[stack.name].append((time.perf_counter() - start) * 1000)
                sizes[stack.name].append(len(code.encode()))
                start = time.perf_counter()
                page_html = component_preview(code, stack, sanitizer.assets) if stack.is_component else code
                compile_ms[stack.name].append((time.perf_counter() - start) * 1000)
                page = sanitizer.sanitize(page_html, "interactive" if stack.is_component else "static")
                render = await pool.render(page.html, source.viewport)
                scores[path.stem][stack.name] = score_against_source(reference, render).overall

    gaps = {s: max(abs(r[s] - r["html-css"]) for r in scores.values()) for s in STACKS}
    if args.json:
        summary = {f"largest gap to html-css, {s}": round(g, 2) for s, g in gaps.items() if s != "html-css"}
        summary |= {
            f"compile ms, {s}": round(statistics.mean(compile_ms[s]))
            for s in STACKS
            if STACKS[s].is_component
        }
        print(json.dumps({"summary": summary, "scores": scores}))
        return
    console = Console()
    table = Table(title="Score per stack (local backend, development pages)")
    table.add_column("page")
    for name in STACKS:
        table.add_column(name, justify="right")
    for page, row in scores.items():
        table.add_row(page, *(f"{row[s]:.2f}" for s in STACKS))
    table.add_row("mean", *(f"{statistics.mean(r[s] for r in scores.values()):.2f}" for s in STACKS))
    table.add_row(
        "largest gap to html-css",
        *(f"{max(abs(r[s] - r['html-css']) for r in scores.values()):.2f}" for s in STACKS),
    )
    table.add_row("restate ms (mean)", *(f"{statistics.mean(restate_ms[s]):.0f}" for s in STACKS))
    table.add_row("compile ms (mean)", *(f"{statistics.mean(compile_ms[s]):.0f}" for s in STACKS))
    table.add_row("code KiB (mean)", *(f"{statistics.mean(sizes[s]) / 1024:.0f}" for s in STACKS))
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
