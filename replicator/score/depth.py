"""Depth and shape of boxes: shadows and rounded corners, which no other term sees.

A card that lost its shadow, or whose rounded corners became square, differs by a few faint pixels
per side: the shrunken whole-image terms average them away and Canny finds no edge in a soft
shadow. A reviewer still sees it. So every flat box of the source (a card, a button, a panel: see
``graphics.flat_boxes``) is checked where these live:

- **shadow**: the mean gray level at each distance (1 to 14 px) outside the box, averaged along its
  whole outline on both sides: a shadow is a profile that darkens toward the box, and averaging
  along the outline leaves anti-aliasing and JPEG noise far below it;
- **corners**: the pixels of each corner's square (as large as a generous radius) that differ
  clearly between the two sides: rounding changed when they do at two corners or more.

Both are compared where the box is in the candidate (the source's place, or where the nearest
matched text moved): a box that moved is not a box that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..models import Box
from .color import ciede2000, dominant_color

_MIN_AREA = 2500  # px: smaller boxes (badges, inputs' insides) are left to the other terms
_MAX_SHARE = 0.6  # of the page: larger boxes are page backgrounds, not cards
_RING = 14  # px outside a box where a shadow lives
_SHADOW_DIFF = 2.0  # gray levels: a profile this far apart at some distance is another shadow
_CORNER = 10  # px: the square at each corner where rounding shows
_CORNER_DIFF = 16  # gray levels: a pixel this different is drawn differently (a light border too)
_CORNER_PIXELS = 5  # pixels that differ in a corner's square for the corner to differ
_MAX_BOXES = 60
_MIN_FILL_AREA = 300  # px: a badge or a small button
_FILL_INSET = 3  # px inside the box's outline: its fill, not its border or anti-aliased edge
_FILL_VISIBLE = 8.0  # CIEDE2000 between the two fills from which a reviewer sees another color
_MOVE_REACH = 320.0
_ALIGN = 3  # px searched around each guess of where the box is in the candidate


@dataclass(frozen=True)
class BoxDepth:
    """A source box whose shadow or corners the candidate draws differently."""

    box: Box
    shadow: float  # the largest difference of the two shadow profiles, gray levels (0: the same)
    corners: int  # corners (0-4) drawn differently
    salience: float  # 0.5-1.5, by size


def compare_depth(
    boxes: Sequence[Box],
    ref_gray: np.ndarray,
    cand_gray: np.ndarray,
    moves: Sequence[tuple[Box, float, float]] = (),
) -> list[BoxDepth]:
    """The source's boxes whose shadow or corners differ in the candidate (same-size gray images)."""
    h, w = ref_gray.shape
    page = h * w
    # Shadows are compared slightly blurred: a softer anti-aliasing or a JPEG changes the pixel or
    # two beside an outline, which a shadow (spread over several pixels) outlasts.
    ref_soft = cv2.GaussianBlur(ref_gray, (0, 0), 1.0)
    cand_soft = cv2.GaussianBlur(cand_gray, (0, 0), 1.0)
    found = []
    for box in _largest(boxes, _MIN_AREA, page):
        # Where each side of the box is in the candidate: in place, or moved with its text (the
        # move measured between OCR's and the DOM's boxes is only roughly the move of the pixels),
        # each side found on its own so that a box a pixel taller (text set a hair differently)
        # keeps its shadow and its corners.
        guesses = {(0, 0), _move(box, moves)}
        best: tuple[float, int] | None = None
        for guess in guesses:
            sides = _sides(box, ref_soft, cand_soft, guess)
            if sides is None:
                continue
            # Each side aligned on its own, or the whole box at the guess: text inside a low box
            # (a card's footer bar) pulls a side's alignment a pixel off when it is set differently.
            plain: Sides = (guess, guess, guess, guess)
            shadow = min(_shadow_difference(box, ref_soft, cand_soft, s) for s in (sides, plain))
            corners = min(_corners_differing(box, ref_gray, cand_gray, s) for s in (sides, plain))
            if best is None or (shadow, corners) < best:
                best = (shadow, corners)
        if best is None:
            continue
        shadow, corners = best
        if shadow >= _SHADOW_DIFF or corners >= 2:
            salience = float(np.clip(np.sqrt(box.area) / 250.0, 0.5, 1.5))
            found.append(BoxDepth(box, shadow, corners, salience))
    return found


@dataclass(frozen=True)
class BoxFill:
    """A source box (a button, a badge, a card) that the candidate fills with another color."""

    box: Box
    source: tuple[int, int, int]
    candidate: tuple[int, int, int]
    delta_e: float
    salience: float  # 0.5-1.5, by size


def compare_fills(
    boxes: Sequence[Box],
    ref_rgb: np.ndarray,
    cand_rgb: np.ndarray,
    moves: Sequence[tuple[Box, float, float]] = (),
) -> list[BoxFill]:
    """The source's boxes whose fill (the dominant color inside, text aside) the candidate draws in
    a visibly other color, where the box is (in place or moved with its text): a button turned green
    is a small part of any grid of cells, and of the page, but a reviewer sees it first."""
    h, w = ref_rgb.shape[:2]
    page = h * w
    found = []
    for box in _largest(boxes, _MIN_FILL_AREA, page):
        x0, y0 = int(box.x) + _FILL_INSET, int(box.y) + _FILL_INSET
        x1, y1 = int(box.right) - _FILL_INSET, int(box.bottom) - _FILL_INSET
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        # A sample of about 4,000 pixels tells a fill's color as well as all of a card's.
        step = max(1, int(np.sqrt((x1 - x0) * (y1 - y0) / 4096)))
        own = dominant_color(ref_rgb[y0:y1:step, x0:x1:step])
        best: tuple[float, tuple[int, int, int]] | None = None
        for dx, dy in {(0, 0), _move(box, moves)}:
            if x0 + dx < 0 or y0 + dy < 0 or x1 + dx > w or y1 + dy > h:
                continue
            other = dominant_color(cand_rgb[y0 + dy : y1 + dy : step, x0 + dx : x1 + dx : step])
            delta = ciede2000(own, other)
            if best is None or delta < best[0]:
                best = (delta, other)
        if best is not None and best[0] >= _FILL_VISIBLE:
            salience = float(np.clip(np.sqrt(box.area) / 60.0, 0.5, 1.5))
            found.append(BoxFill(box, own, best[1], best[0], salience))
    return found


def _largest(boxes: Sequence[Box], min_area: float, page: float) -> list[Box]:
    """The largest _MAX_BOXES boxes from ``min_area`` up to a card's share of the page."""
    return sorted((b for b in boxes if min_area <= b.area <= _MAX_SHARE * page), key=lambda b: -b.area)[
        :_MAX_BOXES
    ]


def _move(box: Box, moves: Sequence[tuple[Box, float, float]]) -> tuple[int, int]:
    """The move of the nearest matched text line inside (or else near) the box."""
    best: tuple[float, float, float] | None = None
    cx, cy = box.center
    for text, dx, dy in moves:
        tx, ty = text.center
        inside = box.x <= tx <= box.right and box.y <= ty <= box.bottom
        distance = 0.0 if inside else float(np.hypot(tx - cx, ty - cy))
        if distance <= _MOVE_REACH and (best is None or distance < best[0]):
            best = (distance, dx, dy)
    if best is None or np.hypot(best[1], best[2]) < 2:
        return 0, 0
    return round(best[1]), round(best[2])


# The four sides of a box: top and bottom move vertically, left and right horizontally.
Sides = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def _sides(box: Box, ref: np.ndarray, cand: np.ndarray, guess: tuple[int, int]) -> Sides | None:
    """The offset (dx, dy) near ``guess`` (within _ALIGN px) that lines each side of the box (top,
    bottom, left, right) up on the candidate, from mean gray profiles across that side; None when
    the box is too near the page's edge to tell."""
    h, w = ref.shape
    x0, y0 = int(box.x), int(box.y)
    x1, y1 = int(np.ceil(box.right)), int(np.ceil(box.bottom))
    reach = _RING + _ALIGN + max(abs(guess[0]), abs(guess[1])) + 1
    if x0 - reach < 0 or y0 - reach < 0 or x1 + reach > w or y1 + reach > h:
        return None
    gx, gy = guess
    r = _RING

    def best(profile: np.ndarray, take: Callable[[int], np.ndarray], center: int) -> int:
        errors = {
            d: float(np.abs(take(d) - profile).mean()) for d in range(center - _ALIGN, center + _ALIGN + 1)
        }
        return min(errors, key=lambda d: (errors[d], abs(d - center)))

    xs = slice(x0 + _CORNER, max(x1 - _CORNER, x0 + _CORNER + 1))
    ys = slice(y0 + _CORNER, max(y1 - _CORNER, y0 + _CORNER + 1))

    def rows(image: np.ndarray, top: int, dx: int) -> np.ndarray:
        return np.asarray(image[top - r : top + r, xs.start + dx : xs.stop + dx].mean(axis=1))

    def cols(image: np.ndarray, left: int, dy: int) -> np.ndarray:
        return np.asarray(image[ys.start + dy : ys.stop + dy, left - r : left + r].mean(axis=0))

    top = best(rows(ref, y0, 0), lambda d: rows(cand, y0 + d, gx), gy)
    bottom = best(rows(ref, y1, 0), lambda d: rows(cand, y1 + d, gx), gy)
    left = best(cols(ref, x0, 0), lambda d: cols(cand, x0 + d, gy), gx)
    right = best(cols(ref, x1, 0), lambda d: cols(cand, x1 + d, gy), gx)
    return (gx, top), (gx, bottom), (left, gy), (right, gy)


def _profile(gray: np.ndarray, box: Box, sides: Sides) -> np.ndarray | None:
    """Mean gray level at each distance 3.._RING px outside the box, along its four sides (each
    side where ``sides`` puts it)."""
    x0, y0 = int(box.x), int(box.y)
    x1, y1 = int(np.ceil(box.right)), int(np.ceil(box.bottom))
    (tx, ty), (bx, by), (lx, ly), (rx, ry) = sides
    inset = _CORNER  # leave the corners to the corner check
    values = []
    for d in range(3, _RING + 1):
        parts = (
            gray[y0 + ty - d, x0 + tx + inset : x1 + tx - inset],
            gray[y1 + by - 1 + d, x0 + bx + inset : x1 + bx - inset],
            gray[y0 + ly + inset : y1 + ly - inset, x0 + lx - d],
            gray[y0 + ry + inset : y1 + ry - inset, x1 + rx - 1 + d],
        )
        if any(part.size == 0 for part in parts):
            return None
        values.append(float(np.mean(np.concatenate([part.astype(np.float32) for part in parts]))))
    return np.array(values)


def _shadow_difference(box: Box, ref: np.ndarray, cand: np.ndarray, sides: Sides) -> float:
    still: Sides = ((0, 0), (0, 0), (0, 0), (0, 0))
    own = _profile(ref, box, still)
    other = _profile(cand, box, sides)
    if own is None or other is None:
        return 0.0
    # Relative to the page around each box (a page a shade darker is not another shadow).
    return float(np.abs((own - own[-1]) - (other - other[-1])).max())


def _corners_differing(box: Box, ref: np.ndarray, cand: np.ndarray, sides: Sides) -> int:
    h, w = ref.shape
    x0, y0 = int(box.x) - 2, int(box.y) - 2
    x1, y1 = int(np.ceil(box.right)) + 2, int(np.ceil(box.bottom)) + 2
    (_tx, ty), (_bx, by), (lx, _ly), (rx, _ry) = sides
    count = 0
    for cx, cy, dx, dy in (
        (x0, y0, lx, ty),
        (x1 - _CORNER, y0, rx, ty),
        (x0, y1 - _CORNER, lx, by),
        (x1 - _CORNER, y1 - _CORNER, rx, by),
    ):
        if (
            min(cx, cy, cx + dx, cy + dy) < 0
            or max(cx, cx + dx) + _CORNER > w
            or max(cy, cy + dy) + _CORNER > h
        ):
            continue
        own = ref[cy : cy + _CORNER, cx : cx + _CORNER].astype(np.int16)
        other = cand[cy + dy : cy + dy + _CORNER, cx + dx : cx + dx + _CORNER].astype(np.int16)
        if int((np.abs(own - other) > _CORNER_DIFF).sum()) >= _CORNER_PIXELS:
            count += 1
    return count


def gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
