"""One CSS declaration as Tailwind CSS 3 utilities: the idiomatic name where one says exactly the
same (``flex``, ``mt-4``, ``font-semibold``), an arbitrary value otherwise (``mt-[26px]``,
``text-[#344054]``), an arbitrary property as the last resort (``[-webkit-appearance:none]``).
None when no class can carry it (the value holds a URL, quotes or brackets)."""

from __future__ import annotations

from .utilities import Decl, arbitrary, is_color, px

_KEYWORDS: dict[str, dict[str, str]] = {
    "display": {
        "flex": "flex",
        "block": "block",
        "inline-block": "inline-block",
        "inline": "inline",
        "inline-flex": "inline-flex",
        "grid": "grid",
        "inline-grid": "inline-grid",
        "none": "hidden",
        "table": "table",
        "table-row": "table-row",
        "table-cell": "table-cell",
        "contents": "contents",
        "list-item": "list-item",
    },
    "flex-direction": {
        "row": "flex-row",
        "column": "flex-col",
        "row-reverse": "flex-row-reverse",
        "column-reverse": "flex-col-reverse",
    },
    "flex-wrap": {"wrap": "flex-wrap", "nowrap": "flex-nowrap", "wrap-reverse": "flex-wrap-reverse"},
    "flex": {"none": "flex-none", "1 1 0%": "flex-1", "0 1 auto": "flex-initial", "1 1 auto": "flex-auto"},
    "flex-grow": {"1": "grow", "0": "grow-0"},
    "flex-shrink": {"1": "shrink", "0": "shrink-0"},
    "align-items": {
        "center": "items-center",
        "flex-start": "items-start",
        "start": "items-start",
        "flex-end": "items-end",
        "end": "items-end",
        "stretch": "items-stretch",
        "baseline": "items-baseline",
    },
    "align-self": {
        "auto": "self-auto",
        "center": "self-center",
        "flex-start": "self-start",
        "start": "self-start",
        "flex-end": "self-end",
        "end": "self-end",
        "stretch": "self-stretch",
        "baseline": "self-baseline",
    },
    "justify-content": {
        "center": "justify-center",
        "flex-start": "justify-start",
        "start": "justify-start",
        "flex-end": "justify-end",
        "end": "justify-end",
        "space-between": "justify-between",
        "space-around": "justify-around",
        "space-evenly": "justify-evenly",
    },
    "position": {p: p for p in ("static", "fixed", "absolute", "relative", "sticky")},
    "white-space": {
        "nowrap": "whitespace-nowrap",
        "normal": "whitespace-normal",
        "pre": "whitespace-pre",
        "pre-wrap": "whitespace-pre-wrap",
        "pre-line": "whitespace-pre-line",
    },
    "text-align": {a: f"text-{a}" for a in ("left", "center", "right", "justify", "start", "end")},
    "font-style": {"italic": "italic", "normal": "not-italic"},
    "text-transform": {
        "uppercase": "uppercase",
        "lowercase": "lowercase",
        "capitalize": "capitalize",
        "none": "normal-case",
    },
    "text-decoration": {"none": "no-underline", "underline": "underline", "line-through": "line-through"},
    "text-decoration-line": {
        "none": "no-underline",
        "underline": "underline",
        "line-through": "line-through",
    },
    "overflow": {v: f"overflow-{v}" for v in ("hidden", "auto", "visible", "scroll", "clip")},
    "overflow-x": {v: f"overflow-x-{v}" for v in ("hidden", "auto", "visible", "scroll", "clip")},
    "overflow-y": {v: f"overflow-y-{v}" for v in ("hidden", "auto", "visible", "scroll", "clip")},
    "pointer-events": {"none": "pointer-events-none", "auto": "pointer-events-auto"},
    "appearance": {"none": "appearance-none", "auto": "appearance-auto"},
    "box-sizing": {"border-box": "box-border", "content-box": "box-content"},
    "object-fit": {v: f"object-{v}" for v in ("cover", "contain", "fill", "none", "scale-down")},
    "vertical-align": {v: f"align-{v}" for v in ("top", "middle", "bottom", "baseline", "text-top")},
    "cursor": {v: f"cursor-{v}" for v in ("pointer", "default", "text", "move", "not-allowed")},
    "list-style": {"none": "list-none"},
    "list-style-type": {"none": "list-none", "disc": "list-disc", "decimal": "list-decimal"},
    "border-collapse": {"collapse": "border-collapse", "separate": "border-separate"},
    "visibility": {"hidden": "invisible", "visible": "visible"},
    "user-select": {"none": "select-none", "text": "select-text", "all": "select-all"},
    "-webkit-font-smoothing": {"antialiased": "antialiased"},
    "font-variant": {"small-caps": "[font-variant:small-caps]"},
    "word-break": {"break-all": "break-all", "keep-all": "break-keep"},
    "overflow-wrap": {"anywhere": "[overflow-wrap:anywhere]", "break-word": "break-words"},
    "text-overflow": {"ellipsis": "text-ellipsis", "clip": "text-clip"},
    "box-shadow": {"none": "shadow-none"},
}
_WEIGHTS = {
    "100": "font-thin",
    "200": "font-extralight",
    "300": "font-light",
    "400": "font-normal",
    "normal": "font-normal",
    "500": "font-medium",
    "600": "font-semibold",
    "700": "font-bold",
    "bold": "font-bold",
    "800": "font-extrabold",
    "900": "font-black",
}
# Properties whose lengths take Tailwind's spacing scale (n x 4 px) or an arbitrary value.
_SPACED = {
    "margin-top": "mt",
    "margin-right": "mr",
    "margin-bottom": "mb",
    "margin-left": "ml",
    "padding-top": "pt",
    "padding-right": "pr",
    "padding-bottom": "pb",
    "padding-left": "pl",
    "width": "w",
    "height": "h",
    "top": "top",
    "right": "right",
    "bottom": "bottom",
    "left": "left",
    "gap": "gap",
    "row-gap": "gap-y",
    "column-gap": "gap-x",
    "flex-basis": "basis",
}
_NEGATABLE = {"mt", "mr", "mb", "ml", "top", "right", "bottom", "left"}
# Properties that take only an arbitrary value (or a few keywords).
_ARBITRARY = {
    "min-width": "min-w",
    "min-height": "min-h",
    "max-width": "max-w",
    "max-height": "max-h",
    "font-size": "text",
    "line-height": "leading",
    "letter-spacing": "tracking",
    "border-radius": "rounded",
    "z-index": "z",
    "opacity": "opacity",
    "box-shadow": "shadow",
    "font-family": "font",
    "grid-template-columns": "grid-cols",
    "grid-template-rows": "grid-rows",
    "order": "order",
}
_SCALE = {0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 24, 28, 32, 36}
_SCALE |= {40, 44, 48, 52, 56, 60, 64, 72, 80, 96}
_BORDER_WIDTHS = {0: "-0", 1: "", 2: "-2", 4: "-4", 8: "-8"}
_BORDER_SIDES = {"top": "t", "right": "r", "bottom": "b", "left": "l"}


def utilities(decl: Decl) -> list[str] | None:
    """Tailwind classes that set exactly ``decl``; None if it must stay in the stylesheet."""
    classes = _classes(decl.prop, decl.value.strip())
    if classes is None:
        return None
    return ["!" + c for c in classes] if decl.important else classes


def _classes(prop: str, value: str) -> list[str] | None:
    low = value.lower()
    named = _KEYWORDS.get(prop, {}).get(low)
    if named:
        return [named]
    if prop == "font-weight" and low in _WEIGHTS:
        return [_WEIGHTS[low]]
    if prop in _SPACED:
        return _spaced(_SPACED[prop], low)
    if prop == "color":
        return (
            [_color("text", value)]
            if is_color(value) or low in ("white", "black")
            else _property(prop, value)
        )
    if prop in ("background", "background-color"):
        if is_color(value) or low in ("white", "black"):
            return [_color("bg", value)]
        if prop == "background" and low.startswith(("linear-gradient(", "radial-gradient(")):
            inner = arbitrary(value)
            return [f"bg-[{inner}]"] if inner else None
        return _property(prop, value)
    if prop == "border-color" and is_color(value):
        return [_color("border", value)]
    if prop == "border" or (prop.startswith("border-") and prop[7:] in _BORDER_SIDES):
        return _border(_BORDER_SIDES.get(prop[7:], ""), value)
    if prop == "border-radius" and low in ("9999px", "50%"):
        return ["rounded-full"]
    if prop in _ARBITRARY:
        prefix = _ARBITRARY[prop]
        if prop in ("width", "max-width", "min-width", "min-height", "max-height") and low == "100%":
            return [f"{prefix}-full"]
        if prop in ("min-width", "min-height") and px(low) == 0:
            return [f"{prefix}-0"]
        if prop == "font-family":
            inner = arbitrary(value.replace('"', "'"))
        elif prop == "opacity":
            inner = arbitrary(value)
        elif prop == "font-size" and not px(low):
            return _property(prop, value)
        else:
            inner = arbitrary(value)
        if inner is None:
            return None
        if prop == "z-index" and inner.startswith("-"):
            return [f"-z-[{inner[1:]}]"]
        return [f"{prefix}-[{inner}]"]
    return _property(prop, value)


def _spaced(prefix: str, value: str) -> list[str] | None:
    if value == "auto":
        return [f"{prefix}-auto"]
    if value == "100%" and prefix in ("w", "h", "basis", "top", "right", "bottom", "left"):
        return [f"{prefix}-full"]
    n = px(value)
    if n is None:
        inner = arbitrary(value)
        return [f"{prefix}-[{inner}]"] if inner else None
    sign = "-" if n < 0 and prefix in _NEGATABLE else ""
    if n < 0 and not sign:
        return [f"{prefix}-[{n:g}px]"]
    size = abs(n)
    if size == 1:
        return [f"{sign}{prefix}-px"]
    if size / 4 in _SCALE:
        return [f"{sign}{prefix}-{size / 4:g}"]
    return [f"{sign}{prefix}-[{size:g}px]"]


def _color(prefix: str, value: str) -> str:
    low = value.strip().lower()
    if low in ("#fff", "#ffffff", "white"):
        return f"{prefix}-white"
    if low in ("#000", "#000000", "black"):
        return f"{prefix}-black"
    if low == "transparent":
        return f"{prefix}-transparent"
    if low == "currentcolor":
        return f"{prefix}-current"
    return f"{prefix}-[{arbitrary(value) or value}]"


def _border(side: str, value: str) -> list[str] | None:
    """``border: 1px solid #ddd`` as ``border border-solid border-[#ddd]`` (or one side's)."""
    head = f"border-{side}" if side else "border"
    parts = value.split()
    if parts in (["0"], ["none"], ["0px"]):
        return [f"{head}-0"]
    width = next((p for p in parts if px(p) is not None), None)
    style = next((p for p in parts if p in ("solid", "dashed", "dotted", "double", "none")), None)
    color = next((p for p in parts if is_color(p)), None)
    if len(parts) != sum(x is not None for x in (width, style, color)):
        return None
    out = []
    n = px(width) if width else 3.0  # CSS's medium
    out.append(head + _BORDER_WIDTHS[int(n)] if n in _BORDER_WIDTHS else f"{head}-[{n:g}px]")
    if style:
        out.append(f"border-{style}")
    if color:
        out.append(_color(head, color))
    elif style != "none":
        out.append(f"{head}-current")  # CSS's default border color is the text color
    return out


def _property(prop: str, value: str) -> list[str] | None:
    inner = arbitrary(value)
    return [f"[{prop}:{inner}]"] if inner else None
