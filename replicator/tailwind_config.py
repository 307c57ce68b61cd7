"""The page's inline ``tailwind.config = {...}`` (Tailwind Play CDN style), read without running it.

The object literal is parsed as JSON5 (unquoted keys, single quotes, trailing commas, comments),
never evaluated: the page is hostile and Node's ``vm`` is no sandbox. A config that needs code
(functions, plugins, spreads) cannot be read; it is ignored with a note and the page gets
Tailwind's default theme.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import json5

from .inline_assets import remove_element

_ASSIGNMENT = re.compile(r"\btailwind\.config\s*=\s*")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def read_tailwind_config(doc: ET.Element, removed: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The merged inline Tailwind config of ``doc``; its scripts are removed from the tree."""
    config: dict[str, Any] | None = None
    for parent in list(doc.iter()):
        for script in list(parent):
            if script.tag != "script" or script.get("src") or "tailwind.config" not in (script.text or ""):
                continue
            text = script.text or ""
            match = _ASSIGNMENT.search(text)
            literal = _object_literal(text, match.end()) if match else None
            parsed = _parse(literal) if literal else None
            if parsed is None:
                removed.append(("inline tailwind.config that is not plain data (default theme used)", ""))
            else:
                config = {**(config or {}), **parsed}
            rest = text.replace(literal or "", "", 1) if literal else text
            rest = _COMMENTS.sub("", _ASSIGNMENT.sub("", rest))
            if not rest.strip(" \t\r\n;"):
                remove_element(parent, script)  # without the CDN script it would only throw
    return config


def _object_literal(text: str, start: int) -> str | None:
    """The balanced ``{...}`` starting at ``start``, skipping braces inside strings and comments."""
    if start >= len(text) or text[start] != "{":
        return None
    depth, i, quote = 0, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    return None


def _parse(literal: str) -> dict[str, Any] | None:
    if "`" in literal:
        return None  # template literals may interpolate code
    try:
        value = json5.loads(literal)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
