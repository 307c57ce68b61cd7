"""Icons on the page: graphics, and short OCR "text", that are icons of the sets we ship.

A small graphic whose ink an icon of the index draws confidently becomes that icon (inline SVG,
in its measured colour and size). OCR also reads icons as characters (a bell with its badge as
"3+", a caret as "→", the Google logo as "G"): a line of one or two characters becomes the icon
when the icon explains its ink clearly better than the characters set in any of our faces.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...icons import CONFIDENT, IconMatch, tight
from .fonts import FONTS

# An icon must out-correlate the best rendering of OCR's characters by this much to replace them:
# letter-shaped logos (Facebook's "f", Google's "G") clear it, a real "f" or "G" does not.
TEXT_MARGIN = 0.06


@functools.lru_cache(maxsize=256)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def _drawn(text: str, path: str, index: int, size: int) -> np.ndarray:
    """``text`` at ``size`` px: ink coverage cropped to the ink (empty when nothing is drawn)."""
    font = _font(path, index, size)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    width, height = int(right - left) + 2, int(bottom - top) + 2
    if width < 2 or height < 2:
        return np.zeros((0, 0), dtype=np.float32)
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text((1 - left, 1 - top), text, font=font, fill=255, anchor="ls")
    found = tight(np.asarray(image, dtype=np.float32) / 255.0)
    return found[0] if found is not None else np.zeros((0, 0), dtype=np.float32)


def correlation(ink: np.ndarray, drawn: np.ndarray) -> float:
    """Correlation of a tight ink crop with a drawing scaled to its size, at the best 1 px shift."""
    if drawn.size == 0 or ink.size == 0:
        return 0.0
    h, w = ink.shape
    scaled = cv2.resize(drawn.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    if float(scaled.std()) < 1e-3:
        return 0.0
    scores = cv2.matchTemplate(np.pad(ink.astype(np.float32), 1), scaled, cv2.TM_CCOEFF_NORMED)
    return float(np.nan_to_num(scores).max())


def text_likeness(ink: np.ndarray, text: str) -> float:
    """How well ``text`` set in the best of our faces (regular or bold) explains a tight ink crop."""
    text = text.strip()
    if not text or ink.size == 0:
        return 0.0
    size = max(8, round(ink.shape[0] * 1.4))  # big enough to show the glyph's shape, scaled anyway
    best = 0.0
    for face in FONTS.faces_for(text):
        for path in {face.regular, face.bold or face.regular}:
            drawn = _drawn(text, str(path), face.index, size)
            if drawn.size == 0:
                continue
            aspect = (drawn.shape[1] / drawn.shape[0]) / (ink.shape[1] / ink.shape[0])
            if abs(math.log(aspect)) > 0.35:
                continue  # another width entirely: not this face's rendering of the string
            best = max(best, correlation(ink, drawn))
    return best


def text_or_icon(alpha: np.ndarray, text: str, match: IconMatch | None) -> IconMatch | None:
    """``match`` when the icon explains the ink of ``alpha`` clearly better than OCR's ``text``."""
    if match is None or match.score < CONFIDENT:
        return None
    found = tight(alpha)
    if found is None:
        return None
    return match if match.score >= text_likeness(found[0], text) + TEXT_MARGIN else None
