"""How the score reacts to deliberate design regressions: the calibration of a design check.

Each development page is rendered as its own design, then re-rendered with one CSS change injected
(a different font, bold text, no borders, no backgrounds, ...) and checked against that design
through ``run_check``, exactly as ``replicator check`` does. A design check is useful when every
regression a reviewer would reject falls clearly below a CI gate (the README suggests 95) while
changes nobody would call a regression (the design saved as a JPEG, the page 1 px lower) stay close
to 100. Prints the overall score per page and change, with the mean sub-scores per change.

    .venv/bin/python bench/sensitivity.py [--quick] [--json] [--pages landing pricing ...]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.make_references import MAX_HEIGHT, page_viewport  # noqa: E402
from replicator.check import CheckTarget, run_check  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.intake import image_source  # noqa: E402
from replicator.models import SUBSCORES, Viewport  # noqa: E402
from replicator.runtime import Runtime  # noqa: E402

PAGES_DIR = ROOT / "fixtures" / "pages"
PAGES = ("landing", "pricing", "dashboard", "login", "settings_form", "data_table", "blog_article", "profile")
QUICK_PAGES = ("landing", "pricing", "dashboard")
GATE = 95.0

# name -> CSS appended to the page. Regressions first, then harmless changes ("noise").
REGRESSIONS = {
    "serif font": '*{font-family:"DejaVu Serif",Georgia,serif!important}',
    "monospace font": '*{font-family:"DejaVu Sans Mono",monospace!important}',
    "bold text": "*{font-weight:700!important}",
    "italic text": "*{font-style:italic!important}",
    "uppercase text": "*{text-transform:uppercase!important}",
    "letter spacing +1px": "*{letter-spacing:1px!important}",
    "text color": "*{color:#b45309!important}",
    "borders hidden": "*{border-color:transparent!important}",
    "square corners": "*{border-radius:0!important}",
    "no shadows": "*{box-shadow:none!important}",
    "backgrounds removed": "*{background:none!important}",
    "images and icons hidden": "img,svg{visibility:hidden!important}",
    "text centered": "*{text-align:center!important}",
    "content 24px right": "body{position:relative!important;left:24px!important}",
}
NOISE = {
    "unchanged": "",
    "page 1px lower": "body{position:relative!important;top:1px!important}",
}
JPEG = "design as JPEG q85"


def _with_css(html: str, css: str) -> str:
    if not css:
        return html
    tag = f"<style>{css}</style>"
    return html.replace("</head>", tag + "</head>", 1) if "</head>" in html else tag + html


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def measure(pages: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """change -> page -> score breakdown."""
    settings = Settings(_env_file=None, render_max_height=MAX_HEIGHT, cpu_workers=0)  # type: ignore[call-arg]
    results: dict[str, dict[str, dict[str, float]]] = {}
    async with Runtime(settings) as runtime:
        await runtime.warm_up()
        for name in pages:
            html = (PAGES_DIR / f"{name}.html").read_text(encoding="utf-8")
            viewport = Viewport(*page_viewport(html))
            design_png = (await runtime.renderer.render(html, viewport)).png
            design = await asyncio.to_thread(image_source, design_png, settings)
            changes = {**NOISE, **REGRESSIONS}
            for change, css in changes.items():
                target = CheckTarget.from_html(_with_css(html, css), label=f"{name}:{change}")
                result = await run_check(runtime, design, target, threshold=GATE, viewport=viewport)
                results.setdefault(change, {})[name] = result.score.breakdown()
            jpeg_design = await asyncio.to_thread(image_source, _jpeg(design_png), settings)
            result = await run_check(
                runtime, jpeg_design, CheckTarget.from_html(html), threshold=GATE, viewport=viewport
            )
            results.setdefault(JPEG, {})[name] = result.score.breakdown()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_PAGES)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--pages", nargs="*", help="development pages to use (names in fixtures/pages)")
    args = parser.parse_args()
    pages = args.pages or list(QUICK_PAGES if args.quick else PAGES)
    results = asyncio.run(measure(pages))

    noise = [*NOISE, JPEG]
    regressions = list(REGRESSIONS)
    caught = sum(1 for c in regressions for p in pages if results[c][p]["overall"] < GATE)
    false_alarms = sum(1 for c in noise for p in pages if results[c][p]["overall"] < GATE)
    summary = {
        "pages": len(pages),
        "regressions_below_gate": caught,
        "regressions_checked": len(regressions) * len(pages),
        "harmless_below_gate": false_alarms,
        "harmless_checked": len(noise) * len(pages),
        "worst_harmless": min(results[c][p]["overall"] for c in noise for p in pages),
        "mean_overall": {
            c: round(statistics.mean(results[c][p]["overall"] for p in pages), 2) for c in results
        },
    }
    if args.json:
        print(json.dumps({"name": "sensitivity", "summary": summary, "results": results}))
        return 0

    console = Console(width=max(Console().width, 160))
    table = Table(title=f"overall score of each page against its own design after one change (gate {GATE:g})")
    table.add_column("change")
    for page in pages:
        table.add_column(page, justify="right")
    subs = SUBSCORES
    for sub in subs:
        table.add_column(f"mean {sub}", justify="right")
    for change in noise + regressions:
        row = results[change]
        cells = []
        for page in pages:
            value = row[page]["overall"]
            harmless = change in noise
            bad = (value < GATE) if harmless else (value >= GATE)
            cells.append(f"[red]{value:.1f}[/]" if bad else f"{value:.1f}")
        means = [f"{statistics.mean(row[p][s] for p in pages):.1f}" for s in subs]
        table.add_row(change, *cells, *means, end_section=change == noise[-1])
    console.print(table)
    console.print(
        f"regressions caught by a {GATE:g} gate: {caught} of {summary['regressions_checked']}; "
        f"harmless changes failed: {false_alarms} of {summary['harmless_checked']} "
        f"(worst {summary['worst_harmless']:.1f}). Red: a regression that passes, or a harmless change that fails."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
