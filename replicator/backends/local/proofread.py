"""Exact text: OCR's systematic misreadings, checked letter by letter against the ink.

PP-OCR reads web text well but makes the same few mistakes over and over: "RADI0" and "RAD10" for
RADIO, "CsS" for CSS, "ship" for a heading's "Ship", "@" or "?" for "©", "HHOME" for tracked-out
capitals, fullwidth "，" in English text, "-", "." or "I" for a middle dot between words, ".." for
"…", "Al" and "Ui" for AI and UI, "IW" for 1W. Each suspect character is judged by measurement,
never by a dictionary: the line is drawn in its fitted font with the character and with each
look-alike, and the reading whose glyph matches the ink where that character stands wins, by a
clear margin. Look-alikes of one stroke (I, l, 1, i) correlate alike: their ink's height, an i's
dot and a one's flag decide, or the reading stands. Suspects are found cheaply first (a letter
whose ink is taller or shorter than its case allows; a digit among letters; a stroke letter in a
word of the other case; a lone symbol; a doubled capital in tracked-out text), so a page costs a
few drawings, not one per letter.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

import cv2
import numpy as np

from .fontfit import fit_font
from .fonts import FONTS, FontFace, FontFit, GlyphBox, draw_glyphs, has_cjk
from .spacing import ink_runs

log = logging.getLogger(__name__)

# Letters whose two cases share a shape and differ in height: only the ink's height tells them.
_CASED = set("CcOoSsVvWwXxZzKkPpUu")
# Those of them whose lowercase stands at the x-height (a k reaches as high as its capital).
_X_HIGH_CASED = set("cosvwxzpu")
# Characters OCR confuses with others of another shape class.
# Digits and letters OCR confuses, in words that mix the two ("RADI0", "RAD10", "v1.0").
_DIGIT_FOR = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "Z": "2", "B": "8"}
_LETTERS_FOR = {"0": "Oo", "1": "Il", "5": "S", "2": "Z", "8": "B"}
# Accents PP-OCR's English recognizer never reads ("Tomas" for Tomás): a lowercase letter whose ink
# reaches above its x-height is drawn with each accent it may carry, and the ink decides.
_ACCENTS = {"a": "áàâãä", "e": "éèêë", "o": "óòôõö", "u": "úùûü", "n": "ñń", "c": "ćč"}
_ACCENTS |= {"s": "šś", "z": "žźż", "y": "ýÿ"}
# Currency signs OCR reads as a letter when they stand before an amount ("C10.00", "S650").
_CURRENCY_FOR = {"C": "€", "c": "€", "e": "€", "E": "€", "S": "$", "s": "$", "Y": "¥", "L": "£"}
# Currency signs: what follows one is an amount.
_SIGNS = "$€£¥"
# Symbols that stand alone and that OCR reads for one another.
_SYMBOLS = {"@": "©®", "©": "@®", "®": "©@", "?": "©"}
# A thousands separator OCR reads as the other one: a comma's tail below the baseline decides.
_SEPARATORS = {".": ",", ",": "."}
# Letters whose ink reaches below the baseline (a comma's tail is measured against the others).
_DESCENDING = "gjpqyQ"
# Typographic punctuation OCR writes as its typewriter form: dashes read as a hyphen, curly quotes
# and apostrophes as straight ones (PP-OCR's dictionary has both; it prefers the plain ones). The
# drawing decides, as for letters: an em dash is three hyphens wide, a curly quote a tapered comma.
# Which curly quote is the context's: opening before a word, closing after one.
_DASHES = "\u2014\u2013"
_OPENING = {'"': "\u201c", "'": "\u2018"}
_CLOSING = {'"': "\u201d", "'": "\u2019"}
# A dash's ink at least this long (in ems) is an en dash, an em dash (see _dash_by_length), where
# the face's own dashes are not known: midway between the lengths measured on Chromium renders
# (Roboto 14 px: hyphens 0.23-0.30, en dashes 0.47, em dashes 0.60-0.63).
_EN_DASH = 0.4
_EM_DASH = 0.56
# A dash's usual ink length in ems, where the face's own are not known (see _one_bar).
_DASH_EMS = {"-": 0.3, "\u2013": 0.5, "\u2014": 0.8}
# A middle dot between words ("Mar 8 · 9 min read") OCR reads as a hyphen, a period, an I, a bar
# or a bullet; its ink is a small round blob at half the x-height (see _middle_dot_by_shape).
_DOT = "\u00b7"
_DOT_FOR = set("-.I|\u2022")
_DOT_MARGIN = 0.75  # how much closer (pixels of extent) the middle dot's glyph must be to the ink
_DOT_NEAR = 0.2  # and how close at most (ems)
# An ellipsis OCR reads as two or three periods; told from three periods by its dots' pitch, where
# the face's own differ by this much at least (pixels; most faces draw them alike).
_ELLIPSIS = "\u2026"
_PITCH_APART = 0.4
_FACE_TRUSTED = 0.15  # a fit error this low names the face (see fontfit): its own dashes are measured
_MARGIN = 0.04  # how much better (correlation) a look-alike's glyph must match the ink


def proofread(
    text: str, fit: FontFit, measured: tuple[float, float, float, np.ndarray]
) -> tuple[str, FontFit]:
    """``text`` with the look-alike characters its ink disproves corrected, and its fit (refitted
    only for a coding face's arrow). The length may change: a dash OCR read twice, an ellipsis
    read as periods, "℃" for a degree sign and its letter. ``measured``: the ink's width, height,
    mass and coverage."""
    if not has_cjk(latin_punctuation(text)):
        text = latin_punctuation(text)
    alpha = measured[3]
    if fit.face is None or alpha.size == 0 or not text.strip():
        return text, fit
    if has_cjk(text):
        return _cjk_marks(text, fit, alpha), fit
    if fit.face.kind != "mono":
        text = _in_capitals(text, fit, measured)
    elif _ARROW in text:
        text, fit = _arrow_ligature(text, fit, measured)
    if any(sign in text for sign in _DEGREES):
        text = _degrees_by_shape(text, fit, alpha)
    text = _one_letter_read_as_two(text, fit, alpha)
    # Twice when the first pass changed something: a suspect is judged with its neighbours as
    # read, and "RAD10" has two. A middle dot has no neighbours in its word, and the line drawn
    # with it is not closer to the ink where OCR read an icon beside it as the mark ("tkaminski I
    # v2.4" for a dot and a milestone icon: drawn again with the dot, "v2.4" was taken for "vZ.4").
    corrected = _substitutions(text, fit, alpha)
    if len(corrected) != len(text) or any(a != b and b != _DOT for a, b in zip(text, corrected, strict=True)):
        corrected = _substitutions(corrected, fit, alpha)
    return _pair_quotes(corrected), fit


_FULLWIDTH_SLASH = re.compile(r"(?<= )\uff0f(?= |$)")


def _cjk_marks(text: str, fit: FontFit, alpha: np.ndarray) -> str:
    """A Chinese line's marks that the Chinese model reads in their fullwidth forms: a slash with
    a space on either side is the narrow one (a fullwidth slash fills its own em and is not spaced
    again: cn_shop's "无线耳机 / 保温杯 / 台灯" came out with one of each), and a fullwidth
    hyphen-minus whose stroke is an em dash's length is that dash ("3月8日—3月15日")."""
    text = _FULLWIDTH_SLASH.sub("/", text)
    if "\uff0d" not in text:
        return text
    assert fit.face is not None
    path = FONTS.path(fit.face, fit.weight, fit.italic) or ""
    drawn, boxes = draw_glyphs(text, path, fit.face.index, fit.size, fit.letter_spacing)
    if drawn.size == 0 or len(boxes) != len(text):
        return text
    scale = (alpha.shape[1] / drawn.shape[1], alpha.shape[0] / drawn.shape[0])
    # The face's own two: Noto Sans CJK draws its fullwidth hyphen-minus 0.71 em long, its em dash 0.79.
    lengths = {}
    for dash in ("\uff0d", "\u2014"):
        left, right = FONTS.glyph_ink(dash, fit.face, fit.weight, fit.italic)
        lengths[dash] = right - left
    chars = list(text)
    for i, ch in enumerate(text):
        box = boxes[i]
        if ch == "\uff0d" and box is not None:
            chars[i] = _dash_by_length(text, i, box, alpha, scale, 0, fit.size, lengths)[0]
    return "".join(chars)


# One letter PP-OCR reads as two inside a word: an italic serif's w, whose left half is a v's or
# a c's and its right half a c's or an o's ("vcho" for who, "coas" for was in Merriweather and
# Playfair Display Italic). "co" is an everyday pair ("coast"), so only in italic lines; the ink
# decides each one.
_TWO_FOR_ONE = {"vc": "w", "co": "w"}
_TWO_FOR_ONE_ITALIC = {"co"}
_TWO_FOR_ONE_LEAD = 0.04  # how much better (correlation) the ink must match the one letter


def _one_letter_read_as_two(text: str, fit: FontFit, alpha: np.ndarray) -> str:
    """``text`` with each pair of letters the ink shows to be one letter (``_TWO_FOR_ONE``) made
    that letter. As for single look-alikes, the stretch of ink from the pair to the end of the
    letter after it is compared with the line drawn both ways from the same pen position; the
    one letter must match it better by ``_TWO_FOR_ONE_LEAD``. (Neither the fit's error nor the
    whole line's likeness can judge: with the size fitted to the misreading, the true line's
    letters drift off the ink along the line.)"""
    assert fit.face is not None
    path = FONTS.path(fit.face, fit.weight, fit.italic) or ""
    font = (path, fit.face.index, fit.size, fit.letter_spacing)
    for pair, letter in _TWO_FOR_ONE.items():
        if pair in _TWO_FOR_ONE_ITALIC and not fit.italic:
            continue
        k = text.find(pair)
        while k >= 0:
            end = k + len(pair)
            inside = (k > 0 and text[k - 1].isalpha()) or (end < len(text) and text[end].isalpha())
            if inside and _one_letter_fits_better(text, k, pair, letter, alpha, font):
                text = text[:k] + letter + text[end:]
                end = k + len(letter)
            k = text.find(pair, end)
    return text


def _one_letter_fits_better(
    text: str, k: int, pair: str, letter: str, alpha: np.ndarray, font: tuple[str, int, float, float]
) -> bool:
    path, index, size, spacing = font
    drawn, boxes = draw_glyphs(text, path, index, size, spacing)
    trial = text[:k] + letter + text[k + len(pair) :]
    other, other_boxes = draw_glyphs(trial, path, index, size, spacing)
    if drawn.size == 0 or other.size == 0 or len(boxes) != len(text) or len(other_boxes) != len(trial):
        return False
    after = k + len(pair)  # the letter after the pair closes the stretch: a width differing shows
    first, last = boxes[k], boxes[min(after, len(text) - 1)]
    moved, moved_last = other_boxes[k], other_boxes[min(k + len(letter), len(trial) - 1)]
    if first is None or last is None or moved is None or moved_last is None:
        return False
    sx, sy = alpha.shape[1] / drawn.shape[1], alpha.shape[0] / drawn.shape[0]
    pad = 0.3 * size
    left = first[0] - pad
    origin = left + _pen(other_boxes, k) - _pen(boxes, k)
    reach = max(last[2] + pad - left, moved_last[2] + pad - origin)
    # The pen positions of a line fitted to the misreading drift from the ink's (10 px along
    # blog_article's standfirst): the letters before the pair, the same in both readings, say
    # where the stretch lies; each reading is then scored there, a pixel either way.
    base = round(left * sx)
    before_pair = [b for b in boxes[max(k - 4, 0) : k] if b is not None]
    if before_pair:
        anchor = _cut(drawn, before_pair[0][0] - pad, first[0], sx, sy, alpha.shape[0])
        lead = round((before_pair[0][0] - pad) * sx)
        drift = max(range(-12, 13), key=lambda d: _correlation(alpha, anchor, lead + d))
    else:
        drift = 0
    scores = []
    for drawing, at in ((drawn, left), (other, origin)):
        window = _cut(drawing, at, at + reach, sx, sy, alpha.shape[0])
        scores.append(max(_correlation(alpha, window, base + drift + d) for d in (-1, 0, 1)))
    before, score = scores
    log.debug("one letter for two %r at %d: %.3f -> %.3f", text, k, before, score)
    return score > before + _TWO_FOR_ONE_LEAD


def _pair_quotes(text: str) -> str:
    """A straight double quote whose partner in the line the ink showed curly, curly too.

    A mark is three or four pixels at text sizes, and one of a pair can fall between pixels so
    that neither glyph matches it clearly (measured: an opening mark in Roboto at 14 px scored
    0.94 straight, 0.88 curly, while its partner scored 0.87 straight, 0.93 curly). A pair of
    marks set in two styles is a typesetting slip no page makes, so the clear one decides.
    """
    marks = [i for i, ch in enumerate(text) if ch in '"\u201c\u201d']
    if len(marks) != 2:
        return text
    first, second = marks
    if text[first] == '"' and text[second] == "\u201d":
        return text[:first] + "\u201c" + text[first + 1 :]
    if text[first] == "\u201c" and text[second] == '"':
        return text[:second] + "\u201d" + text[second + 1 :]
    return text


def _in_capitals(text: str, fit: FontFit, measured: tuple[float, float, float, np.ndarray]) -> str:
    """``text`` in capitals where ``capitals_by_ink`` finds a line of capitals and the capitals fit
    the line's face as well (see the reader's own check, which only lines that fit a proportional
    system face get: tracked-out capitals, "TRAVEl · LOnG REad", fit a monospace one best, their
    letters evenly spaced, and were left as read; in the page's Playfair Display the reading
    fitted 0.68, the capitals 0.26)."""
    capitals = capitals_by_ink(text, measured[3])
    if capitals == text or fit.face is None:
        return text
    width, height, mass, alpha = measured
    upper = fit_font(capitals, width, height, mass, alpha=alpha, faces=(fit.face,), slanted=fit.italic)
    return capitals if upper.error <= fit.error + 0.15 else text


# Lowercase letters that stop at the x-height: where OCR reads one of these, the ink must show a
# glyph that low, or the letter is a capital (a line in capitals read "OR CONTiNuE WITh EmAIl").
_X_HEIGHT_LETTERS = set("acemnorsuvwxz")


# Coding faces (JetBrains Mono, Fira Code) draw "->" as one arrow two cells wide, which OCR reads as
# the one-cell "→" (see _arrow_ligature).
_ARROW = "\u2192"


def _arrow_ligature(
    text: str, fit: FontFit, measured: tuple[float, float, float, np.ndarray]
) -> tuple[str, FontFit]:
    """``text`` with each "→" as the "->" a coding face's ligature draws as one arrow, and its fit,
    where the ink holds the two cells that takes: in a monospace face every character is a cell,
    and a line with one cell too few fits its ink badly (docs_guide's "secret: str) → bool:" in
    JetBrains Mono fitted 0.27 as read, 0.03 with "->"). A one-cell arrow stays."""
    if fit.face is None:
        return text, fit
    width, height, mass, alpha = measured
    trial = text.replace(_ARROW, "->")
    refit = fit_font(trial, width, height, mass, alpha=alpha, faces=(fit.face,), slanted=fit.italic)
    return (trial, refit) if refit.error + 0.05 < fit.error else (text, fit)


# Temperatures OCR reads with the one-glyph signs "℃" and "℉" ("17*℃" for 17°C: the degree ring as
# an asterisk, then the sign with a ring of its own): a degree sign and the letter.
_DEGREES = {"\u2103": "\u00b0C", "\u2109": "\u00b0F"}


def _degrees_by_shape(text: str, fit: FontFit, alpha: np.ndarray) -> str:
    """``text`` with each "℃" or "℉" (and a mark OCR read before it for the ring: "*", "°", "o")
    as a degree sign and its letter where that drawing matches the ink there clearly better. The
    readings differ in length: each is drawn, and the stretch from the glyph before to the end of
    the reading is compared with the same stretch of ink (best of a few pixels either way)."""
    assert fit.face is not None
    path = FONTS.path(fit.face, fit.weight, fit.italic) or ""
    font = (path, fit.face.index, fit.size, fit.letter_spacing)
    for sign, spelled in _DEGREES.items():
        start = text.find(sign)
        while start > 0:
            first = start - 1 if text[start - 1] in "*°o" and start > 1 else start
            trial = text[:first] + spelled + text[start + 1 :]
            scores = [
                _stretch_match(reading, first, end, alpha, font)
                for reading, end in ((text, start + 1), (trial, first + 2))
            ]
            log.debug("degrees %r[%d]: %s", text, first, scores)
            if scores[0] is not None and scores[1] is not None and scores[1] > scores[0] + _MARGIN:
                text = trial
            start = text.find(sign, start + 1)
    return text


def _stretch_match(
    text: str, first: int, end: int, alpha: np.ndarray, font: tuple[str, int, float, float]
) -> float | None:
    """How well ``text`` drawn matches the ink over ``text[first:end]``, from the end of the glyph
    before it (None: nothing to compare)."""
    path, index, size, spacing = font
    drawn, boxes = draw_glyphs(text, path, index, size, spacing)
    if drawn.size == 0 or len(boxes) != len(text) or first == 0:
        return None
    inked = [b for b in boxes[first:end] if b is not None]
    if not inked:
        return None
    sx = alpha.shape[1] / drawn.shape[1]
    left = _pen(boxes, first)
    right = inked[-1][2] + 1
    window = _cut(drawn, left, right, sx, 1.0, alpha.shape[0])
    return max(_correlation(alpha, window, round(left * sx) + d) for d in range(-3, 4))


def capitals_by_ink(text: str, alpha: np.ndarray) -> str:
    """``text`` in capitals when OCR read lowercase x-height letters in it but the ink is a line of
    capitals; else ``text`` as it is.

    Judged on the ink's columns (glyphs of small text touch, so they cannot be told apart): the top
    of the ink in each column, against the line's capital height. In a line of capitals most
    columns reach that height and few stop about a third of it lower; in mixed text most columns are
    lowercase letters' and stop there. Measured on 5 families at 11-20 px: capitals 41-86% of
    columns at capital height and at most 26% at the x-height (21% outside monospace faces);
    mixed text 5-27% and at least 52%. The line is taken for capitals under 20%: a placeholder such
    as "e.g. TEJ-2025" (two lowercase letters among capitals and digits) measured 23%. A badge's
    pill, measured as its text's ink, fills the box and is left alone. Monospace faces are left
    alone: their x-height is so close to their capitals' that small text cannot be told (callers
    check the fitted face). A capital letter's own height (C vs c, O vs o) is judged per letter by
    ``proofread``.
    """
    letters = [ch for ch in text if ch.isalpha()]
    # A capital or an ascender read in the line gives the capital height to measure against; a word
    # of x-height letters alone ("enum", "pans") looks the same in either case.
    tall_read = any(ch.isupper() or ch in "bdfhklt" for ch in letters)
    if len(letters) < 4 or not tall_read or not any(ch in _X_HEIGHT_LETTERS for ch in text):
        return text
    if alpha.shape[0] < 7:
        return text
    ink = alpha > 0.35
    columns = ink.any(axis=0)
    # A badge's pill measured as the text's ink (remeasured later) fills its box: no letters show.
    if columns.sum() < 8 or float(ink.mean()) > 0.45:
        return text
    tops = np.argmax(ink, axis=0)[columns].astype(np.float64)
    bottoms = (ink.shape[0] - 1 - np.argmax(ink[::-1], axis=0))[columns].astype(np.float64)
    # The capitals' top: the second highest column (a single stray pixel aside); their columns may
    # be few (one capital in a line of lowercase).
    cap_top = float(np.sort(tops)[1])
    cap = float(np.median(bottoms)) - cap_top
    if cap < 7:  # the x-height sits 2 px below the capitals' height at most: too close to call
        return text
    # Capitals stop at the baseline: descenders in the ink, where OCR read g, j, p, q, y, are
    # lowercase letters' ("currency string REQUIRED": a monospace word's x-height as tall as the
    # small capitals beside it, and its y and g reach below them).
    descending = sum(ch in "gjpqy" for ch in text)
    low = bottoms > np.median(bottoms) + 0.2 * cap
    # A comma's tail reaches below the baseline too ("FIELD SERVICE, SIMPLIFIED", which OCR read
    # in lowercase): as many runs of low columns as the commas read are those commas.
    runs = int(low[0]) + int(np.sum(low[1:] & ~low[:-1])) if len(low) else 0
    commas = sum(ch in ",;" for ch in text)
    if descending and runs > commas and int(np.sum(low)) >= max(2, descending):
        return text
    x_height = float(np.mean((tops > cap_top + 0.2 * cap) & (tops < cap_top + 0.5 * cap)))
    tall = float(np.mean(tops <= cap_top + 0.12 * cap))
    return text.upper() if x_height < 0.2 and tall > 0.35 else text


def capital_words(text: str, alpha: np.ndarray, bounds: list[float]) -> str:
    """``text`` with each word that OCR read in mixed case inside ("REQuIRED", "sTRING", "PosT")
    set in capitals when the ink of every lowercase letter in it stands as tall as the word's own
    capitals, and the line's x-height (the tops of the x-height letters a, c, e, m, n, o, ... of its
    lowercase words) is clearly lower (``bounds``: the x of each character boundary in ``alpha``).
    At 16 px the two heights differ by a pixel or two.
    A word whose lowercase letters are x-height in the ink ("McDonald", "iPhone") stays as read."""
    if alpha.shape[0] < 7 or len(bounds) != len(text) + 1:
        return text
    ink = alpha > 0.35
    if float(ink.mean()) > 0.45:
        return text

    def top(i: int) -> float | None:
        a, b = round(bounds[i]) + 1, round(bounds[i + 1]) - 1
        rows = np.flatnonzero(ink[:, max(a, 0) : max(b, a + 1)].any(axis=1))
        return float(rows[0]) if len(rows) else None

    words: list[tuple[int, str]] = []
    start = 0
    for word in text.split(" "):
        words.append((start, word))
        start += len(word) + 1

    def mixed(word: str) -> bool:
        """Letters of both cases, a capital after the word's first letter ("PosT", not '"We')."""
        letters = [ch for ch in word if ch.isalpha()]
        return (
            len(letters) >= 3
            and any(ch.islower() for ch in letters)
            and any(ch.isupper() for ch in letters[1:])
        )

    suspects = [(s, w) for s, w in words if mixed(w)]
    if not suspects:
        return text
    xs: list[float] = []  # the line's x-height: tops of x-height letters in its lowercase words
    for s, word in words:
        if (s, word) in suspects or not word.islower():
            continue
        xs += [t for k, ch in enumerate(word) if ch in "acemnorsuvwxz" and (t := top(s + k)) is not None]
    if len(xs) < 3:
        return text
    x_top = float(np.median(xs))
    out = list(text)
    for s, word in suspects:
        # Against the word's own capitals, measured the same way (the positions drift a little
        # along a line): its lowercase letters stand as tall as they do, and the line's x-height
        # is clearly lower.
        own = [top(s + k) for k, ch in enumerate(word) if ch.isupper() and ch.isascii()]
        own_caps = [t for t in own if t is not None]
        # Descender letters' tops stand at the x-height too ("pOST" for POST).
        tops = [top(s + k) for k, ch in enumerate(word) if ch.islower() and ch in "acemnorsuvwxzgpqy"]
        if not own_caps or not tops or any(t is None for t in tops):
            continue
        if len(tops) < 2 and len(own_caps) < 3:
            continue  # one letter against one or two capitals: too little to go on
        if max(own_caps) - min(own_caps) > 1.0:
            continue  # the word's own capitals disagree: the positions drifted off its letters
        word_cap = float(np.median(own_caps))
        if x_top - word_cap >= 1.0 and all(t is not None and t <= word_cap + 0.5 for t in tops):
            out[s : s + len(word)] = list(word.upper())
    return "".join(out)


def latin_punctuation(text: str) -> str:
    """Fullwidth punctuation and letters (the Chinese model's habit) as what a Latin font draws."""
    if not any("\uff00" <= ch <= "\uffef" or ch == "\u3000" for ch in text):
        return text
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff00" <= ch <= "\uffef" or ch == "\u3000" else ch
        for ch in text
    )


def _substitutions(text: str, fit: FontFit, alpha: np.ndarray) -> str:
    assert fit.face is not None
    path = FONTS.path(fit.face, fit.weight, fit.italic) or ""
    index = fit.face.index
    spacing = fit.letter_spacing
    drawn, boxes = draw_glyphs(text, path, index, fit.size, spacing)
    if drawn.size == 0 or len(boxes) != len(text):
        return text
    if len(text) > 1 and abs(drawn.shape[1] - alpha.shape[1]) > 1.0:
        # Tracking the fit left out (short labels): letters stand where the ink says.
        spacing = round(spacing + (alpha.shape[1] - drawn.shape[1]) / (len(text) - 1), 2)
        drawn, boxes = draw_glyphs(text, path, index, fit.size, spacing)
        if drawn.size == 0 or len(boxes) != len(text):
            return text
    sx, sy = alpha.shape[1] / drawn.shape[1], alpha.shape[0] / drawn.shape[0]
    chars = list(text)
    dropped: set[int] = set()  # the second half of a dash OCR read twice (see _one_bar)
    strokes: dict[int, tuple[int, int, float] | None] = {}
    for i, ch in enumerate(text):
        box = boxes[i]
        if box is None:
            continue
        font = (path, index, fit.size, spacing)
        if i in dropped:
            continue
        dots = _trailing_dots(text, i) if ch == "." else 0
        if dots and _ellipsis_by_pitch(i, boxes, alpha, (drawn, sx), font):
            chars[i] = _ELLIPSIS
            dropped.update(range(i + 1, i + dots))
            continue
        if (
            ch in _DOT_FOR
            and _lone(text, i)
            and _middle_dot_by_shape(text, i, boxes, alpha, (drawn, sx), font)
        ):
            chars[i] = _DOT
            continue
        accent = ch in _ACCENTS and not fit.italic and _accent_ink(box, alpha, sx, sy, 0) is not None
        if not (accent or _in_doubt(text, i, fit)):
            continue
        # Where this glyph's window lies in the ink: drawn positions drift from the ink's along
        # a line, so the window is placed where the drawing matches best, a few pixels either way.
        pad = 0.3 * fit.size
        left, right = box[0] - pad, box[2] + pad
        original = _cut(drawn, left, right, sx, sy, alpha.shape[0])
        shift = _best_shift(alpha, original, round(left * sx), 3)
        if shift is None:
            continue
        start = round(left * sx) + shift
        if accent and (top := _accent_ink(box, alpha, sx, sy, shift)) is not None:
            # Ink of its own above the letter: an accent is there; which one, its shape says.
            chars[i] = _accent_by_shape(
                chars, i, (box, left, right, top), alpha, (sx, sy), start, font, boxes
            )
            continue
        if ch in _X_HIGH_CASED and _capital_by_height(text, i, boxes, alpha, sx, shift):
            chars[i] = ch.upper()
            continue
        options = _suspects(text, i, boxes, alpha, sx, sy, shift)
        if not options:
            continue
        if ch == "-":
            lengths = _dash_lengths(fit)
            if _lone(text, i):
                # A dash between words is placed by the words around it (see _dash_by_length).
                shift = round(_shift_between_words(box, alpha, (drawn, sx), fit.size))
            chars[i], strokes[i] = _dash_by_length(text, i, box, alpha, (sx, sy), shift, fit.size, lengths)
            if _one_bar(strokes, i, chars[i], lengths):
                dropped.add(i)
            continue
        if ch in _SEPARATORS:
            chars[i] = _separator_by_tail(text, i, boxes, alpha, (sx, shift))
            continue
        if ch == "!":
            chars[i] = _bang_or_l(alpha, box, sx, shift)
            continue
        if ch in _OPENING and not _closed_by_the_other(text, i):
            chars[i] = _quote_by_shape(
                text, i, (box, sx, shift), alpha, (path, index, fit.size * sy), options
            )
            continue
        scores = {ch: _correlation(alpha, original, start)}
        for option in options:
            trial = "".join(chars[:i]) + option + "".join(chars[i + 1 :])
            other, other_boxes = draw_glyphs(trial, path, index, fit.size, spacing)
            moved = other_boxes[i] if len(other_boxes) == len(trial) else None
            if other.size == 0 or moved is None:
                continue
            # The same stretch of line, from the same pen position: a narrower or wider
            # look-alike shows as a gap or an overlap with the next letter. The stretch reaches
            # as far as the wider of the two glyphs ("?" is half as wide as the "©" it stands for:
            # a window cut to the "?" held half the "©"), and the reading as it is is scored on
            # that same stretch.
            origin = left + _pen(other_boxes, i) - _pen(boxes, i)
            reach = max(right - left, moved[2] + pad - origin)
            window = _cut(other, origin, origin + reach, sx, sy, alpha.shape[0])
            score = max(_correlation(alpha, window, start + d) for d in (-1, 0, 1))
            stretch = (
                _cut(drawn, left, left + reach, sx, sy, alpha.shape[0]) if reach > right - left else original
            )
            # How much better than the reading as it is, on the same stretch of ink.
            scores[option] = score - _correlation(alpha, stretch, start) + scores[ch]
            if "1" in (ch, option) and {ch, option} <= _ONES:
                # A one and a stem letter (a window's correlation favoured Poppins' l over its
                # one in the ink of "1D" and "1M"): where the glyph reaches out from its stem,
                # a one's flag, serifs, a foot. The ink's must be the option's, and differ
                # from the reading's in the face's own drawings.
                patch = _glyph_ink(alpha, box[0] * sx + shift, box[2] * sx + shift)
                seen_marks = _stem_marks(patch) if patch is not None else None
                marks = {
                    c: _stem_marks(np.pad(draw_glyphs(c, path, index, fit.size * sx)[0], 1))
                    for c in (ch, option)
                }
                log.debug("one %r[%d]: ink %s, drawn %s", text, i, seen_marks, marks)
                clear = seen_marks is not None and seen_marks == marks[option] != marks[ch]
                # A flag out left at the top and nothing out right is a one's, where the face's
                # stem letter has none: a drawing's foot can differ by a pixel of antialiasing
                # (Poppins' one at 16 px showed one that the ink of "1:00" did not).
                drawn_one, drawn_stem = marks[option], marks[ch]
                clear = clear or (
                    option == "1"
                    and seen_marks is not None
                    and seen_marks[:2] == (True, False)
                    and drawn_one is not None
                    and drawn_one[:2] == (True, False)
                    and drawn_stem is not None
                    and not drawn_stem[0]
                )
                scores[option] = scores[ch] + (1.0 if clear else -1.0)
            if (ch, option) == ("O", "0"):
                # (Only this way: a zero read as one, among letters, stays to the correlation;
                # "130x170" in DejaVu Sans, whose zero is nearly as round, became "13Ox170".)
                rounder = _round_or_oval(alpha, box, sx, shift, (ch, option), (path, index, fit.size))
                if rounder is not None:
                    scores[option] = scores[ch] + (1.0 if rounder == option else -1.0)
            if {ch, option} <= _STEMS:
                # A stem and a stem: their drawings correlate alike; their heights and an i's dot
                # tell them apart, or nothing does.
                here = (box[0] + box[2]) / 2 * sx + shift
                start, end = _word(text, i)
                capitals = [
                    (c, (b[0] + b[2]) / 2 * sx + shift)
                    for c, b in zip(text[start:end], boxes[start:end], strict=True)
                    if c.isupper() and c != "I" and b is not None
                ]
                verdict = _stem_by_ink(ch, option, alpha, (here, capitals), font, sx)
                # Where the heights tell nothing, an l among capitals or an I among lowercase
                # letters is left to the correlation ("APl" for API in Open Sans, whose l and I
                # differ in width).
                others = [c for j, c in enumerate(text[start:end], start) if j != i and c.isalpha()]
                lowercase = i > start and len(others) >= 2 and all(c.islower() for c in others)
                legacy = (ch == "l" and len(capitals) >= 2) or (ch == "I" and lowercase)
                if verdict is not None or not legacy:
                    scores[option] = scores[ch] + (1.0 if verdict else -1.0)
        best = max(scores, key=lambda k: scores[k])
        log.debug("proofread %r[%d]: %s", text, i, {k: round(v, 3) for k, v in scores.items()})
        if best != ch and scores[best] > scores[ch] + _MARGIN:
            chars[i] = best
    return "".join(c for i, c in enumerate(chars) if i not in dropped)


# A one and the letters OCR reads for it, told apart by their glyphs' shapes: a one's flag and foot.
_ONES = set("1Il")
# Glyphs that are one upright stroke, told apart by their height and an i's dot alone.
_STEMS = set("Ili")


def _stem_profile(image: np.ndarray, middle: float, half: float) -> np.ndarray:
    """The coverage of each row of ``image`` in the columns ``middle`` +- ``half`` (its strongest
    column's), against its own strength."""
    a = max(int(np.floor(middle - half)), 0)
    b = min(max(int(np.ceil(middle + half)), a + 1), image.shape[1])
    if b <= a:
        return np.zeros(image.shape[0], np.float32)
    rows = image[:, a:b].max(axis=1).astype(np.float32)
    peak = float(rows.max())
    return rows / peak if peak > 0 else rows


def _dip(profile: np.ndarray) -> float:
    """The weakest row between a stem's first and last strong rows (an i's gap under its dot),
    against the stem's usual strength (a neighbour's curve may be the stronger ink)."""
    rows = np.flatnonzero(profile >= 0.6 * profile.max()) if profile.size else profile
    if len(rows) < 3:
        return 1.0
    span = profile[rows[0] : rows[-1] + 1]
    # Inside the stem: its ends are antialiased.
    return float(span[1:-1].min() / np.median(span))


def _half(ch: str, width: float) -> float:
    """How far either side of its middle a glyph's height is measured: a stem's own columns, all of
    a wider letter's (an A's apex and its feet)."""
    return max(0.6, 0.25 * width) if ch in _STEMS else 0.5 * width


@functools.lru_cache(maxsize=256)
def _stem_of(ch: str, path: str, index: int, size: float) -> tuple[float, float, float]:
    """The height ``ch`` covers about its middle (its rows' coverage summed, in pixels at
    ``size``), the weakest row within it and its width."""
    # Drawn four times as large: a glyph's height comes out in whole pixels, a quarter of one here
    # (Poppins 600 at 18 px: I 12.5, l 13.0 px; drawn at size, 12 and 13).
    drawn, _ = draw_glyphs(ch, path, index, 4 * size, 0.0)
    if drawn.size == 0:
        return 0.0, 1.0, 0.0
    profile = _stem_profile(drawn, drawn.shape[1] / 2, 4 * _half(ch, drawn.shape[1] / 4))
    small = _stem_profile(*_at_size(drawn), max(0.6, 0.25 * drawn.shape[1] / 4))
    return float(profile.sum()) / 4, _dip(small), float(drawn.shape[1]) / 4


def _at_size(drawn: np.ndarray) -> tuple[np.ndarray, float]:
    """A glyph drawn four times as large, at its size (for the gaps a reader sees), and its middle."""
    small = cv2.resize(
        drawn,
        (max(round(drawn.shape[1] / 4), 1), max(round(drawn.shape[0] / 4), 1)),
        interpolation=cv2.INTER_AREA,
    )
    return np.asarray(small, np.float32), small.shape[1] / 2


def _stem_by_ink(
    ch: str,
    option: str,
    alpha: np.ndarray,
    where: tuple[float, list[tuple[str, float]]],
    font: tuple[str, int, float, float],
    sx: float,
) -> bool | None:
    """Whether the stem in the ink at column ``where[0]`` is ``option`` rather than ``ch`` as read
    (both one of I, l, i): an i has a dot over a gap, an l reaches above the capitals' height.
    Where the face draws the two alike (I and l of one height), nothing tells (None).

    Heights are measured against the capitals of the stem's word (``where[1]``: each and the
    column of its middle in the ink), each against its own drawing: the fitted size may be a few
    percent off the ink's (bulma_product's "STRIDE" in Lato 900: its ink's capitals and its I
    stood 3% taller than drawn, as tall as the face's l)."""
    path, index, size, _spacing = font
    here, capitals = where
    (read_h, read_dip, width), (option_h, option_dip, _) = (
        _stem_of(c, path, index, round(size, 1)) for c in (ch, option)
    )
    seen = _stem_profile(alpha, here, _half(ch, width * sx))
    height, dip = float(seen.sum()), _dip(seen)
    if "i" in (ch, option):
        log.debug(
            "stem %r/%r at %.1f: ink's dip %.2f, drawn %.2f/%.2f", ch, option, here, dip, read_dip, option_dip
        )
        # The dot: a gap in the drawn i that the ink shows (or not).
        dotted = read_dip if ch == "i" else option_dip
        if dotted > 0.6:
            return False
        return dip > 0.75 if ch == "i" else dip < 0.6
    # The ink's scale: its word's capitals' heights against their drawings' (the median), and the
    # fit's own (its width against the drawing's); both must tell the same.
    scales = [sx]
    for letter, middle in capitals:
        drawn_h, _, letter_width = _stem_of(letter, path, index, round(size, 1))
        inked = float(_stem_profile(alpha, middle, _half(letter, letter_width * sx)).sum())
        if drawn_h > 0 and inked > 0:
            scales.append(inked / drawn_h)
    verdicts = {
        _by_height(height, read_h * k, option_h * k) for k in (sx, float(np.median(scales[1:] or [sx])))
    }
    log.debug(
        "stem %r/%r at %.1f: ink %.2f tall; drawn %.2f/%.2f at scale %s: %s",
        ch,
        option,
        here,
        height,
        read_h,
        option_h,
        [round(k, 3) for k in scales],
        verdicts,
    )
    return verdicts.pop() if len(verdicts) == 1 else None


def _by_height(seen: float, read: float, option: float) -> bool | None:
    """Whether a stem of height ``seen`` is the option's (``option`` tall) rather than the
    reading's: heights apart by 0.4 px at least, the ink's within that of one of them (a line
    whose fit is off measures nothing like either) and clearly nearer one (None: neither)."""
    apart = abs(option - read)
    near, far = abs(seen - option), abs(seen - read)
    if apart < 0.4 or min(near, far) >= apart:
        return None
    if near + 0.25 * apart < far:
        return True
    if far + 0.25 * apart < near:
        return False
    return None


def _glyph_ink(alpha: np.ndarray, left: float, right: float) -> np.ndarray | None:
    """The ink of the letter between columns ``left`` and ``right`` of a line, alone: the pieces of
    ink centred in those columns, trimmed (None: none)."""
    a, b = max(int(left) - 2, 0), min(int(np.ceil(right)) + 2, alpha.shape[1])
    if b - a < 1:
        return None
    region = np.ascontiguousarray(alpha[:, a:b], dtype=np.float32)
    peak = float(region.max())
    if peak <= 0:
        return None
    count, labels, _stats, centroids = cv2.connectedComponentsWithStats(
        (region > 0.35 * peak).astype(np.uint8), connectivity=8
    )
    keep = [n for n in range(1, count) if left - 1 <= a + centroids[n][0] <= right + 1]
    if not keep:
        return None
    own = np.isin(labels, keep).astype(np.uint8)
    around = cv2.dilate(own, np.ones((3, 3), np.uint8)).astype(bool) & ((labels == 0) | (own > 0))
    return _trimmed(np.where(around, region / peak, 0.0))


def _stem_marks(patch: np.ndarray) -> tuple[bool, bool, bool, bool] | None:
    """Where the glyph in ``patch`` reaches out from its stem: left and right at its top (a one's
    flag, a serif), left and right at its foot (None: no stem)."""
    peak = float(patch.max()) if patch.size else 0.0
    if peak <= 0:
        return None
    ink = patch > 0.5 * peak
    sums = ink.sum(axis=0)
    stem = np.flatnonzero(sums >= max(0.7 * sums.max(), 3))
    if len(stem) == 0 or stem[-1] - stem[0] > 3:
        return None
    rows = np.flatnonzero(ink[:, stem].any(axis=1))
    top, bottom = int(rows[0]), int(rows[-1])
    band = max((bottom - top + 1) // 4, 1)

    def out(r0: int, r1: int, column: int) -> bool:
        return 0 <= column < ink.shape[1] and bool(ink[r0:r1, column].any())

    return (
        out(top, top + band, stem[0] - 1),
        out(top, top + band, stem[-1] + 1),
        out(bottom, bottom + 1, stem[0] - 1),
        out(bottom, bottom + 1, stem[-1] + 1),
    )


def _round_or_oval(
    alpha: np.ndarray,
    box: GlyphBox,
    sx: float,
    shift: int,
    pair: tuple[str, str],
    font: tuple[str, int, float],
) -> str | None:
    """Which of a capital O and a zero the ink where ``box`` stands is, by its width over its
    height: the two stand as tall, and a window's correlation cannot tell them once the line is
    fitted to the misreading (bulma_shop_grid's 12 px "$0" read "$O", the size shrunk to the O's
    width). A zero is the narrower oval in our faces (Roboto: 0.64 of its height wide, its O
    0.83). None: the face draws them alike, or the ink is no lone glyph."""
    patch = _glyph_ink(alpha, box[0] * sx + shift, box[2] * sx + shift)
    if patch is None or patch.shape[0] < 6:
        return None
    path, index, size = font
    aspects = {}
    for c in pair:
        drawn = draw_glyphs(c, path, index, size)[0]
        if drawn.size == 0:
            return None
        aspects[c] = drawn.shape[1] / drawn.shape[0]
    if abs(aspects[pair[0]] - aspects[pair[1]]) < 0.1:
        return None
    seen = patch.shape[1] / patch.shape[0]
    return min(pair, key=lambda c: abs(seen - aspects[c]))


def _trailing_dots(text: str, i: int) -> int:
    """How many periods (two or three) end the word at ``text[i]`` (0: not so)."""
    if i == 0 or not text[i - 1].isalnum():
        return 0
    end = i
    while end < len(text) and text[end] == ".":
        end += 1
    closed = end == len(text) or text[end].isspace()
    return end - i if closed and 2 <= end - i <= 3 else 0


def _dot_centres(alpha: np.ndarray, em: float, low: bool = True) -> list[float]:
    """The centres (coverage-weighted columns) of the dots on the baseline in ``alpha``, left to
    right: small pieces of ink clear of its sides (in the line's lower half: ``low``)."""
    peak = float(alpha.max()) if alpha.size else 0.0
    if peak <= 0:
        return []
    region = np.ascontiguousarray(alpha, dtype=np.float32)
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(
        (region > 0.15 * peak).astype(np.uint8), connectivity=8
    )
    centres = []
    for n in range(1, count):
        x, y, w, h, _area = stats[n]
        inside = x > 0 and x + w < alpha.shape[1]  # a letter cut at the edge is not a dot
        if inside and w <= 0.3 * em and h <= 0.3 * em and (y >= 0.5 * alpha.shape[0] or not low):
            weights = np.where(labels == n, region, 0.0).sum(axis=0)
            centres.append(float((weights * np.arange(len(weights))).sum() / weights.sum()))
    return sorted(centres)


def _ellipsis_by_pitch(
    i: int,
    boxes: tuple[GlyphBox | None, ...],
    alpha: np.ndarray,
    where: tuple[np.ndarray, float],
    font: tuple[str, int, float, float],
) -> bool:
    """Whether the periods OCR read from ``i`` on are an ellipsis by their ink ("work.." for
    "work…"): three dots stand there, and their pitch is the face's ellipsis's, not three
    periods'. Faces whose two pitches differ by less than ``_PITCH_APART`` (Inter, Noto Sans,
    Nunito draw them alike) leave the reading as it is."""
    line, sx = where
    path, index, size, _spacing = font
    box = boxes[i]
    if box is None:
        return False
    em = size * sx
    word = _cut(line, box[0] - 2 * size, box[0], sx, 1.0, alpha.shape[0])
    shift = _best_shift(alpha, word, round((box[0] - 2 * size) * sx), max(round(0.5 * em), 3)) or 0
    a = max(round(box[0] * sx + shift - 0.3 * em), 0)
    b = min(round(box[0] * sx + shift + 1.3 * em), alpha.shape[1])
    centres = _dot_centres(np.pad(alpha[:, a:b], ((0, 0), (0, 1))), em)  # the line may end there
    if len(centres) != 3 or centres[2] - centres[0] > em:
        return False
    pitches = {}
    for mark in (_ELLIPSIS, "..."):
        drawn, _ = draw_glyphs(mark, path, index, size, 0.0)
        drawn_centres = _dot_centres(np.pad(drawn, 1), size, low=False)
        if len(drawn_centres) != 3:
            return False
        pitches[mark] = (drawn_centres[2] - drawn_centres[0]) / 2 * sx
    seen = (centres[2] - centres[0]) / 2
    log.debug("ellipsis at %d: pitch %.2f, face's %s", i, seen, pitches)
    if abs(pitches[_ELLIPSIS] - pitches["..."]) < _PITCH_APART:
        return False
    return abs(seen - pitches[_ELLIPSIS]) < abs(seen - pitches["..."])


def _shift_between_words(
    box: GlyphBox, alpha: np.ndarray, where: tuple[np.ndarray, float], size: float
) -> float:
    """How far the ink of a mark standing between two words lies from where the line was drawn
    (pixels of ink): the words around it placed where they match the ink best, the mark between
    them. The drawn positions drift from the ink's along a line, by as much as an em where the
    fit is rough (a line in two weights, a chip inside it), more than a glyph's own window may
    look for."""
    line, sx = where
    em = size * sx
    shifts = []
    for x0, x1 in ((box[0] - 2 * size, box[0]), (box[2], box[2] + 2 * size)):
        word = _cut(line, x0, x1, sx, 1.0, alpha.shape[0])
        shift = _best_shift(alpha, word, round(x0 * sx), max(round(0.8 * em), 3))
        if shift is not None:
            shifts.append(shift)
    return float(np.mean(shifts)) if shifts else 0.0


def _lone(text: str, i: int) -> bool:
    """Whether ``text[i]`` stands alone between words (or at an end of a line of more)."""
    before = i == 0 or text[i - 1].isspace()
    after = i + 1 == len(text) or text[i + 1].isspace()
    return before and after and len(text.strip()) > 1


def _middle_dot_by_shape(
    text: str,
    i: int,
    boxes: tuple[GlyphBox | None, ...],
    alpha: np.ndarray,
    where: tuple[np.ndarray, float],
    font: tuple[str, int, float, float],
) -> bool:
    """Whether the mark OCR read as ``text[i]`` between two words is a middle dot by its ink.

    The mark is a few pixels, and correlating windows of a few pixels tells little: the pieces of
    ink standing alone within an em of where it was drawn (``_lone_marks``; OCR may have read a
    dot and an icon beside it as one mark) are measured by their extent, the height and width
    their coverage spans and the middle of their rows, and so is each glyph drawn in the fitted
    face in its place in the line; the piece most like each glyph counts. A hyphen is a bar
    (wider than tall), a period sits on the baseline, an I or a bar stands the capitals' height,
    a bullet is twice a middle dot's size; a middle dot is a small round blob at half the
    x-height. The dot wins when its glyph's extent is
    clearly nearer the ink's (``_DOT_MARGIN`` pixels, summed over the three).
    ``where``: the line as drawn and its horizontal scale onto the ink."""
    line, sx = where
    path, index, size, spacing = font
    box = boxes[i]
    if box is None:
        return False
    em = size * sx
    middle = (box[0] + box[2]) / 2 * sx + _shift_between_words(box, alpha, (line, sx), size)
    pieces = [
        piece
        for left, right in _lone_marks(alpha, em)
        if abs((left + right) / 2 - middle) <= em
        for piece in _lone_pieces(alpha, left - 1, right + 1)
    ]
    if not pieces:
        return False
    extents = {}
    for option in (text[i], _DOT):
        trial = text[:i] + option + text[i + 1 :]
        drawn, placed = draw_glyphs(trial, path, index, size, spacing)
        box = placed[i] if len(placed) == len(trial) else None
        if drawn.size == 0 or box is None:
            return False
        glyph = _cut(drawn, box[0] - 1, box[2] + 1, sx, 1.0, alpha.shape[0])
        if float(glyph.max()) <= 0:
            return False
        extents[option] = _extent(glyph / float(glyph.max()))

    def distance(seen: tuple[float, float, float], option: str) -> float:
        return sum(abs(a - b) for a, b in zip(seen, extents[option], strict=True))

    # The piece most like a middle dot against the piece most like the glyph read (an icon OCR
    # read with a dot may stand beside it: "tkaminski I v2.4" for a dot and a milestone icon).
    seen = [_extent(p) for p in pieces]
    near, other = min(distance(e, _DOT) for e in seen), min(distance(e, text[i]) for e in seen)
    log.debug("middle dot %r[%d]: ink %s, dot %.2f, as read %.2f", text, i, seen, near, other)
    return near + _DOT_MARGIN < other and near < _DOT_NEAR * size


def _lone_marks(alpha: np.ndarray, em: float) -> list[tuple[int, int]]:
    """The first and last columns of each mark standing alone in a line's ink: a run of inked
    columns narrower than half an em with a word gap (a fifth of an em) either side. What OCR
    read as one mark may be two (a dot and an icon beside it)."""
    peak = float(alpha.max()) if alpha.size else 0.0
    if peak <= 0:
        return []
    # A quarter of the line's strength: a gray dot between two links measured 0.4 of theirs.
    inked = np.flatnonzero(alpha.max(axis=0) > 0.25 * peak)
    if inked.size == 0:
        return []
    gap = max(2.0, 0.2 * em)
    breaks = np.flatnonzero(np.diff(inked) - 1 >= gap)
    starts = np.concatenate([inked[:1], inked[breaks + 1]])
    ends = np.concatenate([inked[breaks], inked[-1:]])
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b - a + 1 < 0.5 * em]


def _lone_pieces(alpha: np.ndarray, left: float, right: float) -> list[np.ndarray]:
    """The pieces of ink between columns ``left`` and ``right`` that touch neither (a neighbour's
    letter reaching in does), each with its antialiased edge, in those columns at full height,
    against its own strength."""
    a, b = max(int(np.ceil(left)), 0), min(int(np.floor(right)) + 1, alpha.shape[1])
    if b - a < 1:
        return []
    region = np.ascontiguousarray(alpha[:, a:b], dtype=np.float32)
    peak = float(region.max())
    if peak <= 0:
        return []
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(
        (region > 0.35 * peak).astype(np.uint8), connectivity=8
    )
    pieces = []
    for n in range(1, count):
        x, w = stats[n, cv2.CC_STAT_LEFT], stats[n, cv2.CC_STAT_WIDTH]
        if (x == 0 and a > 0) or (x + w >= b - a and b < alpha.shape[1]):
            continue
        own = (labels == n).astype(np.uint8)
        around = cv2.dilate(own, np.ones((3, 3), np.uint8)).astype(bool) & ((labels == 0) | (own > 0))
        piece = np.where(around, region, 0.0)
        pieces.append(piece / float(piece.max()))
    return pieces


def _extent(patch: np.ndarray) -> tuple[float, float, float]:
    """The middle of a mark's rows, and the width and height its coverage spans (antialiased
    edges count by their coverage)."""
    rows, columns = patch.max(axis=1), patch.max(axis=0)
    height = float(rows.sum())
    middle = float((rows * np.arange(len(rows))).sum() / height) if height > 0 else 0.0
    return middle, float(columns.sum()), height


def _dash_lengths(fit: FontFit) -> dict[str, float] | None:
    """The ink length (in ems) of the hyphen, en dash and em dash of the fitted face, when the face
    fits the line well enough to be the page's (else None: lengths differ by face)."""
    if fit.face is None or fit.error > _FACE_TRUSTED:
        return None
    lengths = {}
    for dash in ("-", "\u2013", "\u2014"):
        left, right = FONTS.glyph_ink(dash, fit.face, fit.weight, fit.italic)
        lengths[dash] = right - left
    # A face without the dashes of its own (its fallback draws them) tells nothing.
    ordered = lengths["-"] < lengths["\u2013"] < lengths["\u2014"]
    return lengths if ordered else None


def _dash_by_length(
    text: str,
    i: int,
    box: GlyphBox,
    alpha: np.ndarray,
    scale: tuple[float, float],
    shift: int,
    size: float,
    lengths: dict[str, float] | None = None,
) -> tuple[str, tuple[int, int, float] | None]:
    """The dash at ``text[i]`` that the ink's stroke there is as long as, and that stroke (its
    first and last column and its length in ems; None: no stroke found).

    A dash is a bar, and its length in ems tells a hyphen (a quarter to a third of an em), an en
    dash (about a half) and an em dash (two thirds to a whole em, by face) apart, where correlating
    a window of a few pixels does not. The stroke is the run of inked columns, in the rows the
    drawn hyphen spans, that holds the hyphen's middle. The em is the fitted size scaled by the
    ink's height (a line that lost its spaces was fitted a size too large to fill its width, but
    its height is the font's own).
    """
    sx, sy = scale
    lone = _lone(text, i)
    r0, r1 = max(int(box[1] * sy) - 1, 0), int(np.ceil(box[3] * sy)) + 1
    band = alpha[r0:r1]
    if band.size == 0:
        return text[i], None
    profile = band.max(axis=0)
    middle = round((box[0] + box[2]) / 2 * sx) + shift
    em = max(size * sy, 1.0)
    # A dash between words, placed by the words (which may place it an em or more off), is
    # looked for two ems either way: no other bar with a space on either side stands that near.
    reach = round((2.0 if lone else 0.4) * em)
    # A bar's columns have no ink above or below it (a letter's do).
    above_below = np.concatenate([alpha[: max(r0 - 1, 0)], alpha[r1 + 1 :]])
    outside = above_below.max(axis=0) if above_below.size else np.zeros_like(profile)
    bars = (profile > 0.1) & (outside < 0.5 * profile)
    strokes: list[tuple[int, int, float]] = []
    for first, stop in ink_runs(bars):
        last = stop - 1
        if lone and not _spaced(alpha, first, last):
            continue  # a dash between words has a space on either side
        # Measured at half the bar's own strength: a thin gray dash in a line of darker words has
        # little coverage, and the bit of a letter's arm beside it may have more (and a dash set
        # close to a letter's crossbar is told from it by the faint columns between them).
        peak = float(profile[first : last + 1].max())
        for a, past in ink_runs(profile[first : last + 1] > 0.5 * peak):
            b = past - 1
            # Its length is its coverage summed along it, the antialiased end columns by their
            # share (a count of columns is off by up to a pixel, a tenth of an em at 10 px).
            ends = profile[max(first + a - 1, first) : min(first + b + 1, last) + 1]
            strokes.append((first + a, first + b, float(ends.sum()) / peak))
    strokes = [run for run in strokes if run[0] - reach <= middle <= run[1] + reach]
    if not strokes:
        return text[i], None
    if lone:
        left, right, length = min(strokes, key=lambda run: abs((run[0] + run[1]) / 2 - middle))
    else:
        # The longest: a letter's bit of crossbar beside the dash is shorter.
        left, right, length = max(strokes, key=lambda run: run[1] - run[0])
    measured = length / em
    log.debug("dash %r[%d]: %.2f em of ink (faces' dashes: %s)", text, i, measured, lengths)
    stroke = (left, right, measured)
    if lengths is not None:
        # The fitted face's own dash whose ink is nearest in length (faces differ: Roboto's em dash
        # is 0.67 em of ink, Inter's 1.0).
        return min(lengths, key=lambda dash: abs(lengths[dash] - measured)), stroke
    return "\u2014" if measured >= _EM_DASH else "\u2013" if measured >= _EN_DASH else "-", stroke


def _spaced(alpha: np.ndarray, first: int, last: int) -> bool:
    """Whether the columns ``first..last`` have two blank columns on either side."""
    before = alpha[:, max(first - 2, 0) : first]
    after = alpha[:, last + 1 : last + 3]
    return max(float(before.max(initial=0.0)), float(after.max(initial=0.0))) <= 0.15


def _one_bar(
    strokes: dict[int, tuple[int, int, float] | None], i: int, dash: str, lengths: dict[str, float] | None
) -> bool:
    """Whether the dash at ``i`` is the second half of one dash OCR read twice ("workshop -- Hi"
    for an em dash): its stroke is the one the dash before it stands on, and that stroke is as
    long as one ``dash`` (two dashes side by side would be one run of ink too, twice as long)."""
    here, before = strokes.get(i), strokes.get(i - 1)
    if here is None or before is None or here[:2] != before[:2] or dash == "-":
        return False
    one = (lengths or _DASH_EMS)[dash]
    return here[2] < 1.4 * one


def _quote_by_shape(
    text: str,
    i: int,
    where: tuple[GlyphBox, float, int],
    alpha: np.ndarray,
    font: tuple[str, int, float],
    curly: str,
) -> str:
    """The straight quote at ``text[i]``, or the curly one whose glyph the ink there matches.

    A mark is a few pixels at text sizes, and where its edges fall between pixels changes them
    more than a straight quote differs from a curly one: the mark's ink, alone, is compared with
    each glyph of the fitted face drawn at the ink's scale at every quarter-pixel phase, and the
    best phase of each counts. The curly mark wins when it leaves clearly less unexplained
    (1 - correlation, under 0.7 of the straight one's): measured on Chromium renders of 9 web
    and 2 system faces at 13-18 px, 341 of 397 curly marks OCR wrote straight were found and 3 of
    154 straight ones taken for curly (a rule on the marks' lean found 226 and 13). Which curly
    mark is the context's (``curly``: opening before a word, closing after one) unless, for a
    single mark, the ink clearly shows the other ("'tis" opens with a closing mark). ``where``: the mark's box in the
    line as drawn, the drawing's horizontal scale onto the ink and the window's shift.
    """
    box, sx, shift = where
    path, index, px = font
    patch = _trimmed(_mark(alpha, box[0] * sx + shift, box[2] * sx + shift))
    if patch is None:
        return text[i]
    straight = _shape_match(patch, text[i], path, index, px)
    other = _CLOSING[text[i]] if curly == _OPENING[text[i]] else _OPENING[text[i]]
    scores = {c: _shape_match(patch, c, path, index, px) for c in (curly, other)}
    log.debug(
        "quote %r[%d]: straight %.3f, %s", text, i, straight, {k: round(v, 3) for k, v in scores.items()}
    )
    # Only a single mark stands against its context ("'tis"): a double one before a word opens it
    # (mail_inbox's 13 px "Brand assets" drew closer to a closing mark by a pixel's phase).
    if text[i] == "'" and 1 - scores[other] < 0.5 * (1 - scores[curly]):
        curly = other
    bent = scores[curly]
    return curly if 1 - bent < 0.7 * (1 - straight) and bent > straight + 0.01 else text[i]


def _trimmed(patch: np.ndarray) -> np.ndarray | None:
    rows = np.flatnonzero(patch.max(axis=1) > 0.1) if patch.size else np.array([])
    if len(rows) == 0:
        return None
    columns = np.flatnonzero(patch.max(axis=0) > 0.1)
    return np.ascontiguousarray(patch[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1], dtype=np.float32)


_PHASES = 4


@functools.lru_cache(maxsize=512)
def _phases(ch: str, path: str, index: int, px: float) -> tuple[np.ndarray, ...]:
    """``ch`` drawn at ``px`` at each quarter-pixel phase, cut to its ink."""
    fine, _ = draw_glyphs(ch, path, index, px * _PHASES, 0.0)
    if fine.size == 0:
        return ()
    out = []
    for dy in range(_PHASES):
        for dx in range(_PHASES):
            h = -(-(fine.shape[0] + dy) // _PHASES)
            w = -(-(fine.shape[1] + dx) // _PHASES)
            canvas = np.zeros((h * _PHASES, w * _PHASES), np.float32)
            canvas[dy : dy + fine.shape[0], dx : dx + fine.shape[1]] = fine
            small = _trimmed(cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA))
            if small is not None:
                out.append(small)
    return tuple(out)


def _shape_match(patch: np.ndarray, ch: str, path: str, index: int, px: float) -> float:
    """The best correlation of ``patch`` with ``ch`` drawn at ``px``, over phases and a pixel's
    offset either way."""
    best = -1.0
    for glyph in _phases(ch, path, index, round(px, 1)):
        h, w = max(patch.shape[0], glyph.shape[0]), max(patch.shape[1], glyph.shape[1])
        frame = np.zeros((h + 2, w + 2), np.float32)
        frame[1 : 1 + patch.shape[0], 1 : 1 + patch.shape[1]] = patch
        template = np.zeros((h, w), np.float32)
        template[: glyph.shape[0], : glyph.shape[1]] = glyph
        if template.std() == 0:
            continue
        best = max(best, float(cv2.matchTemplate(frame, template, cv2.TM_CCOEFF_NORMED).max()))
    return best


def _mark(alpha: np.ndarray, left: float, right: float) -> np.ndarray:
    """The ink of a quote mark between columns ``left`` and ``right`` of a line, alone: the pieces
    of ink that float in the line's upper half (letters stand on the baseline) and are centred in
    those columns (a neighbour's ascender is not)."""
    a, b = max(int(left) - 3, 0), min(int(np.ceil(right)) + 3, alpha.shape[1])
    if b - a < 1:
        return np.zeros((0, 0))
    region = np.ascontiguousarray(alpha[:, a:b])
    # Against the mark's own strength: a gray line measured against the darkest colour of its
    # row (a subject in black, its snippet in gray) has its ink at two thirds of full coverage.
    peak = float(region[: max(round(0.55 * alpha.shape[0]), 1)].max()) if region.size else 0.0
    if peak < 0.2:
        return np.zeros((0, 0))
    region = region / peak
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(
        (region > 0.35).astype(np.uint8), connectivity=8
    )
    keep = [
        n
        for n in range(1, count)
        if stats[n, cv2.CC_STAT_TOP] + stats[n, cv2.CC_STAT_HEIGHT] <= 0.55 * alpha.shape[0]
        and left - 1 <= a + centroids[n][0] <= right + 1
    ]
    if not keep:
        return np.zeros((0, 0))
    # With the antialiased pixels around them: at text sizes a mark is two or three pixels wide and
    # its lean shows in its faint edges alone (a curly apostrophe's tail is a pixel at a third
    # of full ink).
    own = np.isin(labels, keep).astype(np.uint8)
    around = cv2.dilate(own, np.ones((3, 3), np.uint8)).astype(bool) & ((labels == 0) | (own > 0))
    return np.where(around, region, 0.0)


def _pen(boxes: tuple[GlyphBox | None, ...], i: int) -> float:
    """Where the ink before character ``i`` ends (the prefix is the same in every reading)."""
    previous = [b for b in boxes[:i] if b is not None]
    return previous[-1][2] if previous else 0.0


def clock_shaped(word: str) -> bool:
    """Whether ``word`` is a time of day read in digits' look-alikes ("l:oo" for 11:00 in
    Poppins, whose one is a stem with a small flag and whose zero a tall round o): look-alikes
    and digits on both sides of a colon, and nothing else but a closing comma or period."""
    core = word.rstrip(".,;")
    head, colon, tail = core.partition(":")
    return (
        bool(colon and head and tail)
        and all(c.isdigit() or c in _DIGIT_FOR for c in head + tail)
        and any(c in _DIGIT_FOR for c in core)
    )


def digits_for(word: str) -> str:
    """``word`` with every look-alike of a digit made that digit."""
    return "".join(_DIGIT_FOR.get(c, c) for c in word)


def _in_doubt(text: str, i: int, fit: FontFit) -> bool:
    ch = text[i]
    if ch == "-" or ch in _OPENING:
        # Code keeps its typewriter punctuation: a monospace face is not proofread for it, but
        # for a quote closed by the other kind ("'currency\":" in a JSON sample).
        if fit.face is not None and fit.face.kind == "mono":
            return _closed_by_the_other(text, i)
        return fit.face is not None
    if ch in _SEPARATORS:
        return _thousands(text, i) or _clause_mark(text, i)
    if ch == "!":
        # An l ending a lowercase word ("Start free tria!"): see _bang_or_l.
        return i > 0 and text[i - 1].islower() and (i + 1 == len(text) or not text[i + 1].isalnum())
    if ch == "i":
        # An i among capitals ("Ui" for UI): see _suspects.
        start, end = _word(text, i)
        return i > start and _capitals_else(text, i, start, end)
    if ch == "f" and _brace_lost(text, i):
        return fit.face is not None and fit.face.kind == "mono"
    return (
        ch in _SYMBOLS
        or ch in _DIGIT_FOR
        or ch in _LETTERS_FOR
        or ch in _CURRENCY_FOR
        or (ch in _CASED and not fit.italic)
    )


def _brace_lost(text: str, i: int) -> bool:
    """Whether a "}" after ``text[i]`` closes no "{": the brace it closes may be the f at ``i``."""
    before, after = text[:i], text[i + 1 :]
    return before.count("{") <= before.count("}") and after.count("}") > after.count("{")


def _bang_or_l(alpha: np.ndarray, box: GlyphBox, sx: float, shift: int) -> str:
    """An exclamation mark is a stroke over a dot with a clear row between them; an l OCR read as
    one ("Start free tria!" in daisy_landing's button) is one even stroke top to bottom. Ink of
    any other shape (a window drifted onto the p of a bold "ProTip!") leaves the mark as read."""
    patch = _glyph_ink(alpha, box[0] * sx + shift, box[2] * sx + shift)
    if patch is None or patch.shape[0] < 6:
        return "!"
    solid = np.asarray(patch > 0.35)
    rows = np.asarray(solid.any(axis=1))
    inked = np.flatnonzero(rows)
    if not rows[inked[0] : inked[-1] + 1].all() or _dot_apart(patch):
        return "!"
    widths = solid[inked[0] : inked[-1] + 1].sum(axis=1)
    even = int(widths.max()) <= max(2, round(1.6 * float(np.median(widths))))
    return "l" if even else "!"


def _dot_apart(patch: np.ndarray) -> bool:
    """Whether the ink's rows dip in their lower half between a stroke and a dot under it: an
    exclamation mark's gap, one pixel at text sizes, comes out half-inked by antialiasing
    (bs_chat's light grey "reply!" in Poppins at 13 px: rows at 1.0, 0.47, 0.43, then the dot at
    0.97). An l's rows stay inked to its foot, and fade only at the very end."""
    peaks = patch.max(axis=1)
    for r in range(len(peaks) // 2, len(peaks) - 1):
        if peaks[r] < 0.6 * min(float(peaks[:r].max()), float(peaks[r + 1 :].max())):
            return True
    return False


def _separator_by_tail(
    text: str, i: int, boxes: tuple[GlyphBox | None, ...], alpha: np.ndarray, where: tuple[float, int]
) -> str:
    """The separator at ``text[i]`` that the ink shows: a comma where the mark's ink reaches a
    row below the digits (the letter) beside it (its tail), a period where it stops on their
    baseline. A window's correlation does not tell them at 12 px: the tail is one row."""
    sx, shift = where

    def bottom(j: int, level: float) -> int | None:
        box = boxes[j]
        if box is None:
            return None
        a = max(int(box[0] * sx) + shift, 0)
        b = min(int(np.ceil(box[2] * sx)) + shift, alpha.shape[1])
        rows = np.flatnonzero(alpha[:, a:b].max(axis=1) > level) if b > a else np.zeros(0, np.int64)
        return int(rows[-1]) if len(rows) else None

    beside = [i - 1, i + 1]
    if not _thousands(text, i):
        # After a word (see _clause_mark): its nearest letter that stands on the baseline.
        j = i - 1
        while j > 0 and text[j] in _DESCENDING and text[j - 1].isalpha():
            j -= 1
        beside = [j] if text[j] not in _DESCENDING else []
    digits = [r for j in beside if (r := bottom(j, 0.5)) is not None]
    mark = bottom(i, 0.35)
    if not digits or mark is None:
        return text[i]
    return "," if mark > max(digits) else "."


def _clause_mark(text: str, i: int) -> bool:
    """Whether ``text[i]`` is a period after a word and before a lowercase one ("were tired. the
    timetables thin", OCR's reading of a Merriweather comma). It may be right ("e.g. the"): the
    ink decides, by the comma's tail (``_separator_by_tail``). Not the other way: a comma before
    a capital is everyday text ("Stripe, HubSpot"), and a small comma's tail is a row or two."""
    return (
        text[i] == "."
        and 0 < i < len(text) - 2
        and text[i - 1].isalpha()
        and text[i + 1] == " "
        and text[i + 2].islower()
    )


def _thousands(text: str, i: int) -> bool:
    """Whether ``text[i]`` stands where a thousands separator does: after a digit, before three
    digits and no fourth ("38,000 reviews"; OCR wrote a period for the comma)."""
    after = text[i + 1 : i + 5]
    return i > 0 and text[i - 1].isdigit() and after[:3].isdigit() and not after[3:4].isdigit()


def _word(text: str, i: int) -> tuple[int, int]:
    """The word around ``text[i]``: letters and digits ("replicas=3" is two words, "RAD10" one)."""
    start, end = i, i + 1
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def _spaced_word(text: str, i: int) -> str:
    """The run of ``text`` between spaces round ``text[i]`` ("l:oo," as a whole)."""
    end = text.find(" ", i)
    return text[text.rfind(" ", 0, i) + 1 : end if end >= 0 else len(text)]


def _capitals_else(text: str, i: int, start: int, end: int) -> bool:
    """Whether the letters of the word ``text[start:end]`` other than ``text[i]`` are capitals
    (one at least)."""
    letters = [c for j, c in enumerate(text[start:end], start) if j != i and c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _closed_by_the_other(text: str, i: int) -> bool:
    """A straight quote opening a word that the other kind closes ('currency": in a JSON
    sample, where OCR read the opening double quote as a single one): one of them is misread."""
    ch = text[i]
    if ch not in _OPENING or (i > 0 and not text[i - 1].isspace() and text[i - 1] not in "([{,:"):
        return False
    end = i + 1
    while end < len(text) and (text[end].isalnum() or text[end] in "_-."):
        end += 1  # an identifier: "arrival_date", "x-request-id"
    other = '"' if ch == "'" else "'"
    return end > i + 1 and text[end : end + 1] == other


def _typographic(text: str, i: int) -> str:
    """What a hyphen or a straight quote at ``text[i]`` may stand for (empty: nothing)."""
    ch = text[i]
    if ch == "-":
        # Not a minus sign before a number, not a hyphen inside a word set without spaces ("e-mail").
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        if after.isdigit() and not before.isalnum():
            return ""
        return _DASHES
    before_space = i == 0 or text[i - 1].isspace() or text[i - 1] in "([{"
    after_word = i + 1 < len(text) and text[i + 1].isalnum()
    # A double quote before a word opens it even where OCR ran it into the word before
    # ('on"Checkout'); a single one between letters is an apostrophe ("let's").
    if after_word and (before_space or ch == '"'):
        return _OPENING[ch]
    if not before_space:
        return _CLOSING[ch]
    return ""


def _suspects(
    text: str,
    i: int,
    boxes: tuple[GlyphBox | None, ...],
    alpha: np.ndarray,
    sx: float,
    sy: float,
    shift: int,
) -> str:
    """The look-alikes worth drawing for ``text[i]`` (empty: the character is not in doubt)."""
    ch = text[i]
    box = boxes[i]
    assert box is not None
    if ch in _OPENING and _closed_by_the_other(text, i):
        return '"' if ch == "'" else "'"  # the pair's own kind, in code; the ink decides
    if ch == "-" or ch in _OPENING:
        return _typographic(text, i)
    if ch in _SEPARATORS:
        return _SEPARATORS[ch] if _thousands(text, i) or _clause_mark(text, i) else ""
    if ch == "!":
        return "l"
    if ch in _SYMBOLS:
        alone = (i == 0 or text[i - 1].isspace()) and (i + 1 == len(text) or text[i + 1].isspace())
        return _SYMBOLS[ch] if alone else ""
    if ch == "f" and _brace_lost(text, i):
        return "{"  # code whose "}" closes a brace OCR read as an f (f"fparts['t']}.")
    start, end = _word(text, i)
    token = text[start:end]
    options = ""
    others = [c for j, c in enumerate(token) if j != i - start]
    letters = [c for c in others if c.isalpha()]
    capitals = len(letters) >= 2 and all(c.isupper() for c in letters)
    lower = len(letters) >= 2 and all(c.islower() for c in letters)
    # "$O" for $0: an amount after a currency sign, in digits and their look-alikes ("$OCEAN" is a word).
    amount = start > 0 and text[start - 1] in _SIGNS and all(c.isdigit() or c in _DIGIT_FOR for c in token)
    if ch in _DIGIT_FOR and (
        any(c.isdigit() for c in others) or amount or clock_shaped(_spaced_word(text, i))
    ):
        options += _DIGIT_FOR[ch]  # a letter among digits, after a currency sign, or in a time
    elif ch in _LETTERS_FOR and letters:
        # A digit among letters: the letter of the word's case ("RAD10", "v1.0" stays if drawn so);
        # a word's first letter may be a capital before lowercase ("0pen" for Open).
        options += "".join(
            c
            for c in _LETTERS_FOR[ch]
            if not ((capitals and c.islower()) or (lower and c.isupper() and i > start))
        )
    elif ch == "l" and _capitals_else(text, i, start, end):
        options += "I"  # an "l" among capitals ("PRlCING", "Al" for AI)
        if i == start:
            options += "1"  # a count before a unit ("lM" for 1M)
    elif ch == "I" and lower and i > start:
        options += "l"  # an "I" inside a lowercase word
    elif ch == "I" and i == start and _capitals_else(text, i, start, end):
        options += "1"  # "IW" for 1W
    elif ch == "i" and i > start and _capitals_else(text, i, start, end):
        options += "I"  # "Ui" for UI
    if (
        ch in _CASED
        and _height_disagrees(ch, box, alpha, sx, sy, shift)
        and not _stands_with_its_word(text, i, range(start, end), boxes, alpha, sx, shift)
    ):
        options += ch.swapcase()
    if ch in _CURRENCY_FOR and i == start and end - start > 1 and token[1:].isdigit():
        options += _CURRENCY_FOR[ch]  # a sign before an amount
    return options


def _accent_ink(box: GlyphBox, alpha: np.ndarray, sx: float, sy: float, shift: int) -> int | None:
    """The top row of the letter drawn in ``box`` where a piece of ink floats above it (None:
    none does): apart from the letter's own ink (a capital read as lowercase reaches up
    unbroken), and within its columns (a neighbour's overhang, T's bar over an "o", reaches past
    them).

    The letter's top is the ink's own: its body is the largest piece of ink in its columns that
    reaches below the drawn letter's top. The drawing's top stood a pixel too high in small text
    (the line's ink, accents and all, is taller than its drawing without them, and the drawing
    is scaled to it): "Inês" at 13 px had its circumflex end on the row the drawing put the e's
    top on, and it was not taken for an accent. Over the body's middle, not the drawing's (the
    drawn positions drift along a line)."""
    x0, y0, x1, _y1 = box
    if int(y0 * sy) < 2:
        return None
    left, right = x0 * sx + shift - 1.5, x1 * sx + shift + 1.5
    a, b = max(int(left), 0), min(int(np.ceil(right)), alpha.shape[1])
    if b - a < 2:
        return None
    # Against the ink's own strength (a muted gray line's letters break into pieces at a third
    # of full coverage, and a piece of an e's arc floated over its bar: "Hëad").
    peak = float(alpha[:, a:b].max())
    return _floating_above(alpha[:, a:b], 0.35 * min(peak, 1.0), box, (a, b, alpha.shape[1]), sx, sy)


def _floating_above(
    window: np.ndarray, level: float, box: GlyphBox, columns: tuple[int, int, int], sx: float, sy: float
) -> int | None:
    """``_accent_ink`` at one ink level: the letter's top row where a piece floats above it."""
    x0, y0, x1, _y1 = box
    a, b, width = columns
    region = (window > level).astype(np.uint8)
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(region, connectivity=8)
    # The letter's body: the largest piece that reaches below the drawn letter's top.
    bodies = [n for n in range(1, count) if stats[n][1] + stats[n][3] > y0 * sy + 1]
    if not bodies:
        return None
    body = max(bodies, key=lambda n: stats[n][4])
    bx, letter_top, bw, _bh, _area = stats[body]
    if letter_top < y0 * sy - 1 and bw >= 0.6 * (x1 - x0) * sx:
        # The letter reaches above its drawn top through a narrow stalk: an accent that touches
        # it through a faint pixel ("Tomás" in Roboto 800 at 13.5 px, "Chloé" at 13 px). A
        # capital read as lowercase reaches up as wide as it is.
        mine = labels == body
        rows = mine.sum(axis=1)
        wide = np.flatnonzero(rows >= 0.5 * bw)
        if len(wide) and int(wide[0]) >= 2 and int(wide[0]) - letter_top >= 2:
            top = int(wide[0])
            stalk = np.flatnonzero(mine[letter_top:top].any(axis=0))
            # Narrow, over the letter's middle, clear of the window's sides (a t's stem beside
            # the letter reaches up at one side).
            narrow = rows[letter_top:top].max() <= 0.4 * bw
            middle = (stalk[0] + stalk[-1] + 1) / 2 - (bx + bw / 2)
            inside = stalk[0] > 0 and stalk[-1] < window.shape[1] - 1
            # An accent's stalk ends on the letter's top stroke, over its counter; a stem (a t's
            # or a monospace i's, where the window drifted onto them) goes on down through it.
            joint = mine[top - 1]
            stem = top + 3 <= mine.shape[0] and all(mine[row][joint].any() for row in range(top, top + 3))
            if narrow and inside and not stem and abs(middle) <= 0.25 * bw:
                return top
    if letter_top < 2 or bw < 0.6 * (x1 - x0) * sx:
        return None  # no room above it, or not the letter (an i's stem where the window drifted)
    middle = bx + bw / 2
    half = 0.3 * (x1 - x0) * sx
    near = max(2, round(0.12 * window.shape[0]))
    for n in range(1, count):
        cx, cy, cw, ch, area = stats[n]
        if n == body:
            continue
        touches_side = (cx == 0 and a > 0) or (cx + cw >= b - a and b < width)
        # Above the letter's top in the ink, and ending above its top as drawn (with a pixel
        # to spare): a piece of the letter itself ends lower.
        floating = cy + ch <= min(letter_top, y0 * sy + 1)
        # An accent sits just above its letter, over its middle; ink of the line above, or a
        # neighbour's dot, does not.
        close = letter_top - (cy + ch) <= near
        centred = abs(cx + cw / 2 - middle) <= half and cw <= (x1 - x0) * sx + 1
        # Over the letter's own columns: an i's dot beside it is over the i.
        over = bx - 1 <= cx and cx + cw <= bx + bw + 1
        if area >= 2 and floating and close and centred and over and not touches_side:
            return int(letter_top)
    return None


def _accent_by_shape(
    chars: list[str],
    i: int,
    where: tuple[GlyphBox, float, float, int],
    alpha: np.ndarray,
    scale: tuple[float, float],
    start: int,
    font: tuple[str, int, float, float],
    boxes: tuple[GlyphBox | None, ...],
) -> str:
    """The accented form of ``chars[i]`` whose accent matches the ink above the letter best: only
    the rows above the letter's top in the ink (``where``'s last) are compared, where accents
    differ (the whole glyph is mostly the letter, alike in every form). The drawing is set on the
    ink's letter top: it stood a pixel too high in small text (see ``_accent_ink``), and the
    rows compared held the wrong part of the accent ("Inés" for Inês)."""
    box, left, right, top = where
    sx, sy = scale
    path, index, size, spacing = font
    drop = round(top - box[1] * sy)
    best, best_score = chars[i], 0.5  # an accent must look like one
    for option in _ACCENTS[chars[i]]:
        trial = "".join(chars[:i]) + option + "".join(chars[i + 1 :])
        other, other_boxes = draw_glyphs(trial, path, index, size, spacing)
        if other.size == 0 or len(other_boxes) != len(trial) or other_boxes[i] is None:
            continue
        origin = left + _pen(other_boxes, i) - _pen(boxes, i)
        window = _cut(other, origin, origin + (right - left), sx, sy, alpha.shape[0])
        window = _lowered(window, drop)
        score = max(_correlation(alpha[:top], window[:top], start + d) for d in (-1, 0, 1))
        if score > best_score:
            best, best_score = option, score
    return best


def _lowered(window: np.ndarray, rows: int) -> np.ndarray:
    """``window`` moved down by ``rows`` (up where negative), blank where it moved from."""
    if rows == 0:
        return window
    moved = np.zeros_like(window)
    if rows > 0:
        moved[rows:] = window[:-rows]
    else:
        moved[:rows] = window[-rows:]
    return moved


# Capitals whose top is at their sides: their middle columns hold only the bottom of the bowl. (A
# lowercase u measured there stands no higher than its drawing, and the letters beside it must not
# count: Audience's A reaches over its u.)
_OPEN_TOP = set("UVWY")


def _ink_top(box: GlyphBox, alpha: np.ndarray, sx: float, shift: int, ch: str = "") -> float | None:
    """The top row of the ink in the middle columns of the glyph ``ch`` drawn in ``box`` (its
    neighbours' ascenders left out); None where those columns hold no ink. A letter open at the
    top (U, V, W) has only its bowl's bottom in the middle (a U measured there was taken for a
    lowercase u: "REQuIRED"): its arms are measured too, all its columns but a tenth each side."""
    x0, _y0, x1, _y1 = box
    if ch in _OPEN_TOP:
        return _top_of(alpha, (x0 + 0.1 * (x1 - x0)) * sx + shift, (x1 - 0.1 * (x1 - x0)) * sx + shift)
    return _top_of(alpha, (x0 + 0.3 * (x1 - x0)) * sx + shift, (x0 + 0.7 * (x1 - x0)) * sx + shift)


def _top_of(alpha: np.ndarray, left: float, right: float) -> float | None:
    rows = _rows_of(alpha, left, right)
    return rows[0] if rows is not None else None


def _rows_of(alpha: np.ndarray, left: float, right: float) -> tuple[float, float] | None:
    """The first and last rows of ink in columns ``left``..``right`` (None: no ink there)."""
    c0 = round(left)
    c1 = max(round(right), c0 + 1)
    columns = alpha[:, max(c0, 0) : max(c1, 0)]
    if columns.size == 0:
        return None
    rows = np.flatnonzero(columns.max(axis=1) > 0.35)
    return (float(rows[0]), float(rows[-1])) if len(rows) else None


def _stands_with_its_word(
    text: str,
    i: int,
    word: range,
    boxes: tuple[GlyphBox | None, ...],
    alpha: np.ndarray,
    sx: float,
    shift: int,
) -> bool:
    """Whether the ink of ``text[i]`` stands as tall as the letters of its word that OCR read in
    its case and whose case their shape tells: then it is one of them, whatever the drawing
    predicts. A capital is measured against the word's other capitals; a lowercase letter against
    its word's x-height letters a, e, m, n, r (a capital A, E, M, N, R looks nothing like them).

    The drawing's heights hold only where the fit does: a line of three styles fitted as one
    ("amount integer REQUIRED" in a monospace face, "currency" in a monospace face beside small
    capitals as tall as its x-height), a crop with empty rows above the ink (small capitals under
    their tall first letter) or a drawing a pixel off the ink's vertical phase ("HTTP POST") all
    put a letter's predicted top a pixel or more off the ink's, and its case was taken for the
    other."""
    own = _ink_top(boxes[i] or (0.0, 0.0, 0.0, 0.0), alpha, sx, shift, text[i])
    if own is None:
        return False
    upper = text[i].isupper()
    tops = []
    for j in word:
        b, other = boxes[j], text[j]
        # I: perhaps an l, taller than capitals.
        alike = (other.isupper() and other != "I") if upper else other in "aemnr"
        if j != i and b is not None and alike and (top := _ink_top(b, alpha, sx, shift, other)) is not None:
            tops.append(top)
    if not tops:
        return False
    tolerance = max(1.0, 0.08 * alpha.shape[0])
    level = float(np.median(tops))
    return own <= level + tolerance if upper else own >= level - tolerance


def _capital_by_height(
    text: str, i: int, boxes: tuple[GlyphBox | None, ...], alpha: np.ndarray, sx: float, shift: int
) -> bool:
    """Whether lowercase ``text[i]``, a word's first letter whose cases differ only in height,
    stands on its word's baseline clearly taller than the x-height letters (a, e, m, n, r) right
    after it: a capital OCR read in lowercase. The fit took the word for lowercase and drew it
    to the capital's height, so the drawing cannot tell (bs_chat's "Sun" read "sun": drawn s and
    n both as tall as the ink's S); the word's own letters can. Cap height is 1.27-1.45 x-heights
    in our faces, an overshoot a few percent. Only a first letter, and only its near neighbours:
    further along a line the drawn letters drift off the ink's, and a window on a neighbour's
    ascender made "LiSbon" and "InVoices"."""
    start, end = _word(text, i)
    if i != start:
        return False
    own = _ink_top(boxes[i] or (0.0, 0.0, 0.0, 0.0), alpha, sx, shift, text[i])
    if own is None:
        return False
    spans = []
    for j in range(i + 1, min(end, i + 4)):
        box = boxes[j]
        if text[j] not in "aemnr" or box is None:
            continue
        # (The letter's middle columns, as _ink_top measures a letter.)
        width = box[2] - box[0]
        rows = _rows_of(alpha, (box[0] + 0.3 * width) * sx + shift, (box[0] + 0.7 * width) * sx + shift)
        if rows is not None:
            spans.append(rows)
    if not spans:
        return False
    top = float(np.median([t for t, _b in spans]))
    base = float(np.median([b for _t, b in spans]))
    x_height, height = base - top + 1, base - own + 1
    return height >= 1.15 * x_height and height - x_height >= 1.5


def _height_disagrees(ch: str, box: GlyphBox, alpha: np.ndarray, sx: float, sy: float, shift: int) -> bool:
    """Whether the ink where ``ch`` stands reaches clearly higher (lowercase read for a capital)
    or stays clearly lower (a capital read for lowercase) than the drawn glyph does."""
    observed = _ink_top(box, alpha, sx, shift, ch)
    if observed is None:
        return False
    predicted = box[1] * sy
    tolerance = max(1.0, 0.08 * alpha.shape[0])
    return observed < predicted - tolerance if ch.islower() else observed > predicted + tolerance


def _cut(drawn: np.ndarray, left: float, right: float, sx: float, sy: float, height: int) -> np.ndarray:
    """Columns ``left``..``right`` of a drawing (its own pixels), scaled onto the ink's grid."""
    a, b = max(int(np.floor(left)), 0), min(int(np.ceil(right)), drawn.shape[1])
    if b - a < 1:
        return np.zeros((height, 0), dtype=np.float32)
    piece = np.zeros((drawn.shape[0], int(np.ceil(right)) - int(np.floor(left))), dtype=np.float32)
    offset = a - int(np.floor(left))
    piece[:, offset : offset + (b - a)] = drawn[:, a:b]
    width = max(round(piece.shape[1] * sx), 1)
    return np.asarray(cv2.resize(piece, (width, height), interpolation=cv2.INTER_LINEAR))


def _best_shift(alpha: np.ndarray, window: np.ndarray, start: int, reach: int) -> int | None:
    scores = {d: _correlation(alpha, window, start + d) for d in range(-reach, reach + 1)}
    best = max(scores, key=lambda d: scores[d])
    # A misread glyph matches its window poorly by nature: only a window with nothing like the
    # drawing in it (no ink there at all) is given up.
    return best if scores[best] > 0.0 else None


def _correlation(alpha: np.ndarray, window: np.ndarray, start: int) -> float:
    """Correlation of ``window`` with the ink's columns from ``start`` (lightly blurred)."""
    width = window.shape[1]
    if width < 2:
        return -1.0
    observed = np.zeros_like(window)
    a, b = max(start, 0), min(start + width, alpha.shape[1])
    if b <= a:
        return -1.0
    observed[:, a - start : b - start] = alpha[:, a:b]
    x = cv2.GaussianBlur(observed.astype(np.float32), (0, 0), 0.5)
    y = cv2.GaussianBlur(window.astype(np.float32), (0, 0), 0.5)
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denominator) if denominator > 0 else -1.0


def drop_doubled_capital(
    text: str,
    fit: FontFit,
    measured: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
) -> tuple[str, FontFit] | None:
    """``text`` without a capital OCR read twice in tracked-out capitals ("HHOME"), and its fit, if
    that explains the ink clearly better (judged on the whole line; None: keep the reading)."""
    doubled = [i for i in range(1, len(text)) if text[i] == text[i - 1] and text[i].isupper()]
    if not doubled or any(ch.islower() for ch in text):
        return None
    width, height, mass, alpha = measured
    best: tuple[str, FontFit] | None = None
    for i in doubled:
        trial = text[:i] + text[i + 1 :]
        refit = fit_font(trial, width, height, mass, alpha=alpha, faces=faces, slanted=fit.italic)
        if refit.error + 0.03 < (best[1].error if best else fit.error):
            best = (trial, refit)
    return best
