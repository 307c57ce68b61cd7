"""``replicator score SOURCE.png PAGE.html|CANDIDATE.png``: how close a page is to its screenshot."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import InputError
from ..models import Viewport
from . import command
from ._common import load_settings, stdout_console

if TYPE_CHECKING:
    from rich.table import Table

    from ..config import Settings
    from ..models import RenderResult, Score

MAX_IMAGE_BYTES = 50 * 1024 * 1024


@command("score")
def score(
    source: Path = typer.Argument(
        ...,
        metavar="SOURCE.png",
        exists=True,
        dir_okay=False,
        readable=True,
        help="The source screenshot (PNG, JPEG or WebP).",
        show_default=False,
    ),
    candidate: Path = typer.Argument(
        ...,
        metavar="PAGE.html|CANDIDATE.png",
        exists=True,
        dir_okay=False,
        readable=True,
        help="An HTML page (rendered at the source's width, then scored) or a second screenshot.",
        show_default=False,
    ),
    diff: Path | None = typer.Option(
        None,
        "--diff",
        metavar="DIFF.png",
        help="Write the diff heatmap (the source with differences in red).",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the breakdown and discrepancies as JSON."),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        metavar="SECONDS",
        help="Stop a page that has not finished by then.",
        show_default="REPLICATOR_RENDER_TIMEOUT_S, else 15",
    ),
) -> None:
    """Score a page or a screenshot against a source screenshot.

    An HTML page is rendered at the source's width first. The score (0-100) follows Design2Code;
    the README's "The score explained" says what each sub-score measures.
    """
    from ..ocr import OcrEngine
    from ..score import analyze_reference, score_against_source, score_screenshots

    settings = load_settings(render_timeout_s=timeout)
    source_png = _read_image(source)
    started = time.perf_counter()
    ocr = OcrEngine.shared()
    if _is_image(candidate):
        mode = "screenshot"
        result = score_screenshots(source_png, _read_image(candidate), ocr=ocr)
    else:
        from .render_cmd import read_page

        mode = "page"
        html = read_page(candidate)
        reference = analyze_reference(source_png, ocr=ocr)
        viewport = Viewport(reference.width, min(reference.height, 1080))
        render = asyncio.run(_render(settings, html, viewport, candidate.resolve().parent))
        result = score_against_source(reference, render, ocr=ocr)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if diff is not None:
        if diff.is_dir():
            raise InputError(f"{diff} is a folder; give a file name for the heatmap PNG.")
        from ..batch import write_atomic

        diff.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(diff, result.heatmap_png)

    console = stdout_console()
    if as_json:
        console.print_json(data=score_document(result, source, candidate, mode, diff, elapsed_ms))
        return
    console.print(breakdown_table(result))
    if result.discrepancies:
        console.print(discrepancy_table(result))
    if diff is not None:
        console.print(f"Heatmap written to {diff}", markup=False, highlight=False)


def _is_image(path: Path) -> bool:
    from ..intake import IMAGE_TYPES, sniff_media_type

    with path.open("rb") as handle:
        head = handle.read(64)
    return sniff_media_type(head) in IMAGE_TYPES


def _read_image(path: Path) -> bytes:
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise InputError(f"{path} is larger than {MAX_IMAGE_BYTES // 2**20} MiB; that is not a screenshot.")
    if not _is_image(path):
        raise InputError(f"{path} is not a PNG, JPEG or WebP image.")
    return path.read_bytes()


async def _render(settings: Settings, html: str, viewport: Viewport, base_dir: Path) -> RenderResult:
    from ..render import SealedBrowserPool

    async with SealedBrowserPool(settings) as pool:
        return await pool.render(html, viewport, base_dir=base_dir)


def score_document(
    result: Score,
    source: Path,
    candidate: Path,
    mode: str,
    diff: Path | None,
    elapsed_ms: float,
) -> dict[str, Any]:
    """The ``--json`` output: breakdown and ranked discrepancies with the points each costs (boxes in
    source pixels)."""
    return {
        "source": str(source),
        "candidate": str(candidate),
        "mode": mode,
        "score": result.breakdown(),
        "discrepancies": [
            {
                "kind": d.kind,
                "message": d.message,
                "weight": d.weight,
                "box": {k: round(v, 1) for k, v in asdict(d.box).items()} if d.box else None,
            }
            for d in result.discrepancies
        ],
        "diff": str(diff) if diff else None,
        "elapsed_ms": round(elapsed_ms, 1),
    }


def breakdown_table(result: Score) -> Table:
    from rich.table import Table

    table = Table(
        title=f"Score {result.overall:.1f} / 100 (100 less what the differences below cost)",
        title_justify="left",
    )
    table.add_column("sub-score")
    table.add_column("value", justify="right")
    table.add_column("what it measures")
    meaning = {
        "block": "text-block area matched, both ways",
        "text": "characters of the source's text reproduced",
        "position": "matched blocks in the same place",
        "color": "matched text in the same color (CIEDE2000)",
        "typography": "matched text drawn alike (family, weight, size, spacing)",
        "edges": "borders, dividers and outlines where the source has them",
        "graphics": "icons, images, charts and illustrations where the source has them",
        "visual": "structure, colors and layout with text painted over",
    }
    values = result.breakdown()
    for name, what in meaning.items():
        table.add_row(name, f"{values[name]:.1f}", what)
    return table


def discrepancy_table(result: Score) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Largest differences (points they cost)", title_justify="left")
    table.add_column("cost", justify="right")
    table.add_column("kind")
    table.add_column("what differs")
    for d in result.discrepancies:
        table.add_row(f"{d.weight:.1f}", d.kind, escape(d.message))
    return table
