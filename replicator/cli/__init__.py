"""The ``replicator`` command line: one Typer app, one module per command group.

This module is the CLI's error boundary: a ReplicatorError raised by any command becomes a one-line
message on stderr and an exit code (2 for bad input, usage or set-up; 1 for failures at run time),
never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from ..errors import ConfigurationError, InputError, ReplicatorError

EXIT_FAILED = 1
EXIT_USAGE = 2


def exit_code_for(error: ReplicatorError) -> int:
    return EXIT_USAGE if isinstance(error, InputError | ConfigurationError) else EXIT_FAILED


class ReplicatorGroup(TyperGroup):
    """Turns ReplicatorErrors and invalid settings into one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ReplicatorError as exc:
            typer.echo(f"Error: {exc.message} [{exc.code}]", err=True)
            raise typer.Exit(exit_code_for(exc)) from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"REPLICATOR_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors()
            )
            typer.echo(f"Error: invalid setting: {problems}", err=True)
            raise typer.Exit(EXIT_USAGE) from exc


app = typer.Typer(
    name="replicator",
    cls=ReplicatorGroup,
    help="Turn screenshots and screen recordings of web UIs into faithful, self-contained HTML.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what each stage does."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Console-script entry point."""
    app()


# Command modules register themselves on ``app`` when imported.
from . import (  # noqa: E402
    check_cmd,
    convert_cmd,
    doctor_cmd,
    glm_cmd,
    render_cmd,
    score_cmd,
    serve_cmd,
    settings_cmd,
)

__all__ = [
    "app",
    "check_cmd",
    "convert_cmd",
    "doctor_cmd",
    "glm_cmd",
    "main",
    "render_cmd",
    "score_cmd",
    "serve_cmd",
    "settings_cmd",
]
