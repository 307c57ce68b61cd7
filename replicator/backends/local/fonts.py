"""Font metrics from the font files the browser itself uses, to read text size, family and weight.

A screenshot shows only ink. To turn a line of ink back into CSS we measure the OCR'd string with
candidate fonts (via Pillow/FreeType, the same rasterizer family Chromium uses on Linux) and keep the
font, weight and size whose ink box and ink mass match the screenshot best. No library infers CSS
font properties from pixels, hence this small module.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

# Candidate faces: CSS family, fallback stack, regular and bold file names, ttc index, script.
# The stacks name metric-compatible commercial fonts so the page looks right elsewhere too.
_CANDIDATES: tuple[tuple[str, str, str, str, int, str], ...] = (
    (
        "Liberation Sans",
        '"Liberation Sans", Arial, Helvetica, sans-serif',
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        0,
        "latin",
    ),
    (
        "DejaVu Sans",
        '"DejaVu Sans", Verdana, sans-serif',
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        0,
        "latin",
    ),
    (
        "Noto Sans",
        '"Noto Sans", "Segoe UI", Roboto, sans-serif',
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        0,
        "latin",
    ),
    (
        "Liberation Serif",
        '"Liberation Serif", "Times New Roman", Times, serif',
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        0,
        "latin",
    ),
    ("DejaVu Serif", '"DejaVu Serif", Georgia, serif', "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", 0, "latin"),
    (
        "DejaVu Sans Mono",
        '"DejaVu Sans Mono", Menlo, Consolas, monospace',
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
        0,
        "latin",
    ),
    (
        "Liberation Mono",
        '"Liberation Mono", "Courier New", monospace',
        "LiberationMono-Regular.ttf",
        "LiberationMono-Bold.ttf",
        0,
        "latin",
    ),
    (
        "Noto Sans CJK SC",
        '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJK-Bold.ttc",
        2,
        "cjk",
    ),
    (
        "Noto Serif CJK SC",
        '"Noto Serif CJK SC", "Songti SC", SimSun, serif',
        "NotoSerifCJK-Regular.ttc",
        "NotoSerifCJK-Bold.ttc",
        2,
        "cjk",
    ),
)

FALLBACK_STACK = "Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class FontFace:
    family: str
    stack: str  # the CSS font-family value
    regular: Path
    bold: Path | None
    index: int
    script: str  # "latin" or "cjk"


@dataclass(frozen=True)
class Measure:
    """A string's geometry at font size 1 (multiply by the size): ink box relative to the
    baseline-left origin, advance width, and the font's ascent/descent."""

    ink_left: float
    ink_top: float  # negative: above the baseline
    ink_right: float
    ink_bottom: float
    advance: float
    ascent: float
    descent: float

    @property
    def ink_width(self) -> float:
        return self.ink_right - self.ink_left

    @property
    def ink_height(self) -> float:
        return self.ink_bottom - self.ink_top


@dataclass(frozen=True)
class FontFit:
    """The font that reproduces a line of ink: face, weight, size and letter spacing (px)."""

    face: FontFace | None
    bold: bool
    size: float
    letter_spacing: float
    measure: Measure  # at size 1, for this face and weight, without letter spacing
    error: float

    @property
    def stack(self) -> str:
        return self.face.stack if self.face else FALLBACK_STACK

    @property
    def weight(self) -> int:
        return 700 if self.bold else 400

    def advance(self, text: str) -> float:
        """Advance width of ``text`` in px at this size and spacing (for wrap decisions)."""
        if self.face is None:
            return len(text) * self.size * 0.52
        m = FONTS.measure(text, self.face, self.bold)
        return m.advance * self.size + self.letter_spacing * len(text)


def _find(name: str) -> Path | None:
    for root in _FONT_DIRS:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob(name)):
            return path
    return None


class FontBook:
    """The candidate faces installed on this machine, with cached measurements."""

    def __init__(self) -> None:
        self._faces: list[FontFace] | None = None
        self._lock = threading.Lock()

    @property
    def faces(self) -> list[FontFace]:
        with self._lock:
            if self._faces is None:
                found: list[FontFace] = []
                for family, stack, regular, bold, index, script in _CANDIDATES:
                    reg = _find(regular)
                    if reg is None:
                        continue
                    found.append(FontFace(family, stack, reg, _find(bold), index, script))
                self._faces = found
            return self._faces

    def faces_for(self, text: str) -> list[FontFace]:
        script = "cjk" if has_cjk(text) else "latin"
        return [f for f in self.faces if f.script == script]

    def measure(self, text: str, face: FontFace, bold: bool) -> Measure:
        return _measure(text, str(face.bold if bold and face.bold else face.regular), face.index)

    def ink_mass(self, text: str, face: FontFace, bold: bool, size: float, letter_spacing: float) -> float:
        """Sum of ink coverage (0..1 per pixel) of ``text`` rendered at ``size``."""
        if letter_spacing == 0 or len(text) < 2:
            return float(_drawn(text, _path(face, bold), face.index, round(size * 4) / 4).sum())
        # Letter spacing adds no ink: the sum over characters rendered apart is close enough.
        return sum(self.ink_mass(ch, face, bold, size, 0.0) for ch in text if not ch.isspace())

    def advances(self, text: str, face: FontFace, bold: bool) -> list[float]:
        """Advance width (at size 1) of each prefix ``text[:i]``, i = 0..len(text).

        Sums of per-character advances, scaled so the whole string's advance (kerning included)
        comes out exact: linear in the string's length, where measuring every prefix is quadratic.
        """
        path = _path(face, bold)
        widths = [_char_advance(ch, path, face.index) for ch in text]
        total = sum(widths)
        whole = _measure(text, path, face.index).advance
        factor = whole / total if total > 0 else 1.0
        result = [0.0]
        for width in widths:
            result.append(result[-1] + width * factor)
        return result

    def glyph_ink(self, ch: str, face: FontFace, bold: bool) -> tuple[float, float]:
        """Left and right edge (at size 1, from the pen position) of one character's ink.

        ``measure`` reports the advance box horizontally (that is what Pillow's getbbox gives);
        word spacing needs the ink itself.
        """
        return _glyph_ink(ch, _path(face, bold), face.index)


@functools.lru_cache(maxsize=4096)
def _glyph_ink(ch: str, path: str, index: int) -> tuple[float, float]:
    mask, (offset_x, _) = _font(path, index, 100.0).getmask2(ch, mode="L", anchor="ls")
    box = mask.getbbox()
    if box is None:
        return 0.0, 0.0
    return (offset_x + box[0]) / 100.0, (offset_x + box[2]) / 100.0


def _path(face: FontFace, bold: bool) -> str:
    return str(face.bold if bold and face.bold else face.regular)


@functools.lru_cache(maxsize=512)
def _drawn(text: str, path: str, index: int, size: float) -> np.ndarray:
    """``text`` rendered at ``size``: ink coverage 0..1, cropped to the ink (read-only, cached).

    The font fit scores a handful of candidates by ink mass and by glyph shape; both come from
    this one rendering.
    """
    font = _font(path, index, size)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    width, height = int(right - left) + 2, int(bottom - top) + 2
    if width < 2 or height < 2:
        return np.zeros((0, 0), dtype=np.float32)
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text((1 - left, 1 - top), text, font=font, fill=255, anchor="ls")
    drawn = np.asarray(image, dtype=np.float32) / 255.0
    if not (drawn > 0.2).any():
        return np.zeros((0, 0), dtype=np.float32)
    drawn.flags.writeable = False
    return drawn


@functools.lru_cache(maxsize=4096)
def _char_advance(ch: str, path: str, index: int) -> float:
    return float(_font(path, index, 100.0).getlength(ch)) / 100.0


@functools.lru_cache(maxsize=256)
def _font(path: str, index: int, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=max(size, 1.0), index=index)


@functools.lru_cache(maxsize=8192)
def _measure(text: str, path: str, index: int) -> Measure:
    size = 100.0
    font = _font(path, index, size)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    ascent, descent = font.getmetrics()
    return Measure(
        ink_left=left / size,
        ink_top=top / size,
        ink_right=right / size,
        ink_bottom=bottom / size,
        advance=font.getlength(text) / size,
        ascent=ascent / size,
        descent=descent / size,
    )


FONTS = FontBook()


def has_cjk(text: str) -> bool:
    return any(
        "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef" for ch in text
    )


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
    bold: bool | None = None,
    alpha: np.ndarray | None = None,
) -> FontFit:
    """The face, weight and size whose rendering of ``text`` has this ink box (and ink mass).

    ``family``/``bold`` restrict the candidates (used to re-fit a line to the page's main face).
    ``alpha`` (the ink coverage, 0..1, cropped to the ink box) lets glyph shapes decide between
    faces of similar widths (serif or sans).
    """
    text = text.strip()
    # Hinting snaps glyph tops and bottoms outward on the pixel grid: screen ink is taller than
    # the outlines say by about half a pixel at text sizes.
    ink_height = max(ink_height - 0.45, 1.0)
    faces = FONTS.faces_for(text)
    if family is not None:
        faces = [f for f in faces if f.family == family] or faces
    if not text or not faces or ink_height < 2 or ink_width < 2:
        size = max(ink_height / 0.72, 8.0)
        m = Measure(0, -0.72, 0.5 * max(len(text), 1), 0.2, 0.55 * max(len(text), 1), 0.9, 0.22)
        return FontFit(None, False, _snap(size), 0.0, m, 1.0)
    scored: list[tuple[float, FontFace, bool, float, Measure]] = []
    for face in faces:
        for is_bold in (False, True) if bold is None else (bold,):
            if is_bold and face.bold is None:
                continue
            m = FONTS.measure(text, face, is_bold)
            if m.ink_height <= 0 or m.ink_width <= 0:
                continue
            size = ink_height / m.ink_height
            width_error = abs(math.log(max(m.ink_width * size, 1e-3) / ink_width))
            scored.append((width_error, face, is_bold, size, m))
    if not scored:
        return FontFit(
            None, False, _snap(ink_height / 0.72), 0.0, Measure(0, -0.72, 0.5, 0.2, 0.55, 0.9, 0.22), 1.0
        )
    scored.sort(key=lambda s: (s[0], s[1].family, s[2]))
    best: tuple[float, FontFace, bool, float, Measure] | None = None
    best_error = math.inf
    # Ink mass separates regular from bold (bold is wider too, but letter spacing can hide that).
    for width_error, face, is_bold, size, m in scored[: 6 if alpha is not None else 4]:
        error = width_error
        if ink_mass is not None and ink_mass > 0 and len(text) <= 120:
            predicted = FONTS.ink_mass(text, face, is_bold, size, 0.0)
            if predicted > 0:
                error += 0.6 * abs(math.log(predicted / ink_mass))
        if alpha is not None and alpha.size and len(text) <= 120:
            error += 0.5 * (1.0 - shape_similarity(alpha, text, face, is_bold, size))
        if error < best_error - 1e-9:
            best_error, best = error, (width_error, face, is_bold, size, m)
    assert best is not None
    _, face, chosen_bold, size, m = best
    # Width holds more pixels of evidence than height: when both agree (no letter spacing), use it.
    by_width = ink_width / m.ink_width
    # Capitals are often tracked out; other text rarely is, and its height is the noisier measure.
    tolerance = 0.05 if text.upper() == text else 0.09
    if abs(math.log(by_width / size)) <= tolerance:
        size = by_width
    size = _snap(size)
    gaps = max(len(text) - 1, 1)
    spacing = (ink_width - m.ink_width * size) / gaps
    if abs(spacing) < 0.15 or len(text) < 4 or (len(text) < 12 and abs(spacing) < 0.5):
        spacing = 0.0  # short strings: too little evidence to tell spacing from measurement noise
    spacing = max(-0.08 * size, min(0.2 * size, spacing))
    return FontFit(face, chosen_bold, size, round(spacing, 2), m, best_error)


def shape_similarity(alpha: np.ndarray, text: str, face: FontFace, bold: bool, size: float) -> float:
    """Correlation (-1..1) of the observed ink with ``text`` drawn in this face, both scaled to one box."""
    return _similarity(alpha, _drawn(text, _path(face, bold), face.index, round(size * 4) / 4))


def _similarity(alpha: np.ndarray, drawn: np.ndarray) -> float:
    if drawn.size == 0:
        return 0.0
    ys, xs = np.nonzero(drawn > 0.2)
    drawn = drawn[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    target_h = 24
    target_w = int(min(max(8, round(alpha.shape[1] * target_h / max(alpha.shape[0], 1))), 480))
    a = cv2.resize(alpha.astype(np.float32), (target_w, target_h), interpolation=cv2.INTER_AREA).ravel()
    b = cv2.resize(drawn, (target_w, target_h), interpolation=cv2.INTER_AREA).ravel()
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


@functools.lru_cache(maxsize=64)
def _italic_path(path: str) -> str | None:
    """The italic (or oblique) file that goes with an upright font file, if installed."""
    upright = Path(path)
    stem = upright.stem.removesuffix("-Regular")
    if stem.endswith("-Bold"):
        names = [f"{stem}Italic", f"{stem}Oblique"]
    else:
        names = [f"{stem}-Italic", f"{stem}-Oblique"]
    for name in names:
        candidate = upright.with_name(name + upright.suffix)
        if candidate.exists():
            return str(candidate)
    return None


def looks_italic(alpha: np.ndarray, text: str, fit: FontFit) -> bool:
    """Whether the ink of ``text`` matches the fitted face's italic clearly better than its upright.

    Both are rendered and compared by glyph shape, as the font fit compares faces: a slant is
    what differs, and correlation sees it across the whole line.
    """
    if fit.face is None or alpha.size == 0 or len(text.replace(" ", "")) < 3 or fit.face.script != "latin":
        return False
    upright_path = _path(fit.face, fit.bold)
    italic = _italic_path(upright_path)
    if italic is None:
        return False
    size = round(fit.size * 4) / 4
    upright_score = _similarity(alpha, _drawn(text, upright_path, fit.face.index, size))
    italic_score = _similarity(alpha, _drawn(text, italic, fit.face.index, size))
    return italic_score > upright_score + 0.04
