"""What the local backend finds in a screenshot, before it becomes a layout tree and HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...icons import Icon
from ...models import RGB, Box
from .fonts import FontFit


@dataclass
class TextLine:
    """One visual line of text: OCR's string, its tight ink box and the font that draws it."""

    text: str
    ink: Box
    color: RGB
    background: RGB
    fit: FontFit
    underline: bool = False
    strike: bool = False  # text-decoration: line-through
    italic: bool = False
    small_caps: bool = False  # font-variant: small-caps (the text is cased as the source is)
    mass: float = 0.0  # ink coverage sum, for telling regular from bold
    runs: list[tuple[str, RGB]] = field(default_factory=list)  # words in other colors (inline links)
    alpha: Any = field(default=None, repr=False, compare=False)  # ink coverage crop (numpy), for refits
    frame: Box | None = None  # a key drawn round the text inside a line (GitHub's "Type [g]")

    @property
    def size(self) -> float:
        return self.fit.size


@dataclass
class TextBlock:
    """Lines set as one paragraph (one line for labels, buttons and headings)."""

    lines: list[TextLine]
    align: str = "left"  # left | center | right
    line_height: float = 0.0  # px between baselines; 0 for single lines
    role: str = "text"  # set by classify: h1..h4, p, text, link, label, muted
    wrap_width: float | None = None  # set when the lines re-wrap by themselves at this width

    @property
    def ink(self) -> Box:
        box = self.lines[0].ink
        for line in self.lines[1:]:
            box = box.union(line.ink)
        return box

    @property
    def first(self) -> TextLine:
        return self.lines[0]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


@dataclass
class Region:
    """A flat (or gradient) rectangle: page background, section, card, bar, button or input box."""

    box: Box
    fill: RGB
    gradient: str | None = None
    border_width: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, right, bottom, left
    border_color: RGB | None = None
    border_colors: tuple[RGB | None, RGB | None, RGB | None, RGB | None] = (None, None, None, None)
    radius: float = 0.0
    # A drop shadow as CSS draws it: (offset y, blur, spread, opacity of black), px.
    shadow: tuple[float, float, float, float] | None = None
    visible: bool = True  # False: same color as its parent and no border (a layout hint only)
    parent: Region | None = field(default=None, repr=False)
    children: list[Region] = field(default_factory=list, repr=False)
    background_image: Graphic | None = field(default=None, repr=False)
    pointer: Shape | None = field(default=None, repr=False)  # a speech bubble's tail, outside the box

    @property
    def has_border(self) -> bool:
        return any(self.border_width)


@dataclass
class Rule:
    """A thin horizontal or vertical line (divider)."""

    box: Box
    color: RGB
    vertical: bool = False


@dataclass
class Graphic:
    """A region that is neither text nor a flat box, lifted from the source as an image."""

    box: Box
    data_uri: str
    behind_text: bool = False  # text was painted out of it; it is drawn as a background
    icon: Icon | None = None  # an icon of the sets we ship draws it: emitted as that icon
    color: RGB | None = None  # the icon's one color (None: several, the crop is kept)
    trace: str | None = None  # an unknown one-color mark's outline: an SVG path in the box's pixels


@dataclass
class Shape:
    """A flat or gradient polygon that is not a rectangle (a mountain, a wave, a slanted band).

    Drawn as inline SVG behind the content of the box that holds it: vector, editable, not raster.
    """

    points: list[tuple[float, float]]  # page px, clockwise or not
    fill: RGB
    # A linear gradient along the line (x1, y1) -> (x2, y2) in page px, from one color to another.
    gradient: tuple[float, float, float, float, RGB, RGB] | None = None

    @property
    def box(self) -> Box:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


@dataclass
class Control:
    """A form control drawn in the screenshot: a checkbox, a radio button, a switch, a slider."""

    kind: str  # checkbox | radio | switch | dots | range
    box: Box
    checked: bool
    fill: RGB  # the box's own color (a switch's track)
    mark: RGB  # the tick, the dot or the knob (the fill's color when there is none)
    border: RGB | None = None
    radius: float = 0.0
    knob: float = 0.0  # a switch's knob diameter in px (a range's thumb)
    value: float = 0.0  # a range's value, 0-100 (where its thumb stands)
    label: TextLine | None = field(default=None, repr=False, compare=False)


@dataclass
class Analysis:
    """Everything found in one screenshot."""

    width: int
    height: int
    root: Region
    regions: list[Region]
    blocks: list[TextBlock]
    rules: list[Rule]
    graphics: list[Graphic]
    shapes: list[Shape] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
