"""``replicator fake-glm``: serve the fake GLM-4.5V API on loopback, for demos and manual tests."""

from __future__ import annotations

import sys
import threading
from typing import Any

import typer

from . import command
from ._command import ReplicatorCommand
from ._common import stdout_console


class _FakeGlmCommand(ReplicatorCommand):
    """Its help ends with the scenario names, looked up only when the help is shown."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        import textwrap

        from ..fake_glm import scenario_names

        with formatter.section("Scenarios"):
            width = formatter.width - formatter.current_indent
            for line in textwrap.wrap(", ".join(scenario_names()), width, break_on_hyphens=False):
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


@command("fake-glm", cls=_FakeGlmCommand)
def fake_glm_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", metavar="HOST", help="Address to bind (keep it on loopback)."
    ),
    port: int = typer.Option(
        8765, "--port", min=0, max=65535, metavar="PORT", help="Port to listen on (0: any free port)."
    ),
    scenario: str = typer.Option(
        "normal",
        "--scenario",
        metavar="NAME[,NAME...]",
        help="Scenarios (listed below) played in order for the first requests; the last repeats.",
    ),
    api_key: str = typer.Option(
        "fake-key",
        "--api-key",
        metavar="KEY",
        help="The key clients must send as 'Authorization: Bearer KEY'.",
    ),
    model: str = typer.Option(
        "glm-4.5v", "--model", metavar="NAME", help="The model name clients must ask for."
    ),
    image_encoding: str = typer.Option(
        "base64", "--image-encoding", metavar="base64|data_url", help="Expected image encoding."
    ),
    thinking_style: str = typer.Option(
        "thinking",
        "--thinking-style",
        metavar="thinking|chat_template_kwargs",
        help="Expected thinking switch.",
    ),
    stall_s: float = typer.Option(
        30.0, "--stall-s", min=0, metavar="SECONDS", help="How long the stall scenarios say nothing."
    ),
) -> None:
    """Serve a fake GLM-4.5V API for tests and demos.

    It checks every request as the real API would and plays scripted scenarios (listed below).
    """
    from ..fake_glm import FakeGlm, FakeGlmServer, is_known_scenario, scenario_names

    names = [s.strip() for s in scenario.split(",") if s.strip()] or ["normal"]
    unknown = [s for s in names if not is_known_scenario(s)]
    if unknown:
        raise typer.BadParameter(
            f"unknown scenario(s) {unknown}; choose from {scenario_names()}", param_hint="--scenario"
        )
    if image_encoding not in ("base64", "data_url"):
        raise typer.BadParameter("choose base64 or data_url", param_hint="--image-encoding")
    if thinking_style not in ("thinking", "chat_template_kwargs"):
        raise typer.BadParameter("choose thinking or chat_template_kwargs", param_hint="--thinking-style")
    fake = FakeGlm(
        api_key=api_key or None,
        model=model,
        image_encoding=image_encoding,  # type: ignore[arg-type]
        thinking_style=thinking_style,  # type: ignore[arg-type]
        default_scenario=names[-1],
        stall_s=stall_s,
    )
    fake.queue(*names[:-1])
    server = FakeGlmServer(fake, host=host, port=port).start()
    console = stdout_console()
    console.print(f"Fake GLM-4.5V listening on {server.base_url}", highlight=False, soft_wrap=True)
    console.print(
        f"Point replicator at it: REPLICATOR_BACKEND=glm REPLICATOR_GLM_BASE_URL={server.base_url} "
        f"REPLICATOR_API_KEY={api_key}   (Ctrl-C stops it)",
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.flush()  # the URL must reach a pipe or log file now, not when the server stops
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
