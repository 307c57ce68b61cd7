"""Exact text: every wrong character of a matched line costs, unless OCR is why the two disagree.

Lines are paired on forgiving keys (case, spaces and punctuation folded, see ``normalize_text``) so
that a misread never breaks a pair. What the text term charges is stricter: the characters a
reader sees, case and punctuation included ('HHOME' for 'HOME', 'RADI0' for 'RADIO', 'CsS' for
'CSS', '@' for '©' are each one edit). Spaces are left out: OCR drops and adds them on clean
screenshots (and the position and typography terms see a word that runs into the next).

The source's strings come from OCR, which misreads about one character in twenty, so a strict
comparison would charge a correct page for OCR's mistakes. Evidence decides instead. Where the
candidate's string and the source's reading differ but the typography term found the line's glyphs
drawn the same (a correlation that another letter anywhere in the line would break), the two say
the same and OCR misread one. Otherwise both sides are read with the same eyes: the recognizer reads
the candidate's rendered line too, and takes a second look at the source's line (enlarged, and
where the candidate's box says the words are; kept for the next candidate). The pair is exact when any reading of one side agrees with a string of
the other: a '0' that OCR reads in both screenshots where the DOM says 'O' is OCR's, not the page's.
Otherwise the fewest edits between any of them are charged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import replace

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from ..models import Box
from ..ocr import OcrEngine
from .blocks import Pair, Reading

# Lines checked with the recognizer per score, the most salient first (the rest keep their
# forgiving similarity). Each check reads two small crops.
MAX_CHECKS = 32
_SPACE = re.compile(r"\s+")
# The second look at a source line reads the same crop the candidate's line is read from (same
# place, same padding, same scale): the same eyes, so OCR's quirks fall on both sides alike.
_ENLARGE = 1.0


def strict_text(text: str) -> str:
    """What exactness compares: NFKC, spaces removed, case and punctuation kept."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def exact_pairs(
    pairs: Sequence[Pair],
    ref_rgb: np.ndarray,
    cand_rgb: np.ndarray,
    ocr: OcrEngine | None,
    *,
    alike: Collection[int] = (),
    source_readings: dict[tuple[float, float, float, float, float], str] | None = None,
) -> tuple[Pair, ...]:
    """``pairs`` with their text similarity set from exact comparison (see the module docstring).

    ``alike``: indices of pairs whose glyphs the typography term found drawn identically: their
    strings differ only in how OCR read them. ``source_readings``: second looks at source lines
    already taken for an earlier candidate (by box), updated in place.
    """
    out = list(pairs)
    doubtful = []
    for i, p in enumerate(pairs):
        if i in alike or strict_text(p.ref.text) == strict_text(p.cand.text):
            out[i] = replace(p, text=1.0, reading=Reading(0, p.ref.text, p.cand.text))
        else:
            doubtful.append(i)
    if not doubtful:
        return tuple(out)
    doubtful.sort(key=lambda i: -pairs[i].ref.box.area)
    checked, rest = doubtful[:MAX_CHECKS], doubtful[MAX_CHECKS:]
    known = source_readings if source_readings is not None else {}
    readings: dict[int, tuple[str, str]] = {}
    if ocr is not None:
        crops, wanted = [], []
        for i in checked:
            crops.append(_crop(cand_rgb, pairs[i].cand.box, 1.0))
            wanted.append((i, "cand"))
            if _key(_aligned(pairs[i])) not in known:
                crops.append(_crop(ref_rgb, _aligned(pairs[i]), _ENLARGE))
                wanted.append((i, "ref"))
        found = ocr.recognize(crops, batch=True)
        cand_read: dict[int, str] = {}
        for (i, side), (text, _confidence) in zip(wanted, found, strict=True):
            if side == "cand":
                cand_read[i] = text
            else:
                known[_key(_aligned(pairs[i]))] = text
        readings = {i: (cand_read[i], known[_key(_aligned(pairs[i]))]) for i in checked}
    for i in checked:
        out[i] = _judged(pairs[i], *readings.get(i, ("", "")))
    for i in rest:
        out[i] = _judged(pairs[i], "", "")
    return tuple(out)


def _aligned(pair: Pair) -> Box:
    """Where the candidate's line would be in the source had it not moved: the second look at the
    source reads there, so that an icon OCR boxed with the line's words ('ml Analytics') stays out."""
    box = pair.cand.box
    return Box(box.x - pair.dx, box.y - pair.dy, box.width, box.height)


def _key(box: Box) -> tuple[float, float, float, float, float]:
    return (round(box.x, 1), round(box.y, 1), round(box.width, 1), round(box.height, 1), _ENLARGE)


def _judged(pair: Pair, cand_read: str, ref_read: str) -> Pair:
    """The pair charged for the fewest edits between any string of one side and any of the other."""
    sources = [s for s in (pair.ref.text, ref_read) if strict_text(s)]
    candidates = [c for c in (pair.cand.text, cand_read) if strict_text(c)]
    best: tuple[int, str, str] | None = None
    for source in sources:
        for candidate in candidates:
            edits = Levenshtein.distance(*_as_shown(strict_text(source), strict_text(candidate)))
            if best is None or edits < best[0]:
                best = (edits, source, candidate)
    assert best is not None
    edits, source, _candidate = best
    length = max(len(strict_text(pair.ref.text)), len(strict_text(pair.cand.text)), 1)
    # Reported with the candidate's own string (what the page says), against the source reading.
    reading = Reading(edits, source, pair.cand.text)
    return replace(pair, text=max(0.0, 1.0 - edits / length), reading=reading)


def _as_shown(source: str, candidate: str) -> tuple[str, str]:
    """The candidate's string cut where the source's ends in an ellipsis and the candidate's goes
    on: text cut off by ``text-overflow: ellipsis`` is whole in the DOM, cut in the screenshot."""
    for mark in ("…", "..."):
        if source.endswith(mark) and len(candidate) > len(source):
            kept = source[: -len(mark)]
            if candidate.startswith(kept):
                return kept, kept
    return source, candidate


def _crop(rgb: np.ndarray, box: Box, scale: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    pad = max(2, round(0.15 * box.height))
    x0, y0 = max(int(box.x) - pad, 0), max(int(box.y) - pad, 0)
    x1, y1 = min(int(np.ceil(box.right)) + pad, w), min(int(np.ceil(box.bottom)) + pad, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.full((8, 8, 3), 255, dtype=np.uint8)
    crop = rgb[y0:y1, x0:x1]
    if scale != 1.0:
        size = (round((x1 - x0) * scale), round((y1 - y0) * scale))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(crop)
