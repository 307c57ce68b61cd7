"""Color helpers: CIEDE2000 distance, hex names, a page's background and a text line's ink color."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000

from ..models import RGB, Box


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of uint8 sRGB values (any leading shape, last axis 3), as float64.

    OpenCV's conversion is the same formula as scikit-image's and an order of magnitude faster.
    """
    values = np.asarray(rgb, dtype=np.float32).reshape(-1, 1, 3) / np.float32(255.0)
    converted = cv2.cvtColor(values, cv2.COLOR_RGB2Lab)
    return converted.reshape(np.shape(rgb)).astype(np.float64)


def ciede2000(a: RGB, b: RGB) -> float:
    """CIEDE2000 distance between two sRGB colors (about 2.3 is a just-noticeable difference)."""
    pair = lab(np.array([[a, b]], dtype=np.uint8))
    return float(deltaE_ciede2000(pair[0, 0], pair[0, 1]))


def ciede2000_many(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise CIEDE2000 between two (N, 3) uint8 arrays of sRGB colors."""
    if len(a) == 0:
        return np.zeros(0)
    return np.asarray(deltaE_ciede2000(lab(a[None])[0], lab(b[None])[0]), dtype=np.float64)


def dominant_color(rgb: np.ndarray) -> RGB:
    """The most common color of an image, robust to noise and anti-aliasing.

    Pixels are binned at 5 bits per channel; the answer is the exact mean of the fullest bin, so a
    flat background comes back as its exact value. Ties go to the smallest bin index (deterministic).
    """
    pixels = rgb.reshape(-1, 3)
    if len(pixels) == 0:
        return (255, 255, 255)
    q = (pixels >> 3).astype(np.int32)
    keys = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
    best = int(np.argmax(np.bincount(keys)))
    chosen = pixels[keys == best]
    mean = np.rint(chosen.mean(axis=0)).astype(int)
    return (int(mean[0]), int(mean[1]), int(mean[2]))


def ink_color(rgb: np.ndarray, box: Box, *, min_contrast: float = 40.0) -> tuple[RGB, RGB] | None:
    """The color of the text drawn in ``box`` and of what it is drawn on, or None if no ink shows.

    Anti-aliasing blends glyph edges into the background, so the ink is the pixels farthest from
    the local background (the box's dominant color): the median of the top fifth of them. The same
    estimator runs on both screenshots, so its small bias cancels out when the two are compared.
    ``min_contrast`` is a squared-RGB-distance root: below it the box holds no visible text.

    Both sides are measured at JPEG's color resolution (chroma averaged over 2x2 pixels, as 4:2:0
    subsampling does): a design saved as a JPEG tints thin white text on a blue bar toward the
    blue, and the render's crisp white must be measured with the same blur to be the same white.
    """
    h, w = rgb.shape[:2]
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(int(np.ceil(box.right)), w), min(int(np.ceil(box.bottom)), h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = _chroma_halved(np.ascontiguousarray(rgb[y0:y1, x0:x1])).reshape(-1, 3)
    background = dominant_color(crop)
    distance = np.sqrt(((crop.astype(np.int32) - np.array(background)) ** 2).sum(axis=1))
    peak = float(distance.max())
    if peak < min_contrast:
        return None
    fifth = np.partition(distance, int(0.8 * (len(distance) - 1)))[int(0.8 * (len(distance) - 1))]
    ink = crop[distance >= max(float(fifth), 0.6 * peak)]
    median = np.median(ink, axis=0)
    return (int(median[0]), int(median[1]), int(median[2])), background


def _chroma_halved(crop: np.ndarray) -> np.ndarray:
    """``crop`` (RGB, uint8) with its color (not its lightness) at half resolution."""
    h, w = crop.shape[:2]
    ycc = cv2.cvtColor(crop, cv2.COLOR_RGB2YCrCb)
    small = cv2.resize(
        ycc[:, :, 1:], (max((w + 1) // 2, 1), max((h + 1) // 2, 1)), interpolation=cv2.INTER_AREA
    )
    ycc[:, :, 1:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, 2)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
