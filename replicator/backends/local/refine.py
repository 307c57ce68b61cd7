"""Refinement: compare where the browser put our text with where the screenshot has it, and correct.

The DOM's text boxes (one per laid-out line) are matched to the analysis's lines by their text.
Each matched line yields its offset from where the source's ink says it belongs (glyph origin and
baseline) and how much wider or narrower it came out. Every node of the layout tree is then moved
by the median offset of the text it holds (so a card moves with its text, and a line moves only by
what its card did not), and letter spacing absorbs width errors. Corrections accumulate over rounds.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import statistics
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from ...models import Box, RenderResult, TextBox
from .layout import Node, walk
from .model import Analysis, TextLine
from .regions import edge_pixels, mode_color

_SPACE = re.compile(r"\s+")


@dataclass
class Corrections:
    """Per text line (by index in reading order): shift in px and extra letter spacing."""

    shift: dict[int, tuple[float, float]] = field(default_factory=dict)
    spacing: dict[int, float] = field(default_factory=dict)
    pitch: dict[int, float] = field(default_factory=dict)  # per block (by index): line height change

    def copy(self) -> Corrections:
        return Corrections(dict(self.shift), dict(self.spacing), dict(self.pitch))

    @property
    def empty(self) -> bool:
        return (
            not self.spacing and not self.pitch and all(dx == 0 and dy == 0 for dx, dy in self.shift.values())
        )


def all_lines(analysis: Analysis) -> list[TextLine]:
    return [line for block in analysis.blocks for line in block.lines]


def _key(text: str) -> str:
    return _SPACE.sub("", text).lower()


def expected_origin(line: TextLine) -> tuple[float, float]:
    """Where the browser's text box for ``line`` should start: glyph origin x, content-area top."""
    fit = line.fit
    m = fit.measure
    baseline = line.ink.y - m.ink_top * fit.size
    ascent = round(m.ascent * fit.size)
    return line.ink.x - m.ink_left * fit.size, baseline - ascent


def match_lines(lines: list[TextLine], boxes: tuple[TextBox, ...]) -> dict[int, TextBox]:
    """Line index -> the DOM text box that renders it (same text, nearest to where it belongs)."""
    pool: dict[str, list[TextBox]] = {}
    for box in boxes:
        pool.setdefault(_key(box.text), []).append(box)
    found: dict[int, TextBox] = {}
    for index, line in enumerate(lines):
        candidates = pool.get(_key(line.text))
        if not candidates:
            continue
        x, y = expected_origin(line)
        best = min(candidates, key=lambda b: (abs(b.box.y - y) + abs(b.box.x - x), b.box.y, b.box.x))
        if abs(best.box.y - y) > 400:
            continue
        candidates.remove(best)
        found[index] = best
    return found


def _decode(png: bytes) -> np.ndarray | None:
    try:
        with Image.open(io.BytesIO(png)) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError):
        return None


def _ink(rgb: np.ndarray, box: Box) -> Box | None:
    """The ink of the text the browser drew in ``box`` (its DOM text box), with sub-pixel edges
    measured as the analysis measures the source's (an antialiased edge counts by its coverage)."""
    height, width = rgb.shape[:2]
    x0, x1 = max(math.floor(box.x) - 3, 0), min(math.ceil(box.right) + 3, width)
    y0, y1 = max(math.floor(box.y), 0), min(math.ceil(box.bottom), height)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    crop = rgb[y0:y1, x0:x1].astype(np.int16)
    background = mode_color(edge_pixels(crop))
    distance = np.abs(crop - background).max(axis=2).astype(np.float32)
    peak = float(np.percentile(distance, 99.5))
    if peak < 30:
        return None
    mask = distance > max(0.2 * peak, 14.0)
    cols = np.nonzero(mask.any(axis=0))[0]
    rows = np.nonzero(mask.any(axis=1))[0]
    if len(cols) == 0:
        return None
    alpha = np.clip(distance / peak, 0.0, 1.0)
    c0, c1, r0, r1 = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    left = c0 + 1.0 - float(alpha[r0:r1, c0].max())
    right = c1 - 1.0 + float(alpha[r0:r1, c1 - 1].max())
    top = r0 + 1.0 - float(alpha[r0, c0:c1].max())
    bottom = r1 - 1.0 + float(alpha[r1 - 1, c0:c1].max())
    return Box(x0 + left, y0 + top, right - left, bottom - top)


def measure(analysis: Analysis, render: RenderResult, previous: Corrections) -> Corrections:
    """New cumulative corrections from how the page built with ``previous`` rendered."""
    lines = all_lines(analysis)
    # Form controls draw their text themselves (placeholder boxes are the control's): leave them be.
    skip = {
        id(ln)
        for b in analysis.blocks
        if b.role in ("input-text", "select-text", "textarea-text")
        for ln in b.lines
    }
    matched = match_lines(lines, render.text_boxes)
    result = previous.copy()
    # A paragraph whose lines drift apart line by line has the wrong line height, not the wrong
    # place: moving it as a whole by the lines' median would misplace every line.
    drift: dict[int, float] = {}  # line index -> vertical error explained by the block's pitch
    start = 0
    for block_index, block in enumerate(analysis.blocks):
        indices = list(range(start, start + len(block.lines)))
        start += len(block.lines)
        pairs = [
            (matched[b].box.y - matched[a].box.y)
            for a, b in itertools.pairwise(indices)
            if a in matched and b in matched
        ]
        if len(block.lines) < 2 or not pairs or id(block.lines[0]) in skip:
            continue
        error = statistics.median(pairs) - block.line_height
        if abs(error) < 0.75 or abs(error) > 0.5 * block.first.size:
            continue  # rounding, or lines matched to the wrong boxes
        result.pitch[block_index] = previous.pitch.get(block_index, 0.0) - error
        for k, index in enumerate(indices):
            drift[index] = error * k
    pixels = _decode(render.png)
    for index, dom in matched.items():
        line = lines[index]
        if id(line) in skip:
            continue
        # Compare ink with ink: the render's glyphs (found inside the DOM's box for the line) with
        # the source's. The DOM box itself sits where the font's metrics put it, and Chromium's
        # metrics differ from FreeType's by a pixel or two: moving text by that would misplace it.
        ink = _ink(pixels, dom.box) if pixels is not None else None
        if ink is None or abs(ink.width - line.ink.width) > max(3.0, 0.08 * line.ink.width):
            continue  # no trustworthy measurement (another line's ink in the box, a wrong font)
        sx, sy = previous.shift.get(index, (0.0, 0.0))
        dx = ink.x - line.ink.x
        top, bottom = ink.y - line.ink.y, ink.bottom - line.ink.bottom
        dy = (top + bottom) / 2 if abs(top - bottom) <= 1.5 else 0.0
        dy -= drift.get(index, 0.0)
        # Sub-pixel differences are rounding, not layout errors: leave them.
        dx = dx if abs(dx) >= 1.5 else 0.0
        dy = dy if abs(dy) >= 1.5 else 0.0
        # The render already includes the previous shift; the new total removes what is left.
        # Lines that landed right are recorded too: they hold their block and container in place.
        result.shift[index] = (sx - dx, sy - dy)
        if not line.runs and len(line.text) >= 4:
            fit = line.fit
            target = line.ink.width
            error = target - ink.width
            if abs(error) > max(2.0, 0.02 * target):
                extra = previous.spacing.get(index, 0.0) + error / max(len(line.text), 1)
                # More than a few percent of the size per letter is no spacing error but a wrong
                # font (face or size); spacing would only smear the text: leave it.
                if abs(extra) <= 0.06 * fit.size:
                    result.spacing[index] = extra
    return result


def adjust_text(analysis: Analysis, corrections: Corrections) -> None:
    """Line heights and letter spacing: applied before layout, so boxes are measured with them."""
    index_of = {id(line): i for i, line in enumerate(all_lines(analysis))}
    for block_index, change in corrections.pitch.items():
        if 0 <= block_index < len(analysis.blocks):
            block = analysis.blocks[block_index]
            block.line_height = max(block.line_height + change, 1.0)
    for block in analysis.blocks:
        spacings = [
            corrections.spacing[index_of[id(ln)]]
            for ln in block.lines
            if index_of[id(ln)] in corrections.spacing
        ]
        if spacings:
            extra = statistics.median(spacings)
            first = block.lines[0]
            first.fit = replace(first.fit, letter_spacing=round(first.fit.letter_spacing + extra, 2))


def apply(analysis: Analysis, tree: Node, corrections: Corrections) -> None:
    """Move every node by the median shift of the text it holds."""
    if corrections.empty:
        return
    index_of = {id(line): i for i, line in enumerate(all_lines(analysis))}
    shifts: dict[int, tuple[float, float]] = {}

    def subtree_shift(node: Node) -> tuple[float, float] | None:
        values: list[tuple[float, float]] = []
        for child in walk(node):
            if child.kind == "text" and child.block is not None:
                for line in child.block.lines:
                    value = corrections.shift.get(index_of[id(line)])
                    if value is not None:
                        values.append(value)
        if not values:
            return None
        return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)

    def visit(node: Node, inherited: tuple[float, float]) -> None:
        own = subtree_shift(node)
        value = own if own is not None else inherited
        if node is tree:
            value = (0.0, 0.0)
        shifts[id(node)] = value
        for child in node.children:
            visit(child, value)

    visit(tree, (0.0, 0.0))
    for node in walk(tree):
        dx, dy = shifts.get(id(node), (0.0, 0.0))
        # Containers move only vertically: their horizontal place comes from the page's columns,
        # and text that is narrower or wider than the source would drag them sideways.
        if node.kind != "text":
            dx = 0.0
        if dx or dy:
            node.box = Box(node.box.x + dx, node.box.y + dy, node.box.width, node.box.height)
            if node.cut_box is not None:
                c = node.cut_box
                node.cut_box = Box(c.x + dx, c.y + dy, c.width, c.height)
