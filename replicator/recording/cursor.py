"""Cursor-free key frames: the pointer is taken out of each key state before anything reads it.

Two ways, in order:

1. **Its neighbouring frames.** Each key state is decoded at several moments of the time it held
   still; the per-pixel median of those frames is the screen without a pointer that moved during
   that time (it covers any one pixel in fewer than half of them).
2. **Its own shape.** A pointer that rested in one place the whole time survives the median. The
   recording itself shows what its pointer looks like: wherever it moved, the difference between a
   frame and the median is the pointer's sprite (its pixels and mask). That sprite is looked for
   near where the pointer was seen (where it clicked into the state and where it left from), and
   where it matches, its pixels are replaced by the same place in a neighbouring state when the
   surroundings agree there, or inpainted (OpenCV's Telea) when they do not.

No library removes pointers from screen recordings; this uses OpenCV's primitives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

Rgb = np.ndarray  # OpenCV's results are loosely typed; these are HxWx3 (or HxW) uint8

POINTER_DIFF = 40  # grey levels by which a pointer pixel differs from the screen under it
MIN_SPRITE_PIXELS = 40
SEARCH_PX = 48  # how far from where it was seen the pointer is looked for
# RMS grey difference over the sprite's mask at which it counts as found: video compression blurs a
# pointer's edges by 20-30 levels; anything else under the mask differs by 100 and more.
MATCH_LEVELS = 45.0
SURE_LEVELS = 25.0  # the same, searching the whole frame
STANDS_OUT = 40.0  # grey levels between a pointer and the pixels right around it


@dataclass(frozen=True)
class Sprite:
    grey: np.ndarray
    mask: np.ndarray  # uint8, 255 where the pointer draws

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.mask))


def median_frame(frames: list[Rgb]) -> Rgb:
    """The per-pixel median of same-size frames (the first frame alone when there are fewer than 3)."""
    if len(frames) < 3:
        return frames[0]
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def learn_sprite(frames: list[Rgb], clean: Rgb, max_size: int) -> Sprite | None:
    """The pointer as the frames show it: the largest pointer-sized difference from ``clean`` over a
    flat background."""
    best: Sprite | None = None
    base = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY)
    for frame in frames:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        mask = (cv2.absdiff(grey, base) > POINTER_DIFF).astype(np.uint8)
        if not mask.any():
            continue
        joined = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        for label in range(1, count):
            x, y, w, h, _area = (int(v) for v in stats[label])
            if w > max_size or h > max_size or w < 6 or h < 8:
                continue
            under = base[y : y + h, x : x + w]
            if float(np.mean(np.abs(under.astype(np.int16) - int(np.median(under))) <= 6)) < 0.9:
                continue  # learnt over text or edges, the sprite would carry them along
            part = ((labels[y : y + h, x : x + w] == label) & (mask[y : y + h, x : x + w] > 0)).astype(
                np.uint8
            ) * 255
            sprite = Sprite(grey[y : y + h, x : x + w].copy(), part)
            if sprite.pixels >= MIN_SPRITE_PIXELS and (best is None or sprite.pixels > best.pixels):
                best = sprite
    return best


def find_sprite(
    image: Rgb, sprite: Sprite, near: tuple[float, float] | None, levels: float = MATCH_LEVELS
) -> tuple[int, int] | None:
    """Top-left corner of ``sprite`` in ``image`` within SEARCH_PX of ``near`` (anywhere: None),
    if it is there."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    sh, sw = sprite.grey.shape
    if near is None:
        x0, y0, x1, y1 = 0, 0, grey.shape[1], grey.shape[0]
    else:
        x0 = max(0, int(near[0]) - SEARCH_PX - sw)
        y0 = max(0, int(near[1]) - SEARCH_PX - sh)
        x1 = min(grey.shape[1], int(near[0]) + SEARCH_PX + sw)
        y1 = min(grey.shape[0], int(near[1]) + SEARCH_PX + sh)
    window = grey[y0:y1, x0:x1]
    if window.shape[0] < sh or window.shape[1] < sw:
        return None
    scores = cv2.matchTemplate(
        window.astype(np.float32), sprite.grey.astype(np.float32), cv2.TM_SQDIFF, mask=sprite.mask
    )
    _, _, low, _ = cv2.minMaxLoc(scores)
    best = float(scores[low[1], low[0]])
    rms = (best / max(sprite.pixels, 1)) ** 0.5
    if not np.isfinite(rms) or rms > levels:
        return None
    x, y = x0 + low[0], y0 + low[1]
    # A pointer stands out from what is around it; a dark block or a line of bold text that the
    # dark body of a sprite learnt without its outline happens to fit does not.
    pad = 3
    area = grey[max(0, y - pad) : y + sh + pad, max(0, x - pad) : x + sw + pad].astype(np.int16)
    inner: np.ndarray = np.zeros(area.shape, np.uint8)
    oy, ox = y - max(0, y - pad), x - max(0, x - pad)
    inner[oy : oy + sh, ox : ox + sw] = sprite.mask[: area.shape[0] - oy, : area.shape[1] - ox]
    ring = (cv2.dilate(inner, np.ones((5, 5), np.uint8)) > 0) & (inner == 0)
    if float(sprite.grey[sprite.mask > 0].std()) >= STANDS_OUT:
        return (x, y)  # an outlined sprite (dark body, light edge): its own shape was matched
    if not ring.any() or abs(float(area[ring].mean()) - float(area[inner > 0].mean())) < STANDS_OUT:
        return None
    return (x, y)


def paint_out(image: Rgb, sprite: Sprite, at: tuple[int, int], neighbours: list[Rgb]) -> Rgb:
    """``image`` with the sprite at ``at`` replaced by what is under it."""
    x, y = at
    sh, sw = sprite.mask.shape
    mask: np.ndarray = np.zeros(image.shape[:2], np.uint8)
    mask[y : y + sh, x : x + sw] = sprite.mask[: image.shape[0] - y, : image.shape[1] - x]
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    ring = (cv2.dilate(mask, np.ones((13, 13), np.uint8)) > 0) & (mask == 0)
    out = image.copy()
    for other in neighbours:
        if other.shape != image.shape:
            continue
        around = cv2.absdiff(image, other)[ring]
        inside = cv2.absdiff(image, other)[mask > 0]
        # The surroundings agree, and the pointer is not there too (it rested on the same spot).
        if around.size and float(around.mean()) < 3.0 and float(inside.mean()) > 12.0:
            out[mask > 0] = other[mask > 0]
            return out
    return cv2.inpaint(image, mask, 3, cv2.INPAINT_TELEA)


def clean_states(
    frames: list[list[Rgb]], points: list[list[tuple[float, float]]], max_pointer: int
) -> list[Rgb]:
    """Each key state without the pointer. ``frames``: the decoded frames of each state (the
    representative first); ``points``: where the pointer was seen in or next to it."""
    cleaned = [median_frame(fs) for fs in frames]
    sprite = None
    for fs, clean in zip(frames, cleaned, strict=True):
        if len(fs) >= 3:
            found = learn_sprite(fs, clean, max_pointer)
            if found is not None and (sprite is None or found.pixels > sprite.pixels):
                sprite = found
    if sprite is None:
        return cleaned
    out = []
    for i, (clean, near) in enumerate(zip(cleaned, points, strict=True)):
        neighbours = [cleaned[j] for j in (i - 1, i + 1) if 0 <= j < len(cleaned)]
        # Where the pointer was seen first; then, if it was not there, anywhere, where only a close
        # match will do (the pointer may have been placed wrongly, or not seen at all). The search
        # of the whole frame is the costly part: once per state at most.
        painted = False
        for point, levels in [*((p, MATCH_LEVELS) for p in near), (None, SURE_LEVELS)]:
            if point is None and painted:
                break
            at = find_sprite(clean, sprite, point, levels)
            if at is not None:
                painted = True
                log.debug("key state %d: pointer painted out at %s", i, at)
                clean = paint_out(clean, sprite, at, neighbours)
        out.append(clean)
    return out
