"""A page as a component a developer drops into a React or Vue project.

The page's body becomes the component's markup (JSX for React, a ``<template>`` for Vue) with the
Tailwind utilities already on its elements; the stylesheet utilities cannot replace (embedded
fonts, ``:checked`` looks) travels inside the component (a ``<style>`` element for React, a
``<style>`` block for Vue); the page's inline script runs once the component is mounted
(``useEffect`` / ``onMounted``), when the elements it looks up exist.

Writing JSX from HTML is a small, exact mapping (attribute names, style objects, text that JSX would
read as code or trim): the converters on npm are whole applications built for people pasting
snippets, so it is ours.
"""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .utilities import Converted

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_JSX_NAMES = {
    "class": "className",
    "for": "htmlFor",
    "tabindex": "tabIndex",
    "readonly": "readOnly",
    "maxlength": "maxLength",
    "minlength": "minLength",
    "colspan": "colSpan",
    "rowspan": "rowSpan",
    "autocomplete": "autoComplete",
    "autofocus": "autoFocus",
    "contenteditable": "contentEditable",
    "spellcheck": "spellCheck",
    "srcset": "srcSet",
    "crossorigin": "crossOrigin",
    "enctype": "encType",
    "accesskey": "accessKey",
    "novalidate": "noValidate",
    "inputmode": "inputMode",
    "datetime": "dateTime",
    "cellpadding": "cellPadding",
    "cellspacing": "cellSpacing",
    "referrerpolicy": "referrerPolicy",
    "usemap": "useMap",
    "allowfullscreen": "allowFullScreen",
    "frameborder": "frameBorder",
    "playsinline": "playsInline",
    "formnovalidate": "formNoValidate",
    "popovertarget": "popoverTarget",
    # SVG attributes the HTML parser lowercased
    "viewbox": "viewBox",
    "preserveaspectratio": "preserveAspectRatio",
    "gradientunits": "gradientUnits",
    "gradienttransform": "gradientTransform",
    "patternunits": "patternUnits",
    "patterncontentunits": "patternContentUnits",
    "patterntransform": "patternTransform",
    "clippathunits": "clipPathUnits",
    "maskunits": "maskUnits",
    "maskcontentunits": "maskContentUnits",
    "markerwidth": "markerWidth",
    "markerheight": "markerHeight",
    "markerunits": "markerUnits",
    "refx": "refX",
    "refy": "refY",
    "stddeviation": "stdDeviation",
    "textlength": "textLength",
    "lengthadjust": "lengthAdjust",
    "startoffset": "startOffset",
    "spreadmethod": "spreadMethod",
    "filterunits": "filterUnits",
    "pathlength": "pathLength",
    "xlink:href": "xlinkHref",
    "xml:space": "xmlSpace",
    "xmlns:xlink": "xmlnsXlink",
}
_BOOLEAN = {"disabled", "hidden", "required", "multiple", "open", "novalidate", "readonly", "autofocus"}
_BOOLEAN |= {"selected", "checked", "allowfullscreen", "playsinline", "formnovalidate", "reversed"}
_VALUE_INPUTS = {"button", "submit", "reset", "hidden", "checkbox", "radio", "image"}
_SVG_TAGS = {"svg", "path", "g", "circle", "rect", "line", "polyline", "polygon", "ellipse", "defs", "use"}
_SVG_TAGS |= {"lineargradient", "radialgradient", "stop", "clippath", "mask", "pattern", "text", "tspan"}
_SVG_CASE = {
    "lineargradient": "linearGradient",
    "radialgradient": "radialGradient",
    "clippath": "clipPath",
    "foreignobject": "foreignObject",
    "textpath": "textPath",
    "feblend": "feBlend",
    "fegaussianblur": "feGaussianBlur",
    "feoffset": "feOffset",
    "fecolormatrix": "feColorMatrix",
    "femerge": "feMerge",
    "femergenode": "feMergeNode",
    "feflood": "feFlood",
    "fecomposite": "feComposite",
    "fedropshadow": "feDropShadow",
}
_BLOCKISH = {"div", "main", "section", "header", "footer", "nav", "aside", "article", "form", "ul", "ol"}
_BLOCKISH |= {"li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKISH |= {"p", "figure", "fieldset", "dl", "dt", "dd", "details", "summary", "body", "svg", "g"}
_INDENT = "  "


def react_component(page: Converted, name: str = "Page") -> str:
    """The page as one React function component (JSX + Tailwind), default-exported."""
    body = _body(page.soup)
    scripts = _scripts(page.soup)
    lines = [f"{_INDENT * 2}<>"]
    if page.css:
        lines.append(f"{_INDENT * 3}<style>{{css}}</style>")
    lines.extend(_jsx(body, 3, root=True))
    lines.append(f"{_INDENT * 2}</>")
    head = []
    if scripts:
        head.append('import { useEffect } from "react";\n')
    if page.css:
        head.append(f"const css = `\n{_template_literal(page.css)}\n`;\n")
    effect = ""
    if scripts:
        code = "\n".join(_indent(s, 2) for s in scripts)
        effect = (
            f"{_INDENT}// The page's behaviour, once its elements exist.\n"
            f"{_INDENT}useEffect(() => {{\n{code}\n{_INDENT}}}, []);\n\n"
        )
    return (
        "\n".join(head)
        + ("\n" if head else "")
        + f"export default function {name}() {{\n{effect}{_INDENT}return (\n"
        + "\n".join(lines)
        + f"\n{_INDENT});\n}}\n"
    )


def vue_component(page: Converted) -> str:
    """The page as one Vue 3 single-file component (template + Tailwind, script setup, style)."""
    scripts = _scripts(page.soup)
    body = _body(page.soup)
    for script in body.find_all("script"):
        script.decompose()
    for text in body.find_all(string=True):
        if not isinstance(text, Comment) and "{{" in text and text.parent is not None:
            text.parent["v-pre"] = ""  # shown as written, not read as an interpolation
    body.name = "div"
    _svg_case(body)
    markup = _pretty_html(body)
    parts = [f"<template>\n{markup}\n</template>\n"]
    if scripts:
        code = "\n".join(_indent(s, 1) for s in scripts)
        parts.append(
            '<script setup>\nimport { onMounted } from "vue";\n\n'
            f"// The page's behaviour, once its elements exist.\nonMounted(() => {{\n{code}\n}});\n</script>\n"
        )
    if page.css:
        parts.append(f"<style>\n{page.css}\n</style>\n")
    return "\n".join(parts)


def _body(soup: BeautifulSoup) -> Tag:
    body = soup.body
    if body is None:
        body = soup.new_tag("body")
        for child in list(soup.children):
            if isinstance(child, Tag) and child.name in ("html", "head"):
                continue
            body.append(child.extract())
    return body


def _scripts(soup: BeautifulSoup) -> list[str]:
    out = []
    for script in soup.find_all("script"):
        kind = str(script.get("type") or "").lower()
        if script.get("src") or kind not in ("", "text/javascript", "module", "application/javascript"):
            continue
        text = script.get_text().strip("\n")
        if text.strip():
            out.append(text)
    return out


# --- JSX ------------------------------------------------------------------------------------------


def _jsx(el: Tag, depth: int, *, root: bool = False) -> list[str]:
    pad = _INDENT * depth
    tag = "div" if root else _SVG_CASE.get(el.name, el.name)
    attrs = _jsx_attrs(el)
    opening = f"<{tag}{attrs}"
    if el.name in _VOID:
        return [f"{pad}{opening} />"]
    if el.name == "textarea":
        value = json.dumps(el.get_text(), ensure_ascii=False)
        return [f"{pad}{opening} defaultValue={{{value}}} />"]
    if el.name in ("script", "style"):
        return []
    children = [c for c in el.children if not isinstance(c, Comment)]
    has_text = any(isinstance(c, NavigableString) and c.strip() for c in children)
    if not children or all(isinstance(c, NavigableString) and not c.strip() and "\n" in c for c in children):
        return [f"{pad}{opening} />"]
    if has_text or el.name in ("pre", "code"):
        inline = "".join(_inline(c) for c in children)
        return [f"{pad}{opening}>{inline}</{tag}>"]
    lines = [f"{pad}{opening}>"]
    for child in children:
        if isinstance(child, Tag):
            lines.extend(_jsx(child, depth + 1))
        elif "\n" not in str(child):  # a space between inline elements, written on one line
            lines.append(f'{pad}{_INDENT}{{" "}}')
    lines.append(f"{pad}</{tag}>")
    return lines


def _inline(node: object) -> str:
    if isinstance(node, Comment):
        return ""
    if isinstance(node, NavigableString):
        return _jsx_text(str(node))
    assert isinstance(node, Tag)
    return "".join(line.strip() for line in _jsx(node, 0))


def _jsx_text(text: str) -> str:
    if not text:
        return ""
    if "\n" in text or re.search(r"[{}<>&]", text) or (text != text.strip(" ") and not text.strip()):
        return "{" + json.dumps(text, ensure_ascii=False) + "}"
    return text


def _jsx_attrs(el: Tag) -> str:
    out = []
    select_value = None
    if el.name == "select":
        chosen = el.find("option", selected=True)
        if chosen is not None:
            select_value = chosen.get("value", chosen.get_text())
    in_svg = el.name in _SVG_TAGS or el.find_parent("svg") is not None
    for name, value in el.attrs.items():
        if isinstance(value, list):
            value = " ".join(value)
        low = name.lower()
        if low.startswith("on"):
            continue  # inline handlers are strings; the page's script wires behaviour instead
        if el.name == "option" and low == "selected":
            continue
        if low == "style":
            out.append(f"style={{{_style_object(value)}}}")
            continue
        prop = _JSX_NAMES.get(low)
        if prop is None:
            if in_svg and "-" in low and not low.startswith(("data-", "aria-")):
                prop = re.sub(r"-(\w)", lambda m: m.group(1).upper(), low)
            else:
                prop = name
        if el.name in ("input", "select", "textarea"):
            if low == "checked":
                prop = "defaultChecked"
            elif low == "value" and str(el.get("type") or "text").lower() not in _VALUE_INPUTS:
                prop = "defaultValue"
        if low in _BOOLEAN and value in ("", low):
            out.append(prop)
        else:
            out.append(f"{prop}={json.dumps(value, ensure_ascii=False)}")
    if select_value is not None:
        out.append(f"defaultValue={json.dumps(select_value, ensure_ascii=False)}")
    return "".join(" " + a for a in out)


def _style_object(style: str) -> str:
    pairs = []
    for part in style.split(";"):
        if ":" not in part:
            continue
        prop, value = (p.strip() for p in part.split(":", 1))
        if not prop:
            continue
        if prop.startswith("--"):
            key = json.dumps(prop)
        else:
            camel = re.sub(r"-(\w)", lambda m: m.group(1).upper(), prop.lower())
            if prop.startswith("-ms-"):
                camel = "ms" + camel[2:]
            key = camel if camel.isidentifier() else json.dumps(camel)
        pairs.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "{ " + ", ".join(pairs) + " }"


def _template_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def _indent(code: str, depth: int) -> str:
    return "\n".join((_INDENT * depth + line) if line.strip() else "" for line in code.splitlines())


# --- Vue ------------------------------------------------------------------------------------------

_SVG_ATTR_CASE = {
    k: v
    for k, v in _JSX_NAMES.items()
    if k
    in {
        "viewbox",
        "preserveaspectratio",
        "gradientunits",
        "gradienttransform",
        "patternunits",
        "patterncontentunits",
        "patterntransform",
        "clippathunits",
        "maskunits",
        "maskcontentunits",
        "markerwidth",
        "markerheight",
        "markerunits",
        "refx",
        "refy",
        "stddeviation",
        "textlength",
        "lengthadjust",
        "startoffset",
        "spreadmethod",
        "filterunits",
        "pathlength",
    }
}


def _svg_case(root: Tag) -> None:
    """SVG names in their real case: the HTML parser lowercased them, and a Vue template sets
    attributes on SVG elements as written (``viewbox`` is not ``viewBox`` there)."""
    for svg in root.find_all("svg"):
        for el in [svg, *svg.find_all(True)]:
            el.name = _SVG_CASE.get(el.name, el.name)
            el.attrs = {_SVG_ATTR_CASE.get(k, k): v for k, v in el.attrs.items()}


def _pretty_html(el: Tag, depth: int = 1) -> str:
    """``el`` as indented HTML: a line per element whose children are elements only."""
    pad = _INDENT * depth
    children = [c for c in el.children if not isinstance(c, Comment)]
    has_text = any(isinstance(c, NavigableString) and c.strip() for c in children)
    if el.name in _VOID or has_text or el.name in ("pre", "textarea", "code") or el.name not in _BLOCKISH:
        return pad + str(el)
    opening = str(el)[: str(el).index(">") + 1]
    inner = []
    for child in children:
        if isinstance(child, Tag):
            inner.append(_pretty_html(child, depth + 1))
        elif "\n" not in str(child) and str(child):
            inner.append(pad + _INDENT + "{{ ' ' }}")  # a space between inline elements
    if not inner:
        return f"{pad}{opening}</{el.name}>"
    return "\n".join([f"{pad}{opening}", *inner, f"{pad}</{el.name}>"])
