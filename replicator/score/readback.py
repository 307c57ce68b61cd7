"""Second readings: text one side shows that the first reading of it missed.

The source's text comes from OCR's detector, the candidate's from its DOM. Each misses some text
the other has: the DOM has no text for labels drawn on a canvas or in an image, and the detector
passes over small text on colored badges ('Paid', 'Pending'). Scoring those as missing or extra
charges a page for how it was read, not for what it shows (the design checked against itself
scored 98 on a dashboard with a Chart.js chart). So where a line is unpaired, the other side is
read at the same place with the recognizer (no detection: cheap, many crops in one batch); a reading
that agrees with the line's words pairs it. Before reading, the two sides' pixels there are
compared: the same pixels are the same text, whatever OCR made of them (icons OCR reads as letters). Text the other side shows elsewhere (a canvas that
moved) is found by a full OCR of a few regions around what is missing (``text_in_images``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz

from ..models import Box
from ..ocr import OcrEngine
from .blocks import Matching, TextBlock, normalize_text
from .color import dominant_color, ink_color
from .exact import line_crop, reading_key
from .graphics import same_pixels

log = logging.getLogger(__name__)

# Full OCR of at most this many regions around missing text per score, to keep it cheap.
MAX_IMAGE_REGIONS = 4
# Unpaired lines read again at their place on the other side, per score (largest first), and the
# longest line read so (the text drawn in charts and on badges is short; long lines cost more).
MAX_SECOND_LOOKS = 16
_MAX_LOOK_CHARS = 32
# A second reading this alike (0-100, on forgiving keys) to the unpaired line is the same text.
_AGREE = 80.0
# The other side's pixels this alike (graphics.same_pixels) at an unpaired line: the same text.
_SAME_PIXELS = 0.9


def second_look(
    matching: Matching,
    ref_rgb: np.ndarray,
    cand_rgb: np.ndarray,
    engine: OcrEngine,
    source_readings: dict[tuple[float, float, float, float, float], str] | None = None,
) -> list[tuple[TextBlock, TextBlock]]:
    """Unpaired lines the other side shows at the same place after all: (source line, candidate
    line) pairs, one of the two found now (a source line the detector missed, a candidate line the
    DOM lacks), at its partner's box.
    ``source_readings``: readings of the source already taken for earlier candidates, by box."""
    todo: list[tuple[str, TextBlock]] = [("cand", b) for b in matching.missing] + [
        ("ref", b) for b in matching.extra
    ]
    todo = [(side, block) for side, block in todo if block.length <= _MAX_LOOK_CHARS]
    todo = sorted(todo, key=lambda item: -item[1].box.area)[:MAX_SECOND_LOOKS]
    if not todo:
        return []
    found: list[tuple[TextBlock, TextBlock]] = []
    # The other side showing the same pixels there shows the same text, whatever OCR made of it
    # (an icon OCR read as 'Q' is in the candidate too when the candidate draws that icon).
    unlooked = []
    for side, block in todo:
        own, other = (ref_rgb, cand_rgb) if side == "cand" else (cand_rgb, ref_rgb)
        if same_pixels(block.box, own, other) >= _SAME_PIXELS:
            line = TextBlock(block.text, block.box, block.color, background=block.background, origin="ocr")
            found.append((block, line) if side == "cand" else (line, block))
        else:
            unlooked.append((side, block))
    todo = unlooked
    known = source_readings if source_readings is not None else {}
    unread = [(side, block) for side, block in todo if side == "cand" or reading_key(block.box) not in known]
    crops = [
        line_crop(cand_rgb if side == "cand" else ref_rgb, block.box, pad_share=0.2) for side, block in unread
    ]
    readings: dict[int, str] = {}
    for (side, block), (text, _confidence) in zip(unread, engine.recognize(crops, batch=True), strict=True):
        if side == "ref":
            known[reading_key(block.box)] = text
        else:
            readings[id(block)] = text
    for side, block in todo:
        text = readings[id(block)] if side == "cand" else known[reading_key(block.box)]
        key = normalize_text(text)
        if not key or fuzz.ratio(key, block.key) < _AGREE:
            continue
        rgb = cand_rgb if side == "cand" else ref_rgb
        measured = ink_color(rgb, block.box)
        if measured is None:
            continue
        line = TextBlock(text, block.box, measured[0], background=measured[1], origin="ocr")
        found.append((block, line) if side == "cand" else (line, block))
    if found:
        log.debug("second look paired %d of %d unpaired lines", len(found), len(todo))
    return found


def text_in_images(
    matching: Matching,
    rgb: np.ndarray,
    blocks: Sequence[TextBlock],
    engine: OcrEngine | Callable[[], OcrEngine] | None,
) -> tuple[TextBlock, ...]:
    """OCR lines read from the render where source text is missing and the render shows ink that
    no DOM box explains (text in images or on a canvas). Bounded to a few regions, largest first."""
    if engine is None or not matching.missing:
        return ()
    h, w = rgb.shape[:2]
    covered = np.zeros((h, w), dtype=bool)
    for block in blocks:
        b = block.box
        covered[
            max(int(b.y), 0) : max(int(np.ceil(b.bottom)), 0),
            max(int(b.x), 0) : max(int(np.ceil(b.right)), 0),
        ] = True
    found: list[TextBlock] = []
    for region in _regions_around(matching.missing)[:MAX_IMAGE_REGIONS]:
        x0, y0 = max(int(region.x), 0), max(int(region.y), 0)
        x1, y1 = min(int(np.ceil(region.right)), w), min(int(np.ceil(region.bottom)), h)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        crop = rgb[y0:y1, x0:x1]
        free = ~covered[y0:y1, x0:x1]
        background = np.array(dominant_color(crop))
        ink = np.abs(crop.astype(np.int16) - background).sum(axis=2) > 96
        if (ink & free).mean() < 0.005:
            continue
        if not isinstance(engine, OcrEngine):
            engine = engine()  # loaded on first need only
        for line in engine.read(np.ascontiguousarray(crop)):
            box = Box(line.box.x + x0, line.box.y + y0, line.box.width, line.box.height)
            # A line cut by the crop's edge is a fragment of text outside the region: not ours.
            if (box.y <= y0 + 1 and y0 > 0) or (box.bottom >= y1 - 1 and y1 < h):
                continue
            cx, cy = min(int(box.center[0]), w - 1), min(int(box.center[1]), h - 1)
            if covered[cy, cx]:
                continue
            measured = ink_color(rgb, box)
            found.append(
                TextBlock(
                    line.text,
                    box,
                    measured[0] if measured else None,
                    background=measured[1] if measured else None,
                    origin="ocr",
                )
            )
    if found:
        log.debug("text-in-image check read %d lines", len(found))
    return tuple(found)


def _regions_around(blocks: Sequence[TextBlock]) -> list[Box]:
    """The missing blocks grown by a line height and merged where they overlap, largest first."""
    regions = [
        Box(b.box.x - b.box.height, b.box.y - b.box.height, b.box.width + 2 * b.box.height, b.box.height * 3)
        for b in blocks
    ]
    merged = True
    while merged:
        merged = False
        for i in range(len(regions)):
            for j in range(i + 1, len(regions)):
                if regions[i].intersection(regions[j]) > 0:
                    regions[i] = regions[i].union(regions.pop(j))
                    merged = True
                    break
            if merged:
                break
    return sorted(regions, key=lambda r: (-r.area, r.y, r.x))
