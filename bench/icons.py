"""The icon index: build time, query time, accuracy on icons Chromium draws, false matches.

Icons are drawn the way sites draw them: Font Awesome and Bootstrap Icons web fonts from
node_modules (their own CSS), at 12-48 px, in several colours, on white and on coloured buttons.
Each cell of the sheet is cropped from the screenshot and matched against the index. Non-icons are
drawn the same way: letters and digits in sans, serif, mono and bold faces, photo patches and
avatars (images made here from smooth noise), and plain boxes (bordered, rounded, filled).

Prints:
- index build time cold (rasterising every icon) and warm (read from the disk cache);
- query time per icon (batched, as the backend queries: one matrix product, then verification);
- top-1 accuracy: the matched icon is the drawn one (strict), or draws the same ink (the sets hold
  near-duplicates: an icon that correlates >= 0.97 with the drawn one at that size);
- false matches: the share of non-icon crops matched at the confidence threshold, per kind; for
  letters and digits also after the backend's text-or-icon decision (the icon must explain the ink
  clearly better than the character in its fitted font), which is what decides on the page.

    .venv/bin/python bench/icons.py [--quick] [--json] [--icons N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import random
import sys
import tempfile
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

from replicator.backends.local.icons import text_or_icon  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.icons import CONFIDENT, IconIndex, ink_alpha  # noqa: E402
from replicator.models import Viewport  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402

NODE_MODULES = ROOT / "node_modules"
CELL = 72
COLUMNS = 16
SIZES = (12, 14, 16, 18, 20, 24, 28, 32, 40, 48)
# (icon colour, cell background): dark on white, grey on white, brand colours, white on buttons.
SCHEMES = (
    ("#212529", "#ffffff"),
    ("#6c757d", "#ffffff"),
    ("#0d6efd", "#ffffff"),
    ("#dc3545", "#f8f9fa"),
    ("#ffffff", "#0d6efd"),
    ("#ffffff", "#198754"),
    ("#212529", "#ffc107"),
    ("#f8f9fa", "#343a40"),
)
FACES = (
    ("DejaVu Sans", 400),
    ("DejaVu Sans", 700),
    ("Liberation Serif", 400),
    ("DejaVu Sans Mono", 400),
    ("Liberation Sans", 400),
)
CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@&%#?"


@dataclass
class Cell:
    kind: str  # icon | letter | photo | avatar | box
    html: str
    truth: str = ""  # family:name of an icon; the character of a letter
    size: int = 0
    face: tuple[str, int] | None = None


def _icon_cells(index: IconIndex, count: int, rng: random.Random) -> list[Cell]:
    cells = []
    for position in rng.sample(range(len(index)), count):
        icon = index.icons[position]
        size = rng.choice(SIZES)
        color, background = rng.choice(SCHEMES)
        tag = f'<i class="{icon.classes}" style="font-size:{size}px;color:{color}"></i>'
        cells.append(Cell("icon", _cell(tag, background), f"{icon.family}:{icon.name}", size))
    return cells


def _letter_cells(count: int, rng: random.Random) -> list[Cell]:
    cells = []
    for _ in range(count):
        ch = rng.choice(CHARACTERS)
        face = rng.choice(FACES)
        size = rng.choice(SIZES)
        color, background = rng.choice(SCHEMES)
        style = f"font:{face[1]} {size}px '{face[0]}';color:{color};line-height:1"
        cells.append(Cell("letter", _cell(f'<span style="{style}">{ch}</span>', background), ch, size, face))
    return cells


def _noise_image(rng: np.random.Generator, size: int) -> str:
    """A smooth random colour field (a stand-in for a photo), as a PNG data URI."""
    small = rng.integers(0, 256, (5, 5, 3)).astype(np.uint8)
    field = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 10, field.shape)
    image = np.clip(field + grain, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _picture_cells(count: int, rng: random.Random, seed: int) -> list[Cell]:
    noise = np.random.default_rng(seed)
    cells = []
    for k in range(count):
        size = rng.choice((24, 32, 40, 48, 56))
        uri = _noise_image(noise, size)
        if k % 2:
            tag = f'<img src="{uri}" width="{size}" height="{size}" style="border-radius:50%">'
            cells.append(Cell("avatar", _cell(tag, "#ffffff"), size=size))
        else:
            tag = f'<img src="{uri}" width="{size}" height="{size}">'
            cells.append(Cell("photo", _cell(tag, "#ffffff"), size=size))
    return cells


def _box_cells(count: int, rng: random.Random) -> list[Cell]:
    cells = []
    for _ in range(count):
        w, h = rng.choice((12, 16, 20, 32, 48, 60)), rng.choice((8, 12, 16, 24, 40))
        radius = rng.choice((0, 2, 4, 8, 999))
        color, background = rng.choice(SCHEMES)
        style = rng.choice(
            (
                f"background:{color}",
                f"border:1px solid {color}",
                f"border:2px solid {color};background:{background}",
                f"background:{color};box-shadow:0 1px 3px rgba(0,0,0,.3)",
            )
        )
        tag = f'<div style="width:{w}px;height:{h}px;border-radius:{radius}px;{style}"></div>'
        cells.append(Cell("box", _cell(tag, background), size=max(w, h)))
    return cells


def _cell(inner: str, background: str) -> str:
    return f'<div class="cell" style="background:{background}">{inner}</div>'


def _sheet(cells: list[Cell]) -> tuple[str, Viewport]:
    rows = (len(cells) + COLUMNS - 1) // COLUMNS
    grid = f"display:grid;grid-template-columns:repeat({COLUMNS},{CELL}px);grid-auto-rows:{CELL}px"
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<link rel='stylesheet' href='@fortawesome/fontawesome-free/css/all.min.css'>"
        "<link rel='stylesheet' href='bootstrap-icons/font/bootstrap-icons.min.css'>"
        f"<style>body{{margin:0;{grid}}}"
        ".cell{display:flex;align-items:center;justify-content:center;overflow:hidden}</style>"
        f"</head><body>{''.join(c.html for c in cells)}</body></html>"
    )
    return html, Viewport(COLUMNS * CELL, rows * CELL)


async def _render(html: str, viewport: Viewport) -> np.ndarray:
    pool = SealedBrowserPool(Settings(_env_file=None))  # type: ignore[call-arg]
    await pool.start()
    try:
        result = await pool.render(html, viewport, base_dir=NODE_MODULES)
    finally:
        await pool.close()
    with Image.open(io.BytesIO(result.png)) as image:
        return np.asarray(image.convert("RGB"))


def _crops(shot: np.ndarray, count: int) -> list[np.ndarray]:
    crops = []
    for k in range(count):
        row, col = divmod(k, COLUMNS)
        crops.append(shot[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL])
    return crops


def run(icon_count: int, other_count: int, seed: int = 7) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        IconIndex.load(NODE_MODULES, Path(cache))
        cold = time.perf_counter() - started
        IconIndex._loaded.clear()
        started = time.perf_counter()
        index = IconIndex.load(NODE_MODULES, Path(cache))
        warm = time.perf_counter() - started

    rng = random.Random(seed)
    cells = (
        _icon_cells(index, icon_count, rng)
        + _letter_cells(other_count, rng)
        + _picture_cells(other_count // 2, rng, seed)
        + _box_cells(other_count // 2, rng)
    )
    html, viewport = _sheet(cells)
    shot = asyncio.run(_render(html, viewport))
    crops = _crops(shot, len(cells))
    alphas = [ink_alpha(crop) for crop in crops]

    started = time.perf_counter()
    matches = index.match_crops(crops)
    query_ms = (time.perf_counter() - started) * 1000 / len(cells)

    strict = same_ink = 0
    by_size: dict[str, list[int]] = {}
    misses: list[str] = []
    icon_scores = []
    for cell, match, alpha in zip(cells, matches, alphas, strict=True):
        if cell.kind != "icon":
            continue
        family, name = cell.truth.split(":")
        truth = index.get(family, name)
        hit = match is not None and match.score >= CONFIDENT and match.icon is truth
        alike = hit or (
            match is not None and match.score >= CONFIDENT and _alike(index, match.icon, truth, alpha)
        )
        strict += hit
        same_ink += alike
        icon_scores.append(match.score if match else 0.0)
        bucket = "12-16" if cell.size <= 16 else "18-28" if cell.size <= 28 else "32-48"
        by_size.setdefault(bucket, []).append(int(alike))
        if not alike:
            got = f"{match.icon.family}:{match.icon.name} {match.score:.2f}" if match else "nothing"
            misses.append(f"{cell.truth}@{cell.size}px -> {got}")
    icons = sum(1 for c in cells if c.kind == "icon")

    other_scores = [m.score if m else 0.0 for c, m in zip(cells, matches, strict=True) if c.kind != "icon"]
    false_rates: dict[str, float] = {}
    worst: list[str] = []
    for kind in ("letter", "photo", "avatar", "box"):
        picked = [(c, m, a) for c, m, a in zip(cells, matches, alphas, strict=True) if c.kind == kind]
        fooled = [(c, m) for c, m, _a in picked if m is not None and m.score >= CONFIDENT]
        false_rates[kind] = len(fooled) / max(len(picked), 1)
        worst += [
            f"{kind} {c.truth or c.size} -> {m.icon.family}:{m.icon.name} {m.score:.2f}" for c, m in fooled
        ][:6]
        if kind == "letter":
            decided = sum(
                1 for c, m, a in picked if m is not None and text_or_icon(a, c.truth, m) is not None
            )
            false_rates["letter_after_text_check"] = decided / max(len(picked), 1)
    return {
        "summary": {
            "icons_in_index": len(index),
            "build_cold_s": round(cold, 2),
            "load_warm_s": round(warm, 3),
            "query_ms_per_crop": round(query_ms, 2),
            "top1_strict": round(strict / max(icons, 1), 4),
            "top1_same_ink": round(same_ink / max(icons, 1), 4),
            **{f"top1_same_ink_{k}px": round(sum(v) / len(v), 4) for k, v in sorted(by_size.items())},
            **{f"false_match_{k}": round(v, 4) for k, v in false_rates.items()},
            "icon_score_p1": round(float(np.percentile(icon_scores, 1)), 3) if icon_scores else 0.0,
            "icon_score_p5": round(float(np.percentile(icon_scores, 5)), 3) if icon_scores else 0.0,
            **{
                f"non_icon_score_p{q}": round(float(np.percentile(other_scores, q)), 3)
                for q in (90, 99)
                if other_scores
            },
        },
        "misses": misses[:20],
        "false_matches": worst,
        "threshold": CONFIDENT,
    }


def _alike(index: IconIndex, got, truth, alpha: np.ndarray) -> bool:  # type: ignore[no-untyped-def]
    """Whether two icons draw the same ink at this crop's size (near-duplicates across the sets)."""
    if truth is None:
        return False
    a, b = index.icons.index(got), index.icons.index(truth)
    ys, xs = np.nonzero(alpha > 0.2)
    if len(xs) == 0:
        return False
    size = (int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1)
    ma = cv2.resize(index.mask(a), size, interpolation=cv2.INTER_AREA).ravel()
    mb = cv2.resize(index.mask(b), size, interpolation=cv2.INTER_AREA).ravel()
    return float(np.corrcoef(ma, mb)[0, 1]) >= 0.97


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer icons and non-icons")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--icons", type=int, default=None, help="icons drawn (default 640, quick 160)")
    args = parser.parse_args()
    icon_count = args.icons or (160 if args.quick else 640)
    result = run(icon_count, 80 if args.quick else 320)
    if args.json:
        print(json.dumps(result))
        return 0
    console = Console()
    table = Table(title=f"icon index (threshold {CONFIDENT})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in result["summary"].items():  # type: ignore[union-attr]
        table.add_row(key, str(value))
    console.print(table)
    console.print("[bold]misses[/]", *result["misses"], sep="\n  ")  # type: ignore[misc]
    console.print("[bold]false matches[/]", *result["false_matches"], sep="\n  ")  # type: ignore[misc]
    console.print("(timings on a shared 2-core machine: inflated by whatever else runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
