"""``replicator settings``: the effective settings, or the README's settings table (``--markdown``)."""

from __future__ import annotations

import json
from typing import Any

import typer

from . import command
from ._common import load_settings, stdout_console


def _env_names(name: str, field: Any) -> list[str]:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return [c for c in choices if isinstance(c, str) and c.isupper()]
    return [f"REPLICATOR_{name.upper()}"]


def _default_text(name: str, field: Any) -> str:
    if field.default_factory is not None:
        return {"data_dir": "`$XDG_DATA_HOME/replicator`", "web_dir": "`web/` beside the package"}.get(
            name, "(computed)"
        )
    default = field.default
    if default is None:
        return "unset"
    if name == "assets_dir":
        return "`node_modules/` beside the package"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def settings_markdown() -> str:
    """The settings table for the README, generated from the Settings class."""
    from ..config import Settings

    lines = ["| environment variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        env = ", ".join(f"`{e}`" for e in _env_names(name, field))
        lines.append(f"| {env} | {_default_text(name, field)} | {field.description or ''} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> Any:
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if value is None:
        return None
    return str(value) if not isinstance(value, bool | int | float) else value


@command("settings")
def settings_command(
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's settings table."),
    as_json: bool = typer.Option(False, "--json", help="Print the effective settings as JSON."),
) -> None:
    """Show the effective settings; secrets are masked.

    Settings come from REPLICATOR_* environment variables and a .env file in the working folder.
    """
    console = stdout_console()
    if markdown:
        typer.echo(settings_markdown(), nl=False)
        return
    settings = load_settings()
    values = {name: _shown(getattr(settings, name)) for name in type(settings).model_fields}
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    from rich.table import Table

    table = Table("setting", "value", title="replicator settings")
    for name, value in values.items():
        table.add_row(f"REPLICATOR_{name.upper()}", "" if value is None else str(value))
    console.print(table)
