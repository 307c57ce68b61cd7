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
Otherwise the fewest edits between any of them are charged (optimal string alignment: two letters
swapped, 'mornnig' for 'morning', are one typo, as a reader counts them). Curly quotes and
dashes compare as their straight forms and hyphens: OCR writes them so, whatever the page sets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import replace

import cv2
import numpy as np
from rapidfuzz.distance import OSA

from ..models import Box
from ..ocr import OcrEngine
from .blocks import Pair, Reading

# Lines checked with the recognizer per score, the most salient first (the rest keep their
# forgiving similarity). Each check reads two small crops.
MAX_CHECKS = 32
_SPACE = re.compile(r"\s+")
# Typographic quotes and dashes as their typewriter forms: OCR reads a curly quote as a straight one
# and an em dash as a hyphen (or not), so the source's string cannot tell them apart, and a page
# that sets the one for the other is not charged on the source's word alone.
_TYPEWRITER = str.maketrans(
    {
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
# Letters whose capital is their small letter drawn larger: OCR guesses their case from size alone.
_ONE_SHAPE = str.maketrans({c.upper(): c for c in "cosvwxz"})
# The second look at a source line reads the same crop the candidate's line is read from (same
# place, same padding, same scale): the same eyes, so OCR's quirks fall on both sides alike; lines
# that still differ are read again, both sides enlarged.
_SCALES = (1.0, 2.0)


def strict_text(text: str) -> str:
    """What exactness compares: NFKC, spaces removed, case and punctuation kept (typographic
    quotes and dashes as their typewriter forms)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).translate(_TYPEWRITER))


def exact_pairs(
    pairs: Sequence[Pair],
    ref_rgb: np.ndarray,
    cand_rgb: np.ndarray,
    ocr: OcrEngine | None,
    *,
    alike: Collection[int] = (),
    shaped_alike: Collection[int] = (),
    source_readings: dict[tuple[float, float, float, float, float], str] | None = None,
) -> tuple[Pair, ...]:
    """``pairs`` with their text similarity set from exact comparison (see the module docstring).

    ``alike``: indices of pairs whose glyphs the typography term found drawn identically: their
    strings differ only in how OCR read them. ``shaped_alike``: pairs whose glyphs are drawn much
    alike (typography 0.9 or more): a difference only in the case of letters whose two cases have
    one shape ('csV' and 'CSV') is OCR's guess, not the page's. ``source_readings``: second looks at source lines
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
    readings: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in checked}
    todo = list(checked)
    # Read both sides from the same crop at the same scale; lines that still differ are read
    # again enlarged (small text reads better so, and the two readings may then agree).
    for scale in _SCALES:
        if ocr is None or not todo:
            break
        crops, wanted = [], []
        for i in todo:
            crops.append(line_crop(cand_rgb, pairs[i].cand.box, scale))
            wanted.append((i, "cand"))
            if reading_key(_aligned(pairs[i]), scale) not in known:
                crops.append(line_crop(ref_rgb, _aligned(pairs[i]), scale))
                wanted.append((i, "ref"))
        for (i, side), (text, _confidence) in zip(wanted, ocr.recognize(crops, batch=True), strict=True):
            if side == "cand":
                readings[i][0].append(text)
            else:
                known[reading_key(_aligned(pairs[i]), scale)] = text
        for i in todo:
            readings[i][1].append(known[reading_key(_aligned(pairs[i]), scale)])
            out[i] = _judged(pairs[i], readings[i][0], readings[i][1], i in shaped_alike)
        todo = [i for i in todo if out[i].text < 1.0]
    for i in checked:
        if ocr is None:
            out[i] = _judged(pairs[i], [], [])
    for i in rest:
        out[i] = _judged(pairs[i], [], [])
    return tuple(out)


def _aligned(pair: Pair) -> Box:
    """Where the candidate's line would be in the source had it not moved: the second look at the
    source reads there, so that an icon OCR boxed with the line's words ('ml Analytics') stays out."""
    box = pair.cand.box
    return Box(box.x - pair.dx, box.y - pair.dy, box.width, box.height)


def reading_key(box: Box, scale: float = 1.0) -> tuple[float, float, float, float, float]:
    """Where a second look at a source line is kept (``ReferenceAnalysis.second_looks``)."""
    return (round(box.x, 1), round(box.y, 1), round(box.width, 1), round(box.height, 1), scale)


def _judged(
    pair: Pair, cand_reads: Sequence[str], ref_reads: Sequence[str], shaped_alike: bool = False
) -> Pair:
    """The pair charged for the fewest edits between any string of one side and any of the other.

    A reading of the candidate is compared with the source's readings with the case of one-shape
    letters folded whatever the typography says: both are OCR's guesses from the same glyphs.
    A pair of joined lines (a paragraph, or lines the two sides grouped differently) is judged
    word by word instead: the recognizer reads one line at a time, and the two groupings may
    order or include neighbouring lines differently.
    """
    if _joined(pair):
        edits = _missing_word_edits(strict_words(pair.ref.text), strict_words(pair.cand.text))
        length = max(len(strict_text(pair.ref.text)), 1)
        reading = Reading(edits, pair.ref.text, pair.cand.text)
        return replace(pair, text=max(0.0, 1.0 - edits / length), reading=reading)
    sources = [s for s in (pair.ref.text, *ref_reads) if strict_text(s)]
    candidates = [(c, k > 0) for k, c in enumerate((pair.cand.text, *cand_reads)) if strict_text(c)]
    best: tuple[int, str, str] | None = None
    for source in sources:
        for candidate, read in candidates:
            shown = _as_shown(strict_text(source), strict_text(candidate))
            if shaped_alike or read:
                shown = (shown[0].translate(_ONE_SHAPE), shown[1].translate(_ONE_SHAPE))
            edits = OSA.distance(*shown)
            if best is None or edits < best[0]:
                best = (edits, source, candidate)
    assert best is not None
    edits, source, _candidate = best
    length = max(len(strict_text(pair.ref.text)), len(strict_text(pair.cand.text)), 1)
    # Reported with the candidate's own string (what the page says), against the source reading.
    reading = Reading(edits, source, pair.cand.text)
    return replace(pair, text=max(0.0, 1.0 - edits / length), reading=reading)


def strict_words(text: str) -> list[str]:
    """The words of ``text`` as exactness compares them (NFKC, case and punctuation kept)."""
    return unicodedata.normalize("NFKC", text).translate(_TYPEWRITER).split()


def _joined(pair: Pair) -> bool:
    """Whether either side of the pair is several lines joined (a paragraph or a regrouped row)."""
    return any(
        block.main_box is not None and block.main_box.height < 0.7 * block.box.height
        for block in (pair.ref, pair.cand)
    )


def _missing_word_edits(source: Sequence[str], candidate: Sequence[str]) -> int:
    """The characters to change so that every source word is one of the candidate's: a word the
    candidate has (anywhere in the block) costs nothing, another costs its edits to the nearest
    candidate word. Words the candidate has besides belong to lines the source groups elsewhere.
    Words are compared leniently (``_lenient``): without a reading of each line, only a clearly
    wrong letter is evidence."""
    pool = [_lenient(word) for word in candidate]
    edits = 0
    for word in map(_lenient, source):
        if word in pool:
            pool.remove(word)
            continue
        nearest = min((OSA.distance(word, other) for other in pool), default=len(word))
        edits += min(nearest, len(word))
    return edits


_LOOKALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_SMALL_MARKS = re.compile(r"[.,:;'’`´\-·_]")


def _lenient(word: str) -> str:
    """A word of a joined block as compared without a second look (the recognizer reads one line at
    a time): case, accents, small punctuation and look-alike characters folded, as OCR confuses
    them; a wrong letter still shows."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    return _SMALL_MARKS.sub("", plain.lower()).translate(_LOOKALIKE)


def _as_shown(source: str, candidate: str) -> tuple[str, str]:
    """The candidate's string cut where the source's ends in an ellipsis and the candidate's goes
    on: text cut off by ``text-overflow: ellipsis`` is whole in the DOM, cut in the screenshot."""
    if ("…" in source or "..." in source) and len(candidate) > len(source):
        # Each ellipsis of the source may hide any text of the candidate's (a joined paragraph
        # holds several cut lines).
        parts = re.split(r"…|\.\.\.", source)
        pattern = "(?:.*?)".join(re.escape(part) for part in parts)
        if re.fullmatch(pattern, candidate, flags=re.DOTALL):
            return source, source
    return source, candidate


def line_crop(rgb: np.ndarray, box: Box, scale: float = 1.0, pad_share: float = 0.15) -> np.ndarray:
    """The crop the recognizer reads a line from: its box padded by ``pad_share`` of its height
    (at least 2 px), enlarged ``scale`` times."""
    h, w = rgb.shape[:2]
    pad = max(2, round(pad_share * box.height))
    x0, y0 = max(int(box.x) - pad, 0), max(int(box.y) - pad, 0)
    x1, y1 = min(int(np.ceil(box.right)) + pad, w), min(int(np.ceil(box.bottom)) + pad, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.full((8, 8, 3), 255, dtype=np.uint8)
    crop = rgb[y0:y1, x0:x1]
    if scale != 1.0:
        size = (round((x1 - x0) * scale), round((y1 - y0) * scale))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(crop)
