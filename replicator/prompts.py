"""Prompts for the model backends: Jinja2 templates shipped in ``replicator/prompts/``.

Templates render with StrictUndefined, so a missing variable is an error, never an empty hole in a
prompt. Autoescaping is off: prompts are plain text and carry HTML verbatim.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

GENERATE_FROM_SCREENSHOT = "generate_from_screenshot.j2"
GENERATE_FROM_RECORDING = "generate_from_recording.j2"
REFINE = "refine.j2"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("replicator", "prompts"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_prompt(name: str, **context: Any) -> str:
    """The prompt ``name`` filled with ``context``; raises jinja2.UndefinedError on a missing value."""
    return _environment().get_template(name).render(**context).strip() + "\n"


def template_names() -> list[str]:
    return [GENERATE_FROM_SCREENSHOT, GENERATE_FROM_RECORDING, REFINE]
