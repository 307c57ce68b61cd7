"""A doubled letter OCR read once ("erors" for errors), or a letter it read twice: found by width.

The recognizer's CTC decoding merges two equal letters in a row unless it sees a blank between
them, so "rr" in tight text can come out as one "r"; less often a letter comes out twice. Either
way the word, drawn in the line's fitted face, is about one letter narrower (or wider) than its
own ink while the line's other words match theirs. Each word's ink is found between the line's
word gaps (re-anchored on every gap, as respace walks, so nothing accumulates); only a word that
misses by about one letter is drawn, once as read and once per neighbour-repeat (or removed
repeat), and a change is kept only where its drawing matches the ink clearly better and its
width does too. Nothing is guessed from a dictionary: the ink decides.
"""

from __future__ import annotations

import numpy as np

from .fonts import FONTS, FontFit, draw_text, similarity
from .proofread import clock_shaped, digits_for
from .spacing import empty_runs

# A word's ink must miss its drawing by this much of a letter's advance (and no more than the
# upper bound) to be looked at, and the line's other words must match theirs within the lower.
_MISS = (0.55, 1.6)
_STEADY = 0.3
# A word's ink wider than its drawing by at least this much of a letter's advance may end in a
# period or a comma OCR left out ("completely still Bring" for "still. Bring"); the drawings of
# both, and of the word with a letter repeated, compete.
_STOP = 0.25
# How much better a changed word's drawing must match its ink than the word as read.
_MARGIN = 0.04


def _word_extents(text: str, fit: FontFit) -> list[tuple[int, int, float, float]]:
    """Each word of ``text``: (start, stop) in ``text``, and its ink's left and right edges in px
    from the line's first ink column, as the fitted face sets the line."""
    assert fit.face is not None
    face, weight, italic, size = fit.face, fit.weight, fit.italic, fit.size
    origins = FONTS.advances(text, face, weight, italic)
    words: list[tuple[int, int, float, float]] = []
    start = None
    for i, ch in enumerate([*text, " "]):
        if ch != " " and start is None:
            start = i
        elif ch == " " and start is not None:
            first, last = text[start], text[i - 1]
            left = (origins[start] + FONTS.glyph_ink(first, face, weight, italic)[0]) * size
            right = (origins[i - 1] + FONTS.glyph_ink(last, face, weight, italic)[1]) * size
            words.append((start, i, left + start * fit.letter_spacing, right + (i - 1) * fit.letter_spacing))
            start = None
    if words:
        shift = words[0][2]
        words = [(a, b, left - shift, right - shift) for a, b, left, right in words]
    return words


def _ink_spans(
    words: list[tuple[int, int, float, float]], filled: np.ndarray, size: float
) -> list[tuple[int, int] | None]:
    """Each word's ink columns (start, stop) in ``filled``, or None where its gaps were not found:
    the gap after each word is found near where the face puts it, measured from where the word's
    ink began."""
    runs = empty_runs(filled)
    spans: list[tuple[int, int] | None] = []
    start: int | None = 0
    for k, (_a, _b, left, right) in enumerate(words):
        if k == len(words) - 1:
            spans.append((start, len(filled)) if start is not None else None)
            break
        if start is None:
            spans.append(None)
            # Re-anchor on the next gap the face predicts from the line's start.
            expected = words[k + 1][2]
            near = [r for r in runs if abs(r[1] - expected) <= 0.5 * size]
            start = max(near, key=lambda r: r[1] - r[0])[1] if near else None
            continue
        expected = start + (right - left)
        near = [r for r in runs if r[0] > start and abs(r[0] - expected) <= 0.6 * size]
        if not near:
            spans.append(None)
            start = None
            continue
        # The nearest of the word-wide gaps there (a letter's own gap is a pixel or two wide).
        widest = max(r[1] - r[0] for r in near)
        gap = min((r for r in near if r[1] - r[0] >= 0.6 * widest), key=lambda r: abs(r[0] - expected))
        spans.append((start, gap[0]))
        start = gap[1]
    return spans


def _variants(word: str) -> list[str]:
    """The word with one letter repeated, and with one of two equal neighbours removed. A time
    read in digits' look-alikes ("l:oo" for 11:00) has its digits' readings too: which one, the
    drawing decides (proofread then judges each look-alike left)."""
    out: list[str] = []
    forms = [(word, str.isalpha)]
    if clock_shaped(word):
        forms.append((digits_for(word), str.isdigit))
        out.append(digits_for(word))
    for form, repeats in forms:
        for i, ch in enumerate(form):
            if repeats(ch):
                out.append(form[: i + 1] + ch + form[i + 1 :])
            if i and form[i - 1] == ch and repeats(ch):
                out.append(form[:i] + form[i + 1 :])
    return list(dict.fromkeys(v for v in out if v != word))


def restore_letters(text: str, fit: FontFit, alpha: np.ndarray, filled: np.ndarray) -> str:
    """``text`` with a letter OCR merged with its twin put back, or one it read twice taken out,
    where the ink shows it (see the module's docstring). ``alpha``: the line's ink coverage;
    ``filled``: its column profile, first and last columns inked."""
    if fit.face is None or fit.face.script != "latin" or fit.error > 0.3 or len(filled) != alpha.shape[1]:
        return text
    words = _word_extents(text, fit)
    if len(words) < 3:
        return text
    spans = _ink_spans(words, filled, fit.size)
    letter = FONTS.measure("n", fit.face, fit.weight, fit.italic).advance * fit.size + fit.letter_spacing
    misses = [
        None if span is None else ((span[1] - span[0]) - (right - left)) / letter
        for span, (_a, _b, left, right) in zip(spans, words, strict=True)
    ]
    measured = [abs(m) for m in misses if m is not None]
    if len(measured) < 3 or float(np.median(measured)) > _STEADY:
        return text
    path = FONTS.path(fit.face, fit.weight, fit.italic) or FONTS.path(fit.face, fit.weight, False)
    if path is None:
        return text
    changes: list[tuple[int, int, str]] = []
    for (a, b, _left, _right), span, miss in zip(words, spans, misses, strict=True):
        if span is None or miss is None:
            continue
        word = text[a:b]
        if not any(ch.isalpha() for ch in word):
            continue
        variants = _variants(word) if _MISS[0] <= abs(miss) <= _MISS[1] else []
        if _STOP <= miss <= _MISS[1] and word[-1].isalpha():
            variants += [word + mark for mark in ".,"]  # a word's period or comma OCR left out
        if not variants:
            continue
        ink = alpha[:, span[0] : span[1]]
        rows = np.flatnonzero(ink.max(axis=1) > 0.2)
        if len(rows) < 2:
            continue
        observed = ink[rows[0] : rows[-1] + 1]
        spacing = fit.letter_spacing
        as_read = similarity(observed, draw_text(word, path, fit.face.index, fit.size, spacing))
        wanted = (span[1] - span[0]) / fit.size
        best, best_score = word, as_read + _MARGIN
        for variant in variants:
            # Only variants that make the word longer where its ink is wider, shorter where
            # narrower (or a time's digits for their look-alikes, as long).
            if len(variant) != len(word) and (len(variant) > len(word)) != (miss > 0):
                continue
            drawn = draw_text(variant, path, fit.face.index, fit.size, spacing)
            if abs(drawn.shape[1] / fit.size - wanted) * fit.size > 0.5 * letter:
                continue
            score = similarity(observed, drawn)
            if score > best_score:
                best, best_score = variant, score
        if best != word:
            changes.append((a, b, best))
    for a, b, new in reversed(changes):
        text = text[:a] + new + text[b:]
    return text
