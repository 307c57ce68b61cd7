"""The diff heatmap: the source, washed out to gray, with red where the render differs from it."""

from __future__ import annotations

import cv2
import numpy as np

_RED = np.array([220, 38, 38], dtype=np.float32)
_MAX_ALPHA = 0.85
_FLOOR = 0.08  # differences below this (anti-aliasing, sub-pixel shifts) are not painted


def render_heatmap(source_rgb: np.ndarray, diff: np.ndarray) -> bytes:
    """PNG of the source's size: gray source, red overlay whose strength is the local difference.

    ``diff`` is a 0-1 map at any smaller scale; it is stretched to the source's size.
    """
    height, width = source_rgb.shape[:2]
    gray = cv2.cvtColor(source_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    base = 0.45 * gray + 120.0  # dimmed: mid-to-light gray keeps the page legible under the red
    heat = cv2.resize(diff.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    alpha = np.where(heat < _FLOOR, 0.0, np.minimum(heat, 1.0) * _MAX_ALPHA).astype(np.float32)
    out = base[:, :, None] * (1.0 - alpha[:, :, None]) + _RED * alpha[:, :, None]
    bgr = np.clip(np.rint(out), 0, 255).astype(np.uint8)[:, :, ::-1]
    ok, encoded = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("PNG encoding failed")
    return encoded.tobytes()
