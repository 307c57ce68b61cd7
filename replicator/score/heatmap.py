"""The diff heatmap: the source, washed out to gray, with red where the render differs from it."""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import ReplicatorError
from ..models import Box

_RED = (220, 38, 38)
_MAX_ALPHA = 0.85
_FLOOR = 0.15  # below this (CIE76 4.5 on the shrunken images: anti-aliasing, sub-pixel shifts) no paint


# Deflate level 1 and no row filters: a heatmap is mostly flat gray, so filtering (what PNG spends
# most of its time on: 59 ms of 1280x1600) buys nothing; unfiltered it takes 15 ms and is no larger.
_PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV 4.10 and later
    _PNG_FAST += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]


def render_heatmap(dimmed: np.ndarray, diff: np.ndarray) -> bytes:
    """PNG of the source's size: the dimmed gray source, red over it as strong as the difference.

    ``dimmed`` is the gray base layer at full size; ``diff`` is a 0-1 map at any smaller scale,
    stretched to the source's size. Integer blending and fast PNG compression keep this cheap.
    """
    height, width = dimmed.shape[:2]
    strength = np.where(diff < _FLOOR, 0.0, np.minimum(diff, 1.0) * _MAX_ALPHA)
    alpha = cv2.resize((strength * 256).astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    alpha = np.clip(np.rint(alpha), 0, 256).astype(np.uint16)
    keep = 256 - alpha
    base = dimmed.astype(np.uint16) * keep
    out = np.empty((height, width, 3), dtype=np.uint8)
    # OpenCV writes BGR: channel 0 is blue.
    for channel, value in enumerate(reversed(_RED)):
        out[:, :, channel] = np.right_shift(base + alpha * np.uint16(value), 8).astype(np.uint8)
    ok, encoded = cv2.imencode(".png", out, _PNG_FAST)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ReplicatorError("The diff heatmap could not be encoded as PNG.")
    return encoded.tobytes()


def paint_boxes(diff: np.ndarray, marks: list[tuple[Box, float]], scale: int) -> np.ndarray:
    """``diff`` with each box (source coordinates) raised to at least its strength (0-1).

    Pixel differences of text are faint at the heatmap's reduced scale (a recolored paragraph is
    a light smudge either way), so the text differences the block terms found are marked directly.
    """
    if not marks:
        return diff
    out = diff.copy()
    h, w = out.shape[:2]
    for box, strength in marks:
        x0, y0 = max(int(box.x // scale), 0), max(int(box.y // scale), 0)
        x1, y1 = min(int(np.ceil(box.right / scale)), w), min(int(np.ceil(box.bottom / scale)), h)
        if x1 > x0 and y1 > y0:
            np.maximum(out[y0:y1, x0:x1], min(max(strength, 0.0), 1.0), out=out[y0:y1, x0:x1])
    return out
