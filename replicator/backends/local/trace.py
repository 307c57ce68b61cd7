"""Unknown one-color marks (a logo's glyph, a separator, an icon of no set we ship) as vector paths.

A mark in one color on a flat surface is its shape and its color: the shape is traced into an SVG
path, so the replica draws it as a vector in that color (sharp at any zoom, recolorable in CSS)
instead of carrying a PNG of it. OpenCV finds the outlines; turning them into an SVG path with
holes is the few lines below (no small library does just that without pulling in a tracer with
native code: potrace bindings need a C build).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...icons import ink_alpha
from ...models import RGB, Box
from .model import Graphic
from .regions import as_rgb, edge_pixels

_SCALE = 4  # the coverage is traced at 4x: outlines follow the antialiasing, not the pixel grid
_MAX_SIDE = 96
_MIN_INK = 6  # pixels of solid ink: less is a speck
_RING_FLAT = 0.9  # this share of the border within 12 of the background: a flat surface
_ONE_COLOR = 0.9  # this share of the solid ink within 40 of its median: one color


def trace_marks(rgb: np.ndarray, graphics: list[Graphic]) -> None:
    """Give each small unknown one-color graphic its traced path and color (in place)."""
    for graphic in graphics:
        if graphic.icon is not None or graphic.behind_text or graphic.trace is not None:
            continue
        box = graphic.box
        if max(box.width, box.height) > _MAX_SIDE or min(box.width, box.height) < 3:
            continue
        found = trace(rgb, box)
        if found is not None:
            graphic.trace, graphic.color = found


def trace(rgb: np.ndarray, box: Box) -> tuple[str, RGB] | None:
    """The SVG path (in the box's own pixel units) and the color of the one-color mark in
    ``box``, or None when it is not one (several colors, or not on a flat surface)."""
    height, width = rgb.shape[:2]
    x0, y0 = max(int(box.x) - 1, 0), max(int(box.y) - 1, 0)
    x1, y1 = min(int(np.ceil(box.right)) + 1, width), min(int(np.ceil(box.bottom)) + 1, height)
    crop = rgb[y0:y1, x0:x1]
    if crop.shape[0] < 3 or crop.shape[1] < 3:
        return None
    pixels = crop.astype(np.int16)
    ring = edge_pixels(pixels)
    background = np.median(ring, axis=0)
    if float((np.abs(ring - background).max(axis=1) <= 12).mean()) < _RING_FLAT:
        return None
    bg = (int(background[0]), int(background[1]), int(background[2]))
    alpha = ink_alpha(crop, bg)
    solid = alpha > 0.8
    if int(solid.sum()) < _MIN_INK:
        return None
    # One color is judged away from the edges, where antialiasing blends a thin stroke (a radio's
    # ring around its dot) with the background; a mark of thin strokes only is judged whole.
    core = solid & cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ink = pixels[core] if int(core.sum()) >= _MIN_INK else pixels[solid]
    median = np.median(ink, axis=0)
    if float((np.abs(ink - median).max(axis=1) <= 40).mean()) < _ONE_COLOR:
        return None
    # Every pixel must be the background, the ink, or a blend of the two (antialiasing): a
    # second color anywhere (a two-tone logo's other half) keeps the crop.
    direction = median - background
    span = float(np.dot(direction, direction))
    if span < 24 * 24:
        return None
    t = np.clip(((pixels - background) @ direction) / span, 0.0, 1.0)
    off = np.abs(pixels - (background + t[..., None] * direction)).max(axis=2)
    if float((off > 40).mean()) > 0.02:
        return None
    big = cv2.resize(t.astype(np.float32), None, fx=_SCALE, fy=_SCALE, interpolation=cv2.INTER_CUBIC)
    mask = (big >= 0.5).astype(np.uint8)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if _drawn_switch(contours, hierarchy, box):
        return None
    # The path is drawn in the box's units; the crop starts a pixel before the box where it can.
    dx, dy = box.x - x0, box.y - y0
    parts = []
    for contour in contours:
        if cv2.contourArea(contour) < _SCALE * _SCALE:
            continue
        points = cv2.approxPolyDP(contour, 0.6, True).reshape(-1, 2)
        if len(points) < 3:
            continue
        # Pixel (i, j) of the enlarged coverage covers [i/4, (i+1)/4): its centre is (i + 0.5)/4.
        coords = [f"{(x + 0.5) / _SCALE - dx:.2f} {(y + 0.5) / _SCALE - dy:.2f}" for x, y in points]
        parts.append("M" + " L".join(coords) + "Z")
    if not parts:
        return None
    return "".join(parts), as_rgb(median)


def _drawn_switch(contours: Sequence[np.ndarray], hierarchy: np.ndarray | None, box: Box) -> bool:
    """A pill with a round hole near one end: a switch drawn as a picture (its knob). It stays a
    picture: a recording's replay swaps the drawing of its other state in its place."""
    if hierarchy is None or not 1.5 <= box.width / max(box.height, 1.0) <= 2.6:
        return False
    holes = [c for c, h in zip(contours, hierarchy[0], strict=True) if h[3] >= 0]
    if len(holes) != 1:
        return False
    _x, _y, w, h = cv2.boundingRect(holes[0])
    side = box.height * _SCALE
    round_hole = 0.75 <= w / max(h, 1) <= 1.33 and h >= 0.45 * side
    return round_hole
