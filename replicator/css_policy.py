"""The output policy for CSS: no ``url()`` or ``@import`` may reach the network or the app's origin.

Works on tokens (tinycss2), not regular expressions, so escapes (``\\75rl(``), comments, quoting and
``image-set("x.png" 1x)`` strings cannot smuggle a URL past it. Used by ``sanitize`` for ``<style>``
elements, ``style`` attributes, SVG presentation attributes and the framework CSS it inlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import quote

import tinycss2
from tinycss2 import ast

# A neutral light-grey box stands in for remote images (CSS backgrounds, <img>, posters).
PLACEHOLDER_FILL = "#e5e7eb"
EMPTY_URL = "data:,"  # for fonts and anything that is not an image: loads nothing, costs nothing

_IMAGE_SET = {"image-set", "-webkit-image-set"}

# What the policy removed: (what, which) pairs, e.g. ("remote image (grey placeholder)", url).
Removed = list[tuple[str, str]]


def placeholder_image(width: int = 0, height: int = 0) -> str:
    """A data: URI of a grey SVG box, with an intrinsic size when one is known."""
    size = f" width='{width}' height='{height}'" if width > 0 and height > 0 else ""
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg'{size}>"
        f"<rect width='100%' height='100%' fill='{PLACEHOLDER_FILL}'/></svg>"
    )
    # Fully percent-encoded (no quotes, spaces or parentheses) so it is valid unquoted in url().
    return "data:image/svg+xml," + quote(svg, safe="/:=")


def is_local_url(url: str) -> bool:
    """Whether a URL loads nothing from anywhere: data:, blob: and same-document ``#fragments``."""
    cleaned = "".join(ch for ch in url if ch > " ").lower()
    return cleaned.startswith(("data:", "blob:", "#")) or cleaned == ""


def describe(url: str, limit: int = 90) -> str:
    url = " ".join(url.split())
    return url if len(url) <= limit else url[: limit - 1] + "\u2026"


def sanitize_stylesheet(
    css: str,
    removed: Removed,
    *,
    on_import: Callable[[str], str | None] | None = None,
) -> str:
    """A stylesheet with every remote ``url()`` replaced and every ``@import`` dropped.

    ``on_import(url)`` may return CSS to put in place of an import (local copies of Google Fonts).
    """
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    prefix: list[str] = []
    out: list[ast.Node] = []
    for rule in rules:
        if isinstance(rule, ast.ParseError):
            continue
        if isinstance(rule, ast.AtRule) and rule.lower_at_keyword == "import":
            url = _import_url(rule.prelude)
            replacement = on_import(url) if (on_import and url) else None
            if replacement is not None:
                prefix.append(replacement)
            else:
                removed.append(("CSS @import", describe(url or "")))
            continue
        in_font_face = isinstance(rule, ast.AtRule) and rule.lower_at_keyword == "font-face"
        if isinstance(rule, ast.QualifiedRule | ast.AtRule):
            rule.prelude = _clean(rule.prelude, removed, in_font_face)
            if rule.content is not None:
                rule.content = _clean(rule.content, removed, in_font_face)
        out.append(rule)
    return "".join(prefix) + tinycss2.serialize(out)


def sanitize_declarations(value: str, removed: Removed) -> str:
    """A ``style`` attribute (or an SVG presentation attribute) with remote ``url()`` replaced."""
    if "url" not in value.lower() and "\\" not in value and "image-set" not in value.lower():
        return value  # the common case: nothing that can load anything
    tokens = tinycss2.parse_component_value_list(value, skip_comments=True)
    return tinycss2.serialize(_clean(tokens, removed, False))


def _import_url(prelude: Iterable[ast.Node]) -> str | None:
    for token in prelude:
        if isinstance(token, ast.URLToken | ast.StringToken):
            return str(token.value)
        if isinstance(token, ast.FunctionBlock) and token.lower_name == "url":
            for arg in token.arguments:
                if isinstance(arg, ast.StringToken):
                    return str(arg.value)
    return None


def _clean(tokens: list[ast.Node], removed: Removed, in_font_face: bool) -> list[ast.Node]:
    out: list[ast.Node] = []
    for token in tokens:
        if isinstance(token, ast.URLToken):
            if not is_local_url(token.value):
                token = _replacement_url(token, token.value, removed, in_font_face)
        elif isinstance(token, ast.FunctionBlock):
            if token.lower_name in ("url", "src"):
                url = next((a.value for a in token.arguments if isinstance(a, ast.StringToken)), "")
                if not is_local_url(url):
                    token = _replacement_url(token, url, removed, in_font_face)
            else:
                in_image_set = token.lower_name in _IMAGE_SET
                token.arguments = [
                    _replacement_string(a, removed)
                    if in_image_set and isinstance(a, ast.StringToken) and not is_local_url(a.value)
                    else a
                    for a in _clean(token.arguments, removed, in_font_face)
                ]
        elif isinstance(token, ast.ParenthesesBlock | ast.SquareBracketsBlock | ast.CurlyBracketsBlock):
            token.content = _clean(token.content, removed, in_font_face)
        out.append(token)
    return out


def _replacement_url(token: ast.Node, url: str, removed: Removed, in_font_face: bool) -> ast.URLToken:
    if in_font_face:
        removed.append(("remote font", describe(url)))
        value = EMPTY_URL
    else:
        removed.append(("remote CSS url() (grey placeholder)", describe(url)))
        value = placeholder_image()
    return ast.URLToken(token.source_line, token.source_column, value, f'url("{value}")')


def _replacement_string(token: ast.StringToken, removed: Removed) -> ast.StringToken:
    removed.append(("remote CSS image-set() image (grey placeholder)", describe(token.value)))
    value = placeholder_image()
    return ast.StringToken(token.source_line, token.source_column, value, f'"{value}"')
