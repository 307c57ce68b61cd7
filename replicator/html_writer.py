"""Writes an html5lib ElementTree back as HTML that a browser re-parses to the same tree.

Written by hand because html5lib's serializer decides raw-text handling by tag name alone: it
writes an SVG ``<style>``'s text unescaped, although inside SVG that text is parsed as markup again
(the mutation-XSS pattern). Here raw text is raw only for HTML-namespace elements; text in SVG and
MathML is escaped; attribute values always quoted with ``< > & "`` escaped; and the raw text of
``<style>``/``<script>`` can never close its own element early (``</style`` becomes ``<\\/style``,
which means the same inside CSS and JS strings).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
_ATTR_PREFIXES = {
    "{http://www.w3.org/1999/xlink}": "xlink:",
    "{http://www.w3.org/XML/1998/namespace}": "xml:",
    "{http://www.w3.org/2000/xmlns/}": "xmlns:",
}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "param", "keygen", "basefont", "bgsound", "frame",
}  # fmt: skip
_RAW_TEXT = {"style", "script", "xmp", "iframe", "noembed", "noframes", "noscript"}
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"})
_VALID_NAME = re.compile(r"^[^\s\"'>/=\x00-\x1f]+$")


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def serialize_document(root: ET.Element) -> str:
    """``<!DOCTYPE html>`` and the document element, as HTML."""
    out: list[str] = ["<!DOCTYPE html>\n"]
    _write(root, out)
    out.append("\n")
    return "".join(out)


def _write(el: ET.Element, out: list[str]) -> None:
    tag = el.tag
    if not isinstance(tag, str):
        return  # comments and processing instructions are never written
    foreign = tag.startswith("{")
    name = local_name(tag)
    out.append("<" + name)
    for key, value in el.attrib.items():
        attr = _attr_name(key)
        if attr is not None:
            out.append(f' {attr}="{value.translate(_ATTR_ESCAPES)}"')
    if foreign and not len(el) and not el.text:
        out.append("/>")
        if el.tail:
            out.append(el.tail.translate(_TEXT_ESCAPES))
        return
    out.append(">")
    lname = name.lower()
    if not foreign and lname in _VOID:
        if el.tail:
            out.append(el.tail.translate(_TEXT_ESCAPES))
        return
    if el.text:
        if not foreign and lname in _RAW_TEXT:
            out.append(_guard_raw_text(el.text, lname))
        else:
            out.append(el.text.translate(_TEXT_ESCAPES))
    for child in el:
        _write(child, out)
        if not isinstance(child.tag, str) and child.tail:
            out.append(child.tail.translate(_TEXT_ESCAPES))
    out.append(f"</{name}>")
    if el.tail:
        out.append(el.tail.translate(_TEXT_ESCAPES))


def _attr_name(key: str) -> str | None:
    for namespace, prefix in _ATTR_PREFIXES.items():
        if key.startswith(namespace):
            return prefix + key[len(namespace) :]
    # html5lib keeps odd but harmless names (`@click`, `:class`); ones that cannot be written back
    # as one attribute are dropped.
    return key if _VALID_NAME.match(key) else None


def _guard_raw_text(text: str, tag: str) -> str:
    """Raw text that cannot end its element or open a comment-like escape state early."""
    text = re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.I)
    return text.replace("<!--", "<\\!--")
