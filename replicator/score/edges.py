"""The edges term: are the borders, dividers, outlines and shape contours where the source has them?

The whole-image terms work on screenshots shrunk four times, where a 1 px border fades into its
surroundings: hiding every border on a page cost it less than a point. This term compares edges
at full size instead. Each screenshot's edges are found with Canny (OpenCV) on its gray levels, text
areas of either side are left out (the text terms score text), and each side's edges are matched
to the other's within ``TOLERANCE`` px (a distance transform): recall is the share of source edges
the candidate has, precision the share of candidate edges the source has, and the term is their
F1. Measured on the development pages (bench/sensitivity.py): hidden borders 0.50 on average,
content 24 px to the right 0.69, backgrounds removed 0.85; the page 1 px lower 0.99, the design
saved as a JPEG 0.995, the local backend's own pages 0.98.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from ..models import Box

TOLERANCE = 2.0  # px: an edge this close to one on the other side is the same edge
# Canny's hysteresis thresholds on the gray-level gradient (L2 norm of 3x3 Sobel): the weaker finds
# a #e5e7eb border on white, the stronger keeps JPEG ringing and gradient banding out.
_LOW, _HIGH = 20, 50
# An edge is matched by the other side's gradient within TOLERANCE px when that is at least this
# share of its own: a border a JPEG softened still matches (about 0.6), a border removed from a card
# whose fill differs slightly from the page does not (the fill's edge alone is about 0.1-0.3).
_STRENGTH_RATIO = 0.4
_TEXT_MARGIN = 2  # px around text boxes that belong to the text, not to edges
_REGION_CELL = 16  # px: unmatched edges are grouped on this grid into reported regions
_STILL = 4.0  # px: text boxes moved less than this have not moved (OCR and DOM boxes differ this much)
_MOVE_SLACK = 2.0  # px more tolerance for edges matched through a move measured on text boxes
_MOVE_REACH = 320.0  # px: how far from a moved text line its move applies (a wide card: its borders)


@dataclass(frozen=True)
class EdgeResult:
    score: float  # F1 of matched edges, 0-1
    recall: float
    precision: float
    missing: np.ndarray  # bool, full size: source edges with no candidate edge near them
    extra: np.ndarray  # bool, full size: candidate edges with no source edge near them
    total: int  # edge pixels on both sides (what the unmatched counts are shares of)


def edge_strength(rgb: np.ndarray) -> np.ndarray:
    """The gray-level gradient magnitude of ``rgb`` (float32, same size): how strong an edge is.

    Canny's yes-or-no misleads both ways: a 1 px light-gray border saved as a JPEG can fall under
    its thresholds on one side only (the same border), and the faint edge of a card's fill passes
    them where a removed border was (not the same border). Strengths tell the two apart."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sobel_x = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    sobel_y = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(sobel_x, sobel_y))


def edge_map(rgb: np.ndarray) -> np.ndarray:
    """Where ``rgb`` has edges (bool, same size)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.Canny(gray, _LOW, _HIGH, L2gradient=True) > 0)


@dataclass(frozen=True)
class Shift:
    """A matched text line's move from source to candidate: edges near it are expected to move too."""

    ref_box: Box
    cand_box: Box
    dx: float
    dy: float


def compare_edges(
    ref_edges: np.ndarray,
    cand_edges: np.ndarray,
    ref_text: Iterable[Box] = (),
    cand_text: Iterable[Box] = (),
    shifts: Sequence[Shift] = (),
    *,
    ref_strength: np.ndarray | None = None,
    cand_strength: np.ndarray | None = None,
) -> EdgeResult:
    """F1 of the two edge maps (same size) outside either side's text, with the unmatched pixels.

    Edges inside text boxes are glyphs, the text terms' business: they are not counted. An edge
    is matched by the other side's edges outside that side's own text, so a border that moved
    under where the other side has text still finds its counterpart.

    Content that moved (a taller header pushes everything below it down) keeps its borders: an
    edge also counts as matched where the nearest matched text line's move takes it (``shifts``);
    how far things moved is the position term's business, not this one's. With ``ref_strength``
    and ``cand_strength`` (``edge_strength``), an edge is matched where the other side's gradient
    nearby is at least _STRENGTH_RATIO of its own, Canny edge or not.
    """
    h, w = ref_edges.shape
    ref_glyphs, cand_glyphs = _text_mask((h, w), ref_text), _text_mask((h, w), cand_text)
    ref_shapes, cand_shapes = ref_edges & ~ref_glyphs, cand_edges & ~cand_glyphs
    ref = ref_shapes & ~cand_glyphs
    cand = cand_shapes & ~ref_glyphs
    ref_count, cand_count = int(ref.sum()), int(cand.sum())
    if ref_count + cand_count == 0:
        empty = np.zeros((h, w), dtype=bool)
        return EdgeResult(1.0, 1.0, 1.0, empty, empty, 0)
    moves = [s for s in shifts if np.hypot(s.dx, s.dy) > _STILL]
    if ref_strength is None or cand_strength is None:
        missing = ref & ~_near(cand_shapes, TOLERANCE)
        extra = cand & ~_near(ref_shapes, TOLERANCE)
    else:
        missing = ref & ~_as_strong(ref_strength, cand_strength, cand_glyphs)
        extra = cand & ~_as_strong(cand_strength, ref_strength, ref_glyphs)
    if moves:
        slack = TOLERANCE + _MOVE_SLACK
        missing &= ~_matched_when_moved(
            missing, _near(cand_shapes, slack), [(s.ref_box, s.dx, s.dy) for s in moves]
        )
        extra &= ~_matched_when_moved(
            extra, _near(ref_shapes, slack), [(s.cand_box, -s.dx, -s.dy) for s in moves]
        )
    recall = 1.0 - int(missing.sum()) / ref_count if ref_count else 0.0
    precision = 1.0 - int(extra.sum()) / cand_count if cand_count else 0.0
    score = 2 * recall * precision / (recall + precision) if recall + precision > 0 else 0.0
    return EdgeResult(score, recall, precision, missing, extra, ref_count + cand_count)


def _matched_when_moved(
    pixels: np.ndarray, near_other: np.ndarray, moves: Sequence[tuple[Box, float, float]]
) -> np.ndarray:
    """Which of ``pixels`` land near an edge of the other side (``near_other``) once moved the way
    a text line within ``_MOVE_REACH`` of them moved (the move is measured on text boxes, hence a
    wider ``near``). Every distinct move near a pixel is tried, not only the nearest line's: a
    card's border sits closer to the heading above the card than to the card's own text."""
    h, w = pixels.shape
    ys, xs = np.nonzero(pixels)
    out = np.zeros((h, w), dtype=bool)
    if len(xs) == 0:
        return out
    step = 4  # the reach of each move is worked out on a 4x coarser grid
    gh, gw = -(-h // step), -(-w // step)
    groups: dict[tuple[int, int], list[tuple[Box, float, float]]] = {}
    for move in moves:
        groups.setdefault((round(move[1] / step), round(move[2] / step)), []).append(move)
    found = np.zeros(len(xs), dtype=bool)
    gy, gx = np.minimum(ys // step, gh - 1), np.minimum(xs // step, gw - 1)
    for group in groups.values():
        seeds = np.zeros((gh, gw), dtype=np.uint8)
        for box, _dx, _dy in group:
            x0, y0 = max(int(box.x // step), 0), max(int(box.y // step), 0)
            x1, y1 = min(int(np.ceil(box.right / step)), gw), min(int(np.ceil(box.bottom / step)), gh)
            seeds[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)] = 1
        reach = cv2.distanceTransform(1 - seeds, cv2.DIST_L2, 3) <= _MOVE_REACH / step
        todo = ~found & reach[gy, gx]
        if not todo.any():
            continue
        dx = float(np.median([m[1] for m in group]))
        dy = float(np.median([m[2] for m in group]))
        tx = np.rint(xs[todo] + dx).astype(np.int64)
        ty = np.rint(ys[todo] + dy).astype(np.int64)
        inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        hit = np.zeros(len(tx), dtype=bool)
        hit[inside] = near_other[ty[inside], tx[inside]]
        found[np.flatnonzero(todo)[hit]] = True
    out[ys[found], xs[found]] = True
    return out


def unmatched_regions(unmatched: np.ndarray, *, min_pixels: int = 24) -> list[tuple[Box, int]]:
    """Boxes around clusters of unmatched edge pixels (grouped on a coarse grid), with their counts."""
    h, w = unmatched.shape
    rows, cols = -(-h // _REGION_CELL), -(-w // _REGION_CELL)
    padded = np.zeros((rows * _REGION_CELL, cols * _REGION_CELL), dtype=np.int32)
    padded[:h, :w] = unmatched
    counts = padded.reshape(rows, _REGION_CELL, cols, _REGION_CELL).sum(axis=(1, 3))
    labels, _count = ndimage.label(counts > 0, structure=np.ones((3, 3)))
    found = []
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        pixels = int(counts[region][labels[region] == index].sum())
        if pixels < min_pixels:
            continue
        r, c = region
        box = Box(
            c.start * _REGION_CELL,
            r.start * _REGION_CELL,
            min(c.stop * _REGION_CELL, w) - c.start * _REGION_CELL,
            min(r.stop * _REGION_CELL, h) - r.start * _REGION_CELL,
        )
        found.append((box, pixels))
    found.sort(key=lambda item: -item[1])
    return found


def _text_mask(shape: tuple[int, int], boxes: Iterable[Box]) -> np.ndarray:
    h, w = shape
    mask = np.zeros((h, w), dtype=bool)
    for box in boxes:
        x0, y0 = max(int(box.x) - _TEXT_MARGIN, 0), max(int(box.y) - _TEXT_MARGIN, 0)
        x1 = min(int(np.ceil(box.right)) + _TEXT_MARGIN, w)
        y1 = min(int(np.ceil(box.bottom)) + _TEXT_MARGIN, h)
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = True
    return mask


def _as_strong(own: np.ndarray, other: np.ndarray, other_glyphs: np.ndarray) -> np.ndarray:
    """Where the other side has, within TOLERANCE px and outside its own text, a gradient at least
    _STRENGTH_RATIO of this side's."""
    r = int(TOLERANCE)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    nearby = cv2.dilate(np.where(other_glyphs, 0.0, other).astype(np.float32), disc)
    return np.asarray(nearby >= _STRENGTH_RATIO * own)


def _near(edges: np.ndarray, radius: float) -> np.ndarray:
    """Pixels within ``radius`` of an edge pixel (a dilation by a disc: much cheaper than a
    distance transform, and all that the tolerance needs)."""
    r = int(radius)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return np.asarray(cv2.dilate(edges.view(np.uint8), disc) > 0)
