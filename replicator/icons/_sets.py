"""The icon sets installed from npm: Font Awesome Free (solid, regular, brands) and Bootstrap Icons.

Each icon is read from the package's own vector data (Font Awesome's metadata, Bootstrap's SVG
files), so the index matches exactly what the page will draw. Icons that are plain typography
(Font Awesome's letters, digits and ASCII signs: OCR reads those as text) are left out.
"""

from __future__ import annotations

import html
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ._svg import Outline, SvgError, element_outline

log = logging.getLogger(__name__)

FONT_AWESOME = Path("@fortawesome") / "fontawesome-free"
BOOTSTRAP_ICONS = Path("bootstrap-icons")
_FA_STYLES = {"solid": "fa-solid", "regular": "fa-regular", "brands": "fa-brands"}
_SVG_NS = "{http://www.w3.org/2000/svg}"
_SHAPE_ATTRS = ("d", "cx", "cy", "r", "rx", "ry", "x", "y", "width", "height", "transform", "fill-rule")


@dataclass(frozen=True)
class Icon:
    """One icon of a set, as the page draws it: its vector body and where its ink lies."""

    family: str  # fa-solid | fa-regular | fa-brands | bi
    name: str  # bell, caret-down, google, ...
    view_box: tuple[float, float, float, float]  # min-x, min-y, width, height
    bounds: tuple[float, float, float, float]  # ink x0, y0, x1, y1 in viewBox units
    body: str  # the icon's shape elements (trusted: from the installed package)

    @property
    def classes(self) -> str:
        """The set's own class names (``fa-solid fa-bell``, ``bi bi-bell``)."""
        if self.family == "bi":
            return f"bi bi-{self.name}"
        return f"{self.family} fa-{self.name}"

    @property
    def aspect(self) -> float:
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0) / max(y1 - y0, 1e-9)

    def svg(self, width: float, height: float, css_class: str = "") -> str:
        """Inline SVG whose ink fills ``width`` x ``height`` px (the viewBox is the ink's bounds)."""
        x0, y0, x1, y1 = self.bounds
        classes = " ".join(filter(None, ["icon", self.classes, css_class]))
        return (
            f'<svg class="{classes}" width="{_num(width)}" height="{_num(height)}" '
            f'viewBox="{_num(x0)} {_num(y0)} {_num(x1 - x0)} {_num(y1 - y0)}" '
            f'preserveAspectRatio="none" fill="currentColor" aria-hidden="true">{self.body}</svg>'
        )


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def versions(node_modules: Path) -> dict[str, str]:
    """Installed version of each set (missing sets are left out)."""
    found = {}
    for key, package in (("fontawesome", FONT_AWESOME), ("bootstrap-icons", BOOTSTRAP_ICONS)):
        try:
            found[key] = json.loads((node_modules / package / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            continue
    return found


def load_icons(node_modules: Path) -> Iterator[tuple[Icon, list[Outline]]]:
    """Every icon of the installed sets, with its outlines (viewBox units)."""
    yield from _font_awesome(node_modules / FONT_AWESOME)
    yield from _bootstrap_icons(node_modules / BOOTSTRAP_ICONS)


def _font_awesome(root: Path) -> Iterator[tuple[Icon, list[Outline]]]:
    try:
        families = json.loads((root / "metadata" / "icon-families.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("Font Awesome metadata unreadable in %s: %s", root, exc)
        return
    for name, entry in families.items():
        if int(entry.get("unicode", "0"), 16) < 0x7F:
            continue  # letters, digits and ASCII signs: text, not icons
        free = {(s["family"], s["style"]) for s in entry.get("familyStylesByLicense", {}).get("free", [])}
        for (family, style), family_name in ((("classic", s), f) for s, f in _FA_STYLES.items()):
            if (family, style) not in free:
                continue
            svg = entry.get("svgs", {}).get(family, {}).get(style)
            if svg is None or not isinstance(svg.get("path"), str):
                continue
            view_box = tuple(float(v) for v in svg["viewBox"])
            try:
                polygons = element_outline("path", {"d": svg["path"]}, max(view_box[2:]))
            except SvgError as exc:
                log.warning("skipping Font Awesome %s %s: %s", style, name, exc)
                continue
            outline = Outline(tuple(polygons))
            bounds = outline.bounds()
            if bounds is None:
                continue
            body = f'<path d="{html.escape(svg["path"])}"/>'
            yield Icon(family_name, name, view_box, bounds, body), [outline]  # type: ignore[arg-type]


def _bootstrap_icons(root: Path) -> Iterator[tuple[Icon, list[Outline]]]:
    folder = root / "icons"
    if not folder.is_dir():
        log.warning("Bootstrap Icons not installed in %s", root)
        return
    for path in sorted(folder.glob("*.svg")):
        try:
            svg = ET.fromstring(path.read_bytes())
            view_box = tuple(float(v) for v in svg.attrib["viewBox"].split())
            outlines: list[Outline] = []
            parts: list[str] = []
            for element in svg:
                tag = element.tag.removeprefix(_SVG_NS)
                attrs = {k: v for k, v in element.attrib.items() if k in _SHAPE_ATTRS}
                polygons = element_outline(tag, attrs, max(view_box[2:]))
                outlines.append(Outline(tuple(polygons), evenodd=attrs.get("fill-rule") == "evenodd"))
                rendered = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
                parts.append(f"<{tag} {rendered}/>")
        except (OSError, ET.ParseError, KeyError, ValueError) as exc:
            log.warning("skipping Bootstrap icon %s: %s", path.name, exc)
            continue
        polygons_all = [p for o in outlines for p in o.polygons]
        if not polygons_all:
            continue
        bounds = Outline(tuple(polygons_all)).bounds()
        assert bounds is not None
        yield Icon("bi", path.stem, view_box, bounds, "".join(parts)), outlines  # type: ignore[arg-type]
