"""Graphics: what text, boxes and dividers do not explain (icons, logos, photos, charts).

They are lifted from the source as tightly cropped images. OCR'd text is never part of a crop: a
graphic that text overlaps has that text painted out (inpainted) and becomes a background behind the
real DOM text.
"""

from __future__ import annotations

import base64
import math

import cv2
import numpy as np

from ...models import Box
from .model import Graphic, Region, Rule
from .regions import Surfaces, color_distance

MIN_SIDE = 6
MIN_PIXELS = 24


def owner_map(shape: tuple[int, int], root: Region, regions: list[Region]) -> tuple[np.ndarray, list[Region]]:
    """Per pixel: index of the innermost region covering it (0 is the root)."""
    owners = np.zeros(shape, dtype=np.int32)
    ordered = [root, *sorted(regions, key=lambda r: (-r.box.area, r.box.y, r.box.x))]
    for index, region in enumerate(ordered[1:], start=1):
        b = region.box
        owners[int(b.y) : math.ceil(b.bottom), int(b.x) : math.ceil(b.right)] = index
    return owners, ordered


def find_graphics(
    rgb: np.ndarray,
    surfaces: Surfaces,
    root: Region,
    regions: list[Region],
    region_labels: dict[int, Region],
    text_boxes: list[Box],
    rules: list[Rule],
) -> list[Graphic]:
    height, width = rgb.shape[:2]
    owners, ordered = owner_map((height, width), root, regions)
    stats, means, labels = surfaces.stats, surfaces.means, surfaces.labels
    # A flat component is explained when it is a region, or has the color of the region under it.
    explained = np.zeros(len(stats), dtype=bool)
    for label in range(1, len(stats)):
        x, y, w, h, area = (int(v) for v in stats[label])
        if label in region_labels:
            explained[label] = True
            continue
        if area < 40:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
        owner = ordered[int(owners[y + ys[0], x + xs[0]])]
        color = tuple(round(v) for v in means[label])
        if color_distance(color, owner.fill) <= 8 or owner.gradient is not None:  # type: ignore[arg-type]
            explained[label] = True
        elif area >= 4000 and color_distance(color, root.fill) <= 8:  # type: ignore[arg-type]
            explained[label] = True  # open page background that a region's bounding box overlaps
    residual = ~explained[labels]
    residual[surfaces.edge] = True
    for box in text_boxes:
        _clear(residual, box, 3)
    for rule in rules:
        _clear(residual, rule.box, 1)
    for region in regions:
        _clear_ring(residual, region)
    # Box edges that survive are thin slivers; graphics are solid enough to survive an opening.
    residual = cv2.morphologyEx(residual.view(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).astype(
        bool
    )
    grown = cv2.dilate(residual.view(np.uint8), np.ones((7, 7), np.uint8))
    count, comp, cstats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    boxes: list[Box] = []
    for label in range(1, count):
        x, y, w, h, _ = (int(v) for v in cstats[label])
        inner = residual[y : y + h, x : x + w] & (comp[y : y + h, x : x + w] == label)
        ys, xs = np.nonzero(inner)
        if len(xs) < MIN_PIXELS:
            continue
        tight = Box(
            x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1
        )
        if tight.width < MIN_SIDE or tight.height < MIN_SIDE:
            continue
        if tight.area > 10_000 and len(xs) < 0.04 * tight.area:
            continue  # a sparse web of outline slivers (box edges that met), not a picture
        boxes.append(tight)
    boxes = _merge(boxes)
    dense = []
    for box in boxes:
        y0, y1, x0, x1 = int(box.y), math.ceil(box.bottom), int(box.x), math.ceil(box.right)
        if box.area > 10_000 and residual[y0:y1, x0:x1].sum() < 0.04 * box.area:
            continue
        dense.append(box)
    boxes = dense
    graphics: list[Graphic] = []
    for box in boxes:
        overlapping = [t for t in text_boxes if t.intersection(box) > 0]
        behind = False
        if overlapping:
            box = _trim(box, overlapping)
            if box.width < MIN_SIDE or box.height < MIN_SIDE:
                continue
            behind = any(t.intersection(box) > 0 for t in overlapping)
        crop = rgb[int(box.y) : int(box.bottom), int(box.x) : int(box.right)].copy()
        if behind:
            crop = _paint_out(crop, box, overlapping)
        graphics.append(Graphic(box, _data_uri(crop), behind_text=behind))
    return graphics


def _clear(mask: np.ndarray, box: Box, pad: int) -> None:
    h, w = mask.shape
    mask[
        max(int(box.y) - pad, 0) : min(math.ceil(box.bottom) + pad, h),
        max(int(box.x) - pad, 0) : min(math.ceil(box.right) + pad, w),
    ] = False


def _clear_ring(mask: np.ndarray, region: Region) -> None:
    """The pixels along a region's outline (antialiasing, borders, corners, light shadows)."""
    h, w = mask.shape
    b = region.box
    x0, y0, x1, y1 = int(b.x), int(b.y), math.ceil(b.right), math.ceil(b.bottom)
    inner = max(region.border_width) + 2
    outer = 3
    corner = int(region.radius) + 3
    for ya, yb, xa, xb in (
        (y0 - outer, y0 + inner, x0 - outer, x1 + outer),
        (y1 - inner, y1 + outer, x0 - outer, x1 + outer),
        (y0 - outer, y1 + outer, x0 - outer, x0 + inner),
        (y0 - outer, y1 + outer, x1 - inner, x1 + outer),
        (y0, y0 + corner, x0, x0 + corner),
        (y0, y0 + corner, x1 - corner, x1),
        (y1 - corner, y1, x0, x0 + corner),
        (y1 - corner, y1, x1 - corner, x1),
    ):
        mask[max(ya, 0) : min(yb, h), max(xa, 0) : min(xb, w)] = False


def _merge(boxes: list[Box]) -> list[Box]:
    """Union boxes that touch or nearly touch, until none do."""
    boxes = sorted(boxes, key=lambda b: (b.y, b.x))
    changed = True
    while changed:
        changed = False
        merged: list[Box] = []
        for box in boxes:
            for i, other in enumerate(merged):
                grown = Box(other.x - 4, other.y - 4, other.width + 8, other.height + 8)
                if grown.intersection(box) > 0:
                    merged[i] = other.union(box)
                    changed = True
                    break
            else:
                merged.append(box)
        boxes = merged
    return sorted(boxes, key=lambda b: (b.y, b.x))


def _trim(box: Box, texts: list[Box]) -> Box:
    """Shrink ``box`` away from text that only grazes one of its sides."""
    for t in texts:
        if t.intersection(box) <= 0:
            continue
        if t.intersection(box) >= 0.5 * t.area:
            continue  # the text sits on the graphic: paint it out instead
        # Cut along the side that loses the least area.
        options = [
            Box(box.x, box.y, max(t.x - 2 - box.x, 0), box.height),  # keep left part
            Box(t.right + 2, box.y, max(box.right - t.right - 2, 0), box.height),  # right part
            Box(box.x, box.y, box.width, max(t.y - 2 - box.y, 0)),  # top part
            Box(box.x, t.bottom + 2, box.width, max(box.bottom - t.bottom - 2, 0)),  # bottom part
        ]
        box = max(options, key=lambda b: (b.area, -b.y, -b.x))
    return box


def _paint_out(crop: np.ndarray, box: Box, texts: list[Box]) -> np.ndarray:
    mask = np.zeros(crop.shape[:2], dtype=np.uint8)
    for t in texts:
        x0, y0 = int(t.x - box.x) - 3, int(t.y - box.y) - 3
        x1, y1 = math.ceil(t.right - box.x) + 3, math.ceil(t.bottom - box.y) + 3
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 255
    return cv2.inpaint(crop, mask, 3, cv2.INPAINT_TELEA)


def _data_uri(crop: np.ndarray) -> str:
    """PNG for flat art; JPEG for photographs (many colors), where PNG would be huge."""
    bgr = np.ascontiguousarray(crop[:, :, ::-1])
    colors = len(np.unique(crop.reshape(-1, 3)[:: max(1, crop.shape[0] * crop.shape[1] // 20000)], axis=0))
    if crop.shape[0] * crop.shape[1] > 40_000 and colors > 2000:
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 88])
        mime = "image/jpeg"
    else:
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        mime = "image/png"
    if not ok:
        return ""
    return f"data:{mime};base64,{base64.b64encode(buf.tobytes()).decode('ascii')}"
