"""The score itself: block terms from matched text, the visual term, the overall, the explanations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import SUBSCORES, Box, RenderResult, Score, TextBox
from ..ocr import OcrEngine
from . import discrepancies
from .blocks import (
    Matching,
    Pair,
    TextBlock,
    color_similarity,
    consolidate,
    match_blocks,
    merge_into_lines,
    position_similarity,
    regroup,
    text_similarity,
)
from .color import ciede2000, dominant_color, ink_color
from .edges import Shift, compare_edges, edge_map
from .heatmap import paint_boxes, render_heatmap
from .reference import SCALE, ReferenceAnalysis, analyze_reference, decode_png, ocr_blocks, shrink
from .typography import LineTypography, compare_lines, typography_term
from .visual import compare, fit_to_canvas

log = logging.getLogger(__name__)

# Design2Code's five terms plus typography and edges, which its screenshot-only adaptation needs
# (see typography.py and edges.py); all seven weigh the same (documented in docs/scoring.md).
WEIGHTS = dict.fromkeys(SUBSCORES, 1 / len(SUBSCORES))
# Text-in-image check: OCR at most this many candidate regions per score, to keep it cheap.
_MAX_OCR_CHECKS = 4
_DOM_MIN_CONTRAST = 32.0


@dataclass(frozen=True)
class Candidate:
    """The render side, in source coordinates: pixels, text blocks, its own page size."""

    rgb: np.ndarray
    blocks: tuple[TextBlock, ...]
    width: int
    height: int


def score_against_source(
    reference: ReferenceAnalysis, render: RenderResult, *, ocr: OcrEngine | None = None
) -> Score:
    """Score a rendered page against an analysed source screenshot (blocking).

    Candidate text comes from the DOM (exact text and box); OCR of the render only checks regions
    where the source has text the DOM lacks but the render shows ink (text in images or canvas);
    ``ocr`` defaults to the process-wide engine, loaded only if such a region turns up.
    """
    rgb = decode_png(render.png)
    blocks = _dom_blocks(rgb, render.text_boxes)
    height = max(render.full_height, rgb.shape[0]) if render.clamped else rgb.shape[0]
    candidate = Candidate(rgb=rgb, blocks=blocks, width=rgb.shape[1], height=height)
    return _score(reference, candidate, check_images=ocr or OcrEngine.shared)


def score_screenshots(source_png: bytes, candidate_png: bytes, *, ocr: OcrEngine) -> Score:
    """Score one screenshot against another: both sides' text comes from OCR (blocking)."""
    reference = analyze_reference(source_png, ocr=ocr)
    rgb = decode_png(candidate_png)
    candidate = Candidate(rgb=rgb, blocks=ocr_blocks(rgb, ocr), width=rgb.shape[1], height=rgb.shape[0])
    return _score(reference, candidate, check_images=None)


def _dom_blocks(rgb: np.ndarray, boxes: Sequence[TextBox]) -> tuple[TextBlock, ...]:
    """DOM text boxes as blocks, with ink measured on the screenshot; text that shows no ink (hidden,
    transparent, same color as its background) is dropped, as the source could not show it either."""
    height = rgb.shape[0]
    blocks = []
    for tb in boxes:
        if not tb.text.strip() or tb.box.width <= 0 or tb.box.height <= 0:
            continue
        if tb.box.y >= height:  # below a clamped screenshot: trust the DOM
            blocks.append(TextBlock(tb.text, tb.box, tb.color, css_color=tb.color, origin="dom"))
            continue
        measured = ink_color(rgb, tb.box, min_contrast=_DOM_MIN_CONTRAST)
        if measured is None:
            continue
        blocks.append(
            TextBlock(tb.text, tb.box, measured[0], css_color=tb.color, background=measured[1], origin="dom")
        )
    return tuple(blocks)


def _match(ref_lines: list[TextBlock], cand_blocks: Sequence[TextBlock], width: int, height: int) -> Matching:
    cand_lines = merge_into_lines(cand_blocks)
    cand_lines = consolidate(ref_lines, cand_lines)
    ref_lines = consolidate(cand_lines, ref_lines)
    assignment = match_blocks(ref_lines, cand_lines, width=width, height=height)
    regrouped = regroup(ref_lines, cand_lines, assignment)
    if regrouped is not None:
        ref_lines, cand_lines = regrouped
        assignment = match_blocks(ref_lines, cand_lines, width=width, height=height)
    pairs = []
    for r, c, similarity in assignment:
        ref, cand = ref_lines[r], cand_lines[c]
        position, dx, dy = position_similarity(ref.box, cand.box, width)
        delta_e = ciede2000(ref.color, cand.color) if ref.color and cand.color else None
        pairs.append(
            Pair(
                ref=ref,
                cand=cand,
                text=text_similarity(similarity),
                position=position,
                color=color_similarity(delta_e) if delta_e is not None else None,
                delta_e=delta_e,
                dx=dx,
                dy=dy,
            )
        )
    matched_ref = {r for r, _, _ in assignment}
    matched_cand = {c for _, c, _ in assignment}
    return Matching(
        pairs=tuple(pairs),
        missing=tuple(b for i, b in enumerate(ref_lines) if i not in matched_ref),
        extra=tuple(b for i, b in enumerate(cand_lines) if i not in matched_cand),
    )


def _text_in_images(
    matching: Matching, candidate: Candidate, engine: OcrEngine | Callable[[], OcrEngine] | None
) -> tuple[TextBlock, ...]:
    """OCR lines read from the render where source text is missing and the render shows ink that
    no DOM box explains (text in images or on a canvas). Bounded to a few regions, largest first."""
    if engine is None or not matching.missing:
        return ()
    rgb = candidate.rgb
    h, w = rgb.shape[:2]
    covered = np.zeros((h, w), dtype=bool)
    for block in candidate.blocks:
        b = block.box
        covered[
            max(int(b.y), 0) : max(int(np.ceil(b.bottom)), 0),
            max(int(b.x), 0) : max(int(np.ceil(b.right)), 0),
        ] = True
    found: list[TextBlock] = []
    for region in _regions_around(matching.missing)[:_MAX_OCR_CHECKS]:
        x0, y0 = max(int(region.x), 0), max(int(region.y), 0)
        x1, y1 = min(int(np.ceil(region.right)), w), min(int(np.ceil(region.bottom)), h)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        crop = rgb[y0:y1, x0:x1]
        free = ~covered[y0:y1, x0:x1]
        background = np.array(dominant_color(crop))
        ink = np.abs(crop.astype(np.int16) - background).sum(axis=2) > 96
        if (ink & free).mean() < 0.005:
            continue
        if not isinstance(engine, OcrEngine):
            engine = engine()  # loaded on first need only
        for line in engine.read(np.ascontiguousarray(crop)):
            box = Box(line.box.x + x0, line.box.y + y0, line.box.width, line.box.height)
            # A line cut by the crop's edge is a fragment of text outside the region: not ours.
            if (box.y <= y0 + 1 and y0 > 0) or (box.bottom >= y1 - 1 and y1 < h):
                continue
            cx, cy = min(int(box.center[0]), w - 1), min(int(box.center[1]), h - 1)
            if covered[cy, cx]:
                continue
            measured = ink_color(rgb, box)
            found.append(
                TextBlock(
                    line.text,
                    box,
                    measured[0] if measured else None,
                    background=measured[1] if measured else None,
                    origin="ocr",
                )
            )
    if found:
        log.debug("text-in-image check read %d lines", len(found))
    return tuple(found)


def _regions_around(blocks: Sequence[TextBlock]) -> list[Box]:
    """The missing blocks grown by a line height and merged where they overlap, largest first."""
    regions = [
        Box(b.box.x - b.box.height, b.box.y - b.box.height, b.box.width + 2 * b.box.height, b.box.height * 3)
        for b in blocks
    ]
    merged = True
    while merged:
        merged = False
        for i in range(len(regions)):
            for j in range(i + 1, len(regions)):
                if regions[i].intersection(regions[j]) > 0:
                    regions[i] = regions[i].union(regions.pop(j))
                    merged = True
                    break
            if merged:
                break
    return sorted(regions, key=lambda r: (-r.area, r.y, r.x))


def _score(
    reference: ReferenceAnalysis,
    candidate: Candidate,
    *,
    check_images: OcrEngine | Callable[[], OcrEngine] | None,
) -> Score:
    """The score of ``candidate``; ``check_images``: the OCR engine for the text-in-image check
    (or a way to get one), None to skip it (when the candidate's text already came from OCR)."""
    width, height = reference.width, reference.height
    ref_lines = merge_into_lines(reference.lines)
    matching = _match(ref_lines, candidate.blocks, width, height)
    extra_blocks = _text_in_images(matching, candidate, check_images)
    if extra_blocks:
        matching = _match(ref_lines, (*candidate.blocks, *extra_blocks), width, height)

    block, text, position, color, costs = _block_terms(matching)
    lines = compare_lines(matching.pairs, reference.rgb, candidate.rgb)
    # Like position and color: no text in common at all scores 0 (unless neither side has text).
    typography = typography_term(lines) if matching.pairs or not (matching.missing or matching.extra) else 0.0

    cand_small = shrink(candidate.rgb)
    cand_background = dominant_color(cand_small)
    small_h, small_w = reference.small.shape[:2]
    canvas = fit_to_canvas(cand_small, small_h, small_w, cand_background)
    boxes = [b.box for b in ref_lines] + [b.box for b in candidate.blocks] + [b.box for b in extra_blocks]
    visual = compare(reference.small, canvas, boxes, reference.background, cand_background)
    size_factor = _size_factor((width, height), (candidate.width, candidate.height))
    visual_score = visual.score * size_factor
    edges = compare_edges(
        reference.edges,
        edge_map(fit_to_canvas(candidate.rgb, height, width, cand_background)),
        [b.box for b in ref_lines],
        [b.box for b in (*candidate.blocks, *extra_blocks)],
        [Shift(p.ref.box, p.cand.box, p.dx, p.dy) for p in matching.pairs],
    )

    subs = {
        "block": block,
        "text": text,
        "position": position,
        "color": color,
        "typography": typography,
        "edges": edges.score,
        "visual": visual_score,
    }
    overall = sum(WEIGHTS[k] * v for k, v in subs.items())
    typography_area = sum(line.pair.ref.box.area for line in lines)
    costs = discrepancies.Costs(
        block_per_area=costs.block_per_area,
        text_per_char=costs.text_per_char,
        position_per_area=costs.position_per_area,
        color_per_area=costs.color_per_area,
        visual_points=100.0 * WEIGHTS["visual"],
        extra_area_scale=costs.extra_area_scale,
        typography_per_area=100.0 * WEIGHTS["typography"] / typography_area if typography_area else 0.0,
        edges_points=100.0 * WEIGHTS["edges"],
    )
    found = discrepancies.text_discrepancies(matching, costs, reference.background)
    found += discrepancies.typography_discrepancies(lines, costs)
    explained = [d.box for d in found if d.box is not None]
    found += discrepancies.page_discrepancies(
        ref_background=reference.background,
        cand_background=cand_background,
        ref_size=(width, height),
        cand_size=(candidate.width, candidate.height),
        size_factor=size_factor,
        visual=visual,
        explained=explained,
        costs=costs,
    )
    found += discrepancies.edge_discrepancies(edges, costs)
    heat = paint_boxes(visual.diff, _text_marks(matching, lines), SCALE)
    heat = _paint_edges(heat, edges.missing | edges.extra)
    if candidate.height < height:  # the part of the source the render does not reach is all missing
        heat = heat.copy()
        heat[candidate.height // SCALE :] = np.maximum(heat[candidate.height // SCALE :], 0.5)
    return Score(
        overall=_points(overall),
        block=_points(block),
        text=_points(text),
        position=_points(position),
        color=_points(color),
        typography=_points(typography),
        edges=_points(edges.score),
        visual=_points(visual_score),
        heatmap_png=render_heatmap(reference.dimmed, heat),
        discrepancies=discrepancies.rank(found),
    )


def _paint_edges(heat: np.ndarray, unmatched: np.ndarray) -> np.ndarray:
    """``heat`` raised where edges of one side have no counterpart (borders missing or added)."""
    if not unmatched.any():
        return heat
    h, w = heat.shape[:2]
    cells = np.zeros((h * SCALE, w * SCALE), dtype=bool)
    uh, uw = min(unmatched.shape[0], h * SCALE), min(unmatched.shape[1], w * SCALE)
    cells[:uh, :uw] = unmatched[:uh, :uw]
    pooled = cells.reshape(h, SCALE, w, SCALE).any(axis=(1, 3))
    out = heat.copy()
    out[pooled] = np.maximum(out[pooled], 0.7)
    return out


def _text_marks(matching: Matching, lines: Sequence[LineTypography] = ()) -> list[tuple[Box, float]]:
    """Where the text differs, and how strongly, for the heatmap (source coordinates)."""
    marks: list[tuple[Box, float]] = [(b.box, 0.8) for b in matching.missing]
    marks += [(b.box, 0.8) for b in matching.extra]
    for pair in matching.pairs:
        strength = max(
            1.0 - pair.text, 1.0 - pair.position, 1.0 - (pair.color if pair.color is not None else 1.0)
        )
        if strength > 0.02:
            marks.append((pair.ref.box, 0.3 + 0.7 * strength))
            if pair.position < 1.0:
                marks.append((pair.cand.box, 0.3 + 0.7 * strength))
    for line in lines:
        if line.similarity < 0.98:
            marks.append((line.pair.ref.box, 0.3 + 0.7 * (1.0 - line.similarity)))
    return marks


def _points(value: float) -> float:
    """0-1 to 0-100, rounded to hundredths so that float noise never changes a reported score."""
    return round(min(max(value, 0.0), 1.0) * 100.0, 2)


def _size_factor(ref: tuple[int, int], cand: tuple[int, int]) -> float:
    """1 for the same page size; each dimension's shortfall costs half its relative difference."""
    factor = 1.0
    for r, c in zip(ref, cand, strict=True):
        factor *= 1.0 - 0.5 * (1.0 - min(r, c) / max(r, c, 1))
    return factor


def _block_terms(matching: Matching) -> tuple[float, float, float, float, discrepancies.Costs]:
    """Design2Code's block, text, position and color terms (0-1) and what each unit costs.

    Areas: OCR boxes are padded around the ink while DOM boxes span the font's line, so candidate
    areas are rescaled by the median area ratio of matched pairs before the two sides are summed.
    Unlike Design2Code, unmatched text counts as zero in the text term, so missing text lowers it.
    """
    pairs, missing, extra = matching.pairs, matching.missing, matching.extra
    if not pairs and not missing and not extra:
        return 1.0, 1.0, 1.0, 1.0, discrepancies.Costs(0.0, 0.0, 0.0, 0.0, 0.0)
    ratios = [p.ref.box.area / p.cand.box.area for p in pairs if p.cand.box.area > 0]
    k = float(np.median(ratios)) if ratios else 1.0

    total_area = sum(b.box.area for b in missing) + k * sum(b.box.area for b in extra)
    total_area += sum(p.ref.box.area + k * p.cand.box.area for p in pairs)
    matched_area = sum(p.ref.box.area + k * p.cand.box.area for p in pairs)
    block = matched_area / total_area if total_area > 0 else 0.0

    total_chars = sum(b.length for b in missing) + sum(b.length for b in extra)
    total_chars += sum(p.ref.length + p.cand.length for p in pairs)
    text = sum(p.text * (p.ref.length + p.cand.length) for p in pairs) / max(total_chars, 1)

    pair_area = sum(p.ref.box.area for p in pairs)
    position = sum(p.position * p.ref.box.area for p in pairs) / pair_area if pair_area else 0.0
    colored = [p for p in pairs if p.color is not None]
    colored_area = sum(p.ref.box.area for p in colored)
    color = sum((p.color or 0.0) * p.ref.box.area for p in colored) / colored_area if colored_area else 0.0
    if pairs and not colored:
        color = 1.0  # nothing measurable to disagree on

    block_points = 100.0 * WEIGHTS["block"]
    costs = discrepancies.Costs(
        block_per_area=block_points / total_area if total_area else 0.0,
        text_per_char=100.0 * WEIGHTS["text"] / max(total_chars, 1),
        position_per_area=100.0 * WEIGHTS["position"] / pair_area if pair_area else 0.0,
        color_per_area=100.0 * WEIGHTS["color"] / colored_area if colored_area else 0.0,
        visual_points=0.0,
        extra_area_scale=k,
    )
    return block, text, position, color, costs
