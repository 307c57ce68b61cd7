"""Refinement: compare where the browser put our text with where the screenshot has it, and correct.

The DOM's text boxes (one per laid-out line) are matched to the analysis's lines by their text.
Each matched line yields its offset from where the source's ink says it belongs (glyph origin and
baseline) and how much wider or narrower it came out. Every node of the layout tree is then moved
by the median offset of the text it holds (so a card moves with its text, and a line moves only by
what its card did not), and letter spacing absorbs width errors. Corrections accumulate over rounds.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace

from ...models import Box, RenderResult, TextBox
from .layout import Node, walk
from .model import Analysis, TextLine

_SPACE = re.compile(r"\s+")


@dataclass
class Corrections:
    """Per text line (by index in reading order): shift in px and extra letter spacing."""

    shift: dict[int, tuple[float, float]] = field(default_factory=dict)
    spacing: dict[int, float] = field(default_factory=dict)

    def copy(self) -> Corrections:
        return Corrections(dict(self.shift), dict(self.spacing))

    @property
    def empty(self) -> bool:
        return not self.spacing and all(dx == 0 and dy == 0 for dx, dy in self.shift.values())


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


def measure(analysis: Analysis, render: RenderResult, previous: Corrections) -> Corrections:
    """New cumulative corrections from how the page built with ``previous`` rendered."""
    lines = all_lines(analysis)
    # Form controls draw their text themselves (placeholder boxes are the control's): leave them be.
    skip = {id(ln) for b in analysis.blocks if b.role in ("input-text", "textarea-text") for ln in b.lines}
    matched = match_lines(lines, render.text_boxes)
    result = previous.copy()
    for index, dom in matched.items():
        line = lines[index]
        if id(line) in skip:
            continue
        x, y = expected_origin(line)
        sx, sy = previous.shift.get(index, (0.0, 0.0))
        dx, dy = dom.box.x - x, dom.box.y - y
        # Sub-pixel differences are rounding, not layout errors: leave them.
        dx = dx if abs(dx) >= 1.5 else 0.0
        dy = dy if abs(dy) >= 1.5 else 0.0
        # The render already includes the previous shift; the new total removes what is left.
        # Lines that landed right are recorded too: they hold their block and container in place.
        result.shift[index] = (sx - dx, sy - dy)
        if not line.runs and len(line.text) >= 4:
            fit = line.fit
            m = fit.measure
            bearings = (m.advance - m.ink_width) * fit.size
            target = line.ink.width + bearings
            error = target - dom.box.width
            if abs(error) > max(2.0, 0.02 * target):
                extra = previous.spacing.get(index, 0.0) + error / max(len(line.text), 1)
                result.spacing[index] = max(-0.1 * fit.size, min(0.15 * fit.size, extra))
    return result


def apply(analysis: Analysis, tree: Node, corrections: Corrections) -> None:
    """Move every node by the median shift of the text it holds; add the letter spacing."""
    if corrections.empty:
        return
    index_of = {id(line): i for i, line in enumerate(all_lines(analysis))}
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
