"""Word spaces from ink geometry: where a line's words break, measured rather than guessed.

OCR's string drops spaces in tight text ("key,then"); a fixed gap threshold adds false ones where
glyphs merely stand apart ("p r o d" in a monospace face, whose narrow glyphs sit alone in wide
cells; "20 24" between digits). The fitted font knows better: between two characters it predicts
the ink gap without a space and with one (one space advance wider), and the measured gap is
compared with those. The line is walked from both ends, re-anchoring on every gap found, so
small errors in the fitted size never accumulate. No library does this for PP-OCR output, hence
this module.
"""

from __future__ import annotations

import numpy as np

from .fonts import FONTS, FontFace, FontFit, has_cjk

# Glyphs OCR often leaves out of its string although their ink is inside its box (a footer's
# "©", a bullet before a list item); a leftover end cluster that has one of these shapes is it.
_LOST_SYMBOLS = "©®™•·→←✓×§¶"
# Characters set between words with a space on either side.
_SEPARATORS = "·•|"


def empty_runs(filled: np.ndarray) -> list[tuple[int, int]]:
    """Runs ``(start, stop)`` of False in a boolean column profile."""
    padded = np.concatenate([[True], filled.astype(bool), [True]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def ink_runs(filled: np.ndarray) -> list[tuple[int, int]]:
    """Runs ``(start, stop)`` of True in a boolean profile."""
    return empty_runs(~np.asarray(filled, dtype=bool))


def triangle_way(coverage: np.ndarray) -> str | None:
    """Which way ink (``coverage`` 0..1, cropped to it) shaped as a triangle points ("down",
    "up"): about half its box inked, its rows narrowing from a full edge to a point, never
    widening by more than antialiasing's half pixel. None: another shape."""
    w = coverage.shape[1]
    if not 0.35 <= float(coverage.mean()) <= 0.75:
        return None
    widths = coverage.sum(axis=1)
    way = "down"
    if widths[-1] > widths[0]:
        widths, way = widths[::-1], "up"
    narrowing = widths[0] >= 0.7 * w and widths[-1] <= 0.5 * w and bool(np.all(np.diff(widths) <= 0.5))
    return way if narrowing else None


def solid_triangle(coverage: np.ndarray, mask: np.ndarray) -> str | None:
    """Which way a small solid triangle points (``triangle_way``), whose ink (``coverage`` and
    ``mask``, cropped to it) is one run in every row: a dropdown's caret, a "▾" glyph or a
    flatter CSS one. None: another shape (a "v" has two strokes in its top rows, an "e" no
    narrowing rows)."""
    h, w = coverage.shape[:2]
    if not h >= 4 or not 0.8 * h <= w <= 2.8 * h:
        return None
    way = triangle_way(coverage)
    return way if way is not None and all(len(ink_runs(row)) <= 1 for row in mask) else None


def _monospace(face: FontFace) -> bool:
    return FONTS.advances("i", face, 400)[1] == FONTS.advances("m", face, 400)[1]


def space_width(face: FontFace, weight: int, size: float) -> float:
    """The font's space advance in px (a monospace face: one cell)."""
    return FONTS.advances(" ", face, weight)[1] * size


def respace(text: str, filled: np.ndarray, fit: FontFit) -> tuple[str, list[int]]:
    """``text`` with its spaces decided by the ink: ``filled`` is the ink's column profile, its
    first and last columns holding ink. Returns the text and the widths of the word gaps found.

    The line is walked from both ends; each boundary takes the verdict of the walk that anchored on
    a measured gap more recently (a line in two styles, a bold subject then a grey preview, drifts
    away from one fitted font towards its far end).
    """
    if fit.face is None or (has_cjk(text) and fit.face.script != "cjk") or len(text.replace(" ", "")) < 2:
        return text, []
    letters: list[str] = []
    spaced: list[bool] = []  # OCR put a space before this letter
    previous = ""
    for ch in text:
        if ch != " ":
            letters.append(ch)
            spaced.append(previous == " ")
        previous = ch
    face, weight, size, italic = fit.face, fit.weight, fit.size, fit.italic
    origins = FONTS.advances("".join(letters), face, weight, italic)
    tracking = max(fit.letter_spacing, 0.0)
    mixed_cjk = has_cjk(text) and any(ch.isascii() and ch.isalnum() for ch in text)
    if (any(ch.islower() for ch in text) or mixed_cjk) and text.count(" ") < len(text) / 12:
        # Text that lost its spaces fits wide tracking (the spaces spread over every letter);
        # lowercase text is rarely tracked out, nor is Chinese with digits or Latin in it, where
        # pages put spaces ("解放路6号店" fitted 1.2 px of tracking for the two spaces around its
        # "6"): its gaps are measured against none. Real tracking shows as every gap's excess
        # (below). Han characters alone keep the fit's tracking: spaces between them are rare,
        # an icon touching them is not ("服饰鞋包" after a shirt icon, fitted wide).
        tracking = 0.0
    space = space_width(face, weight, size)
    n = len(letters)
    forward, backward = _walks(letters, origins, fit, tracking, filled, spaced, space)
    # Letters set apart (tracked-out capitals, a badge's "PRO") that the fit explained with a
    # larger size instead: then every gap in the line measures wider than the face draws it, and
    # a letter gap a little wider still passes for a word gap ("PR O"). Where the gaps of nearly
    # every boundary were measured, their median excess is the line's own tracking (word gaps
    # OCR dropped are too few to move a median) and the walks are made again with it.
    excess = [f[4] for j, f in enumerate(forward) if f[1] == 0.0 and not spaced[j + 1]]
    unspaced = sum(not sp for sp in spaced[1:])
    if len(excess) >= 2 and len(excess) >= 0.75 * unspaced:
        extra = float(np.median(excess))
        if extra >= 0.5:
            tracking += extra
            forward, backward = _walks(letters, origins, fit, tracking, filled, spaced, space)
    # One ink gap lies between one pair of letters: a gap the two walks anchored on at different
    # boundaries ("Share a trail repor." for "report…": the walk from the end, a letter short,
    # put the word gap before "rt" into "tr ail"; an icon OCR did not read, taken for letters)
    # shows that one walk lost its place there, so neither adds a space at that gap.
    gaps_found = len(empty_runs(filled))
    where = [gaps_found - 1 - run if run >= 0 else -1 for _, _, _, run, _ in backward]
    claims: dict[int, set[int]] = {}
    for j, (f, b) in enumerate(zip(forward, backward, strict=True)):
        if f[1] == 0.0:
            claims.setdefault(f[3], set()).add(j)
        if b[1] == 0.0:
            claims.setdefault(where[j], set()).add(j)
    disputed = {start for start, boundaries in claims.items() if len(boundaries) > 1}
    # Spaces are added only where the font predicts letter positions well: both walks agree on
    # the gaps they both anchored on, and no monospace face was stretched over a line in two
    # styles (a bold subject then a grey preview mimics one).
    both = [(f[0], b[0]) for f, b in zip(forward, backward, strict=True) if f[1] == 0.0 and b[1] == 0.0]
    agreement = sum(f == b for f, b in both) / len(both) if both else 1.0
    if _monospace(face):
        trusted = agreement >= 0.9 and fit.error <= 0.3
    else:
        trusted = agreement >= 0.9 or (agreement >= 0.75 and fit.error <= 0.4)
    # The word gaps OCR itself saw calibrate the smallest gap an added space may have: its width,
    # or how much wider it is than the face sets the two letters solid, since letters' side
    # bearings differ (a word gap between "0" and "g" is 3 px in Lato at 16 px, after a "t" 5).
    known = [
        (w, excess)
        for j in range(1, n)
        if spaced[j]
        for _, since, w, _, excess in (forward[j - 1], backward[j - 1])
        if w
    ]
    floor = 0.7 * float(np.median([w for w, _ in known])) if known else 0.5 * space
    wider_floor = 0.7 * float(np.median([e for _, e in known])) if known else 0.5 * space
    verdicts = [False] * n
    widths = [0] * n
    excesses: list[float | None] = [None] * n  # by how much the gap anchored here beats solid
    for j in range(1, n):
        # OCR's spaces stand (it drops spaces far more often than it invents them); a space is
        # added only where a walk anchored right here measured a word-sized gap and no walk
        # anchored here measured a letter gap (a walk that lost its place by a letter would).
        anchored = [
            (sp, gap, excess)
            for sp, since, gap, _, excess in (forward[j - 1], backward[j - 1])
            if since == 0.0
        ]
        if forward[j - 1][1] == 0.0 and forward[j - 1][3] in disputed:
            anchored = []
        if backward[j - 1][1] == 0.0 and where[j - 1] in disputed:
            anchored = []
        gap = max((g for _, g, _ in anchored), default=0)
        wider = min((e for _, _, e in anchored), default=0.0)
        widths[j] = gap
        excesses[j] = wider if anchored else None
        verdicts[j] = spaced[j] or (
            trusted
            and bool(anchored)
            and all(sp for sp, _, _ in anchored)
            and (gap >= floor or wider >= wider_floor)
        )
    # A separator between words ("4.2 · 318", "Privacy | Terms") stands as far from the word
    # before it as from the one after: where one of its gaps is a word gap, the other is too if
    # it is nearly as much wider than the face sets it solid (the fitted face centres the dot a
    # little differently from the page's).
    for j in range(1, n - 1):
        if letters[j] not in _SEPARATORS or verdicts[j] == verdicts[j + 1] or not trusted:
            continue
        missing, found = (j, j + 1) if verdicts[j + 1] else (j + 1, j)
        near, far = excesses[missing], excesses[found]
        if near is not None and far is not None and far > 0 and near >= 0.6 * far:
            verdicts[missing] = True
    out = [letters[0]]
    added: list[int] = []  # indices in ``out`` of the spaces added here
    gaps: list[int] = []
    for j in range(1, n):
        if verdicts[j]:
            if not spaced[j]:
                added.append(len(out))
            out.append(" ")
            if widths[j]:
                gaps.append(widths[j])
        out.append(letters[j])
    return _without_stray_letters(out, added), gaps


def _walks(
    letters: list[str],
    origins: list[float],
    fit: FontFit,
    tracking: float,
    filled: np.ndarray,
    spaced: list[bool],
    space: float,
) -> tuple[list[tuple[bool, float, int, int, float]], list[tuple[bool, float, int, int, float]]]:
    """The walk from the line's start and the one from its end (mapped back to the boundaries'
    forward order), with the letters' ink predicted in the fitted face at ``tracking``."""
    assert fit.face is not None
    face, weight, size, italic = fit.face, fit.weight, fit.size, fit.italic
    lefts, rights = [], []
    for j, ch in enumerate(letters):
        ink_left, ink_right = FONTS.glyph_ink(ch, face, weight, italic)
        lefts.append((origins[j] + ink_left) * size + j * tracking)
        rights.append((origins[j] + ink_right) * size + j * tracking)
    n = len(letters)
    forward = _walk(lefts, rights, empty_runs(filled), spaced, space, size)
    # The same walk on the mirrored line, mapped back to the boundaries' forward order.
    mirrored = _walk(
        [rights[-1] - r for r in reversed(rights)],
        [rights[-1] - left for left in reversed(lefts)],
        empty_runs(filled[::-1]),
        [False, *reversed(spaced[1:])],
        space,
        size,
    )
    return forward, [mirrored[n - j - 1] for j in range(1, n)]


# Letters that stand alone as words (English "a", "I", the vocative "O"). An added space that would
# leave any other letter on its own ("F ebruary", "draf t", "t he") is a glyph's own side bearing
# taken for a word gap: where the fitted face is not the page's, an "F" or "r" overhangs less than
# the ink shows. OCR drops spaces between words, rarely inside one, so one-letter words it read
# keep their spaces.
_ONE_LETTER_WORDS = set("aAIO")


def _latin_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _without_stray_letters(out: list[str], added: list[int]) -> str:
    for k in reversed(added):
        before = "".join(out[:k]).split(" ")
        left, right = before[-1], "".join(out[k + 1 :]).split(" ", 1)[0]
        # A letter after a number is a unit ("280 g", "6 h"), standing alone as a word does.
        stray = any(
            len(w) == 1
            and w.isalpha()
            and not has_cjk(w)
            and w not in _ONE_LETTER_WORDS
            and not (len(words) > 1 and words[-2][-1:].isdigit())
            for w, words in ((left, before), (right, [*before, right]))
        )
        # A slash OCR read against a word ("/careers", a path) stands clear of it by its own
        # wide side bearings, not by a space.
        starts = k < 2 or (out[k - 2] == " " and k - 2 not in added)  # the slash began OCR's word
        ends = k + 2 >= len(out) or (out[k + 2] == " " and k + 2 not in added)  # or ended it
        slash = (left == "/" and starts and _latin_word(right[:1])) or (
            right == "/" and ends and _latin_word(left[-1:])
        )
        if stray or slash:
            del out[k]
    return "".join(out)


def _walk(
    lefts: list[float],
    rights: list[float],
    runs: list[tuple[int, int]],
    spaced: list[bool],
    space: float,
    size: float,
) -> list[tuple[bool, float, int, int, float]]:
    """For each boundary 1..n-1: (space?, px walked since the last anchoring gap, gap width, the
    index in ``runs`` of the gap anchored on here (-1: none), and how much wider that gap is than
    the face draws it (0 where none)).

    ``lefts``/``rights``: each letter's predicted ink edges set solid (no spaces); the walk
    re-anchors on every gap it finds, so spaces and small size errors never accumulate.
    """
    starts = np.array([a for a, _ in runs], dtype=np.float64)
    offset = -lefts[0]  # the first letter's ink starts at column 0
    anchor = 0.0
    result: list[tuple[bool, float, int, int, float]] = []
    n = len(lefts)
    for j in range(1, n):
        right = offset + rights[j - 1]
        left = offset + lefts[j]
        # A gap belongs to this boundary only if it is nearer to it than to the boundaries on
        # either side: a narrow letter ("j", "i") must not hand its gap to its neighbour.
        tolerance = 0.25 * size
        if j >= 2:
            tolerance = min(tolerance, 0.5 * (rights[j - 1] - rights[j - 2]))
        if j + 1 < n:
            tolerance = min(tolerance, 0.5 * (rights[j] - rights[j - 1]))
        tolerance = max(tolerance, 1.0)
        run = None
        nearest = -1
        if len(starts):
            nearest = int(np.argmin(np.abs(starts - right)))
            if abs(starts[nearest] - right) <= tolerance:
                run = runs[nearest]
        if run is None:
            result.append((False, right - anchor, 0, -1, 0.0))
            continue
        width = run[1] - run[0]
        # OCR's reading breaks ties: its space stays unless the gap is clearly letter-sized.
        threshold = (left - right) + (0.4 if spaced[j] else 0.6) * space
        is_space = width >= max(threshold, 1.5)
        result.append((is_space, 0.0, width if is_space else 0, nearest, width - (left - right)))
        offset = run[1] - lefts[j]
        anchor = run[1]
    return result


def lost_symbol(alpha: np.ndarray, fit: FontFit) -> str | None:
    """The symbol an end cluster of ink (coverage crop, no text read in it) shows, if it is one."""
    from .fonts import shape_similarity

    if fit.face is None or alpha.size == 0:
        return None
    scores = sorted(
        (
            (shape_similarity(alpha, symbol, fit.face, fit.weight, fit.size), symbol)
            for symbol in _LOST_SYMBOLS
        ),
        reverse=True,
    )
    # A small glyph drawn by another rasterizer correlates imperfectly even with itself; what
    # tells is a clear lead over every other symbol.
    (best_score, best), (second, _) = scores[0], scores[1]
    return best if best_score >= 0.6 and best_score - second >= 0.25 else None


def slant(alpha: np.ndarray) -> float:
    """The shear of the ink (0 upright; about 0.2 for italics: x moves right 0.2 px per px up).

    Each shear from -0.1 to 0.35 is undone by shifting whole rows (no resampling, which would
    blur every shear but zero), and the one whose column profile is most concentrated wins:
    stems stand in columns only when the slant is undone. Measured on the development pages and
    19 families, upright text comes out at or below 0 and italics at 0.15-0.25.
    """
    height, width = alpha.shape
    if height < 6 or width < 2 * height:
        return 0.0
    pad = int(0.4 * height) + 2
    rows = np.arange(height)
    best, best_shear = -1.0, 0.0
    for shear in np.arange(-0.1, 0.351, 0.025):
        shifts = np.round(shear * (height - 1 - rows)).astype(int)
        columns = np.zeros(width + 2 * pad, dtype=np.float32)
        for y in range(height):
            start = pad - int(shifts[y])
            columns[start : start + width] += alpha[y]
        energy = float((columns * columns).sum())
        if energy > best * 1.0001:
            best, best_shear = energy, float(shear)
    return round(best_shear, 3)


def upright_columns(mask: np.ndarray, shear: float) -> np.ndarray:
    """The column profile (any ink) of ``mask`` with its slant undone, cropped to the ink."""
    if abs(shear) < 0.05:
        return np.asarray(mask.any(axis=0))
    height, width = mask.shape
    pad = int(abs(shear) * height) + 2
    columns = np.zeros(width + 2 * pad, dtype=bool)
    for y in range(height):
        start = pad - round(shear * (height - 1 - y))
        columns[start : start + width] |= mask[y]
    inked = np.flatnonzero(columns)
    return np.asarray(columns[inked[0] : inked[-1] + 1] if len(inked) else columns[:0])
