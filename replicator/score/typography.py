"""The typography term: do matched lines look set in the same type (family, weight, style, size,
spacing, case)?

The text terms compare what a line says, not how it is drawn, and the whole-image terms paint text
over, so without this term a page set in a serif font instead of a sans-serif one scored 99. No font
is known on the source side (it is only a screenshot), so glyphs are compared directly:

- each side's line is turned into an ink-coverage map (0 on the background, 1 on the ink, with
  anti-aliased edges in between), from the ink and background colors measured on that side, so a
  change of text color alone does not count here (the ``color`` term sees it);
- the candidate's line, cropped to its ink, is searched for in a window around the source line
  (normalized cross-correlation, after a light blur that forgives sub-pixel placement), as a whole
  and then stretch by stretch (see ``_correlation``). The same font at the same size gives a
  correlation of about 1 wherever the line moved (``position`` scores that); another family,
  weight, slant, size, letter spacing or case gives 0.2-0.9.

Lines whose texts differ, or that wrap into a different number of rows, are left to the text and
position terms. Measured on the development pages (bench/sensitivity.py), mean correlation per
line: the unchanged page, the page 1 px lower and text in another color >= 0.998 on every line; a
serif font 0.64, monospace 0.57, bold 0.84, italic 0.92, uppercase 0.55, letter spacing +1 px
0.61; the local backend's own pages 0.93 (0.96 after a refinement round). Italics still
correlate well with upright glyphs (0.92: the strokes mostly overlap), so a line's lean is
measured too: one that leans where the other side's is upright is capped at 0.3.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..models import Box
from .blocks import Pair, TextBlock

# Lines this alike in text are the same words: their glyphs can be compared.
_SAME_TEXT = 0.9
# Correlation -> similarity: full credit from _FULL (what sub-pixel placement and anti-aliasing
# leave of the same font), none at _NONE (another family or case). Stricter settings (or less blur)
# catch italics better but start to charge the local backend for sub-pixel placement of the right
# font: with these, the term is 0.53 for bold text on average, 0.30 for a serif font, 0.93 for
# the local backend's pages (0.96 refined); with the slant cap, 0.49 for italics.
_FULL = 0.97
_NONE = 0.6
_BLUR_SIGMA = 0.7
_INK = 0.3  # coverage above which a pixel counts as ink when cropping and counting rows
# Slant: shears tried when measuring how a line leans (x shift per px of height), and the difference
# that means one side is italic and the other upright (about 0.2 apart; measured, upright lines of
# the same font agree within 0.05). A slant difference caps the line's similarity.
_SHEARS = np.linspace(-0.35, 0.35, 29)
_SLANT_APART = 0.1
_SLANTED_AT_MOST = 0.3
_MIN_CONTRAST = 24.0  # ink and background closer than this (RGB distance) are not measured
# Lines whose glyphs correlate at least this well are drawn the same: their strings differ only in
# how OCR read one side (exact.py). One letter changed anywhere in a line correlates below it.
GLYPHS_ALIKE = 0.985
_FILLED = 0.5  # ink coverage of a line's box above which it is a fill with text, not a line of text
# ... and every stretch of about one and a half letters at least this well: one letter changed in a
# long line (e for a in 'Welcome back', 0.9854 as a whole) shows in its own stretch.
GLYPHS_ALIKE_EVERYWHERE = 0.95
# drawn_identically: the same pixels within this many px, correlating this well, this close in color
# (mean RGB difference: JPEG and anti-aliasing stay well under it, another color does not).
_IDENTICAL_SLACK = 3
_IDENTICAL_NCC = 0.985
_IDENTICAL_RGB = 10.0


@dataclass(frozen=True)
class LineTypography:
    """How alike one matched line's glyphs are on both sides, and what differs."""

    pair: Pair
    similarity: float  # 0-1, from the glyph correlation
    correlation: float
    size_ratio: float  # candidate ink height / source ink height (same text: the font size ratio)
    weight_ratio: float  # candidate ink per pixel / source ink per pixel (bolder > 1)
    width_ratio: float  # candidate ink width / source ink width (spacing, a wider face)
    slant_difference: float = 0.0  # candidate's lean minus the source's (italic over upright > 0)
    weakest: float = 1.0  # the worst-matching stretch of about one and a half letters

    @property
    def drawn_alike(self) -> bool:
        """The same glyphs everywhere in the line: what OCR read differently is OCR's doing."""
        return self.correlation >= GLYPHS_ALIKE and self.weakest >= GLYPHS_ALIKE_EVERYWHERE

    @property
    def slanted(self) -> bool:
        """One side leans (italic) where the other is upright."""
        return abs(self.slant_difference) >= _SLANT_APART


def compare_lines(
    pairs: Sequence[Pair], ref_rgb: np.ndarray, cand_rgb: np.ndarray, identical: Collection[int] = ()
) -> tuple[LineTypography, ...]:
    """Every comparable matched line (same words, same number of rows, ink on both sides).

    ``identical``: ids of pairs whose line the candidate draws with the source's very pixels
    (``drawn_identically``): alike in every respect, not measured again.
    """
    found = []
    for pair in pairs:
        if id(pair) in identical and _comparable(pair):
            found.append(LineTypography(pair, 1.0, 1.0, 1.0, 1.0, 1.0))
            continue
        line = _compare(pair, ref_rgb, cand_rgb)
        if line is not None:
            found.append(line)
    return tuple(found)


def drawn_identically(pair: Pair, ref_rgb: np.ndarray, cand_rgb: np.ndarray) -> bool:
    """Whether the candidate shows the very pixels of the source's line (where the pair's move takes
    it, within a few pixels): then it says the same in the same type and color, whatever the two
    readings of it (OCR's, the DOM's) make of it — a truncated 'wind picking…' the DOM holds in full,
    a chart label OCR read as '12' on one side and '12月' on the other."""
    box = pair.ref.box
    h, w = ref_rgb.shape[:2]
    x0, y0 = max(int(box.x) - 1, 0), max(int(box.y) - 1, 0)
    x1, y1 = min(int(np.ceil(box.right)) + 1, w), min(int(np.ceil(box.bottom)) + 1, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return False
    template = ref_rgb[y0:y1, x0:x1]
    gray = cv2.cvtColor(template, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if float(gray.std()) < 5.0:
        return False
    slack = _IDENTICAL_SLACK
    ch, cw = cand_rgb.shape[:2]
    # Around where the line is in the source and where the pair's measured move takes it (boxes of
    # OCR and of the DOM differ: the move between them is not the move of the pixels).
    wx0, wy0 = max(round(x0 + min(pair.dx, 0)) - slack, 0), max(round(y0 + min(pair.dy, 0)) - slack, 0)
    wx1, wy1 = min(round(x1 + max(pair.dx, 0)) + slack, cw), min(round(y1 + max(pair.dy, 0)) + slack, ch)
    if wx1 - wx0 < x1 - x0 or wy1 - wy0 < y1 - y0:
        return False
    window = cv2.cvtColor(cand_rgb[wy0:wy1, wx0:wx1], cv2.COLOR_RGB2GRAY).astype(np.float32)
    result = np.nan_to_num(cv2.matchTemplate(window, gray, cv2.TM_CCOEFF_NORMED))
    _low, peak, _lowat, (px, py) = cv2.minMaxLoc(result)
    if peak < _IDENTICAL_NCC:
        return False
    found = cand_rgb[wy0 + py : wy0 + py + (y1 - y0), wx0 + px : wx0 + px + (x1 - x0)].astype(np.int16)
    own = template.astype(np.int16)
    # Compared on the ink (either side's), not on the background around it: a recolored line
    # correlates perfectly in gray levels and differs only where the glyphs are.
    background = np.median(own.reshape(-1, 3), axis=0)
    ink = (np.abs(own - background).sum(axis=2) > 60) | (np.abs(found - background).sum(axis=2) > 60)
    if not ink.any():
        return False
    return float(np.abs(found - own)[ink].mean()) < _IDENTICAL_RGB


def typography_term(lines: Sequence[LineTypography]) -> float:
    """Area-weighted similarity of the comparable lines (0-1); 1 when there is nothing to compare."""
    total = sum(line.pair.ref.box.area for line in lines)
    if total <= 0:
        return 1.0
    return sum(line.similarity * line.pair.ref.box.area for line in lines) / total


def _comparable(pair: Pair) -> bool:
    ref, cand = pair.ref, pair.cand
    return pair.words >= _SAME_TEXT and None not in (ref.color, ref.background, cand.color, cand.background)


def _compare(pair: Pair, ref_rgb: np.ndarray, cand_rgb: np.ndarray) -> LineTypography | None:
    ref, cand = pair.ref, pair.cand
    if not _comparable(pair):
        return None
    cand_cov = _coverage(cand_rgb, _pad(cand.box, 2), cand.color, cand.background)  # type: ignore[arg-type]
    template = _ink_crop(cand_cov) if cand_cov is not None else None
    if template is None or min(template.shape) < 3:
        return None
    height, width = template.shape
    # The source line, searched for around where the candidate line would be had it not moved.
    back = Box(cand.box.x - pair.dx, cand.box.y - pair.dy, cand.box.width, cand.box.height)
    slack = max(6, height // 2)
    window = _coverage(ref_rgb, _pad(back.union(ref.box), slack), ref.color, ref.background)  # type: ignore[arg-type]
    own = _coverage(ref_rgb, _pad(ref.box, 2), ref.color, ref.background)  # type: ignore[arg-type]
    ref_ink = _ink_crop(own) if own is not None else None
    if window is None or ref_ink is None or min(ref_ink.shape) < 3:
        return None
    if _rows(ref_ink) != _rows(template):
        return None  # wrapped differently: a layout difference, not a typographic one
    if max(_density(ref_ink), _density(template)) > _FILLED or _polarity(ref) != _polarity(cand):
        # Mostly "ink" (text on a fill of the ink's color inside the line's box), or dark on light
        # on one side and light on dark on the other (a joined row whose longest part is the
        # selected segment of a segmented control): the coverages do not show the same glyphs.
        return None
    grow_h, grow_w = max(height - window.shape[0], 0), max(width - window.shape[1], 0)
    if grow_h or grow_w:
        window = np.pad(window, ((0, grow_h), (0, grow_w)))
    blurred_window = _blur(window)
    blurred_template = _blur(template)
    if float(blurred_template.std()) < 1e-3 or float(blurred_window.std()) < 1e-3:
        return None
    placed = _placed(blurred_window, blurred_template)
    correlation = _correlation(blurred_window, blurred_template, height, placed)
    weakest = (
        _weakest_stretch(blurred_window, blurred_template, height, placed)
        if correlation >= GLYPHS_ALIKE
        else 0.0
    )
    similarity = float(np.clip((correlation - _NONE) / (_FULL - _NONE), 0.0, 1.0))
    ref_h, ref_w = ref_ink.shape
    # Italics correlate well with upright glyphs (the strokes mostly overlap): their lean tells.
    slant_difference = 0.0
    if width >= 3 * height and ref_w >= 3 * ref_h and min(height, ref_h) >= 6:
        slant_difference = _slant(template) - _slant(ref_ink)
        if abs(slant_difference) >= _SLANT_APART:
            similarity = min(similarity, _SLANTED_AT_MOST)
    return LineTypography(
        pair=pair,
        similarity=similarity,
        correlation=correlation,
        size_ratio=height / ref_h,
        weight_ratio=_density(template) / max(_density(ref_ink), 1e-6),
        width_ratio=width / ref_w,
        slant_difference=slant_difference,
        weakest=weakest,
    )


def _slant(ink: np.ndarray) -> float:
    """How far a line's strokes lean (x shift per px of height; 0 upright, about 0.2 italic): the
    shear that makes its ink columns sharpest (upright strokes pile up in few columns)."""
    height, width = ink.shape
    best_shear, best_sharpness = 0.0, -1.0
    for shear in _SHEARS:
        matrix = np.array([[1.0, shear, -shear * height / 2], [0.0, 1.0, 0.0]], dtype=np.float32)
        columns = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_LINEAR).sum(axis=0)
        sharpness = float(columns @ columns)
        if sharpness > best_sharpness:
            best_shear, best_sharpness = float(shear), sharpness
    return best_shear


def _placed(window: np.ndarray, template: np.ndarray) -> tuple[float, int, int]:
    """The template placed as a whole in the window: its correlation there, and where (x, y)."""
    whole = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _low, best, _lowat, (x0, y0) = cv2.minMaxLoc(whole)
    return float(best), int(x0), int(y0)


def _correlation(
    window: np.ndarray, template: np.ndarray, height: int, placed: tuple[float, int, int]
) -> float:
    """How well the template's glyphs are found in the window: the line placed as a whole, then
    each stretch of about three letter heights searched for near its place on its own.

    Matching the whole line at once would charge spacing that drifts by a fraction of a pixel per
    letter (a 1% wider heading is 6 px off at its end) as if every glyph were shaped differently;
    stretch by stretch, drift costs little and shapes still count. ``placed``: see ``_placed``.
    """
    best, x0, y0 = placed
    width = template.shape[1]
    stretch = max(3 * height, 24)
    if width < 2 * stretch:
        return float(np.clip(best, -1.0, 1.0))
    drift = max(3, height // 4)
    total, weight = 0.0, 0.0
    starts = list(range(0, width - stretch // 2, stretch))
    for index, start in enumerate(starts):
        end = width if index == len(starts) - 1 else start + stretch
        part = template[:, start:end]
        mass = float(part.sum())
        if mass <= 0 or float(part.std()) < 1e-3:
            continue
        top, left = max(y0 - drift, 0), max(x0 + start - drift, 0)
        area = window[top : y0 + template.shape[0] + drift, left : x0 + end + drift]
        if area.shape[0] < part.shape[0] or area.shape[1] < part.shape[1]:
            continue
        found = float(cv2.matchTemplate(area, part, cv2.TM_CCOEFF_NORMED).max())
        total += mass * found
        weight += mass
    return float(np.clip(total / weight if weight else best, -1.0, 1.0))


def _weakest_stretch(
    window: np.ndarray, template: np.ndarray, height: int, placed: tuple[float, int, int]
) -> float:
    """The worst correlation of any stretch of about one and a half letter heights of the template,
    each searched for near its place in the window (the line placed as a whole: ``placed``)."""
    _best, x0, y0 = placed
    width = template.shape[1]
    stretch = max(round(1.5 * height), 12)
    drift = max(2, height // 6)
    worst = 1.0
    for start in range(0, max(width - stretch, 0) + 1, max(stretch // 2, 1)):
        part = template[:, start : start + stretch]
        if float(part.std()) < 1e-3 or float(part.sum()) < 0.05 * part.size:
            continue  # a gap between words
        top, left = max(y0 - drift, 0), max(x0 + start - drift, 0)
        area = window[top : y0 + template.shape[0] + drift, left : x0 + start + part.shape[1] + drift]
        if area.shape[0] < part.shape[0] or area.shape[1] < part.shape[1]:
            continue
        worst = min(worst, float(cv2.matchTemplate(area, part, cv2.TM_CCOEFF_NORMED).max()))
    return worst


def _pad(box: Box, by: float) -> Box:
    return Box(box.x - by, box.y - by, box.width + 2 * by, box.height + 2 * by)


def _coverage(
    rgb: np.ndarray, box: Box, ink: tuple[int, int, int], background: tuple[int, int, int]
) -> np.ndarray | None:
    """Ink coverage (0-1) of each pixel in ``box``: its projection between background and ink color."""
    h, w = rgb.shape[:2]
    x0, y0 = max(int(np.floor(box.x)), 0), max(int(np.floor(box.y)), 0)
    x1, y1 = min(int(np.ceil(box.right)), w), min(int(np.ceil(box.bottom)), h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    ink_v = np.asarray(ink, dtype=np.float32)
    bg_v = np.asarray(background, dtype=np.float32)
    direction = ink_v - bg_v
    norm = float(direction @ direction)
    if norm < _MIN_CONTRAST**2:
        return None
    crop = rgb[y0:y1, x0:x1].astype(np.float32) - bg_v
    return np.clip((crop @ direction) / norm, 0.0, 1.0).astype(np.float32)


def _ink_crop(coverage: np.ndarray) -> np.ndarray | None:
    inked = coverage > _INK
    # A row or column inked from end to end is not a glyph: the edge of a badge, a border or a
    # background of the ink's color that the padding around the box reached.
    stripes = inked.mean(axis=1) >= 0.9
    bars = inked.mean(axis=0) >= 0.9
    if stripes.any() or bars.any():
        coverage = coverage.copy()
        coverage[stripes, :] = 0.0
        coverage[:, bars] = 0.0
    ys, xs = np.nonzero(coverage > _INK)
    if len(xs) == 0:
        return None
    return coverage[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _rows(ink: np.ndarray) -> int:
    """Rows of text: runs of scanlines holding ink, separated by at least two empty ones."""
    rows, gap = 0, 2
    filled_rows: list[bool] = np.any(ink > _INK, axis=1).tolist()
    for filled in filled_rows:
        if filled:
            rows += int(gap >= 2)
            gap = 0
        else:
            gap += 1
    return rows


def _polarity(block: TextBlock) -> bool:
    """Whether the block's ink is darker than what it is drawn on."""
    assert block.color is not None and block.background is not None
    return sum(block.color) < sum(block.background)


def _density(ink: np.ndarray) -> float:
    return float(ink.mean())


def _blur(coverage: np.ndarray) -> np.ndarray:
    padded = np.pad(coverage, 2)
    return np.asarray(cv2.GaussianBlur(padded, (0, 0), _BLUR_SIGMA), dtype=np.float32)
