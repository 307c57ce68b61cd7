"""The ``replicator`` command line: one Typer app, one module per command group.

This module is the CLI's error boundary: a ReplicatorError raised by any command becomes a one-line
message on stderr and an exit code (2 for bad input, usage or set-up; 1 for failures at run time),
never a traceback.

Start-up time is part of the interface (``replicator --help`` answers in a fraction of a second):
command modules import only Typer and the standard library at the top, and what a command needs
(the pipeline, the browser, OCR, the web service) inside the command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import ConfigurationError, InputError, ReplicatorError
from ._command import ReplicatorCommand

EXIT_FAILED = 1
EXIT_USAGE = 2


def exit_code_for(error: ReplicatorError) -> int:
    return EXIT_USAGE if isinstance(error, InputError | ConfigurationError) else EXIT_FAILED


class ReplicatorGroup(TyperGroup):
    """Turns ReplicatorErrors into one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ReplicatorError as exc:
            typer.echo(f"Error: {exc.message} [{exc.code}]", err=True)
            raise typer.Exit(exit_code_for(exc)) from exc


app = typer.Typer(
    name="replicator",
    cls=ReplicatorGroup,
    help="Turn screenshots and screen recordings of web UIs into faithful, self-contained HTML.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help and usage errors: quick to print, readable in a pipe or a CI log.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def command(
    name: str, *, cls: type[ReplicatorCommand] = ReplicatorCommand
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command on ``app`` with the CLI's usage and help conventions."""
    return app.command(name, cls=cls)


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
    db_cmd,
    doctor_cmd,
    glm_cmd,
    render_cmd,
    score_cmd,
    serve_cmd,
    settings_cmd,
    worker_cmd,
)

__all__ = [
    "app",
    "check_cmd",
    "command",
    "convert_cmd",
    "db_cmd",
    "doctor_cmd",
    "glm_cmd",
    "main",
    "render_cmd",
    "score_cmd",
    "serve_cmd",
    "settings_cmd",
    "worker_cmd",
]
