"""The differences a person would point at, in words, each with the points it costs.

This list is what the overall score is made of (see overall.py): every difference a reviewer would
call a defect — a missing icon, a wrong letter, a line in another font, a lost border, a button in
another color — costs points by its kind and its salience (how large and prominent it is on the
page), whatever share of the page it covers. A missing 16 px icon is not free because it is small,
and a typo in a heading costs more than one in a footnote. What no person sees (anti-aliasing, a
pixel of shift, OCR reading 'O' for '0') is below every threshold here and costs nothing.

Blocks that moved by the same offset, or changed to the same color, are reported once ("'Pricing'
and 5 more blocks are 40 px lower than in the source"): a whole section pushed down is one
mistake, and costs as one (the most salient of its lines, plus a little for each other line).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..models import RGB, Box, Discrepancy
from .blocks import Matching, Pair, TextBlock
from .color import ciede2000, to_hex
from .depth import BoxDepth, BoxFill
from .edges import EdgeResult, unmatched_regions
from .graphics import GraphicMatch, GraphicsResult
from .reference import SCALE
from .typography import LineTypography
from .visual import CELL, VisualResult

MAX_ITEMS = 10

# --- what each kind of defect costs, in points (calibrated in bench/sensitivity.py) -------------
# Text: a missing (or extra) line of body text; one wrong character (up to a whole wrong line).
MISSING_LINE = 3.0
EXTRA_LINE = 2.0
PER_EDIT = 6.0  # a heading (salience about 0.9) with one wrong letter fails a 95 gate
MAX_PER_LINE = 9.0
# Typography: a line drawn in another type (similarity 0), and the similarity from which nobody sees.
RETYPED_LINE = 5.5
_TYPE_VISIBLE_BELOW = 0.9
# Color: a line of text in a clearly other color (CIEDE2000 _HUE_NONE and more); from _HUE_VISIBLE on.
RECOLORED_LINE = 2.5
_HUE_VISIBLE = 8.0
_HUE_FULL = 30.0
# Position: a line out of place by _MOVE_FULL px beyond what OCR's boxes explain, counting relative
# to where the page's text sits overall (a page that is all 1 px lower has moved nothing).
MOVED_LINE = 1.2
_MOVE_VISIBLE = 3.0
_MOVE_FULL = 12.0
MOVED_PAGE = 6.0  # all the page's text moved by _PAGE_MOVE_FULL px or more
_PAGE_MOVE_FULL = 15.0
# Graphics: a missing graphic costs its salience times this, at most _GRAPHIC_MAX (a chart).
PER_SALIENCE = 1.0
GRAPHIC_MAX = 16.0
_GRAPHIC_VISIBLE_BELOW = 0.85
# Edges: unmatched border, divider and outline pixels, per cluster.
PER_EDGE_PIXEL = 1.0 / 120.0
EDGE_REGION_MAX = 8.0
_EDGE_MIN_PIXELS = 24
# Depth: a box whose shadow differs (by _SHADOW_FULL gray levels or more), whose corners all differ.
SHADOW = 3.0
_SHADOW_FULL = 6.0
CORNERS = 2.0
# Regions of the page that look different where nothing above explains it (a fill, a button's
# color): points per 32 px cell that differs, at most _REGION_MAX per region.
PER_CELL = 1.2
_SAME_COLOR_REGION = 0.15  # of that for a region whose typical color did not change
# A box (a button, a badge, a card) filled with another color: full cost from _FILL_FULL CIEDE2000.
FILL = 6.5
_FILL_VISIBLE = 8.0
_FILL_FULL = 25.0
REGION_MAX = 20.0
_REGION_DIFF = 0.25
_THIN_REGION = 0.3
_MOVES_TRIED = 4  # text moves tried to explain a region that differs
_MOVED_SAME = 6.0  # mean gray-level difference (0-255) under which moved content is the same
# Page: background and size.
BACKGROUND = 20.0
PAGE_SIZE = 40.0
# Later lines of a group (the same move, the same color) cost this share of their own points.
_GROUP_REST = 0.35


@dataclass(frozen=True)
class Salience:
    """How prominent text is on this page: a line's height against the page's typical line."""

    typical_height: float

    @classmethod
    def of(cls, lines: Sequence[TextBlock]) -> Salience:
        heights = [b.box.height for b in lines if b.box.height > 0]
        return cls(float(np.median(heights)) if heights else 16.0)

    def text(self, block: TextBlock) -> float:
        """1 for a typical line; a heading up to 2.5, a footnote down to 0.6; short lines count less.
        A tall block of many words is a paragraph joined from its lines, not large type."""
        size = float(np.clip(block.box.height / max(self.typical_height, 1.0), 0.6, 2.5))
        if size > 1.8 and block.length > 30:
            size = 1.0
        return size * float(np.sqrt(min(1.0, max(block.length, 1) / 12.0)) * 0.6 + 0.4)


def quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "'"


def _at(box: Box) -> str:
    return f"at x={round(box.x)}, y={round(box.y)}"


def _direction(dx: float, dy: float) -> str:
    parts = []
    if abs(dy) >= 2:
        parts.append(f"{round(abs(dy))} px {'lower' if dy > 0 else 'higher'}")
    if abs(dx) >= 2:
        parts.append(f"{round(abs(dx))} px {'to the right' if dx > 0 else 'to the left'}")
    return " and ".join(parts) or "slightly off"


def _subject(first: TextBlock, count: int) -> tuple[str, str]:
    """("'Pricing' is" / "'Pricing' and 3 more blocks are") for a group of ``count`` blocks."""
    if count == 1:
        return quote(first.text), "is"
    return f"{quote(first.text)} and {count - 1} more block{'s' if count > 2 else ''}", "are"


def _grouped(points: Sequence[float]) -> float:
    """A group's cost: its costliest member in full, the others in part."""
    ordered = sorted(points, reverse=True)
    return ordered[0] + _GROUP_REST * sum(ordered[1:]) if ordered else 0.0


def text_discrepancies(matching: Matching, salience: Salience, page_background: RGB) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    for block in matching.missing:
        where = _at(block.box)
        if block.color and block.background and ciede2000(block.background, page_background) > 10:
            where = f"({to_hex(block.color)} on a {to_hex(block.background)} box) {where}"
        found.append(
            Discrepancy(
                "missing_text",
                f"{quote(block.text)} text missing {where} in the source",
                MISSING_LINE * salience.text(block),
                block.box,
            )
        )
    for block in matching.extra:
        found.append(
            Discrepancy(
                "extra_text",
                f"extra text {quote(block.text)} {_at(block.box)} is not in the source",
                EXTRA_LINE * salience.text(block),
                block.box,
            )
        )
    for pair in matching.pairs:
        if pair.text >= 1.0:
            continue
        source = pair.reading.source if pair.reading else pair.ref.text
        candidate = pair.reading.candidate if pair.reading else pair.cand.text
        edits = pair.reading.edits if pair.reading else round((1.0 - pair.text) * pair.ref.length)
        size = salience.text(pair.ref)
        found.append(
            Discrepancy(
                "wrong_text",
                f"{quote(candidate)} where the source has {quote(source)}",
                min(MAX_PER_LINE, PER_EDIT * max(edits, 1)) * size,
                pair.ref.box,
            )
        )
    found += _moved(matching.pairs, salience)
    found += _recolored(matching.pairs, salience)
    return found


def _regrouped(a: Box, b: Box) -> bool:
    return max(a.height, b.height) > 1.5 * min(a.height, b.height) or max(a.width, b.width) > 1.5 * min(
        a.width, b.width
    )


def _moved(pairs: Sequence[Pair], salience: Salience) -> list[Discrepancy]:
    """Lines out of place relative to where the page's text sits overall, grouped by their move."""
    if not pairs:
        return []
    base_dx = float(np.median([p.dx for p in pairs]))
    base_dy = float(np.median([p.dy for p in pairs]))
    found = []
    offset = float(np.hypot(base_dx, base_dy))
    if len(pairs) >= 3 and offset > _MOVE_VISIBLE:
        # The page's text as a whole sits elsewhere (content 24 px to the right): each line is in
        # place relative to the rest, the page is not.
        found.append(
            Discrepancy(
                "moved_block",
                f"the page's content is {_direction(base_dx, base_dy)} than in the source",
                MOVED_PAGE * min(1.0, (offset - _MOVE_VISIBLE) / (_PAGE_MOVE_FULL - _MOVE_VISIBLE)),
                None,
            )
        )
    groups: dict[tuple[int, int], list[tuple[Pair, float]]] = defaultdict(list)
    for pair in pairs:
        if _regrouped(pair.ref.box, pair.cand.box):
            continue  # the two sides took in different lines: their boxes say nothing of a move
        dx, dy = pair.dx - base_dx, pair.dy - base_dy
        slack = _MOVE_VISIBLE + 0.25 * min(pair.ref.box.height, pair.cand.box.height)
        beyond = float(np.hypot(dx, dy)) - slack
        if beyond <= 0:
            continue
        points = MOVED_LINE * salience.text(pair.ref) * min(1.0, beyond / (_MOVE_FULL - _MOVE_VISIBLE))
        groups[(round(pair.dx / 4), round(pair.dy / 4))].append((pair, points))
    for group in groups.values():
        group.sort(key=lambda item: (item[0].ref.box.y, item[0].ref.box.x))
        first = group[0][0]
        dx = float(np.median([p.dx for p, _ in group]))
        dy = float(np.median([p.dy for p, _ in group]))
        subject, verb = _subject(first.ref, len(group))
        box = first.ref.box
        for p, _ in group[1:]:
            box = box.union(p.ref.box)
        found.append(
            Discrepancy(
                "moved_block",
                f"{subject} {verb} {_direction(dx, dy)} than in the source",
                _grouped([points for _, points in group]),
                box,
            )
        )
    return found


def _recolored(pairs: Sequence[Pair], salience: Salience) -> list[Discrepancy]:
    groups: dict[tuple[str, str], list[tuple[Pair, float]]] = defaultdict(list)
    for pair in pairs:
        if pair.color is None or pair.delta_e is None or pair.delta_e < _HUE_VISIBLE:
            continue
        assert pair.ref.color is not None and pair.cand.color is not None
        shown = pair.cand.css_color or pair.cand.color
        strength = min(1.0, (pair.delta_e - _HUE_VISIBLE) / (_HUE_FULL - _HUE_VISIBLE))
        points = RECOLORED_LINE * salience.text(pair.ref) * strength
        groups[(to_hex(_source_color(pair)), to_hex(shown))].append((pair, points))
    found = []
    for (ref_hex, cand_hex), group in groups.items():
        group.sort(key=lambda item: (item[0].ref.box.y, item[0].ref.box.x))
        subject, _verb = _subject(group[0][0].ref, len(group))
        box = group[0][0].ref.box
        for p, _ in group[1:]:
            box = box.union(p.ref.box)
        found.append(
            Discrepancy(
                "text_color",
                f"{subject}: text color {cand_hex} vs {ref_hex} in the source",
                _grouped([points for _, points in group])
                if len(group) < 4
                else sum(p for _, p in group) * 0.6,
                box,
            )
        )
    return found


def _source_color(pair: Pair) -> RGB:
    """The source's text color as CSS would write it.

    Ink measured on anti-aliased pixels comes out a little lighter (or darker) than the CSS color;
    the candidate side, where both are known, shows by how much, and the source's measured color
    is corrected by the same amount (same text, same size, so nearly the same bias).
    """
    assert pair.ref.color is not None
    if pair.cand.css_color is None or pair.cand.color is None:
        return pair.ref.color
    corrected = np.array(pair.ref.color) + np.array(pair.cand.css_color) - np.array(pair.cand.color)
    r, g, b = (int(v) for v in np.clip(corrected, 0, 255))
    return (r, g, b)


def page_discrepancies(
    *,
    ref_background: RGB,
    cand_background: RGB,
    ref_size: tuple[int, int],
    cand_size: tuple[int, int],
    size_factor: float,
    visual: VisualResult,
    explained: Sequence[Box],
    images: tuple[np.ndarray, np.ndarray] | None = None,
    moves: Sequence[tuple[float, float]] = (),
    paired_text: Sequence[Box] = (),
) -> list[Discrepancy]:
    """Background, page size, and regions that differ without a text difference to explain them.

    ``images``: both screenshots shrunk by SCALE, and ``moves``: how matched text moved; a region
    that is the source's content moved the way nearby text moved is not a difference of its own
    (a deleted paragraph pushes the cards below it up: the move is reported, not every card)."""
    found = []
    (rw, rh), (cw, ch) = ref_size, cand_size
    delta = ciede2000(ref_background, cand_background)
    if delta > _HUE_VISIBLE:
        found.append(
            Discrepancy(
                "background",
                f"page background {to_hex(cand_background)} vs {to_hex(ref_background)} in the source",
                BACKGROUND * min(delta / 25.0, 1.0),
                Box(0, 0, rw, rh),
            )
        )
    if size_factor < 0.995:
        parts = []
        if abs(ch - rh) > 0:
            parts.append(f"{abs(ch - rh)} px {'taller' if ch > rh else 'shorter'} ({ch} vs {rh} px)")
        if abs(cw - rw) > 0:
            parts.append(f"{abs(cw - rw)} px {'wider' if cw > rw else 'narrower'} ({cw} vs {rw} px)")
        found.append(
            Discrepancy(
                "page_size",
                "the page is " + " and ".join(parts) + " than the source",
                PAGE_SIZE * (1.0 - size_factor),
                Box(0, min(rh, ch), rw, abs(ch - rh)) if ch != rh else None,
            )
        )
    found += _regions(visual, explained, images, _distinct_moves(moves), paired_text)
    return found


def _distinct_moves(moves: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """The text moves of at least a few pixels, on the shrunken grid, most common first."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for dx, dy in moves:
        key = (round(dx / SCALE), round(dy / SCALE))
        if key != (0, 0):
            counts[key] += 1
    return [key for key, _ in sorted(counts.items(), key=lambda item: -item[1])][:_MOVES_TRIED]


def _moved_there(
    region: tuple[slice, slice], images: tuple[np.ndarray, np.ndarray], moves: Sequence[tuple[int, int]]
) -> bool:
    """Whether the candidate shows the source's content of ``region`` moved by one of ``moves``."""
    ref, cand = images
    rows, cols = region
    cell = CELL
    h, w = min(ref.shape[0], cand.shape[0]), min(ref.shape[1], cand.shape[1])
    tried = {(dx, dy + step) for dx, dy in moves for step in (-1, 0, 1)}
    for dx, dy in sorted(tried):
        # The region's part that is inside both images once moved.
        y0, y1 = max(rows.start * cell, -dy, 0), min(rows.stop * cell, h - dy, h)
        x0, x1 = max(cols.start * cell, -dx, 0), min(cols.stop * cell, w - dx, w)
        if y1 - y0 < 2 or x1 - x0 < 2:
            continue
        before = ref[y0:y1, x0:x1].astype(np.float32)
        after = cand[y0 + dy : y1 + dy, x0 + dx : x1 + dx].astype(np.float32)
        if float(np.abs(before - after).mean()) < _MOVED_SAME:
            return True
    return False


def _regions(
    visual: VisualResult,
    explained: Sequence[Box],
    images: tuple[np.ndarray, np.ndarray] | None = None,
    moves: Sequence[tuple[int, int]] = (),
    paired_text: Sequence[Box] = (),
) -> list[Discrepancy]:
    hot = visual.cell_diff > _REGION_DIFF
    cell_px = CELL * SCALE
    for box in explained:  # a missing or moved text block already says what is wrong there
        r0, c0 = int(box.y // cell_px), int(box.x // cell_px)
        r1, c1 = int(np.ceil(box.bottom / cell_px)), int(np.ceil(box.right / cell_px))
        hot[max(r0, 0) : max(r1, 0), max(c0, 0) : max(c1, 0)] = False
    labels, _count = ndimage.label(hot)
    found = []
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        cells = labels[region] == index
        if images is not None and moves and _moved_there(region, images, moves):
            continue
        rows, cols = region
        box = Box(
            cols.start * cell_px,
            rows.start * cell_px,
            (cols.stop - cols.start) * cell_px,
            (rows.stop - rows.start) * cell_px,
        )
        ref_color = np.median(visual.ref_cells[region][cells], axis=0)
        cand_color = np.median(visual.cand_cells[region][cells], axis=0)
        ref_rgb: RGB = (int(ref_color[0]), int(ref_color[1]), int(ref_color[2]))
        cand_rgb: RGB = (int(cand_color[0]), int(cand_color[1]), int(cand_color[2]))
        strength = float(visual.cell_diff[region][cells].sum())  # cells, weighted by how different
        # Cells around text both sides have (paired) whose typical color is the same on both sides
        # differ by the details of that text (set a pixel lower in a colored bubble): a changed
        # fill, what this term is for, changes the color. (Content gone leaves no pair there.)
        if any(t.intersection(box) > 0 for t in paired_text):
            strength *= float(np.clip((ciede2000(ref_rgb, cand_rgb) - 2.0) / 6.0, _SAME_COLOR_REGION, 1.0))
        if rows.stop - rows.start < 2 or cols.stop - cols.start < 2:
            # One row (or column) of cells: most often a thin line a pixel's shift moved across a
            # cell boundary; a fill that changed (a button's color) covers cells both ways.
            strength *= _THIN_REGION
        found.append(
            Discrepancy(
                "region",
                f"region {_at(box)} ({round(box.width)}x{round(box.height)} px) looks different: "
                f"mostly {to_hex(cand_rgb)} vs {to_hex(ref_rgb)} in the source",
                min(REGION_MAX, PER_CELL * strength),
                box,
            )
        )
    return found


def typography_discrepancies(lines: Sequence[LineTypography], salience: Salience) -> list[Discrepancy]:
    """Lines drawn in other type than the source's, grouped by what seems to differ."""
    groups: dict[str, list[tuple[LineTypography, float]]] = defaultdict(list)
    for line in lines:
        # A glyph or two (a badge's digit) is too little ink to tell a typeface by.
        if line.similarity < _TYPE_VISIBLE_BELOW and line.pair.ref.length >= 3:
            strength = (_TYPE_VISIBLE_BELOW - line.similarity) / _TYPE_VISIBLE_BELOW
            points = RETYPED_LINE * salience.text(line.pair.ref) * strength
            groups[_type_difference(line)].append((line, points))
    found = []
    for difference, group in groups.items():
        group.sort(key=lambda item: (item[0].pair.ref.box.y, item[0].pair.ref.box.x))
        first = group[0][0].pair.ref
        subject = (
            quote(first.text) if len(group) == 1 else f"{quote(first.text)} and {len(group) - 1} more line"
        )
        if len(group) > 2:
            subject += "s"
        box = first.box
        for line, _ in group[1:]:
            box = box.union(line.pair.ref.box)
        found.append(Discrepancy("typography", f"{subject}: {difference}", sum(p for _, p in group), box))
    return found


def _type_difference(line: LineTypography) -> str:
    """What a reader would say differs, from the ink measurements (a family change when none fits)."""
    if line.slanted:
        if line.slant_difference > 0:
            return "text is set in italics, upright in the source"
        return "text is upright, italic in the source"
    if line.size_ratio >= 1.12:
        return f"text is drawn about {round((line.size_ratio - 1) * 100)}% larger than in the source"
    if line.size_ratio <= 0.89:
        return f"text is drawn about {round((1 - line.size_ratio) * 100)}% smaller than in the source"
    if line.weight_ratio >= 1.15:
        return "text looks bolder than in the source"
    if line.weight_ratio <= 0.87:
        return "text looks lighter than in the source"
    if line.width_ratio >= 1.06:
        return "text runs wider than in the source (letter spacing or a wider typeface)"
    if line.width_ratio <= 0.94:
        return "text runs narrower than in the source (letter spacing or a narrower typeface)"
    return "glyphs are shaped differently than in the source (another typeface, style or case)"


def edge_discrepancies(edges: EdgeResult) -> list[Discrepancy]:
    """Where borders, dividers or outlines of the source are missing, or the page has extra ones."""
    found = []
    for pixels_map, what in (
        (edges.missing, "borders, dividers or outlines of the source are missing"),
        (edges.extra, "the page draws borders, dividers or outlines the source does not have"),
    ):
        for box, pixels in unmatched_regions(pixels_map, min_pixels=_EDGE_MIN_PIXELS):
            found.append(
                Discrepancy(
                    "edges",
                    f"{what} in the region {_at(box)} ({round(box.width)}x{round(box.height)} px)",
                    min(EDGE_REGION_MAX, PER_EDGE_PIXEL * pixels),
                    box,
                )
            )
    return found


def fill_discrepancies(fills: Sequence[BoxFill]) -> list[Discrepancy]:
    """Boxes (buttons, badges, cards) filled with a visibly other color."""
    found = []
    for item in fills:
        b = item.box
        strength = min(1.0, (item.delta_e - _FILL_VISIBLE) / (_FILL_FULL - _FILL_VISIBLE))
        found.append(
            Discrepancy(
                "region",
                f"the box {_at(b)} ({round(b.width)}x{round(b.height)} px) is filled with "
                f"{to_hex(item.candidate)} where the source has {to_hex(item.source)}",
                FILL * item.salience * max(strength, 0.0),
                b,
            )
        )
    return found


def depth_discrepancies(boxes: Sequence[BoxDepth]) -> list[Discrepancy]:
    """Boxes (cards, buttons) whose shadow or rounded corners the render draws differently."""
    found = []
    for item in boxes:
        what = []
        points = 0.0
        if item.shadow >= 2.0:
            what.append("its shadow")
            points += SHADOW * item.salience * min(1.0, item.shadow / _SHADOW_FULL)
        if item.corners >= 2:
            what.append("its corners (rounding)")
            points += CORNERS * item.salience * item.corners / 4
        b = item.box
        found.append(
            Discrepancy(
                "edges",
                f"the box {_at(b)} ({round(b.width)}x{round(b.height)} px): {' and '.join(what)} "
                f"{'differs' if len(what) == 1 else 'differ'} from the source",
                points,
                b,
            )
        )
    return found


def graphic_points(match: GraphicMatch) -> float:
    """What a graphic reproduced this badly costs: nothing when alike, its salience when missing."""
    if match.similarity >= _GRAPHIC_VISIBLE_BELOW:
        return 0.0
    loss = (_GRAPHIC_VISIBLE_BELOW - match.similarity) / _GRAPHIC_VISIBLE_BELOW
    return min(GRAPHIC_MAX, PER_SALIENCE * match.graphic.salience) * loss


def graphics_discrepancies(graphics: GraphicsResult) -> list[Discrepancy]:
    """Icons, images, charts and illustrations of the source missing, wrong or recolored in the
    render, and graphics the render adds."""
    found = []
    for match in graphics.source:
        points = graphic_points(match)
        if points <= 0:
            continue
        g = match.graphic
        what = f"{g.label} {_at(g.box)} ({round(g.box.width)}x{round(g.box.height)})"
        if match.blank:
            state = "is missing"
        elif match.shape < 0.5:
            state = "differs (another shape is drawn there)"
        else:
            state = "has other colors"
        found.append(Discrepancy("graphics", f"{what} {state}", points, g.box))
    for match in graphics.extra:
        g = match.graphic
        found.append(
            Discrepancy(
                "graphics",
                f"extra {g.label} {_at(g.box)} ({round(g.box.width)}x{round(g.box.height)}) is not in the source",
                0.5 * graphic_points(match),
                g.box,
            )
        )
    return found


def rank(found: Sequence[Discrepancy]) -> tuple[Discrepancy, ...]:
    """The costliest first (ties by place on the page), at most MAX_ITEMS, weights rounded."""
    kept = [d for d in found if d.weight >= 0.005]
    kept.sort(key=lambda d: (-round(d.weight, 4), d.box.y if d.box else -1, d.box.x if d.box else -1, d.kind))
    return tuple(Discrepancy(d.kind, d.message, round(d.weight, 2), d.box) for d in kept[:MAX_ITEMS])
