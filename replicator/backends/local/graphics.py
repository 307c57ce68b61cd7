"""Graphics: what text, boxes and dividers do not explain (icons, logos, photos, charts).

They are lifted from the source as tightly cropped images. OCR'd text is never part of a crop: a
graphic that text overlaps has that text painted out (inpainted) and becomes a background behind the
real DOM text.
"""

from __future__ import annotations

import base64
import math
import re

import cv2
import numpy as np

from ...icons import is_plain
from ...models import RGB, Box
from .model import Graphic, Region, Rule, Shape, TextLine
from .regions import (
    Surfaces,
    as_rgb,
    box_mask,
    color_distance,
    crop_around,
    detect_shadow,
    edge_pixels,
    fit_gradient,
    rounded_rect,
)
from .spacing import ink_runs

MIN_SIDE = 6
MIN_PIXELS = 24
# A polygon shape: at least this many pixels, at most this many corners.
MIN_SHAPE_AREA = 1500  # smaller flat art (icons, toggles) stays a crop: its curves matter more
_HEX = re.compile(r"#([0-9a-fA-F]{6})")
MAX_SHAPE_VERTICES = 16


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
    shapes: dict[int, Shape] | None = None,
) -> list[Graphic]:
    """Tight crops of what nothing else explains. ``shapes``: component label -> its polygon."""
    shapes = shapes or {}
    height, width = rgb.shape[:2]
    labels = surfaces.labels
    explained = _explained(surfaces, root, regions, region_labels)
    for label in shapes:
        explained[label] = True
    residual = ~explained[labels]
    residual[surfaces.edge] = True
    for box in text_boxes:
        _clear(residual, box, 3)
    for rule in rules:
        _clear(residual, rule.box, 1)
    for region in list(regions):
        _ring_around(rgb, region, root, regions)
    for region in regions:
        _clear_ring(residual, region)
    if shapes:
        # The antialiased rim of a polygon's edges is part of the shape, not a picture; a line
        # drawn along an edge in a colour of its own (an area chart's stroke, tabler's red
        # sparkline over its pale fill) is not: no blend of the shape's fill and the page's.
        # (Each shape's rim is drawn and judged in a window round the shape, not on the page.)
        rims = np.zeros((height, width), dtype=bool)
        page = np.array(root.fill, dtype=np.int16)
        for shape in shapes.values():
            points = np.round(np.array(shape.points) - 0.5).astype(np.int32)
            wx0, wy0 = (max(int(v) - 4, 0) for v in points.min(axis=0))
            wx1, wy1 = min(int(points[:, 0].max()) + 5, width), min(int(points[:, 1].max()) + 5, height)
            if wx1 <= wx0 or wy1 <= wy0:
                continue
            rim = np.zeros((wy1 - wy0, wx1 - wx0), dtype=np.uint8)
            cv2.polylines(rim, [points - np.array([wx0, wy0], dtype=np.int32)], True, 1, thickness=5)
            pixels = rgb[wy0:wy1, wx0:wx1].astype(np.int16)
            fill = np.array(shape.fill, dtype=np.int16)
            low, high = np.minimum(fill, page) - 12, np.maximum(fill, page) + 12
            blend = np.all((pixels >= low) & (pixels <= high), axis=2)
            stroke = ~blend & (np.abs(pixels - fill).max(axis=2) > 80)
            rims[wy0:wy1, wx0:wx1] |= (rim > 0) & ~stroke
        residual &= ~rims
    # Box edges that survive are thin slivers; graphics are solid enough to survive an opening.
    residual = cv2.morphologyEx(residual.view(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).astype(
        bool
    )
    grown = cv2.dilate(residual.view(np.uint8), np.ones((7, 7), np.uint8))
    count, comp, cstats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    boxes: list[Box] = []
    bars: list[Box] = []
    for label in range(1, count):
        x, y, w, h, _ = (int(v) for v in cstats[label])
        inner = residual[y : y + h, x : x + w] & (comp[y : y + h, x : x + w] == label)
        ys, xs = np.nonzero(inner)
        if len(xs) < MIN_PIXELS:
            continue
        tight = Box(
            x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1
        )
        thin = tight.width < MIN_SIDE or tight.height < MIN_SIDE
        if thin and not _minus_sign(tight, regions) and not _column_of_dots(rgb, tight):
            if tight.height <= 5 and 8 <= tight.width <= 24:
                bars.append(tight)
            continue
        if tight.area > 10_000 and len(xs) < 0.04 * tight.area:
            continue  # a sparse web of outline slivers (box edges that met), not a picture
        boxes.append(tight)
    boxes = _merge(boxes + [bar for bar in bars if _tool_minus(rgb, bar, boxes)])
    dense = []
    for box in boxes:
        y0, y1, x0, x1 = int(box.y), math.ceil(box.bottom), int(box.x), math.ceil(box.right)
        if box.area > 10_000 and residual[y0:y1, x0:x1].sum() < 0.04 * box.area:
            continue
        dense.append(box)
    rings: list[Box] = []
    boxes = [part for box in dense for part in _unchain(box, residual, text_boxes, rings)]
    for ring in rings:
        _ring_card(rgb, ring, root, regions)
    graphics: list[Graphic] = []
    for box in boxes:
        overlapping = [t for t in text_boxes if t.intersection(box) > 0]
        behind = False
        if overlapping:
            box = _trim(box, overlapping)
            if box.width < MIN_SIDE or box.height < MIN_SIDE:
                continue
            behind = any(t.intersection(box) > 0 for t in overlapping)
        marks = _flat_box(rgb, box, overlapping, root, regions) if behind else None
        if behind and marks is None:
            marks = _outlined_box(rgb, box, overlapping, root, regions)
        if marks is not None:
            # A flat pill under its text (a badge) is a box now; what else it shows (a clock
            # icon) stays a graphic of its own.
            for mark in marks:
                x0, y0, x1, y1 = int(mark.x), int(mark.y), math.ceil(mark.right), math.ceil(mark.bottom)
                graphics.append(Graphic(mark, data_uri(rgb[y0:y1, x0:x1].copy())))
            continue
        crop = rgb[int(box.y) : int(box.bottom), int(box.x) : int(box.right)].copy()
        if behind:
            crop = _paint_out(crop, box, overlapping)
        if not behind and not _minus_sign(box, regions) and _bar(rgb, box, root, regions):
            continue
        graphic = Graphic(box, data_uri(crop), behind_text=behind)
        if behind:
            _own_container(graphic, root, regions)
        graphics.append(graphic)
    return graphics


def _bar(rgb: np.ndarray, box: Box, root: Region, regions: list[Region]) -> bool:
    """A progress bar or a meter: a thin flat bar (square or round ends), one color or a filled
    part and its track side by side. It becomes boxes (the track, the fill inside it), as it is
    built, not a picture. Returns whether it did."""
    if box.height > 22:
        return False
    # The rest of a meter's track whose fill was found as a box of its own, right before it at
    # its height (a ring is cleared around a box: up to 4 px apart).
    fill = next(
        (
            r
            for r in regions
            if r.visible
            and abs(r.box.y - box.y) <= 2.5
            and abs(r.box.height - box.height) <= 2.5
            and -1 <= box.x - r.box.right <= 4
            and r.box.width >= box.height
        ),
        None,
    )
    whole = box.right - fill.box.x if fill is not None else box.width  # the whole track's length
    if whole < 2.4 * box.height:
        return False
    # The box may take in a row or two of the surface: cut it to what differs from that.
    pixels, gx0, gy0 = crop_around(rgb, box, 1)
    window = pixels.astype(np.int16)
    # (The track's rest starts at its fill: its left edge is the track, not the surface.)
    ring = edge_pixels(window) if fill is None else np.concatenate([window[0], window[-1], window[:, -1]])
    surface = np.median(ring, axis=0)
    if float((np.abs(ring - surface).max(axis=1) <= 10).mean()) < 0.9:
        return False  # not on one surface: the edge of a box (a card's rim and shadow)
    ys, xs = np.nonzero(np.abs(window - surface).max(axis=2) > 10)
    if len(xs) == 0:
        return False
    y0, x0 = gy0 + int(ys.min()), gx0 + int(xs.min())
    h, w = int(ys.max() - ys.min()) + 1, int(xs.max() - xs.min()) + 1
    if not (2 <= h <= 20 and (w if fill is None else x0 + w - fill.box.x) >= 2.4 * h):
        return False
    box = Box(x0, y0, w, h)
    crop = rgb[y0 : y0 + h, x0 : x0 + w].astype(np.int16)
    # Colors along the middle row, in runs of one flat color; the ends may be rounded.
    middle = crop[h // 2]
    runs: list[list[int]] = []  # [start, stop) per run
    for x in range(w):
        if runs and np.abs(middle[x] - middle[runs[-1][0] + (runs[-1][1] - runs[-1][0]) // 2]).max() <= 10:
            runs[-1][1] = x + 1
        else:
            runs.append([x, x + 1])
    # Antialiased ends and the step between fill and track make runs of a pixel or two.
    solid = [r for r in runs if r[1] - r[0] >= max(3, h)]
    if not 1 <= len(solid) <= 2 or sum(r[1] - r[0] for r in solid) < 0.85 * w:
        return False
    if len(solid) == 2:
        fill = None  # fill and track both here
    elif w < 4 * h and fill is None:
        return False  # one short flat bar is a dash or a swatch; a short meter has its track
    colors = [np.median(crop[:, a:b].reshape(-1, 3), axis=0) for a, b in solid]
    if any(float(np.abs(color - surface).max()) <= 12 for color in colors):
        return False  # a part the surface's own color: an edge, not a bar
    for (a, b), color in zip(solid, colors, strict=True):
        core = crop[1 : h - 1, a:b] if h > 4 else crop[:, a:b]
        if float((np.abs(core - color).max(axis=2) <= 10).mean()) < 0.9:
            return False  # shaded or textured along its height: a picture
    rounded = max(
        np.abs(crop[0, 0] - crop[h // 2, w // 2]).max(), np.abs(crop[0, -1] - crop[h // 2, w // 2]).max()
    )
    radius = h / 2 if rounded > 24 else 0.0
    if fill is not None:
        # The track from the fill's start; the fill is drawn inside it.
        track = add_region(
            Box(fill.box.x, box.y, box.right - fill.box.x, box.height),
            as_rgb(colors[0]),
            root,
            regions,
            radius,
        )
        if fill.parent is not None and fill in fill.parent.children:
            fill.parent.children.remove(fill)
        fill.parent = track
        track.children.append(fill)
        return True
    add_region(box, as_rgb(colors[-1]), root, regions, radius=radius)
    if len(solid) == 2:
        fill_box = Box(box.x, box.y, max(solid[0][1] + 1, 1), box.height)
        add_region(fill_box, as_rgb(colors[0]), root, regions, radius=radius)
    return True


def _unchain(
    box: Box, residual: np.ndarray, text_boxes: list[Box], rings: list[Box] | None = None
) -> list[Box]:
    """A sparse graphic spread under text (checkboxes, clocks and a card's unfound outline that
    chained them together) split back into its solid pieces; a picture stays whole."""
    y0, y1, x0, x1 = int(box.y), math.ceil(box.bottom), int(box.x), math.ceil(box.right)
    inside = residual[y0:y1, x0:x1]
    texts = [t for t in text_boxes if t.intersection(box) > 0]
    if box.area < 20_000 or not texts:
        return [box]
    if float(inside.mean()) >= 0.25:
        return _split_off(box, inside)
    # A card's outline or shadow (a sparse ring around everything) and thin runs (dividers) are
    # what chained the pieces: without them, what stands alone. A piece with a thin outline of its
    # own (an empty checkbox) stays whole; only the chain is opened up.
    grown = cv2.dilate(inside.view(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    parts = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if w < MIN_SIDE or h < MIN_SIDE or area < MIN_PIXELS:
            continue
        if not _chain_like(w, h, area, box):
            parts.append(Box(x0 + x, y0 + y, w, h))
            continue
        if rings is not None and w >= 0.8 * box.width and h >= 0.8 * box.height:
            rings.append(Box(x0 + x, y0 + y, w, h))  # a card's rim or shadow all around
        chain = (inside & (labels == label)).view(np.uint8)
        solid = cv2.morphologyEx(chain, cv2.MORPH_OPEN, np.ones((4, 4), np.uint8))
        pieces, _, piece_stats, _ = cv2.connectedComponentsWithStats(
            cv2.dilate(solid, np.ones((3, 3), np.uint8)), connectivity=8
        )
        for piece in range(1, pieces):
            px, py, pw, ph, parea = (int(v) for v in piece_stats[piece])
            if (
                pw >= MIN_SIDE
                and ph >= MIN_SIDE
                and parea >= MIN_PIXELS
                and not _chain_like(pw, ph, parea, box)
            ):
                parts.append(Box(x0 + px, y0 + py, pw, ph))
    return _merge(parts)


def _ring_card(rgb: np.ndarray, ring: Box, root: Region, regions: list[Region]) -> Region | None:
    """The card inside a rim or a shadow that no region explained (a white card on a white page,
    drawn only by its shadow): its flat inside, found from its middle, becomes a region with the
    shadow fitted to its rim."""
    x0, y0 = int(ring.x), int(ring.y)
    x1, y1 = math.ceil(ring.right), math.ceil(ring.bottom)
    crop = rgb[y0:y1, x0:x1].astype(np.int16)
    h, w = crop.shape[:2]
    if h < 12 or w < 12:
        return None
    outside = np.median(np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]]), axis=0)
    middle = crop[h // 2, w // 4 : w - w // 4]
    values, counts = np.unique(middle.reshape(-1, 3), axis=0, return_counts=True)  # its fill
    fill = values[int(np.argmax(counts))].astype(np.int16)
    flat = (np.abs(crop - fill).max(axis=2) <= 3).astype(np.uint8)
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    # The card's inside is the flat run of the middle row nearest its centre.
    seeds = np.nonzero(labels[h // 2] > 0)[0]
    if not len(seeds):
        return None
    label = int(labels[h // 2, seeds[int(np.argmin(np.abs(seeds - w // 2)))]])
    x, y, cw, ch, _area = (int(v) for v in stats[label])
    if sum((x == 0, y == 0, x + cw == w, y + ch == h)) > 1:
        return None  # the flat color runs out through the rim: no card (one side may be a header's)
    box = Box(x0 + x, y0 + y, cw, ch)
    if any(
        abs(r.box.x - box.x) <= 3
        and abs(r.box.right - box.right) <= 3
        and abs(r.box.y - box.y) <= 3
        and abs(r.box.bottom - box.bottom) <= 3
        for r in regions
        if r.visible
    ):
        return None  # already a region
    corner = labels[y : y + 8, x : x + 8] != label
    radius = math.sqrt(float(corner.sum()) / (1 - math.pi / 4)) if corner.any() else 0.0
    region = add_region(box, as_rgb(fill), root, regions, radius=round(min(radius, 24.0)))
    detect_shadow(rgb, region, as_rgb(outside))
    if region.shadow is None:
        # No shadow's fade: the rim is a hairline outline, drawn as a 1 px border of its color
        # on every side it closes.
        sides = (y > 0, x + cw < w, y + ch < h, x > 0)
        rims = [crop[y - 1, x + cw // 2]] if sides[0] else []
        rims += [crop[y + ch // 2, x + cw]] if sides[1] else []
        rims += [crop[y + ch, x + cw // 2]] if sides[2] else []
        rims += [crop[y + ch // 2, x - 1]] if sides[3] else []
        rim = np.median(np.array(rims), axis=0) if rims else fill
        if float(np.abs(rim - fill).max()) > 12:
            top, right, bottom, left = (int(v) for v in sides)
            region.box = Box(box.x - left, box.y - top, box.width + left + right, box.height + top + bottom)
            region.border_width = (top, right, bottom, left)
            region.border_color = as_rgb(rim)
    return region


def _ring_around(rgb: np.ndarray, disc: Region, root: Region, regions: list[Region]) -> Region | None:
    """A thin ring a few px around a small disc (a selected color swatch, an avatar's outline),
    the surface's color between them: a round box of that surface with the ring as its border,
    holding the disc. Without it the ring's arcs were left over as slivers of picture."""
    b = disc.box
    side = min(b.width, b.height)
    if not disc.visible or side > _SMALL_ROUND or side < 10 or abs(b.width - b.height) > 1:
        return None
    height, width = rgb.shape[:2]
    surface = np.asarray(disc.parent.fill if disc.parent is not None else root.fill, dtype=np.int16)
    gap = 0  # a "border" of the surface's own color is the gap before the ring, not a border
    if (
        disc.border_color is not None
        and len(set(disc.border_width)) == 1
        and color_distance(disc.border_color, as_rgb(surface)) <= 12
    ):
        gap = disc.border_width[0]
        b = Box(b.x + gap, b.y + gap, b.width - 2 * gap, b.height - 2 * gap)
        side = min(b.width, b.height)
    if disc.radius < 0.45 * side:
        return None
    cx, cy, r = b.x + b.width / 2, b.y + b.height / 2, side / 2
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    standing = []  # per distance out from the disc's edge: per direction, whether it stands out
    colors = []
    for k in range(0, 9):
        xs = np.round(cx + (r + k + 0.5) * np.cos(angles) - 0.5).astype(int)
        ys = np.round(cy + (r + k + 0.5) * np.sin(angles) - 0.5).astype(int)
        if xs.min() < 0 or ys.min() < 0 or xs.max() >= width or ys.max() >= height:
            return None
        pixels = rgb[ys, xs].astype(np.int16)
        standing.append(np.abs(pixels - surface).max(axis=1) > 24)
        colors.append(pixels)
    share = [float(s.mean()) for s in standing]
    clear = next((k for k in range(1, 6) if share[k] < 0.25), None)
    if clear is None:
        return None
    start = next((k for k in range(clear, 8) if share[k] >= 0.85), None)
    if start is None:
        return None
    stop = start
    while stop < 9 and share[stop] >= 0.5:
        stop += 1
    if stop - start > 3 or stop >= 8 or min(share[stop], share[stop + 1]) > 0.1:
        return None  # a wide band or no way back to the surface: not a thin ring
    ring = np.median(np.concatenate([colors[k][standing[k]] for k in range(start, stop)]), axis=0)
    grow = stop
    outer = Box(b.x - grow, b.y - grow, b.width + 2 * grow, b.height + 2 * grow)
    holder = Region(outer, as_rgb(surface), radius=outer.width / 2, parent=disc.parent)
    holder.border_width = (stop - start,) * 4
    holder.border_color = as_rgb(ring)
    if gap:
        disc.box, disc.border_width, disc.border_color = b, (0, 0, 0, 0), None
        disc.border_colors = (None, None, None, None)
    parent = disc.parent or root
    if disc in parent.children:
        parent.children[parent.children.index(disc)] = holder
    holder.children.append(disc)
    disc.parent = holder
    regions.insert(regions.index(disc), holder)
    return holder


def _column_of_dots(rgb: np.ndarray, box: Box) -> bool:
    """Whether a mark too narrow for a picture is two to four dots in a column: a "more" menu's ⋮
    (mail_inbox's three dots, whose antialiased rims join them into a 5 x 17 px column, was lost).
    At half their contrast the dots stand apart; a rounded outline's end (a pill's) is one arc."""
    if box.height < 10 or box.height > 48 or box.width < 2:
        return False
    x0, y0 = max(int(box.x) - 1, 0), max(int(box.y) - 1, 0)
    crop = rgb[y0 : math.ceil(box.bottom) + 1, x0 : math.ceil(box.right) + 1].astype(np.int16)
    ground = np.median(edge_pixels(crop), axis=0)
    contrast = np.abs(crop - ground).max(axis=2)
    if contrast.max() < 40:
        return False
    solid = (contrast > 0.5 * contrast.max()).astype(np.uint8)
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    dots = stats[1:]
    w, h = dots[:, cv2.CC_STAT_WIDTH], dots[:, cv2.CC_STAT_HEIGHT]
    return 2 <= len(dots) <= 4 and bool((w <= 6).all() and (h <= 6).all())


def _minus_sign(bar: Box, regions: list[Region]) -> bool:
    """A short level bar centred in a small box is a minus sign (a quantity stepper's, a
    collapse button's), not a sliver of an edge: bulma_product's 14 x 2 px minus (16 x 4 with its
    antialiased rim) was lost, and a 13 x 1 px "−" with a rim row below it (16 x 5) too."""
    if not (bar.height <= 5 and 8 <= bar.width <= 24):
        return False
    cx, cy = bar.x + bar.width / 2, bar.y + bar.height / 2
    return any(
        r.visible
        and r.box.width <= 64
        and r.box.height <= 64
        and bar.width <= 0.6 * r.box.width
        and abs(r.box.x + r.box.width / 2 - cx) <= 3
        and abs(r.box.y + r.box.height / 2 - cy) <= 3
        for r in regions
    )


def _tool_minus(rgb: np.ndarray, bar: Box, pictures: list[Box]) -> bool:
    """A short level bar beside an icon on its row, about as wide as the icon is tall: a collapse
    button's "−" beside its card's close "×", drawn on no box of its own (adminlte's card tools:
    an 11 x 2 px bar, too thin for a picture, was lost). One solid stroke: an ellipsis's dots are
    text."""
    x0, y0 = max(int(bar.x) - 1, 0), max(int(bar.y) - 1, 0)
    crop = rgb[y0 : math.ceil(bar.bottom) + 1, x0 : math.ceil(bar.right) + 1].astype(np.int16)
    contrast = np.abs(crop - np.median(edge_pixels(crop), axis=0)).max(axis=2)
    runs = ink_runs((contrast > 0.5 * max(int(contrast.max()), 1)).any(axis=0))
    if len(runs) != 1 or runs[0][1] - runs[0][0] < 0.75 * bar.width:
        return False
    cy = bar.y + bar.height / 2
    return any(
        8 <= p.height <= 32
        and p.width <= 32
        and 0.6 * p.height <= bar.width <= 1.4 * p.height
        and abs(p.y + p.height / 2 - cy) <= 3
        and max(p.x - bar.right, bar.x - p.right) <= 2 * p.height + 8
        for p in pictures
    )


def _split_off(box: Box, inside: np.ndarray) -> list[Box]:
    """A picture with text over it (a profile's cover) stays whole, but the small pieces that
    text chained to it from outside its own bounds (the icons of the buttons below a cover) are
    graphics of their own."""
    x0, y0 = int(box.x), int(box.y)
    grown = cv2.dilate(inside.view(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    if count <= 2:
        return [box]
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mx, my, mw, mh, _ = (int(v) for v in stats[main])
    body = Box(x0 + mx, y0 + my, mw, mh)
    pieces = []
    for label in range(1, count):
        if label == main:
            continue
        x, y, w, h, area = (int(v) for v in stats[label])
        part = Box(x0 + x, y0 + y, w, h)
        # Apart: no pixel of the picture within 8 px of the piece.
        around = labels[max(y - 8, 0) : y + h + 8, max(x - 8, 0) : x + w + 8]
        if w >= MIN_SIDE and h >= MIN_SIDE and area >= MIN_PIXELS and not (around == main).any():
            pieces.append(part)
        else:
            body = body.union(part)
    return [body, *_merge(pieces)] if pieces else [box]


def _chain_like(w: int, h: int, area: int, box: Box) -> bool:
    """A component spanning most of the graphic's box while covering little of its own: an
    outline, a shadow's rim or a divider, not a piece of picture."""
    return (w >= 0.8 * box.width or h >= 0.8 * box.height) and area < 0.2 * w * h


def _flat_box(
    rgb: np.ndarray, box: Box, texts: list[Box], root: Region, regions: list[Region]
) -> list[Box] | None:
    """A graphic that is one flat color in a plain shape (a pill, a rounded box) once the text on
    it is set aside becomes a box in ``regions``, which then holds that text. Returns the boxes of
    the other marks on it (an icon beside the text), or None when it is not such a box."""
    if box.area > 40_000:
        return None
    y0, y1, x0, x1 = int(box.y), math.ceil(box.bottom), int(box.x), math.ceil(box.right)
    crop = rgb[y0:y1, x0:x1].astype(np.int16)
    # The boxes found inside it (a segmented control's selected segment) are set aside too.
    held = [r.box for r in regions if r.visible and box.contains(r.box, slack=1) and r.box.area < box.area]
    on_text = box_mask(crop.shape, [*texts, *held], x0, y0, pad=1)
    ring = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    outside = np.median(ring, axis=0)
    # What stands out from the outside: 24 levels skips antialiasing, but a light grey disc on
    # white (#f0f0f0, 15 levels) stands out less than that; its own contrast sets the bar then
    # (daisy_pricing_dark's segmented control is 4 levels darker than its page).
    h, w = crop.shape[:2]
    middle = (slice(h // 4, h - h // 4), slice(w // 4, w - w // 4))
    centre = crop[middle][~on_text[middle]]
    contrast = float(np.abs(np.median(centre, axis=0) - outside).max()) if len(centre) else 0.0
    bar = contrast / 2 if 3 <= contrast < 48 else 24
    body = (np.abs(crop - outside).max(axis=2) > bar) & ~on_text
    if body.sum() < 0.3 * body.size:
        return None
    pixels = crop[body]
    fill = np.median(pixels, axis=0)
    same = np.abs(crop - fill).max(axis=2) <= 6
    if float(np.mean(same[body])) < 0.8:
        return None  # shaded or textured: a picture
    if not is_plain(body | on_text):
        return None
    marks = (body & ~same).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(marks, np.ones((3, 3), np.uint8)))
    found = []
    for label in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[label])
        if w >= MIN_SIDE and h >= MIN_SIDE and int(marks[y : y + h, x : x + w].sum()) >= MIN_PIXELS:
            found.append(Box(x0 + x, y0 + y, w, h))
    r, g, b = (round(float(v)) for v in fill)
    add_region(box, (r, g, b), root, regions, radius=_corner_radius(body & same))
    return found


def _outlined_box(
    rgb: np.ndarray, box: Box, texts: list[Box], root: Region, regions: list[Region]
) -> list[Box] | None:
    """A graphic that is a box drawn by its thin outline (an outlined button or chip, a card
    the page's color inside) with text on a flat inside becomes that box, with a border of the
    outline's color, in ``regions``. A side cut off by the page's edge has no border. Returns the
    boxes of the other marks on or over it (an icon, a counter badge on its corner), or None."""
    if box.area > 40_000 or box.width < 24 or box.height < 16:
        return None
    height, width = rgb.shape[:2]
    pixels, gx0, gy0 = crop_around(rgb, box, 2)
    crop = pixels.astype(np.int16)
    outside = np.median(edge_pixels(crop), axis=0)
    differs = np.abs(crop - outside).max(axis=2) > 12
    h, w = differs.shape
    on_text = box_mask((h, w), texts, gx0, gy0, pad=1)
    # Each side's outline: along the middle half of the side, the first pixel in from the side
    # that stands out, at one depth (a straight line), a run of at most 3 px.
    edges: list[int] = []
    widths: list[int] = []
    colors: list[np.ndarray] = []
    cut = (gy0 == 0, gx0 + w >= width, gy0 + h >= height, gx0 == 0)  # top, right, bottom, left
    for side in range(4):
        view = {0: differs, 1: differs[:, ::-1].T, 2: differs[::-1], 3: differs.T}[side]
        pix = {0: crop, 1: crop[:, ::-1].transpose(1, 0, 2), 2: crop[::-1], 3: crop.transpose(1, 0, 2)}[side]
        span = view.shape[1]
        lanes = list(range(span // 4, span - span // 4))
        depths = np.array([int(np.argmax(view[:, c])) if view[:, c].any() else -99 for c in lanes])
        # The depth most lanes meet (a pill's round end meets it in its middle only; a badge
        # over the corner meets some lanes further out).
        support = [int((np.abs(depths - d) <= 1).sum()) for d in range(0, 15)]
        depth = int(np.argmax(support))
        if support[depth] < 0.5 * len(lanes):
            if cut[side]:
                edges.append(0)  # the box runs on past the page's edge: no border here
                widths.append(0)
                continue
            return None
        depth = max(depth - 1, 0) if support[max(depth - 1, 0)] == support[depth] else depth
        # Where the outline meets the side square on (a pill's round end: at its apex), its
        # run is its width; where it curves away the run is longer.
        on_line = [c for c, d in zip(lanes, depths, strict=True) if d == depth]
        if len(on_line) < 3:
            on_line = [c for c, d in zip(lanes, depths, strict=True) if abs(d - depth) <= 1]
        runs = []
        strongest = []  # each lane's outline pixel that stands out most (a thin line's first
        for c in on_line:  # pixel may be a faint antialiased blend: a pill's round end)
            run, start = 0, int(np.argmax(view[:, c]))
            while start + run < view.shape[0] and view[start + run, c]:
                run += 1
            runs.append(run)
            line = pix[start : start + max(run, 1), c]
            strongest.append(line[int(np.argmax(np.abs(line - outside).max(axis=1)))])
        thickness = int(np.median(runs))
        if not 1 <= thickness <= 3:
            return None
        edges.append(depth)
        widths.append(thickness)
        colors.append(np.median(np.array(strongest), axis=0))
    drawn = [side for side in range(4) if widths[side]]
    if len(drawn) < 3:
        return None
    # The border's color is its strongest side's: a thin outline's round ends (a pill's sides)
    # are lighter blends of it with the outside, which count as the same color.
    # (A side the page's edge cuts may show text there instead: not the border's color.)
    whole = [colors[k] for k, side in enumerate(drawn) if not cut[side]] or colors
    border = max(whole, key=lambda c: float(np.abs(c - outside).max()))
    toward = border - outside
    for k, side in enumerate(drawn):
        along = float((colors[k] - outside) @ toward) / max(float(toward @ toward), 1.0)
        off = float(np.abs(colors[k] - (outside + along * toward)).max())
        if off > 24 or not 0.5 <= along <= 1.25:
            if not cut[side]:
                return None  # sides of different colors: not one outline
            edges[side], widths[side] = 0, 0  # what the page's edge cuts (text), not the outline
    top, right, bottom, left = edges
    x0, y0, x1, y1 = left, top, w - right, h - bottom
    if x1 - x0 < 24 or y1 - y0 < 16:
        return None
    inner = (
        slice(y0 + widths[0] + 1, y1 - widths[2] - 1),
        slice(x0 + widths[3] + 1, x1 - widths[1] - 1),
    )
    inside = crop[inner][~on_text[inner]]
    if len(inside) < 50:
        return None
    fill = np.median(inside, axis=0)
    if float((np.abs(inside - fill).max(axis=1) <= 8).mean()) < 0.75:
        return None  # shaded or textured inside: a picture
    solid = np.zeros((h, w), dtype=bool)
    solid[y0:y1, x0:x1] = differs[y0:y1, x0:x1]
    probe = solid[y0:y1, x0:x1]
    # A side the page's edge cuts has no corners: the other side's are mirrored onto it.
    if not widths[1] or not widths[3]:
        kept = (
            probe[:, : probe.shape[1] // 2] if widths[3] else probe[:, probe.shape[1] - probe.shape[1] // 2 :]
        )
        probe = np.hstack([kept, kept[:, ::-1]]) if widths[3] else np.hstack([kept[:, ::-1], kept])
    radius = _corner_radius(probe)
    # The outline's band (its straight sides and rounded corners) is the box's; what else stands
    # out from the inside, or from the page outside the box, is a mark of its own.
    area = np.zeros((h, w), dtype=np.uint8)
    area[y0:y1, x0:x1] = rounded_rect(y1 - y0, x1 - x0, round(radius))
    reach = 2 * max(widths) + 5
    interior = cv2.erode(area, np.ones((reach, reach), np.uint8))
    band = cv2.dilate(area, np.ones((5, 5), np.uint8)).astype(bool) & (interior == 0)
    within = np.zeros((h, w), dtype=bool)
    within[y0:y1, x0:x1] = True
    marks_mask = np.where(within, np.abs(crop - fill).max(axis=2) > 12, differs) & ~on_text
    marks_mask &= ~band
    count, labels = cv2.connectedComponents(cv2.dilate(marks_mask.view(np.uint8), np.ones((5, 5), np.uint8)))
    found_marks = []
    for label in range(1, count):
        ys, xs = np.nonzero(marks_mask & (labels == label))
        if len(xs) < MIN_PIXELS:
            continue
        mark = Box(
            gx0 + int(xs.min()),
            gy0 + int(ys.min()),
            int(xs.max() - xs.min()) + 1,
            int(ys.max() - ys.min()) + 1,
        )
        if mark.width >= MIN_SIDE and mark.height >= MIN_SIDE:
            found_marks.append(mark)
    region = add_region(
        Box(gx0 + x0, gy0 + y0, x1 - x0, y1 - y0), as_rgb(fill), root, regions, radius=round(radius)
    )
    region.border_width = (widths[0], widths[1], widths[2], widths[3])
    region.border_color = as_rgb(border)
    return _merge(found_marks)


def _corner_radius(solid: np.ndarray) -> float:
    """The corner radius of a box whose fully covered pixels are ``solid``: measured along the
    diagonals, where an arc of radius r leaves 0.29 r uncovered (a disc's whole half side)."""
    h, w = solid.shape
    side = min(h, w)
    steps = []
    for corner in (solid, solid[:, ::-1], solid[::-1], solid[::-1, ::-1]):
        diagonal = corner[np.arange(side // 2), np.arange(side // 2)]
        steps.append(int(np.argmax(diagonal)) if diagonal.any() else side // 2)
    radius = float(np.median(steps)) / (1 - math.sqrt(0.5))
    return side / 2 if radius >= 0.8 * side / 2 else round(min(radius, side / 2))


def add_region(box: Box, fill: RGB, root: Region, regions: list[Region], radius: float = 0.0) -> Region:
    """A box found after the others (a badge), nested in the innermost visible region around it."""
    parent = root
    for region in regions:
        if region.visible and _inside(box, region.box) and region.box.area < parent.box.area:
            parent = region
    found = Region(box, fill, radius=radius, parent=parent)
    parent.children.append(found)
    regions.append(found)
    return found


def _own_container(graphic: Graphic, root: Region, regions: list[Region]) -> None:
    """A picture with text on it is the background of a box of its own size (a hero), never of
    a bigger section or the page: when no region is about its size, one is added for it."""
    box = graphic.box
    holder = root
    for region in regions:
        if region.visible and _inside(box, region.box, 2) and region.box.area < holder.box.area:
            holder = region
    if holder.box.area <= 1.25 * box.area:
        return
    container = add_region(box, holder.fill, root, regions)
    container.background_image = graphic


def _explained(
    surfaces: Surfaces, root: Region, regions: list[Region], region_labels: dict[int, Region]
) -> np.ndarray:
    """Per flat component: whether it is a region, or has the color of the region under it."""
    owners, ordered = owner_map(surfaces.labels.shape, root, regions)  # type: ignore[arg-type]
    stats, means, labels = surfaces.stats, surfaces.means, surfaces.labels
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
        if color_distance(color, owner.fill) <= 8 or _within_gradient(color, owner.gradient):  # type: ignore[arg-type]
            explained[label] = True
        elif area >= 4000 and color_distance(color, root.fill) <= 8:  # type: ignore[arg-type]
            explained[label] = True  # open page background that a region's bounding box overlaps
    return explained


def _within_gradient(color: tuple[int, int, int], gradient: str | None) -> bool:
    """Whether ``color`` is one the gradient passes through (within its stops' range, per channel)."""
    if gradient is None:
        return False
    stops = [tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in _HEX.findall(gradient)]
    if not stops:
        return True
    return all(min(s[c] for s in stops) - 8 <= color[c] <= max(s[c] for s in stops) + 8 for c in range(3))


def find_shapes(
    rgb: np.ndarray,
    surfaces: Surfaces,
    root: Region,
    regions: list[Region],
    region_labels: dict[int, Region],
    text_mask: np.ndarray,
) -> dict[int, Shape]:
    """Unexplained flat or gradient components whose outline is a polygon of a few corners
    (component label -> shape): drawn as vectors, they need no raster crop."""
    stats, labels = surfaces.stats, surfaces.labels
    explained = _explained(surfaces, root, regions, region_labels)
    found: dict[int, Shape] = {}
    for label in range(1, len(stats)):
        x, y, w, h, area = (int(v) for v in stats[label])
        if explained[label] or area < MIN_SHAPE_AREA or max(w, h) < 48 or min(w, h) < MIN_SIDE:
            continue
        mask = labels[y : y + h, x : x + w] == label
        if float(text_mask[y : y + h, x : x + w][mask].mean()) > 0.2:
            continue  # inside glyphs
        shape = _polygon_shape(rgb, mask, (x, y, w, h))
        if shape is not None:
            found[label] = shape
    return found


def _polygon_shape(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> Shape | None:
    x, y, w, h = box
    # The component stops a pixel short of its edge (that pixel is a step); grow it back.
    padded = cv2.copyMakeBorder(mask.view(np.uint8), 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    grown = cv2.dilate(padded, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if len(contours) != 1:
        return None
    contour = contours[0]
    perimeter = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, max(1.5, 0.004 * perimeter), True)
    if not 3 <= len(approx) <= MAX_SHAPE_VERTICES:
        return None
    corners = approx.reshape(-1, 2).astype(np.float64)
    longest = float(np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1).max())
    if longest < 0.5 * max(w, h):
        return None  # a curve (circle, leaf) drawn with short chords: a polygon would show corners
    filled = np.zeros_like(grown)
    cv2.drawContours(filled, [contour], -1, 1, -1)
    polygon = np.zeros_like(grown)
    cv2.fillPoly(polygon, [approx], 1)
    # Straight edges drawn at an angle differ from the polygon by their antialiased staircase:
    # about one pixel along the outline. Anything more is a curve or texture.
    if np.count_nonzero(filled != polygon) > 1.0 * perimeter + 0.01 * float(filled.sum()):
        return None
    pixels = rgb[y : y + h, x : x + w][mask].astype(np.float32)
    points = [(float(px) - 2 + x + 0.5, float(py) - 2 + y + 0.5) for px, py in approx.reshape(-1, 2)]
    fill = tuple(round(float(v)) for v in pixels.mean(axis=0))
    spread = float(pixels.std(axis=0).max())
    fit = fit_gradient(rgb, mask, box) if spread > 1.0 else None
    if fit is None:
        # Flat, or a gradient no straight line fits: flat only when the colors barely vary.
        return Shape(points, fill) if spread <= 2.0 else None  # type: ignore[arg-type]
    angle, start, end = fit
    a = math.radians(angle)
    half = (abs(w * math.sin(a)) + abs(h * math.cos(a))) / 2
    cx, cy = x + w / 2, y + h / 2
    dx, dy = math.sin(a) * half, -math.cos(a) * half
    first = tuple(round(float(v)) for v in start)
    last = tuple(round(float(v)) for v in end)
    return Shape(points, fill, (cx - dx, cy - dy, cx + dx, cy + dy, first, last))  # type: ignore[arg-type]


def _clear(mask: np.ndarray, box: Box, pad: int) -> None:
    h, w = mask.shape
    mask[
        max(int(box.y) - pad, 0) : min(math.ceil(box.bottom) + pad, h),
        max(int(box.x) - pad, 0) : min(math.ceil(box.right) + pad, w),
    ] = False


_SMALL_ROUND = 64  # px: a round box this small is a control or an avatar


def _clear_ring(mask: np.ndarray, region: Region) -> None:
    """The pixels along a region's outline (antialiasing, borders, corners, light shadows)."""
    h, w = mask.shape
    b = region.box
    x0, y0, x1, y1 = int(b.x), int(b.y), math.ceil(b.right), math.ceil(b.bottom)
    inner = max(region.border_width) + 2
    outer = 3
    for ya, yb, xa, xb in (
        (y0 - outer, y0 + inner, x0 - outer, x1 + outer),
        (y1 - inner, y1 + outer, x0 - outer, x1 + outer),
        (y0 - outer, y1 + outer, x0 - outer, x0 + inner),
        (y0 - outer, y1 + outer, x1 - inner, x1 + outer),
    ):
        mask[max(ya, 0) : min(yb, h), max(xa, 0) : min(xb, w)] = False
    radius = int(region.radius)
    if radius < 2:
        return
    side = min(x1 - x0, y1 - y0)
    # (A disc's box may come out a few pixels off square: probe's send button, 36 x 40.)
    disc = abs((x1 - x0) - (y1 - y0)) <= max(1, 0.12 * side) and radius >= 0.45 * side
    if side <= _SMALL_ROUND and not disc:
        # A control's pill or an avatar's disc: the corner squares whole (a switch's knob, drawn
        # in a corner, is the switch's, found with it). A card's corner square may hold an icon
        # (mail_inbox's "next page" chevron, 20 px in from the toolbar's rounded corner, was
        # cleared away): only what lies outside its arc is cleared, below.
        corner = radius + 3
        for ya, yb, xa, xb in (
            (y0, y0 + corner, x0, x0 + corner),
            (y0, y0 + corner, x1 - corner, x1),
            (y1 - corner, y1, x0, x0 + corner),
            (y1 - corner, y1, x1 - corner, x1),
        ):
            mask[max(ya, 0) : min(yb, h), max(xa, 0) : min(xb, w)] = False
        return
    # A disc (what is drawn on it, an icon, reaches into its corner squares) or a big round box:
    # what lies outside the arc, and its antialiased band (the corner squares of
    # a plate are most of the plate: what is drawn on it stays; bulma_shop_grid's food photo kept
    # only its plate, as a white disc).
    r = min(radius, (x1 - x0) // 2, (y1 - y0) // 2)
    yy, xx = np.mgrid[0 : r + 3, 0 : r + 3]
    off = np.hypot(r - xx - 0.5, r - yy - 0.5) >= r - 3  # from the arc's centre, in the corner square
    for ya, xa, flip_y, flip_x in (
        (y0, x0, False, False),
        (y0, x1 - r - 3, False, True),
        (y1 - r - 3, x0, True, False),
        (y1 - r - 3, x1 - r - 3, True, True),
    ):
        part = off[::-1] if flip_y else off
        part = part[:, ::-1] if flip_x else part
        ys, xs = max(ya, 0), max(xa, 0)
        ye, xe = min(ya + r + 3, h), min(xa + r + 3, w)
        if ye <= ys or xe <= xs:
            continue
        window = part[ys - ya : ye - ya, xs - xa : xe - xa]
        mask[ys:ye, xs:xe] &= ~window


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


def data_uri(crop: np.ndarray) -> str:
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


# --- figures (charts) ---------------------------------------------------------------------------

# Items closer than this (px) belong to one figure: a chart's bars, grid lines and marks touch.
_FIGURE_GAP = 6
# Labels (axis ticks, legend entries) this close (px) to a figure are part of it.
_LABEL_REACH = 24
_LABEL_CHARS = 10


def find_figures(
    rgb: np.ndarray,
    root: Region,
    regions: list[Region],
    rules: list[Rule],
    graphics: list[Graphic],
    lines: list[TextLine],
) -> tuple[list[Graphic], list[Rule], list[TextLine]]:
    """Charts drawn as many small boxes, grid lines and marks (a bar chart's bars are boxes, its
    grid lines dividers, its ticks short text) become one picture: a crop of the whole figure with
    its labels, in the flow where it sits. Without this a chart falls apart into boxes and rules.

    Returns the graphics (figures added, their parts removed), the rules and the text lines left;
    the boxes inside a figure are hidden."""
    text_boxes = [line.ink for line in lines]

    def empty(box: Box) -> bool:
        return not any(t.intersection(box) > 0.3 * t.area for t in text_boxes)

    items: list[tuple[Box, str, object]] = []
    for region in regions:
        if region.visible and not region.children and empty(region.box):
            items.append((region.box, "region", region))
    items += [(rule.box, "rule", rule) for rule in rules]
    items += [(g.box, "graphic", g) for g in graphics if not g.behind_text]
    clusters = _clusters([box for box, _k, _o in items], _FIGURE_GAP)
    figures: list[tuple[Box, set[int], set[int]]] = []  # box, item indices, line indices
    for members in clusters:
        if len(members) < 8:
            continue
        box = _union([items[i][0] for i in members])
        if box.width < 80 or box.height < 60:
            continue
        holder = _holder(box, root, regions)
        marks = [
            i
            for i in members
            if (items[i][1] == "region" and color_distance(items[i][2].fill, holder.fill) > 40)  # type: ignore[attr-defined]
            or (items[i][1] == "graphic" and items[i][0].area >= 100)
        ]
        rule_count = sum(1 for i in members if items[i][1] == "rule")
        if len(marks) < 3 or rule_count < 2:
            continue  # a grid without marks is a table or a calendar, not a chart
        inside = [k for k, t in enumerate(text_boxes) if t.intersection(box) > 0.5 * t.area]
        if any(len(lines[k].text) > _LABEL_CHARS for k in inside):
            continue  # prose inside: a layout, not a figure
        box, labels = _with_labels(box, holder, lines, set(inside))
        figures.append((box, set(members), labels))
    if not figures:
        return graphics, rules, lines
    dropped_items: set[int] = set()
    dropped_lines: set[int] = set()
    added: list[Graphic] = []
    for box, parts, labels in figures:
        dropped_items |= parts
        dropped_lines |= labels
        for k, (item_box, kind, obj) in enumerate(items):
            if kind == "region" and _inside(item_box, box):
                obj.visible = False  # type: ignore[attr-defined]
                dropped_items.add(k)
        x0, y0 = int(box.x), int(box.y)
        crop = rgb[y0 : math.ceil(box.bottom), x0 : math.ceil(box.right)]
        added.append(Graphic(box, data_uri(crop)))
    gone = {id(items[i][2]) for i in dropped_items}
    kept_graphics = [
        g for g in graphics if id(g) not in gone and not any(_inside(g.box, f[0]) for f in figures)
    ]
    kept_rules = [r for r in rules if id(r) not in gone and not any(_inside(r.box, f[0]) for f in figures)]
    kept_lines = [line for k, line in enumerate(lines) if k not in dropped_lines]
    return kept_graphics + added, kept_rules, kept_lines


def _clusters(boxes: list[Box], gap: float) -> list[list[int]]:
    """Groups of boxes chained by gaps of at most ``gap`` px (single linkage)."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(boxes)), key=lambda i: boxes[i].x)
    for a_pos, a in enumerate(order):
        grown = Box(boxes[a].x - gap, boxes[a].y - gap, boxes[a].width + 2 * gap, boxes[a].height + 2 * gap)
        for b in order[a_pos + 1 :]:
            if boxes[b].x > grown.right:
                break
            if grown.intersection(boxes[b]) > 0 or (
                boxes[b].width * boxes[b].height == 0 and _touches(grown, boxes[b])
            ):
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _touches(a: Box, b: Box) -> bool:
    return a.x <= b.right and b.x <= a.right and a.y <= b.bottom and b.y <= a.bottom


def _union(boxes: list[Box]) -> Box:
    box = boxes[0]
    for other in boxes[1:]:
        box = box.union(other)
    return box


def _inside(inner: Box, outer: Box, tolerance: float = 1.0) -> bool:
    return (
        inner.x >= outer.x - tolerance
        and inner.y >= outer.y - tolerance
        and inner.right <= outer.right + tolerance
        and inner.bottom <= outer.bottom + tolerance
    )


def _holder(box: Box, root: Region, regions: list[Region]) -> Region:
    found = root
    for region in regions:
        if region.visible and _inside(box, region.box, 2) and region.box.area < found.box.area:
            found = region
    return found


def _with_labels(box: Box, holder: Region, lines: list[TextLine], taken: set[int]) -> tuple[Box, set[int]]:
    """The figure grown by the short labels right around its plot (ticks, a legend over it),
    within the box that holds it. A card's title and tabs sit further off and stay text."""
    labels = set(taken)
    reach = Box(
        box.x - _LABEL_REACH,
        box.y - _LABEL_REACH,
        box.width + 2 * _LABEL_REACH,
        box.height + 2 * _LABEL_REACH,
    )
    grown = box
    for k, line in enumerate(lines):
        if k in labels or len(line.text) > _LABEL_CHARS or line.ink.intersection(reach) <= 0:
            continue
        if not _inside(grown.union(line.ink), holder.box, 2):
            continue
        labels.add(k)
        grown = grown.union(line.ink)
    for k in taken:
        grown = grown.union(lines[k].ink)
    box = grown
    # A pixel of margin: antialiased edges of the outermost marks stay in the picture.
    return Box(box.x - 1, box.y - 1, box.width + 2, box.height + 2), labels
