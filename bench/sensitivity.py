"""How the score reacts to deliberate design regressions: the calibration of a design check.

Each page (development pages from fixtures/pages and real-framework pages from fixtures/realpages)
is rendered as its own design, then re-rendered with one change — a regression a reviewer would
reject (an icon removed, a chart removed, a one-letter typo in a heading, a card border removed,
another font, ...) or a harmless change nobody would call one (the page 1 px lower, the design saved
as a JPEG, text rendered without hinting, a metrically equal build of the font) — and scored
against the design exactly as a design check scores an implementation (``score_against_source``).
Changes are made in the live page (scripts run, so Chart.js charts draw as on the real site); a
regression that needs an element the page lacks (a chart) is skipped on that page.

A design check is useful when every regression falls below the CI gate (the README suggests 95)
while no harmless change does; removing a chart, an image or a row of icons must fall below 90.
Prints the overall score per page and change, the mean sub-scores per change, and what the gates
catch. Renders are cached under bench/out/sensitivity (``--fresh`` redoes them), so re-scoring
after a change to the score takes only the scoring time.

    .venv/bin/python bench/sensitivity.py [--quick] [--json] [--fresh] [--pages landing bs_dashboard ...]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import pickle
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.make_references import page_viewport  # noqa: E402
from fixtures.realpages.make import with_tailwind  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.models import SUBSCORES, RenderResult, Viewport  # noqa: E402
from replicator.ocr import OcrEngine  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402
from replicator.score import analyze_reference, score_against_source  # noqa: E402

DEV_PAGES = ROOT / "fixtures" / "pages"
# The renderer's DOM survey (text boxes): a render made by another survey is made again.
_SURVEY = (ROOT / "replicator" / "render" / "_dom.py").read_text(encoding="utf-8")
REAL_PAGES = ROOT / "fixtures" / "realpages" / "pages"
CACHE = ROOT / "bench" / "out" / "sensitivity"
PAGES = (
    "landing",
    "pricing",
    "dashboard",
    "login",
    "data_table",
    "blog_article",
    "bs_dashboard",
    "bs_datatable",
    "bs_login",
    "adminlte_dashboard",
    "bulma_product",
    "daisy_landing",
    "docs_guide",
    "tw_settings",
    "cn_dashboard",
    "pico_register_mobile",
)
QUICK_PAGES = ("landing", "bs_dashboard", "daisy_landing")
GATE = 95.0
HARD_GATE = 90.0
MAX_HEIGHT = 1600

# Elements the targeted changes look for (in the live page, visible and at least 6 px on a side).
_ICONS = "i[class*='fa-'], i.bi, i[class*='bi-'], svg.icon, span.icon svg, svg[class*='icon'], svg[width='16'], svg[width='20'], svg[width='24']"
_JS_HELPERS = r"""
const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return r.width >= 6 && r.height >= 6 && s.visibility !== 'hidden' && s.display !== 'none' && r.top < 1600; };
const all = (sel) => [...document.querySelectorAll(sel)].filter(visible);
const area = (el) => { const r = el.getBoundingClientRect(); return r.width * r.height; };
const largest = (els) => els.sort((a, b) => area(b) - area(a))[0];
const icons = () => all(ICONS).filter((el) => { const r = el.getBoundingClientRect(); return r.width <= 64 && r.height <= 64; });
"""

# name -> JS that changes the live page and returns true, or false when the page lacks what it needs.
TARGETED = {
    "icon removed": "const el = largest(icons()); if (!el) return false; el.style.visibility = 'hidden'; return true;",
    "icon swapped": """const el = largest(icons().filter((e) => e.tagName === 'I')); if (!el) return false;
        if (el.className.includes('bi-')) { el.className = el.className.replace(/bi-[\\w-]+/, 'bi-star'); }
        else { el.className = el.className.replace(/fa-(?!solid|regular|brands|fw|lg|2x|3x)[\\w-]+/, 'fa-star'); }
        return true;""",
    "icon row removed": """const found = icons(); if (found.length < 3) return false;
        const rows = {}; for (const el of found) { const r = el.getBoundingClientRect();
          const key = Math.round((r.top + r.height / 2) / 12); (rows[key] = rows[key] || []).push(el); }
        const row = Object.values(rows).sort((a, b) => b.length - a.length)[0]; if (row.length < 3) return false;
        row.forEach((el) => { el.style.visibility = 'hidden'; }); return true;""",
    "image removed": "const el = largest(all('img').filter((e) => area(e) >= 1600)); if (!el) return false; el.style.visibility = 'hidden'; return true;",
    "chart removed": "const el = largest(all('canvas, svg').filter((e) => area(e) >= 20000)); if (!el) return false; el.style.visibility = 'hidden'; return true;",
    "heading typo": """const el = all('h1, h2, h3').find((e) => /[a-z]{4}/i.test(e.textContent)); if (!el) return false;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let node;
        while ((node = walker.nextNode())) { const m = /[a-z]{3}/i.exec(node.data); if (m) {
          const i = m.index + 1; const c = node.data[i]; const swap = c === 'e' ? 'a' : (c === c.toUpperCase() ? 'E' : 'e');
          node.data = node.data.slice(0, i) + swap + node.data.slice(i + 1); return true; } }
        return false;""",
    "one block in another font": """const el = largest(all('p, li, td, label').filter((e) => e.textContent.trim().length > 20));
        if (!el) return false; el.style.fontFamily = '"DejaVu Serif", serif'; return true;""",
    "button color": """const el = all('button, .btn, a[class*="btn"], input[type=submit]').find((e) => { const b = getComputedStyle(e).backgroundColor;
          return b && b !== 'rgba(0, 0, 0, 0)' && b !== 'rgb(255, 255, 255)'; });
        if (!el) return false; el.style.setProperty('background', '#16a34a', 'important'); el.style.setProperty('border-color', '#16a34a', 'important'); return true;""",
    "card border removed": """const el = all('div, section, article, aside, form').filter((e) => { const s = getComputedStyle(e);
          return parseFloat(s.borderTopWidth) >= 1 && parseFloat(s.borderLeftWidth) >= 1 && s.borderTopStyle !== 'none' && area(e) >= 20000; })
          .sort((a, b) => area(a) - area(b))[0];
        if (!el) return false; el.style.setProperty('border-color', 'transparent', 'important'); return true;""",
    "section shifted 8px": """const page = document.documentElement.scrollWidth * Math.min(document.documentElement.scrollHeight, 1600);
        const el = largest(all('section, article, .card, .row, main > div, form').filter((e) => area(e) < 0.5 * page && area(e) > 0.05 * page));
        if (!el) return false; el.style.position = 'relative'; el.style.top = '8px'; return true;""",
}
# name -> CSS appended to the page.
STYLED = {
    "shadows removed": "*{box-shadow:none!important}",
    "square corners": "*{border-radius:0!important}",
    "serif font": '*{font-family:"DejaVu Serif",Georgia,serif!important}',
    "monospace font": '*{font-family:"DejaVu Sans Mono",monospace!important}',
    "bold text": "*{font-weight:700!important}",
    "italic text": "*{font-style:italic!important}",
    "uppercase text": "*{text-transform:uppercase!important}",
    "letter spacing +1px": "*{letter-spacing:1px!important}",
    "text color": "*{color:#b45309!important}",
    "borders hidden": "*{border-color:transparent!important}",
    "backgrounds removed": "*{background:none!important}",
    "text centered": "*{text-align:center!important}",
    "content 24px right": "body{position:relative!important;left:24px!important}",
}
REGRESSIONS = {**TARGETED, **STYLED}
# Regressions a 90 gate must stop (removals of whole graphics).
HARD = ("chart removed", "image removed", "icon row removed")

_METRIC_TWIN = "".join(
    f'@font-face{{font-family:"{family}";font-weight:{weight};font-style:{style};src:local("{face}")}}'
    for family in ("Liberation Sans", "Arial", "Helvetica")
    for weight, style, face in (
        ("100 550", "normal", "Arimo"),
        ("551 900", "normal", "Arimo Bold"),
        ("100 550", "italic", "Arimo Italic"),
        ("551 900", "italic", "Arimo Bold Italic"),
    )
)
HARMLESS_STYLED = {
    "unchanged": "",
    "page 1px lower": "body{position:relative!important;top:1px!important}",
    "text without hinting": "*{text-rendering:geometricPrecision!important}",
    "metrically equal font build": _METRIC_TWIN,
}
JPEG = "design as JPEG q85"
SOFTER = "design anti-aliased softer"
HARMLESS = (*HARMLESS_STYLED, JPEG, SOFTER)


@dataclass
class PageRenders:
    design: RenderResult
    variants: dict[str, RenderResult]  # regressions that apply here, and the harmless changes


def _source(name: str) -> tuple[str, Path | None]:
    dev = DEV_PAGES / f"{name}.html"
    if dev.is_file():
        return dev.read_text(encoding="utf-8"), None
    real = REAL_PAGES / f"{name}.html"
    if real.is_file():
        return with_tailwind(real.read_text(encoding="utf-8")), ROOT
    raise SystemExit(f"no such page: {name}")


def _with_css(html: str, css: str) -> str:
    if not css:
        return html
    tag = f"<style>{css}</style>"
    return html.replace("</head>", tag + "</head>", 1) if "</head>" in html else tag + html


async def _render(
    pool: SealedBrowserPool, html: str, viewport: Viewport, base: Path | None, js: str = ""
) -> RenderResult | None:
    async with pool.open(html, viewport, base_dir=base) as live:
        await live.settle(quiet_ms=300, max_ms=5000)
        if js:
            script = "() => { const ICONS = " + json.dumps(_ICONS) + ";" + _JS_HELPERS + js + "}"
            if not await live.page.evaluate(script):
                return None
            await live.settle(quiet_ms=200, max_ms=3000)
        return await live.capture()


async def render_page(pool: SealedBrowserPool, name: str, *, fresh: bool) -> PageRenders:
    """The page's design and every change's render, each cached by what it is made of."""
    html, base = _source(name)
    cached = CACHE / f"{name}.pickle"
    store: dict[str, RenderResult] = {}
    if cached.is_file() and not fresh:
        with cached.open("rb") as fh:
            store = pickle.load(fh)  # our own cache, written below
    viewport = Viewport(*page_viewport(html))

    async def rendered(css: str = "", js: str = "") -> RenderResult | None:
        key = hashlib.sha256("\0".join((html, css, _JS_HELPERS + js, _SURVEY)).encode()).hexdigest()
        if key not in store:
            render = await _render(pool, _with_css(html, css), viewport, base, js)
            if render is None:
                return None
            store[key] = render
        return store[key]

    design = await rendered()
    assert design is not None
    variants: dict[str, RenderResult] = {}
    for change, css in {**HARMLESS_STYLED, **STYLED}.items():
        render = await rendered(css=css)
        assert render is not None
        variants[change] = render
    for change, js in TARGETED.items():
        render = await rendered(js=js)
        if render is not None:
            variants[change] = render
    CACHE.mkdir(parents=True, exist_ok=True)
    with cached.open("wb") as fh:
        pickle.dump(store, fh)
    return PageRenders(design, variants)


def _same_pixels(a: bytes, b: bytes) -> bool:
    first = cv2.imdecode(np.frombuffer(a, dtype=np.uint8), cv2.IMREAD_COLOR)
    second = cv2.imdecode(np.frombuffer(b, dtype=np.uint8), cv2.IMREAD_COLOR)
    return bool(first.shape == second.shape and np.array_equal(first, second))


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _softer(png: bytes) -> bytes:
    """The design with its edges a touch softer, as another anti-aliasing would draw them."""
    rgb = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_COLOR)
    ok, encoded = cv2.imencode(".png", cv2.GaussianBlur(rgb, (0, 0), 0.4))
    assert ok
    return encoded.tobytes()


def score_page(renders: PageRenders, ocr: OcrEngine) -> tuple[dict[str, dict[str, float]], float]:
    """change -> score breakdown, and the mean warm scoring time in ms."""
    out: dict[str, dict[str, float]] = {}
    timings = []
    reference = analyze_reference(renders.design.png, ocr=ocr)
    for change, render in renders.variants.items():
        if change in REGRESSIONS and _same_pixels(render.png, renders.design.png):
            continue  # the page has nothing this change touches (no shadows to remove): no regression
        started = time.perf_counter()
        out[change] = score_against_source(reference, render, ocr=ocr).breakdown()
        timings.append(time.perf_counter() - started)
    for change, transform in ((JPEG, _jpeg), (SOFTER, _softer)):
        design = analyze_reference(transform(renders.design.png), ocr=ocr)
        out[change] = score_against_source(design, renders.design, ocr=ocr).breakdown()
    return out, 1000 * statistics.median(timings)


async def measure(pages: list[str], *, fresh: bool) -> tuple[dict[str, dict[str, dict[str, float]]], float]:
    """change -> page -> score breakdown; and the median warm scoring time (ms)."""
    settings = Settings(_env_file=None, render_max_height=MAX_HEIGHT, render_timeout_s=60)  # type: ignore[call-arg]
    results: dict[str, dict[str, dict[str, float]]] = {}
    ocr = OcrEngine.shared()
    timings = []
    async with SealedBrowserPool(settings) as pool:
        for name in pages:
            renders = await render_page(pool, name, fresh=fresh)
            scores, ms = await asyncio.to_thread(score_page, renders, ocr)
            timings.append(ms)
            for change, breakdown in scores.items():
                results.setdefault(change, {})[name] = breakdown
            print(f"{name}: {len(scores)} changes scored", file=sys.stderr)
    return results, statistics.median(timings)


def summarize(results: dict[str, dict[str, dict[str, float]]], pages: list[str]) -> dict[str, object]:
    regressions = [(c, p) for c in REGRESSIONS for p in pages if p in results.get(c, {})]
    harmless = [(c, p) for c in HARMLESS for p in pages if p in results.get(c, {})]
    hard = [(c, p) for c in HARD for p in pages if p in results.get(c, {})]
    caught = [cp for cp in regressions if results[cp[0]][cp[1]]["overall"] < GATE]
    false_alarms = [cp for cp in harmless if results[cp[0]][cp[1]]["overall"] < GATE]
    hard_caught = [cp for cp in hard if results[cp[0]][cp[1]]["overall"] < HARD_GATE]
    return {
        "pages": len(pages),
        "regressions_checked": len(regressions),
        "regressions_below_gate": len(caught),
        "harmless_checked": len(harmless),
        "harmless_below_gate": len(false_alarms),
        "worst_harmless": min((results[c][p]["overall"] for c, p in harmless), default=100.0),
        "removals_checked": len(hard),
        "removals_below_hard_gate": len(hard_caught),
        "missed": sorted(
            f"{c} on {p}: {results[c][p]['overall']:.1f}" for c, p in regressions if (c, p) not in caught
        ),
        "false_alarms": sorted(f"{c} on {p}: {results[c][p]['overall']:.1f}" for c, p in false_alarms),
        "removals_missed": sorted(
            f"{c} on {p}: {results[c][p]['overall']:.1f}" for c, p in hard if (c, p) not in hard_caught
        ),
    }


def markdown(
    results: dict[str, dict[str, dict[str, float]]], pages: list[str], summary: dict[str, object]
) -> str:
    """Per change: on how many pages it applied, how many a gate stops, and the range of scores."""
    lines = [
        "| change | pages | below the gate | lowest | median | highest |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for change in (*HARMLESS, *REGRESSIONS):
        row = results.get(change, {})
        values = sorted(row[p]["overall"] for p in pages if p in row)
        if not values:
            continue
        limit = HARD_GATE if change in HARD else GATE
        below = sum(v < limit for v in values)
        kind = "harmless: " if change in HARMLESS else ""
        gate = f" (gate {limit:g})" if change in HARD else ""
        lines.append(
            f"| {kind}{change}{gate} | {len(values)} | {below} | {values[0]:.1f} | "
            f"{statistics.median(values):.1f} | {values[-1]:.1f} |"
        )
    lines.append("")
    lines.append(
        f"A {GATE:g} gate stops {summary['regressions_below_gate']} of {summary['regressions_checked']} "
        f"regressions and {summary['harmless_below_gate']} of {summary['harmless_checked']} harmless changes "
        f"(the worst harmless change scores {summary['worst_harmless']:.1f}); a {HARD_GATE:g} gate stops "
        f"{summary['removals_below_hard_gate']} of {summary['removals_checked']} removals of a chart, an image "
        "or a row of icons."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_PAGES)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fresh", action="store_true", help="render again instead of using cached renders")
    parser.add_argument(
        "--pages", nargs="*", help="pages to use (names in fixtures/pages or fixtures/realpages/pages)"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table for docs/scoring.md")
    parser.add_argument(
        "--from", dest="saved", type=Path, metavar="RUN.json", help="summarize a saved --json run instead"
    )
    args = parser.parse_args()
    if args.saved:
        saved = json.loads(args.saved.read_text(encoding="utf-8"))
        results = saved["results"]
        pages = [p for p in (args.pages or PAGES) if any(p in row for row in results.values())]
        warm_ms = float(saved["summary"].get("warm_score_ms_median", 0.0))
    else:
        pages = args.pages or list(QUICK_PAGES if args.quick else PAGES)
        results, warm_ms = asyncio.run(measure(pages, fresh=args.fresh))
    summary = summarize(results, pages)
    summary["warm_score_ms_median"] = round(warm_ms, 1)
    if args.markdown:
        print(markdown(results, pages, summary))
        return 0
    if args.json:
        print(json.dumps({"name": "sensitivity", "summary": summary, "results": results}))
        return 0

    console = Console(width=max(Console().width, 200))
    table = Table(title=f"overall score of each page against its own design after one change (gate {GATE:g})")
    table.add_column("change")
    for page in pages:
        table.add_column(page[:10], justify="right")
    for sub in SUBSCORES:
        table.add_column(sub[:5], justify="right")
    for change in (*HARMLESS, *REGRESSIONS):
        row = results.get(change, {})
        cells = []
        for page in pages:
            if page not in row:
                cells.append("-")
                continue
            value = row[page]["overall"]
            limit = HARD_GATE if change in HARD else GATE
            bad = (value < GATE) if change in HARMLESS else (value >= limit)
            cells.append(f"[red]{value:.1f}[/]" if bad else f"{value:.1f}")
        present = [p for p in pages if p in row]
        means = [f"{statistics.mean(row[p][s] for p in present):.0f}" if present else "-" for s in SUBSCORES]
        table.add_row(change, *cells, *means, end_section=change == HARMLESS[-1])
    console.print(table)
    console.print(
        f"regressions caught by a {GATE:g} gate: {summary['regressions_below_gate']} of "
        f"{summary['regressions_checked']}; removals of a chart, an image or an icon row below {HARD_GATE:g}: "
        f"{summary['removals_below_hard_gate']} of {summary['removals_checked']}; harmless changes failed: "
        f"{summary['harmless_below_gate']} of {summary['harmless_checked']} (worst {summary['worst_harmless']:.1f}). "
        f"Warm score, median: {warm_ms:.0f} ms. Red: a regression that passes, or a harmless change that fails."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
