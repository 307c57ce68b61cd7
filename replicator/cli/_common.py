"""What every command shares: building Settings at the edge, the consoles, common options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import Settings


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env, with command-line overrides (None means unset).

    An invalid setting is a ConfigurationError naming the variable, not a validation traceback.
    """
    from pydantic import ValidationError

    from ..config import Settings

    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"REPLICATOR_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid setting: {problems}") from exc


def concurrency_option(what: str) -> Any:
    """``-j/--concurrency N``: how many ``what`` at once; unset means one per usable core."""
    return typer.Option(
        None,
        "--concurrency",
        "-j",
        min=1,
        max=32,
        metavar="N",
        help=f"{what} at once.",
        show_default="one per usable core",
    )


def stdout_console() -> Console:
    from rich.console import Console

    return Console()


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)
