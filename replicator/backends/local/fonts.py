"""The font faces the local backend can read text in, and measurements of text set in them.

A screenshot shows only ink. To turn a line of ink back into CSS we measure the OCR'd string with
candidate fonts (via Pillow/FreeType, the rasterizer family Chromium uses on Linux) and keep the
face, weight and size whose ink matches the screenshot best (fontfit.py). The candidates are the
system fonts we install (Liberation, DejaVu, Noto) and the popular web fonts we ship
(webfonts.py: Inter, Roboto, Poppins, Merriweather, JetBrains Mono, ...) in all their weights.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...cpu_split import split_map
from .webfonts import WebFontLibrary

log = logging.getLogger(__name__)

_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

# System faces: CSS family, fallback stack, regular and bold file names, ttc index, script, kind.
# The stacks name metric-compatible commercial fonts so the page looks right elsewhere too.
_CANDIDATES: tuple[tuple[str, str, str, str, int, str, str], ...] = (
    (
        "Liberation Sans",
        '"Liberation Sans", Arial, Helvetica, sans-serif',
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        0,
        "latin",
        "sans",
    ),
    (
        "DejaVu Sans",
        '"DejaVu Sans", Verdana, sans-serif',
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        0,
        "latin",
        "sans",
    ),
    (
        "Noto Sans",
        '"Noto Sans", "Segoe UI", Roboto, sans-serif',
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        0,
        "latin",
        "sans",
    ),
    (
        "Liberation Serif",
        '"Liberation Serif", "Times New Roman", Times, serif',
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        0,
        "latin",
        "serif",
    ),
    (
        "DejaVu Serif",
        '"DejaVu Serif", Georgia, serif',
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        0,
        "latin",
        "serif",
    ),
    (
        "DejaVu Sans Mono",
        '"DejaVu Sans Mono", Menlo, Consolas, monospace',
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
        0,
        "latin",
        "mono",
    ),
    (
        "Liberation Mono",
        '"Liberation Mono", "Courier New", monospace',
        "LiberationMono-Regular.ttf",
        "LiberationMono-Bold.ttf",
        0,
        "latin",
        "mono",
    ),
    (
        "Noto Sans CJK SC",
        # @fontsource's Noto Sans SC is the same design; the system copy draws it without
        # embedding megabytes of glyphs. (Named first, "Noto Sans SC" resolves to another face.)
        '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
        "NotoSansCJK-Regular.ttc",
        "NotoSansCJK-Bold.ttc",
        2,
        "cjk",
        "sans",
    ),
    (
        "Noto Serif CJK SC",
        '"Noto Serif CJK SC", "Songti SC", SimSun, serif',
        "NotoSerifCJK-Regular.ttc",
        "NotoSerifCJK-Bold.ttc",
        2,
        "cjk",
        "serif",
    ),
)

FALLBACK_STACK = "Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class FontFace:
    """One family: its CSS stack and a file per weight (upright, and italic where there is one).

    Web faces (``web``) name WOFF2 files: they are converted for reading and embedded, subset, in
    the page; system faces name TrueType files the browser finds by itself.
    """

    family: str
    stack: str  # the CSS font-family value
    upright: tuple[tuple[int, Path], ...]  # (weight, file), ascending weight
    italic: tuple[tuple[int, Path], ...]
    index: int
    script: str  # "latin" or "cjk"
    kind: str = "sans"  # sans | serif | mono
    web: bool = False

    @property
    def weights(self) -> tuple[int, ...]:
        return tuple(w for w, _ in self.upright)

    def nearest_weight(self, weight: int) -> int:
        # Ties go to the heavier weight above 400 and the lighter below, as CSS font matching does.
        return min(self.weights, key=lambda w: (abs(w - weight), -w if weight > 400 else w))

    def source(self, weight: int, italic: bool = False) -> Path | None:
        """The file of the nearest weight (None: no italic file)."""
        files = dict(self.italic if italic else self.upright)
        if not files:
            return None
        return files[min(files, key=lambda w: (abs(w - weight), -w if weight > 400 else w))]

    @property
    def regular(self) -> Path:
        """A TrueType file of the regular (or nearest) weight, for drawing test images."""
        return Path(_readable(self, 400, False) or "")

    @property
    def bold(self) -> Path | None:
        if max(self.weights) < 600:
            return None
        return Path(_readable(self, 700, False) or "")


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
    """The font that reproduces a line of ink: face, weight (100-900), size and letter spacing (px)."""

    face: FontFace | None
    weight: int
    size: float
    letter_spacing: float
    measure: Measure  # at size 1, for this face and weight, without letter spacing
    error: float
    italic: bool = False  # the face's italic drew it

    @property
    def stack(self) -> str:
        return self.face.stack if self.face else FALLBACK_STACK

    @property
    def bold(self) -> bool:
        return self.weight >= 600

    def advance(self, text: str) -> float:
        """Advance width of ``text`` in px at this size and spacing (for wrap decisions)."""
        if self.face is None:
            return len(text) * self.size * 0.52
        m = FONTS.measure(text, self.face, self.weight, self.italic)
        return m.advance * self.size + self.letter_spacing * len(text)


def _find(name: str) -> Path | None:
    for root in _FONT_DIRS:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob(name)):
            return path
    return None


def _weight(weight: int | bool) -> int:
    """Callers may still say bold=True/False; a weight is 100..900."""
    if isinstance(weight, bool):
        return 700 if weight else 400
    return int(weight)


class FontBook:
    """The candidate faces (system and web), with cached measurements."""

    def __init__(self, library: WebFontLibrary | None = None) -> None:
        self._library = library
        self._faces: list[FontFace] | None = None
        self._lock = threading.Lock()

    @property
    def library(self) -> WebFontLibrary:
        if self._library is None:
            self._library = WebFontLibrary.shared()
        return self._library

    @property
    def faces(self) -> list[FontFace]:
        with self._lock:
            if self._faces is None:
                found: list[FontFace] = []
                for family in self.library.families:
                    found.append(
                        FontFace(
                            family.family,
                            family.stack,
                            family.upright,
                            family.italic,
                            0,
                            "latin",
                            family.kind,
                            web=True,
                        )
                    )
                for name, stack, regular, bold, index, script, kind in _CANDIDATES:
                    reg = _find(regular)
                    if reg is None:
                        continue
                    upright = [(400, reg)]
                    bold_path = _find(bold)
                    if bold_path is not None:
                        upright.append((700, bold_path))
                    italic = [(w, p) for w, path in upright if (p := _italic_file(path)) is not None]
                    found.append(FontFace(name, stack, tuple(upright), tuple(italic), index, script, kind))
                self._faces = found
            return self._faces

    def faces_for(self, text: str) -> list[FontFace]:
        script = "cjk" if has_cjk(text) else "latin"
        return [f for f in self.faces if f.script == script]

    def path(self, face: FontFace, weight: int | bool, italic: bool = False) -> str | None:
        """A file FreeType reads for this face at the nearest weight (None: no such italic)."""
        return _readable(face, _weight(weight), italic)

    def measure(self, text: str, face: FontFace, weight: int | bool, italic: bool = False) -> Measure:
        return _measure(text, _path(face, weight, italic), face.index)

    def ink_mass(self, text: str, face: FontFace, weight: int | bool, size: float) -> float:
        """Sum of ink coverage (0..1 per pixel) of ``text`` rendered at ``size``."""
        return float(draw_text(text, _path(face, weight), face.index, size).sum())

    def advances(self, text: str, face: FontFace, weight: int | bool, italic: bool = False) -> list[float]:
        """Advance width (at size 1) of each prefix ``text[:i]``, i = 0..len(text).

        Sums of per-character advances, scaled so the whole string's advance (kerning included)
        comes out exact: linear in the string's length, where measuring every prefix is quadratic.
        """
        path = _path(face, weight, italic)
        widths = [_char_advance(ch, path, face.index) for ch in text]
        total = sum(widths)
        whole = _measure(text, path, face.index).advance
        factor = whole / total if total > 0 else 1.0
        result = [0.0]
        for width in widths:
            result.append(result[-1] + width * factor)
        return result

    def glyph_ink(
        self, ch: str, face: FontFace, weight: int | bool, italic: bool = False
    ) -> tuple[float, float]:
        """Left and right edge (at size 1, from the pen position) of one character's ink.

        ``measure`` reports the advance box horizontally (that is what Pillow's getbbox gives);
        word spacing needs the ink itself.
        """
        return _glyph_ink(ch, _path(face, weight, italic), face.index)

    def monospace(self, face: FontFace) -> bool:
        return face.kind == "mono"


FONTS = FontBook()


@functools.lru_cache(maxsize=1024)
def _readable(face: FontFace, weight: int, italic: bool) -> str | None:
    source = face.source(weight, italic)
    if source is None:
        return None
    if face.web:
        return str(FONTS.library.truetype(source))
    return str(source)


def _path(face: FontFace, weight: int | bool, italic: bool = False) -> str:
    """The upright file when there is no italic one (callers ask only where there is)."""
    path = _readable(face, _weight(weight), italic) or _readable(face, _weight(weight), False)
    assert path is not None
    return path


def _italic_file(upright: Path) -> Path | None:
    """The italic (or oblique) file that goes with an upright system font file, if installed."""
    stem = upright.stem.removesuffix("-Regular")
    names = (
        [f"{stem}Italic", f"{stem}Oblique"]
        if stem.endswith("-Bold")
        else [f"{stem}-Italic", f"{stem}-Oblique"]
    )
    for name in names:
        candidate = upright.with_name(name + upright.suffix)
        if candidate.exists():
            return candidate
    return None


def _glyph_ink(ch: str, path: str, index: int) -> tuple[float, float]:
    left, _top, right, _bottom = _glyph_box(ch, path, index)
    return left, right


@functools.lru_cache(maxsize=16384)
def _glyph_box(ch: str, path: str, index: int) -> tuple[float, float, float, float]:
    """One character's ink box at size 1 from its pen position on the baseline (y down)."""
    kept = _sheet(path, index).boxes.get(ch)
    return kept if kept is not None else _draw_glyph_box(ch, path, index)


def _draw_glyph_box(ch: str, path: str, index: int) -> tuple[float, float, float, float]:
    mask, (offset_x, offset_y) = _font(path, index, 100.0).getmask2(ch, mode="L", anchor="ls")
    box = mask.getbbox()
    if box is None:
        return 0.0, 0.0, 0.0, 0.0
    return (
        (offset_x + box[0]) / 100.0,
        (offset_y + box[1]) / 100.0,
        (offset_x + box[2]) / 100.0,
        (offset_y + box[3]) / 100.0,
    )


# Glyphs are drawn once at this size and text is composed from them, then scaled to the size
# wanted: unhinted, antialiased ink at any fractional size, position and letter spacing (what
# Chromium's subpixel-positioned text looks like), for a few numpy additions per letter instead
# of a FreeType rendering per trial.
_REFERENCE_SIZE = 48.0


@functools.lru_cache(maxsize=16384)
def _glyph(ch: str, path: str, index: int) -> tuple[np.ndarray, int, int]:
    """One character at the reference size: coverage (uint8), and its top-left corner relative
    to the pen position on the baseline."""
    kept = _sheet(path, index).glyphs.get(ch)
    return kept if kept is not None else _draw_glyph(ch, path, index)


def _draw_glyph(ch: str, path: str, index: int) -> tuple[np.ndarray, int, int]:
    font = _font(path, index, _REFERENCE_SIZE)
    left, top, right, bottom = font.getbbox(ch, anchor="ls")
    if right <= left or bottom <= top:
        return np.zeros((0, 0), dtype=np.uint8), 0, 0
    image = Image.new("L", (int(right - left), int(bottom - top)), 0)
    ImageDraw.Draw(image).text((-left, -top), ch, font=font, fill=255, anchor="ls")
    bitmap = np.asarray(image, dtype=np.uint8)
    # Cropped to the ink: getbbox spans the advance, and a drawing's glyph boxes are its ink.
    ys, xs = np.nonzero(bitmap > 12)
    if len(xs) == 0:
        return np.zeros((0, 0), dtype=np.uint8), 0, 0
    bitmap = np.ascontiguousarray(bitmap[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    return bitmap, int(left) + int(xs.min()), int(top) + int(ys.min())


GlyphBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in a drawing's pixels


def draw_text(text: str, path: str, index: int, size: float, spacing: float = 0.0) -> np.ndarray:
    """``text`` drawn at ``size`` px with ``spacing`` px between letters: ink coverage 0..1,
    cropped to the ink (read-only, cached)."""
    return _compose(text, path, index, size, spacing)[0]


def draw_glyphs(
    text: str, path: str, index: int, size: float, spacing: float = 0.0
) -> tuple[np.ndarray, tuple[GlyphBox | None, ...]]:
    """``draw_text``, and where each character's ink landed in it (None: no ink, a space)."""
    drawn, placed, origin, scale = _compose(text, path, index, size, spacing)
    if drawn.size == 0:
        return drawn, ()
    x0, y0 = origin
    sx, sy = scale
    boxes = tuple(
        None
        if p is None
        else ((p[1] - x0) * sx, (p[2] - y0) * sy, (p[1] - x0 + p[3]) * sx, (p[2] - y0 + p[4]) * sy)
        for p in placed
    )
    return drawn, boxes


# (glyph, x, y, width, height) at the reference size, per character (None: no ink).
_Placed = tuple[np.ndarray, int, int, int, int] | None


@functools.lru_cache(maxsize=4096)
def _compose(
    text: str, path: str, index: int, size: float, spacing: float
) -> tuple[np.ndarray, tuple[_Placed, ...], tuple[int, int], tuple[float, float]]:
    if size <= 0 or not text:
        return _EMPTY, (), (0, 0), (1.0, 1.0)
    scale = size / _REFERENCE_SIZE
    # Pen positions from the letters' advances, scaled so the whole string's advance (kerning
    # included) comes out as FreeType lays it out.
    widths = [_char_advance(ch, path, index) for ch in text]
    total = sum(widths)
    whole = _measure(text, path, index).advance
    factor = whole / total if total > 0 else 1.0
    placed: list[_Placed] = []
    pen = 0.0
    step = spacing / scale
    for ch, width in zip(text, widths, strict=True):
        glyph, dx, dy = _glyph(ch, path, index) if not ch.isspace() else (_EMPTY_GLYPH, 0, 0)
        placed.append((glyph, round(pen + dx), dy, glyph.shape[1], glyph.shape[0]) if glyph.size else None)
        pen += width * factor * _REFERENCE_SIZE + step
    inked = [p for p in placed if p is not None]
    if not inked:
        return _EMPTY, (), (0, 0), (1.0, 1.0)
    x0 = min(p[1] for p in inked)
    y0 = min(p[2] for p in inked)
    x1 = max(p[1] + p[3] for p in inked)
    y1 = max(p[2] + p[4] for p in inked)
    canvas = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    for glyph, x, y, w, h in inked:
        canvas[y - y0 : y - y0 + h, x - x0 : x - x0 + w] += glyph
    np.minimum(canvas, 255.0, out=canvas)
    target = (max(round(canvas.shape[1] * scale), 1), max(round(canvas.shape[0] * scale), 1))
    resized = cv2.resize(canvas, target, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    drawn: np.ndarray = np.asarray(resized, dtype=np.float32) * np.float32(1.0 / 255.0)
    drawn.flags.writeable = False
    ratio = (target[0] / canvas.shape[1], target[1] / canvas.shape[0])
    return drawn, tuple(placed), (x0, y0), ratio


_EMPTY_GLYPH = np.zeros((0, 0), dtype=np.uint8)
_EMPTY = np.zeros((0, 0), dtype=np.float32)
_EMPTY.flags.writeable = False


@functools.lru_cache(maxsize=8192)
def _char_advance(ch: str, path: str, index: int) -> float:
    kept = _sheet(path, index).advances.get(ch)
    return kept if kept is not None else _draw_advance(ch, path, index)


def _draw_advance(ch: str, path: str, index: int) -> float:
    return float(_font(path, index, 100.0).getlength(ch)) / 100.0


# --- glyph sheets ----------------------------------------------------------------------------
# Printable ASCII holds nearly every character of a Latin page's lines. A face's glyphs, ink boxes
# and advances for it are drawn once (about 20 ms) and kept on disk beside the converted web fonts:
# a fresh worker, and its helper, otherwise drew them again line by line for every face its first
# pages tried, a quarter of a second of a 1280x1600 page's analysis. Other characters are drawn on
# demand as before. A sheet holds exactly what drawing gives (the page comes out the same).
_SHEET_CHARS = "".join(chr(c) for c in range(32, 127))
_SHEET_VERSION = "1"


@dataclass(frozen=True)
class _Sheet:
    glyphs: dict[str, tuple[np.ndarray, int, int]]
    boxes: dict[str, tuple[float, float, float, float]]
    advances: dict[str, float]


@functools.lru_cache(maxsize=512)
def _sheet(path: str, index: int) -> _Sheet:
    try:
        stat = os.stat(path)
    except OSError:
        return _Sheet({}, {}, {})
    key = f"{_SHEET_VERSION}:{_SHEET_CHARS}:{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    cache = FONTS.library.cache_dir / f"glyph-sheet-{Path(path).stem}-{index}-{digest}.npz"
    try:
        with np.load(cache, allow_pickle=False) as data:
            return _unpack(data)
    except (OSError, ValueError, KeyError):
        pass
    sheet = _draw_sheet(path, index)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        _save(tmp, sheet)
        tmp.replace(cache)
    except OSError as exc:
        # Only time is lost (the next process draws the sheet again): not a warning per face.
        log.debug("could not cache a glyph sheet in %s: %s", cache.parent, exc)
    return sheet


def _draw_sheet(path: str, index: int) -> _Sheet:
    return _Sheet(
        {ch: _draw_glyph(ch, path, index) for ch in _SHEET_CHARS},
        {ch: _draw_glyph_box(ch, path, index) for ch in _SHEET_CHARS},
        {ch: _draw_advance(ch, path, index) for ch in _SHEET_CHARS},
    )


def _save(target: Path, sheet: _Sheet) -> None:
    chars = list(sheet.glyphs)
    bitmaps = [sheet.glyphs[ch][0] for ch in chars]
    np.savez_compressed(
        target,
        chars=np.array(chars),
        pixels=np.concatenate([b.ravel() for b in bitmaps]) if bitmaps else np.zeros(0, np.uint8),
        shapes=np.array([b.shape for b in bitmaps], dtype=np.int64).reshape(-1, 2),
        offsets=np.array([sheet.glyphs[ch][1:] for ch in chars], dtype=np.int64).reshape(-1, 2),
        boxes=np.array([sheet.boxes[ch] for ch in chars], dtype=np.float64).reshape(-1, 4),
        advances=np.array([sheet.advances[ch] for ch in chars], dtype=np.float64),
    )


def _unpack(data: Any) -> _Sheet:
    chars = [str(ch) for ch in data["chars"]]
    pixels, shapes, offsets = data["pixels"], data["shapes"], data["offsets"]
    boxes, advances = data["boxes"], data["advances"]
    glyphs: dict[str, tuple[np.ndarray, int, int]] = {}
    start = 0
    for i, ch in enumerate(chars):
        h, w = int(shapes[i, 0]), int(shapes[i, 1])
        bitmap = np.ascontiguousarray(pixels[start : start + h * w].reshape(h, w))
        start += h * w
        glyphs[ch] = (bitmap, int(offsets[i, 0]), int(offsets[i, 1]))
    return _Sheet(
        glyphs,
        {
            ch: (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
            for ch, b in zip(chars, boxes, strict=True)
        },
        {ch: float(a) for ch, a in zip(chars, advances, strict=True)},
    )


@functools.lru_cache(maxsize=512)
def _font(path: str, index: int, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=max(size, 1.0), index=index)


@functools.lru_cache(maxsize=16384)
def _measure(text: str, path: str, index: int) -> Measure:
    # From per-glyph boxes (cached) rather than a layout of the whole string: the advance is the
    # only thing that needs the layout (kerning); the ink starts and ends at the first and last
    # glyphs' own ink (side bearings: a tenth of an em on "S...y"), placed by their advances.
    font = _font(path, index, 100.0)
    ascent, descent = _metrics(path, index)
    advance = font.getlength(text) / 100.0
    inked = [i for i, ch in enumerate(text) if not ch.isspace()]
    if not inked:
        return Measure(0.0, 0.0, advance, 0.0, advance, ascent, descent)
    widths = [_char_advance(ch, path, index) for ch in text]
    factor = advance / sum(widths) if sum(widths) > 0 else 1.0
    boxes = [_glyph_box(text[i], path, index) for i in inked]
    first, last = inked[0], inked[-1]
    return Measure(
        ink_left=sum(widths[:first]) * factor + boxes[0][0],
        ink_top=min(b[1] for b in boxes),
        ink_right=sum(widths[:last]) * factor + boxes[-1][2],
        ink_bottom=max(b[3] for b in boxes),
        advance=advance,
        ascent=ascent,
        descent=descent,
    )


@functools.lru_cache(maxsize=256)
def _metrics(path: str, index: int) -> tuple[float, float]:
    ascent, descent = _font(path, index, 100.0).getmetrics()
    return ascent / 100.0, descent / 100.0


def has_cjk(text: str) -> bool:
    return any(
        "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef" for ch in text
    )


def shape_similarity(
    alpha: np.ndarray, text: str, face: FontFace, weight: int | bool, size: float, spacing: float = 0.0
) -> float:
    """Correlation (-1..1) of the observed ink with ``text`` drawn in this face, both in one box."""
    return similarity(alpha, draw_text(text, _path(face, weight), face.index, size, spacing))


def similarity(alpha: np.ndarray, drawn: np.ndarray) -> float:
    """Correlation of two ink crops after the drawn one is scaled onto the observed one's box.

    A light blur first: Chromium and FreeType place glyph edges a fraction of a pixel apart, and
    that should not count against a face; stroke shapes, serifs and proportions still do.
    """
    if drawn.size == 0 or alpha.size == 0:
        return 0.0
    height, width = alpha.shape
    if height < 2 or width < 2:
        return 0.0
    scale = min(1.0, 32.0 / height)  # large headings: compare at 32 px, plenty to tell faces apart
    target = (max(round(width * scale), 2), max(round(height * scale), 2))
    a: np.ndarray = alpha.astype(np.float32)
    if scale < 1.0:
        a = np.asarray(cv2.resize(a, target, interpolation=cv2.INTER_AREA))
    shrink = drawn.shape[0] > target[1]
    b = np.asarray(cv2.resize(drawn, target, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR))
    a = np.asarray(cv2.GaussianBlur(a, (0, 0), 0.7))
    b = np.asarray(cv2.GaussianBlur(b, (0, 0), 0.7))
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def looks_italic(alpha: np.ndarray, text: str, fit: FontFit) -> bool:
    """Whether the ink of ``text`` matches the fitted face's italic clearly better than its upright.

    Both are drawn and compared by glyph shape, as the font fit compares faces: a slant is what
    differs, and correlation sees it across the whole line. "Clearly": an upright line must never
    come out slanted, so the margin is wide.
    """
    if fit.face is None or alpha.size == 0 or len(text.replace(" ", "")) < 3 or fit.face.script != "latin":
        return False
    italic = FONTS.path(fit.face, fit.weight, italic=True)
    if italic is None:
        return False
    upright = similarity(alpha, draw_text(text, _path(fit.face, fit.weight), fit.face.index, fit.size))
    slanted = similarity(alpha, draw_text(text, italic, fit.face.index, fit.size))
    return slanted > upright + 0.06


class FontUses:
    """The web faces a page sets text in, with the characters each draws: what it must embed."""

    def __init__(self) -> None:
        self._chars: dict[tuple[FontFace, int, bool], set[str]] = {}

    def add(self, fit: FontFit, text: str, italic: bool = False) -> None:
        if fit.face is not None and fit.face.web:
            self._chars.setdefault((fit.face, fit.weight, italic), set()).update(text)

    def css(self) -> str:
        """``@font-face`` rules carrying each face, cut to its characters, as a WOFF2 data: URI.

        System faces need none: the browser that renders the page has them (and their stacks
        name the common equivalents elsewhere).
        """
        uses = sorted(self._chars.items(), key=lambda item: (item[0][0].family, item[0][1], item[0][2]))
        # Subsetting takes 50-130 ms a font: the worker's helper takes half (cpu_split).
        jobs = [(face, weight, italic, "".join(sorted(chars))) for (face, weight, italic), chars in uses]
        return "\n".join(rule for rule in split_map(_face_rule, jobs) if rule is not None)


def _face_rule(job: tuple[FontFace, int, bool, str]) -> str | None:
    return font_face_rule(*job)


def font_face_rule(face: FontFace, weight: int, italic: bool, chars: str) -> str | None:
    """An ``@font-face`` rule carrying web face ``face`` at ``weight`` cut to ``chars``, as a WOFF2
    data: URI (None: the face has no file for it)."""
    from .webfonts import subset_data_uri

    source = face.source(weight, italic) or face.source(weight)
    if source is None:
        return None
    uri = subset_data_uri(source, chars)
    style = "italic" if italic and face.source(weight, True) is not None else "normal"
    return (
        f'@font-face{{font-family:"{face.family}";font-style:{style};font-weight:{weight};'
        f'font-display:block;src:url({uri}) format("woff2")}}'
    )
