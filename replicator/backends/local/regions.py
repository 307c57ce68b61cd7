"""Boxes, dividers and graphics found by classical image analysis (OpenCV, NumPy).

Flat areas are the connected components of pixels that differ from none of their neighbours by more
than a small step (so gradients stay whole and every boundary, glyph or icon stroke separates them).
A component whose outline is a (rounded) rectangle is a box; thin runs of one color are dividers;
whatever is left once text, boxes and dividers are explained is a graphic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.special import erfc

from ...models import RGB, Box
from .model import Region, Rule, Shape

# Largest per-channel step between neighbouring pixels that still counts as "the same surface".
STEP = 3
MIN_BOX_AREA = 120
_CORNER_AREA = 1 - math.pi / 4  # what a rounded corner of radius r removes from a square: 0.2146 r^2


@dataclass
class Surfaces:
    """The flat-area segmentation of a screenshot."""

    labels: np.ndarray  # int32, 0 on edge pixels
    stats: np.ndarray  # cv2 stats rows: x, y, w, h, area
    means: np.ndarray  # float (n, 3) mean color per label
    edge: np.ndarray  # bool
    # The largest channel step to the right and down neighbours (uint8), for a finer look.
    steps: tuple[np.ndarray, np.ndarray]


def _step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = cv2.absdiff(a, b)
    return np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])


def segment(rgb: np.ndarray) -> Surfaces:
    rgb = np.ascontiguousarray(rgb)
    steps = (_step(rgb[:, 1:], rgb[:, :-1]), _step(rgb[1:], rgb[:-1]))
    edge = _edges(steps, STEP)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~edge).view(np.uint8), connectivity=4)
    flat = labels.ravel()
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    area[area == 0] = 1
    means = np.zeros((count, 3))
    for c in range(3):
        channel = rgb[:, :, c].ravel().astype(np.float32)
        means[:, c] = np.bincount(flat, weights=channel, minlength=count) / area
    return Surfaces(labels, stats, means, edge, steps)


def _edges(steps: tuple[np.ndarray, np.ndarray], step: int) -> np.ndarray:
    """Pixels with a neighbour more than ``step`` levels off (in any channel)."""
    right, down = steps[0] > step, steps[1] > step
    edge = np.zeros((down.shape[0] + 1, right.shape[1] + 1), dtype=bool)
    edge[:, :-1] |= right
    edge[:, 1:] |= right
    edge[:-1] |= down
    edge[1:] |= down
    return edge


def as_rgb(color: np.ndarray) -> RGB:
    r, g, b = (round(float(v)) for v in color[:3])
    return (r, g, b)


def crop_around(rgb: np.ndarray, box: Box, pad: int = 2) -> tuple[np.ndarray, int, int]:
    """The pixels of ``box`` with ``pad`` px of its surroundings (clamped to the image), and the
    crop's page offset."""
    height, width = rgb.shape[:2]
    x0, y0 = max(int(box.x) - pad, 0), max(int(box.y) - pad, 0)
    x1, y1 = min(math.ceil(box.right) + pad, width), min(math.ceil(box.bottom) + pad, height)
    return rgb[y0:y1, x0:x1], x0, y0


def edge_pixels(pixels: np.ndarray) -> np.ndarray:
    """The values along an array's four edges (a crop's surroundings, where its background shows)."""
    return np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])


def box_mask(shape: tuple[int, ...], boxes: Sequence[Box], x0: int, y0: int, pad: int = 0) -> np.ndarray:
    """A mask of ``shape`` (a crop that starts at page point (x0, y0)) that is True on ``boxes``
    (page coordinates), each grown by ``pad`` px."""
    mask = np.zeros(shape[:2], dtype=bool)
    for t in boxes:
        mask[
            max(int(t.y) - y0 - pad, 0) : max(math.ceil(t.bottom) - y0 + pad, 0),
            max(int(t.x) - x0 - pad, 0) : max(math.ceil(t.right) - x0 + pad, 0),
        ] = True
    return mask


def mode_color(pixels: np.ndarray, step: int = 4) -> np.ndarray:
    """The most frequent color among ``pixels`` (n, 3), quantized to ``step`` levels per channel
    (the median of that bin's pixels)."""
    q = (pixels // step).astype(np.int32)
    keys = q[:, 0] * 4096 + q[:, 1] * 64 + q[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    top = values[np.argmax(counts)]
    return np.median(pixels[keys == top], axis=0)


def tile_middle(pixels: np.ndarray, background: RGB) -> tuple[np.ndarray, RGB] | None:
    """The middle of a tinted tile an icon sits on, and the tile's fill, when the ink of the RGB
    crop ``pixels`` (against ``background``) is such a tile: a solid, squarish block of one fill,
    16 px or more, with marks of another colour in its middle (a file list's light blue square
    round a blue picture icon, which OCR read "B"). The icon index reads the icon on that fill;
    against the page's colour the tile is ink too, and no icon matches."""
    crop = pixels.astype(np.int16)
    inked = np.abs(crop - np.array(background, dtype=np.int16)).max(axis=2) > 14
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    w, h = x1 - x0, y1 - y0
    if min(w, h) < 16 or not 0.7 <= w / h <= 1.4 or float(inked[y0:y1, x0:x1].mean()) < 0.7:
        return None
    block = crop[y0:y1, x0:x1]
    fill = mode_color(block.reshape(-1, 3))
    if float((np.abs(block - fill).max(axis=2) <= 6).mean()) < 0.5:
        return None
    inset_x, inset_y = round(0.18 * w), round(0.18 * h)
    middle = block[inset_y : h - inset_y, inset_x : w - inset_x]
    if not (np.abs(middle - fill).max(axis=2) > 40).any():
        return None  # an empty tile: nothing on it
    return middle.astype(np.uint8), as_rgb(fill)


def color_distance(a: RGB, b: RGB) -> int:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2]))


def _spans(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether it has pixels, first and last pixel column."""
    has = np.asarray(mask.any(axis=1))
    first = np.asarray(np.argmax(mask, axis=1))
    last = np.asarray(mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1))
    return has, first, last


def _without_ragged_sides(
    x: int, y: int, w: int, h: int, mask: np.ndarray
) -> tuple[int, int, int, int, np.ndarray]:
    """The component without an outermost column or row that a neighbour's shading lent it: a
    side whose last line holds less than a quarter of what the opposite side's last line holds.
    (bulma_product's quantity field: its inset shadow met the "+" button's below that button's
    edge, and the field's inside gained two pixels of a 61st column, which no rectangle fits.)
    A round shape's opposite sides are alike and keep their lines."""
    if w < 8 or h < 8:
        return x, y, w, h, mask
    left, right = int(mask[:, 0].sum()), int(mask[:, -1].sum())
    top, bottom = int(mask[0].sum()), int(mask[-1].sum())
    x0, x1 = int(4 * left < right), w - int(4 * right < left)
    y0, y1 = int(4 * top < bottom), h - int(4 * bottom < top)
    return x + x0, y + y0, x1 - x0, y1 - y0, mask[y0:y1, x0:x1]


# A speech bubble's pointer: a triangle standing out of one side of a box (a chat message's
# tail). In rows (or columns) along that side, at least this many and at most this share of it.
_POINTER_MIN = 5
_POINTER_SHARE = 0.6
_POINTER_DEPTH = 3  # px past the side, at its tip


def _pointer(mask: np.ndarray) -> tuple[str, int, int, int, int, int] | None:
    """The triangle standing out of one side of a box's component (cropped to its bbox): its side
    ("left", "right", "top", "bottom"), the side's column (or row) in the crop, the first and the
    last row (column) it spans, its tip's row (column) and the tip's column (row). None when no
    side has one.

    Along the side, the rows that reach past the side's own edge (the median of their ends) must
    be one run, a few rows long, that narrows from its widest row to both of its ends (a tab holds
    its width), its ink about half the rectangle it spans (a triangle's); the side's other rows
    end at its edge (a disc's do not)."""
    for side in ("right", "left", "bottom", "top"):
        flipped = mask if side in ("right", "left") else mask.T
        if side in ("left", "top"):
            flipped = flipped[:, ::-1]
        found = _right_pointer(flipped)
        if found is None:
            continue
        edge, first, last, tip_row, tip = found
        width = flipped.shape[1]
        if side in ("left", "top"):
            edge, tip = width - 1 - edge, width - 1 - tip
        return side, edge, first, last, tip_row, tip
    return None


def _right_pointer(mask: np.ndarray) -> tuple[int, int, int, int, int] | None:
    """``_pointer`` on the right side: (edge column, first row, last row, tip row, tip column)."""
    h, w = mask.shape
    if h < 2 * _POINTER_MIN or w < 4 * _POINTER_DEPTH:
        return None
    has, _first, last = _spans(mask)
    if not has.all():
        return None
    edge = int(np.median(last))
    out = np.flatnonzero(last > edge)
    if not _POINTER_MIN <= len(out) <= _POINTER_SHARE * h or out[-1] - out[0] + 1 != len(out):
        return None
    # The side itself is straight: its other rows end at its edge (a disc's do not), but for
    # the rounded corners.
    others = np.delete(last, out)
    if float((np.abs(others - edge) <= 1).mean()) < 0.7:
        return None
    reach = last[out] - edge
    depth = int(reach.max())
    widest = int(np.argmax(reach))
    if depth < _POINTER_DEPTH or depth > 2 * len(out) or max(reach[0], reach[-1]) > depth / 2:
        return None
    # Narrowing to both ends: no row reaches further than the row before it on the way out.
    if (np.diff(reach[: widest + 1]) < 0).any() or (np.diff(reach[widest:]) > 0).any():
        return None
    # About half the rectangle it spans: a triangle's (its antialiased rim is not in the
    # component, which blunts a small one's tip: a 5 px deep tail measures 0.75).
    area = float(mask[out, edge + 1 :].sum())
    if not 0.3 <= area / (len(out) * depth) <= 0.8:
        return None
    # (The tip's row: the middle of the rows that reach furthest.)
    tip_row = round(float(out[reach == depth].mean()))
    return edge, int(out[0]), int(out[-1]), tip_row, int(last[out[widest]])


def _without_pointer(
    x: int, y: int, w: int, h: int, mask: np.ndarray, pointer: tuple[str, int, int, int, int, int]
) -> tuple[int, int, int, int, np.ndarray, list[tuple[float, float]]]:
    """The component without its pointer (x, y, w, h and mask) and the pointer's triangle in page
    px: its base on the box's side (a pixel inside, so no seam shows). The component stops short
    of the antialiased rim, which blunts a small triangle most at its tip: the base is drawn a
    pixel and a half past the component's ends, the tip two and a half."""
    side, edge, first, last, tip_row, tip = pointer
    if side in ("right", "left"):
        base = float(x + edge + 1 if side == "right" else x + edge)
        point = x + tip + 2.5 if side == "right" else x + tip - 1.5
        tri = [(base, y + first - 1.5), (point, y + tip_row + 0.5), (base, y + last + 2.5)]
        if side == "right":
            return x, y, edge + 1, h, mask[:, : edge + 1], tri
        return x + edge, y, w - edge, h, mask[:, edge:], tri
    base = float(y + edge + 1 if side == "bottom" else y + edge)
    point = y + tip + 2.5 if side == "bottom" else y + tip - 1.5
    tri = [(x + first - 1.5, base), (x + tip_row + 0.5, point), (x + last + 2.5, base)]
    if side == "bottom":
        return x, y, w, edge + 1, mask[: edge + 1], tri
    return x, y + edge, w, h - edge, mask[edge:], tri


def _shape(mask: np.ndarray) -> tuple[bool, float]:
    """Whether ``mask`` (a component cropped to its bbox) outlines a rounded rectangle; its radius.

    Holes (text, children) do not count: each row is filled between its first and last pixel, then
    compared with the ideal rounded rectangle whose corner radius the corner notches imply.
    """
    h, w = mask.shape
    has_r, first_r, last_r = _spans(mask)
    cols = np.arange(w)
    filled = has_r[:, None] & (cols[None, :] >= first_r[:, None]) & (cols[None, :] <= last_r[:, None])
    full = float(w * h)
    quarter = max(1, min(h, w) // 2)
    left_in = np.where(has_r, first_r, w // 2).astype(np.float64)
    right_in = np.where(has_r, w - 1 - last_r, w // 2).astype(np.float64)
    corners = [
        float(left_in[:quarter].sum()),
        float(right_in[:quarter].sum()),
        float(left_in[h - quarter :].sum()),
        float(right_in[h - quarter :].sum()),
    ]
    radii = [math.sqrt(max(a, 0.0) / _CORNER_AREA) for a in corners]
    radius = min(sum(radii) / 4, min(w, h) / 2)
    if radius < 1.5:
        radius = 0.0
    mismatch = float(np.count_nonzero(filled != rounded_rect(h, w, round(radius))))
    half = min(w, h) / 2
    if w == h and half <= 20 and 0.5 * half <= radius:
        # A disc's antialiased rim is not part of its component, so its corner notches read
        # small (a 24 px swatch as radius 9): a whole half side is tried as well (the ideal
        # shape's arcs of an even side are a pixel short).
        whole = min(
            float(np.count_nonzero(filled != rounded_rect(h, w, r))) for r in (int(half) - 1, int(half))
        )
        if whole < mismatch:
            radius, mismatch = half, whole
    # Allow the antialiased rim of the curves and a little noise.
    allowed = 0.015 * full + 2.0 + 1.2 * math.pi * radius
    if mismatch > allowed:
        return False, 0.0
    return True, radius + 0.5 if radius else 0.0


def _gradient_samples(
    rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, dict[int, np.ndarray]] | None:
    """Up to 4000 of the masked pixels of ``box`` (x, y, w, h): their colors, and for each CSS
    angle tried their place (0..1) along the gradient line, which spans the box as CSS's does.
    None: too few pixels to fit."""
    x, y, w, h = box
    ys, xs = np.nonzero(mask)
    if len(xs) < 50:
        return None
    step = max(1, len(xs) // 4000)
    ys, xs = ys[::step], xs[::step]
    places: dict[int, np.ndarray] = {}
    for angle in (180, 90, 135, 45, 160, 120):
        a = math.radians(angle)
        length = abs(w * math.sin(a)) + abs(h * math.cos(a))
        places[angle] = ((xs - w / 2) * math.sin(a) - (ys - h / 2) * math.cos(a)) / max(length, 1.0) + 0.5
    return rgb[y + ys, x + xs].astype(np.float64), places


def fit_gradient(
    rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[int, np.ndarray, np.ndarray] | None:
    """The linear gradient (CSS angle, start and end color) that reproduces the masked pixels of
    ``box`` (x, y, w, h), or None if none fits. The gradient line spans the box as CSS's does."""
    samples = _gradient_samples(rgb, mask, box)
    if samples is None:
        return None
    colors, places = samples
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    for angle, t in places.items():
        design = np.stack([1 - t, t], axis=1)
        coef, *_ = np.linalg.lstsq(design, colors, rcond=None)
        err = float(np.sqrt(np.mean((design @ coef - colors) ** 2)))
        if best is None or err < best[0] - 0.05:
            best = (err, angle, coef[0], coef[1])
    if best is None or best[0] > 3.5:
        return None
    _, angle, start, end = best
    return angle, np.clip(start, 0, 255), np.clip(end, 0, 255)


def fit_three_stops(
    rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[int, float, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """The linear gradient of three stops (CSS angle, the middle stop's place 0..1, the three
    colors) that reproduces the masked pixels of ``box``, or None if none fits: a hero's "purple,
    indigo at 55%, sky" that no two-stop line fits. The colors between stops are linear in the
    place along the gradient line, as CSS draws them, so each candidate is one least-squares fit
    of three hat functions."""
    samples = _gradient_samples(rgb, mask, box)
    if samples is None:
        return None
    colors, places = samples
    best: tuple[float, int, float, np.ndarray] | None = None
    for angle, t in places.items():
        for middle in np.arange(0.2, 0.81, 0.05):
            first = np.clip(1 - t / middle, 0, 1)
            last = np.clip((t - middle) / (1 - middle), 0, 1)
            design = np.stack([first, 1 - first - last, last], axis=1)
            coef, *_ = np.linalg.lstsq(design, colors, rcond=None)
            err = float(np.sqrt(np.mean((design @ coef - colors) ** 2)))
            if best is None or err < best[0] - 0.05:
                best = (err, angle, float(middle), coef)
    if best is None or best[0] > 3.5:
        return None
    _, angle, middle, coef = best
    start, mid, end = (np.clip(c, 0, 255) for c in coef)
    return angle, middle, (start, mid, end)


def gradient_css(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> str | None:
    """A CSS linear-gradient that reproduces the masked pixels of ``box``, of two stops or
    else three, or None if none fits."""
    fit = fit_gradient(rgb, mask, box)
    return _two_stops_css(*fit) if fit is not None else _three_stops_css(rgb, mask, box)


def _two_stops_css(angle: int, start: np.ndarray, end: np.ndarray) -> str:
    return f"linear-gradient({angle}deg, {_hex(as_rgb(start))}, {_hex(as_rgb(end))})"


def _three_stops_css(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> str | None:
    """``fit_three_stops`` as CSS, or None: no fit, or one alike at both ends (see below)."""
    three = fit_three_stops(rgb, mask, box)
    if three is None:
        return None
    angle, middle, (start, mid, end) = three
    if color_distance(as_rgb(start), as_rgb(end)) <= 12:
        # Light in the middle and alike at both ends: a photo's vignette (a product shot's soft
        # backdrop, whose product then lost its picture to a box), or a soft shadow's spread.
        return None
    return (
        f"linear-gradient({angle}deg, {_hex(as_rgb(start))}, {_hex(as_rgb(mid))} {round(middle * 100)}%, "
        f"{_hex(as_rgb(end))})"
    )


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every hole (background not reachable from the window's edge) filled in."""
    padded = np.pad(mask, 1).astype(np.uint8)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 2)
    return (flood != 2)[1:-1, 1:-1]


def _hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def find_regions(
    rgb: np.ndarray, surfaces: Surfaces, text_mask: np.ndarray, text_boxes: list[Box] | None = None
) -> tuple[Region, list[Region], dict[int, Region]]:
    """The page (root) and every (rounded) rectangle, nested by containment.

    Returns the root, all regions (visible or not) in document order, and component label -> region.
    """
    height, width = rgb.shape[:2]
    stats, means, labels = surfaces.stats, surfaces.means, surfaces.labels
    root_label, root_fill, root_gradient = _page_background(rgb, surfaces)
    root = Region(Box(0, 0, width, height), root_fill, gradient=root_gradient)
    found: list[tuple[int, Region]] = []
    for label in range(1, len(stats)):
        x, y, w, h, area = (int(v) for v in stats[label])
        if label == root_label or area < MIN_BOX_AREA or w < 6 or h < 6:
            continue
        if w >= width - 2 and h >= height - 2:
            continue
        if text_mask[y : y + h, x : x + w].mean() > 0.6 and not _behind_text(
            rgb, means[label], (x, y, w, h), text_boxes
        ):
            continue  # the inside of a thick glyph
        mask = labels[y : y + h, x : x + w] == label
        x, y, w, h, mask = _without_ragged_sides(x, y, w, h, mask)
        pointer = _pointer(mask)
        if pointer is not None:
            x, y, w, h, mask, tip = _without_pointer(x, y, w, h, mask, pointer)
        ok, radius = _shape(mask)
        if not ok:
            continue
        gradient = None
        pixels = rgb[y : y + h, x : x + w][mask]
        if float(pixels.astype(np.float32).std(axis=0).max()) > 2.0:
            gradient = gradient_css(rgb, mask, (x, y, w, h))
            if gradient is None:
                continue  # textured: a photo or illustration, not a box
        # The component stops one pixel short of its true edge (that pixel differs from outside).
        box = Box(
            max(x - 1, 0),
            max(y - 1, 0),
            min(w + 2, width - max(x - 1, 0)),
            min(h + 2, height - max(y - 1, 0)),
        )
        region = Region(box, as_rgb(means[label]), gradient=gradient, radius=round(radius))
        if pointer is not None and gradient is None:
            region.pointer = Shape(tip, region.fill)
        found.append((label, region))
    faint, owners = _faint_boxes(rgb, surfaces, text_mask, [r.box for _, r in found])
    for box, fill, radius in faint:
        found.append((-1, Region(box, fill, radius=radius)))
    # The component a faint box ran into took its color into its mean: its own color is the rest's.
    for label, region in [(root_label, root), *found]:
        if label in owners:
            region.fill = owners[label]
    # Nest: biggest first, each under the smallest earlier region that contains it.
    found.sort(key=lambda item: (-item[1].box.area, item[1].box.y, item[1].box.x))
    placed: list[Region] = []
    for _, region in found:
        parent = root
        for candidate in reversed(placed):
            if _contains(candidate.box, region.box, 2):
                parent = candidate
                break
        region.parent = parent
        placed.append(region)
    for _, region in found:
        _detect_border(rgb, region)
    _share_borders([r for _, r in found])
    for _, region in found:
        surface = region.parent.fill if region.parent is not None else root.fill
        detect_shadow(rgb, region, surface)
    for _, region in found:
        parent_fill = region.parent.fill if region.parent else root.fill
        region.visible = bool(
            region.gradient
            or region.has_border
            or color_distance(region.fill, parent_fill) >= 3
            or (region.parent is not None and region.parent.gradient is not None)
        )
    by_label = {label: region for label, region in found if label >= 0}
    regions = [r for _, r in found]
    for region in regions:
        if region.parent is not None:
            region.parent.children.append(region)
    for region in [root, *regions]:
        region.children.sort(key=lambda r: (r.box.y, r.box.x))
    return root, regions, by_label


# Faint boxes: a card a few levels off its page (daisyUI's base-200 on base-100 in the dark
# theme, #0c1425 on #0f172a), whose rounded corners' antialiasing steps by less than STEP, so the
# segmentation runs the card into the page through its corners. At this step the corners part
# them; only components this big are looked at (a 36 px light round button, bs_chat's
# paperclip, is about 1,000 px).
_FAINT_STEP = 1
_FAINT_AREA = 900
_FAINT_SIDE = 24


def _faint_boxes(
    rgb: np.ndarray, surfaces: Surfaces, text_mask: np.ndarray, known: list[Box]
) -> tuple[list[tuple[Box, RGB, int]], dict[int, RGB]]:
    """Boxes (box, fill, radius) a finer segmentation finds inside a component of the main one
    that is much bigger than they are: flat rounded rectangles a few levels off their
    surroundings, not already found; and the color of each main component that holds some,
    without them."""
    height, width = rgb.shape[:2]
    rgb = np.ascontiguousarray(rgb)
    edge = _edges(surfaces.steps, _FAINT_STEP)
    _count, labels, stats, _ = cv2.connectedComponentsWithStats((~edge).view(np.uint8), connectivity=4)
    out: list[tuple[Box, RGB, int]] = []
    taken: dict[int, tuple[np.ndarray, int]] = {}  # owner -> color sum and count of its faint boxes
    for label in np.flatnonzero(
        (stats[:, cv2.CC_STAT_AREA] >= _FAINT_AREA)
        & (stats[:, cv2.CC_STAT_WIDTH] >= _FAINT_SIDE)
        & (stats[:, cv2.CC_STAT_HEIGHT] >= _FAINT_SIDE)
    ):
        x, y, w, h, area = (int(v) for v in stats[label])
        if label == 0 or (w >= width - 2 and h >= height - 2):
            continue
        mask = labels[y : y + h, x : x + w] == label
        main = surfaces.labels[y : y + h, x : x + w][mask]
        owner = int(np.bincount(main[main > 0]).argmax()) if (main > 0).any() else 0
        if owner == 0 or int(surfaces.stats[owner, cv2.CC_STAT_AREA]) < 1.3 * area:
            continue  # the main segmentation has it on its own (or it is the bigger part)
        if text_mask[y : y + h, x : x + w].mean() > 0.6:
            continue
        pixels = rgb[y : y + h, x : x + w][mask].astype(np.float32)
        if float(pixels.std(axis=0).max()) > 1.5:
            continue  # a slow gradient, a photo's flat patch
        fill = pixels.mean(axis=0)
        around = mode_color(edge_pixels(rgb[max(y - 3, 0) : y + h + 3, max(x - 3, 0) : x + w + 3]))
        if float(np.abs(fill - around).max()) < 2.5:
            continue  # the same color as around it: a layout hint, not a box
        x, y, w, h, mask = _without_ragged_sides(x, y, w, h, mask)
        box = Box(
            max(x - 1, 0),
            max(y - 1, 0),
            min(w + 2, width - max(x - 1, 0)),
            min(h + 2, height - max(y - 1, 0)),
        )
        if any(_same_box(box, k) for k in known):
            continue
        ok, radius = _shape(mask)
        if ok:
            out.append((box, as_rgb(fill), round(radius)))
            total, count = taken.get(owner, (np.zeros(3), 0))
            taken[owner] = (total + pixels.sum(axis=0), count + len(pixels))
    owners: dict[int, RGB] = {}
    for owner, (total, count) in taken.items():
        rest = int(surfaces.stats[owner, cv2.CC_STAT_AREA]) - count
        if rest > 0:
            owners[owner] = as_rgb((surfaces.means[owner] * (rest + count) - total) / rest)
    return out, owners


def _same_box(a: Box, b: Box, slack: float = 3.0) -> bool:
    return (
        abs(a.x - b.x) <= slack
        and abs(a.y - b.y) <= slack
        and abs(a.right - b.right) <= slack
        and abs(a.bottom - b.bottom) <= slack
    )


def _behind_text(
    rgb: np.ndarray, color: np.ndarray, bbox: tuple[int, int, int, int], text_boxes: list[Box] | None
) -> bool:
    """Whether a component under text is a filled box holding that text (a badge, a pill), not
    a glyph's inside: some text line lies within it, and around that line the page has another
    color (a letter's counter has the color around its word)."""
    if not text_boxes:
        return False
    height, width = rgb.shape[:2]
    x, y, w, h = bbox
    for box in text_boxes:
        inside = box.x >= x - 3 and box.y >= y - 3 and box.right <= x + w + 3 and box.bottom <= y + h + 3
        if not inside or box.width * box.height < 0.3 * w * h:
            continue
        x0, y0 = max(x - 3, 0), max(y - 3, 0)
        x1, y1 = min(x + w + 3, width - 1), min(y + h + 3, height - 1)
        ring = np.concatenate([rgb[y0, x0:x1], rgb[y1, x0:x1], rgb[y0:y1, x0], rgb[y0:y1, x1]])
        around = np.median(ring.astype(np.float64), axis=0)
        return float(np.abs(around - color).max()) > 24
    return False


def _page_background(rgb: np.ndarray, surfaces: Surfaces) -> tuple[int, RGB, str | None]:
    """The page's own color: the one that covers the most pixels (summed over its components).

    A gradient is the page's background only when it spans the page; a gradient band (a hero)
    is a box on the page, however big.
    """
    height, width = rgb.shape[:2]
    stats, means, labels = surfaces.stats, surfaces.means, surfaces.labels
    totals: dict[RGB, int] = {}
    biggest: dict[RGB, tuple[int, int]] = {}
    outer: dict[RGB, tuple[int, int]] = {}
    for label in range(1, len(stats)):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if area < MIN_BOX_AREA:
            continue
        color = as_rgb(means[label])
        key = (color[0] // 3, color[1] // 3, color[2] // 3)
        totals[key] = totals.get(key, 0) + area  # type: ignore[index]
        if area > biggest.get(key, (0, 0))[0]:  # type: ignore[call-overload]
            biggest[key] = (area, label)  # type: ignore[index]
    ranked = sorted(totals, key=lambda k: (totals[k], k), reverse=True)[:4]
    # The page's color reaches the page's edges; a big card's inside (a form on a tinted page)
    # does not: such a color is passed over for one that does and covers a fair share too.
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    touching: set[tuple[int, int, int]] = set()
    for edge_label in edge_labels.tolist():
        area = int(stats[edge_label, cv2.CC_STAT_AREA])
        if edge_label > 0 and area >= MIN_BOX_AREA:
            c = as_rgb(means[edge_label])
            key = (c[0] // 3, c[1] // 3, c[2] // 3)
            touching.add(key)
            # The page's own piece of its color is one that reaches its edges (a white nav bar),
            # not a bigger closed box of that color (a white card on a grey body), which is a box.
            if area > outer.get(key, (0, 0))[0]:  # type: ignore[call-overload]
                outer[key] = (area, edge_label)  # type: ignore[index]
    if ranked and ranked[0] not in touching:
        reaching = [k for k in ranked[1:] if k in touching and totals[k] >= 0.25 * totals[ranked[0]]]
        if reaching:
            ranked = [reaching[0]] + [k for k in ranked if k != reaching[0]]
    for key in ranked:
        label = outer.get(key, biggest[key])[1]
        x, y, w, h, _ = (int(v) for v in stats[label])
        mask = labels[y : y + h, x : x + w] == label
        pixels = rgb[y : y + h, x : x + w][mask]
        fit = None
        if float(pixels.astype(np.float32).std(axis=0).max()) > 2.0:
            fit = fit_gradient(rgb, mask, (x, y, w, h))
            if fit is None:
                css = _three_stops_css(rgb, mask, (x, y, w, h))
                if css is None:
                    return label, as_rgb(means[label]), None
                if w >= width - 2 and h >= height - 2:
                    return label, as_rgb(means[label]), css
                continue  # a band of three stops (a hero) is a box on the page
        # Soft shadows melt into a flat background and spread its colors; only a fitted gradient
        # whose ends differ visibly is one.
        if fit is None or color_distance(as_rgb(fit[1]), as_rgb(fit[2])) <= 6:
            return label, as_rgb(means[label]), None
        if w >= width - 2 and h >= height - 2:
            return label, as_rgb(means[label]), _two_stops_css(*fit)
    if not totals:
        return 0, (255, 255, 255), None
    key = max(totals, key=lambda k: (totals[k], k))
    return biggest[key][1], as_rgb(means[biggest[key][1]]), None


def _contains(outer: Box, inner: Box, tolerance: float) -> bool:
    return (
        inner.x >= outer.x - tolerance
        and inner.y >= outer.y - tolerance
        and inner.right <= outer.right + tolerance
        and inner.bottom <= outer.bottom + tolerance
        and outer.area >= inner.area
    )


def _detect_border(rgb: np.ndarray, region: Region) -> None:
    """Find each side's true edge and border: a 1-4 px run of one color between fill and outside.

    The component stops where its fill stops, so a border lies just outside it.
    """
    height, width = rgb.shape[:2]
    b = region.box
    x0, y0, x1, y1 = int(b.x), int(b.y), int(b.right), int(b.bottom)
    inset = int(region.radius) + 2
    mx0, mx1 = min(x0 + inset, x1 - 1), max(x1 - inset, x0 + 1)
    my0, my1 = min(y0 + inset, y1 - 1), max(y1 - inset, y0 + 1)
    # A pill's rounded ends leave no straight run: its middle rows (or columns) meet the edge square on.
    if my1 - my0 < 4 and y1 - y0 >= 8:
        middle = (y0 + y1) // 2
        my0, my1 = middle - 2, middle + 2
    if mx1 - mx0 < 4 and x1 - x0 >= 8:
        middle = (x0 + x1) // 2
        mx0, mx1 = middle - 2, middle + 2
    edges = [float(y0), float(x1), float(y1), float(x0)]  # top, right, bottom, left
    widths = [0, 0, 0, 0]
    colors: list[RGB] = []
    side_colors: list[RGB | None] = [None, None, None, None]
    for side in range(4):
        if side in (0, 2):
            if mx1 - mx0 < 4:
                continue
            inner = y0 + 2 if side == 0 else y1 - 3
            step = -1 if side == 0 else 1
            coords = [inner + step * k for k in range(10)]
            coords = [c for c in coords if 0 <= c < height]
            profile = np.stack([np.median(rgb[c, mx0:mx1], axis=0) for c in coords]) if coords else None
        else:
            if my1 - my0 < 4:
                continue
            inner = x1 - 3 if side == 1 else x0 + 2
            step = 1 if side == 1 else -1
            coords = [inner + step * k for k in range(10)]
            coords = [c for c in coords if 0 <= c < width]
            profile = np.stack([np.median(rgb[my0:my1, c], axis=0) for c in coords]) if coords else None
        if profile is None or len(profile) < 4:
            continue
        fill = profile[0]
        i = 1
        while i < len(profile) and np.abs(profile[i] - fill).max() <= 6:
            i += 1
        if i >= len(profile):
            continue
        j = _run_end(profile, i)
        if j == i + 1 and j < len(profile):
            # An inset shadow's last shade before the border (Bulma's fields: 255, 246, then the
            # 214 border): one faint pixel a little way from the fill towards the next run, which
            # is the border when it is one. (An antialiased edge's pixel may be any shade.)
            k = _run_end(profile, j)
            shade = float(np.abs(profile[i] - fill).max())
            toward = float(np.abs(profile[j] - fill).max())
            if k < len(profile) and k - j <= 4 and shade <= min(12.0, 0.35 * toward):
                i, j = j, k
        edge_index = i - 1
        run = j - i
        if (
            j == len(profile)
            and run <= 4
            and _bar_at_image_edge(rgb, region, side, coords[i:j], profile[i], fill)
        ):
            # A bar along the image's edge (bs_chat's active contact, its 3 px blue left border
            # at x 0-2): there is no outside to see past it.
            widths[side] = run
            colors.append(as_rgb(profile[i]))
            side_colors[side] = as_rgb(profile[i])
            edges[side] = float(coords[j - 1] + (1 if step > 0 else 0))
            continue
        if j < len(profile) and run <= 4:
            color, outside = profile[i], profile[j]
            between = bool(
                np.all(color >= np.minimum(fill, outside) - 3)
                and np.all(color <= np.maximum(fill, outside) + 3)
            )
            # A border ends in one step; a shadow fades out over many (its first pixels look
            # like a run of one color, but the next step is a small part of the fade).
            sharp = float(np.abs(profile[j] - profile[j - 1]).max()) >= 0.6 * float(
                np.abs(outside - color).max()
            )
            if not (between and run == 1) and sharp:
                widths[side] = run
                colors.append(as_rgb(color))
                side_colors[side] = as_rgb(color)
                edge_index = j - 1
        edges[side] = float(coords[edge_index] + (1 if step > 0 else 0))
    top, right, bottom, left = edges
    if right - left >= 4 and bottom - top >= 4:
        region.box = Box(left, top, right - left, bottom - top)
        if region.radius > 0 and min(widths) > 0:
            # The fill's curve is the border's inner edge; CSS rounds the outer one, wider by
            # the border (an input's 1 px border around a fill of radius 3 has radius 4). Only
            # a border all round: a line under one side (a shadow's edge) leaves the corners.
            region.radius += min(widths)
            half = min(region.box.width, region.box.height) / 2
            if abs(region.box.width - region.box.height) <= 1 and region.radius >= 0.8 * half:
                # A ring's inside reads short of a circle, its antialiased rim left out (a
                # stepper's 26 px ring: radius 9 inside, 11 with its border): it is round.
                region.radius = half
    if colors:
        region.border_width = (widths[0], widths[1], widths[2], widths[3])
        # The color most sides share; a side of its own color (a card's colored left edge) keeps it.
        region.border_color = max(
            colors, key=lambda c: (sum(color_distance(c, o) <= 12 for o in colors), -colors.index(c))
        )
        region.border_colors = (side_colors[0], side_colors[1], side_colors[2], side_colors[3])


def _bar_at_image_edge(
    rgb: np.ndarray, region: Region, side: int, strip: list[int], color: np.ndarray, fill: np.ndarray
) -> bool:
    """Whether the run of ``color`` between the region's fill and the image's edge (rows or
    columns ``strip``, on ``side``: top, right, bottom, left) is the region's border: it reaches
    the edge, stands out from the fill, and ends with the region's side. A strip of the page's
    own background between a box and the edge runs on past the box; a border does not."""
    height, width = rgb.shape[:2]
    limit = height - 1 if side == 2 else width - 1 if side == 1 else 0
    if not strip or strip[-1] != limit or float(np.abs(color - fill).max()) < 40:
        return False
    b = region.box
    if side in (1, 3):
        seen = [rgb[y, strip[0]] for y in (int(b.y) - 2, int(b.bottom) + 1) if 0 <= y < height]
    else:
        seen = [rgb[strip[0], x] for x in (int(b.x) - 2, int(b.right) + 1) if 0 <= x < width]
    return bool(seen) and all(float(np.abs(p.astype(np.int16) - color).max()) >= 30 for p in seen)


def _run_end(profile: np.ndarray, start: int) -> int:
    """The index after the run of one color (within 6 levels) that begins at ``start``."""
    end = start
    while end < len(profile) and np.abs(profile[end] - profile[start]).max() <= 6:
        end += 1
    return end


def detect_shadow(rgb: np.ndarray, region: Region, surface: RGB) -> None:
    """Fit a CSS drop shadow to how the surface darkens outside the region, if it does.

    On each side, the middle of the edge is sampled outward (corners and neighbours aside); a
    shadow is a darkening that fades over several pixels to the surface color. The fade of a
    Gaussian blur (CSS ``blur`` = 2 sigma) of a box offset down by ``y`` and grown by ``spread``
    is fitted to all sides at once by a small grid search; the opacity is then least squares.
    """
    height, width = rgb.shape[:2]
    b = region.box
    if b.width < 40 or b.height < 30 or b.width >= width - 2:
        return
    reach = 28
    base = np.asarray(surface, dtype=np.float64)
    brightness = float(base.mean())
    if brightness < 60:
        return  # no visible shadow on a dark surface
    profiles: list[tuple[int, np.ndarray]] = []  # (side, darkness by distance 0..reach-1)
    x0, x1 = int(b.x + 0.3 * b.width), int(b.right - 0.3 * b.width)
    y0, y1 = int(b.y + 0.3 * b.height), int(b.bottom - 0.3 * b.height)
    for side in range(4):
        if side == 0:
            rows = [int(b.y) - 1 - k for k in range(reach)]
            samples = [rgb[r, x0:x1] if 0 <= r < height else None for r in rows]
        elif side == 2:
            rows = [math.ceil(b.bottom) + k for k in range(reach)]
            samples = [rgb[r, x0:x1] if 0 <= r < height else None for r in rows]
        elif side == 1:
            cols = [math.ceil(b.right) + k for k in range(reach)]
            samples = [rgb[y0:y1, c] if 0 <= c < width else None for c in cols]
        else:
            cols = [int(b.x) - 1 - k for k in range(reach)]
            samples = [rgb[y0:y1, c] if 0 <= c < width else None for c in cols]
        if any(sample is None or len(sample) < 4 for sample in samples):
            continue
        medians = np.stack([np.median(sample, axis=0) for sample in samples])  # type: ignore[arg-type]
        darkness = np.clip(1.0 - medians.mean(axis=1) / brightness, 0.0, 1.0)
        # The fade, up to where something else begins (a neighbouring card, its own shadow).
        rising = np.flatnonzero(np.diff(darkness) > 0.004)
        length = int(rising[0]) + 1 if len(rising) else reach
        if darkness[0] < 0.012:
            continue
        # A shadow fades over several pixels, to (nearly) the surface: a neighbour's border or
        # text right beside the edge does not.
        if length >= 8 and darkness[3] >= 0.3 * darkness[0] and darkness[length - 1] <= 0.7 * darkness[0]:
            profiles.append((side, darkness[:length]))
        else:
            return  # darker beside the edge, but not fading: not a shadow
    if not profiles or not any(side == 2 for side, _ in profiles):
        return  # shadows fall down (or all around): the bottom side shows one
    best: tuple[float, float, float, float, float] | None = None  # error, y, blur, spread, alpha
    distance = np.arange(reach, dtype=np.float64) + 0.5
    for blur in (3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0):
        sigma = blur / 2
        for offset in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0):
            for spread in (-4.0, -2.0, 0.0):
                model, seen = [], []
                for side, darkness in profiles:
                    shift = {0: -offset, 2: offset}.get(side, 0.0) + spread
                    z = (distance[: len(darkness)] - shift) / sigma
                    model.append(0.5 * erfc(z / math.sqrt(2)))
                    seen.append(darkness)
                m, d = np.concatenate(model), np.concatenate(seen)
                denominator = float(m @ m)
                if denominator <= 1e-9:
                    continue
                alpha = max(float(m @ d) / denominator, 0.0)
                error = float(np.sqrt(np.mean((alpha * m - d) ** 2)))
                if best is None or error < best[0]:
                    best = (error, offset, blur, spread, alpha)
    if best is None:
        return
    error, offset, blur, spread, alpha = best
    peak = max(float(p.max()) for _, p in profiles)
    if alpha < 0.02 or alpha > 0.6 or blur < 3 or error > 0.25 * peak:
        return
    region.shadow = (offset, blur, spread, round(min(alpha, 1.0), 3))


def _share_borders(regions: list[Region]) -> None:
    """A line between two stacked regions is drawn once: by the upper (or left) one."""
    for lower in regions:
        top = lower.border_width[0]
        if top:
            for upper in regions:
                if upper is lower or not upper.border_width[2]:
                    continue
                overlap = min(upper.box.right, lower.box.right) - max(upper.box.x, lower.box.x)
                if abs(upper.box.bottom - (lower.box.y + top)) <= 1 and overlap > 0.5 * lower.box.width:
                    b = lower.box
                    lower.box = Box(b.x, b.y + top, b.width, b.height - top)
                    lower.border_width = (0, *lower.border_width[1:])
                    lower.border_colors = (None, *lower.border_colors[1:])
                    break
        left = lower.border_width[3]
        if left:
            for other in regions:
                if other is lower or not other.border_width[1]:
                    continue
                overlap = min(other.box.bottom, lower.box.bottom) - max(other.box.y, lower.box.y)
                if abs(other.box.right - (lower.box.x + left)) <= 1 and overlap > 0.5 * lower.box.height:
                    b = lower.box
                    lower.box = Box(b.x + left, b.y, b.width - left, b.height)
                    lower.border_width = (*lower.border_width[:3], 0)
                    lower.border_colors = (*lower.border_colors[:3], None)
                    break
        if not any(lower.border_width):
            lower.border_color = None
            lower.border_colors = (None, None, None, None)


def find_rules(
    rgb: np.ndarray,
    text_mask: np.ndarray,
    surfaces: Surfaces,
    horizontal: list[tuple[int, int, int, int]] | None = None,
) -> list[Rule]:
    """Thin lines (1-3 px) of one color, at least 24 px long, outside text, from the steps between
    neighbours the segmentation measured (``surfaces``). ``horizontal``: the page's
    ``thin_runs``, when the caller has them already."""
    rules: list[Rule] = []
    right, down = surfaces.steps
    for vertical in (False, True):
        if vertical:
            # Columns as rows: the steps to the right neighbour, transposed, are a transposed
            # image's steps down.
            runs = _thin_runs(np.ascontiguousarray(right.T), text_mask.T, 24)
        elif horizontal is None:
            runs = _thin_runs(down, text_mask, 24)
        else:
            runs = [r for r in horizontal if r[2] >= 24]
        for x, y, w, h in runs:
            box = Box(y, x, h, w) if vertical else Box(x, y, w, h)
            pixels = rgb[int(box.y) : int(box.bottom), int(box.x) : int(box.right)]
            rules.append(Rule(box, as_rgb(np.median(pixels.reshape(-1, 3), axis=0)), vertical))
    rules.sort(key=lambda r: (r.box.y, r.box.x))
    return rules


# The shortest horizontal run ``thin_runs`` keeps: a hyphen's (a dash in a table cell).
_SHORTEST_RUN = 6


def thin_runs(surfaces: Surfaces, text_mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Horizontal runs (x, y, w, h) 1-3 px thick and 6 px long or more, outside text: the rules
    (24 px and more, ``find_rules``) and the dashes (``dashes.find_dashes``) among them."""
    return _thin_runs(surfaces.steps[1], text_mask, _SHORTEST_RUN)


def _thin_runs(step: np.ndarray, text_mask: np.ndarray, shortest: int) -> list[tuple[int, int, int, int]]:
    """Horizontal runs (x, y, w, h) of 1-3 rows of one color between rows of another, at least
    ``shortest`` px long, outside text. ``step[y]``: how far row y is from row y+1."""
    rows = step.shape[0] + 1
    mask = np.zeros((rows, step.shape[1]), dtype=bool)
    diff = step > 8  # a divider as faint as gray-100 on white (#f3f4f6: 12 levels) is one
    same = step <= 4
    for t in (1, 2, 3):
        if rows < t + 2:
            continue
        cond = diff[: rows - t - 1] & diff[t : rows - 1]  # above row y+1 differs, below row y+t
        for k in range(1, t):
            cond &= same[k : rows - t - 1 + k]
        for k in range(t):
            mask[1 + k : rows - t + k] |= cond
    mask &= ~text_mask
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    runs = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if w >= shortest and h <= 3 and area >= 0.8 * w * h:
            runs.append((x, y, w, h))
    return runs


def rounded_rect(h: int, w: int, r: int) -> np.ndarray:
    """A filled h x w rectangle with corners of radius ``r`` (0: square), as a bool mask."""
    ideal = np.zeros((h, w), dtype=np.uint8)
    if r > 0:
        cv2.rectangle(ideal, (r, 0), (w - 1 - r, h - 1), 1, -1)
        cv2.rectangle(ideal, (0, r), (w - 1, h - 1 - r), 1, -1)
        for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(ideal, (cx, cy), r, 1, -1)
    else:
        ideal[:] = 1
    return ideal.astype(bool)
