"""The brief: what our own analysis measured in a screenshot, for the model and for repairing its answer.

Vision-language models write good structure but lose what the embedded analysis gets right: exact
text, the pictures, the icons and the fonts. The brief carries those facts from the local backend's
analysis (``backends.local.page.analyze``): text lines in reading order with boxes, sizes, colours
and weights; the font families that fit the ink; the icons of the sets we ship, by name; and every
picture as a named asset (``asset:img-3``) that the model places and we fill with the real crop.

``Brief.prompt(budget)`` writes it as compact text within a token budget, dropping detail before
dropping lines and saying what it left out, so a huge page degrades instead of overflowing the
model's context. The brief is JSON-serialisable: the pipeline keeps it beside a job's answers, so a
resumed job repairs with the very assets the model was told about.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..models import Box

if TYPE_CHECKING:
    from ..backends.local.model import Analysis, TextLine

# Pictures smaller than this on either side are not assets (bullets, dots, borders' corners).
MIN_ASSET_SIDE = 12
# Caps on what the brief lists, whatever the budget: beyond them a page is pictures, not a UI.
MAX_ASSETS = 40
MAX_ICONS = 60
MAX_FONTS = 6
# A family listed besides the main one sets at least this share of the page's text.
MIN_FONT_SHARE = 0.1
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` costs, estimated (GLM's tokenizer is not available offline).

    About 3.5 characters per token for Latin text, markup and numbers, and one token per CJK
    character: close enough to budget with, and reported as an estimate.
    """
    cjk = len(_CJK.findall(text))
    return cjk + round((len(text) - cjk) / 3.5)


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _box(box: Box) -> tuple[int, int, int, int]:
    return (round(box.x), round(box.y), round(box.width), round(box.height))


@dataclass(frozen=True)
class BriefLine:
    """One visual line of text, exactly as the source shows it."""

    text: str
    box: tuple[int, int, int, int]  # x, y, width, height of its ink, page px
    size: int  # font size, px
    color: str  # hex
    weight: int
    family: str | None
    italic: bool = False
    role: str = ""  # what it is, when it is more than text: h1, button, link, input, label...
    block: int = 0  # lines of one paragraph share a block number


@dataclass(frozen=True)
class BriefIcon:
    """An icon of a set we ship (Font Awesome Free, Bootstrap Icons), by its own class names."""

    classes: str  # "fa-solid fa-bell", "bi bi-house"
    box: tuple[int, int, int, int]  # its ink
    color: str | None  # hex; None: several colours
    size: int = 0  # the font-size, px, that draws it so (its ink is only part of its em box)


@dataclass(frozen=True)
class BriefAsset:
    """A picture cut from the source (photo, illustration, chart, logo) the page must show as is."""

    id: str  # "img-3": the model writes it as "asset:img-3"
    box: tuple[int, int, int, int]
    data_uri: str
    background: bool = False  # text sits on it: it is a background, the text painted out of it

    @property
    def ref(self) -> str:
        return f"asset:{self.id}"


@dataclass(frozen=True)
class BriefFont:
    """A font family that draws the source's text, and the weights it is set in."""

    family: str
    kind: str  # sans | serif | mono
    weights: tuple[int, ...]
    web: bool  # a web font we can embed (else a system font the browser has)
    chars: int = 0  # how much text it sets


@dataclass(frozen=True)
class BriefText:
    """The brief as prompt text, and what it cost and left out."""

    text: str
    tokens: int  # estimated
    lines_listed: int
    lines_total: int
    detail: str  # "full", "text-only" (positions dropped) or "partial" (lines dropped too)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"text": None}


@dataclass(frozen=True)
class Brief:
    """Everything measured in one screenshot that the model should use rather than guess."""

    width: int
    height: int
    lines: tuple[BriefLine, ...] = ()
    fonts: tuple[BriefFont, ...] = ()
    icons: tuple[BriefIcon, ...] = ()
    assets: tuple[BriefAsset, ...] = ()
    notes: tuple[str, ...] = field(default=())

    # --- storage ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Brief:
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            lines=tuple(BriefLine(**{**d, "box": tuple(d["box"])}) for d in data.get("lines", [])),
            fonts=tuple(BriefFont(**{**d, "weights": tuple(d["weights"])}) for d in data.get("fonts", [])),
            icons=tuple(BriefIcon(**{**d, "box": tuple(d["box"])}) for d in data.get("icons", [])),
            assets=tuple(BriefAsset(**{**d, "box": tuple(d["box"])}) for d in data.get("assets", [])),
            notes=tuple(data.get("notes", ())),
        )

    def asset(self, ref: str) -> BriefAsset | None:
        """The asset ``asset:img-3`` (or ``img-3``) names, if the brief has it."""
        name = ref.strip().removeprefix("asset:").strip("/")
        return next((a for a in self.assets if a.id == name), None)

    def blocks(self) -> list[str]:
        """The text of each paragraph (its lines joined; Chinese ones without a space), in reading
        order."""
        joined: dict[int, str] = {}
        for line in self.lines:
            before = joined.get(line.block)
            if before is None:
                joined[line.block] = line.text
            elif _CJK.match(before[-1:]) and _CJK.match(line.text[:1]):
                joined[line.block] = before + line.text
            else:
                joined[line.block] = before + " " + line.text
        return list(joined.values())

    # --- prompt text --------------------------------------------------------------------------

    def prompt(self, budget_tokens: int) -> BriefText:
        """The brief as prompt text within ``budget_tokens`` (estimated).

        Fonts, assets and icons always come first (they are few and the model cannot know them
        otherwise); then text lines with position, size, colour and weight. Over budget, the lines
        lose their details first (text only), then the last lines are dropped with a note saying
        how many, so the model knows to copy the rest from the image.
        """
        head = self._head()
        total = len(self.lines)
        for detail in ("full", "text-only"):
            rows = [self._line(line, detail) for line in self.lines]
            text = _join(head, rows, total, total, detail)
            tokens = estimate_tokens(text)
            if tokens <= budget_tokens:
                return BriefText(text, tokens, total, total, detail)
        # Drop lines from the end until it fits (a binary search: pages can have thousands).
        rows = [self._line(line, "text-only") for line in self.lines]
        low, high = 0, total
        while low < high:
            middle = (low + high + 1) // 2
            if estimate_tokens(_join(head, rows[:middle], middle, total, "text-only")) <= budget_tokens:
                low = middle
            else:
                high = middle - 1
        text = _join(head, rows[:low], low, total, "text-only")
        return BriefText(text, estimate_tokens(text), low, total, "partial")

    def _head(self) -> list[str]:
        out: list[str] = []
        if self.fonts:
            fonts = ", ".join(
                f'"{f.family}" ({f.kind}, {"/".join(str(w) for w in f.weights)})' for f in self.fonts
            )
            out.append(f"Fonts that match the text: {fonts}. Name these first in font-family.")
        if self.assets:
            out.append(
                "Pictures cut from the screenshot. Show each one where it stands, at its size, as "
                '<img src="asset:ID" alt="..."> (or background-image:url(asset:ID) when text sits on '
                "it); never draw, recolour or replace them:"
            )
            for a in self.assets:
                x, y, w, h = a.box
                where = ", a background behind text" if a.background else ""
                out.append(f"- asset:{a.id} {w}x{h} at ({x},{y}){where}")
        if self.icons:
            out.append(
                'Icons (write each as <i class="CLASSES"></i> where it stands, with the font-size and '
                "color given; we draw the real icon):"
            )
            for i in self.icons:
                x, y, w, h = i.box
                colour = f" color:{i.color}" if i.color else ""
                out.append(f"- {i.classes} font-size:{i.size}px{colour} ink {w}x{h} at ({x},{y})")
        return out

    def _line(self, line: BriefLine, detail: str) -> str:
        quoted = '"' + line.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if detail == "text-only":
            return f"- {quoted}"
        x, y, _w, _h = line.box
        style = f"{line.size}px {line.color}"
        if line.weight >= 600:
            style += f" w{line.weight}"
        if line.italic:
            style += " italic"
        role = f" [{line.role}]" if line.role else ""
        return f"- {quoted} at ({x},{y}) {style}{role}"


def _join(head: list[str], rows: list[str], listed: int, total: int, detail: str) -> str:
    out = list(head)
    if rows:
        what = "; then ink position, font size, colour, weight" if detail == "full" else ""
        out.append(f"Text lines in reading order, exact strings (copy them character for character{what}):")
        out.extend(rows)
    if listed < total:
        out.append(f"... and {total - listed} more lines not listed here: copy them exactly from the image.")
    return "\n".join(out)


# --- from the local analysis -------------------------------------------------------------------


def brief_from_analysis(analysis: Analysis) -> Brief:
    """The brief of a screenshot's analysis. Lays the analysis out (roles and reading order come
    from the local backend's own layout tree), so pass an analysis nobody else is using."""
    from ..backends.local.layout import walk
    from ..backends.local.page import layout_tree

    tree = layout_tree(analysis)
    lines: list[BriefLine] = []
    seen: set[int] = set()
    for number, node in enumerate(n for n in walk(tree) if n.kind == "text" and n.block is not None):
        block = node.block
        assert block is not None
        if id(block) in seen:
            continue
        seen.add(id(block))
        role = node.role or (block.role if block.role not in ("text", "p", "cell-text") else "")
        lines.extend(_brief_line(ln, role, number) for ln in block.lines if ln.text.strip())
    # Blocks the layout did not place (none expected) still count, after the others.
    for block in analysis.blocks:
        if id(block) not in seen:
            number = len(seen)
            seen.add(id(block))
            lines.extend(_brief_line(ln, "", number) for ln in block.lines if ln.text.strip())
    return Brief(
        width=analysis.width,
        height=analysis.height,
        lines=tuple(lines),
        fonts=_fonts(analysis),
        icons=_icons(analysis),
        assets=_assets(analysis),
    )


def _brief_line(line: TextLine, role: str, block: int) -> BriefLine:
    face = line.fit.face
    return BriefLine(
        text=line.text,
        box=_box(line.ink),
        size=round(line.fit.size),
        color=_hex(line.color),
        weight=line.fit.weight,
        family=face.family if face else None,
        italic=line.italic or line.fit.italic,
        role=role,
        block=block,
    )


def _fonts(analysis: Analysis) -> tuple[BriefFont, ...]:
    uses: dict[str, tuple[Any, set[int], int]] = {}
    for block in analysis.blocks:
        for line in block.lines:
            face = line.fit.face
            if face is None:
                continue
            _, weights, chars = uses.get(face.family, (face, set(), 0))
            weights.add(line.fit.weight)
            uses[face.family] = (face, weights, chars + len(line.text))
    ranked = sorted(uses.values(), key=lambda item: -item[2])[:MAX_FONTS]
    total = sum(chars for _, _, chars in ranked)
    # A family fitted to a few lines only is more likely a misfit than a second font of the page.
    ranked = [item for n, item in enumerate(ranked) if n == 0 or item[2] >= MIN_FONT_SHARE * total]
    return tuple(
        BriefFont(face.family, face.kind, tuple(sorted(weights)), bool(face.web), chars)
        for face, weights, chars in ranked
    )


def _icons(analysis: Analysis) -> tuple[BriefIcon, ...]:
    found = []
    for graphic in analysis.graphics:
        icon = graphic.icon
        if icon is None:
            continue
        # The icon font draws its whole box one em tall; the ink is the part of it measured.
        ink_share = (icon.bounds[3] - icon.bounds[1]) / max(icon.view_box[3], 1e-9)
        size = round(graphic.box.height / max(ink_share, 0.05))
        colour = _hex(graphic.color) if graphic.color else None
        found.append(BriefIcon(icon.classes, _box(graphic.box), colour, size))
    found.sort(key=lambda i: (round(i.box[1] / 8), i.box[0]))
    return tuple(found[:MAX_ICONS])


def _assets(analysis: Analysis) -> tuple[BriefAsset, ...]:
    pictures = [
        (g.box, g.data_uri, g.behind_text)
        for g in analysis.graphics
        if g.icon is None and g.data_uri and min(g.box.width, g.box.height) >= MIN_ASSET_SIDE
    ]
    for region in analysis.regions:
        image = region.background_image
        if image is not None and image.data_uri and all(image.data_uri != uri for _, uri, _ in pictures):
            pictures.append((image.box, image.data_uri, True))
    # The biggest first when capping; then numbered in reading order.
    pictures = sorted(pictures, key=lambda p: -p[0].area)[:MAX_ASSETS]
    pictures.sort(key=lambda p: (round(p[0].y / 8), p[0].x))
    return tuple(
        BriefAsset(f"img-{number}", _box(box), uri, background)
        for number, (box, uri, background) in enumerate(pictures, start=1)
    )
