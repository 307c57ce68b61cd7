"""Marks OCR left out of a piece, or read in another form, put back where the ink says so.

Each is tried as a reading of its own (a closing bracket set close against its word, the third of
three periods, a middle dot or a minus before the first letter, the narrow yen sign for the
fullwidth one the Chinese model writes, a letter for the digit OCR read in a word of letters) and
kept only where the line's fit explains the ink far better with it: the fitted face decides,
nothing is guessed from the words.
"""

from __future__ import annotations

import numpy as np

from .fontfit import fit_font
from .fonts import FontFace, FontFit
from .spacing import ink_runs

Measured = tuple[float, float, float, np.ndarray]  # the ink's width, height, mass and coverage


def reread_marks(
    text: str, fit: FontFit, measured: Measured, faces: tuple[FontFace, ...] | None, slanted: bool
) -> tuple[str, FontFit]:
    """``text`` and its fit with every mark below put back where the ink fits it far better: each
    kind's readings are tried in turn on the text as the kinds before left it."""
    # (A leading blob's shape is evidence too: a better fit by a third is enough for it; the
    # spaces OCR left out of the rest, "5min", still count against the reading until respace.)
    kinds = (
        (_closing, 0.5, 0.1),
        (_third_period, 0.5, 0.1),
        (_leading_mark, 0.65, 0.1),
        (_narrow_yen, 0.5, 0.1),
        (_letter_for_digit, 0.5, 0.04),
    )
    for readings, ratio, gain in kinds:
        trials = readings(text, measured[3])
        text, fit = _clearly_better(text, fit, trials, measured, faces, slanted, ratio, gain)
    return text, fit


# Digits OCR reads for a letter inside a word of letters, and the letters they stand for.
_LETTERS = {"0": "Oo", "1": "lI"}


def _letter_for_digit(text: str, alpha: np.ndarray) -> list[str]:
    """A word of letters with a digit OCR read for one of them ("87 0pen" for primer's bold "87
    Open", whose short line the proofreader judged glyph by glyph on a layout fitted to the
    narrow zero): the word with each letter the digit may stand for. The whole line refitted
    with it decides (0.076 -> 0.026 there); the proofreader's windows cannot, drawn as they are
    at the zero's width."""
    words = text.split(" ")
    trials = []
    for k, word in enumerate(words):
        letters = [ch for ch in word if ch.isalpha()]
        digits = [ch for ch in word if ch.isdigit()]
        if (
            len(letters) < 3
            or len(set(digits)) != 1
            or digits[0] not in _LETTERS
            or len(letters) + len(digits) != len(word)
        ):
            continue
        for letter in _LETTERS[digits[0]]:
            trials.append(" ".join([*words[:k], word.replace(digits[0], letter), *words[k + 1 :]]))
    return trials


_PAIRS = {"[": "]", "(": ")", "【": "】", "（": "）", "「": "」"}


def _closing(text: str, alpha: np.ndarray) -> list[str]:
    """The closing bracket OCR left out of an opened pair (cn_shop's "[公告 春节后…" for "[公告]
    春节后…": the bracket sits close against the word), at the end of the opening bracket's word
    (there the fit went 0.31 -> 0.07)."""
    trials = []
    for opening, closing in _PAIRS.items():
        start = text.find(opening)
        if start < 0 or text.count(opening) != 1 or closing in text[start:]:
            continue
        end = text.find(" ", start)
        end = len(text) if end < 0 else end
        if end - start >= 2:
            trials.append(text[:end] + closing + text[end:])
    return trials


def _third_period(text: str, alpha: np.ndarray) -> list[str]:
    """Three periods that OCR read as two ("Type Message.." for adminlte's placeholder "Type
    Message ..."): the third, with or without a space before the run (0.28 -> 0.05 with it)."""
    stem = text.rstrip()
    if not stem.endswith("..") or stem.endswith("..."):
        return []
    head = stem[:-2]
    return [head + "...", head.rstrip() + " ..."]


def _leading_mark(text: str, alpha: np.ndarray) -> list[str]:
    """A middle dot OCR left out at a piece's start (bs_news_portal's "By Marc Keller · 5 min
    read", its second piece read "5min read"), where the piece's ink begins with a small round
    blob around the middle of its height (0.36 -> 0.13 with "· " before it). A flat one is a
    minus sign ("-35%" read "35%"), set against what follows."""
    if not text[:1].isalnum():
        return []
    blob = _end_blob(alpha, first=True)
    if blob == "-":
        return ["-" + text]
    return ["\u00b7 " + text] if blob == "\u00b7" else []


def trailing_dot(alpha: np.ndarray) -> bool:
    """Whether a piece's ink (coverage crop) ends with a middle dot, set apart like a word: a
    small round blob around the middle of its height (primer's "by tkaminski ·" before a
    milestone icon, the dot OCR left out of its reading)."""
    return _end_blob(alpha, first=False) == "\u00b7"


def _end_blob(alpha: np.ndarray, first: bool) -> str | None:
    """What the first (or last) run of ink columns of a piece is when it is a small blob around
    the middle of the piece's height: "-" for a flat one, "·" for a round one; else None."""
    if alpha.size == 0:
        return None
    runs = ink_runs(alpha.max(axis=0) > 0.2)
    if len(runs) < 2:
        return None
    start, stop = runs[0] if first else runs[-1]
    # Its extent counted to its faint rim: a 13 px dot is one dark row and two columns, and as
    # wide as tall only with its antialiased edge.
    cols = np.flatnonzero(alpha[:, max(start - 1, 0) : stop + 1].max(axis=0) > 0.1)
    rows = np.flatnonzero(alpha[:, start:stop].max(axis=1) > 0.1)
    height = alpha.shape[0]
    middle = (rows[0] + rows[-1] + 1) / 2 / height
    blob_height, blob_width = rows[-1] - rows[0] + 1, len(cols)
    if blob_height > 0.4 * height or blob_width > 0.6 * height or not 0.35 <= middle <= 0.75:
        return None
    if blob_width >= 2 * blob_height:
        return "-"
    return "\u00b7" if blob_width <= 1.6 * blob_height else None


def _narrow_yen(text: str, alpha: np.ndarray) -> list[str]:
    """The yen sign the Chinese model reads in its fullwidth form ("日销售额￥12,423"): the narrow
    one, and the narrow one after a space where the ink has one ("日销售额 ¥12,423" fits 0.03
    where the fullwidth reading fits 0.16)."""
    if "\uffe5" not in text:
        return []
    narrow = text.replace("\uffe5", "\u00a5")
    spaced = "".join(
        " \u00a5" if ch == "\uffe5" and k > 0 and text[k - 1] != " " else ("\u00a5" if ch == "\uffe5" else ch)
        for k, ch in enumerate(text)
    )
    return [narrow, spaced]


def _clearly_better(
    text: str,
    fit: FontFit,
    trials: list[str],
    measured: Measured,
    faces: tuple[FontFace, ...] | None,
    slanted: bool,
    ratio: float,
    gain: float = 0.1,
) -> tuple[str, FontFit]:
    """The trial reading whose fit explains the ink far better than ``text``'s (``ratio`` of the
    error at most, and ``gain`` less at least), the best of them; else ``text`` as it was."""
    width, height, mass, alpha = measured
    best = (text, fit)
    for trial in trials:
        refit = fit_font(trial, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
        if (
            refit.face is not None
            and refit.error <= ratio * fit.error
            and fit.error - refit.error >= gain
            and refit.error < best[1].error
        ):
            best = (trial, refit)
    return best
