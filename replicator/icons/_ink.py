"""Ink of a crop: coverage against its background, tight and sub-pixel bounds, and two vetoes
(a plain box or disc, a photograph's colours) that no icon should be matched to."""

from __future__ import annotations

import cv2
import numpy as np

# Coverage above which a pixel counts as ink when boxing it.
INK_LEVEL = 0.2


def ink_alpha(crop: np.ndarray, background: tuple[int, int, int] | None = None) -> np.ndarray:
    """Ink coverage (float32, 0..1) of an RGB crop against its background (the border's most common
    colour unless given): colour-blind, so an icon on a button and on white read the same."""
    pixels = crop.astype(np.int16)
    bg = ring_background(crop) if background is None else np.array(background, dtype=np.float64)
    distance = np.abs(pixels - bg).max(axis=2).astype(np.float32)
    strong = distance[distance >= 0.5 * float(distance.max())] if distance.size else distance
    # A flat icon's own colour is the common strong distance (antialiased edges are weaker); a logo
    # of several colours saturates at all but its faintest.
    peak = float(np.percentile(strong, 75)) if strong.size else 0.0
    if peak < 12:
        return np.zeros(distance.shape, dtype=np.float32)
    return np.clip(distance / peak, 0.0, 1.0)


def ring_background(crop: np.ndarray) -> np.ndarray:
    """The most common colour along a crop's border (its background)."""
    pixels = crop.astype(np.int16)
    ring = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    keys = (ring[:, 0] // 4) * 4096 + (ring[:, 1] // 4) * 64 + ring[:, 2] // 4
    values, counts = np.unique(keys, return_counts=True)
    return np.median(ring[keys == values[np.argmax(counts)]], axis=0)


def tight(alpha: np.ndarray, level: float = INK_LEVEL) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The crop of ``alpha`` to its ink (coverage above ``level``) and that box (x0, y0, x1, y1)."""
    ys, xs = np.nonzero(alpha > level)
    if len(xs) == 0:
        return None
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    return alpha[y0:y1, x0:x1], (x0, y0, x1, y1)


def subpixel_bounds(alpha: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """The ink's edges to a fraction of a pixel: an edge row or column counts by the most ink it
    holds (a stem covering 30% of the last column ends 0.3 px into it). Pixels just outside
    ``box`` (below the ink level) add their coverage too."""
    x0, y0, x1, y1 = box
    h, w = alpha.shape

    def edge(values: np.ndarray) -> float:
        return float(values.max()) if values.size else 0.0

    left = x0 + 1.0 - edge(alpha[y0:y1, x0]) - (edge(alpha[y0:y1, x0 - 1]) if x0 > 0 else 0.0)
    right = x1 - 1.0 + edge(alpha[y0:y1, x1 - 1]) + (edge(alpha[y0:y1, x1]) if x1 < w else 0.0)
    top = y0 + 1.0 - edge(alpha[y0, x0:x1]) - (edge(alpha[y0 - 1, x0:x1]) if y0 > 0 else 0.0)
    bottom = y1 - 1.0 + edge(alpha[y1 - 1, x0:x1]) + (edge(alpha[y1, x0:x1]) if y1 < h else 0.0)
    return left, top, max(right, left + 1.0), max(bottom, top + 1.0)


def without_neighbours(alpha: np.ndarray) -> np.ndarray:
    """``alpha`` without the ink that touches the crop's edge (a neighbour's rim caught in the
    margin), when there is ink that does not."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (alpha > INK_LEVEL).astype(np.uint8), connectivity=8
    )
    if count <= 2:
        return alpha
    h, w = alpha.shape
    x, y, cw, ch = stats[1:, 0], stats[1:, 1], stats[1:, 2], stats[1:, 3]
    edge = (x == 0) | (y == 0) | (x + cw == w) | (y + ch == h)
    if edge.all() or not edge.any():
        return alpha
    # Faint antialiased pixels next to a dropped component go with it.
    dropped = np.isin(labels, np.flatnonzero(edge) + 1)
    dropped = cv2.dilate(dropped.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    kept = np.isin(labels, np.flatnonzero(~edge) + 1)
    return np.where(dropped & ~kept, 0.0, alpha).astype(np.float32)


def is_plain(mask: np.ndarray) -> bool:
    """A plain shape: a filled rectangle (a bar), rounded rectangle, pill, circle or ellipse, or the
    outline of one, with nothing else drawn. ``mask``: coverage 0..1 (or bool)."""
    ink = np.asarray(mask) > 0.5
    if not ink.any():
        return True
    flood = np.pad((~ink).astype(np.uint8), 1, constant_values=1)
    cv2.floodFill(flood, None, (0, 0), 2)
    filled = ink | (flood[1:-1, 1:-1] == 1)  # the ink with its holes filled
    if not plain_solid(filled):
        return False
    hole = filled & ~ink
    if hole.sum() <= 0.01 * filled.sum():
        return True
    if hole.sum() < 0.4 * filled.sum():
        return False  # a small hole (a die's pip, a keyhole) is a drawing, not an outline's inside
    count, _labels = cv2.connectedComponents(hole.astype(np.uint8))
    if count != 2:
        return False
    ys, xs = np.nonzero(hole)
    fy, fx = np.nonzero(filled)
    margins = np.array(
        [ys.min() - fy.min(), fy.max() - ys.max(), xs.min() - fx.min(), fx.max() - xs.max()], dtype=np.float64
    )
    # An outline: the same stroke all round (a calendar's thick header bar is not one).
    even = margins.max() - margins.min() <= max(1.5, 0.06 * max(filled.shape))
    if not even:
        return False
    inside = hole[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if plain_solid(inside):
        return True
    # An outline round a centred dot (a checked radio button): the dot fills the outline's hole.
    outside = np.pad((~inside).astype(np.uint8), 1, constant_values=1)
    cv2.floodFill(outside, None, (0, 0), 2)
    whole = inside | (outside[1:-1, 1:-1] == 1)  # the outline's inside with the dot in it
    core = whole & ~inside
    if not core.any() or not plain_solid(whole) or not plain_solid(core):
        return False
    cy, cx = (np.mean(v) for v in np.nonzero(core))
    h, w = inside.shape
    return abs(cy - (h - 1) / 2) <= 0.12 * h and abs(cx - (w - 1) / 2) <= 0.12 * w


def plain_solid(solid: np.ndarray) -> bool:
    """Whether a blob is a solid rectangle with any corner radius (up to a pill) or an ellipse."""
    ys, xs = np.nonzero(solid)
    if len(xs) == 0:
        return True
    box = solid[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = box.shape
    if float(box.mean()) >= 0.975:
        return True
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    ellipse = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2 <= 1.0
    if float((box ^ ellipse).mean()) < 0.04:
        return True
    for radius in np.linspace(0.1, 0.5, 5) * min(w, h):
        dx = np.maximum(np.abs(xx - w / 2) - (w / 2 - radius), 0.0)
        dy = np.maximum(np.abs(yy - h / 2) - (h / 2 - radius), 0.0)
        if float((box ^ (dx * dx + dy * dy <= radius * radius)).mean()) < 0.04:
            return True
    return False


def one_ink(crop: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> bool:
    """Whether every pixel is the background, the ink's one colour, or a blend of the two (an
    icon's antialiased edge): an avatar's face or a photo is colours of its own."""
    pixels = crop.astype(np.float64)
    offset = pixels - background
    distance = np.abs(offset).max(axis=2)
    # The ink's own colour: its strongest pixels (a thin stroke's median pixel is a blend).
    core = distance >= 0.9 * float(distance.max())
    if core.sum() < 3 or float(distance.max()) < 12:
        return True
    direction = np.median(pixels[core], axis=0) - background
    t = np.clip((offset @ direction) / max(float(direction @ direction), 1.0), 0.0, 1.0)
    residual = np.abs(offset - t[..., None] * direction).max(axis=2)
    inked = alpha > INK_LEVEL
    return float((residual[inked] > 40).mean()) <= 0.05
