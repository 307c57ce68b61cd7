"""A page's class stylesheet, restated as utility classes (Tailwind or Bootstrap 5) on its elements.

The local backend writes HTML with one readable stylesheet of single-class rules. For a utility
stack each element's own cascade is worked out (the rules of its classes, in stylesheet order, with
``!important`` and padding/margin shorthands resolved), and each winning declaration becomes one
utility class. What a utility cannot say exactly (``url()`` backgrounds, a border shorthand mixed
with its sides, Bootstrap's lack of pixel sizes) stays in a small stylesheet of ``r-*`` classes, and
every rule that is not a single-class rule (``@font-face``, element resets, ``:checked``,
``::placeholder``, ``@media``) is kept as written, after the utilities.

No library restates CSS as utility classes (the converters that exist go the other way, or guess
from class names), so this is ours; tinycss2 parses the CSS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import tinycss2
from bs4 import BeautifulSoup, Tag
from soupsieve import SelectorSyntaxError
from tinycss2 import ast

_CLASS_SELECTOR = re.compile(r"^\.(-?[A-Za-z_][\w-]*)$")
_CLASS_REF = re.compile(r"\.(-?[A-Za-z_][\w-]*)")
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|rgba?\([^()]*\)|hsla?\([^()]*\)|transparent|currentcolor)$", re.I)
_LENGTH = re.compile(r"^(-?)(\d+(?:\.\d+)?)(px)?$")

SIDES = ("top", "right", "bottom", "left")
_ICON_PREFIXES = ("fa-", "bi-")
# Families in which a shorthand and its longhands must not be split over utilities whose order
# in the built CSS we do not control (padding and margin are expanded to their sides instead).
_FAMILIES = {
    "border": re.compile(r"^border(-(top|right|bottom|left))?(-(width|style|color))?$"),
    "border-radius": re.compile(r"^border(-(top|bottom)-(left|right))?-radius$"),
    "background": re.compile(r"^background(-\w+)?$"),
    "flex": re.compile(r"^flex(-(grow|shrink|basis))?$"),
    "font": re.compile(r"^font(-\w+)?$"),
    "overflow": re.compile(r"^overflow(-[xy])?$"),
    "gap": re.compile(r"^(gap|row-gap|column-gap)$"),
    "outline": re.compile(r"^outline(-\w+)?$"),
    "text-decoration": re.compile(r"^text-decoration(-\w+)?$"),
    "inset": re.compile(r"^(inset|top|right|bottom|left)$"),
}
_SHORTHANDS = {"border", "border-radius", "background", "flex", "font", "overflow", "gap", "outline"}
_SHORTHANDS |= {"text-decoration", "inset"}


@dataclass(frozen=True)
class Decl:
    prop: str
    value: str
    important: bool = False


@dataclass
class _Sheet:
    class_rules: dict[str, list[tuple[int, list[Decl]]]] = field(default_factory=dict)
    kept: list[ast.Node] = field(default_factory=list)  # rules kept as written
    hooks: dict[str, set[str]] = field(default_factory=dict)  # class -> properties kept rules set
    # class -> the declarations of its own rules that a kept rule on it also sets
    own_hooked: dict[str, list[Decl]] = field(default_factory=dict)


Mapper = Callable[[Decl], "list[str] | None"]


@dataclass(frozen=True)
class Converted:
    """The page with utilities in its ``class`` attributes and the stylesheet they cannot replace."""

    soup: BeautifulSoup
    css: str  # the ``r-*`` rules and the kept rules, in cascade order
    hooks: dict[str, str]  # original class -> the ``r-*`` name it was renamed to in both places


def restate(html: str, mapper: Mapper) -> Converted:
    """Parse ``html``, move its single-class rules onto its elements as ``mapper``'s utilities."""
    soup = BeautifulSoup(html, "html.parser")
    css = "\n".join(style.get_text() for style in soup.find_all("style"))
    sheet = _read(css)
    renamed = {name: f"r-{name}" for name in sheet.hooks}
    groups: dict[tuple[Decl, ...], str] = {}
    group_names: set[str] = set()
    carried: dict[int, set[str]] = {}  # element -> the property families its utilities set
    for el in soup.find_all(True):
        classes = el.get("class")
        if not classes:
            continue
        restated = _restate_element(el, list(classes), sheet, mapper, renamed, groups, group_names, carried)
        if restated:
            el["class"] = " ".join(restated)
        else:
            del el["class"]
    rules = [f".{name}{{{'; '.join(_decl_text(d) for d in decls)}}}" for decls, name in groups.items()]
    rules += [
        f".{renamed[c]}{{{'; '.join(_decl_text(d) for d in sheet.own_hooked[c])}}}"
        for c in renamed
        if sheet.own_hooked.get(c)
    ]

    def clashes(selector: str, families: set[str]) -> bool:
        """Whether a kept rule sets, on an element it matches, what a utility now sets there."""
        if not carried:
            return False
        try:
            matched = soup.select(selector)
        except (SelectorSyntaxError, NotImplementedError):  # one soupsieve cannot evaluate: leave it be
            return False
        return any(carried.get(id(el), set()) & families for el in matched)

    rules += [_renamed_rule(rule, renamed, clashes) for rule in sheet.kept]
    return Converted(soup, "\n".join(r for r in rules if r.strip()), renamed)


def _restate_element(
    el: Tag,
    classes: list[str],
    sheet: _Sheet,
    mapper: Mapper,
    renamed: dict[str, str],
    groups: dict[tuple[Decl, ...], str],
    group_names: set[str],
    carried: dict[int, set[str]],
) -> list[str]:
    defined = [c for c in classes if c in sheet.class_rules]
    # A class the page names but does not style ("graphic", "mark") must not pick up the
    # framework's meaning of that name (Bootstrap's .mark is a highlighted span): it gets the
    # prefix too. Icon-set classes keep their names: their own stylesheet draws them.
    out = [
        c if c.startswith(_ICON_PREFIXES) or c in ("fa", "bi") else f"r-{c}"
        for c in classes
        if c not in sheet.class_rules and c not in renamed
    ]
    out += [renamed[c] for c in classes if c in renamed]
    if not defined:
        return out
    ordered = sorted((i, d) for c in dict.fromkeys(defined) for i, d in sheet.class_rules[c])
    cascade = _cascade(decl for _, decls in ordered for decl in decls)
    # A property that a kept rule also sets on one of this element's classes (``:checked``,
    # ``@media``) stays in the stylesheet, where the kept rule still follows it.
    hooked = set().union(*(sheet.hooks.get(c, set()) for c in classes))
    utilities: list[str] = []
    rest: list[Decl] = []
    for family in _split_families(cascade):
        family = _flex_longhands(family)
        if len(family) > 1 and any(d.prop in _SHORTHANDS for d in family):
            rest.extend(family)
            continue
        for decl in family:
            if decl.prop in hooked and any(decl in sheet.own_hooked.get(c, ()) for c in classes):
                continue  # the renamed class keeps it, right before the rule that overrides it
            mapped = None if decl.prop in hooked else mapper(decl)
            if mapped is None:
                rest.append(decl)
            else:
                utilities.extend(u for u in mapped if u not in utilities)
                carried.setdefault(id(el), set()).add(_family_of(decl.prop))
    out += _joined_sides(utilities)
    # What the element's own r-* class carries counts too: it also precedes the kept rules.
    carried.setdefault(id(el), set()).update(_family_of(d.prop) for d in rest)
    if rest:
        key = tuple(rest)
        if key not in groups:
            base = f"r-{defined[0]}"
            name, n = base, 2
            while name in group_names or name in renamed.values():
                name, n = f"{base}-{n}", n + 1
            groups[key] = name
            group_names.add(name)
        out.append(groups[key])
    return out


def _cascade(decls: Iterable[Decl]) -> list[Decl]:
    """The winning declaration of each property, in the order they were first set."""
    won: dict[str, Decl] = {}
    for decl in decls:
        for d in _expand(decl):
            if d.prop in won and won[d.prop].important and not d.important:
                continue
            if d.prop in _SHORTHANDS or d.prop in ("padding", "margin"):
                # A later shorthand resets the longhands set before it.
                for prop in [p for p in won if p != d.prop and _family_of(p) == _family_of(d.prop)]:
                    if not won[prop].important:
                        del won[prop]
            won.pop(d.prop, None)
            won[d.prop] = d
    return list(won.values())


def _expand(decl: Decl) -> list[Decl]:
    """Padding and margin shorthands as their four sides (a utility per side has no order issue)."""
    if decl.prop not in ("padding", "margin"):
        return [decl]
    parts = decl.value.split()
    if not 1 <= len(parts) <= 4 or any("(" in p for p in parts):
        return [decl]
    if len(parts) == 1:
        parts *= 4
    elif len(parts) == 2:
        parts = [parts[0], parts[1], parts[0], parts[1]]
    elif len(parts) == 3:
        parts = [parts[0], parts[1], parts[2], parts[1]]
    top, right, bottom, left = parts
    return [
        Decl(f"{decl.prop}-{side}", v, decl.important)
        for side, v in zip(SIDES, (top, right, bottom, left), strict=True)
    ]


_FLEX_KEYWORDS = {"none": "0 0 auto", "auto": "1 1 auto", "initial": "0 1 auto"}


def _flex_longhands(family: list[Decl]) -> list[Decl]:
    """``flex: 0 1 auto`` followed by ``flex-basis: 40px`` as three longhands (one utility each)."""
    if len(family) < 2 or family[0].prop != "flex" or any(d.important for d in family):
        return family
    parts = _FLEX_KEYWORDS.get(family[0].value, family[0].value).split()
    if len(parts) == 1 and re.fullmatch(r"\d+(\.\d+)?", parts[0]):
        parts = [parts[0], "1", "0%"]
    if len(parts) != 3:
        return family
    merged = dict(zip(("flex-grow", "flex-shrink", "flex-basis"), parts, strict=True))
    for d in family[1:]:
        merged[d.prop] = d.value
    return [Decl(p, v) for p, v in merged.items()]


def _joined_sides(classes: list[str]) -> list[str]:
    """``pt-0 pr-0 pb-0 pl-0`` as ``p-0``, ``pl-4 pr-4`` as ``px-4`` (Tailwind's and Bootstrap's
    names; Bootstrap says ``s``/``e`` for left/right)."""
    out = list(classes)
    for kind in ("p", "m", "-m"):
        side: dict[str, tuple[str, str]] = {}  # t/r/b/l -> (class, value)
        for c in out:
            m = re.fullmatch(rf"{re.escape(kind)}([trblse])-(.+)", c)
            if m:
                side[{"s": "l", "e": "r"}.get(m.group(1), m.group(1))] = (c, m.group(2))
        values = {k: v for k, (_, v) in side.items()}
        joined: dict[str, list[str]] = {}
        if len(side) == 4 and len(set(values.values())) == 1:
            joined[f"{kind}-{values['t']}"] = [c for c, _ in side.values()]
        else:
            if "l" in side and values.get("r") == values["l"]:
                joined[f"{kind}x-{values['l']}"] = [side["l"][0], side["r"][0]]
            if "t" in side and values.get("b") == values["t"]:
                joined[f"{kind}y-{values['t']}"] = [side["t"][0], side["b"][0]]
        for name, parts in joined.items():
            at = min(out.index(p) for p in parts)
            out = [c for c in out if c not in parts]
            out.insert(min(at, len(out)), name)
    return out


def _family_of(prop: str) -> str:
    for name, pattern in _FAMILIES.items():
        if pattern.match(prop):
            return name
    return prop


def _split_families(decls: list[Decl]) -> list[list[Decl]]:
    families: dict[str, list[Decl]] = {}
    for decl in decls:
        families.setdefault(_family_of(decl.prop), []).append(decl)
    return list(families.values())


def _read(css: str) -> _Sheet:
    sheet = _Sheet()
    index = 0
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        index += 1
        if isinstance(rule, ast.QualifiedRule):
            prelude = tinycss2.serialize(rule.prelude).strip()
            match = _CLASS_SELECTOR.match(prelude)
            if match:
                decls = _declarations(rule.content)
                sheet.class_rules.setdefault(match.group(1), []).append((index, decls))
                continue
            _hook(sheet, prelude, _declarations(rule.content))
            sheet.kept.append(rule)
        elif isinstance(rule, ast.AtRule):
            if rule.content is not None and rule.lower_at_keyword in ("media", "supports", "container"):
                for inner in tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True):
                    if isinstance(inner, ast.QualifiedRule):
                        _hook(sheet, tinycss2.serialize(inner.prelude), _declarations(inner.content))
            sheet.kept.append(rule)
    for name, hooked in sheet.hooks.items():
        sheet.own_hooked[name] = [
            e
            for _, decls in sheet.class_rules.get(name, [])
            for d in decls
            for e in _expand(d)
            if e.prop in hooked
        ]
    return sheet


def _hook(sheet: _Sheet, prelude: str, decls: list[Decl]) -> None:
    props = {e.prop for d in decls for e in _expand(d)}
    for name in _CLASS_REF.findall(prelude):
        sheet.hooks.setdefault(name, set()).update(props)


def _declarations(content: list[ast.Node] | None) -> list[Decl]:
    out = []
    for node in tinycss2.parse_declaration_list(content or [], skip_comments=True, skip_whitespace=True):
        if isinstance(node, ast.Declaration):
            value = " ".join(tinycss2.serialize(node.value).split())
            out.append(Decl(node.lower_name, value, node.important))
    return out


def _decl_text(decl: Decl) -> str:
    return f"{decl.prop}: {decl.value}{' !important' if decl.important else ''}"


Clashes = Callable[[str, set[str]], bool]


def _renamed_rule(rule: ast.Node, renamed: dict[str, str], clashes: Clashes) -> str:
    def rename(prelude: str) -> str:
        return _CLASS_REF.sub(lambda m: "." + renamed.get(m.group(1), m.group(1)), prelude)

    if isinstance(rule, ast.QualifiedRule):
        families = {_family_of(e.prop) for d in _declarations(rule.content) for e in _expand(d)}
        selectors = []
        for selector in (rename(sel).strip() for sel in _split_selectors(rule.prelude)):
            if _is_descendant_rule(selector) and clashes(selector, families):
                selector = f":where({selector})"
            selectors.append(selector)
        return ",".join(selectors) + "{" + tinycss2.serialize(rule.content) + "}"
    if (
        isinstance(rule, ast.AtRule)
        and rule.content is not None
        and rule.lower_at_keyword
        in (
            "media",
            "supports",
            "container",
        )
    ):
        inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
        body = "".join(_renamed_rule(r, renamed, clashes) for r in inner)
        return f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{body}}}"
    return tinycss2.serialize([rule])


def _split_selectors(prelude: list[ast.Node]) -> list[str]:
    """A selector list's selectors (commas inside ``:where()``/``:is()`` do not split it)."""
    out: list[str] = []
    current: list[ast.Node] = []
    for token in prelude:
        if isinstance(token, ast.LiteralToken) and token.value == ",":
            out.append(tinycss2.serialize(current))
            current = []
        else:
            current.append(token)
    out.append(tinycss2.serialize(current))
    return out


def _is_descendant_rule(selector: str) -> bool:
    """A rule for the descendants of something (``.table :where(td,th)``), without pseudo-elements.

    Such a rule that sets what a utility now sets on the same element is wrapped in ``:where()``:
    in the page it came before the class rules that became utilities and lost to them at equal
    specificity; the kept stylesheet follows the utilities, so at zero specificity it keeps losing
    to them, as it did, wherever the stylesheet is loaded. Rules that set nothing a utility sets
    keep their specificity (a recording's state-scoped rules, for one)."""
    return "::" not in selector and bool(re.search(r"[\w)\]*]\s*[\s>+~]\s*[\w.#:\[*]", selector))


# --- values ---------------------------------------------------------------------------------------


def is_color(value: str) -> bool:
    return bool(_COLOR.match(value.strip()))


def px(value: str) -> float | None:
    """A length in px (a bare 0 counts), else None."""
    m = _LENGTH.match(value.strip())
    if not m or (m.group(3) is None and float(m.group(2)) != 0):
        return None
    n = float(m.group(2))
    return -n if m.group(1) else n


def arbitrary(value: str) -> str | None:
    """``value`` as a Tailwind arbitrary value (spaces as underscores), or None if it cannot be one."""
    if any(ch in value for ch in '_"\\[]') or "url(" in value.lower():
        return None
    return re.sub(r"\s*,\s*", ",", value.strip()).replace(" ", "_")
