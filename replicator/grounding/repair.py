"""Repairing a model's page with what the brief measured: real pictures, real icons, real fonts,
exact text. Deterministic; every change is listed (what, before, after, why).

Runs on the extracted answer before the sanitizer, on the same browser-faithful, depth-limited
parse (``sanitize.parse_like_chromium``), so hostile markup costs no more here than there; the
sanitizer still applies the whole output policy to what comes out.

- ``asset:img-3`` in ``src``, ``srcset``, ``poster``, inline styles and ``<style>`` becomes the
  crop's ``data:`` URI. A remote or made-up image (``https://placehold.co/320x180``, ``hero.jpg``)
  takes the unused asset of its size, or, when as many such images as unused assets remain, the
  asset in the same reading order.
- Icon elements (``<i class="fa-solid fa-bell">``, ``fa fa-search``, ``bi bi-house``) get the
  icon's inline SVG from the sets we ship; a lone symbol character (``☰``, ``🔍``) does too when
  the brief found an icon it stands for.
- Web fonts the page names and we have (``@fontsource``) are embedded, cut to the page's text.
- A text node that is a near miss of a source line or paragraph (a typo, a misread letter) is
  corrected to the exact string; source lines the page lacks are reported, not invented.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from ..html_writer import local_name, serialize_document
from .brief import Brief, BriefAsset

if TYPE_CHECKING:
    from ..icons import Icon, IconIndex

# Text nodes shorter than this are never corrected: too little to tell a typo from another word.
MIN_CORRECTABLE = 4
# A near miss: this similar (0-100) to a source string, and at most this share of it edited (a
# swap of two letters is one edit); one edit is always near enough from this many characters on.
NEAR_MISS_RATIO = 80.0
NEAR_MISS_EDITS = 0.15
ONE_EDIT_FROM = 5
# A source paragraph counts as present when some text of the page is this similar to it.
PRESENT_RATIO = 80.0

_ASSET_REF = re.compile(r"asset:([A-Za-z0-9_-]+)")
_PX = re.compile(r"(?<![-\w])(width|height)\s*:\s*([\d.]+)px")
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}{]+)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_NO_TEXT = {"script", "style", "title", "textarea", "svg", "math", "template", "noscript"}
_URL_ATTRS = ("src", "srcset", "poster", "href", "{http://www.w3.org/1999/xlink}href")

# Font Awesome 4/5 names that version 6 (the one we ship) renamed.
_FA_ALIASES = {
    "search": "magnifying-glass",
    "home": "house",
    "cog": "gear",
    "cogs": "gears",
    "times": "xmark",
    "close": "xmark",
    "remove": "xmark",
    "shopping-cart": "cart-shopping",
    "sign-out": "right-from-bracket",
    "sign-out-alt": "right-from-bracket",
    "sign-in": "right-to-bracket",
    "sign-in-alt": "right-to-bracket",
    "envelope-o": "envelope",
    "heart-o": "heart",
    "star-o": "star",
    "bell-o": "bell",
    "trash-o": "trash",
    "trash-alt": "trash-can",
    "edit": "pen-to-square",
    "pencil": "pencil",
    "navicon": "bars",
    "reorder": "bars",
    "ellipsis-h": "ellipsis",
    "ellipsis-v": "ellipsis-vertical",
    "tachometer-alt": "gauge-high",
    "dashboard": "gauge-high",
    "calendar-alt": "calendar-days",
    "chart-bar": "chart-column",
    "check-circle": "circle-check",
    "times-circle": "circle-xmark",
    "info-circle": "circle-info",
    "question-circle": "circle-question",
    "exclamation-circle": "circle-exclamation",
    "exclamation-triangle": "triangle-exclamation",
    "user-circle": "circle-user",
    "map-marker": "location-dot",
    "map-marker-alt": "location-dot",
    "external-link": "arrow-up-right-from-square",
    "external-link-alt": "arrow-up-right-from-square",
}
_FA_FAMILIES = {"fa-solid": "fa-solid", "fas": "fa-solid", "fa-regular": "fa-regular", "far": "fa-regular"}
_FA_FAMILIES |= {"fa-brands": "fa-brands", "fab": "fa-brands"}
_FA_NON_NAMES = {"fw", "lg", "xl", "2x", "3x", "4x", "5x", "xs", "sm", "spin", "pulse", "border", "fixed"}
_FA_NON_NAMES |= {"solid", "regular", "brands", "light", "thin", "duotone", "inverse", "stack", "flip"}

# Symbols models draw icons with, and the icons each may stand for (first found in the brief wins).
_SYMBOL_ICONS = {
    "☰": ("bars", "list", "justify"),
    "≡": ("bars", "list", "justify"),
    "🔍": ("magnifying-glass", "search"),
    "🔎": ("magnifying-glass", "search"),
    "✓": ("check", "check-lg", "circle-check"),
    "✔": ("check", "check-lg", "circle-check"),
    "✕": ("xmark", "x", "x-lg"),
    "✖": ("xmark", "x", "x-lg"),
    "×": ("xmark", "x", "x-lg"),
    "★": ("star", "star-fill"),
    "☆": ("star",),
    "♥": ("heart", "heart-fill"),
    "❤": ("heart", "heart-fill"),
    "🔔": ("bell", "bell-fill"),
    "⚙": ("gear", "gear-fill"),
    "🏠": ("house", "house-fill", "house-door"),
    "✉": ("envelope", "envelope-fill"),
    "📧": ("envelope", "envelope-fill"),
    "👤": ("user", "person", "person-fill", "circle-user"),
    "🛒": ("cart-shopping", "cart", "cart-fill", "basket"),
    "▼": ("caret-down", "caret-down-fill", "chevron-down"),
    "▾": ("caret-down", "caret-down-fill", "chevron-down"),
    "⌄": ("chevron-down", "angle-down"),
    "▲": ("caret-up", "caret-up-fill", "chevron-up"),
    "›": ("chevron-right", "angle-right"),
    "‹": ("chevron-left", "angle-left"),
    "❯": ("chevron-right", "angle-right"),
    "❮": ("chevron-left", "angle-left"),
    "→": ("arrow-right", "arrow-right-long"),
    "←": ("arrow-left", "arrow-left-long"),
    "⋮": ("ellipsis-vertical", "three-dots-vertical"),
    "⋯": ("ellipsis", "three-dots"),
    "🗑": ("trash", "trash-can", "trash3"),
    "✏": ("pen", "pencil", "pen-to-square"),
    "📅": ("calendar", "calendar-days", "calendar3"),
    "🔒": ("lock", "lock-fill"),
    "📍": ("location-dot", "geo-alt", "geo-alt-fill"),
    "📞": ("phone", "telephone", "telephone-fill"),
    "☎": ("phone", "telephone", "telephone-fill"),
    "☀": ("sun", "sun-fill"),
    "🌙": ("moon", "moon-fill"),
    "⬇": ("download", "arrow-down"),
    "⬆": ("upload", "arrow-up"),
    "▶": ("play", "play-fill", "caret-right"),
}


@dataclass(frozen=True)
class Repair:
    """One change made to the model's page."""

    kind: str  # asset | image | icon | font | text
    before: str
    after: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "before": self.before, "after": self.after, "why": self.why}


@dataclass(frozen=True)
class Repaired:
    """The repaired page, what was changed, and the source text the page still lacks."""

    html: str
    repairs: tuple[Repair, ...]
    missing: tuple[str, ...]  # source paragraphs (exact text) found nowhere in the page


def repair_page(
    html: str,
    brief: Brief,
    *,
    icons: IconIndex | None = None,
    fonts: Any = None,
) -> Repaired:
    """``html`` with the brief's facts put back (see the module docstring). ``icons`` is the icon
    index (None: the installed sets); ``fonts`` the font book (None: the local backend's)."""
    from ..sanitize import parse_like_chromium

    doc = parse_like_chromium(html)
    repairs: list[Repair] = []
    used: set[str] = set()
    _fill_assets(doc, brief, used, repairs)
    _match_images(doc, brief, used, repairs)
    _draw_icons(doc, brief, icons, repairs)
    _correct_text(doc, brief, repairs)
    _embed_fonts(doc, brief, fonts, repairs)
    missing = _missing(doc, brief)
    return Repaired(serialize_document(doc), tuple(repairs), tuple(missing))


# --- pictures ------------------------------------------------------------------------------------


def _fill_assets(doc: ET.Element, brief: Brief, used: set[str], repairs: list[Repair]) -> None:
    def substitute(text: str, where: str) -> str:
        def one(match: re.Match[str]) -> str:
            asset = brief.asset(match.group(1))
            if asset is None:
                repairs.append(Repair("asset", match.group(0), "", f"{where}: no such asset in the brief"))
                return match.group(0)
            used.add(asset.id)
            repairs.append(Repair("asset", match.group(0), f"the {asset.box[2]}x{asset.box[3]} crop", where))
            return asset.data_uri

        return _ASSET_REF.sub(one, text)

    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        name = local_name(el.tag).lower()
        for attr in (*_URL_ATTRS, "style"):
            value = el.get(attr)
            if value and "asset:" in value:
                el.set(attr, substitute(value, f"<{name} {local_name(attr)}>"))
                if name == "img" and attr == "src":
                    _contain(el)
        if name == "style" and el.text and "asset:" in el.text:
            el.text = substitute(el.text, "<style>")


def _match_images(doc: ET.Element, brief: Brief, used: set[str], repairs: list[Repair]) -> None:
    """Remote and made-up images take the unused assets: by size; then, when as many images without
    a size as unused assets remain, in reading order."""
    remote = [
        el
        for el in doc.iter()
        if isinstance(el.tag, str)
        and local_name(el.tag).lower() == "img"
        and not (el.get("src") or "").strip().lower().startswith("data:")
    ]
    free = [a for a in brief.assets if a.id not in used and not a.background]
    unsized = []
    for el in remote:
        size = _declared_size(el)
        if size is None:
            unsized.append(el)
            continue
        asset = _nearest_size(size, free)
        if asset is not None:  # an image whose size fits no picture is some other picture
            free.remove(asset)
            _take(el, asset, used, repairs, f"an image of the asset's size ({size[0]:g}x{size[1]:g})")
    if unsized and len(unsized) == len(free):
        for el, asset in zip(unsized, free, strict=True):
            _take(el, asset, used, repairs, "the image in the same reading order as the asset")


def _take(el: ET.Element, asset: BriefAsset, used: set[str], repairs: list[Repair], why: str) -> None:
    before = (el.get("src") or "(no src)")[:120]
    el.set("src", asset.data_uri)
    el.attrib.pop("srcset", None)
    _contain(el)
    used.add(asset.id)
    repairs.append(Repair("image", before, asset.ref, why))


def _contain(img: ET.Element) -> None:
    """A picture placed in a box of another shape keeps its own proportions."""
    style = (img.get("style") or "").strip().rstrip(";")
    if "object-fit" not in style:
        img.set("style", f"{style};object-fit:contain" if style else "object-fit:contain")


def _declared_size(el: ET.Element) -> tuple[float, float] | None:
    width, height = el.get("width", ""), el.get("height", "")
    style = dict((k, float(v)) for k, v in _PX.findall(el.get("style", "")))
    w = float(width) if width.isdigit() else style.get("width")
    h = float(height) if height.isdigit() else style.get("height")
    if w and h:
        return w, h
    from ..sanitize import size_in_url

    written = size_in_url(el.get("src") or "")
    return (float(written[0]), float(written[1])) if written else None


def _nearest_size(size: tuple[float, float], assets: list[BriefAsset]) -> BriefAsset | None:
    """The asset within 20% (or 8 px: a crop loses its picture's padding) of ``size`` on both
    sides, the closest first."""
    best, best_error = None, 1.0
    for asset in assets:
        w, h = asset.box[2], asset.box[3]
        error = max(abs(size[0] - w) / max(w * 0.2, 8), abs(size[1] - h) / max(h * 0.2, 8))
        if error <= best_error:
            best, best_error = asset, error
    return best


# --- icons -----------------------------------------------------------------------------------------


def _draw_icons(doc: ET.Element, brief: Brief, index: IconIndex | None, repairs: list[Repair]) -> None:
    colours: dict[str, set[str | None]] = {}
    for item in brief.icons:
        colours.setdefault(item.classes, set()).add(item.color)
    for el in list(doc.iter()):  # drawing an icon replaces the element's children
        if not isinstance(el.tag, str) or local_name(el.tag).lower() not in ("i", "span"):
            continue
        named, symbol = _icon_classes(el), _symbol(el)
        if named is None and symbol is None:
            continue
        if index is None:
            from ..icons import icon_index

            index = icon_index()
        if named is not None:
            icon = _resolve(index, *named)
            before = f'<{local_name(el.tag)} class="{el.get("class", "")}">'
            why = "the icon set's own class names"
        else:
            icon = _icon_for_symbol(index, brief, symbol or "")
            before = symbol or ""
            why = "a symbol standing for an icon the source shows"
        if icon is None:
            continue
        _put_svg(el, icon)
        found = colours.get(icon.classes, set())
        if len(found) == 1 and None not in found and "color" not in (el.get("style") or ""):
            colour = next(iter(found))
            el.set(
                "style", ";".join(filter(None, [el.get("style", "").strip().rstrip(";"), f"color:{colour}"]))
            )
        repairs.append(Repair("icon", before, icon.classes, why))


def _icon_classes(el: ET.Element) -> tuple[str, str] | None:
    """(family, name) written in an element's classes or ``data-icon``, if any."""
    data = (el.get("data-icon") or "").strip()
    if data:
        family, _, name = data.rpartition(":")
        return (family or "fa-solid", name)
    classes = (el.get("class") or "").split()
    if "bi" in classes or any(c.startswith("bi-") for c in classes):
        names = [c[3:] for c in classes if c.startswith("bi-")]
        return ("bi", names[0]) if names else None
    written = next((_FA_FAMILIES[c] for c in classes if c in _FA_FAMILIES), None)
    if written is None and "fa" not in classes:
        return None
    names = [
        c[3:] for c in classes if c.startswith("fa-") and c[3:] not in _FA_NON_NAMES and c not in _FA_FAMILIES
    ]
    return (written or "fa-solid", names[0]) if names else None


def _resolve(index: IconIndex, family: str, name: str) -> Icon | None:
    name = _FA_ALIASES.get(name, name) if family != "bi" else name
    families = [family] if family == "bi" else [family, "fa-solid", "fa-regular", "fa-brands"]
    for fam in dict.fromkeys(families):
        icon = index.get(fam, name)
        if icon is not None:
            return icon
    return None


def _symbol(el: ET.Element) -> str | None:
    """The one symbol character an element holds and nothing else, when it may be an icon."""
    if len(el) or not el.text:
        return None
    text = el.text.strip().replace("\ufe0f", "")
    return text if text in _SYMBOL_ICONS else None


def _icon_for_symbol(index: IconIndex, brief: Brief, symbol: str) -> Icon | None:
    present = {item.classes for item in brief.icons}
    for name in _SYMBOL_ICONS[symbol]:
        for family in ("fa-solid", "fa-regular", "fa-brands", "bi"):
            icon = index.get(family, name)
            if icon is not None and icon.classes in present:
                return icon
    return None


def _put_svg(el: ET.Element, icon: Icon) -> None:
    """The icon as inline SVG inside ``el``, drawn as its icon font draws it: its whole box (not
    just its ink) one em tall, on the baseline as Font Awesome sets it, in the text's colour."""
    from ..sanitize import parse_like_chromium

    x, y, w, h = icon.view_box
    markup = (
        f'<svg width="{w / max(h, 1e-9):.3f}em" height="1em" viewBox="{x:g} {y:g} {w:g} {h:g}" '
        f'fill="currentColor" aria-hidden="true" style="vertical-align:-0.125em">{icon.body}</svg>'
    )
    body = parse_like_chromium(f"<body>{markup}</body>").find("body")
    svg = next(iter(body)) if body is not None and len(body) else None
    if svg is None or local_name(svg.tag) != "svg":
        return
    for child in list(el):
        el.remove(child)
    el.text = None
    el.append(svg)


# --- text ------------------------------------------------------------------------------------------


def _text_slots(doc: ET.Element) -> Iterator[tuple[ET.Element, str]]:
    """Every text node outside scripts and styles, as (owner, "text" or "tail")."""

    def walk(el: ET.Element, skip: bool) -> Iterator[tuple[ET.Element, str]]:
        if not isinstance(el.tag, str):
            return  # a comment (its tail belongs to the parent, which yields it)
        inside = skip or el.tag.startswith("{") or local_name(el.tag).lower() in _NO_TEXT
        if el.text and not inside:
            yield el, "text"
        for child in el:
            yield from walk(child, inside)
            if child.tail and not inside:
                yield child, "tail"

    yield from walk(doc, False)


def _correct_text(doc: ET.Element, brief: Brief, repairs: list[Repair]) -> None:
    targets = list(dict.fromkeys([line.text for line in brief.lines] + brief.blocks()))
    if not targets:
        return
    exact = set(targets)
    for owner, slot in list(_text_slots(doc)):
        raw = getattr(owner, slot) or ""
        text = _SPACE.sub(" ", raw).strip()
        if len(text) < MIN_CORRECTABLE or text in exact:
            continue
        best, best_ratio, tied = None, 0.0, False
        for target in targets:
            ratio = fuzz.ratio(text, target)
            if ratio > best_ratio:
                best, best_ratio, tied = target, ratio, False
            elif ratio == best_ratio and target != best:
                tied = True
        if best is None or tied or best_ratio < NEAR_MISS_RATIO:
            continue
        edits = OSA.distance(text, best)
        if edits > max(1 if len(best) >= ONE_EDIT_FROM else 0, NEAR_MISS_EDITS * len(best)):
            continue
        if _alike(text) == _alike(best) or _fragment(best, text, exact):
            # Only letter case, look-alikes (I/l/1, O/0) or punctuation differ, where OCR misreads
            # as often as the model; or the source string is a piece OCR cut out of this one.
            continue
        lead = raw[: len(raw) - len(raw.lstrip())]
        trail = raw[len(raw.rstrip()) :]
        setattr(owner, slot, lead + best + trail)
        repairs.append(Repair("text", text, best, f"a near miss ({best_ratio:.0f}%) of a source line"))


def _fragment(target: str, text: str, lines: set[str]) -> bool:
    """Whether source line ``target`` is a piece of ``text`` whose other piece is a source line
    too (OCR cut "解决方案" into "解" and "决方案": the page's reading is whole, not wrong)."""
    if target not in text:
        return False
    rest = text.replace(target, "", 1).strip()
    return bool(rest) and rest in lines


def _missing(doc: ET.Element, brief: Brief) -> list[str]:
    texts = [_SPACE.sub(" ", getattr(owner, slot) or "").strip() for owner, slot in _text_slots(doc)]
    texts = [t for t in texts if t]
    for el in doc.iter():  # values and placeholders of fields are text the page shows too
        if isinstance(el.tag, str) and local_name(el.tag).lower() in ("input", "textarea"):
            texts.extend(v for v in (el.get("value"), el.get("placeholder")) if v)
    whole = _squash(" ".join(texts))
    missing = []
    for block in brief.blocks():
        squashed = _squash(block)
        if not squashed or squashed in whole:
            continue
        if any(fuzz.ratio(block, t) >= PRESENT_RATIO for t in texts):
            continue
        if len(block) >= 12 and fuzz.partial_ratio(block, " ".join(texts)) >= 90:
            continue
        missing.append(block)
    return missing


def _squash(text: str) -> str:
    return _SPACE.sub("", text).lower()


_LOOK_ALIKES = str.maketrans({"I": "l", "1": "l", "|": "l", "0": "o", "O": "o"})
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def _alike(text: str) -> str:
    """``text`` with what OCR and models confuse folded away: case, I/l/1, O/0, punctuation."""
    return _PUNCTUATION.sub("", text.translate(_LOOK_ALIKES).lower())


# --- fonts -----------------------------------------------------------------------------------------

_GENERIC = {
    "serif": "serif",
    "sans-serif": "sans",
    "monospace": "mono",
    "system-ui": "sans",
    "ui-sans-serif": "sans",
}
_GENERIC |= {
    "ui-serif": "serif",
    "ui-monospace": "mono",
    "cursive": "",
    "fantasy": "",
    "emoji": "",
    "math": "",
}
_GENERIC |= {"-apple-system": "sans", "blinkmacsystemfont": "sans", "inherit": "", "initial": "", "unset": ""}
# Names whose kind is plain from the name (the browser finds them or an alias of them).
_KNOWN_KIND = {
    "arial": "sans",
    "helvetica": "sans",
    "helvetica neue": "sans",
    "segoe ui": "sans",
    "verdana": "sans",
}
_KNOWN_KIND |= {"tahoma": "sans", "georgia": "serif", "times new roman": "serif", "times": "serif"}
_KNOWN_KIND |= {
    "courier new": "mono",
    "courier": "mono",
    "menlo": "mono",
    "consolas": "mono",
    "monaco": "mono",
}


def _family_names(value: str) -> list[str]:
    return [name.strip().strip("'\"").strip() for name in value.split(",") if name.strip()]


def _embed_fonts(doc: ET.Element, brief: Brief, fonts: Any, repairs: list[Repair]) -> None:
    """Put the measured family first where the page set text in a generic stack, then embed the
    web fonts the browser will use (the first family of a stack it can draw), cut to the text."""
    if fonts is None:
        from ..backends.local.fonts import FONTS

        fonts = FONTS
    web = {face.family.lower(): face for face in fonts.faces if face.web}
    system = {face.family.lower() for face in fonts.faces if not face.web} | set(_KNOWN_KIND)
    measured = {f.family.lower() for f in brief.fonts}
    primary: dict[str, str] = {}
    for font in brief.fonts:  # the family that sets most text, per kind
        primary.setdefault(font.kind, font.family)

    def restack(match: re.Match[str]) -> str:
        value = match.group(1)
        core, important = value, ""
        if "!important" in value:
            core, _, _ = value.partition("!important")
            important = " !important"
        names = _family_names(core)
        lowered = [n.lower() for n in names]
        if not names or "var(" in core or any(n in measured for n in lowered):
            return match.group(0)
        if any("awesome" in n or "icons" in n for n in lowered) or lowered[0] in (
            "inherit",
            "initial",
            "unset",
        ):
            return match.group(0)
        kind = next((_GENERIC[n] for n in lowered if _GENERIC.get(n)), None)
        kind = kind or next((_KNOWN_KIND[n] for n in lowered if n in _KNOWN_KIND), "sans")
        family = primary.get(kind)
        if family is None:
            return match.group(0)
        repairs.append(
            Repair(
                "font",
                core.strip(),
                f'"{family}", {core.strip()}',
                f"the {kind} family the text was measured in",
            )
        )
        return f'font-family:"{family}", {core.strip()}{important}'

    used: list[str] = []

    def note_used(value: str) -> None:
        for name in (n.lower() for n in _family_names(value.partition("!important")[0])):
            if name in web:
                if name not in used:
                    used.append(name)
                return
            if name in system or name in _GENERIC:
                return

    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        is_style = local_name(el.tag).lower() == "style" and el.text and "@font-face" not in el.text
        if is_style and el.text:
            el.text = _FONT_FAMILY.sub(restack, el.text)
            for value in _FONT_FAMILY.findall(el.text):
                note_used(value)
        if el.get("style"):
            el.set("style", _FONT_FAMILY.sub(restack, el.get("style", "")))
            for value in _FONT_FAMILY.findall(el.get("style", "")):
                note_used(value)
    if not used:
        return
    chars = "".join(sorted({ch for owner, slot in _text_slots(doc) for ch in (getattr(owner, slot) or "")}))
    chars = "".join(ch for ch in chars if not ch.isspace())
    weights_seen = {f.family.lower(): f.weights for f in brief.fonts}
    from ..backends.local.fonts import font_face_rule

    rules: list[str] = []
    for name in used:
        face = web[name]
        weights = sorted({face.nearest_weight(w) for w in (*weights_seen.get(name, ()), 400, 700)})
        rules.extend(r for w in weights if (r := font_face_rule(face, w, False, chars)) is not None)
        repairs.append(
            Repair(
                "font",
                face.family,
                f'"{face.family}" {"/".join(map(str, weights))} embedded',
                f"the page sets text in it; cut to its {len(chars)} characters",
            )
        )
    head = doc.find("head")
    if not rules or head is None:
        return
    style = ET.Element("style", {"data-replicator-fonts": ""})
    style.text = "\n".join(rules)
    head.insert(0, style)
