"""``replicator db``: the PostgreSQL schema of a several-process deployment (``REPLICATOR_DATABASE_URL``).

``migrate`` applies what the database lacks (safe to run from several machines at once, and again);
``status`` says which version the database has and whether this version of replicator can use it.
"""

from __future__ import annotations

import typer

from ..errors import ConfigurationError
from . import ReplicatorGroup, app
from ._command import ReplicatorCommand
from ._common import load_settings

db_app = typer.Typer(
    cls=ReplicatorGroup,
    help="The job database of a deployment on several machines (PostgreSQL).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")


def _url(database_url: str | None) -> str:
    url = database_url or load_settings().database_url
    if not url:
        raise ConfigurationError(
            "No database to use: set REPLICATOR_DATABASE_URL (postgresql://...) or pass --database-url."
        )
    return url


_URL_OPTION = typer.Option(None, "--database-url", help="Overrides REPLICATOR_DATABASE_URL.")


@db_app.command("migrate", cls=ReplicatorCommand)
def migrate_command(database_url: str | None = _URL_OPTION) -> None:
    """Create or bring up to date replicator's tables in the database."""
    from ..jobs.pg_store import migrate, redacted

    url = _url(database_url)
    before, after = migrate(url)
    if before == after:
        typer.echo(f"{redacted(url)}: schema already at version {after}.")
    else:
        typer.echo(f"{redacted(url)}: schema migrated from version {before} to {after}.")


@db_app.command("status", cls=ReplicatorCommand)
def status_command(database_url: str | None = _URL_OPTION) -> None:
    """The database's schema version, and whether it needs `replicator db migrate` (exit 1 if so)."""
    from ..jobs.pg_store import SCHEMA_VERSION, redacted, schema_version

    url = _url(database_url)
    version = schema_version(url)
    if version < SCHEMA_VERSION:
        typer.echo(
            f"{redacted(url)}: schema version {version}, needs {SCHEMA_VERSION}: run `replicator db migrate`."
        )
        raise typer.Exit(1)
    typer.echo(f"{redacted(url)}: schema version {version}, up to date.")
