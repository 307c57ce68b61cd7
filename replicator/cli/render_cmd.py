"""``replicator render PAGE.html -o shot.png``: a page rendered by the sealed browser, as the scorer sees it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import InputError
from ..models import Viewport
from . import command
from ._common import load_settings, stdout_console

if TYPE_CHECKING:
    from ..config import Settings
    from ..models import RenderResult

# Larger pages are almost certainly not HTML we should render (and would not fit the model either).
MAX_PAGE_BYTES = 20 * 1024 * 1024


@command("render")
def render(
    page: Path = typer.Argument(
        ...,
        metavar="PAGE.html",
        exists=True,
        dir_okay=False,
        readable=True,
        help="The HTML file to render; files in its folder are served to it (nothing else is).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="SHOT.png",
        help="Where to write the PNG.",
        show_default="PAGE.png beside the page",
    ),
    width: int | None = typer.Option(
        None,
        "--width",
        min=200,
        max=4096,
        metavar="PX",
        help="Viewport width in CSS pixels.",
        show_default="REPLICATOR_VIEWPORT_WIDTH, else 1280",
    ),
    height: int | None = typer.Option(
        None,
        "--height",
        min=200,
        max=4096,
        metavar="PX",
        help="Viewport height in CSS pixels.",
        show_default="REPLICATOR_VIEWPORT_HEIGHT, else 800",
    ),
    full_page: bool = typer.Option(
        True,
        "--full-page/--no-full-page",
        help="The whole page (clamped to --max-height) or the viewport only.",
    ),
    max_height: int | None = typer.Option(
        None,
        "--max-height",
        min=200,
        metavar="PX",
        help="Clamp full-page screenshots to this height.",
        show_default="REPLICATOR_RENDER_MAX_HEIGHT, else 10000",
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        metavar="SECONDS",
        help="Stop a page that has not finished by then.",
        show_default="REPLICATOR_RENDER_TIMEOUT_S, else 15",
    ),
    boxes: Path | None = typer.Option(
        None, "--boxes", metavar="BOXES.json", help="Also write the DOM's text and element boxes as JSON."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of a sentence."),
) -> None:
    """Render an HTML page to a PNG screenshot in the sealed browser.

    The browser reaches no network; files in the page's folder are served to it.
    """
    settings = load_settings(
        viewport_width=width,
        viewport_height=height,
        render_max_height=max_height,
        render_timeout_s=timeout,
    )
    html = read_page(page)
    target = output or page.with_suffix(".png")
    if target.is_dir():
        raise InputError(f"{target} is a folder; give a file name for the PNG.")
    viewport = Viewport(settings.viewport_width, settings.viewport_height)
    result = asyncio.run(_render(settings, html, viewport, page.resolve().parent, full_page))
    from ..batch import write_atomic

    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, result.png)
    if boxes is not None:
        boxes.parent.mkdir(parents=True, exist_ok=True)
        document = json.dumps(boxes_document(result), ensure_ascii=False, indent=1)
        write_atomic(boxes, document.encode("utf-8"))
    console = stdout_console()
    if as_json:
        console.print_json(data=summary(result, target, boxes))
        return
    from rich.markup import escape

    clamped = f", clamped from {result.full_height} px" if result.clamped else ""
    console.print(
        f"Wrote {escape(str(target))} ({result.width}x{result.height}{clamped}; "
        f"{len(result.text_boxes)} text boxes, {len(result.element_boxes)} element boxes) "
        f"in {result.elapsed_ms:.0f} ms"
    )


def read_page(path: Path) -> str:
    """The file's HTML as text, decoded the way a browser would (BOM, <meta charset>, then guess)."""
    from bs4 import UnicodeDammit

    if path.stat().st_size > MAX_PAGE_BYTES:
        raise InputError(
            f"{path} is larger than {MAX_PAGE_BYTES // 2**20} MiB; that is not a page to render."
        )
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path} is not a text file; give an HTML page.")
    text = UnicodeDammit(data, is_html=True).unicode_markup
    if text is None:
        raise InputError(f"{path} could not be decoded as text; save it as UTF-8.")
    return text


async def _render(
    settings: Settings, html: str, viewport: Viewport, base_dir: Path, full_page: bool
) -> RenderResult:
    from ..render import SealedBrowserPool

    async with SealedBrowserPool(settings) as pool:
        return await pool.render(html, viewport, base_dir=base_dir, full_page=full_page)


def summary(result: RenderResult, target: Path, boxes: Path | None) -> dict[str, Any]:
    return {
        "output": str(target),
        "width": result.width,
        "height": result.height,
        "full_height": result.full_height,
        "clamped": result.clamped,
        "text_boxes": len(result.text_boxes),
        "element_boxes": len(result.element_boxes),
        "elapsed_ms": result.elapsed_ms,
        "boxes": str(boxes) if boxes else None,
    }


def boxes_document(result: RenderResult) -> dict[str, Any]:
    return {
        "width": result.width,
        "height": result.height,
        "full_height": result.full_height,
        "clamped": result.clamped,
        "text_boxes": [asdict(box) for box in result.text_boxes],
        "element_boxes": [asdict(box) for box in result.element_boxes],
    }
