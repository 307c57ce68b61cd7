"""How every command reads its arguments and explains itself.

Typer's own help names Python types (``<bool>``, ``<list[str]>``, ``{INPUT}...``); ours shows what a
person types: ``INPUT...``, ``-j N``, ``--resume``. Switches take no value, and a value given to
one anyway (``--resume true``) is a usage error that says so, not a file named "true".
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from typer.core import TyperCommand

# Words people put after a switch as though it took a value.
_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


class ReplicatorCommand(TyperCommand):
    """A Typer command with clean usage and help, whose switches refuse values."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = argument_metavar(param)
                pieces.append(name if param.required else f"[{name}]")
        for param in self.get_params(ctx):
            if param.param_type_name == "option" and param.required:
                pieces.append(f"{_long_name(param)} {param.metavar or 'VALUE'}")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments = []
        options = []
        for param in self.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                arguments.append((argument_metavar(param), getattr(param, "help", None) or ""))
            else:
                options.append(option_help(param))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _refuse_values_after_switches(self, ctx, args)
        return super().parse_args(ctx, args)


def argument_metavar(param: Any) -> str:
    """``INPUT...`` for an argument that takes many, ``DESIGN`` for one."""
    name = param.metavar or param.name.upper()
    return f"{name}..." if param.nargs != 1 and not name.endswith("...") else name


def option_help(param: Any) -> tuple[str, str]:
    """``("-j, --concurrency N", "Items converted at once.  [default: one per usable core; 1<=N<=32]")``.

    A default given as text (``show_default="REPLICATOR_BACKEND, else local"``) is shown as written;
    a switch shows none unless it is on by default.
    """
    names = ", ".join(sorted(param.opts, key=len))
    if param.secondary_opts:
        names += " / " + ", ".join(sorted(param.secondary_opts, key=len))
    metavar = param.metavar or "VALUE"
    if not param.is_flag:
        names += f" {metavar}"
    extra = []
    if param.envvar and param.show_envvar:
        extra.append(f"env var: {param.envvar}")
    shown = param.show_default
    if isinstance(shown, str):
        extra.append(f"default: {shown}")
    elif shown is not False and param.default is not None and not callable(param.default):
        if param.is_flag:
            if param.default is True:
                extra.append(f"default: {_long_name(param)}")
        elif param.default not in ((), []):
            value = f"{param.default:g}" if isinstance(param.default, float) else str(param.default)
            extra.append(f"default: {value}")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        extra.append(f"{low}<={metavar}<={high}")
    elif low is not None:
        extra.append(f"{metavar}>={low}")
    elif high is not None:
        extra.append(f"{metavar}<={high}")
    if param.required:
        extra.append("required")
    text = param.help or ""
    if extra:
        text = f"{text}  [{'; '.join(extra)}]" if text else f"[{'; '.join(extra)}]"
    return names, text


def _long_name(param: Any) -> str:
    return next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])


def _refuse_values_after_switches(command: TyperCommand, ctx: Any, args: list[str]) -> None:
    switches = {
        opt: param
        for param in command.get_params(ctx)
        if param.param_type_name == "option" and getattr(param, "is_flag", False)
        for opt in (*param.opts, *param.secondary_opts)
    }
    for switch, value in itertools.pairwise(args):
        if switch == "--":
            return
        param = switches.get(switch)
        if param is None or value.lower() not in _BOOLEAN_WORDS or Path(value).exists():
            continue
        if switch in param.secondary_opts:
            how = f"write {switch} alone to turn it off"
        elif param.secondary_opts:
            how = f"write {switch} alone to turn it on, {param.secondary_opts[0]} to turn it off"
        else:
            how = f"write {switch} to turn it on, leave it out to keep it off"
        ctx.fail(f"{switch} is a switch and takes no value ({value!r} was given): {how}.")
