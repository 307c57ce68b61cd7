"""The ranked list of differences, in words a person or a model can act on.

Each entry's ``weight`` is roughly the number of overall points it costs, so the list is ranked by
what fixing it would gain. Blocks that moved by the same offset, or changed to the same color, are
reported once ("'Pricing' and 5 more blocks are 40 px lower than in the source"): a whole section
pushed down is one mistake, not twenty.
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
from .edges import EdgeResult, unmatched_regions
from .reference import SCALE
from .typography import LineTypography
from .visual import CELL, VisualResult

MAX_ITEMS = 10
_REPORT_TEXT_BELOW = 0.85  # matched text less alike than this is reported as wrong text
_REPORT_DELTA_E = 5.0
_REPORT_MOVE_PX = 6.0
_REGION_DIFF = 0.3
_REPORT_TYPOGRAPHY_BELOW = 0.8  # lines whose glyphs are less alike than this are reported
_EDGE_REGIONS = 3  # most regions of missing (and of extra) edges reported


@dataclass(frozen=True)
class Costs:
    """What one unit of each kind of error costs in overall points (set by the scorer)."""

    block_per_area: float
    text_per_char: float
    position_per_area: float
    color_per_area: float
    visual_points: float  # weight of the visual term in overall points (e.g. 20)
    extra_area_scale: float = 1.0  # candidate areas are rescaled to the reference's box style
    typography_per_area: float = 0.0
    edges_points: float = 0.0  # weight of the edges term in overall points


def quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "'"


def _at(box: Box) -> str:
    return f"at x={round(box.x)}, y={round(box.y)}"


def _direction(dx: float, dy: float) -> str:
    parts = []
    if abs(dy) >= _REPORT_MOVE_PX / 2:
        parts.append(f"{round(abs(dy))} px {'lower' if dy > 0 else 'higher'}")
    if abs(dx) >= _REPORT_MOVE_PX / 2:
        parts.append(f"{round(abs(dx))} px {'to the right' if dx > 0 else 'to the left'}")
    return " and ".join(parts) or "slightly off"


def _subject(first: TextBlock, count: int) -> tuple[str, str]:
    """("'Pricing' is" / "'Pricing' and 3 more blocks are") for a group of ``count`` blocks."""
    if count == 1:
        return quote(first.text), "is"
    return f"{quote(first.text)} and {count - 1} more block{'s' if count > 2 else ''}", "are"


def text_discrepancies(matching: Matching, costs: Costs, page_background: RGB) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    for block in matching.missing:
        where = _at(block.box)
        if block.color and block.background and ciede2000(block.background, page_background) > 10:
            where = f"({to_hex(block.color)} on a {to_hex(block.background)} box) {where}"
        found.append(
            Discrepancy(
                "missing_text",
                f"{quote(block.text)} text missing {where} in the source",
                costs.block_per_area * block.box.area + costs.text_per_char * block.length,
                block.box,
            )
        )
    for block in matching.extra:
        found.append(
            Discrepancy(
                "extra_text",
                f"extra text {quote(block.text)} {_at(block.box)} is not in the source",
                costs.block_per_area * costs.extra_area_scale * block.box.area
                + costs.text_per_char * block.length,
                block.box,
            )
        )
    for pair in matching.pairs:
        if pair.text < _REPORT_TEXT_BELOW:
            found.append(
                Discrepancy(
                    "wrong_text",
                    f"text reads {quote(pair.cand.text)} where the source has {quote(pair.ref.text)}",
                    costs.text_per_char * (1.0 - pair.text) * (pair.ref.length + pair.cand.length),
                    pair.ref.box,
                )
            )
    found += _moved(matching.pairs, costs)
    found += _recolored(matching.pairs, costs)
    return found


def _moved(pairs: Sequence[Pair], costs: Costs) -> list[Discrepancy]:
    groups: dict[tuple[int, int], list[Pair]] = defaultdict(list)
    for pair in pairs:
        if pair.position < 1.0 and np.hypot(pair.dx, pair.dy) >= _REPORT_MOVE_PX:
            groups[(round(pair.dx / 4), round(pair.dy / 4))].append(pair)
    found = []
    for group in groups.values():
        group.sort(key=lambda p: (p.ref.box.y, p.ref.box.x))
        first = group[0]
        dx = float(np.median([p.dx for p in group]))
        dy = float(np.median([p.dy for p in group]))
        subject, verb = _subject(first.ref, len(group))
        box = first.ref.box
        for p in group[1:]:
            box = box.union(p.ref.box)
        found.append(
            Discrepancy(
                "moved_block",
                f"{subject} {verb} {_direction(dx, dy)} than in the source",
                sum(costs.position_per_area * p.ref.box.area * (1.0 - p.position) for p in group),
                box,
            )
        )
    return found


def _recolored(pairs: Sequence[Pair], costs: Costs) -> list[Discrepancy]:
    groups: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for pair in pairs:
        if pair.color is None or pair.delta_e is None or pair.delta_e < _REPORT_DELTA_E:
            continue
        assert pair.ref.color is not None and pair.cand.color is not None
        shown = pair.cand.css_color or pair.cand.color
        groups[(to_hex(_source_color(pair)), to_hex(shown))].append(pair)
    found = []
    for (ref_hex, cand_hex), group in groups.items():
        group.sort(key=lambda p: (p.ref.box.y, p.ref.box.x))
        subject, _verb = _subject(group[0].ref, len(group))
        box = group[0].ref.box
        for p in group[1:]:
            box = box.union(p.ref.box)
        found.append(
            Discrepancy(
                "text_color",
                f"{subject}: text color {cand_hex} vs {ref_hex} in the source",
                sum(costs.color_per_area * p.ref.box.area * (1.0 - (p.color or 0.0)) for p in group),
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
    costs: Costs,
) -> list[Discrepancy]:
    """Background, page size, and regions that differ without a text difference to explain them."""
    found = []
    (rw, rh), (cw, ch) = ref_size, cand_size
    delta = ciede2000(ref_background, cand_background)
    if delta > _REPORT_DELTA_E:
        found.append(
            Discrepancy(
                "background",
                f"page background {to_hex(cand_background)} vs {to_hex(ref_background)} in the source",
                costs.visual_points * 0.5 * min(delta / 25.0, 1.0),
                Box(0, 0, rw, rh),
            )
        )
    if size_factor < 1.0:
        parts = []
        if abs(ch - rh) > 0:
            parts.append(f"{abs(ch - rh)} px {'taller' if ch > rh else 'shorter'} ({ch} vs {rh} px)")
        if abs(cw - rw) > 0:
            parts.append(f"{abs(cw - rw)} px {'wider' if cw > rw else 'narrower'} ({cw} vs {rw} px)")
        found.append(
            Discrepancy(
                "page_size",
                "the page is " + " and ".join(parts) + " than the source",
                costs.visual_points * (1.0 - size_factor),
                Box(0, min(rh, ch), rw, abs(ch - rh)) if ch != rh else None,
            )
        )
    found += _regions(visual, explained, costs)
    return found


def _regions(visual: VisualResult, explained: Sequence[Box], costs: Costs) -> list[Discrepancy]:
    hot = visual.cell_diff > _REGION_DIFF
    cell_px = CELL * SCALE
    for box in explained:  # a missing or moved text block already says what is wrong there
        r0, c0 = int(box.y // cell_px), int(box.x // cell_px)
        r1, c1 = int(np.ceil(box.bottom / cell_px)), int(np.ceil(box.right / cell_px))
        hot[max(r0, 0) : max(r1, 0), max(c0, 0) : max(c1, 0)] = False
    labels, count = ndimage.label(hot)
    found = []
    total = hot.size
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        cells = labels[region] == index
        if int(cells.sum()) < 3:
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
        found.append(
            Discrepancy(
                "region",
                f"region {_at(box)} ({round(box.width)}x{round(box.height)} px) looks different: "
                f"mostly {to_hex(cand_rgb)} vs {to_hex(ref_rgb)} in the source",
                costs.visual_points * float(visual.cell_diff[region][cells].sum()) / total,
                box,
            )
        )
    del count
    return found


def typography_discrepancies(lines: Sequence[LineTypography], costs: Costs) -> list[Discrepancy]:
    """Lines drawn in other type than the source's, grouped by what seems to differ."""
    groups: dict[str, list[LineTypography]] = defaultdict(list)
    for line in lines:
        if line.similarity < _REPORT_TYPOGRAPHY_BELOW:
            groups[_type_difference(line)].append(line)
    found = []
    for difference, group in groups.items():
        group.sort(key=lambda line: (line.pair.ref.box.y, line.pair.ref.box.x))
        first = group[0].pair.ref
        subject = (
            quote(first.text) if len(group) == 1 else f"{quote(first.text)} and {len(group) - 1} more line"
        )
        if len(group) > 2:
            subject += "s"
        box = first.box
        for line in group[1:]:
            box = box.union(line.pair.ref.box)
        found.append(
            Discrepancy(
                "typography",
                f"{subject}: {difference}",
                sum(costs.typography_per_area * ln.pair.ref.box.area * (1.0 - ln.similarity) for ln in group),
                box,
            )
        )
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


def edge_discrepancies(edges: EdgeResult, costs: Costs) -> list[Discrepancy]:
    """Where borders, dividers or outlines of the source are missing, or the page has extra ones."""
    lost = 1.0 - edges.score
    unmatched = int(edges.missing.sum()) + int(edges.extra.sum())
    if lost <= 0 or unmatched == 0:
        return []
    per_pixel = costs.edges_points * lost / unmatched
    found = []
    for pixels_map, what in (
        (edges.missing, "borders, dividers or outlines of the source are missing"),
        (edges.extra, "the page draws borders, dividers or outlines the source does not have"),
    ):
        for box, pixels in unmatched_regions(pixels_map)[:_EDGE_REGIONS]:
            found.append(
                Discrepancy(
                    "edges",
                    f"{what} in the region {_at(box)} ({round(box.width)}x{round(box.height)} px)",
                    per_pixel * pixels,
                    box,
                )
            )
    return found


def rank(found: Sequence[Discrepancy]) -> tuple[Discrepancy, ...]:
    """The costliest first (ties by place on the page), at most MAX_ITEMS, weights rounded."""
    kept = [d for d in found if d.weight >= 0.005]
    kept.sort(key=lambda d: (-round(d.weight, 4), d.box.y if d.box else -1, d.box.x if d.box else -1, d.kind))
    return tuple(Discrepancy(d.kind, d.message, round(d.weight, 2), d.box) for d in kept[:MAX_ITEMS])
