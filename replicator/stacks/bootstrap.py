"""One CSS declaration as Bootstrap 5 utility classes, where Bootstrap has one that says exactly the
same thing (``d-flex``, ``align-items-center``, ``fw-semibold``, ``mt-3`` for 16 px). Bootstrap has no
pixel sizes and few colours, so the rest stays in the page's small stylesheet (None)."""

from __future__ import annotations

from .utilities import Decl, px

_KEYWORDS: dict[str, dict[str, str]] = {
    "display": {
        "flex": "d-flex",
        "block": "d-block",
        "inline-block": "d-inline-block",
        "inline": "d-inline",
        "inline-flex": "d-inline-flex",
        "grid": "d-grid",
        "none": "d-none",
        "table": "d-table",
        "table-cell": "d-table-cell",
        "table-row": "d-table-row",
    },
    "flex-direction": {
        "row": "flex-row",
        "column": "flex-column",
        "row-reverse": "flex-row-reverse",
        "column-reverse": "flex-column-reverse",
    },
    "flex-wrap": {"wrap": "flex-wrap", "nowrap": "flex-nowrap"},
    "flex-grow": {"0": "flex-grow-0", "1": "flex-grow-1"},
    "flex-shrink": {"0": "flex-shrink-0", "1": "flex-shrink-1"},
    "flex": {"1 1 auto": "flex-fill"},
    "align-items": {
        "center": "align-items-center",
        "flex-start": "align-items-start",
        "start": "align-items-start",
        "flex-end": "align-items-end",
        "end": "align-items-end",
        "stretch": "align-items-stretch",
        "baseline": "align-items-baseline",
    },
    "align-self": {
        "auto": "align-self-auto",
        "center": "align-self-center",
        "flex-start": "align-self-start",
        "start": "align-self-start",
        "flex-end": "align-self-end",
        "end": "align-self-end",
        "stretch": "align-self-stretch",
        "baseline": "align-self-baseline",
    },
    "justify-content": {
        "center": "justify-content-center",
        "flex-start": "justify-content-start",
        "start": "justify-content-start",
        "flex-end": "justify-content-end",
        "end": "justify-content-end",
        "space-between": "justify-content-between",
        "space-around": "justify-content-around",
        "space-evenly": "justify-content-evenly",
    },
    "position": {p: f"position-{p}" for p in ("static", "relative", "absolute", "fixed", "sticky")},
    "white-space": {"nowrap": "text-nowrap", "normal": "text-wrap"},
    "text-align": {"left": "text-start", "start": "text-start", "center": "text-center", "right": "text-end"},
    "font-weight": {
        "300": "fw-light",
        "400": "fw-normal",
        "normal": "fw-normal",
        "500": "fw-medium",
        "600": "fw-semibold",
        "700": "fw-bold",
        "bold": "fw-bold",
    },
    "font-style": {"italic": "fst-italic", "normal": "fst-normal"},
    "text-transform": {
        "uppercase": "text-uppercase",
        "lowercase": "text-lowercase",
        "capitalize": "text-capitalize",
    },
    "text-decoration": {"none": "text-decoration-none", "underline": "text-decoration-underline"},
    "overflow": {v: f"overflow-{v}" for v in ("hidden", "auto", "visible", "scroll")},
    "pointer-events": {"none": "pe-none", "auto": "pe-auto"},
    "user-select": {"none": "user-select-none", "all": "user-select-all"},
    "vertical-align": {v: f"align-{v}" for v in ("top", "middle", "bottom", "baseline", "text-top")},
    "object-fit": {v: f"object-fit-{v}" for v in ("cover", "contain", "fill", "none", "scale-down")},
    "visibility": {"hidden": "invisible", "visible": "visible"},
    "box-shadow": {"none": "shadow-none"},
    "border": {"0": "border-0", "none": "border-0"},
    "border-radius": {"0": "rounded-0", "50%": "rounded-circle", "9999px": "rounded-pill"},
    "color": {"#ffffff": "text-white", "#fff": "text-white", "white": "text-white", "#000000": "text-black"},
    "background": {"#ffffff": "bg-white", "#fff": "bg-white", "transparent": "bg-transparent"},
    "background-color": {"#ffffff": "bg-white", "#fff": "bg-white", "transparent": "bg-transparent"},
    "line-height": {"1": "lh-1"},
    "opacity": {
        "0": "opacity-0",
        "0.25": "opacity-25",
        "0.5": "opacity-50",
        "0.75": "opacity-75",
        "1": "opacity-100",
    },
    "z-index": {"0": "z-0", "1": "z-1", "2": "z-2", "3": "z-3"},
    "width": {"100%": "w-100", "75%": "w-75", "50%": "w-50", "25%": "w-25", "auto": "w-auto"},
    "height": {"100%": "h-100", "75%": "h-75", "50%": "h-50", "25%": "h-25", "auto": "h-auto"},
    "max-width": {"100%": "mw-100"},
    "max-height": {"100%": "mh-100"},
    "top": {"0": "top-0", "50%": "top-50", "100%": "top-100"},
    "bottom": {"0": "bottom-0", "50%": "bottom-50", "100%": "bottom-100"},
    "left": {"0": "start-0", "50%": "start-50", "100%": "start-100"},
    "right": {"0": "end-0", "50%": "end-50", "100%": "end-100"},
}
_SPACING = {0: "0", 4: "1", 8: "2", 16: "3", 24: "4", 48: "5"}  # $spacer = 1rem = 16 px
_SPACED = {
    "margin-top": "mt",
    "margin-right": "me",
    "margin-bottom": "mb",
    "margin-left": "ms",
    "padding-top": "pt",
    "padding-right": "pe",
    "padding-bottom": "pb",
    "padding-left": "ps",
    "gap": "gap",
    "row-gap": "row-gap",
    "column-gap": "column-gap",
}


def utilities(decl: Decl) -> list[str] | None:
    """Bootstrap classes that set exactly ``decl`` (they are ``!important``); None if none does."""
    if decl.important:
        return None
    low = decl.value.strip().lower()
    named = _KEYWORDS.get(decl.prop, {}).get(low)
    if named:
        return [named]
    prefix = _SPACED.get(decl.prop)
    if prefix is None:
        return None
    if low == "auto" and decl.prop.startswith("margin"):
        return [f"{prefix}-auto"]
    n = px(low)
    if n is not None and n in _SPACING:
        return [f"{prefix}-{_SPACING[int(n)]}"]
    return None
