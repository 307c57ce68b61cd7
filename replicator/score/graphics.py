"""The graphics term: are the source's icons, logos, images, charts and illustrations in the render?

Text has its own terms and flat boxes have ``edges``; what neither sees is everything else a person
notices at once when it is gone: a missing icon, a chart that vanished, an illustration that became
a grey blob. No library finds "the non-text visual components of a screenshot", so they are found
here from the screenshot alone:

- every pixel is *explained* when it is text (inside a text line's box), part of a flat box (a
  region bounded by edges whose outline is a rectangle, rounded or not: backgrounds, cards,
  buttons, inputs, badges, bars) or on the outline of one; long thin lines are dividers;
- what is left, grouped into connected components, are the graphics: an icon is a hole in the card
  that holds it, a chart or a photo is a tangle of small regions and edges, a donut is a ring of
  regions that are not rectangles.

An icon beside a label is often inside OCR's box for that label ("[logo] ACME"): a cluster of ink
at either end of a line that the recognizer does not need to read the same text is not text.

Each source graphic is then looked for in the candidate around its place (a few pixels of slack,
plus the move of the nearest matched text line; icons also at 0.9x and 1.1x), compared by shape
(normalized cross-correlation of gray levels) and by color (CIEDE-like Lab distance on the ink).
Missing (blank where the source has a graphic), wrong (another icon, a letter instead of a logo)
and recoloured graphics cost in proportion to their *salience*: the cube root of their area times
their contrast, so a missing 16 px icon costs a tenth of what a missing 600x300 chart does, not
a thousandth. The candidate's own graphics are matched back against the source the same way, so
an added picture costs too (precision); the term is the F1 of the two.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from ..models import Box
from ..ocr import OcrEngine
from .blocks import TextBlock, normalize_text
from .color import dominant_color, lab

# Regions at least this large whose outline fills this share of its bounding box are boxes.
_MIN_BOX_AREA = 300
_MIN_BOX_SIDE = 12
_BOX_FILL = 0.88
_CANVAS_FILL = 0.6
_OUTLINE_BAND = 7  # px: a box's outline drawn this thick (anti-aliasing, 1-2 px borders, shadows)
_LINE_LENGTH = 24  # px: thinner than _LINE_THICKNESS and at least this long: a divider
_LINE_THICKNESS = 6
_MIN_SIDE = 8  # px: narrower components are specks or slivers of outlines
_MIN_PIXELS = 24
_MIN_PART = 6  # px: a connected part this large may belong to a graphic it touches
_MAX_ASPECT = 6.0  # longer than wide by this: a bar, a border or a progress track, not a graphic
ICON_MAX = 64  # px: graphics no larger than this on both sides are icons
_TEXT_PAD = 2
# Matching: slack around the expected place; larger graphics are compared shrunk to this side.
_SLACK = 6
_COMPARE_SIDE = 96
_ICON_SCALES = (1.0, 0.9, 1.1)
# Shape similarity from normalized cross-correlation: full credit from _NCC_FULL (sub-pixel placement,
# anti-aliasing, JPEG), none at _NCC_NONE (another icon of the same size correlates about 0.4-0.6).
_NCC_FULL = 0.9
_NCC_NONE = 0.55
# Color: mean Lab distance on the ink, both sides slightly blurred (JPEG halves the resolution of
# color, which smears a small icon's hue into its surroundings); full credit up to _DE_FULL, none
# at _DE_NONE (a gray icon turned red is about 60 apart, #333 turned #777 about 30).
_DE_FULL = 10.0
_DE_NONE = 45.0
_INK_DISTANCE = 30.0  # Lab distance from a crop's dominant color that makes a pixel ink
_BLANK_STD = 2.0  # gray-level standard deviation under which a crop shows nothing
_MOVE_REACH = 320.0
_ICON_GAP = 0.15  # of the line's height: a gap at least this wide may set an icon apart from text
_MAX_TRIMS = 48  # second looks at lines with an icon-like end, per screenshot


@dataclass(frozen=True)
class Graphic:
    """A non-text visual component: where it is, what kind (icon or image) and how salient."""

    box: Box
    kind: str  # "icon" | "image"
    salience: float

    @property
    def label(self) -> str:
        """How a discrepancy names it."""
        if self.kind == "icon":
            return "icon"
        return "image, chart or illustration"


@dataclass(frozen=True)
class GraphicMatch:
    """One graphic and how well the other side reproduces it (0 missing or wrong, 1 the same)."""

    graphic: Graphic
    similarity: float
    shape: float
    color: float
    blank: bool  # the other side shows nothing there
    found_at: Box | None  # where the best match is on the other side


@dataclass(frozen=True)
class GraphicsResult:
    score: float  # 0-1: F1 of salience-weighted recall and precision
    recall: float
    precision: float
    source: tuple[GraphicMatch, ...]  # every source graphic, as found in the candidate
    extra: tuple[GraphicMatch, ...]  # candidate graphics the source does not have (similarity < 0.5)


@dataclass(frozen=True)
class Move:
    """A matched text line's move from source to candidate (graphics near it moved with it)."""

    ref_box: Box
    dx: float
    dy: float


def find_graphics(rgb: np.ndarray, edges: np.ndarray, text_boxes: Iterable[Box]) -> tuple[Graphic, ...]:
    """The non-text visual components of a screenshot (``edges``: its Canny map, same size)."""
    h, w = edges.shape
    explained = _explained_by_boxes(edges)
    for box in text_boxes:
        x0, y0 = max(int(box.x) - _TEXT_PAD, 0), max(int(box.y) - _TEXT_PAD, 0)
        x1, y1 = min(int(np.ceil(box.right)) + _TEXT_PAD, w), min(int(np.ceil(box.bottom)) + _TEXT_PAD, h)
        explained[y0:y1, x0:x1] = True
    opened = cv2.morphologyEx((~explained).view(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    residual = (opened & ~_thin_lines(opened)).view(np.uint8)
    closed = cv2.morphologyEx(residual, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    # Parts that touch are one graphic (a star's tips, cut off its body where the arms narrow,
    # and the row of stars they belong to); specks of a few pixels on their own are noise.
    boxes = [
        (int(x), int(y), int(x + bw), int(y + bh))
        for x, y, bw, bh, area in stats[1:count]
        if area >= _MIN_PART
    ]
    found = []
    for x0, y0, x1, y1 in _merge_overlapping(boxes, reach=1):
        bw, bh = x1 - x0, y1 - y0
        if min(bw, bh) < _MIN_SIDE or max(bw, bh) > _MAX_ASPECT * min(bw, bh):
            continue
        if int(np.count_nonzero(labels[y0:y1, x0:x1])) < _MIN_PIXELS:
            continue
        crop = rgb[y0:y1, x0:x1]
        contrast = _contrast(crop)
        if contrast <= 0.0:
            continue
        parts = _icon_row(residual[y0:y1, x0:x1])
        if parts:
            # A row of icons that touch (rating stars): each is an icon of its own, so one star
            # less is an icon missing and the whole row gone is every one of them.
            for a, b in parts:
                part = rgb[y0:y1, x0 + a : x0 + b]
                found.append(
                    Graphic(Box(x0 + a, y0, b - a, bh), "icon", salience((b - a) * bh, _contrast(part)))
                )
            continue
        kind = "icon" if max(bw, bh) <= ICON_MAX else "image"
        found.append(Graphic(Box(x0, y0, bw, bh), kind, salience(bw * bh, contrast)))
    return tuple(sorted(found, key=lambda g: (g.box.y, g.box.x)))


def _icon_row(residual: np.ndarray) -> list[tuple[int, int]]:
    """The column spans of the icons in a row of them (each roughly as wide as the row is tall,
    apart by empty columns), or [] when the crop is not such a row."""
    height = residual.shape[0]
    if height > ICON_MAX or residual.shape[1] < 2 * height:
        return []
    spans = _runs(residual.any(axis=0))
    if len(spans) < 2 or not all(0.5 * height <= b - a <= 1.6 * height for a, b in spans):
        return []
    return spans


def salience(area: float, contrast: float) -> float:
    """How much a graphic weighs: the cube root of its area (a 16 px icon 6.3, a 600x300 chart 56)
    times its contrast with what surrounds it (0-1)."""
    return float(area ** (1.0 / 3.0) * contrast)


def _cut_by_bottom(graphic: Graphic, rgb: np.ndarray) -> bool:
    return graphic.box.bottom >= rgb.shape[0] - 1 and graphic.box.height < 12


def compare_graphics(
    ref_graphics: Sequence[Graphic],
    ref_rgb: np.ndarray,
    cand_graphics: Sequence[Graphic],
    cand_rgb: np.ndarray,
    moves: Sequence[Move] = (),
) -> GraphicsResult:
    """How well each side's graphics are reproduced by the other (both images in source coordinates).

    A sliver cut by an image's bottom edge (under 12 px showing: the top of a line or an icon the
    screenshot ends on) is left out on both sides: what shows of it depends on a pixel's shift, and
    its glyph fragments counted as "extra icons" on a page clamped mid-line."""
    ref_graphics = [g for g in ref_graphics if not _cut_by_bottom(g, ref_rgb)]
    cand_graphics = [g for g in cand_graphics if not _cut_by_bottom(g, cand_rgb)]
    ref_gray, cand_gray = _gray(ref_rgb), _gray(cand_rgb)
    source = tuple(_find(g, ref_rgb, ref_gray, cand_rgb, cand_gray, moves) for g in ref_graphics)
    back = [
        Move(Box(m.ref_box.x + m.dx, m.ref_box.y + m.dy, m.ref_box.width, m.ref_box.height), -m.dx, -m.dy)
        for m in moves
    ]
    reverse = tuple(_find(g, cand_rgb, cand_gray, ref_rgb, ref_gray, back) for g in cand_graphics)
    recall = _weighted(source)
    precision = _weighted(reverse)
    if not source and not reverse:
        score = 1.0
    elif recall + precision <= 0:
        score = 0.0
    else:
        score = 2 * recall * precision / (recall + precision)
    extra = tuple(m for m in reverse if m.similarity < 0.5)
    return GraphicsResult(score=score, recall=recall, precision=precision, source=source, extra=extra)


def same_pixels(box: Box, own_rgb: np.ndarray, other_rgb: np.ndarray) -> float:
    """How alike (0-1) the other side looks at ``box`` (within a few pixels) to this side there."""
    match = _find(Graphic(box, "image", 1.0), own_rgb, _gray(own_rgb), other_rgb, _gray(other_rgb), ())
    return match.similarity


def _weighted(matches: Sequence[GraphicMatch]) -> float:
    total = sum(m.graphic.salience for m in matches)
    if total <= 0:
        return 1.0
    return sum(m.similarity * m.graphic.salience for m in matches) / total


def _find(
    graphic: Graphic,
    own_rgb: np.ndarray,
    own_gray: np.ndarray,
    other_rgb: np.ndarray,
    other_gray: np.ndarray,
    moves: Sequence[Move],
) -> GraphicMatch:
    offsets = [(0.0, 0.0)]
    move = _nearest_move(graphic.box, moves)
    if move is not None:
        offsets.append(move)
    scales = _ICON_SCALES if graphic.kind == "icon" else (1.0,)
    best: _Found | None = None
    for dx, dy in offsets:
        for scale in scales:
            found = _search(graphic.box, own_rgb, own_gray, other_rgb, other_gray, dx, dy, scale)
            if found is not None and (best is None or found.ncc > best.ncc):
                best = found
    if best is None:
        return GraphicMatch(graphic, 0.0, 0.0, 0.0, True, None)
    if float(_gray(best.other).std()) < _BLANK_STD:
        return GraphicMatch(graphic, 0.0, 0.0, 0.0, True, best.at)
    shape = float(np.clip((best.ncc - _NCC_NONE) / (_NCC_FULL - _NCC_NONE), 0.0, 1.0))
    color = _color_similarity(best.own, best.other)
    return GraphicMatch(graphic, shape * color, shape, color, False, best.at)


@dataclass(frozen=True)
class _Found:
    ncc: float
    at: Box  # where, on the other side, in its full-size pixels
    own: np.ndarray  # the graphic, RGB, at the compared scale
    other: np.ndarray  # what the other side shows there, same size


def _search(
    box: Box,
    own_rgb: np.ndarray,
    own_gray: np.ndarray,
    other_rgb: np.ndarray,
    other_gray: np.ndarray,
    dx: float,
    dy: float,
    scale: float,
) -> _Found | None:
    """The graphic at ``box`` looked for around ``box`` moved by (dx, dy) on the other side, that
    side seen at ``scale``: the best normalized cross-correlation of gray levels, and where.

    Graphics larger than _COMPARE_SIDE are compared shrunk to it (by area averaging, then a slight
    blur, so that where the sampling grid falls does not matter): by their overall shape."""
    x0, y0 = int(box.x), int(box.y)
    th, tw = int(box.height), int(box.width)
    template = own_gray[y0 : y0 + th, x0 : x0 + tw]
    if min(th, tw) < 3 or float(template.std()) < _BLANK_STD:
        return None
    h, w = other_gray.shape
    slack = _SLACK + int(0.05 * max(th, tw))
    sw, sh = tw * scale, th * scale
    cx, cy = box.x + box.width / 2 + dx, box.y + box.height / 2 + dy
    wx0, wy0 = max(int(np.floor(cx - sw / 2 - slack)), 0), max(int(np.floor(cy - sh / 2 - slack)), 0)
    wx1, wy1 = min(int(np.ceil(cx + sw / 2 + slack)), w), min(int(np.ceil(cy + sh / 2 + slack)), h)
    if wx1 - wx0 < sw or wy1 - wy0 < sh:
        return None  # off the other page (it is shorter): missing
    factor = min(1.0, _COMPARE_SIDE / max(th, tw))
    size = (max(round(tw * factor), 3), max(round(th * factor), 3))
    other_factor = factor / scale
    other_size = (
        max(round((wx1 - wx0) * other_factor), size[0]),
        max(round((wy1 - wy0) * other_factor), size[1]),
    )
    own_small = _shrink(own_rgb[y0 : y0 + th, x0 : x0 + tw], size, factor)
    window = _shrink(other_rgb[wy0:wy1, wx0:wx1], other_size, factor)
    result = cv2.matchTemplate(
        _gray(window).astype(np.float32), _gray(own_small).astype(np.float32), cv2.TM_CCOEFF_NORMED
    )
    result = np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)
    _low, peak, _lowat, (px, py) = cv2.minMaxLoc(result)
    sx, sy = other_size[0] / (wx1 - wx0), other_size[1] / (wy1 - wy0)
    at = Box(wx0 + px / sx, wy0 + py / sy, size[0] / sx, size[1] / sy)
    other_small = window[py : py + size[1], px : px + size[0]]
    return _Found(float(peak), at, own_small, other_small)


def _shrink(rgb: np.ndarray, size: tuple[int, int], factor: float) -> np.ndarray:
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if factor < 0.5:
        small = cv2.GaussianBlur(small, (0, 0), 0.7)
    return np.asarray(small)


def _nearest_move(box: Box, moves: Sequence[Move]) -> tuple[float, float] | None:
    best: tuple[float, Move] | None = None
    cx, cy = box.center
    for move in moves:
        mx, my = move.ref_box.center
        distance = float(np.hypot(mx - cx, my - cy))
        if distance <= _MOVE_REACH and (best is None or distance < best[0]):
            best = (distance, move)
    if best is None or np.hypot(best[1].dx, best[1].dy) < 2:
        return None
    return best[1].dx, best[1].dy


def _color_similarity(own: np.ndarray, other: np.ndarray) -> float:
    """Mean Lab distance over the pixels that are ink on either side (not the common background)."""
    own = cv2.GaussianBlur(own, (0, 0), 1.0)
    other = cv2.GaussianBlur(other, (0, 0), 1.0)
    own_lab, other_lab = lab(own), lab(other)
    own_bg = lab(np.array([[dominant_color(own)]], dtype=np.uint8))[0, 0]
    other_bg = lab(np.array([[dominant_color(other)]], dtype=np.uint8))[0, 0]
    ink = (np.linalg.norm(own_lab - own_bg, axis=2) > _INK_DISTANCE) | (
        np.linalg.norm(other_lab - other_bg, axis=2) > _INK_DISTANCE
    )
    if not ink.any():
        return 1.0
    distance = float(np.linalg.norm(own_lab[ink] - other_lab[ink], axis=1).mean())
    return float(np.clip(1.0 - (distance - _DE_FULL) / (_DE_NONE - _DE_FULL), 0.0, 1.0))


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def _contrast(crop: np.ndarray) -> float:
    """0-1: how far the crop's ink stands from its dominant color (a Lab distance of 40 is full)."""
    factor = min(1.0, _COMPARE_SIDE / max(crop.shape[:2]))
    if factor < 1.0:
        size = (max(round(crop.shape[1] * factor), 1), max(round(crop.shape[0] * factor), 1))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA))
    pixels = lab(crop).reshape(-1, 3)
    background = lab(np.array([[dominant_color(crop)]], dtype=np.uint8))[0, 0]
    distance = np.linalg.norm(pixels - background, axis=1)
    ink = distance[distance > 6.0]
    if len(ink) < 4:
        return 0.0
    return float(min(1.0, np.percentile(ink, 75) / 40.0))


def _explained_by_boxes(edges: np.ndarray) -> np.ndarray:
    """Pixels that belong to a flat box (a region bounded by edges whose outline is a rectangle,
    rounded or not) or lie on its outline."""
    return flat_boxes(edges)[0]


def flat_boxes(edges: np.ndarray) -> tuple[np.ndarray, list[Box]]:
    """The flat boxes of a screenshot from its edge map: the pixels they explain (their insides and
    outlines, as in ``_explained_by_boxes``) and each box's inside as a rectangle."""
    h, w = edges.shape
    separators = cv2.dilate(edges.view(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (separators == 0).view(np.uint8), connectivity=4
    )
    is_box = np.zeros(count, dtype=bool)
    outlines = np.zeros((h, w), dtype=np.uint8)
    boxes: list[Box] = []
    for index in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[index])
        if area < _MIN_BOX_AREA or bw < _MIN_BOX_SIDE or bh < _MIN_BOX_SIDE:
            continue
        mask = (labels[y : y + bh, x : x + bw] == index).view(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        outline = max(contours, key=cv2.contourArea)
        ox, oy, ow, oh = cv2.boundingRect(outline)
        fill = cv2.contourArea(outline) / max(ow * oh, 1)
        if fill >= _BOX_FILL:
            is_box[index] = True
            cv2.drawContours(outlines[y : y + bh, x : x + bw], [outline], -1, 1, thickness=_OUTLINE_BAND)
            boxes.append(Box(x + ox, y + oy, ow, oh))
        elif fill >= _CANVAS_FILL and (x <= 1) + (y <= 1) + (x + bw >= w - 1) + (y + bh >= h - 1) >= 2:
            # The page's own background, around a side bar that stops short of the bottom (an
            # L-shaped canvas): it reaches two sides of the screenshot, as no chart or icon does.
            is_box[index] = True
            cv2.drawContours(outlines[y : y + bh, x : x + bw], [outline], -1, 1, thickness=_OUTLINE_BAND)
    return np.asarray(is_box[labels] | (outlines > 0)), boxes


def _thin_lines(residual: np.ndarray) -> np.ndarray:
    """Long horizontal or vertical runs thinner than _LINE_THICKNESS px (dividers, borders), bool."""
    mask = residual.view(np.uint8)
    horizontal = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, _LINE_LENGTH), np.uint8))
    vertical = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((_LINE_LENGTH, 1), np.uint8))
    thick_h = cv2.morphologyEx(horizontal, cv2.MORPH_OPEN, np.ones((_LINE_THICKNESS, 1), np.uint8))
    thick_v = cv2.morphologyEx(vertical, cv2.MORPH_OPEN, np.ones((1, _LINE_THICKNESS), np.uint8))
    return np.asarray(((horizontal > 0) & (thick_h == 0)) | ((vertical > 0) & (thick_v == 0)))


def _merge_overlapping(
    boxes: list[tuple[int, int, int, int]], reach: int = 0
) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) joined while any two overlap or come within ``reach`` px (the parts
    of a donut, of a picture)."""
    boxes = sorted(boxes)
    merged = True
    while merged:
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for box in boxes:
            for i, other in enumerate(out):
                if (
                    box[0] < other[2] + reach
                    and other[0] < box[2] + reach
                    and box[1] < other[3] + reach
                    and other[1] < box[3] + reach
                ):
                    out[i] = (
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    )
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return boxes


def text_boxes(rgb: np.ndarray, lines: Sequence[TextBlock], ocr: OcrEngine | None) -> list[Box]:
    """The boxes of a screenshot's text lines, without any icon that OCR's box took in at an end.

    OCR's detector boxes a label together with the icon beside it ("[logo] ACME", "Inbox [caret]").
    A cluster of ink at either end of a line, set apart by a gap and shaped like an icon (one or two
    shapes, not a row of letters), is not text when the recognizer, reading it alone, does not read
    what the line says at that end; the box is then cut before it.
    Lines of one letter or digit are left out altogether: a lone letter is as likely an icon OCR read
    as a letter (a logo's "G"), and the graphics term compares it either way. (One ideograph is a
    word: it stays text.)
    """
    h, w = rgb.shape[:2]
    kept = [line for line in lines if len(line.key) >= 2 or _ideographic(line.key)]
    boxes = [_without_symbols(rgb, line) for line in kept]
    if ocr is None:
        return boxes
    trials: list[tuple[int, str, Box]] = []  # (line index, which end, the cluster's box)
    for index in range(len(kept)):
        for end, cluster in _end_clusters(rgb, boxes[index]):
            trials.append((index, end, cluster))
        if len(trials) >= _MAX_TRIMS:
            break
    if not trials:
        return boxes
    crops = []
    for _index, _end, box in trials:
        x0, y0 = max(int(box.x) - 2, 0), max(int(box.y) - 2, 0)
        x1, y1 = min(int(np.ceil(box.right)) + 2, w), min(int(np.ceil(box.bottom)) + 2, h)
        crops.append(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    for (index, end, cluster), (text, _confidence) in zip(
        trials, ocr.recognize(crops, batch=True), strict=True
    ):
        reading, key = normalize_text(text), kept[index].key
        if reading and (key.startswith(reading) if end == "start" else key.endswith(reading)):
            continue  # the cluster is what the line says at that end
        box = boxes[index]
        if end == "start":
            boxes[index] = Box(cluster.right, box.y, box.right - cluster.right, box.height)
        else:
            boxes[index] = Box(box.x, box.y, cluster.x - box.x, box.height)
    return boxes


def _pictograph(ch: str) -> bool:
    """A character that is a picture, not a letter: stars, hearts, ticks, arrows, shapes (what OCR
    writes for rating stars or a bullet icon). Text symbols (currency, math, (c), degrees) are not."""
    if ch in _TEXT_SYMBOLS:
        return False
    return unicodedata.category(ch) == "So" or 0x2190 <= ord(ch) <= 0x21FF


_TEXT_SYMBOLS = frozenset("©®℗™°№℮")


def _without_symbols(rgb: np.ndarray, line: TextBlock) -> Box:
    """The line's box without the pictographs OCR read at either end ("★★★★☆ 4.2 · 318 reviews").

    The text terms ignore such characters (they are not in a line's key), so their ink is the
    graphics term's: the box is cut after the first k runs of ink (k leading symbols), or before
    the last k. Symbols that touch, so the runs do not count them, leave the box as it is.
    """
    text = line.text.strip()
    lead, trail = _leading_pictographs(text), _leading_pictographs(text[::-1])
    if not (lead or trail) or not any(ch.isalnum() for ch in text):
        return line.box
    runs = _ink_runs(rgb, line.box)
    box = line.box
    if lead and len(runs) > lead:
        cut = box.x + (runs[lead - 1][1] + runs[lead][0]) / 2
        box = Box(cut, box.y, box.right - cut, box.height)
    if trail and len(runs) > trail + (lead if box is not line.box else 0):
        cut = line.box.x + (runs[-trail - 1][1] + runs[-trail][0]) / 2
        box = Box(box.x, box.y, cut - box.x, box.height)
    return box


def _leading_pictographs(text: str) -> int:
    count = 0
    for ch in text:
        if _pictograph(ch):
            count += 1
        elif not ch.isspace():
            break
    return count


def _ink_runs(rgb: np.ndarray, box: Box) -> list[tuple[int, int]]:
    """The runs of columns with ink in ``box`` (x offsets from its left, end exclusive)."""
    h, w = rgb.shape[:2]
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(int(np.ceil(box.right)), w), min(int(np.ceil(box.bottom)), h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return []
    ink = _ink(rgb[y0:y1, x0:x1])
    if ink is None:
        return []
    offset = x0 - int(box.x)
    return [(a + offset, b + offset) for a, b in _runs(ink.any(axis=0))]


def _ink(crop: np.ndarray) -> np.ndarray | None:
    """The pixels of ``crop`` (RGB) clearly apart from its dominant color, or None when none is."""
    distance = np.sqrt(((crop.astype(np.int32) - np.array(dominant_color(crop))) ** 2).sum(axis=2))
    peak = float(distance.max())
    if peak < 40:
        return None
    return np.asarray(distance > max(40.0, 0.35 * peak))


def _runs(flags: npt.ArrayLike) -> list[tuple[int, int]]:
    """The runs of True in a 1-D bool array: (start, end exclusive)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(flags, dtype=np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _end_clusters(rgb: np.ndarray, box: Box) -> list[tuple[str, Box]]:
    """Each end of the line in ``box`` holding an icon-sized cluster of ink (one or two shapes)
    set apart from the rest by a gap: ("start" | "end", the cluster's box)."""
    h, w = rgb.shape[:2]
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(int(np.ceil(box.right)), w), min(int(np.ceil(box.bottom)), h)
    height = y1 - y0
    if height < 8 or x1 - x0 < 2 * height:
        return []
    ink = _ink(rgb[y0:y1, x0:x1])
    if ink is None:
        return []
    columns = np.flatnonzero(ink.any(axis=0))
    if len(columns) == 0:
        return []
    gap = max(2, round(_ICON_GAP * height))
    breaks = np.flatnonzero(np.diff(columns) > gap)
    starts = np.concatenate([[columns[0]], columns[breaks + 1]])
    ends = np.concatenate([columns[breaks], [columns[-1]]]) + 1
    if len(starts) < 2:
        return []
    found = []
    for end, (c0, c1) in (("start", (starts[0], ends[0])), ("end", (starts[-1], ends[-1]))):
        cluster = ink[:, c0:c1]
        rows = np.flatnonzero(cluster.any(axis=1))
        width, tall = int(c1 - c0), int(rows[-1] - rows[0] + 1) if len(rows) else 0
        if not (0.3 * height <= width <= 1.6 * height and tall >= 0.3 * height):
            continue
        # An icon is one or two shapes side by side (parts of a shape may stack: the heads and
        # bodies of a "people" icon); a word at the end of a line is a row of letters.
        parts, _labels, stats, _ = cv2.connectedComponentsWithStats(cluster.view(np.uint8), connectivity=8)
        spans = sorted(
            (int(stats[k, cv2.CC_STAT_LEFT]), int(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH]))
            for k in range(1, parts)
            if stats[k, cv2.CC_STAT_AREA] >= 3
        )
        side_by_side = 0
        reach = -1
        for left, right in spans:
            if left >= reach:
                side_by_side += 1
            reach = max(reach, right)
        if side_by_side > 2:
            continue
        found.append((end, Box(x0 + int(c0), y0, int(c1 - c0), height)))
    return found


def _ideographic(key: str) -> bool:
    return any(unicodedata.category(ch) == "Lo" for ch in key)
