"""Compose one interactive page from one page per key state of a recording.

Every state becomes a container in one document (state 0 shown, the others ``hidden``), its CSS
scoped to its container so the states' styles cannot fight, its ids suffixed so they stay unique.
A small inline script (``js/wiring.js``, plain JS: it survives the sanitizer's interactive mode and
its CSP, and needs no network) binds each recorded click to the element that shows what was clicked
and does what its pattern does (``steps.py``): panels open and close in place, tabs and links show
their view from anywhere, other pages get history entries.

Scoping CSS to a container is not something a library does for us; tinycss2 tokenizes and the
rewriting of selectors is done here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import html5lib
import tinycss2
from lxml import etree
from tinycss2 import ast

from ..models import Source
from .steps import Step

STATE_ATTR = "data-replicator-state"
GO_ATTR = "data-replicator-go"

# Leading `html`/`:root` and `body` compounds of a selector: they become the state's container.
_ROOT_PREFIX = re.compile(
    r"^\s*(?:(?:html|:root)(?![\w-])(?P<html>[^\s>+~]*)\s*(?:>\s*)?)?(?:body(?![\w-])(?P<body>[^\s>+~]*))?",
    re.IGNORECASE,
)
# A first compound without a type selector (`.a#b[c]:hover`), and the class and id names in it.
_FIRST_COMPOUND = re.compile(r"^(?:[.#\[]|:(?!:))[^\s>+~]*")
_NAMES = re.compile(r"[.#][\w-]+")
_GLOBAL_AT_RULES = {
    "font-face",
    "keyframes",
    "-webkit-keyframes",
    "property",
    "counter-style",
    "page",
    "import",
}
_NESTING_AT_RULES = {"media", "supports", "container", "layer", "scope", "document", "starting-style"}
_ID_REF_ATTRS = (
    "for",
    "list",
    "form",
    "headers",
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
)


def scope_for(index: int) -> str:
    return f'[{STATE_ATTR}="{index}"]'


def scope_selector(selector: str, scope: str, body: frozenset[str] = frozenset()) -> str:
    """``selector`` restricted to the state container ``scope`` (html/body/:root become the container).

    ``body``: the page body's classes (``.x``) and id (``#x``), which the container now carries; a
    selector whose first compound names one of them also matches the container itself.
    """
    selector = selector.strip()
    if not selector:
        return selector
    match = _ROOT_PREFIX.match(selector)
    if match and match.group(0).strip():
        qualifiers = (match.group("html") or "") + (match.group("body") or "")
        return f"{scope}{qualifiers}{selector[match.end() :]}"
    scoped = f"{scope} {selector}"
    first = _FIRST_COMPOUND.match(selector)
    if first and body and set(_NAMES.findall(first.group(0))) & body:
        scoped += f", {scope}{selector}"
    return scoped


def _rename_ids(tokens: list[ast.Node], ids: dict[str, str]) -> list[ast.Node]:
    out: list[ast.Node] = []
    for token in tokens:
        if isinstance(token, ast.HashToken) and token.is_identifier and token.value in ids:
            token = ast.HashToken(token.source_line, token.source_column, ids[token.value], True)
        out.append(token)
    return out


def _split_selectors(prelude: list[ast.Node]) -> list[list[ast.Node]]:
    groups: list[list[ast.Node]] = [[]]
    for token in prelude:
        if isinstance(token, ast.LiteralToken) and token.value == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    return groups


@dataclass
class _ScopedCss:
    scoped: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # @font-face, @keyframes, ...: document-wide


def scope_stylesheet(
    css: str, scope: str, ids: dict[str, str] | None = None, body: frozenset[str] = frozenset()
) -> _ScopedCss:
    """Rewrite a stylesheet so it applies inside ``scope`` only (``body``: see ``scope_selector``)."""
    out = _ScopedCss()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    out.scoped.extend(_scope_rules(rules, scope, ids or {}, body, out.shared))
    return out


def _scope_rules(
    rules: list[ast.Node], scope: str, ids: dict[str, str], body: frozenset[str], shared: list[str]
) -> list[str]:
    text: list[str] = []
    for rule in rules:
        if isinstance(rule, ast.QualifiedRule):
            selectors = [
                scope_selector(tinycss2.serialize(_rename_ids(group, ids)), scope, body)
                for group in _split_selectors(rule.prelude)
            ]
            declarations = tinycss2.serialize(rule.content)
            text.append(f"{', '.join(dict.fromkeys(s for s in selectors if s))} {{{declarations}}}")
        elif isinstance(rule, ast.AtRule):
            keyword = rule.lower_at_keyword
            if keyword in _NESTING_AT_RULES and rule.content is not None:
                inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
                nested = _scope_rules(inner, scope, ids, body, shared)
                text.append(
                    f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()} {{\n{chr(10).join(nested)}\n}}"
                )
            elif keyword in _GLOBAL_AT_RULES or keyword.endswith("keyframes"):
                shared.append(tinycss2.serialize([rule]))
            # Anything else (@charset, @namespace, unknown) has no place inside a composite page.
    return text


@dataclass
class _StatePage:
    styles: list[str]
    links: list[str]
    scripts: list[str]
    body_class: str
    body_id: str
    body_style: str
    body_html: str
    title: str
    lang: str


def _plain_svg(root: etree._Element) -> None:
    """SVG and MathML elements without their namespace, as HTML writes them.

    html5lib puts them in their XML namespace, and lxml's HTML serializer then writes them as
    ``<ns0:svg xmlns:ns0=...>``, which a browser's HTML parser does not take for SVG: a state's
    drawn shapes (a selected tab's fill) vanished from the composed page."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    etree.cleanup_namespaces(root)


def _parse(page: str, index: int) -> _StatePage:
    doc = html5lib.parse(page, treebuilder="lxml", namespaceHTMLElements=False)
    root = doc.getroot()
    _plain_svg(root)
    head = root.find("head")
    body = root.find("body")
    assert head is not None and body is not None  # html5lib always makes both
    ids: dict[str, str] = {}
    if index:
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id"):
                ids[el.get("id", "")] = f"{el.get('id')}--s{index}"
        _rewrite_id_refs(root, ids)
    scope = scope_for(index)
    body_id = body.get("id", "")
    names = {f".{c}" for c in body.get("class", "").split()} | ({f"#{body_id}"} if body_id else set())
    styles: list[str] = []
    shared: list[str] = []
    links: list[str] = []
    scripts: list[str] = []
    for el in list(root.iter("style", "link", "script")):
        if el.tag == "style":
            scoped = scope_stylesheet(el.text or "", scope, ids, frozenset(names))
            styles.extend(scoped.scoped)
            shared.extend(scoped.shared)
        elif el.tag == "link" and "stylesheet" in (el.get("rel") or "").lower():
            links.append(etree.tostring(el, method="html", encoding="unicode", with_tail=False))
        elif el.tag == "script" and not el.get("src"):
            scripts.append(el.text or "")
        if el.tag in ("style", "link", "script"):
            _remove(el)
    title_el = head.find("title")
    parts = [(body.text and html.escape(body.text)) or ""]
    parts += [etree.tostring(child, method="html", encoding="unicode") for child in body]
    return _StatePage(
        styles=shared + styles,
        links=links,
        scripts=scripts,
        body_class=body.get("class", ""),
        body_id=body_id,
        body_style=body.get("style", ""),
        body_html="".join(parts),
        title=(title_el.text or "") if title_el is not None else "",
        lang=root.get("lang", ""),
    )


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the text that followed the element.
    previous = el.getprevious()
    if el.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _rewrite_id_refs(root: etree._Element, ids: dict[str, str]) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id") in ids:
            el.set("id", ids[el.get("id", "")])
        href = el.get("href") or ""
        if href.startswith("#") and href[1:] in ids:
            el.set("href", "#" + ids[href[1:]])
        for attr in _ID_REF_ATTRS:
            value = el.get(attr)
            if value:
                el.set(attr, " ".join(ids.get(v, v) for v in value.split()))


_JS_DIR = Path(__file__).with_name("js")


def script(name: str) -> str:
    """One of the interaction scripts in ``js/`` (shared by the replica's wiring and replay)."""
    return (_JS_DIR / name).read_text(encoding="utf-8")


def interaction_model(source: Source, steps: Sequence[Step]) -> dict[str, object]:
    """What the replica's wiring needs: which container shows each key state, and the steps.

    A state reached by opening a panel is shown by its earlier view with the panel open (its own
    container stays, hidden, as the panel's source); a state that looks like an earlier one is that
    one's view; every other state is its own view.
    """
    views = list(range(len(source.states)))
    out_steps: list[dict[str, object]] = []
    opened: dict[tuple[int, str], int] = {}  # (view, trigger text) -> step that built its panel
    for step in steps:
        view = views[step.before]
        box = step.trigger_box
        entry: dict[str, object] = {
            "n": step.number,
            "from": step.before,
            "to": step.after,
            "kind": step.kind,
            "text": step.trigger,
            "box": [box.x, box.y, box.width, box.height] if box else None,
            "point": list(step.click) if step.click else None,
            "anchor": step.anchor,
            "returns_to": step.returns_to,
            "exclusive": step.exclusive,
            "changed": [step.changed.x, step.changed.y, step.changed.width, step.changed.height]
            if step.changed
            else None,
            "panel": False,
            "toggle": False,
            "skip": False,
        }
        key = (view, step.trigger or "")
        if step.kind in ("focus", "type"):
            # Fields are real inputs: focusing and typing need no wiring, and must not swap the
            # page under the caret.
            entry["skip"] = True
            views[step.after] = view
        elif step.kind == "toggle" and step.changed and key not in opened:
            # A switch flips in place, on its own: every later flip of it is the same handler.
            entry["toggle"] = True
            opened[key] = step.number
            views[step.after] = view
        elif step.kind == "toggle" and key in opened:
            entry["skip"] = True
            views[step.after] = view
        elif step.kind == "disclosure" and step.trigger and step.opens and key not in opened:
            entry["panel"] = True
            opened[key] = step.number
            views[step.after] = view
        elif step.kind == "disclosure" and step.trigger and key in opened:
            # Closing (or opening again) a panel built earlier: its trigger already toggles it.
            entry["skip"] = True
            views[step.after] = view
        elif step.returns_to is not None:
            views[step.after] = views[step.returns_to]
        out_steps.append(entry)
    return {"width": source.width, "views": views, "steps": out_steps}


_BASE_CSS = f"""
html, body {{ margin: 0; padding: 0; }}
[{STATE_ATTR}] {{ display: block; margin: 8px; }}
[{STATE_ATTR}][hidden] {{ display: none !important; }}
[{GO_ATTR}] {{ cursor: pointer; }}
"""


def compose_states(source: Source, pages: list[str], steps: Sequence[Step]) -> str:
    """One HTML document holding ``pages`` (one per key state of ``source``) with the recording's
    ``steps`` wired to the elements that were clicked.

    With a single page there is nothing to wire and the page is returned as it is.
    """
    if len(pages) != max(len(source.states), 1):
        raise ValueError(f"{len(pages)} pages for {len(source.states)} key states")
    if len(pages) == 1:
        return pages[0]
    parsed = [_parse(page, i) for i, page in enumerate(pages)]
    shared_seen: set[str] = set()
    css: list[str] = [_BASE_CSS]
    for state in parsed:
        for rule in state.styles:
            if rule.startswith("@") and not rule.startswith(("@media", "@supports", "@container", "@layer")):
                if rule in shared_seen:
                    continue
                shared_seen.add(rule)
            css.append(rule)
    links = list(dict.fromkeys(link for state in parsed for link in state.links))
    sections = []
    for i, state in enumerate(parsed):
        attrs = [f'{STATE_ATTR}="{i}"']
        if state.body_class:
            attrs.append(f'class="{html.escape(state.body_class)}"')
        if state.body_id:
            attrs.append(f'id="{html.escape(state.body_id)}"')
        if state.body_style:
            attrs.append(f'style="{html.escape(state.body_style)}"')
        if i:
            attrs.append("hidden")
        sections.append(f"<div {' '.join(attrs)}>{state.body_html}</div>")
    # The first page's own scripts are kept; the others would redeclare the same globals.
    page_scripts = "".join(f"<script>{s}</script>" for s in parsed[0].scripts)
    model = json.dumps(interaction_model(source, steps)).replace("</", "<\\/")
    wiring = script("find.js") + script("wiring.js").replace("/*MODEL*/null", model, 1)
    lang = f' lang="{html.escape(parsed[0].lang)}"' if parsed[0].lang else ""
    style = "\n".join(css).replace("</", "<\\/")
    return (
        f'<!DOCTYPE html>\n<html{lang}>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(parsed[0].title)}</title>\n{''.join(links)}\n<style>\n{style}\n</style>\n</head>\n"
        f"<body>\n{''.join(sections)}\n{page_scripts}<script>{wiring}</script>\n</body>\n</html>\n"
    )
