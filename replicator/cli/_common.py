"""What every command shares: building Settings at the edge, the consoles."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from ..config import Settings


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env, with command-line overrides (None means unset)."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)  # type: ignore[arg-type]


def concurrency_option(what: str) -> Any:
    """``-j/--concurrency``: how many ``what`` at once; unset means one per usable core."""
    return typer.Option(
        None,
        "--concurrency",
        "-j",
        min=1,
        max=32,
        help=f"{what} at once (default: one per usable core).",
        show_default=False,
    )


def stdout_console() -> Console:
    return Console()


def stderr_console() -> Console:
    return Console(stderr=True)
