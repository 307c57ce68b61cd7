"""Boxes, dividers and graphics found by classical image analysis (OpenCV, NumPy).

Flat areas are the connected components of pixels that differ from none of their neighbours by more
than a small step (so gradients stay whole and every boundary, glyph or icon stroke separates them).
A component whose outline is a (rounded) rectangle is a box; thin runs of one color are dividers;
whatever is left once text, boxes and dividers are explained is a graphic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...models import RGB, Box
from .model import Region, Rule

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


def _step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = cv2.absdiff(a, b)
    return np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])


def segment(rgb: np.ndarray) -> Surfaces:
    rgb = np.ascontiguousarray(rgb)
    right = _step(rgb[:, 1:], rgb[:, :-1]) > STEP
    down = _step(rgb[1:], rgb[:-1]) > STEP
    edge = np.zeros(rgb.shape[:2], dtype=bool)
    edge[:, :-1] |= right
    edge[:, 1:] |= right
    edge[:-1] |= down
    edge[1:] |= down
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~edge).view(np.uint8), connectivity=4)
    flat = labels.ravel()
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    area[area == 0] = 1
    means = np.zeros((count, 3))
    for c in range(3):
        channel = rgb[:, :, c].ravel().astype(np.float32)
        means[:, c] = np.bincount(flat, weights=channel, minlength=count) / area
    return Surfaces(labels, stats, means, edge)


def _rgb(color: np.ndarray) -> RGB:
    r, g, b = (round(float(v)) for v in color[:3])
    return (r, g, b)


def color_distance(a: RGB, b: RGB) -> int:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2]))


def _spans(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether it has pixels, first and last pixel column."""
    has = np.asarray(mask.any(axis=1))
    first = np.asarray(np.argmax(mask, axis=1))
    last = np.asarray(mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1))
    return has, first, last


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
    ideal = np.zeros((h, w), dtype=np.uint8)
    r = round(radius)
    if r > 0:
        cv2.rectangle(ideal, (r, 0), (w - 1 - r, h - 1), 1, -1)
        cv2.rectangle(ideal, (0, r), (w - 1, h - 1 - r), 1, -1)
        for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(ideal, (cx, cy), r, 1, -1)
    else:
        ideal[:] = 1
    mismatch = float(np.count_nonzero(filled != ideal.astype(bool)))
    # Allow the antialiased rim of the curves and a little noise.
    allowed = 0.015 * full + 2.0 + 1.2 * math.pi * radius
    if mismatch > allowed:
        return False, 0.0
    return True, radius + 0.5 if radius else 0.0


def fit_gradient(
    rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[int, np.ndarray, np.ndarray] | None:
    """The linear gradient (CSS angle, start and end color) that reproduces the masked pixels of
    ``box`` (x, y, w, h), or None if none fits. The gradient line spans the box as CSS's does."""
    x, y, w, h = box
    ys, xs = np.nonzero(mask)
    if len(xs) < 50:
        return None
    step = max(1, len(xs) // 4000)
    ys, xs = ys[::step], xs[::step]
    colors = rgb[y + ys, x + xs].astype(np.float64)
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    for angle in (180, 90, 135, 45, 160, 120):
        a = math.radians(angle)
        length = abs(w * math.sin(a)) + abs(h * math.cos(a))
        t = ((xs - w / 2) * math.sin(a) - (ys - h / 2) * math.cos(a)) / max(length, 1.0) + 0.5
        design = np.stack([1 - t, t], axis=1)
        coef, *_ = np.linalg.lstsq(design, colors, rcond=None)
        err = float(np.sqrt(np.mean((design @ coef - colors) ** 2)))
        if best is None or err < best[0] - 0.05:
            best = (err, angle, coef[0], coef[1])
    if best is None or best[0] > 3.5:
        return None
    _, angle, start, end = best
    return angle, np.clip(start, 0, 255), np.clip(end, 0, 255)


def _fit_gradient(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> str | None:
    """A CSS linear-gradient that reproduces the component's pixels, or None if none fits."""
    fit = fit_gradient(rgb, mask, box)
    if fit is None:
        return None
    angle, start, end = fit
    return f"linear-gradient({angle}deg, {_hex(_rgb(start))}, {_hex(_rgb(end))})"


def _hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def find_regions(
    rgb: np.ndarray, surfaces: Surfaces, text_mask: np.ndarray
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
        if text_mask[y : y + h, x : x + w].mean() > 0.6:
            continue  # the inside of a thick glyph
        mask = labels[y : y + h, x : x + w] == label
        ok, radius = _shape(mask)
        if not ok:
            continue
        gradient = None
        pixels = rgb[y : y + h, x : x + w][mask]
        if float(pixels.astype(np.float32).std(axis=0).max()) > 2.0:
            gradient = _fit_gradient(rgb, mask, (x, y, w, h))
            if gradient is None:
                continue  # textured: a photo or illustration, not a box
        # The component stops one pixel short of its true edge (that pixel differs from outside).
        box = Box(
            max(x - 1, 0),
            max(y - 1, 0),
            min(w + 2, width - max(x - 1, 0)),
            min(h + 2, height - max(y - 1, 0)),
        )
        region = Region(box, _rgb(means[label]), gradient=gradient, radius=round(radius))
        found.append((label, region))
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
        parent_fill = region.parent.fill if region.parent else root.fill
        region.visible = bool(
            region.gradient
            or region.has_border
            or color_distance(region.fill, parent_fill) >= 3
            or (region.parent is not None and region.parent.gradient is not None)
        )
    by_label = {label: region for label, region in found}
    regions = [r for _, r in found]
    for region in regions:
        if region.parent is not None:
            region.parent.children.append(region)
    for region in [root, *regions]:
        region.children.sort(key=lambda r: (r.box.y, r.box.x))
    return root, regions, by_label


def _page_background(rgb: np.ndarray, surfaces: Surfaces) -> tuple[int, RGB, str | None]:
    """The page's own color: the one that covers the most pixels (summed over its components).

    A gradient is the page's background only when it spans the page; a gradient band (a hero)
    is a box on the page, however big.
    """
    height, width = rgb.shape[:2]
    stats, means, labels = surfaces.stats, surfaces.means, surfaces.labels
    totals: dict[RGB, int] = {}
    biggest: dict[RGB, tuple[int, int]] = {}
    for label in range(1, len(stats)):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if area < MIN_BOX_AREA:
            continue
        color = _rgb(means[label])
        key = (color[0] // 3, color[1] // 3, color[2] // 3)
        totals[key] = totals.get(key, 0) + area  # type: ignore[index]
        if area > biggest.get(key, (0, 0))[0]:  # type: ignore[call-overload]
            biggest[key] = (area, label)  # type: ignore[index]
    for key in sorted(totals, key=lambda k: (totals[k], k), reverse=True)[:4]:
        label = biggest[key][1]
        x, y, w, h, _ = (int(v) for v in stats[label])
        mask = labels[y : y + h, x : x + w] == label
        pixels = rgb[y : y + h, x : x + w][mask]
        fit = None
        if float(pixels.astype(np.float32).std(axis=0).max()) > 2.0:
            fit = fit_gradient(rgb, mask, (x, y, w, h))
        # Soft shadows melt into a flat background and spread its colors; only a fitted gradient
        # whose ends differ visibly is one.
        if fit is None or color_distance(_rgb(fit[1]), _rgb(fit[2])) <= 6:
            return label, _rgb(means[label]), None
        if w >= width - 2 and h >= height - 2:
            angle, start, end = fit
            return (
                label,
                _rgb(means[label]),
                f"linear-gradient({angle}deg, {_hex(_rgb(start))}, {_hex(_rgb(end))})",
            )
    if not totals:
        return 0, (255, 255, 255), None
    key = max(totals, key=lambda k: (totals[k], k))
    return biggest[key][1], _rgb(means[biggest[key][1]]), None


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
    edges = [float(y0), float(x1), float(y1), float(x0)]  # top, right, bottom, left
    widths = [0, 0, 0, 0]
    colors: list[RGB] = []
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
        j = i
        while j < len(profile) and np.abs(profile[j] - profile[i]).max() <= 6:
            j += 1
        edge_index = i - 1
        run = j - i
        if j < len(profile) and run <= 4:
            color, outside = profile[i], profile[j]
            between = bool(
                np.all(color >= np.minimum(fill, outside) - 3)
                and np.all(color <= np.maximum(fill, outside) + 3)
            )
            if not (between and run == 1):
                widths[side] = run
                colors.append(_rgb(color))
                edge_index = j - 1
        edges[side] = float(coords[edge_index] + (1 if step > 0 else 0))
    top, right, bottom, left = edges
    if right - left >= 4 and bottom - top >= 4:
        region.box = Box(left, top, right - left, bottom - top)
    if colors:
        region.border_width = (widths[0], widths[1], widths[2], widths[3])
        region.border_color = colors[0]


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
                    break
        if not any(lower.border_width):
            lower.border_color = None


def find_rules(rgb: np.ndarray, text_mask: np.ndarray) -> list[Rule]:
    """Thin lines (1-3 px) of one color, at least 24 px long, outside text."""
    rules: list[Rule] = []
    for vertical in (False, True):
        img = np.ascontiguousarray(rgb.transpose(1, 0, 2)) if vertical else np.ascontiguousarray(rgb)
        tmask = text_mask.T if vertical else text_mask
        rows = img.shape[0]
        mask = np.zeros(img.shape[:2], dtype=bool)
        step = _step(img[1:], img[:-1])  # step[y] compares rows y and y+1
        diff = step > 12
        same = step <= 4
        for t in (1, 2, 3):
            if rows < t + 2:
                continue
            cond = diff[: rows - t - 1] & diff[t : rows - 1]  # above row y+1 differs, below row y+t
            for k in range(1, t):
                cond &= same[k : rows - t - 1 + k]
            for k in range(t):
                mask[1 + k : rows - t + k] |= cond
        mask &= ~tmask
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if w < 24 or h > 3 or area < 0.8 * w * h:
                continue
            color = _rgb(np.median(img[y : y + h, x : x + w].reshape(-1, 3), axis=0))
            box = Box(y, x, h, w) if vertical else Box(x, y, w, h)
            rules.append(Rule(box, color, vertical))
    rules.sort(key=lambda r: (r.box.y, r.box.x))
    return rules
