"""Which font drew a line of ink: family, weight (100-900), size and letter spacing.

Two stages, so that a page is fast although the candidates are ~25 families in up to nine weights:

- a shortlist from cheap features, for all candidates at once (numpy over per-glyph tables read
  from the font files: advance, ink box and outline area per character): the size that makes the
  string as tall as its ink, then how far its width and its ink mass (which tells weights apart)
  miss the ink's;
- a fine fit of the few best: the string drawn in each (``fonts.draw_text``, with the letter
  spacing its width implies) and compared with the ink by glyph shape, width and mass.

A page uses few families, and a short label ("Home", "Docs") cannot tell them apart, so the
families are chosen once per page (``choose_palette``) from its longest lines of each size, where
the evidence is plentiful; every line is then fitted among the page's families, in all their
weights. No library infers CSS font properties from pixels, hence this module.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...cpu_split import split_map
from .fonts import FONTS, FontFace, FontFit, Measure, draw_text, has_cjk, similarity

log = logging.getLogger(__name__)

# Characters with per-glyph metrics in the shortlist tables; others count as an "o".
_CHARSET = (
    "".join(chr(c) for c in range(33, 127))
    + "".join(chr(c) for c in range(161, 256))
    + "\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u2026\u20ac\u2122"
)
_INDEX = {ch: i for i, ch in enumerate(_CHARSET)}
_SPACE = len(_CHARSET)  # one more column: the space
_ADV, _XMIN, _XMAX, _YMIN, _YMAX, _AREA = range(6)
_TABLE_VERSION = "2"


@dataclass(frozen=True)
class Palette:
    """The families a page is set in, the most used first."""

    faces: tuple[FontFace, ...]

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(f.family for f in self.faces)


@dataclass(frozen=True)
class Sample:
    """A line's ink as the font fit reads it: text, ink width and height, mass, coverage crop."""

    text: str
    width: float
    height: float
    mass: float
    alpha: np.ndarray
    # Other readings of the same ink (the text with the spaces its gaps show: OCR drops spaces in
    # tight text, and text without them fits a stretched monospace face best).
    alternatives: tuple[str, ...] = ()
    # The ink's column profile (any ink per column): a reading that lost its spaces gets them
    # back in each candidate face before that face is judged.
    columns: np.ndarray | None = None


# --- shortlist tables ------------------------------------------------------------------------


class _Tables:
    """Per-glyph metrics (em units) of every Latin face and weight: rows are variants."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._variants: list[tuple[FontFace, int]] | None = None
        self._rows: dict[tuple[str, int], int] = {}
        self._data: np.ndarray | None = None

    def load(self) -> tuple[list[tuple[FontFace, int]], dict[tuple[str, int], int], np.ndarray]:
        with self._lock:
            if self._data is None:
                variants = [(f, w) for f in FONTS.faces if f.script == "latin" for w in f.weights]
                self._data = _load_tables(variants)
                self._variants = variants
                self._rows = {(f.family, w): i for i, (f, w) in enumerate(variants)}
            assert self._variants is not None
            return self._variants, self._rows, self._data


_TABLES = _Tables()


def _load_tables(variants: list[tuple[FontFace, int]]) -> np.ndarray:
    sources = [(str(f.source(w)), f.index) for f, w in variants]
    digest = hashlib.sha256(_TABLE_VERSION.encode() + _CHARSET.encode())
    for path, index in sources:
        try:
            stat = os.stat(path)
        except OSError:
            continue
        digest.update(f"{path}:{index}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    cache = FONTS.library.cache_dir / f"glyph-metrics-{digest.hexdigest()[:16]}.npy"
    try:
        data = np.load(cache)
        if data.shape == (len(variants), 6, _SPACE + 1):
            return data
    except (OSError, ValueError):
        pass
    data = np.stack([_glyph_table(path, index) for path, index in sources])
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp.npy")
        np.save(tmp, data)
        tmp.replace(cache)
    except OSError as exc:
        log.warning("could not cache glyph metrics in %s: %s", cache.parent, exc)
    return data


def _glyph_table(path: str, index: int) -> np.ndarray:
    """Advance, ink box and outline area of each character of the charset (em units)."""
    from fontTools.pens.areaPen import AreaPen
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    upm = float(font["head"].unitsPerEm)
    cmap = font.getBestCmap() or {}
    glyphs = font.getGlyphSet()
    advances = font["hmtx"]
    table = np.zeros((6, _SPACE + 1), dtype=np.float32)

    def metrics_of(ch: str) -> tuple[float, ...] | None:
        name = cmap.get(ord(ch))
        if name is None:
            return None
        bounds_pen = BoundsPen(glyphs)
        glyphs[name].draw(bounds_pen)
        area_pen = AreaPen(glyphs)
        glyphs[name].draw(area_pen)
        x0, y0, x1, y1 = bounds_pen.bounds or (0, 0, 0, 0)
        return (
            advances[name][0] / upm,
            x0 / upm,
            x1 / upm,
            y0 / upm,
            y1 / upm,
            abs(area_pen.value) / upm / upm,
        )

    fallback = metrics_of("o") or (0.55, 0.05, 0.5, 0.0, 0.5, 0.15)
    for column, ch in enumerate([*_CHARSET, " "]):
        table[:, column] = metrics_of(ch) or fallback
    return table


def _shortlist(
    text: str,
    width: float,
    height: float,
    mass: float,
    variants: list[tuple[FontFace, int]],
    keep: int,
    per_face: int,
) -> list[tuple[FontFace, int]]:
    """The ``keep`` variants whose glyph tables best predict the ink's width and mass at the size
    its height implies, at most ``per_face`` weights of one family."""
    all_variants, rows, data = _TABLES.load()
    picked = [rows[(f.family, w)] for f, w in variants if (f.family, w) in rows]
    # Faces without tables (the CJK faces, for a CJK page's Latin text) are always tried.
    untabled = [(f, w) for f, w in variants if (f.family, w) not in rows]
    if len(picked) <= keep:
        return variants
    columns = [(_SPACE if ch == " " else _INDEX.get(ch, _INDEX["o"])) for ch in text]
    inked = [c for c, ch in zip(columns, text, strict=True) if ch != " "]
    if not inked:
        return variants[:keep]
    table = data[picked]  # (V, 6, C)
    glyphs = table[:, :, inked]
    top = glyphs[:, _YMAX].max(axis=1)
    bottom = glyphs[:, _YMIN].min(axis=1)
    em_height = np.maximum(top - bottom, 1e-3)
    advance = table[:, _ADV, columns].sum(axis=1)
    first, last = inked[0], inked[-1]
    em_width = advance - table[:, _ADV, columns[-1]] + table[:, _XMAX, last] - table[:, _XMIN, first]
    # The size as _trial sets it: from the width, within what the height allows.
    low, high = max(height - 1.0, 1.0) / em_height, (height + 0.6) / em_height
    upper = _capitals(text)
    by_width = width / np.maximum(em_width, 1e-3)
    size = np.clip(np.minimum(by_width, height / em_height) if upper else by_width, low, high)
    width_error = np.log(np.maximum(em_width * size, 1e-3) / max(width, 1e-3))
    # Wider ink than predicted may be letter spacing (common on capitals); narrower rarely is.
    width_cost = np.where(width_error < 0, (0.3 if upper else 0.7) * -width_error, width_error)
    cost = width_cost
    if mass > 0:
        predicted = glyphs[:, _AREA].sum(axis=1) * size * size
        cost = cost + 0.4 * np.abs(np.log(np.maximum(predicted, 1e-3) / mass))
    order = np.argsort(cost, kind="stable")
    chosen: list[tuple[FontFace, int]] = []
    count: dict[str, int] = {}
    for i in order:
        face, weight = all_variants[picked[i]]
        if count.get(face.family, 0) >= per_face:
            continue
        count[face.family] = count.get(face.family, 0) + 1
        chosen.append((face, weight))
        if len(chosen) == keep:
            break
    return chosen + untabled


_EDGE_LOSS = 0.5  # px of outline the ink's antialiased edges show too faintly (see _fit_cached)
_SHORT = 6  # characters: a text this short has its width corrected for them


# --- the fine fit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trial:
    face: FontFace
    weight: int
    size: float
    spacing: float
    measure: Measure
    error: float
    italic: bool = False


def _trial(
    text: str,
    width: float,
    height: float,
    mass: float | None,
    alpha: np.ndarray | None,
    face: FontFace,
    weight: int,
    italic: bool = False,
) -> _Trial | None:
    m = FONTS.measure(text, face, weight, italic)
    if m.ink_height <= 0 or m.ink_width <= 0:
        return None
    # Hinting moves a glyph's top and bottom edges to the pixel grid (hinted system faces grow
    # up to a pixel), so the ink's height fixes the size only loosely (10% for small capitals);
    # within that,
    # the width (many more pixels of evidence) decides, and what it cannot explain is spacing.
    # Capitals are often tracked out, which widens them: their size is their height, unless the
    # width says smaller.
    upper = _capitals(text)
    low, high = max(height - 1.0, 1.0) / m.ink_height, (height + 0.6) / m.ink_height
    by_width = width / m.ink_width
    size = min(max(min(by_width, height / m.ink_height) if upper else by_width, low), high)
    predicted = m.ink_width * size
    ratio = math.log(max(predicted, 1e-3) / width)
    letters = len(text)
    spacing = 0.0
    if letters >= 3 and abs(ratio) > 0.03:
        spacing = max(-0.08 * size, min(0.3 * size, (width - predicted) / (letters - 1)))
    # Ink wider than the face predicts may be letter spacing (common on capitals); narrower
    # (tight tracking) rarely explains much.
    error = ratio if ratio > 0 else (0.3 if upper else 0.7) * -ratio
    small = len(text) <= 120
    path = FONTS.path(face, weight, italic) or ""
    drawn = draw_text(text, path, face.index, size, round(spacing, 2)) if small else None
    if mass is not None and mass > 0 and drawn is not None and drawn.size:
        error += 0.5 * abs(math.log(max(float(drawn.sum()), 1e-3) / mass))
    if alpha is not None and alpha.size and drawn is not None:
        error += 0.5 * (1.0 - similarity(alpha, drawn))
    return _Trial(face, weight, size, spacing, m, error, italic)


def _fallback(text: str, height: float) -> FontFit:
    size = max(height / 0.72, 8.0)
    m = Measure(0, -0.72, 0.5 * max(len(text), 1), 0.2, 0.55 * max(len(text), 1), 0.9, 0.22)
    return FontFit(None, 400, _snap(size), 0.0, m, 1.0)


def _snap(size: float) -> float:
    # Pages use whole pixel sizes far more often than not; snap when the evidence allows it.
    nearest = round(size)
    return float(nearest) if abs(size - nearest) <= 0.3 else round(size * 2) / 2


def fit_font(
    text: str,
    ink_width: float,
    ink_height: float,
    ink_mass: float | None,
    *,
    family: str | None = None,
    weight: int | None = None,
    alpha: np.ndarray | None = None,
    faces: Sequence[FontFace] | None = None,
    slanted: bool | None = None,
) -> FontFit:
    """The face, weight and size whose rendering of ``text`` has this ink box, mass and shape.

    ``faces``: the candidates (the page's palette; default every face for the text's script).
    ``family``/``weight`` restrict them (a re-fit to the page's main face, or to a row's weight).
    ``alpha``: the ink coverage (0..1) cropped to the ink box, for comparing glyph shapes.
    ``slanted``: whether the ink's slant was measured as italic (spacing.slant): True tries the
    italic faces, False never does; None lets the glyph shapes alone decide, with a wide margin.
    """
    text = text.strip()
    key = None
    if alpha is not None and alpha.size:
        key = hashlib.blake2b(np.ascontiguousarray(alpha).tobytes(), digest_size=8).digest()
    return _fit_cached(
        text,
        round(ink_width, 3),
        round(ink_height, 3),
        None if ink_mass is None else round(ink_mass, 2),
        family,
        weight,
        tuple(faces) if faces is not None else None,
        key,
        slanted,
        _AlphaBox(alpha),
    )


class _AlphaBox:
    """Carries the coverage array through the cache without being part of its key."""

    __slots__ = ("alpha",)

    def __init__(self, alpha: np.ndarray | None) -> None:
        self.alpha = alpha

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AlphaBox)


@functools.lru_cache(maxsize=8192)
def _fit_cached(
    text: str,
    ink_width: float,
    ink_height: float,
    ink_mass: float | None,
    family: str | None,
    weight: int | None,
    faces: tuple[FontFace, ...] | None,
    _key: bytes | None,
    slanted: bool | None,
    boxed: _AlphaBox,
) -> FontFit:
    alpha = boxed.alpha
    height = max(ink_height, 1.0)
    script_faces = FONTS.faces_for(text)
    # A CJK face passed in may set Latin text too (a Chinese page's dates and numbers are in its
    # CJK font's own Latin glyphs); a Latin face never sets CJK text.
    latin = not has_cjk(text)
    pool = (
        [f for f in faces if f in script_faces or (latin and f.script == "cjk")]
        if faces is not None
        else script_faces
    )
    if not pool:
        pool = script_faces
    if family is not None:
        pool = (
            [f for f in pool if f.family == family] or [f for f in script_faces if f.family == family] or pool
        )
    if not text or not pool or height < 2 or ink_width < 2:
        return _fallback(text, ink_height)
    # The outline's extent, from the ink's: Chromium's text gamma lightens the antialiased edge
    # columns below their coverage, so the ink measures narrower than the glyphs' outlines, by
    # about half a pixel (Inter's "3" at 14 px: 6.6 px of ink for 7.0 of outline; Noto Sans' "12"
    # at 12 px: 11.6 for 12.1). On a short label or number that is a size a pixel too small, and
    # the weight that makes up its ink's mass 200 too heavy; on a line it is lost in the noise,
    # and a line's fit is left as it was (what later stages judge against it moved with it).
    if len(text) <= _SHORT:
        ink_width += _EDGE_LOSS
    if weight is not None:
        variants = list(dict.fromkeys((f, f.nearest_weight(weight)) for f in pool))
    else:
        variants = [(f, w) for f in pool for w in f.weights]
    if len(variants) > 6 and latin:
        # Among a page's few families the shortlist only has to find the weights; among all
        # faces it must find the family too, and keeps more.
        wide = len(variants) > 30
        variants = _shortlist(
            text, ink_width, height, ink_mass or 0.0, variants, 16 if wide else 5, 2 if wide else 3
        )
    trials = [
        t
        for f, w in variants
        if (t := _trial(text, ink_width, height, ink_mass, alpha, f, w, bool(slanted) and _has_italic(f, w)))
        is not None
    ]
    if not trials:
        return _fallback(text, ink_height)
    best = min(trials, key=lambda t: (t.error, t.face.family, t.weight))
    best = _cjk_sans_unless_clearly_serif(best, trials)
    if slanted is None:
        italic = _italic_trial(text, ink_width, height, ink_mass, alpha, best, 0.05)
        if italic is not None:
            best = italic
    return _finish(text, ink_width, best)


# Chinese web pages are set in sans faces almost without exception, and a CJK line that fits no
# face well (a stray character read into it, a tag's outline inside its ink) fits the serif face's
# thin strokes best by chance: on the development pages every such line was sans, at errors of
# 0.35-0.87 with the serif ahead by 0.1-0.34. Lines that do fit (error <= 0.15) picked sans on their
# own. A serif CJK face therefore has to fit well and clearly better than the sans one to win.
_CJK_SERIF_MAX_ERROR = 0.2
_CJK_SERIF_LEAD = 0.08


def _cjk_sans_unless_clearly_serif(best: _Trial, trials: list[_Trial]) -> _Trial:
    if best.face.script != "cjk" or best.face.kind != "serif":
        return best
    sans = [t for t in trials if t.face.script == "cjk" and t.face.kind == "sans"]
    if not sans:
        return best
    rival = min(sans, key=lambda t: (t.error, t.weight))
    if best.error <= _CJK_SERIF_MAX_ERROR and rival.error - best.error >= _CJK_SERIF_LEAD:
        return best
    return rival


def _has_italic(face: FontFace, weight: int) -> bool:
    return FONTS.path(face, weight, italic=True) is not None


def _italic_trial(
    text: str,
    width: float,
    height: float,
    mass: float | None,
    alpha: np.ndarray | None,
    best: _Trial,
    margin: float,
) -> _Trial | None:
    """The best fit's italic, if it explains the ink clearly better. "Clearly": an upright line
    must never come out slanted (a stray italic paragraph is a visible error), so the margin is
    wide, and short strings, which say little about a slant, stay upright."""
    face = best.face
    if alpha is None or face.script != "latin" or len(text.replace(" ", "")) < 4:
        return None
    if FONTS.path(face, best.weight, italic=True) is None:
        return None
    trial = _trial(text, width, height, mass, alpha, face, best.weight, italic=True)
    if trial is None or trial.error > best.error - margin:
        return None
    return trial


def _finish(text: str, ink_width: float, best: _Trial) -> FontFit:
    m = best.measure
    size = _snap(best.size)
    gaps = max(len(text) - 1, 1)
    spacing = (ink_width - m.ink_width * size) / gaps
    if abs(spacing) < 0.15 or len(text) < 4 or (len(text) < 12 and abs(spacing) < 0.5):
        spacing = 0.0  # short strings: too little evidence to tell spacing from measurement noise
    spacing = max(-0.08 * size, min(0.3 * size, spacing))
    return FontFit(best.face, best.weight, size, round(spacing, 2), m, best.error, best.italic)


# --- the page's families ---------------------------------------------------------------------


def _respaced_trials(sample: Sample, height: float, found: dict[FontFace, _Trial]) -> None:
    """A line that came with few spaces, read again with the spaces each of its best faces finds
    in the ink (spacing.respace): a face is judged on its own best reading."""
    from .spacing import respace

    assert sample.columns is not None
    readings = [t.strip() for t in (sample.text, *sample.alternatives) if t.strip().count(" ") < len(t) / 12]
    if not readings:
        return
    for face in sorted(found, key=lambda f: found[f].error)[:10]:
        trial = found[face]
        for text in readings:
            first = _trial(text, sample.width, height, sample.mass, None, face, trial.weight)
            if first is None:
                continue
            spaced, _gaps = respace(text, sample.columns, _finish(text, sample.width, first))
            if spaced == text:
                continue
            again = _trial(spaced, sample.width, height, sample.mass, sample.alpha, face, trial.weight)
            if again is not None and again.error < found[face].error:
                found[face] = again


_WORST = _Trial(FontFace("", "", (), (), 0, "latin"), 400, 1.0, 0.0, Measure(0, 0, 0, 0, 0, 0, 0), math.inf)


def choose_palette(samples: Sequence[Sample]) -> Palette | None:
    """The families that explain the page's sample lines: the best one overall, plus each other
    family that explains a share of lines clearly better (a serif heading face, a code face)."""
    samples = [s for s in samples if not has_cjk(s.text) and len(s.text.strip()) >= 4]
    if not samples:
        return None
    latin = [f for f in FONTS.faces if f.script == "latin"]
    errors: list[dict[FontFace, float]] = []
    weights: list[float] = []
    # Each sample's trials are independent of the others': the worker's helper takes half.
    costs = [float(len(s.text)) for s in samples]
    for sample, found_errors in zip(samples, split_map(_sample_errors, samples, weights=costs), strict=True):
        if not found_errors:
            continue
        best = min(found_errors.values())
        # A line no face explains well (an icon read as a letter, a misread word) says little,
        # and no single line may outvote the rest on the main family: each family's shortfall
        # on a line counts up to a cap there (a larger one for adding a second family, which a
        # single heading may ask for), and lines weigh by their length and their best fit.
        reliability = min(max((0.3 - best) / 0.2, 0.0), 1.0)
        if reliability <= 0:
            continue
        # Monospace is the rarer claim, and stretched over text whose spaces OCR lost it can
        # look right: it needs a clear margin.
        errors.append(
            {
                f: min(found_errors.get(f, math.inf) - best, 0.25) + (0.03 if f.kind == "mono" else 0.0)
                for f in latin
            }
        )
        weights.append(float(min(len(sample.text.strip()), 40)) * reliability)
    if not errors:
        return None
    totals = {f: sum(w * min(e[f], 0.1) for w, e in zip(weights, errors, strict=True)) for f in latin}
    chosen = [min(latin, key=lambda f: (totals[f], f.family))]
    while len(chosen) < 3:
        best_gain, best_face = 0.0, None
        for face in latin:
            if face in chosen:
                continue
            gain = 0.0
            for w, e in zip(weights, errors, strict=True):
                current = min(e[f] for f in chosen)
                if e[face] + 0.05 < current:
                    gain += w * (current - e[face])
            if gain > best_gain:
                best_gain, best_face = gain, face
        # A heading in another face (a long line explained far better), or several lines.
        if best_face is None or best_gain < 3.0:
            break
        chosen.append(best_face)
    log.debug("page fonts: %s", ", ".join(f.family for f in chosen))
    return Palette(tuple(chosen))


def _sample_errors(sample: Sample) -> dict[FontFace, float]:
    """How well each Latin family (its best weight) explains one sample line (choose_palette)."""
    latin = [f for f in FONTS.faces if f.script == "latin"]
    variants = [(f, w) for f in latin for w in f.weights]
    height = max(sample.height, 1.0)
    found: dict[FontFace, _Trial] = {}
    for text in dict.fromkeys([sample.text.strip(), *sample.alternatives]):
        short = _shortlist(text, sample.width, height, sample.mass, variants, 2 * len(latin), 2)
        for face, weight in short:
            trial = _trial(text, sample.width, height, sample.mass, sample.alpha, face, weight)
            if trial is not None and trial.error < found.get(face, _WORST).error:
                found[face] = trial
    if found and sample.columns is not None:
        _respaced_trials(sample, height, found)
    return {f: t.error for f, t in found.items()}


def _capitals(text: str) -> bool:
    """Text in capitals (CJK, digits and symbols have no case: they are not)."""
    return any(ch.isupper() for ch in text) and not any(ch.islower() for ch in text)
