"""``replicator serve``: the REST API and web UI under uvicorn."""

from __future__ import annotations

import socket

import typer

from ..errors import ConfigurationError
from . import command
from ._common import load_settings, stderr_console


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: any free port), or a clear error.

    Bound here rather than by uvicorn so that the URL printed is one that is really being served
    (the actual port when 0 was asked) and a port in use is reported before anything else starts.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigurationError(f"Cannot listen on {host!r}: {exc.strerror}. Check --host.") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"Cannot listen on {host}:{port}: {exc.strerror}. Another program may be using the "
            "port: pass --port (or set REPLICATOR_PORT) to use another one."
        ) from exc
    sock.set_inheritable(True)
    return sock


@command("serve")
def serve_command(
    host: str | None = typer.Option(
        None,
        "--host",
        metavar="HOST",
        help="Address to bind.",
        show_default="REPLICATOR_HOST, else 127.0.0.1",
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        metavar="PORT",
        help="Port to listen on.",
        show_default="REPLICATOR_PORT, else 8000",
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=32,
        metavar="N",
        help="Jobs processed at once.",
        show_default="REPLICATOR_WORKERS, else 2",
    ),
) -> None:
    """Start the service: web UI, REST API and API docs.

    The web UI is at /, the REST API under /api/v1, its documentation at /docs.
    """
    import uvicorn

    from ..service import create_app

    settings = load_settings(host=host, port=port, workers=workers)
    if settings.database_url:
        # Before anything listens: a database that is unreachable or lacks the schema is one clear line.
        from ..jobs.pg_store import PgJobStore

        PgJobStore(settings.database_url).close()
    sock = bind(settings.host, settings.port)
    bound_port = sock.getsockname()[1]
    application = create_app(settings)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    console = stderr_console()
    console.print(f"replicator is serving on [bold]http://{shown_host}:{bound_port}/[/bold]")
    console.print(f"  API docs: http://{shown_host}:{bound_port}/docs   data: {settings.data_dir}")
    if settings.api_token is not None:
        console.print("  API token required (REPLICATOR_API_TOKEN): the UI asks for it once per tab.")
    server = uvicorn.Server(uvicorn.Config(application, log_level="info", access_log=False))
    server.run(sockets=[sock])
