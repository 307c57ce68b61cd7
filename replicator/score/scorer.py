"""The score itself: block terms from matched text, the visual term, the overall, the explanations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz

from ..models import RGB, Box, Discrepancy, RenderResult, Score, TextBox
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
from .depth import compare_depth, compare_fills, gray
from .edges import EdgeResult, Shift, compare_edges, edge_map, edge_strength
from .exact import exact_pairs, strict_text
from .graphics import Graphic, GraphicsResult, Move, compare_graphics, find_graphics, text_boxes
from .heatmap import paint_boxes, render_heatmap
from .overall import combine
from .readback import second_look, text_in_images
from .reference import SCALE, ReferenceAnalysis, analyze_reference, decode_png, ocr_blocks, shrink
from .typography import LineTypography, compare_lines, drawn_identically, typography_term
from .visual import VisualResult, compare, fit_to_canvas

log = logging.getLogger(__name__)

# Text-in-image check: OCR at most this many candidate regions per score, to keep it cheap.
_MAX_OCR_CHECKS = 4
_DOM_MIN_CONTRAST = 32.0
# The candidate's image work (whole-image terms, edges, graphics) runs on this thread while the
# caller's thread matches text: the two are independent, mostly OpenCV and numpy on one side and
# Python on the other, so a warm score takes about a quarter less time on two cores.
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="score-images")


@dataclass(frozen=True)
class Candidate:
    """The render side, in source coordinates: pixels, text blocks, its own page size."""

    rgb: np.ndarray
    blocks: tuple[TextBlock, ...]
    width: int
    height: int


@dataclass(frozen=True)
class _CandidateImages:
    """The candidate's pictures on the source's canvas, and the terms computed from them alone.

    ``visual`` and ``graphics`` were computed with the text boxes beside them; the scorer uses
    them only when its final text boxes are the same (else it computes them again)."""

    background: RGB
    canvas: np.ndarray
    full: np.ndarray
    edges: np.ndarray
    strength: np.ndarray
    visual: VisualResult
    visual_boxes: tuple[Box, ...]
    graphics: tuple[Graphic, ...] | None
    graphic_text: tuple[Box, ...]


def _candidate_images(
    reference: ReferenceAnalysis,
    candidate: Candidate,
    visual_boxes: tuple[Box, ...],
    graphic_text: tuple[Box, ...] | None,
) -> _CandidateImages:
    width, height = reference.width, reference.height
    small = shrink(candidate.rgb)
    background = dominant_color(small)
    small_h, small_w = reference.small.shape[:2]
    canvas = fit_to_canvas(small, small_h, small_w, background)
    visual = compare(reference.small, canvas, visual_boxes, reference.background, background)
    full = fit_to_canvas(candidate.rgb, height, width, background)
    edges = edge_map(full)
    if candidate.height < height:  # where the render ends is not a border of its own
        edges[max(candidate.height - 2, 0) :] = False
    found = find_graphics(full, edges, graphic_text) if graphic_text is not None else None
    return _CandidateImages(
        background=background,
        canvas=canvas,
        full=full,
        edges=edges,
        strength=edge_strength(full),
        visual=visual,
        visual_boxes=visual_boxes,
        graphics=found,
        graphic_text=graphic_text or (),
    )


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
    height = rgb.shape[0]
    # A render cut at the height of the source was probably cut where the source was: the page
    # beyond it is unknown on both sides, not extra on one.
    if render.clamped and rgb.shape[0] != reference.height:
        height = max(render.full_height, rgb.shape[0])
    candidate = Candidate(rgb=rgb, blocks=blocks, width=rgb.shape[1], height=height)
    return _score(reference, candidate, ocr=ocr or OcrEngine.shared, text_from_ocr=False)


def score_screenshots(source_png: bytes, candidate_png: bytes, *, ocr: OcrEngine) -> Score:
    """Score one screenshot against another: both sides' text comes from OCR (blocking)."""
    reference = analyze_reference(source_png, ocr=ocr)
    rgb = decode_png(candidate_png)
    candidate = Candidate(rgb=rgb, blocks=ocr_blocks(rgb, ocr), width=rgb.shape[1], height=rgb.shape[0])
    return _score(reference, candidate, ocr=ocr, text_from_ocr=True)


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


def _match(
    ref_lines: list[TextBlock], cand_blocks: Sequence[TextBlock], width: int, height: int, ref_rgb: np.ndarray
) -> Matching:
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
        pairs.append(_pair(ref, cand, similarity, width, ref_rgb))
    matched_ref = {r for r, _, _ in assignment}
    matched_cand = {c for _, c, _ in assignment}
    return Matching(
        pairs=tuple(pairs),
        missing=tuple(b for i, b in enumerate(ref_lines) if i not in matched_ref),
        extra=tuple(b for i, b in enumerate(cand_lines) if i not in matched_cand),
    )


def _pair(
    ref: TextBlock,
    cand: TextBlock,
    similarity: float,
    width: int,
    ref_rgb: np.ndarray | None = None,
) -> Pair:
    """A matched pair with its similarities. With ``ref_rgb`` the source's ink is measured where the
    candidate measured its own (``_ref_ink``); without, the source line's own ink is compared."""
    position, dx, dy = position_similarity(ref.box, cand.box, width)
    delta_e = None
    if ref.color and cand.color:
        ink = _ref_ink(ref, cand, dx, dy, ref_rgb) if ref_rgb is not None else ref.color
        delta_e = ciede2000(ink, cand.color)
    return Pair(
        ref=ref,
        cand=cand,
        text=text_similarity(similarity),
        words=similarity,
        position=position,
        color=color_similarity(delta_e) if delta_e is not None else None,
        delta_e=delta_e,
        dx=dx,
        dy=dy,
    )


def _icon_read_as_text(found: Discrepancy, graphics: Sequence[Box]) -> bool:
    box = found.box
    if found.kind not in ("missing_text", "extra_text") or box is None or box.width > 1.5 * box.height:
        return False
    return any(box.intersection(g) > 0.5 * box.area for g in graphics)


def _reading_order(block: TextBlock) -> tuple[int, float]:
    return (round(block.box.y), block.box.x)


def _with_pairs(matching: Matching, found: Sequence[tuple[TextBlock, TextBlock]], width: int) -> Matching:
    """``matching`` with unpaired lines that a second look paired (at the same place on both sides)."""
    paired_ref = {id(r) for r, _ in found}
    paired_cand = {id(c) for _, c in found}
    pairs = list(matching.pairs)
    for ref, cand in found:
        similarity = fuzz.ratio(ref.key, cand.key) / 100.0
        pairs.append(_pair(ref, cand, similarity, width))
    return Matching(
        pairs=tuple(pairs),
        missing=tuple(b for b in matching.missing if id(b) not in paired_ref),
        extra=tuple(b for b in matching.extra if id(b) not in paired_cand),
    )


def _ref_ink(ref: TextBlock, cand: TextBlock, dx: float, dy: float, ref_rgb: np.ndarray) -> RGB:
    """The source's ink color where the candidate measured its own: on the DOM's box (of the longest
    part of a joined line) moved back to the source line, not on OCR's box, which may hold a
    colored bullet or icon beside the words."""
    assert ref.color is not None
    if cand.origin != "dom":
        return ref.color
    box = cand.main_box or cand.box
    measured = ink_color(ref_rgb, Box(box.x - dx, box.y - dy, box.width, box.height))
    return measured[0] if measured else ref.color


def _score(
    reference: ReferenceAnalysis,
    candidate: Candidate,
    *,
    ocr: OcrEngine | Callable[[], OcrEngine],
    text_from_ocr: bool,
) -> Score:
    """The score of ``candidate``; ``ocr``: the engine for second looks at text (or a way to get
    one, loaded only when needed); ``text_from_ocr``: the candidate's text was read by OCR (so the
    text-in-image check, which reads a DOM page's images, has nothing to add)."""
    width, height = reference.width, reference.height
    ref_lines = merge_into_lines(reference.lines)
    dom_text = tuple(b.box for b in candidate.blocks)
    ahead = _AHEAD.submit(
        _candidate_images,
        reference,
        candidate,
        tuple(b.box for b in ref_lines) + dom_text,
        None if text_from_ocr else dom_text,
    )
    matching = _match(ref_lines, candidate.blocks, width, height, reference.rgb)
    extra_blocks: tuple[TextBlock, ...] = ()
    if not text_from_ocr:
        extra_blocks = text_in_images(matching, candidate.rgb, candidate.blocks, ocr)
        if extra_blocks:
            matching = _match(ref_lines, (*candidate.blocks, *extra_blocks), width, height, reference.rgb)
    if matching.missing or matching.extra:
        paired = second_look(matching, reference.rgb, candidate.rgb, _engine(ocr), reference.second_looks)
        if paired:
            matching = _with_pairs(matching, paired, width)
            ref_lines = sorted(
                [*ref_lines, *(r for r, _ in paired if r not in ref_lines)], key=_reading_order
            )
    # Lines drawn with the very pixels of the source's are the same text, type and color.
    identical = {
        i for i, pair in enumerate(matching.pairs) if drawn_identically(pair, reference.rgb, candidate.rgb)
    }
    if identical:
        matching = Matching(
            pairs=tuple(
                replace(p, color=1.0, delta_e=0.0) if i in identical and p.color is not None else p
                for i, p in enumerate(matching.pairs)
            ),
            missing=matching.missing,
            extra=matching.extra,
        )
    same = {id(p) for i, p in enumerate(matching.pairs) if i in identical}
    lines = compare_lines(matching.pairs, reference.rgb, candidate.rgb, identical=same)
    drawn_alike = {id(line.pair) for line in lines if line.drawn_alike}
    shaped = {id(line.pair) for line in lines if line.similarity >= 0.9}
    alike = [i for i, pair in enumerate(matching.pairs) if id(pair) in drawn_alike or i in identical]
    engine = _engine(ocr) if _needs_reading(matching) else None
    matching = Matching(
        pairs=exact_pairs(
            matching.pairs,
            reference.rgb,
            candidate.rgb,
            engine,
            alike=alike,
            shaped_alike=[i for i, p in enumerate(matching.pairs) if id(p) in shaped],
            source_readings=reference.second_looks,
        ),
        missing=matching.missing,
        extra=matching.extra,
    )

    block, text, position, color, coverage = _block_terms(matching)
    # Like position and color, typography is only as complete as the text it could compare.
    typography = typography_term(lines) * coverage if matching.pairs or not matching.missing else 0.0
    if not matching.pairs and not matching.missing and matching.extra:
        typography = 0.0

    images = ahead.result()
    cand_background, canvas = images.background, images.canvas
    cand_full, cand_edges = images.full, images.edges
    boxes = (*(b.box for b in ref_lines), *dom_text, *(b.box for b in extra_blocks))
    visual = images.visual
    if boxes != images.visual_boxes:  # a second look or the render's images added text
        visual = compare(reference.small, canvas, boxes, reference.background, cand_background)
    size_factor = _size_factor((width, height), (candidate.width, candidate.height))
    visual_score = visual.score * size_factor
    cand_text = [b.box for b in (*candidate.blocks, *extra_blocks)]
    edges = compare_edges(
        reference.edges,
        cand_edges,
        [b.box for b in ref_lines],
        cand_text,
        [Shift(p.ref.box, p.cand.box, p.dx, p.dy) for p in matching.pairs],
        ref_strength=reference.edge_strength,
        cand_strength=images.strength,
    )
    if text_from_ocr:
        cand_text = text_boxes(cand_full, candidate.blocks, engine or _engine(ocr))
    cand_graphics = images.graphics
    if cand_graphics is None or tuple(cand_text) != images.graphic_text:
        cand_graphics = find_graphics(cand_full, cand_edges, cand_text)
    graphics = compare_graphics(
        reference.graphics,
        reference.rgb,
        cand_graphics,
        cand_full,
        [Move(p.ref.box, p.dx, p.dy) for p in matching.pairs],
    )

    salience = discrepancies.Salience.of(ref_lines)
    found = discrepancies.text_discrepancies(matching, salience, reference.background)
    found += discrepancies.typography_discrepancies(lines, salience)
    graphic_found = discrepancies.graphics_discrepancies(graphics)
    # An icon OCR read as a letter ('Q' for a magnifier) that is missing is one difference, said
    # as the graphic: not also as a one-letter line of text.
    lost = [d.box for d in graphic_found if d.box is not None]
    found = [d for d in found if not _icon_read_as_text(d, lost)]
    found += graphic_found
    explained = [d.box for d in found if d.box is not None]
    explained += [m.graphic.box for m in (*graphics.source, *graphics.extra)]
    # A box filled with another color; the regions term may see the area too (a large section
    # recolored is both), a small button it does not.
    text_moves = [(p.ref.box, p.dx, p.dy) for p in matching.pairs]
    found += discrepancies.fill_discrepancies(
        compare_fills(reference.boxes, reference.rgb, cand_full, text_moves)
    )
    found += discrepancies.page_discrepancies(
        ref_background=reference.background,
        cand_background=cand_background,
        ref_size=(width, height),
        cand_size=(candidate.width, candidate.height),
        size_factor=size_factor,
        visual=visual,
        explained=explained,
        images=(reference.small, canvas),
        moves=[(p.dx, p.dy) for p in matching.pairs],
        paired_text=[p.ref.box for p in matching.pairs],
    )
    found += discrepancies.edge_discrepancies(_outside_graphics(edges, graphics))
    found += discrepancies.depth_discrepancies(
        compare_depth(
            reference.boxes,
            gray(reference.rgb),
            gray(cand_full),
            text_moves,
        )
    )
    overall = combine(found)
    heat = paint_boxes(visual.diff, _text_marks(matching, lines) + _graphic_marks(graphics), SCALE)
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
        graphics=_points(graphics.score),
        visual=_points(visual_score),
        heatmap_png=render_heatmap(reference.dimmed, heat),
        discrepancies=discrepancies.rank(found),
    )


def _outside_graphics(edges: EdgeResult, graphics: GraphicsResult) -> EdgeResult:
    """``edges`` with unmatched pixels inside either side's graphics left to the graphics term."""
    boxes = [m.graphic.box for m in graphics.source] + [m.graphic.box for m in graphics.extra]
    if not boxes:
        return edges
    missing, extra = edges.missing.copy(), edges.extra.copy()
    h, w = missing.shape
    for box in boxes:
        x0, y0 = max(int(box.x) - 2, 0), max(int(box.y) - 2, 0)
        x1, y1 = min(int(np.ceil(box.right)) + 2, w), min(int(np.ceil(box.bottom)) + 2, h)
        missing[y0:y1, x0:x1] = False
        extra[y0:y1, x0:x1] = False
    return replace(edges, missing=missing, extra=extra)


def _engine(ocr: OcrEngine | Callable[[], OcrEngine]) -> OcrEngine:
    return ocr if isinstance(ocr, OcrEngine) else ocr()


def _needs_reading(matching: Matching) -> bool:
    """Whether any matched line's strings differ exactly (then the recognizer takes a look)."""
    return any(strict_text(p.ref.text) != strict_text(p.cand.text) for p in matching.pairs)


def _graphic_marks(graphics: GraphicsResult) -> list[tuple[Box, float]]:
    """Graphics reproduced badly (either side's), for the heatmap."""
    marks = [(m.graphic.box, 0.3 + 0.7 * (1.0 - m.similarity)) for m in graphics.source if m.similarity < 0.9]
    return marks + [(m.graphic.box, 0.8) for m in graphics.extra]


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


def _block_terms(matching: Matching) -> tuple[float, float, float, float, float]:
    """Design2Code's block, text, position and color terms (0-1), the share of the source's text
    that found a partner (coverage).

    Areas: OCR boxes are padded around the ink while DOM boxes span the font's line, so candidate
    areas are rescaled by the median area ratio of matched pairs before the two sides are summed.
    Unlike Design2Code, text is weighed by area (a wrong letter in a heading shows more than one
    in a footnote) and counts exact characters (see exact.py); unmatched text counts as zero in it,
    so missing text lowers it too. Position and color are averages over the matched pairs scaled
    by coverage: a page that matches one line of twenty perfectly is not 100 on either.
    """
    pairs, missing, extra = matching.pairs, matching.missing, matching.extra
    if not pairs and not missing and not extra:
        return 1.0, 1.0, 1.0, 1.0, 1.0
    ratios = [p.ref.box.area / p.cand.box.area for p in pairs if p.cand.box.area > 0]
    k = float(np.median(ratios)) if ratios else 1.0

    total_area = sum(b.box.area for b in missing) + k * sum(b.box.area for b in extra)
    total_area += sum(p.ref.box.area + k * p.cand.box.area for p in pairs)
    matched_area = sum(p.ref.box.area + k * p.cand.box.area for p in pairs)
    block = matched_area / total_area if total_area > 0 else 0.0
    text = (
        sum(p.text * (p.ref.box.area + k * p.cand.box.area) for p in pairs) / total_area
        if total_area
        else 0.0
    )

    pair_area = sum(p.ref.box.area for p in pairs)
    source_area = pair_area + sum(b.box.area for b in missing)
    coverage = pair_area / source_area if source_area > 0 else 0.0
    position = sum(p.position * p.ref.box.area for p in pairs) / pair_area if pair_area else 0.0
    colored = [p for p in pairs if p.color is not None]
    colored_area = sum(p.ref.box.area for p in colored)
    color = sum((p.color or 0.0) * p.ref.box.area for p in colored) / colored_area if colored_area else 0.0
    if pairs and not colored:
        color = 1.0  # nothing measurable to disagree on

    return block, text, position * coverage, color * coverage, coverage
