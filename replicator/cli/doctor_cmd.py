"""``replicator doctor``: is this installation ready? Browser, OCR and the configured model backend."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import typer

from ..errors import ReplicatorError
from ..models import Viewport
from . import command
from ._common import load_settings, stdout_console

if TYPE_CHECKING:
    from ..config import Settings

_OCR_PROBE = "Doctor 4271"


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    ok: bool
    detail: str
    elapsed_ms: float


async def _browser(settings: Settings) -> str:
    from ..render import SealedBrowserPool

    path = settings.resolve_chromium()
    async with SealedBrowserPool(settings) as pool:
        result = await pool.render(
            "<!DOCTYPE html><p style='font:20px sans-serif'>doctor</p>", Viewport(320, 200)
        )
    if not any("doctor" in box.text for box in result.text_boxes):
        raise RuntimeError("Chromium rendered the test page but its text is missing")
    return f"Chromium at {path} rendered a test page"


def _ocr_probe_png() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (420, 90), "white")
    ImageDraw.Draw(image).text((16, 18), _OCR_PROBE, fill="black", font=ImageFont.load_default(size=40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def _ocr(settings: Settings) -> str:
    from ..ocr import OcrEngine

    lines = await OcrEngine.shared().aread(_ocr_probe_png())
    text = " ".join(line.text for line in lines)
    if "4271" not in text.replace(" ", ""):
        raise RuntimeError(f"OCR loaded but misread a test image ({text or 'nothing'!r})")
    return f"RapidOCR read {text!r}"


async def _backend(settings: Settings) -> str:
    from ..backends import create_backend

    backend = create_backend(settings.backend, settings)
    try:
        return f"{settings.backend}: {await backend.check()}"
    finally:
        await backend.aclose()


async def run_checks(settings: Settings) -> list[CheckOutcome]:
    """Each check in turn; a failure is reported, never raised."""
    checks: list[tuple[str, Callable[[Settings], Awaitable[str]]]] = [
        ("browser", _browser),
        ("ocr", _ocr),
        ("backend", _backend),
    ]
    outcomes = []
    for name, check in checks:
        started = time.perf_counter()
        try:
            detail, ok = await check(settings), True
        except ReplicatorError as exc:
            detail, ok = f"{exc.message} [{exc.code}]", False
        except (ImportError, OSError, RuntimeError) as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        outcomes.append(CheckOutcome(name, ok, detail, round((time.perf_counter() - started) * 1000, 1)))
    return outcomes


@command("doctor")
def doctor_command(
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        metavar="local|glm",
        help="Check this backend instead of the configured one.",
        show_default="REPLICATOR_BACKEND, else local",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as one JSON object."),
) -> None:
    """Check the browser, OCR and the model backend.

    For glm it sends one tiny real request: it proves the base URL, the model name and the key.
    The exit code is 1 when a check fails.
    """
    settings = load_settings(backend=backend)
    outcomes = asyncio.run(run_checks(settings))
    ok = all(o.ok for o in outcomes)
    console = stdout_console()
    if as_json:
        console.print_json(json.dumps({"ok": ok, "checks": [asdict(o) for o in outcomes]}))
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="replicator doctor")
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        table.add_column("ms", justify="right")
        for o in outcomes:
            table.add_row(
                o.name, "[green]ok[/]" if o.ok else "[red]FAIL[/]", escape(o.detail), f"{o.elapsed_ms:.0f}"
            )
        console.print(table)
    raise typer.Exit(0 if ok else 1)
