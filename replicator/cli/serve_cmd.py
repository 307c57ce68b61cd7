"""``replicator serve``: the REST API and web UI under uvicorn."""

from __future__ import annotations

import typer

from . import app
from ._common import load_settings, stderr_console


@app.command("serve")
def serve_command(
    host: str | None = typer.Option(
        None, "--host", help="Address to bind (default: REPLICATOR_HOST, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", help="Port to listen on (default: REPLICATOR_PORT, 8000)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Jobs processed at once (REPLICATOR_WORKERS)."
    ),
) -> None:
    """Start the service: REST API under /api/v1, web UI at /, API docs at /docs."""
    import uvicorn

    from ..service import create_app

    settings = load_settings(host=host, port=port, workers=workers)
    application = create_app(settings)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    console = stderr_console()
    console.print(f"replicator is serving on [bold]http://{shown_host}:{settings.port}/[/bold]")
    console.print(f"  API docs: http://{shown_host}:{settings.port}/docs   data: {settings.data_dir}")
    if settings.api_token is not None:
        console.print("  API token required (REPLICATOR_API_TOKEN): the UI asks for it once per tab.")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info", access_log=False)
