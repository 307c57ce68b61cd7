"""Font identification and exact text of the local backend, on lines whose truth we know.

For each family of the bundled set (the @fontsource web fonts in node_modules and the system fonts
the backend knows) a small page is set in that family: headings, paragraphs, nav labels in a row,
uppercase letter-spaced labels, light and heavy weights, an italic line, short words OCR likes to
misread ("CSS", "Link", "2024", "RADIO", "©"). It is rendered in the sealed Chromium, read back by
the backend (OCR, line measurement, page-wide font harmonizing) and every true line is matched to
the line read at its place. Printed per family and overall:

- exact: share of true lines read verbatim (case-sensitive, whitespace-normalised), by characters;
- class: same family class (sans / serif / mono); family: same family name;
- weight: within 100 of the true weight; size: within 10% of the true size;
- font: class, weight and size all right (the corpus's "font match");
- spacing: letter-spaced lines read with letter spacing within 0.5 px;
- italic: lines whose italic verdict is right;
- seconds per page for reading the lines (OCR excluded) on this machine.

    .venv/bin/python bench/fonts.py [--families Inter Roboto ...] [--json] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.backends.local.paragraphs import harmonize  # noqa: E402
from replicator.backends.local.text import read_lines  # noqa: E402
from replicator.backends.local.webfonts import WebFontLibrary  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.models import Box, Viewport  # noqa: E402
from replicator.ocr import OcrEngine  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402

OUT = Path("/tmp/replicator-bench-fonts")

# System families: (CSS name, class).
SYSTEM = (
    ("Liberation Sans", "sans"),
    ("DejaVu Sans", "sans"),
    ("Noto Sans", "sans"),
    ("Liberation Serif", "serif"),
    ("DejaVu Serif", "serif"),
    ("Liberation Mono", "mono"),
    ("DejaVu Sans Mono", "mono"),
)


@dataclass(frozen=True)
class Spec:
    """One true line: text as shown, size px, weight, letter spacing (em), italic, uppercase."""

    text: str
    size: float
    weight: int
    spacing: float = 0.0
    italic: bool = False
    row: int = 0  # lines with the same nonzero row sit side by side (a nav bar)


LINES = (
    Spec("Ship faster with fewer surprises", 40, 700),
    Spec("Quarterly planning notes", 28, 600),
    Spec("What do you call someone with a plan and a calendar? Organized, mostly.", 16, 400),
    Spec("Quarterly planning notes are shared with the whole team every Monday morning.", 15, 400),
    Spec("Home", 14, 500, row=1),
    Spec("Pricing", 14, 500, row=1),
    Spec("Docs", 14, 500, row=1),
    Spec("Link", 14, 500, row=1),
    Spec("HOME", 12, 600, 0.12, row=2),
    Spec("RADIO", 12, 600, 0.12, row=2),
    Spec("PRICING", 12, 600, 0.12, row=2),
    Spec("Last updated in 2024 by the platform group", 13, 300),
    Spec("© 2024 Acme Inc. All rights reserved.", 13, 400),
    Spec("Get started with CSS in five minutes", 18, 500),
    Spec("A thin line for display use", 32, 200),
    Spec("Heavy numbers speak loudly", 24, 800),
    Spec("An aside set in italics for emphasis", 16, 400, italic=True),
    Spec("Show 10 entries", 14, 400),
)


def family_kind(family: str) -> str:
    for name, kind in SYSTEM:
        if name == family:
            return kind
    for web in WebFontLibrary.shared().families:
        if web.family == family:
            return web.kind
    return "sans"


def _face_css(family: str, weights: set[tuple[int, bool]]) -> str:
    web = next((w for w in WebFontLibrary.shared().families if w.family == family), None)
    if web is None:
        return ""
    rules = []
    for weight, italic in sorted(weights):
        files = dict(web.italic if italic else web.upright)
        if not files:
            continue
        nearest = min(files, key=lambda w: abs(w - weight))
        data = base64.b64encode(files[nearest].read_bytes()).decode()
        style = "italic" if italic else "normal"
        rules.append(
            f"@font-face{{font-family:'{family}';font-weight:{weight};font-style:{style};"
            f"src:url(data:font/woff2;base64,{data}) format('woff2')}}"
        )
    return "\n".join(rules)


def available_weight(family: str, weight: int) -> int:
    web = next((w for w in WebFontLibrary.shared().families if w.family == family), None)
    if web is None:
        return 700 if weight >= 600 else 400  # system faces: regular and bold
    return min((w for w, _ in web.upright), key=lambda w: abs(w - weight))


def page_html(family: str) -> tuple[str, list[Spec]]:
    specs = [
        Spec(s.text, s.size, available_weight(family, s.weight), s.spacing, s.italic, s.row) for s in LINES
    ]
    css = _face_css(family, {(s.weight, s.italic) for s in specs})
    body: list[str] = []
    rows: dict[int, list[str]] = {}
    for spec in specs:
        style = (
            f"font-size:{spec.size}px;font-weight:{spec.weight};"
            f"letter-spacing:{spec.spacing}em;font-style:{'italic' if spec.italic else 'normal'}"
        )
        element = f'<span style="{style}">{spec.text}</span>'
        if spec.row:
            rows.setdefault(spec.row, []).append(element)
            if len(rows[spec.row]) == 1:
                body.append(f"<!--row{spec.row}-->")
        else:
            body.append(f"<div>{element}</div>")
    html_rows = [
        f'<div style="display:flex;gap:36px">{"".join(rows[int(m.group(1))])}</div>'
        if (m := re.fullmatch(r"<!--row(\d+)-->", part))
        else part
        for part in body
    ]
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{css}\n"
        f"body{{margin:40px;font-family:'{family}';color:#1f2937;background:#fff}}"
        f"div{{margin:0 0 18px}}</style></head><body>{''.join(html_rows)}</body></html>"
    )
    return html, specs


def _norm(text: str) -> str:
    return " ".join(text.split())


async def measure(families: list[str], show: bool) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    pool = SealedBrowserPool(settings)
    await pool.start()
    ocr = OcrEngine.shared()
    rows: list[dict[str, Any]] = []
    misses: list[str] = []
    try:
        for family in families:
            html, specs = page_html(family)
            render = await pool.render(html, Viewport(1280, 900))
            (OUT / f"{family}.png").write_bytes(render.png)
            rgb = np.asarray(Image.open(io.BytesIO(render.png)).convert("RGB"))
            ocr_lines = ocr.read(rgb)
            started = time.perf_counter()
            lines = read_lines(rgb, ocr_lines)
            harmonize(lines)
            seconds = time.perf_counter() - started
            truth = _truth_boxes(render, specs)
            (OUT / f"{family}.json").write_text(
                json.dumps([{**spec.__dict__, "box": [b.x, b.y, b.width, b.height]} for spec, b in truth])
            )
            kind = family_kind(family)
            tally = {k: 0.0 for k in ("chars", "exact", "n", "cls", "fam", "weight", "size", "font")}
            tally.update({"spaced": 0.0, "spacing": 0.0, "italic": 0.0})
            for spec, box in truth:
                found = [ln for ln in lines if ln.ink.intersection(box) > 0.3 * min(ln.ink.area, box.area)]
                found.sort(key=lambda ln: ln.ink.x)
                text = _norm(" ".join(ln.text for ln in found))
                tally["chars"] += len(spec.text)
                tally["n"] += 1
                exact = text == _norm(spec.text)
                if exact:
                    tally["exact"] += len(spec.text)
                line = max(found, key=lambda ln: ln.ink.area, default=None)
                if line is None:
                    misses.append(f"{family}: missing {spec.text!r}")
                    continue
                face = line.fit.face
                got_kind = family_kind(face.family) if face is not None else "sans"
                got_family = face.family if face is not None else "?"
                weight_ok = abs(line.fit.weight - spec.weight) <= 100
                size_ok = abs(line.fit.size - spec.size) <= 0.1 * spec.size
                tally["cls"] += got_kind == kind
                tally["fam"] += got_family == family
                tally["weight"] += weight_ok
                tally["size"] += size_ok
                tally["font"] += got_kind == kind and weight_ok and size_ok
                tally["italic"] += line.italic == spec.italic
                if spec.spacing:
                    tally["spaced"] += 1
                    tally["spacing"] += abs(line.fit.letter_spacing - spec.spacing * spec.size) <= 0.5
                if show and not (exact and got_family == family and weight_ok and size_ok):
                    misses.append(
                        f"{family}: {spec.text!r} {spec.weight} {spec.size}px -> {text!r} "
                        f"{got_family} {line.fit.weight} {line.fit.size}px "
                        f"ls {line.fit.letter_spacing} it {line.italic}"
                    )
            n = tally["n"]
            rows.append(
                {
                    "family": family,
                    "exact": tally["exact"] / tally["chars"],
                    "class": tally["cls"] / n,
                    "family_name": tally["fam"] / n,
                    "weight": tally["weight"] / n,
                    "size": tally["size"] / n,
                    "font": tally["font"] / n,
                    "spacing": tally["spacing"] / max(tally["spaced"], 1),
                    "italic": tally["italic"] / n,
                    "seconds": seconds,
                }
            )
    finally:
        await pool.close()
    keys = ("exact", "class", "family_name", "weight", "size", "font", "spacing", "italic", "seconds")
    summary = {k: round(statistics.fmean(float(r[k]) for r in rows), 3) for k in keys}
    return {"summary": summary, "families": rows, "misses": misses}


def _truth_boxes(render, specs: list[Spec]) -> list[tuple[Spec, Box]]:  # type: ignore[no-untyped-def]
    """Each true line with the box the browser laid it out in (by its text, in order)."""
    boxes = list(render.text_boxes)
    out = []
    for spec in specs:
        match = next((b for b in boxes if _norm(b.text) == _norm(spec.text)), None)
        if match is not None:
            boxes.remove(match)
            out.append((spec, match.box))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", nargs="*", help="family names (default: all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="list every line read wrong")
    args = parser.parse_args()
    names = [w.family for w in WebFontLibrary.shared().families] + [name for name, _ in SYSTEM]
    if args.families:
        names = [n for n in names if n in args.families]
    result = asyncio.run(measure(names, args.show))
    if args.json:
        print(json.dumps(result, indent=1))
        return
    table = Table(title="font identification and exact text (local backend)")
    keys = ("exact", "class", "family_name", "weight", "size", "font", "spacing", "italic", "seconds")
    table.add_column("family")
    for key in keys:
        table.add_column(key, justify="right")
    for row in [*result["families"], {"family": "mean", **result["summary"]}]:
        table.add_row(str(row["family"]), *(f"{float(row[k]):.2f}" for k in keys))
    console = Console()
    console.print(table)
    for miss in result["misses"]:
        console.print(miss, markup=False)


if __name__ == "__main__":
    main()
