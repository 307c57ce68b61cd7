"""Lines set in small capitals (CSS ``font-variant: small-caps``), told by their ink.

Small capitals are capitals drawn smaller in place of lowercase letters: a line of them shows two
heights of capitals standing on one baseline, with nothing reaching below it. OCR reads them as it
likes ("FoR DEsIGN SYSTEMs At SCALE"), and a font fitted to that string fits nothing: the replica
came out in a wrong mix of cases, a size small and a weight light.

A line is taken for small capitals when its ink says so on every count: no glyph descends; each
glyph is either as tall as the tallest or clearly shorter (the small capitals' height), and a tall
one only starts a word (or the whole word is tall: an acronym); and the letters OCR read include
one that in lowercase would have risen above the short glyphs inside a word or reached below the
baseline ("d" of "side", "p" of "projects"), which the ink shows it does not. Lowercase text with
no such letter ("a new ocean") cannot be told from small capitals and is left alone. The case of
each letter then comes from its glyph's height, not from OCR: tall is a capital, short a small
one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .fonts import FONTS, FontFit
from .spacing import ink_runs

# Letters a lowercase word shows above its x-height or below its baseline.
_RISING = set("bdfhklt")
_FALLING = set("gjpqy")
# What a line of small capitals may hold besides letters and spaces.
_MARKS = set("'\u2019&.,-")
# Glyph tops (from the tallest glyph's, in shares of its height): a capital's within _TALL, a small
# capital's between _SHORT (synthesized ones are 0.7 of a capital; a face's own, 0.7-0.8).
_TALL = 0.12
_SHORT = (0.18, 0.45)
# Chromium synthesizes small capitals as capitals at this share of the size.
_SMALL_SIZE = 0.7


def small_caps(text: str, alpha: np.ndarray) -> str | None:
    """``text`` cased as a line of small capitals shows it (a capital where the glyph is tall),
    when the ink (``alpha``: coverage cropped to the line's ink) is one (module docstring);
    None otherwise."""
    words = text.split()
    letters = "".join(words)
    if len(words) < 2 or sum(ch.isalpha() for ch in letters) < 6:
        return None
    if not all(ch.isalpha() or ch in _MARKS for ch in letters):
        return None
    mask = alpha > 0.3
    runs = ink_runs(np.asarray(mask.any(axis=0)))
    if len(runs) < len(words) + 4:
        return None
    tops, bottoms = [], []
    for a, b in runs:
        rows = np.flatnonzero(mask[:, a:b].any(axis=1))
        tops.append(int(rows[0]))
        bottoms.append(int(rows[-1]))
    baseline = int(np.median(bottoms))
    top = min(tops)
    height = baseline - top + 1
    if height < 6:
        return None
    kinds: list[str] = []
    for (a, b), t, bottom in zip(runs, tops, bottoms, strict=True):
        if bottom > baseline + 1:
            return None  # a descender: lowercase (or a comma, which small capitals rarely carry)
        rise = (t - top) / height
        if rise <= _TALL:
            kinds.append("tall")
        elif _SHORT[0] <= rise <= _SHORT[1]:
            kinds.append("short")
        elif (baseline - t + 1) < 0.3 * height and b - a < 0.3 * height:
            kinds.append("mark")  # a period, a comma's head
        else:
            return None
    if kinds.count("short") < 0.5 * len(kinds):
        return None
    found = _grouped(words, runs)
    if found is None:
        return None
    words, groups = found
    out: list[str] = []
    evidence = False
    for word, (first, stop) in zip(words, groups, strict=True):
        shapes = [k for k in kinds[first:stop] if k != "mark"]
        if not shapes:
            return None
        if all(k == "tall" for k in shapes):
            # An acronym, which OCR reads in capitals too (a lowercase word of ascenders, "Edit"
            # with its i's dot, stands as tall).
            if sum(ch.islower() for ch in word) > 1:
                return None
            out.append(word.upper())
            continue
        if shapes[0] == "tall" and all(k == "short" for k in shapes[1:]):
            out.append(_capitalized(word))
            inside = word[1:].lower()
        elif all(k == "short" for k in shapes):
            out.append(word.lower())
            inside = word.lower()
        else:
            return None  # a tall glyph inside a word: lowercase's ascender
        # The short glyphs hold a letter that in lowercase would rise above them or fall below
        # the baseline, which none does.
        evidence |= any(ch in _RISING or ch in _FALLING for ch in inside)
    # (Lowercase text with no such letter, "a new ocean", looks the same: no evidence either way.)
    return " ".join(out) if evidence else None


def _grouped(words: list[str], runs: list[tuple[int, int]]) -> tuple[list[str], list[tuple[int, int]]] | None:
    """OCR's words, or them with one space OCR put inside a word taken out ("a nd"), each with
    its runs of ink: of the ways whose word gaps are clear and whose words hold about as many
    glyphs as letters (two letters may touch, one glyph may break in two), the one whose counts
    agree best (OCR's own on a tie)."""
    ways = [words] + [[*words[:k], words[k] + words[k + 1], *words[k + 2 :]] for k in range(len(words) - 1)]
    best: tuple[int, list[str], list[tuple[int, int]]] | None = None
    for way in ways:
        groups = _words(runs, len(way))
        if groups is None:
            continue
        counts = [(len(word), stop - first) for word, (first, stop) in zip(way, groups, strict=True)]
        if not all(letters - 2 <= glyphs <= letters + 1 for letters, glyphs in counts):
            continue
        misfit = sum(abs(letters - glyphs) for letters, glyphs in counts)
        if best is None or misfit < best[0]:
            best = (misfit, way, groups)
    return None if best is None else (best[1], best[2])


def _words(runs: list[tuple[int, int]], count: int) -> list[tuple[int, int]] | None:
    """The runs of each of ``count`` words (as index ranges), parted at the ``count - 1`` widest
    gaps, when those are clearly wider than any gap between letters; None otherwise."""
    gaps = [runs[k + 1][0] - runs[k][1] for k in range(len(runs) - 1)]
    if len(gaps) < count:
        return None
    order = sorted(range(len(gaps)), key=lambda k: -gaps[k])
    parts = sorted(order[: count - 1])
    if count > 1 and gaps[order[count - 2]] < gaps[order[count - 1]] + 2:
        return None
    edges = [0, *(k + 1 for k in parts), len(runs)]
    return [(edges[k], edges[k + 1]) for k in range(count)]


def _capitalized(word: str) -> str:
    """``word`` with its first letter a capital and the rest small."""
    for k, ch in enumerate(word):
        if ch.isalpha():
            return word[:k].lower() + ch.upper() + word[k + 1 :].lower()
    return word


def small_caps_fit(text: str, fit: FontFit, width: float, height: float, mass: float) -> FontFit:
    """The fit of a line of small capitals in the face fitted before: the weight whose capitals
    and small capitals, drawn as the browser synthesizes them, hold the ink's mass; the size from
    the capitals' height (no glyph of the line rises above them or falls below); the letter
    spacing from the width the advances leave over. (The fit before read another string, in
    lowercase, and its weight and size are no evidence.)"""
    face = fit.face
    if face is None or mass <= 0:
        return fit
    best: tuple[float, FontFit] | None = None
    for weight in face.weights:
        capital = FONTS.measure("H", face, weight, fit.italic)
        if capital.ink_height <= 0:
            continue
        size = round(height / capital.ink_height * 2) / 2
        drawn, advance = 0.0, 0.0
        for ch in text:
            if ch.isspace():
                advance += FONTS.measure(" ", face, weight, fit.italic).advance * size
                continue
            share = _SMALL_SIZE if ch.islower() else 1.0
            drawn += FONTS.ink_mass(ch.upper(), face, weight, size * share)
            advance += FONTS.measure(ch.upper(), face, weight, fit.italic).advance * size * share
        if drawn <= 0:
            continue
        error = abs(math.log(drawn / mass))
        gaps = max(len(text) - 1, 1)
        spacing = max(-0.05 * size, min(0.3 * size, (width - advance) / gaps))
        trial = dataclasses.replace(fit, weight=weight, size=size, letter_spacing=round(spacing, 2))
        if best is None or error < best[0]:
            best = (error, trial)
    return fit if best is None else best[1]
