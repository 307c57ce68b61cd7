"""OCR lines -> measured text lines (ink box, color, font). Grouping them into paragraphs and
making a page's typography consistent is paragraphs.py's.

OCR gives a string and a loose box. The ink inside the box gives the rest: where the glyphs really
are, their color, and (with fonts.fit_font) the font family, weight and size. OCR also merges words
that sit far apart (a row of nav links) and drops spaces in tight text; both are repaired from the
gaps in the ink.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from ...cpu_split import split_map
from ...models import RGB, Box
from ...ocr import OcrLine
from .fontfit import Sample, choose_palette, fit_font
from .fonts import FONTS, FontFace, FontFit, has_cjk, shape_similarity
from .letters import restore_letters
from .model import TextLine
from .proofread import capital_words, capitals_by_ink, drop_doubled_capital, latin_punctuation, proofread
from .readings import reread_marks, trailing_dot
from .regions import edge_pixels, fill_holes, mode_color, tile_middle
from .smallcaps import small_caps, small_caps_fit
from .spacing import (
    empty_runs,
    ink_runs,
    lost_symbol,
    respace,
    slant,
    solid_triangle,
    triangle_way,
    upright_columns,
)
from .tails import Recognize, read_tails


class IconCheck(Protocol):
    """Whether an RGB crop (on this background color) that OCR read as this word is really an
    icon; ``margin``: by how much the icon must explain the crop better than the word does (None:
    the check's own choice)."""

    def __call__(
        self, crop: np.ndarray, background: RGB, word: str, margin: float | None = None, /
    ) -> bool: ...


# A letter OCR read for an icon set 2 px before its label (a speech bubble read as the "D" of
# "D3" for "3 comments"): the icon must out-correlate the letter's own glyph by this much, where
# an icon read as a symbol only needs icons.TEXT_MARGIN. Measured on tw_kanban's bubble: 0.99 for
# the icon, 0.64 for a "D".
_LETTER_ICON_MARGIN = 0.2
# An end cluster this like its word's end letter (either case) in the fitted face is that letter.
_OWN_LETTER = 0.7
# A piece whose reading fits no system face better than this gets a second look (_second_look).
_SECOND_LOOK_ERROR = 0.3


def _rgb(color: np.ndarray) -> RGB:
    r, g, b = (round(float(v)) for v in color[:3])
    return (r, g, b)


class _Ink:
    """The ink of one OCR box: contrast map against the local background, and the faces (the
    page's palette; None: all) its text may be set in."""

    def __init__(self, rgb: np.ndarray, box: Box, faces: tuple[FontFace, ...] | None = None) -> None:
        self.faces = faces
        height, width = rgb.shape[:2]
        self.x0 = max(math.floor(box.x) - 2, 0)
        self.y0 = max(math.floor(box.y) - 2, 0)
        self.x1 = min(math.ceil(box.right) + 2, width)
        self.y1 = min(math.ceil(box.bottom) + 2, height)
        crop = rgb[self.y0 : self.y1, self.x0 : self.x1].astype(np.int16)
        self.crop = crop
        ring = edge_pixels(crop)
        self._measure_against(mode_color(ring))
        # The text may stand on a faint tint the box reaches past (an event chip's indigo-50 in
        # a white calendar cell): the tint, below the ink threshold, still counted as a tenth of
        # ink in every pixel, and the font fit took the text for bold. The ground is then the
        # tint that holds most of what is not ink.
        ground = crop[~self.mask][::3]  # (a third of them tells the commonest colour)
        if len(ground) >= 50:
            tint = mode_color(ground)
            gap = float(np.abs(tint - self.background).max())
            near = float((np.abs(ground - tint).max(axis=1) <= 6).mean())
            if 4 < gap < self.threshold and near >= 0.6:
                self._measure_against(tint)
        # Keys drawn round a letter or two inside the line (key_outlines): crop coordinates
        # x0, y0, x1, y1, found as their outlines leave the ink.
        self.frames: list[tuple[int, int, int, int]] = []
        # Filled badges among them (find_pills), with the number of words each holds.
        self.pills: dict[tuple[int, int, int, int], int] = {}
        self._drop_frame_lines()
        self._drop_chip_outlines()
        self._drop_key_outlines()
        self._find_pills()
        self._drop_neighbour_ink(
            math.floor(box.y) - self.y0, math.ceil(box.bottom) - self.y0, self._runs_on(rgb)
        )
        self.gain = self._color_gain()

    def _measure_against(self, background: np.ndarray) -> None:
        """Distance, contrast, threshold and mask of the crop's ink against ``background``."""
        self.background = background
        self.distance = np.abs(self.crop - background).max(axis=2).astype(np.float32)
        peak = float(np.percentile(self.distance, 99.5)) if self.distance.size else 0.0
        self.contrast = max(peak, 1.0)
        self.threshold = max(0.2 * peak, 14.0)
        self.mask = self.distance > self.threshold

    def _runs_on(self, rgb: np.ndarray) -> tuple[bool, bool]:
        """Whether the crop's first (last) row of ink goes on past its top (bottom) edge: ink in
        the same columns of the image's row just outside it."""
        out: list[bool] = []
        for inside, outside in ((0, self.y0 - 1), (self.mask.shape[0] - 1, self.y1)):
            if not 0 <= outside < rgb.shape[0]:
                out.append(False)
                continue
            row = np.abs(rgb[outside, self.x0 : self.x1].astype(np.int16) - self.background).max(axis=1)
            out.append(bool(np.any((row > self.threshold) & self.mask[inside])))
        return out[0], out[1]

    def _color_gain(self) -> np.ndarray:
        """Per column, how much to strengthen the ink so that words set in a lighter colour than
        the line's strongest (a grey snippet after a dark subject, a grey rating after orange
        stars) cover their glyphs fully, as the same words in the dark colour would: coverage measured
        against the darkest ink made grey words look thin, and the font fit took them for a
        lighter or another face. Words, not marks: a dash's or a period's antialiased pixels are
        weaker than a stroke's in any colour, and take the strength of the word beside them."""
        gain = np.ones(self.mask.shape[1], np.float32)
        rows = np.flatnonzero(self.mask.any(axis=1))
        if len(rows) == 0:
            return gain
        height = int(rows[-1] - rows[0] + 1)
        segments = _segments(self, 0, self.mask.shape[1], 2.0)
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        words: list[tuple[int, int, float, RGB]] = []  # wide segments: span, gain, colour
        narrow = [(a, b) for a, b in segments if b - a < max(4, 0.5 * height)]
        for a, b in segments:
            tall = np.flatnonzero(self.mask[:, a:b].any(axis=1))
            if (a, b) in narrow or len(tall) == 0 or tall[-1] - tall[0] + 1 < 0.5 * height:
                continue  # a dash's one antialiased row is weak in any colour
            inked = self.distance[:, a:b][self.mask[:, a:b]]
            peak = float(np.percentile(inked, 99.5)) if inked.size else 0.0
            if self.threshold < peak < 0.8 * self.contrast:
                gain[a:b] = self.contrast / peak
                words.append((a, b, self.contrast / peak, self.color(a, top, b, bottom)))
        # A period, a middle dot, a comma between words of the lighter colour is in their colour:
        # it takes their strength (left alone, "4.2 · 318" in grey lost its dot's spaces).
        for a, b in narrow:
            if not words:
                break
            near = min(words, key=lambda w: min(abs(w[0] - b), abs(a - w[1])))
            color = self.color(a, top, b, bottom)
            if (
                min(abs(near[0] - b), abs(a - near[1])) <= height
                and max(abs(p - q) for p, q in zip(color, near[3], strict=True)) <= 60
            ):
                gain[a:b] = near[2]
        return gain

    def _drop_neighbour_ink(self, top: int, bottom: int, runs_on: tuple[bool, bool] = (False, False)) -> None:
        """Descenders of the line above (ascenders of the one below) that reach into OCR's box:
        a cluster of rows at the box's edge, cut off from the text by an empty row, and thin
        beside the text, or as tall as the text where it goes on past the crop (``runs_on``, see
        ``_runs_on``: bulma_landing_app's "Download on the" at 11 px over "App Store" at 16 px,
        whose capitals reached 6 rows into its box, took them for its own and came out 25 px).
        Only beside a line of text, at least three times as wide as tall: a lone digit's ring
        goes on past its crop too, and is the digit's holder (split_discs)."""
        cols = np.flatnonzero(self.mask.any(axis=0))
        text_line = len(cols) > 0 and cols[-1] - cols[0] + 1 >= 3 * (self.y1 - self.y0 - 4)
        above, below = (1.0 if runs and text_line else 0.4 for runs in runs_on)
        filled = self.mask.any(axis=1)
        rows = np.flatnonzero(filled)
        if len(rows) < 4:
            return
        blank = np.flatnonzero(~filled[rows[0] : rows[-1] + 1]) + rows[0]
        if len(blank) == 0:
            return
        first_blank, last_blank = int(blank[0]), int(blank[-1])
        # Above: the cluster starts at or above the box's top edge and is thin beside the body.
        if rows[0] <= top and first_blank - rows[0] <= above * max(rows[-1] - last_blank, 1):
            self.mask[:first_blank] = False
        filled = self.mask.any(axis=1)
        rows = np.flatnonzero(filled)
        if len(rows) < 4:
            return
        blank = np.flatnonzero(~filled[rows[0] : rows[-1] + 1]) + rows[0]
        if len(blank) and rows[-1] >= bottom - 1:
            last_blank = int(blank[-1])
            if rows[-1] - last_blank <= below * max(last_blank - rows[0], 1):
                self.mask[last_blank + 1 :] = False

    def _drop_frame_sides(self) -> None:
        """With a frame's edge dropped, the rounded ends of an outlined pill the line sits in
        (daisy_landing's "⚡ New: AI summaries…" badge): thin curves at the crop's left and right
        borders, which made the line's ink as tall as the pill and took in the bolt beside them
        (Poppins 100 at 21.5 px for 500 at 14)."""
        mask = self.mask
        h, w = mask.shape
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for n in range(1, count):
            x, _y, cw, ch, area = (int(v) for v in stats[n])
            if (x <= 2 or x + cw >= w - 2) and area <= 2.5 * max(cw, ch) and cw <= 0.6 * h:
                mask[labels == n] = False

    def _drop_frame_lines(self) -> None:
        """Box outlines that cross the OCR box are not ink: drop full-width rows and full-height columns."""
        h, w = self.mask.shape
        if h == 0 or w == 0:
            return
        rows = self.mask.mean(axis=1) > 0.92
        cols = self.mask.mean(axis=0) > 0.92
        # Keep a long run in the text's middle: that is an underline or strike, not a frame.
        framed = False
        for y in range(h):
            if rows[y] and (y < 3 or y >= h - 3):
                self.mask[y] = False
                framed = True
        if framed:
            self._drop_frame_sides()
        for x in range(w):
            if cols[x] and (x < 3 or x >= w - 3):
                self.mask[:, x] = False
        # A box drawn round the text inside OCR's box (a segmented control's outline, OCR reading
        # its segments as one line): a full row above the text and one below it are the box's
        # edges, and the columns that fill the height between them its dividers. (A full row below
        # the text alone is an underline, and stays.)
        full = np.flatnonzero(self.mask.mean(axis=1) > 0.92)
        body = np.flatnonzero(self.mask.any(axis=1) & (self.mask.mean(axis=1) <= 0.92))
        if len(full) == 0 or len(body) == 0:
            return
        above, below = full[full < body[0]], full[full > body[-1]]
        if len(above) and len(below):
            top, bottom = int(above.max()), int(below.min())
            inside = self.mask[top + 1 : bottom]
            if not len(inside) or inside.mean() > 0.5:
                return  # a filled box (a badge's pill) is the text's ground: remeasure_on_fills reads it
            # Its sides and dividers run (nearly: rounded corners) from edge to edge; no glyph of
            # text set with some padding in the box does.
            sides = np.flatnonzero(inside.mean(axis=0) > 0.8)
            self.mask[:, sides] = False
            for side in sides.tolist():  # and a rounded corner's curve where a side meets the edges
                self.mask[top + 1 : top + 5, max(side - 2, 0) : side + 3] = False
                self.mask[max(bottom - 4, 0) : bottom, max(side - 2, 0) : side + 3] = False
            # The box's edges and what lies beyond them; a row just inside that holds only a
            # rounded corner's pixels goes too.
            self.mask[: top + 1] = False
            self.mask[bottom:] = False
            for row in (top + 1, bottom - 1):
                if self.mask[row].sum() <= 0.05 * w:
                    self.mask[row] = False

    def _drop_chip_outlines(self) -> None:
        """An outlined chip in part of the line (a mail's "(■ Invoices)" label before its subject)
        is no ink of its text: its edges made the line a third taller, and the font fit took them
        for glyphs (a light face at 16 px for regular text at 14). Found by its top and bottom
        edges, two long runs of ink that start and end together, with text (not a fill) between
        them; the outline's pieces (the edges, the rounded sides where they are dark enough to be
        ink) go, what stands inside stays."""
        mask = self.mask
        h = mask.shape[0]
        if h < 10:
            return
        longest = max(12.0, 0.8 * h)
        runs: list[tuple[int, int, int]] = []
        for y in range(h):
            runs += [(y, a, b) for a, b in ink_runs(mask[y]) if b - a >= longest]
        chips: list[tuple[int, int, int, int]] = []
        for y, a, b in runs:
            partners = [r for r in runs if r[0] >= y + 8 and abs(r[1] - a) <= 2 and abs(r[2] - b) <= 2]
            if not partners or any(c[1] <= y <= c[3] and abs(c[0] - a) <= 2 for c in chips):
                continue
            bottom = max(r[0] for r in partners)
            inside = mask[y + 2 : bottom - 1, a:b]
            if inside.size == 0 or inside.mean() > 0.5 or not inside.any():
                continue  # a filled box (a badge's pill) is the text's ground: remeasure_on_fills reads it
            reach = (bottom - y) // 2 + 3
            beyond = np.concatenate((mask[:, : max(a - reach, 0)], mask[:, b + reach :]), axis=1)
            if beyond.sum() < 2 * h:
                # The chip is the whole line (a shop's "包邮" tag): its outline stays with the
                # text, where the page's regions find the tag's box.
                continue
            chips.append((a, y, b, bottom))
        if not chips:
            return
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for a, top, b, bottom in chips:
            reach = (bottom - top) // 2 + 2
            band = np.zeros_like(mask)
            band[max(top - 1, 0) : top + 2, max(a - reach, 0) : b + reach] = True
            band[max(bottom - 1, 0) : bottom + 2, max(a - reach, 0) : b + reach] = True
            band[max(top - 1, 0) : bottom + 2, max(a - reach, 0) : a + 2] = True
            band[max(top - 1, 0) : bottom + 2, max(b - 2, 0) : b + reach] = True
            for n in set(labels[top, a:b].tolist()) | set(labels[bottom, a:b].tolist()):
                if n == 0:
                    continue
                part = labels == n
                if not (part & ~band).any():
                    mask[part] = False
            # the sides' own pieces where they are dark enough to be ink, apart from the edges
            for n in range(1, count):
                x, y, cw, ch = (int(v) for v in stats[n, :4])
                beside = x + cw <= a + 2 or x >= b - 2
                if (
                    not beside
                    or y < top - 1
                    or y + ch > bottom + 2
                    or ch < 0.5 * (bottom - top)
                    or cw > reach + 1
                ):
                    continue
                part = labels == n
                if not (part & ~band).any():
                    mask[part] = False

    def key_outlines(self) -> list[tuple[int, int, int, int]]:
        """Keys drawn round a letter or two in a line of text (GitHub's "Type [g] [i] on any
        issue"): faint rounded boxes (crop coordinates x0, y0, x1, y1), taller than the text
        beside them. Their edges sit at the ink threshold, some pieces over it and some under, so
        they are found on a weaker mask: one piece of ink whose pixels line all four sides of its
        box (a circle's only touch them in the middle), with ink inside it that does not touch
        it (a key's letter, not a check mark drawn into a box's fill)."""
        h = self.mask.shape[0]
        if h < 12:
            return []
        weak = (self.distance > max(12.0, 0.35 * self.threshold)).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
        keys: list[tuple[int, int, int, int]] = []
        for n in range(1, count):
            x, y, cw, ch, area = (int(v) for v in stats[n])
            if ch < 10 or ch < 0.5 * h or not 0.6 * ch <= cw <= 4 * ch or area > 0.5 * cw * ch:
                continue
            ring = labels[y : y + ch, x : x + cw] == n
            lined = (
                ring[:2].any(axis=0).mean(),
                ring[-2:].any(axis=0).mean(),
                ring[:, :2].any(axis=1).mean(),
                ring[:, -2:].any(axis=1).mean(),
            )
            if min(lined) < 0.7:
                continue
            inner = self.mask[y + 3 : y + ch - 3, x + 3 : x + cw - 3]
            touching = (labels[y + 2 : y + ch - 2, x + 2 : x + cw - 2] == n) & self.mask[
                y + 2 : y + ch - 2, x + 2 : x + cw - 2
            ]
            if not inner.any() or inner.mean() > 0.5 or touching[1:-1, 1:-1].any():
                continue
            keys.append((x, y, x + cw, y + ch))
        if not keys:
            return []
        rest = self.mask.copy()
        for x0, _y0, x1, _y1 in keys:
            rest[:, x0:x1] = False
        # The text's rows: where it has a fair share of its ink (an icon's outline beside it, as
        # tall as the keys, has only a pixel or two in each row).
        counts = rest.sum(axis=1)
        rows = np.flatnonzero(counts >= max(0.15 * counts.max(), 1))
        if len(rows) == 0:
            return []
        return [k for k in keys if k[1] < rows[0] - 1 and k[3] > rows[-1] + 2]

    def _drop_key_outlines(self) -> None:
        """A key's outline (see key_outlines) is no ink of the line: it made GitHub's "ProTip"
        line a third taller than its text, and the font fit set it half again too big. Its ring
        goes, the letter inside stays."""
        keys = self.key_outlines()
        self.frames += keys
        for x0, y0, x1, y1 in keys:
            ring = np.ones((y1 - y0, x1 - x0), bool)
            ring[3:-3, 3:-3] = False
            self.mask[y0:y1, x0:x1][ring] = False

    def _find_pills(self) -> None:
        """Filled badges inside the line ("Annual [-25%]", a countdown's "[02] : [15] : [39]"):
        solid blocks of one flat colour, wider than tall and at least half the line's height,
        holding letters of another colour, with other ink (or badges) beside them. The line's
        mask holds each whole (its fill differs from the line's ground), and the font fit took
        the block for glyphs: the countdown was fitted at 27 px for 12. They join the frames
        (the line is cut at them); ``pills`` counts the words each holds, apart where the
        letters part by a third of its height."""
        mask = self.mask
        h = mask.shape[0]
        if h < 10:
            return
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        found: dict[tuple[int, int, int, int], int] = {}
        for n in range(1, count):
            x, y, cw, ch, _area = (int(v) for v in stats[n])
            if ch < 10 or ch < 0.5 * h or not 1.1 * ch <= cw <= 10 * ch or y == 0 or y + ch == h:
                continue  # (one running past the crop is a band or a picture behind the line)
            solid = fill_holes(labels[y : y + ch, x : x + cw] == n)
            if solid.mean() < 0.75:
                continue
            pixels = self.crop[y : y + ch, x : x + cw][solid]
            fill = mode_color(pixels, 8)
            away = np.abs(pixels - fill).max(axis=1)
            letters = np.zeros(solid.shape, bool)
            letters[solid] = away > 40
            if not 0.05 <= float(letters.mean()) <= 0.5:
                continue
            if float(np.mean(away[away <= 40] <= 16)) < 0.9:
                continue  # not one flat fill: a photo behind white words
            words = ink_runs(np.asarray(letters.any(axis=0), dtype=bool))
            parts = 1 + sum(1 for (_a, b), (c, _d) in itertools.pairwise(words) if c - b >= ch / 3)
            found[(x, y, x + cw, y + ch)] = parts if words else 0
        if not found:
            return
        rest = mask.copy()
        for x0, _y0, x1, _y1 in found:
            rest[:, x0:x1] = False
        if len(found) == 1 and rest.sum() < 2 * h:
            return  # the badge is the whole line: remeasure_on_fills reads it on its pill
        self.pills = {pill: words for pill, words in found.items() if words}
        self.frames += list(self.pills)

    def leave_neighbours(self, text: str, others: list[OcrLine]) -> None:
        """The ink of a line after this one on the same row, where OCR's two boxes overlap ("€45"
        boxed with the first letter of the "per editor / month" set after it), is that line's.
        Only at this line's right end, and only where the other box begins inside this line's
        last glyph (its padding reaches over it): the glyph is this line's, what follows its gap
        the other's, and the mask ends there. (Where both readings hold the letter there, the
        detector read it twice; _read_once sorts that out.)"""
        inked = self.mask.any(axis=0)
        width = len(inked)
        for line in others:
            other = line.box
            if line.text.strip()[:1] == text.strip()[-1:]:
                continue  # "12 months" and "s  Notify partner agencies"
            rows = min(other.bottom, self.y1) - max(other.y, self.y0)
            if rows < 0.5 * min(other.height, self.y1 - self.y0):
                continue
            a, b = math.floor(other.x) - self.x0, math.ceil(other.right) - self.x0
            if 0.5 * width < a < width <= b and inked[a]:
                gaps = empty_runs(inked[a:])
                if gaps and a + gaps[0][1] < width:
                    self.mask[:, a + gaps[0][0] :] = False

    def erase_rows(self, top: int, bottom: int, x0: int, x1: int) -> None:
        """Rows ``top..bottom`` (a strike's line) redrawn from the rows just outside them: what
        the glyphs would show there without the line, near enough for fitting and reading."""
        above, below = self.crop[top - 1, x0:x1], self.crop[bottom, x0:x1]
        span = bottom - top + 1
        for k, y in enumerate(range(top, bottom), start=1):
            self.crop[y, x0:x1] = (above * (span - k) + below * k) // span
        rows = self.crop[top:bottom, x0:x1]
        self.distance[top:bottom, x0:x1] = np.abs(rows - self.background).max(axis=2)
        self.mask[top:bottom, x0:x1] = self.distance[top:bottom, x0:x1] > self.threshold

    def bounds(self, x_from: int = 0, x_to: int | None = None) -> tuple[int, int, int, int] | None:
        """Tight ink box (crop coordinates) within the column range, or None."""
        sub = self.mask[:, x_from:x_to]
        cols = np.nonzero(sub.any(axis=0))[0]
        rows = np.nonzero(sub.any(axis=1))[0]
        if len(cols) == 0:
            return None
        return x_from + int(cols[0]), int(rows[0]), x_from + int(cols[-1]) + 1, int(rows[-1]) + 1

    def precise(self, x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float, float]:
        """Sub-pixel ink bounds: an antialiased edge row counts by how much ink it holds."""
        alpha = self.coverage(x0, y0, x1, y1)
        if alpha.size == 0:
            return float(x0), float(y0), float(x1), float(y1)
        top = y0 + 1.0 - float(alpha[0].max())
        bottom = y1 - 1.0 + float(alpha[-1].max())
        left = x0 + 1.0 - float(alpha[:, 0].max())
        right = x1 - 1.0 + float(alpha[:, -1].max())
        return left, top, right, bottom

    def coverage(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Ink coverage (0..1) of each pixel in the box."""
        return np.clip(self.distance[y0:y1, x0:x1] * self.gain[x0:x1] / self.contrast, 0.0, 1.0)

    def measure(
        self, x0: int, y0: int, x1: int, y1: int
    ) -> tuple[tuple[float, float, float, float], tuple[float, float, float, np.ndarray]]:
        """The ink in the box: its sub-pixel bounds, and what fit_font and respace read of it
        (width, height, mass, coverage)."""
        left, top, right, bottom = self.precise(x0, y0, x1, y1)
        return (left, top, right, bottom), (
            right - left,
            bottom - top,
            self.mass(x0, y0, x1, y1),
            self.coverage(x0, y0, x1, y1),
        )

    def color(self, x0: int, y0: int, x1: int, y1: int) -> RGB:
        d = self.distance[y0:y1, x0:x1]
        if d.size == 0:
            return _rgb(self.background)
        strong = d >= 0.8 * float(d.max())
        return _rgb(np.median(self.crop[y0:y1, x0:x1][strong], axis=0))

    def mass(self, x0: int, y0: int, x1: int, y1: int) -> float:
        d = self.distance[y0:y1, x0:x1] * self.gain[x0:x1]
        peak = float(d.max()) if d.size else 0.0
        if peak <= 0:
            return 0.0
        return float(np.clip(d / peak, 0, 1).sum())

    def pixels(self, x0: int, x1: int, pad: int = 2) -> np.ndarray:
        """The RGB pixels of columns x0..x1 (and ``pad`` more each side), all rows."""
        return self.crop[:, max(x0 - pad, 0) : x1 + pad].astype(np.uint8)

    def gaps(self, x0: int, x1: int, min_width: float) -> list[tuple[int, int]]:
        """Runs of ink-free columns at least ``min_width`` wide between x0 and x1."""
        cols = self.mask[:, x0:x1].any(axis=0)
        found: list[tuple[int, int]] = []
        start = None
        for i, filled in enumerate(cols):
            if not filled and start is None:
                start = i
            elif filled and start is not None:
                if i - start >= min_width:
                    found.append((x0 + start, x0 + i))
                start = None
        return found


def _char_positions(text: str, width: float, fit: FontFit | None = None) -> list[float]:
    """X offset of each character boundary within the ink (0..width), from the font's advances.

    With a fitted font the glyphs' own advances (and the ink's side bearings) place the boundaries
    within a pixel or two; without one a common sans face approximates them.
    """
    italic = False
    if fit is not None and fit.face is not None:
        face, weight, italic = fit.face, fit.weight, fit.italic
    else:
        faces = FONTS.faces_for(text) or FONTS.faces
        if not faces:
            return [width * i / max(len(text), 1) for i in range(len(text) + 1)]
        face, weight = faces[0], 400
    whole = FONTS.measure(text, face, weight, italic)
    left = whole.ink_left
    span = (whole.ink_right - left) or 1.0
    advances = FONTS.advances(text, face, weight, italic)
    return [width * (advances[i] - left) / span if i else 0.0 for i in range(len(text) + 1)]


def _split_at(text: str, cuts: list[float], width: float) -> list[str] | None:
    """Split ``text`` at the character boundaries nearest to the x offsets ``cuts``.

    A space near the cut is the boundary; failing that (OCR dropped it), a word start nearby.
    """
    positions = _char_positions(text, width)
    char = width / max(len(text), 1)
    cjk = has_cjk(text)
    pieces: list[str] = []
    last = 0
    for cut in cuts:
        near = [i for i in range(last + 1, len(text)) if abs(positions[i] - cut) <= max(1.5 * char, 4.0)]
        if not near:
            return None

        def rank(i: int, cut: float = cut) -> tuple[int, float]:
            a, b = text[i - 1], text[i]
            if a == " " or b == " ":
                kind = 0
            elif cjk or (a.islower() and b.isupper()) or (a.isalpha() != b.isalpha()) or a in ",;:.)?!":
                kind = 1
            else:
                kind = 2
            return kind, abs(positions[i] - cut)

        best = min(near, key=rank)
        pieces.append(text[last:best])
        last = best
    pieces.append(text[last:])
    pieces = [p.strip() for p in pieces]
    return pieces if all(pieces) else None


_SYMBOLS = set("√✓✔•·*-–—■□○●>»+|·@©®")
# What OCR reads for a ring-shaped icon (a status dot, a radio-like marker).
_RING_READINGS = set("Oo0Q")


# Marks whose ink is small and low or centred: a separator OCR read before an icon, not the icon.
_MARKS = set("·•-–—*|")


def _tracked(text: str, segments: list[tuple[int, int]]) -> bool:
    """Whether the line's letters stand apart, each its own cluster (tracked-out capitals, "W H Y
    S U M M I T"): an end cluster is then a letter, whatever the reading fits without it."""
    letters = len(text.replace(" ", ""))
    return letters >= 4 and len(segments) >= 0.7 * letters


def _mark_before_icon(
    ink: _Ink, seg: tuple[int, int], rest: list[tuple[int, int]], end: str, height: float
) -> tuple[int, int] | None:
    """The columns of a small mark (a middle dot, a bullet, a dash) between the line's words and
    the icon cluster ``seg`` at its ``end``: the cluster next to it, or the first piece of ``seg``
    itself where the mark stands as close to the icon as a space. None when there is none."""
    if seg[1] - seg[0] < 0.6 * height or not rest:
        return None
    pieces = _segments(ink, seg[0], seg[1], 1.0)
    inner = pieces[0] if end == "end" else pieces[-1]
    near = rest[-1] if end == "end" else rest[0]
    for candidate in ([inner] if len(pieces) >= 2 else []) + [near]:
        if _small_mark(ink, candidate, height):
            return candidate
    return None


def _small_mark(ink: _Ink, span: tuple[int, int], height: float) -> bool:
    """Whether the ink of ``span`` is a mark's: narrow and short (a dot, a bullet, a dash)."""
    bounds = ink.bounds(*span)
    return bounds is not None and span[1] - span[0] <= 0.5 * height and bounds[3] - bounds[1] <= 0.4 * height


def _segments(ink: _Ink, x0: int, x1: int, min_gap: float) -> list[tuple[int, int]]:
    """Column ranges of ink separated by gaps of at least ``min_gap``."""
    gaps = ink.gaps(x0, x1, min_gap)
    edges = [x0]
    for g0, g1 in gaps:
        edges += [g0, g1]
    edges.append(x1)
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i + 1] > edges[i]]


# What OCR reads for an icon inside a line (a paperclip as "@"), besides pictographic symbols.
_INNER_ICON_READINGS = set("@©®#&*")


def _read_inner_icons(
    ink: _Ink, text: str, span: tuple[int, int], icon_check: IconCheck | None
) -> list[tuple[str, tuple[int, int]]]:
    """``text`` cut at an inner cluster OCR read as a symbol that is an icon ("3 @1" for a speech
    bubble's count, then a paperclip and its count), the symbol and its cluster left out (the
    graphics finder finds the icon there): as ``[(text, span)]`` when there is none.

    The symbol starts a word, alone or glued to it: with a word gap (a quarter of the height)
    between each word's ink and, for a glued one, between the symbol and the rest of its word.
    """
    words = text.split()
    bounds = ink.bounds(*span)
    if icon_check is None or bounds is None or has_cjk(text) or len(words) < 2:
        return [(text, span)]
    x0, y0, x1, y1 = bounds
    height = y1 - y0
    segments = _segments(ink, x0, x1, max(0.25 * height, 2.0))
    fit: FontFit | None = None
    for w in range(1, len(words)):
        symbol, glued = words[w][0], len(words[w]) > 1
        stroke = words[w] in _STROKE_READINGS
        if symbol not in _INNER_ICON_READINGS and unicodedata.category(symbol) != "So" and not stroke:
            continue
        if not glued and w == len(words) - 1:
            continue  # the symbol ends the line: _strip_icons' to judge
        # Counted from the end, one cluster a word (the start may hold more: an icon of its own).
        k = len(segments) - (len(words) - w) - glued
        if k < w or k + 1 >= len(segments):
            continue
        seg = segments[k]
        if seg[1] - seg[0] > 1.6 * height:
            continue
        if stroke:
            fit = fit or _fit_span(ink, text, span)
            if not _taller_than_glyph(ink, seg, symbol, fit):
                continue
        elif not icon_check(ink.pixels(seg[0], seg[1], pad=1), _rgb(ink.background), symbol):
            continue
        before = (" ".join(words[:w]), (span[0], segments[k - 1][1]))
        after = " ".join(([words[w][1:]] if glued else []) + words[w + 1 :])
        return [before, *_read_inner_icons(ink, after, (segments[k + 1][0], span[1]), icon_check)]
    return [(text, span)]


# A lone upright stroke OCR read for an icon of one (primer's milestone octicon, a bar with a
# ring on it, read "I"). "|" is left out: a pipe is as tall as the line's ascenders and descenders.
_STROKE_READINGS = {"I", "l", "1"}
# How much taller than the character OCR read a stroke's ink is, at the line's fitted size, when
# it is no such character: a stroke 1.3x a capital's height is an icon's (the octicon measures 1.44
# times an "I").
_TALLER = 1.3


def _taller_than_glyph(ink: _Ink, seg: tuple[int, int], char: str, fit: FontFit | None) -> bool:
    """Whether the ink of ``seg`` stands clearly taller than ``char`` in the line's fitted face
    and size: no such character, whatever OCR read."""
    bounds = ink.bounds(*seg)
    if fit is None or fit.face is None or bounds is None:
        return False
    glyph = FONTS.measure(char, fit.face, fit.weight, fit.italic).ink_height * fit.size
    return bounds[3] - bounds[1] > _TALLER * glyph


def _unread_inner(ink: _Ink, text: str, span: tuple[int, int]) -> list[tuple[str, tuple[int, int]]]:
    """``text`` cut at the inner clusters of ink OCR read nothing for (a gear icon between two nav
    links, "Audience ⚙ Settings"), the clusters left out: as ``[(text, span)]`` when none.

    The line's ink clusters (gaps of a quarter of its height) are matched to OCR's words in
    order, every way one or two clusters more than words allow: a narrow inner cluster left out,
    a narrow end cluster left out (``_strip_icons`` decides on those), or a cluster taken as part
    of the word before it (a space OCR dropped). Each way is judged by how much each word's ink
    looks like the word drawn in a common face; an inner cluster is left out only when that way
    explains the ink clearly better than every way that reads all inner clusters as letters.
    """
    bounds = ink.bounds(*span)
    words = text.split()
    if bounds is None or has_cjk(text) or len(words) < 2:
        return [(text, span)]
    x0, y0, x1, y1 = bounds
    height = y1 - y0
    segments = _segments(ink, x0, x1, max(0.25 * height, 2.0))
    extra = len(segments) - len(words)
    if not 1 <= extra <= 2 or len(segments) > 12:
        return [(text, span)]
    faces = FONTS.faces_for(text)
    if not faces:
        return [(text, span)]
    face = faces[0]
    # Each word counts by its drawn width, whatever ink a way gives it (a way that hands a long
    # word a lone digit's cluster must not count it as little as that cluster).
    drawn = [FONTS.measure(word, face, 400).advance for word in words]
    narrow = [b - a <= 1.6 * height for a, b in segments]
    last = len(segments) - 1
    looks: dict[tuple[int, int, int], float] = {}

    def look(word: int, first: int, final: int) -> float:
        key = (word, first, final)
        if key not in looks:
            box = ink.bounds(segments[first][0], segments[final][1])
            looks[key] = 0.0
            if box is not None:
                bx0, by0, bx1, by1 = box
                alpha = ink.coverage(bx0, by0, bx1, by1)
                looks[key] = shape_similarity(alpha, words[word], face, 400, max(by1 - by0, 6) / 0.75)
        return looks[key]

    ways: list[tuple[float, tuple[str, ...]]] = []
    for chosen in itertools.combinations(range(len(segments)), extra):
        for kinds in itertools.product("dcu", repeat=extra):
            labels = ["w"] * len(segments)
            for k, kind in zip(chosen, kinds, strict=True):
                labels[k] = kind
            # d: an inner cluster left out; u: an end one; c: part of the word before it.
            if any(
                (label == "d" and not (0 < k < last and narrow[k]))
                or (label == "u" and not (k in (0, last) and narrow[k]))
                or (label == "c" and (k == 0 or labels[k - 1] in "du"))
                for k, label in enumerate(labels)
            ):
                continue
            score = 0.0
            weight = 0.0
            word = -1
            first = final = -1
            for k, label in enumerate([*labels, "w"]):
                if label == "w":
                    if word >= 0:
                        score += drawn[word] * look(word, first, final)
                        weight += drawn[word]
                    word += 1
                    first = final = k
                elif label == "c":
                    final = k
            ways.append((score / max(weight, 1.0), tuple(labels)))

    def clearly(test: Callable[[tuple[str, ...]], bool]) -> tuple[str, ...] | None:
        """The best way that passes ``test``, if it explains the ink clearly better than any other."""
        yes = [w for w in ways if test(w[1])]
        no = [w for w in ways if not test(w[1])]
        if not yes:
            return None
        score, labels = max(yes)
        if score < 0.6 or (no and max(no)[0] + 0.1 > score):
            return None
        return labels

    chosen_labels = clearly(lambda labels: "d" in labels)
    if chosen_labels is None:
        # An end cluster read as letters of a word that looks clearly more like itself without
        # it ("ti dewater": a repo icon before "tidewater", in a line of three styles that no
        # one font fits) is left out too, unless it is a symbol OCR left out of its string.
        for k in (0, last):

            def left_out(labels: tuple[str, ...], k: int = k) -> bool:
                return labels[k] == "u" and "d" not in labels

            if clearly(left_out) is None:
                continue
            kept = (segments[1][0], span[1]) if k == 0 else (span[0], segments[-2][1])
            if _lost_symbol(ink, text, segments[k], kept) is None:
                span = kept
        return [(text, span)]
    pieces: list[tuple[str, tuple[int, int]]] = []
    start_x, index, current = span[0], 0, []
    for k, label in enumerate(chosen_labels):
        if label == "w":
            current.append(words[index])
            index += 1
        elif label == "d":
            pieces.append((" ".join(current), (start_x, segments[k][0])))
            start_x, current = segments[k][1], []
    pieces.append((" ".join(current), (start_x, span[1])))
    return [(t, s) for t, s in pieces if t]


def _strip_icons(
    ink: _Ink,
    text: str,
    x0: int,
    x1: int,
    height: float,
    keep: tuple[str, ...] = (),
    icon_check: IconCheck | None = None,
) -> tuple[str, int, int]:
    """Drop icons OCR boxed with the text: an end cluster read as a symbol, or one the string does
    not account for (an icon of another color, or a "©" OCR left out: that one is added back).
    ``keep``: ends ("start", "end") cut from a neighbouring piece of the same line, not icons.
    ``icon_check(crop, background, word)``: whether an end cluster OCR read as ``word`` is an icon."""
    if icon_check is not None:
        coarse = _segments(ink, x0, x1, max(0.25 * height, 2.0))
        text, x0, x1, _rest = _strip_icon_ends(ink, text, (x0, x1), height, keep, coarse, icon_check)
        # An icon may sit closer to its label than words to each other ("①2 mins"): at 2 px
        # gaps only a symbol OCR read for it is looked at, never a letter of the word.
        fine = _segments(ink, x0, x1, 2.0)
        text, x0, x1, _rest = _strip_icon_ends(ink, text, (x0, x1), height, keep, fine, icon_check, True)
        text, x0, x1 = _glued_icon(ink, text, (x0, x1), keep, icon_check)
    # Ideographs stand 1-2 px apart, closer than Latin words: a CJK line's icon is set off by less.
    cjk = has_cjk(text)
    segments = _segments(ink, x0, x1, max((0.2 if cjk else 0.25) * height, 2.0))
    if len(segments) < 2:
        return text, x0, x1
    main = max(segments, key=lambda s: s[1] - s[0])
    rows = ink.mask.shape[0]
    main_color = ink.color(main[0], 0, main[1], rows)
    for end in ("start", "end"):
        if len(segments) < 2:
            break
        if end in keep:
            continue
        seg, rest = (segments[0], segments[1:]) if end == "start" else (segments[-1], segments[:-1])
        if seg[1] - seg[0] > 1.6 * height:
            continue
        symbol = text[:1] if end == "start" else text[-1:]
        color = ink.color(seg[0], 0, seg[1], rows)
        contrast = max(abs(a - b) for a, b in zip(color, main_color, strict=True))
        differs = contrast > 90
        kept = (rest[0][0], x1) if end == "start" else (x0, rest[-1][1])
        remainder = text[1:].lstrip() if end == "start" else text[:-1].rstrip()
        # "©" (which OCR reads as "@") is text, not an icon, when a glyph of the line's font
        # draws it; the proofreader decides between the look-alikes later.
        if symbol in "@©®" and remainder and _text_symbol(ink, remainder, seg, kept):
            continue
        # A round icon in its own colour ahead of its label (an "open" status ring) is read as
        # "O": a lone letter of another colour than the line is that icon, not a word.
        # OCR may read the ring with the word's own first letter, as one word ("Ooffline" for a
        # red dot before "Offline").
        ring = (
            end == "start"
            and differs
            and symbol in _RING_READINGS
            and (text[1:2] == " " or (text[1:2].lower() == "o" and len(text.split(" ")[0]) >= 3))
        )
        # A symbol set close to the digit or letter beside it ("+2.81%" in a monospace face, where
        # the "." stands apart): the cluster holds both, and the text goes on in it.
        beside = text[1:2] if end == "start" else text[-2:-1]
        if beside and _wordlike(beside) and len(_segments(ink, seg[0], seg[1], 1.0)) >= 2:
            continue
        if end == "end" and symbol in _MARKS and _small_mark(ink, seg, height):
            continue  # the mark OCR read is this cluster itself ("2 hours ago ·"), not an icon
        if end == "end" and symbol.isalnum() and _small_mark(ink, seg, height):
            whole = ink.bounds(x0, x1)
            if whole is not None and trailing_dot(ink.coverage(*whole)):
                text = f"{text} \u00b7"  # a middle dot OCR left out, before an icon cut away
                continue
        if symbol in _SYMBOLS or ring or (end == "start" and differs and not symbol.isalnum()):
            # OCR read the icon as a character: drop both.
            text = text[1:].lstrip() if end == "start" else text[:-1].rstrip()
        elif cjk and contrast > 70:
            # An icon of its own colour beside Chinese text ("口家居家装" for a house icon): the
            # Latin tests below measure words, which Chinese text has none of.
            reading = _cjk_icon_reading(ink, text, seg, kept, end)
            if reading is None:
                continue
            text = reading
        elif (
            not cjk
            and len(text) >= 3
            and not _tracked(text, segments)
            and _explains_better(ink, text, (x0, x1), kept, seg, end)
        ):
            lost = _lost_symbol(ink, text, seg, kept)
            if lost is not None:
                text = f"{lost} {text}" if end == "start" else f"{text} {lost}"
                continue
        else:
            continue
        x0, x1 = kept
        segments = rest
    return text, x0, x1


# What OCR reads for an arrow or chevron icon set against its label ("Continue→" read "Continue>").
_ARROW_READINGS = set("<>«»‹›←→")


def _glued_icon(
    ink: _Ink, text: str, span: tuple[int, int], keep: tuple[str, ...], icon_check: IconCheck
) -> tuple[str, int, int]:
    """``text`` and its ink's span without an arrow icon that touches the word beside it, which
    OCR read as an arrow character glued to the word ("Continue>" for bulma's "Continue →" with
    the arrow's shaft touching the "e").

    No gap parts the two, so the word's own width says where the icon begins: the rest of the
    string measured in the face fitted to the whole line. The ink past that column (or before
    it, at the start) is the icon when the icon index explains it better than the character OCR
    read; the cut is tried a few pixels either side of the measured one, nearest first."""
    x0, x1 = span
    for end in ("start", "end"):
        symbol, beside = (text[:1], text[1:2]) if end == "start" else (text[-1:], text[-2:-1])
        if end in keep or symbol not in _ARROW_READINGS or not beside.isalnum():
            continue
        rest = text[1:] if end == "start" else text[:-1]
        fit = _fit_span(ink, text, (x0, x1))
        if fit is None or fit.face is None:
            continue
        words = FONTS.measure(rest, fit.face, fit.weight, fit.italic).ink_width * fit.size
        words += fit.letter_spacing * (len(rest) - 1)
        measured = x0 + words if end == "end" else x1 - words
        for step in (0, -1, 1, -2, 2, -3, 3):
            cut = round(measured) + step
            icon, kept = ((x0, cut), (cut, x1)) if end == "start" else ((cut, x1), (x0, cut))
            if not (0.6 * (x1 - x0) < kept[1] - kept[0] < x1 - x0 - 4):
                continue
            if icon_check(ink.pixels(*icon, pad=1), _rgb(ink.background), symbol, None):
                text, (x0, x1) = rest, kept
                break
    return text, x0, x1


def _cjk_icon_reading(
    ink: _Ink, text: str, seg: tuple[int, int], kept: tuple[int, int], end: str
) -> str | None:
    """The text of a CJK line whose end cluster ``seg`` (in another colour) is an icon, or None
    when the cluster is the line's own end character drawn in the fitted face.

    OCR either left the icon out or read it as a character ("口" for a square-ish icon): the end
    character is dropped only when the kept ink looks clearly more like the text without it.
    """
    fit = _fit_span(ink, text, kept)
    mine, theirs = ink.bounds(*seg), ink.bounds(*kept)
    if fit is None or fit.face is None or mine is None or theirs is None:
        return None
    symbol = text[:1] if end == "start" else text[-1:]
    if shape_similarity(ink.coverage(*mine), symbol, fit.face, fit.weight, fit.size) >= 0.5:
        return None
    trimmed = text[1:].lstrip() if end == "start" else text[:-1].rstrip()
    if not trimmed:
        return None
    alpha = ink.coverage(*theirs)
    with_it = shape_similarity(alpha, text, fit.face, fit.weight, fit.size)
    without = shape_similarity(alpha, trimmed, fit.face, fit.weight, fit.size)
    return trimmed if without > with_it + 0.05 else text


def _strip_icon_ends(
    ink: _Ink,
    text: str,
    span: tuple[int, int],
    height: float,
    keep: tuple[str, ...],
    segments: list[tuple[int, int]],
    icon_check: IconCheck,
    symbols_only: bool = False,
) -> tuple[str, int, int, list[tuple[int, int]]]:
    """End clusters that are icons of the sets we ship (a row of stars, a warning sign), with the
    characters OCR read for them: a short word ("f" for Facebook's logo), a symbol ("★"), or a
    letter the rest of the word reads better without ("AAlways" for a warning sign)."""
    x0, x1 = span
    for end in ("start", "end"):
        # A cut end (``keep``) is no icon's place, but for a symbol OCR read for one there
        # ("87 Open | √ 1,204 Closed", cut between two styles, a check mark read as "√").
        while len(segments) >= 2 and (end not in keep or symbols_only):
            seg, rest = (segments[0], segments[1:]) if end == "start" else (segments[-1], segments[:-1])
            if seg[1] - seg[0] > 1.6 * height:
                break
            words = text.split(" ")
            word = words[0] if end == "start" else words[-1]
            guess = word if len(word) <= 2 else (word[:1] if end == "start" else word[-1:])
            if symbols_only:
                # Clusters 2 px apart are single glyphs: OCR read one character for this one.
                guess = word[:1] if end == "start" else word[-1:]
                if end in keep and (not guess or _wordlike(guess)):
                    break
            # A letter or digit set this close to the next is one of the word's own, unless OCR
            # read it for an icon set before its label ("02mins" for a clock 2 px before "2 mins"):
            # then the next cluster is the word's next character, and the icon explains the
            # cluster far better than the letter does. (How the rest reads without it says
            # nothing: the rest's ink is without that cluster either way.)
            letter = symbols_only and len(guess) == 1 and _wordlike(guess)
            if letter and (end != "start" or len(word) < 2 or _tracked(text, segments)):
                break
            bounds = ink.bounds(seg[0], seg[1])
            if bounds is None:
                break
            kept = (rest[0][0], x1) if end == "start" else (x0, rest[-1][1])
            trimmed = text[1:].lstrip() if end == "start" else text[:-1].rstrip()
            if bounds[3] - bounds[1] < 0.5 * height:
                if not _caret(ink, bounds, height):
                    break  # a period, a comma, a dash: punctuation, not an icon
                # A dropdown's caret, which OCR reads as "→", "▼", "+" or not at all: a picture.
                if len(guess) == 1 and not _wordlike(guess):
                    text = trimmed
                x0, x1 = kept
                segments = rest
                continue
            # A lone letter ahead of the words ("D Comment" for a speech bubble of the label's own
            # grey and height) is left to the icon check, which keeps a letter its glyph explains;
            # "A" and "I" are words.
            lone = end == "start" and len(word) == 1 and len(words) > 1 and word not in "AaI"
            # (At 2 px gaps a letter is a glyph of its own, and what may drop it is checked below.)
            if (
                all(_wordlike(ch) for ch in guess)
                and not lone
                and not symbols_only
                and _like_its_line(ink, seg, rest)
            ):
                # An icon in the label's colour and height before it, which OCR read nothing for
                # (probe's white cloud before "Upload" on a blue button): the word is drawn by the
                # next cluster alone, and the index names this one.
                if (
                    end == "start"
                    and len(word) >= 2
                    and _first_is_next(ink, word, seg, rest[0])
                    and icon_check(
                        ink.pixels(seg[0], seg[1], pad=1), _rgb(ink.background), guess, _LETTER_ICON_MARGIN
                    )
                ):
                    x0, x1 = kept
                    segments = rest
                    continue
                break  # a word in the line's own size and colour ("in the clouds"), whatever logo spells it
            crop, background = ink.pixels(seg[0], seg[1], pad=1), _rgb(ink.background)
            tile = tile_middle(ink.crop[bounds[1] : bounds[3], bounds[0] : bounds[2]], background)
            if tile is not None:
                crop, background = tile
            if not icon_check(crop, background, guess, _LETTER_ICON_MARGIN if letter else None):
                break
            # (An ideograph glued to Latin text is no first letter of its word: tw_kanban's
            # checklist icon read "污" in "污3/5".)
            ideograph = has_cjk(guess) and not has_cjk(text[1:])
            if letter and not ideograph and not _next_is_second(ink, word, rest[0]):
                if end == "start" and _first_is_next(ink, word, seg, rest[0]):
                    # OCR read no character for the icon (daisy_landing's bolt before "New:"),
                    # and the letter is the next cluster's: the text stays, the icon's ink goes.
                    x0, x1 = kept
                    segments = rest
                    continue
                break  # the letter is this cluster's own
            without = " ".join(words[1:] if end == "start" else words[:-1])
            mark = _mark_before_icon(ink, seg, rest, end, height) if word in _MARKS else None
            if mark is not None:
                # OCR read the mark before the icon ("2 hours ago · 🌐"), not the icon: the text
                # and the mark's ink stay, the icon's goes.
                kept = (x0, max(kept[1], mark[1])) if end == "end" else (min(kept[0], mark[0]), x1)
            elif len(words) > 1 and len(word) <= 2 and _reads_better(ink, without, text, kept):
                text = without  # the short word OCR read for the icon ("f Continue with Facebook")
            elif (
                (not all(_wordlike(ch) for ch in guess) and guess not in _TEXT_SIGNS)
                or letter
                or _doubled(word, end)
                or _reads_better(ink, trimmed, text, kept)
            ):
                text = trimmed
            # else OCR did not read the icon: the text stays, the icon's ink goes.
            x0, x1 = kept
            segments = rest
    return text, x0, x1, segments


def _caret(ink: _Ink, bounds: tuple[int, int, int, int], height: float) -> bool:
    """Whether the ink in ``bounds`` is a small solid triangle pointing down or up, lower than
    the line's letters (a dropdown's caret, drawn with CSS borders or as an icon): about twice as
    wide as tall, about half its box inked, its rows narrowing from one edge to the other."""
    x0, y0, x1, y1 = bounds
    w, h = x1 - x0, y1 - y0
    if not (3 <= h <= 0.6 * height and 1.4 * h <= w <= 2.8 * h):
        return False
    return triangle_way(ink.coverage(x0, y0, x1, y1)) is not None


# What OCR reads for a dropdown's caret set after a word ("Author+ Label→ Assignee▼ Sort").
_CARET_READINGS = set("+→▼▾▽↓⌄")


def _solid_caret(ink: _Ink, bounds: tuple[int, int, int, int], height: float) -> bool:
    """Whether the ink in ``bounds`` is a small solid triangle (spacing.solid_triangle: a "▾"
    glyph, as tall as it is wide, or a flatter caret), lower than the line's letters."""
    x0, y0, x1, y1 = bounds
    if not 5 <= y1 - y0 <= 0.6 * height:
        return False
    return solid_triangle(ink.coverage(x0, y0, x1, y1), ink.mask[y0:y1, x0:x1]) is not None


def _cut_at_carets(
    ink: _Ink, piece: str, bounds: tuple[int, int, int, int]
) -> list[tuple[str, tuple[int, int]]] | None:
    """A row of dropdowns OCR read as one line, their carets as characters glued to the words
    (primer's "Author ▾ Label ▾ Assignee ▾ Sort ▾" read "Author+ Label→ Assignee▼ Sort"): the
    words apart, cut at the carets inside the piece, which leave the text and the ink (they are
    pictures, as a caret at a line's end is). Only where the carets the ink shows between the
    words are as many as the caret readings in the text. None: no caret inside the piece."""
    x0, y0, x1, y1 = bounds
    clusters = _segments(ink, x0, x1, 1.0)
    carets = []
    for a, b in clusters[1:-1]:
        box = ink.bounds(a, b)
        if box is not None and _solid_caret(ink, box, y1 - y0):
            carets.append((a, b))
    marks = [i for i, ch in enumerate(piece) if ch in _CARET_READINGS and 0 < i < len(piece.rstrip()) - 1]
    if not carets or len(marks) != len(carets):
        return None
    parts = _apart(piece, list(zip(carets, marks, strict=True)), (x0, x1))
    return parts if all(text for text, _span in parts) else None


def _apart(
    piece: str, marks: list[tuple[tuple[int, int], int]], span: tuple[int, int]
) -> list[tuple[str, tuple[int, int]]]:
    """The words between marks (each a cluster's columns and the index of the character OCR
    read for it, left to right), and the columns between the marks' clusters; the marks' own
    characters and columns go."""
    parts: list[tuple[str, tuple[int, int]]] = []
    start, left = 0, span[0]
    for (a, b), i in marks:
        parts.append((piece[start:i].strip(), (left, a)))
        start, left = i + 1, b
    parts.append((piece[start:].strip(), (left, span[1])))
    return parts


# What OCR reads for a legend's marker glued to its label ("ODesktop OMobile OTablet").
_MARKER_READINGS = set("Oo0Q◯○●■□口")


def _cut_at_markers(
    ink: _Ink, piece: str, bounds: tuple[int, int, int, int]
) -> list[tuple[str, tuple[int, int]]] | None:
    """A chart's legend OCR read as one line, each coloured marker (a ring, a dot, a square) as a
    letter glued to its label (tabler's "◯ Desktop ◯ Mobile ◯ Tablet" read "ODesktop OMobile
    OTablet", fitted at 19 px for 12 to the markers' height): the labels apart, cut at the
    markers, which leave the text and the ink (pictures). A marker is a cluster about as wide as
    tall, in a colour of its own (not the labels'), where the text has a marker's reading at the
    start of a word that goes on in a capital; there must be as many of each. None: no marker."""
    x0, y0, x1, y1 = bounds
    clusters = _segments(ink, x0, x1, 1.0)
    if len(clusters) < 3:
        return None
    colors = np.array([ink.color(a, y0, b, y1) for a, b in clusters], dtype=np.int32)
    text_color = np.median(colors, axis=0)
    markers = []
    for (a, b), color in zip(clusters, colors, strict=True):
        box = ink.bounds(a, b)
        if box is None or np.abs(color - text_color).max() <= 60:
            continue
        w, h = box[2] - box[0], box[3] - box[1]
        if 0.7 * h <= w <= 1.4 * h and h >= 0.5 * (y1 - y0):
            markers.append((a, b))
    readings = [
        i
        for i, ch in enumerate(piece)
        if ch in _MARKER_READINGS
        and (i == 0 or piece[i - 1] == " ")
        and i + 1 < len(piece)
        and piece[i + 1].isupper()
    ]
    if not markers or len(readings) != len(markers):
        return None
    parts = _apart(piece, list(zip(markers, readings, strict=True)), (x0, x1))
    kept = [(text, span) for text, span in parts if text]
    return kept if len(kept) >= 2 else None


def _first_is_next(ink: _Ink, word: str, cluster: tuple[int, int], following: tuple[int, int]) -> bool:
    """Whether a word is drawn by the cluster after ``cluster`` alone clearly better than with
    ``cluster`` before it (which is then no character of the word)."""
    alone, both = _fit_span(ink, word, following), _fit_span(ink, word, (cluster[0], following[1]))
    return alone is not None and both is not None and alone.error < 0.6 * both.error


def _next_is_second(ink: _Ink, word: str, cluster: tuple[int, int]) -> bool:
    """Whether the cluster after a word's first one is the word's second character rather than
    its first: OCR read a character for the first cluster (an icon), not the word's own."""
    second, first = _fit_span(ink, word[1], cluster), _fit_span(ink, word[0], cluster)
    return second is not None and first is not None and second.error < first.error


# Signs that end a word of text (cn_dashboard's "日同比 11% ▼": OCR read the "%" and left the
# triangle unread): dropped with an icon after them only where the rest reads better without.
_TEXT_SIGNS = set("%)]}!?")


def _like_its_line(ink: _Ink, seg: tuple[int, int], rest: list[tuple[int, int]]) -> bool:
    """Whether an end cluster has the height and colour of the rest of the line's ink (a word of
    it), where an icon OCR read as a letter stands out by one or the other (Facebook's "f" is
    taller than its label)."""
    mine = ink.bounds(seg[0], seg[1])
    theirs = ink.bounds(rest[0][0], rest[-1][1])
    if mine is None or theirs is None:
        return False
    rows = ink.mask.shape[0]
    same_color = max(
        abs(a - b)
        for a, b in zip(
            ink.color(seg[0], 0, seg[1], rows), ink.color(rest[0][0], 0, rest[-1][1], rows), strict=True
        )
    )
    tall, their_tall = mine[3] - mine[1], theirs[3] - theirs[1]
    return same_color <= 60 and abs(tall - their_tall) <= 0.12 * their_tall


def _wordlike(ch: str) -> bool:
    """A letter or a decimal digit (a circled "①" or a "★" is a symbol, as OCR reads icons)."""
    category = unicodedata.category(ch)
    return category.startswith("L") or category == "Nd"


def _doubled(word: str, end: str) -> bool:
    """A word that starts with a doubled capital ("AAlways"): OCR read an icon as the letter
    beside it. (Words end in doubled letters often: "Business", "all".)"""
    return end == "start" and len(word) >= 3 and word[0] == word[1] and word[0].isupper()


def _reads_better(ink: _Ink, trimmed: str, text: str, span: tuple[int, int]) -> bool:
    """Whether ``trimmed`` explains the ink of ``span`` clearly better than ``text`` does (a
    letter too many stretches the fit: the margin keeps a real first letter)."""
    if not trimmed:
        return False
    a, b = _fit_span(ink, trimmed, span), _fit_span(ink, text, span)
    return a is not None and b is not None and a.error + 0.1 < b.error


def _fit_span(ink: _Ink, text: str, span: tuple[int, int], family: str | None = None) -> FontFit | None:
    bounds = ink.bounds(*span)
    if bounds is None:
        return None
    _box, (width, height, mass, alpha) = ink.measure(*bounds)
    return fit_font(text, width, height, mass, family=family, alpha=alpha, faces=ink.faces)


def _explains_better(
    ink: _Ink, text: str, whole: tuple[int, int], kept: tuple[int, int], seg: tuple[int, int], end: str
) -> bool:
    """Whether ``text`` fits the ink of ``kept`` clearly better than the ink of ``whole``.

    Both in the face the kept ink fits: a monospace face could stretch over any extra ink. An end
    cluster as wide as the string's first (last) word is that word, read.
    """
    trimmed = _fit_span(ink, text, kept)
    if trimmed is None or trimmed.face is None:
        return False
    word = text.split(" ")[0] if end == "start" else text.split(" ")[-1]
    weight = trimmed.weight
    left = FONTS.glyph_ink(word[0], trimmed.face, weight)[0]
    right = FONTS.advances(word, trimmed.face, weight)[-1]
    right -= FONTS.advances(word[-1], trimmed.face, weight)[-1]
    right += FONTS.glyph_ink(word[-1], trimmed.face, weight)[1]
    word_width = (right - left) * trimmed.size
    if 0.6 * word_width <= seg[1] - seg[0] <= 1.6 * word_width + 2:
        return False
    full = _fit_span(ink, text, whole, trimmed.face.family)
    if full is None or trimmed.error + 0.08 >= full.error:
        return False
    # The cluster is the word's own end letter, set apart by tracking and read in the wrong case
    # ("OR CONTiNuE WITh EmAIl": "EmAIl" fits the ink better without its "L", which then stood
    # beside the text as a picture of itself).
    letter = word[0] if end == "start" else word[-1]
    bounds = ink.bounds(*seg)
    if letter.isalpha() and bounds is not None:
        alpha = ink.coverage(*bounds)
        for case in {letter.lower(), letter.upper()}:
            if shape_similarity(alpha, case, trimmed.face, weight, trimmed.size) >= _OWN_LETTER:
                return False
    return True


def _lost_symbol(ink: _Ink, text: str, seg: tuple[int, int], kept: tuple[int, int]) -> str | None:
    fit = _fit_span(ink, text, kept)
    bounds = ink.bounds(*seg)
    if fit is None or bounds is None:
        return None
    x0, y0, x1, y1 = bounds
    return lost_symbol(ink.coverage(x0, y0, x1, y1), fit)


def _text_symbol(ink: _Ink, text: str, seg: tuple[int, int], kept: tuple[int, int]) -> bool:
    """Whether the ink of ``seg`` is drawn by "©", "®" or "@" in the font ``text`` fits."""
    fit = _fit_span(ink, text, kept)
    bounds = ink.bounds(*seg)
    if fit is None or fit.face is None or bounds is None or has_cjk(text):
        return False
    x0, y0, x1, y1 = bounds
    alpha = ink.coverage(x0, y0, x1, y1)
    return max(shape_similarity(alpha, s, fit.face, fit.weight, fit.size) for s in "©®@") >= 0.5


def _color_runs(
    ink: _Ink, text: str, bounds: tuple[int, int, int, int], threshold: float
) -> list[tuple[str, RGB]]:
    """Words of clearly different colors in one line (a sentence ending in a link), each word's
    color taken in the line's own rows (``bounds``): OCR's box reached down into the orange
    stars under bulma_shop_grid's product names, whose first words came out orange."""
    x0, y0, x1, y1 = bounds
    words = text.split(" ")
    segments = _segments(ink, x0, x1, threshold)
    if len(words) < 2 or len(segments) != len(words):
        return []
    colors = [ink.color(a, y0, b, y1) for a, b in segments]
    runs: list[tuple[str, RGB]] = []
    for word, color in zip(words, colors, strict=True):
        if runs and max(abs(a - b) for a, b in zip(runs[-1][1], color, strict=True)) <= 60:
            runs[-1] = (runs[-1][0] + " " + word, runs[-1][1])
        else:
            runs.append((word, color))
    return runs if len(runs) > 1 else []


def _style_split(ink: _Ink, text: str, span: tuple[int, int]) -> list[tuple[str, tuple[int, int]]]:
    """A line set in two styles (a bold subject, then a lighter snippet in gray) as two pieces.

    One font fitted to both halves fits neither: a bold face stretched over regular text, or a
    monospace face, came out. A change of ink color between words marks where to look; the line
    is split there only when the two halves fit fonts of different weight (a colored link in a
    sentence keeps its line, and becomes a colored span).
    """
    bounds = ink.bounds(*span)
    if bounds is None or len(text) < 6:
        return [(text, span)]
    x0, _y0, x1, _y1 = bounds
    height = bounds[3] - bounds[1]
    segments = _segments(ink, x0, x1, max(0.25 * height, 2.0))
    if len(segments) < 2:
        return [(text, span)]
    rows = ink.mask.shape[0]
    colors = [np.array(ink.color(a, 0, b, rows), dtype=np.int32) for a, b in segments]
    changes = [k for k in range(1, len(segments)) if int(np.abs(colors[k] - colors[k - 1]).max()) > 60]
    # An icon of its own colour ahead of the first style ("◉ 87 Open ✓ 1,204 Closed", a green
    # ring OCR read nothing for): the styles are told apart after it, and it is left out.
    lead = 0
    if len(changes) == 2 and changes[0] == 1 and segments[0][1] - segments[0][0] <= 1.6 * height:
        lead, changes = 1, changes[1:]
    if len(changes) != 1:
        return [(text, span)]
    k = changes[0]
    left_color = np.median(colors[lead:k], axis=0)
    right_color = np.median(colors[k:], axis=0)
    if any(np.abs(c - left_color).max() > 40 for c in colors[lead:k]) or any(
        np.abs(c - right_color).max() > 40 for c in colors[k:]
    ):
        return [(text, span)]
    cut = (segments[k - 1][1] + segments[k][0]) // 2
    # Ink widths without the gaps: OCR drops and adds spaces, so the split is placed on glyphs only.
    left_ink = sum(b - a for a, b in segments[lead:k])
    fraction = left_ink / max(left_ink + sum(b - a for a, b in segments[k:]), 1)
    best: tuple[float, tuple[str, str]] | None = None
    # The leading icon is left out of the first piece: it is no letter of it.
    start = segments[lead][0] - 1 if lead else span[0]
    for parts in _split_two_styles(text, fraction):
        left, right = (
            _fit_respaced(ink, parts[0], (start, cut)),
            _fit_respaced(ink, parts[1], (cut, span[1])),
        )
        if left is None or right is None or abs(left[1].weight - right[1].weight) < 200:
            continue
        error = left[1].error + right[1].error
        if best is None or error < best[0]:
            best = (error, (left[0], right[0]))
    # Only a clearly better explanation of the ink splits the line: two fonts that each fit,
    # where one font fitted over both halves did not.
    if best is None:
        return [(text, span)]
    whole = _fit_respaced(ink, text, span)
    if whole is not None and best[0] / 2 + 0.05 >= whole[1].error:
        return [(text, span)]
    left_text, right_text = best[1]
    return [(left_text, (start, cut)), (right_text, (cut, span[1]))]


def _fit_respaced(ink: _Ink, text: str, span: tuple[int, int]) -> tuple[str, FontFit] | None:
    """The font of ``text`` over the ink of ``span``, with the spaces its ink gaps show (OCR drops
    spaces, and text without them fits no font)."""
    bounds = ink.bounds(*span)
    if bounds is None:
        return None
    x0, y0, x1, y1 = bounds
    _box, measured = ink.measure(*bounds)
    width, height, mass, alpha = measured
    fit = fit_font(text, width, height, mass, alpha=alpha, faces=ink.faces)
    respaced, refit, _gaps = _respace(text, ink.mask[y0:y1, x0:x1].any(axis=0), fit, measured, ink.faces)
    return respaced, refit


def _split_two_styles(text: str, fraction: float) -> list[tuple[str, str]]:
    """Ways to cut ``text`` so that its first part, set bold, and the rest, set regular (or the
    other way round), take ``fraction`` and 1 - ``fraction`` of the glyphs' width (spaces left
    out): at most two, the closer first, each at a space or a word or punctuation boundary.

    The generic split (``_split_at``) places characters with one face; across a change of weight
    that drifts by a tenth of the width, too far to find the right word boundary. Which of the
    close cuts is right (before or after a dash, say) the caller decides by fitting fonts.
    """
    faces = FONTS.faces_for(text)
    if not faces:
        return []
    face = faces[0]
    misses: dict[int, float] = {}
    for i in range(2, len(text) - 1):
        a, b = text[i - 1], text[i]
        if not (a == " " or b == " " or a.isalnum() != b.isalnum() or (a.islower() and b.isupper())):
            continue
        for left_bold in (True, False):
            left = FONTS.measure(text[:i].replace(" ", ""), face, 700 if left_bold else 400).advance
            right = FONTS.measure(text[i:].replace(" ", ""), face, 400 if left_bold else 700).advance
            if left + right > 0:
                miss = abs(left / (left + right) - fraction)
                misses[i] = min(miss, misses.get(i, miss))
    # The ink was cut at a gap between words: where OCR kept a space there, the cut is at a space.
    spaced = {i for i in misses if misses[i] <= 0.06 and (text[i - 1] == " " or text[i] == " ")}
    found: list[tuple[str, str]] = []
    for i in sorted(misses, key=lambda i: misses[i]):
        if misses[i] > 0.06 or len(found) == 2:
            break
        if spaced and i not in spaced:
            continue
        head, tail = text[:i].strip(), text[i:].strip()
        if len(head) >= 2 and len(tail) >= 2 and (head, tail) not in found:
            found.append((head, tail))
    return found


def _respace(
    text: str,
    filled: np.ndarray,
    fit: FontFit,
    ink: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
    slanted: bool = False,
) -> tuple[str, FontFit, list[int]]:
    """The line's spaces from its ink gaps (spacing.respace), and the font refitted to them.

    A poor first fit may itself come from missing spaces ("Bakedbeforedawn" fits a stretched
    monospace face best): then each other face gets a chance, and the respaced text whose own fit
    is clearly best wins.
    """
    width, height, mass, alpha = ink
    after = _after_symbols(text, filled, fit, ink, faces, slanted)
    if after is not None:
        return after
    best_text, best_fit, best_gaps = _respace_refit(text, filled, fit, ink, faces, slanted)
    # A line that came with few spaces (OCR runs tight text together) may have fitted the wrong
    # face for want of them: every candidate face gets its own reading.
    few_spaces = len(text) >= 12 and best_text.count(" ") < len(text) / 12
    if (best_fit.error <= 0.3 and not few_spaces) or fit.face is None:
        return best_text, best_fit, best_gaps
    for face in faces or FONTS.faces_for(text):
        if face == fit.face:
            continue
        trial = fit_font(
            text, width, height, mass, family=face.family, alpha=alpha, faces=faces, slanted=slanted
        )
        candidate, gaps = respace(text, filled, trial)
        if candidate == text:
            continue
        refit = fit_font(candidate, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
        candidate, refit, gaps = _respace_refit(candidate, filled, refit, ink, faces, slanted)
        if refit.error + 0.05 < best_fit.error:
            best_text, best_fit, best_gaps = candidate, refit, gaps
    return best_text, best_fit, best_gaps


def symbol_head(text: str) -> str:
    """The row of symbols a line opens with ("★★★★☆" of "★★★★☆ 4.2 · 318 reviews"), or ""."""
    return "".join(itertools.takewhile(lambda ch: unicodedata.category(ch) == "So", text))


def _after_symbols(
    text: str,
    filled: np.ndarray,
    fit: FontFit,
    ink: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
    slanted: bool,
) -> tuple[str, FontFit, list[int]] | None:
    """A line that starts with a row of symbols no text face draws like the page's icons (a
    rating's "★★★★☆ 4.2·318 reviews"): its text respaced in a font fitted to the text's own ink
    (the line keeps ``fit``), where the whole line fitted no face (Merriweather 19 px for Lato
    16 px) and its word gaps were measured against that. The symbols are the row's first ink clusters, one each, of one
    width; None where the line is not such a one, or its text fits no better alone."""
    head = symbol_head(text)
    tail = text[len(head) :].strip()
    if len(head) < 2 or fit.error <= 0.3 or len(tail) < 2 or not any(_wordlike(ch) for ch in tail):
        return None
    clusters: list[tuple[int, int]] = []
    start = 0
    for gap_start, gap_stop in [*empty_runs(filled), (len(filled), len(filled))]:
        if gap_start > start:
            clusters.append((start, gap_start))
        start = gap_stop
    if len(clusters) <= len(head):
        return None
    widths = [b - a for a, b in clusters[: len(head)]]
    if max(widths) > 1.35 * min(widths):
        return None
    begin = clusters[len(head)][0]
    _width, _height, _mass, alpha = ink
    if alpha.shape[1] != len(filled):
        return None
    rest = alpha[:, begin:]
    rows = np.flatnonzero(rest.max(axis=1) > 0.2)
    if len(rows) < 2:
        return None
    rest = np.ascontiguousarray(rest[rows[0] : rows[-1] + 1])
    measured = (float(rest.shape[1]), float(rest.shape[0]), float(rest.sum()), rest)
    own = fit_font(tail, *measured[:3], alpha=rest, faces=faces, slanted=slanted)
    if own.error >= fit.error:
        return None
    spaced, _refit, gaps = _respace_refit(tail, filled[begin:], own, measured, faces, slanted)
    separator = " " if text[len(head) : len(head) + 1] == " " else ""
    # The line keeps the fit of all its ink: it is drawn with its symbols, whose size the text's
    # own (smaller) font would not give them.
    return head + separator + spaced, fit, gaps


def _spaces_beside(text: str, respaced: str, changed: set[int]) -> str:
    """``text`` with those of ``respaced``'s added spaces that touch a character at a ``changed``
    index of ``text`` (``respaced`` is ``text`` with spaces added, none removed)."""
    out: list[str] = []
    i = 0
    for ch in respaced:
        if i < len(text) and ch == text[i]:
            out.append(ch)
            i += 1
        elif ch == " " and ((i - 1) in changed or i in changed):
            out.append(" ")
    if i != len(text):  # not an extension of text after all: keep text as it was
        return text
    return "".join(out)


def _respace_refit(
    text: str,
    filled: np.ndarray,
    fit: FontFit,
    ink: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
    slanted: bool,
) -> tuple[str, FontFit, list[int]]:
    """Spaces from the ink, the font refitted to them, and again while that finds more: text
    that lost all its spaces fits its face only roughly, and each space found sharpens the fit
    that finds the next."""
    width, height, mass, alpha = ink
    gaps: list[int] = []
    for _round in range(3):
        spaced, gaps = respace(text, filled, fit)
        if spaced == text:
            break
        text, fit = spaced, fit_font(spaced, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
    return text, fit, gaps


# Ink sheared at least this much is italic (spacing.slant): upright text measures <= 0.0,
# italics 0.15-0.25 on 19 families.
_ITALIC_SHEAR = 0.1


@dataclass
class _Draft:
    """A piece cut, measured and fitted among the system faces, before its second look."""

    ink: _Ink
    text: str
    bounds: tuple[int, int, int, int]  # ink crop coordinates
    box: tuple[float, float, float, float]  # sub-pixel ink bounds
    measured: tuple[float, float, float, np.ndarray]  # width, height, mass, coverage
    underline: bool
    shear: float  # the ink's slant (spacing.slant)
    fit: FontFit
    strike: bool
    frame: tuple[int, int, int, int] | None = None  # the key drawn round it (crop coordinates)


@dataclass
class _Piece:
    """A piece of a line, cut and measured, waiting for the page's fonts."""

    ink: _Ink
    ocr_text: str  # as OCR read it (icons stripped)
    text: str  # with the spaces its ink gaps show in a common face
    bounds: tuple[int, int, int, int]  # ink crop coordinates
    box: tuple[float, float, float, float]  # sub-pixel ink bounds
    measured: tuple[float, float, float, np.ndarray]  # width, height, mass, coverage
    underline: bool
    shear: float  # the ink's slant (spacing.slant)
    kind: str | None = None  # "sans" | "serif" | "mono": what the system faces fit it as, when well
    strike: bool = False  # a line drawn through the text (an old price, a done task)
    frame: tuple[int, int, int, int] | None = None  # the key drawn round it (crop coordinates)


def read_lines(
    rgb: np.ndarray,
    ocr_lines: list[OcrLine],
    icon_check: IconCheck | None = None,
    recognize: Recognize | None = None,
    faces: tuple[FontFace, ...] | None = None,
) -> list[TextLine]:
    """Measure every OCR line; split lines OCR merged across wide gaps. ``icon_check``: see
    ``_strip_icons``; ``recognize``: OCR's recognizer, for a second look at a piece whose reading
    fits no face (see ``_second_looks``); ``faces``: the page's faces, for a few lines read after
    the page's (else they are chosen from these lines).

    Lines are cut (wide gaps, two styles, icons) with the system faces, which tell word gaps
    and weights apart well enough; the page's own families are then chosen from all its pieces
    (fontfit.choose_palette) and every piece is fitted among them.
    """
    if recognize is not None:
        ocr_lines = read_tails(rgb, ocr_lines, recognize)
    # Line by line, each independent of the others: the worker's helper process takes half of
    # each map (cpu_split). The second looks between them are one batch for OCR's own threads.
    jobs = [(rgb, ocr_lines, k, icon_check) for k in range(len(ocr_lines))]
    lengths = [float(len(ocr.text)) for ocr in ocr_lines]
    drafts = [draft for found in split_map(_cut_line, jobs, weights=lengths) for draft in found]
    if recognize is not None:
        _second_looks(drafts, recognize)
    pieces = _read_once(split_map(_finish, drafts, weights=[float(len(d.text)) for d in drafts]))
    if faces is None:
        palette = choose_palette(_samples(pieces))
        faces = palette.faces if palette is not None else None
        # CJK faces join the page's faces only for Chinese text, not for an icon OCR read as one
        # Han character in a Latin page ("Search mail 鼎"): with them there, that page's Latin
        # lines were fitted to a CJK face's Latin glyphs, and their dashes judged in the wrong face.
        chinese = any(sum(has_cjk(ch) for ch in p.text) >= 2 for p in pieces)
        cjk_faces = tuple(f for f in FONTS.faces if f.script == "cjk")
        if faces is not None and chinese:
            faces = faces + cjk_faces
        elif faces is None and chinese and cjk_faces:
            # A Chinese page whose Latin text is too short to choose a face from (cn_shop's
            # prices and counts): its Chinese faces' own Latin glyphs set it, not the best fit
            # among every face we have (Playfair Display at 900 for "¥649").
            faces = cjk_faces
    lines = split_map(
        _line_of, [(piece, faces) for piece in pieces], weights=[float(len(p.text)) for p in pieces]
    )
    lines.sort(key=lambda ln: (round(ln.ink.y / 3), ln.ink.x))
    return lines


def _read_once(pieces: list[_Piece]) -> list[_Piece]:
    """``pieces`` without those whose ink another piece holds and read the same: the detector's
    boxes overlap ("Publish open data after 12 months" and "s  Notify partner agencies", its
    first "s" the last letter of "months"), and the letter came out twice ("12 monthss")."""

    def page_box(piece: _Piece) -> tuple[float, float, float, float]:
        fx0, fy0, fx1, fy1 = piece.box
        return piece.ink.x0 + fx0, piece.ink.y0 + fy0, piece.ink.x0 + fx1, piece.ink.y0 + fy1

    boxes = [page_box(piece) for piece in pieces]
    kept: list[_Piece] = []
    for i, piece in enumerate(pieces):
        x0, y0, x1, y1 = boxes[i]
        area = max((x1 - x0) * (y1 - y0), 1e-6)
        letters = piece.text.replace(" ", "")
        twice = False
        for j, other in enumerate(pieces):
            if j == i or len(other.text) <= len(piece.text) or letters not in other.text.replace(" ", ""):
                continue
            ox0, oy0, ox1, oy1 = boxes[j]
            inside = max(min(x1, ox1) - max(x0, ox0), 0.0) * max(min(y1, oy1) - max(y0, oy0), 0.0)
            twice = twice or inside >= 0.9 * area
        if not twice:
            kept.append(piece)
    return kept


def _cut_line(job: tuple[np.ndarray, list[OcrLine], int, IconCheck | None]) -> list[_Draft]:
    """The pieces of OCR line ``k`` of the page (``_cut``), its neighbours' ink left out."""
    rgb, ocr_lines, k, icon_check = job
    ocr = ocr_lines[k]
    if ocr.box.width < 2 or ocr.box.height < 2:
        return []
    # The Chinese model writes fullwidth punctuation in English text ("Organized， mostly").
    text = ocr.text if has_cjk(latin_punctuation(ocr.text)) else latin_punctuation(ocr.text)
    ink = _Ink(rgb, ocr.box, tuple(f for f in FONTS.faces if not f.web))
    ink.leave_neighbours(ocr.text, [other for j, other in enumerate(ocr_lines) if j != k])
    return _cut(ink, text, icon_check)


def _cut(ink: _Ink, text: str, icon_check: IconCheck | None) -> list[_Draft]:
    """The pieces of one OCR line: split at wide gaps and changes of style, icons stripped, each
    measured and fitted among the system faces."""
    bounds = ink.bounds()
    if bounds is None:
        return []
    bx0, by0, bx1, by1 = bounds
    ink_h = by1 - by0
    if icon_check is not None and ink.pills:
        _drop_icon_pills(ink, text, (bx0, bx1), icon_check)
    # Wide gaps: separate items OCR read as one line (nav links, table cells, "label  value").
    # Ideographs are set a pixel or two apart with no spaces: a gap of an em parts items.
    cjk = sum(has_cjk(ch) for ch in text) > 0.5 * len(text.replace(" ", ""))
    wide = ink.gaps(bx0, bx1, max(1.1 * ink_h, 10.0) if cjk else max(1.4 * ink_h, 18.0))
    pieces = [text]
    spans = [(bx0, bx1)]
    if wide:
        cuts = [(g0 + g1) / 2 - bx0 for g0, g1 in wide]
        split = _split_at(text, cuts, bx1 - bx0)
        if split is not None:
            pieces = split
            edges = [bx0, *[(g0 + g1) // 2 for g0, g1 in wide], bx1]
            spans = list(itertools.pairwise(edges))
    styled: list[tuple[str, tuple[int, int], tuple[str, ...]]] = []
    # An icon OCR read nothing for, between two words, cuts the line there (and is left out).
    unread = [
        part
        for piece_span in zip(pieces, spans, strict=True)
        for unread_part in _unread_inner(ink, *piece_span)
        for part in _read_inner_icons(ink, *unread_part, icon_check)
    ]
    for piece, piece_span in unread:
        parts = _style_split(ink, piece, piece_span)
        for index, (part, part_span) in enumerate(parts):
            cut_ends = (("start",) if index > 0 else ()) + (("end",) if index < len(parts) - 1 else ())
            styled.append((part, part_span, cut_ends))
    found: list[_Draft] = []
    styled.reverse()
    while styled:
        piece, (sx0, sx1), cut_ends = styled.pop()
        sub = ink.bounds(sx0, sx1)
        if sub is None:
            continue
        x0, y0, x1, y1 = sub
        h = y1 - y0
        # A badge at an end, read as a word, is no icon there ("02" on a countdown's first
        # badge; an icon's white lines on its solid shape read "■" are no word).
        words = piece.split() or [""]
        keep = cut_ends + tuple(
            end
            for end, edge, word in (("start", x0, words[0]), ("end", x1, words[-1]))
            if any(ch.isalnum() for ch in word) and any(f[0] - 2 <= edge <= f[2] + 2 for f in ink.pills)
        )
        piece, x0, x1 = _strip_icons(ink, piece, x0, x1, h, keep=keep, icon_check=icon_check)
        sub = ink.bounds(x0, x1)
        if sub is None or not piece:
            continue
        x0, y0, x1, y1 = sub
        framed = _cut_at_frames(ink, piece, sub) if ink.frames else None
        if framed is not None:
            parts = []
            for part, span in framed:
                pill = next((f for f in ink.pills if span[0] <= f[0] and f[2] <= span[1]), None)
                if pill is not None:
                    found += _on_pill(ink, part, pill, icon_check)
                else:
                    parts.append((part, span))
            # Its ends are cut: nothing there is an icon to strip (a key's "@" is a letter).
            styled += reversed([(part, span, ("start", "end")) for part, span in parts])
            continue
        between = _cut_at_carets(ink, piece, sub) or _cut_at_markers(ink, piece, sub)
        if between is not None:
            # Cut ends are no icon's place; the last piece's own end still is (its caret).
            ends = [("end",), *[("start", "end")] * (len(between) - 2), ("start",)]
            styled += reversed([(part, span, cut) for (part, span), cut in zip(between, ends, strict=True)])
            continue
        looks_round = set(piece.replace(" ", "")) <= set("0OoQ°.·•●Dd()口")
        cover = float(ink.mask[y0:y1, x0:x1].mean())
        if looks_round and cover > 0.55:
            continue  # solid shapes (dots, circles) that OCR read as "0" or "O": not text
        if (
            cover > _PHOTO_COVER
            and min(x1 - x0, y1 - y0) >= _PHOTO_SIDE
            and len(piece.replace(" ", "")) <= 3
            and _colorful_ink(ink, (x0, y0, x1, y1))
        ):
            continue  # small photos (a row of avatars read "@a@"): pictures, not text
        # A lone glyph's foot is its own (a bold serif "1" stands on a bar as wide as itself).
        underline = _underline(ink.mask, x0, y0, x1, y1) if len(piece.strip()) >= 2 else None
        if underline:
            y1 = underline
        strike = _strike(ink.mask, piece, x0, y0, x1, y1)
        if strike is not None:
            ink.erase_rows(*strike, x0, x1)
        box, measured = ink.measure(x0, y0, x1, y1)
        width, height, mass, alpha = measured
        shear = slant(alpha) if len(piece) >= 4 else 0.0
        slanted = shear >= _ITALIC_SHEAR
        fit = fit_font(piece, width, height, mass, alpha=alpha, faces=ink.faces, slanted=slanted)
        frame = next((f for f in ink.frames if f[0] <= x0 and x1 <= f[2]), None)
        if fit.error > _SECOND_LOOK_ERROR and not has_cjk(piece):
            piece, fit = _lost_currency(piece, fit, measured, ink.faces, slanted)
        piece, fit = reread_marks(piece, fit, measured, ink.faces, slanted)
        found.append(
            _Draft(
                ink,
                piece,
                (x0, y0, x1, y1),
                box,
                measured,
                underline is not None,
                shear,
                fit,
                strike is not None,
                frame,
            )
        )
    return found


# Small photos OCR reads as a symbol or two (avatars 22 px wide read "@" and "@a@"): their ink
# covers most of its box (0.71-0.83 measured), in colors (a mean chroma, max - min channel, of
# 45-54), no one of which holds much of it (at most a fifth within 20 levels of the commonest).
# Short words in capitals cover up to 0.65 of theirs (a calendar's "MON", bold at 12 px), in a
# grey's chroma (28, antialiasing included); a badge's ink is its flat fill (primer's "bug":
# four fifths of it one colour).
_PHOTO_COVER = 0.68
# (Small text in colour on a tinted badge, bold and tight in its box, covers as much of it, in
# as many shades of its antialiasing: a photo is 16 px or more each way.)
_PHOTO_SIDE = 16
_PHOTO_CHROMA = 40
_PHOTO_FLAT = 0.4


def _colorful_ink(ink: _Ink, bounds: tuple[int, int, int, int]) -> bool:
    """Whether the ink in ``bounds`` is in many colors, as a photo's is: colorful, and not one
    flat fill (a badge's) with its letters."""
    x0, y0, x1, y1 = bounds
    pixels = ink.crop[y0:y1, x0:x1][ink.mask[y0:y1, x0:x1]]
    if len(pixels) == 0 or float((pixels.max(axis=1) - pixels.min(axis=1)).mean()) <= _PHOTO_CHROMA:
        return False
    commonest = mode_color(pixels)
    return float((np.abs(pixels - commonest).max(axis=1) <= 20).mean()) < _PHOTO_FLAT


def _drop_icon_pills(ink: _Ink, text: str, span: tuple[int, int], icon_check: IconCheck) -> None:
    """Forget the badges found at the line's ends that are icons of the sets we ship: a solid
    shape with marks of another colour inside, as a badge is (probe's white cloud with its blue
    arrow before "Upload"), which the index names better than the end character OCR read."""
    for pill in list(ink.pills):
        x0, y0, x1, y1 = pill
        at_start, at_end = abs(x0 - span[0]) <= 2, abs(x1 - span[1]) <= 2
        if not (at_start or at_end) or not text.strip() or x1 - x0 > 1.6 * (y1 - y0):
            continue  # (a badge holding a word is wider than an icon is)
        reading = text.strip()[0] if at_start else text.strip()[-1]
        if icon_check(ink.pixels(x0, x1, pad=1), _rgb(ink.background), reading, None):
            del ink.pills[pill]
            ink.frames.remove(pill)


def _on_pill(
    ink: _Ink, text: str, pill: tuple[int, int, int, int], icon_check: IconCheck | None
) -> list[_Draft]:
    """The pieces of the words on a filled badge inside a line (_Ink._find_pills), cut and
    measured on the badge's own fill as their ground, the badge their frame."""
    x0, y0, x1, y1 = pill
    inset = max(2, (y1 - y0) // 3)  # inside its rounded ends, where the ring is all fill
    crop = np.clip(ink.crop, 0, 255).astype(np.uint8)
    inside = _Ink(crop, Box(x0 + inset, y0 + 3, x1 - x0 - 2 * inset, y1 - y0 - 6), ink.faces)
    ox, oy = inside.x0, inside.y0
    # Page coordinates, as the line's own ink has them.
    inside.x0, inside.y0 = inside.x0 + ink.x0, inside.y0 + ink.y0
    inside.x1, inside.y1 = inside.x1 + ink.x0, inside.y1 + ink.y0
    drafts = _cut(inside, text, icon_check)
    for draft in drafts:
        draft.frame = (x0 - ox, y0 - oy, x1 - ox, y1 - oy)
    return drafts


def _cut_at_frames(
    ink: _Ink, piece: str, bounds: tuple[int, int, int, int]
) -> list[tuple[str, tuple[int, int]]] | None:
    """The piece cut where a key inside it (key_outlines) begins and ends, so that
    the framed words are a piece of their own, cut midway between the frame and the ink beside
    it (once between two frames side by side). The words are counted on the ink: those before
    the frame are the word clusters left of it, the framed ones the clusters inside it (a
    key's padding puts its letter a good way from where a face would set it). None: no frame
    inside the piece, or its words do not add up (it stays whole)."""
    a, y0, b, y1 = bounds
    clusters = _segments(ink, a, b, max(2.5, 0.2 * (y1 - y0)))
    cut = _frame_cuts(ink, piece.split(), clusters, (a, b))
    if cut is None and ink.pills:
        # Badges set tight with signs between them and no spaces read ("02:15:39", a
        # countdown's three badges): words and signs apart.
        cut = _frame_cuts(ink, re.findall(r"\w+|[^\w\s]+", piece), clusters, (a, b))
    return cut


def _frame_cuts(
    ink: _Ink, words: list[str], clusters: list[tuple[int, int]], span: tuple[int, int]
) -> list[tuple[str, tuple[int, int]]] | None:
    a, b = span
    cuts: dict[int, list[int]] = {}  # word index -> the x offsets of cuts there
    for f in sorted(f for f in ink.frames if a - 2 <= f[0] and f[2] <= b + 2):
        before = sum(1 for c in clusters if c[1] <= f[0])
        # (A badge's fill is one cluster: its own letters say how many words it holds.)
        within = ink.pills.get(f) or sum(1 for c in clusters if f[0] <= c[0] and c[1] <= f[2])
        if within == 0 or before + within > len(words):
            return None
        for index, x in ((before, f[0] - 1), (before + within, f[2] + 1)):
            if 0 < index < len(words) and a + 2 < x < b - 2:
                cuts.setdefault(index, []).append(x)
    if not cuts:
        return None
    indices = sorted(cuts)
    edges = [sum(cuts[k]) // len(cuts[k]) for k in indices]
    if edges != sorted(edges):
        return None
    starts, xs = [0, *indices, len(words)], [a, *edges, b]
    return [
        (" ".join(words[i:j]), (x0, x1))
        for (i, j), (x0, x1) in zip(itertools.pairwise(starts), itertools.pairwise(xs), strict=True)
    ]


def _as_capitals(
    text: str,
    fit: FontFit,
    measured: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
    slanted: bool,
) -> tuple[str, FontFit] | None:
    """``text`` and its fit, in capitals where its ink is a line of capitals (``capitals_by_ink``);
    as they are where the capitals fit clearly worse; None where the ink shows no line of capitals.

    The glyph shapes must not disagree: over a photo, mixed-case text fitted 0.49 and the same in
    capitals 0.83; real capitals fit about as well either way (0.41, 0.51 for a tracked-out line,
    whose spacing the mixed-case reading absorbs)."""
    width, height, mass, alpha = measured
    capitals = capitals_by_ink(text, alpha)
    if capitals == text:
        return None
    upper = fit_font(capitals, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
    return (capitals, upper) if upper.error <= fit.error + 0.15 else (text, fit)


def _finish(draft: _Draft) -> _Piece:
    """The draft with its capitals and its spaces as the ink shows them, waiting for the page's fonts."""
    ink, piece, fit, measured = draft.ink, draft.text, draft.fit, draft.measured
    x0, y0, x1, y1 = draft.bounds
    width, height, mass, alpha = measured
    slanted = draft.shear >= _ITALIC_SHEAR
    if not has_cjk(piece) and fit.face is not None and fit.face.kind != "mono":
        # Capitals read as "OR CONTiNuE WITh EmAIl": fitted and spaced as capitals.
        capitals = _as_capitals(piece, fit, measured, ink.faces, slanted)
        if capitals is not None:
            piece, fit = capitals
        else:
            # Or word by word, in a line of mixed words ("amount integer REQuIRED").
            words = capital_words(piece, alpha, _char_positions(piece, alpha.shape[1], fit))
            if words != piece:
                refit = fit_font(words, width, height, mass, alpha=alpha, faces=ink.faces, slanted=slanted)
                if refit.error <= fit.error + 0.1:
                    piece, fit = words, refit
    filled = upright_columns(ink.mask[y0:y1, x0:x1], draft.shear)
    spaced, spaced_fit, _gaps = _respace(piece, filled, fit, measured, ink.faces, slanted)
    kind = spaced_fit.face.kind if spaced_fit.face is not None and spaced_fit.error <= 0.2 else None
    return _Piece(
        ink,
        piece,
        spaced,
        draft.bounds,
        draft.box,
        measured,
        draft.underline,
        draft.shear,
        kind,
        draft.strike,
        draft.frame,
    )


# Currency signs PP-OCR's English recognizer leaves out before an amount (its dictionary has no
# euro sign; a dollar set tight against a bold number is taken for part of the first digit).
_CURRENCIES = "€$£¥"


def _lost_currency(
    text: str,
    fit: FontFit,
    measured: tuple[float, float, float, np.ndarray],
    faces: tuple[FontFace, ...] | None,
    slanted: bool,
) -> tuple[str, FontFit]:
    """``text`` with a currency sign OCR left out before an amount, where the ink shows one.

    The line fits badly (the sign's ink is unaccounted for); with a sign before one of its numbers
    it fits clearly better, and the ink where that sign then stands is that sign's glyph in the
    fitted face, clearly more than any other sign's. Both: a better fit alone proves little (an
    icon before "6 min read", a chart's tick before "90" are ink for any sign to explain)."""
    width, height, mass, alpha = measured
    starts = [i for i, ch in enumerate(text) if ch.isdigit() and (i == 0 or text[i - 1] == " ")][:3]
    best: tuple[float, str, FontFit] | None = None
    for i in starts:
        for sign in _CURRENCIES:
            trial = text[:i] + sign + text[i:]
            refit = fit_font(trial, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
            if refit.face is None or refit.error > 0.6 * fit.error or fit.error - refit.error < 0.1:
                continue
            edges = _char_positions(trial, alpha.shape[1], refit)
            a, b = math.floor(edges[i]), math.ceil(edges[i + 1])
            glyph = alpha[:, max(a, 0) : min(b, alpha.shape[1])]
            rows = np.flatnonzero(glyph.max(axis=1) > 0.2) if glyph.size else np.zeros(0, np.int64)
            if len(rows) == 0:
                continue
            glyph = glyph[rows[0] : rows[-1] + 1]
            likeness = {
                c: shape_similarity(glyph, c, refit.face, refit.weight, refit.size) for c in _CURRENCIES
            }
            rival = max(v for c, v in likeness.items() if c != sign)
            if (
                likeness[sign] >= 0.65
                and likeness[sign] >= rival + 0.1
                and (best is None or refit.error < best[0])
            ):
                best = (refit.error, trial, refit)
    return (best[1], best[2]) if best is not None else (text, fit)


def _second_looks(drafts: list[_Draft], recognize: Recognize) -> None:
    """Pieces that fit no face well read again from their own ink, cut tight, all in one call
    (the recognizer shares a batch out between its lanes); a reading that fits a face better
    replaces the first.

    The recognizer's reading depends on the crop the detector made ("eu-vwest" for "eu-west" in a
    detector's crop, read right from the ink's own box); a reading with a letter too many or too
    few fits no face. Only pieces that fit badly are read again (a few a page).
    """
    looks = [
        draft
        for draft in drafts
        if not has_cjk(draft.text)
        and (
            (draft.fit.error > _SECOND_LOOK_ERROR and len(draft.text) >= 4)
            # A key's letter, read with its key round it ("@" for the "g" on GitHub's key): read
            # again alone, from inside the key.
            or draft.frame is not None
        )
    ]
    crops = [_tight_crop(draft.ink, draft.frame or draft.bounds, 2 if draft.frame else -2) for draft in looks]
    wanted = [i for i, crop in enumerate(crops) if crop.size]
    readings = recognize([crops[i] for i in wanted]) if wanted else []
    for i, (again, confidence) in zip(wanted, readings, strict=True):
        draft = looks[i]
        # A key's letter alone is read with less confidence than a word (0.80 for GitHub's "g").
        trust = 0.6 if draft.frame else 0.9
        draft.text, draft.fit = _better_reading(draft, again, confidence, trust)


def _tight_crop(ink: _Ink, bounds: tuple[int, int, int, int], inset: int = -2) -> np.ndarray:
    """The ink's crop inside ``bounds`` shrunk by ``inset`` (grown, negative: a little more
    at the sides)."""
    x0, y0, x1, y1 = bounds
    height, width = ink.crop.shape[:2]
    side = inset if inset >= 0 else inset - 1
    crop = ink.crop[max(y0 + inset, 0) : min(y1 - inset, height), max(x0 + side, 0) : min(x1 - side, width)]
    return np.ascontiguousarray(crop)


def _better_reading(draft: _Draft, again: str, confidence: float, trust: float = 0.9) -> tuple[str, FontFit]:
    """The second reading, read with ``trust`` at least, and its fit when it fits a face
    clearly better, else the first."""
    text, fit = draft.text, draft.fit
    again = latin_punctuation(again.strip())
    if not again or again == text or confidence < trust or has_cjk(again):
        return text, fit
    letters, letters_again = text.replace(" ", ""), again.replace(" ", "")
    # The same letters with other spaces: spaces are respace's to decide, from the ink's gaps
    # ("★★★★☆  4.2·318 reviews" read again as "★★★★☆4.2·318reviews" fitted better without them).
    if letters_again == letters:
        return text, fit
    w, h, mass, alpha = draft.measured
    slanted = draft.shear >= _ITALIC_SHEAR
    other = fit_font(again, w, h, mass, alpha=alpha, faces=draft.ink.faces, slanted=slanted)
    return (again, other) if other.error + 0.05 < fit.error else (text, fit)


def _samples(pieces: list[_Piece], limit: int = 12) -> list[Sample]:
    """The pieces that say most about the page's fonts: the longest few of each height.

    CJK text says little about a Latin face, and a long run in which no word gap was found
    (spaces lost in a way that misleads the fit) is left out.
    """
    by_height: dict[int, list[_Piece]] = {}
    for piece in pieces:
        text = piece.text
        height = piece.measured[1]
        if len(text) < 5 or has_cjk(text) or height < 6:
            continue
        if piece.shear >= _ITALIC_SHEAR:  # italics: the page's upright faces are what is chosen
            continue
        by_height.setdefault(round(math.log(height) / math.log(1.12)), []).append(piece)
    queues = [sorted(group, key=lambda p: -len(p.text)) for _, group in sorted(by_height.items())]
    chosen: list[_Piece] = []
    # Lines that fit a rarer kind of face on their own (code in a monospace face, a serif
    # quote) would be outnumbered by the longest body lines of their height: the longest two
    # of each such kind are taken first.
    candidates = [p for queue in queues for p in queue]
    for kind in ("mono", "serif"):
        own = sorted(
            (p for p in candidates if p.kind == kind and len(p.text) >= 8), key=lambda p: -len(p.text)
        )
        chosen.extend(own[:2])
    for rank in range(3):
        for queue in queues:
            if rank < len(queue) and len(chosen) < limit and all(queue[rank] is not c for c in chosen):
                chosen.append(queue[rank])
    samples: list[Sample] = []
    for piece in chosen[:limit]:
        width, height, mass, alpha = piece.measured
        other = (piece.ocr_text,) if piece.ocr_text != piece.text else ()
        x0, y0, x1, y1 = piece.bounds
        columns = upright_columns(piece.ink.mask[y0:y1, x0:x1], piece.shear)
        samples.append(Sample(piece.text, width, height, mass, alpha, other, columns))
    return samples


def _italic_after_all(piece: _Piece, faces: tuple[FontFace, ...] | None) -> bool:
    """A line whose measured slant is short of an italic's but which the page's italic explains
    far better than any upright face: bulma_product's "Built for long days on loose ground." in
    Lato Italic 16 px measured a shear of 0.05 (a light italic's round letters outweigh its few
    stems) and came out in upright Merriweather 600 (error 0.077; Lato Italic 0.015). On the 33
    pages no other line between 0.02 and the italic shear comes near such a lead."""
    if not 0.02 <= piece.shear < _ITALIC_SHEAR or len(piece.text.replace(" ", "")) < 8:
        return False
    width, height, mass, alpha = piece.measured
    upright = fit_font(piece.text, width, height, mass, alpha=alpha, faces=faces, slanted=False)
    italic = fit_font(piece.text, width, height, mass, alpha=alpha, faces=faces, slanted=True)
    return (
        italic.italic
        and italic.error <= min(0.1, 0.5 * upright.error)
        and upright.error - italic.error >= 0.03
    )


def _line_of(job: tuple[_Piece, tuple[FontFace, ...] | None]) -> TextLine:
    return _line(*job)


def _line(piece: _Piece, faces: tuple[FontFace, ...] | None) -> TextLine:
    """The piece as a text line, its font fitted among the page's faces."""
    ink = piece.ink
    ink.faces = faces
    x0, y0, x1, y1 = piece.bounds
    fx0, fy0, fx1, fy1 = piece.box
    width, height, mass, alpha = piece.measured
    slanted = piece.shear >= _ITALIC_SHEAR or _italic_after_all(piece, faces)
    filled = upright_columns(ink.mask[y0:y1, x0:x1], piece.shear)
    # The spaces again, now in the page's own face, from OCR's reading and from the one the
    # system faces found (italics and tight text lose spaces that only a close face finds):
    # whichever explains the ink better.
    readings = []
    for start in dict.fromkeys((piece.ocr_text, piece.text)):
        fit = fit_font(start, width, height, mass, alpha=alpha, faces=faces, slanted=slanted)
        if fit.face is not None and fit.face.kind != "mono" and not has_cjk(start):
            # Capitals read in lowercase, which the system faces took for monospace when the line
            # was cut (bs_landing_saas' tracked-out "FIELD SERVICE, SIMPLIFIED" in Montserrat,
            # fitted as Liberation Mono, and left in lowercase by _finish): in the page's face
            # the ink shows them, and the line is fitted and spaced as capitals.
            start, fit = _as_capitals(start, fit, piece.measured, faces, slanted) or (start, fit)
        # A capital read twice ("HHOME") first: its extra width would read as word gaps.
        dropped = drop_doubled_capital(start, fit, piece.measured, faces)
        if dropped is not None:
            start, fit = dropped
        readings.append(_respace(start, filled, fit, piece.measured, faces, slanted))
    # OCR's own reading unless the other is clearly better: spaces added between tracked-out
    # capitals also make a line fit, without being there.
    text, fit, word_gaps = readings[0]
    if len(readings) > 1 and readings[1][1].error + 0.02 < fit.error:
        text, fit, word_gaps = readings[1]
    # A doubled letter OCR read once ("erors"), or a letter read twice: the word's ink says so.
    restored = restore_letters(text, fit, alpha, filled)
    if restored != text:
        text, fit = (
            restored,
            fit_font(restored, width, height, mass, alpha=alpha, faces=faces, slanted=slanted),
        )
    proofed, fit = proofread(text, fit, piece.measured)
    if proofed != text:
        # A dash or a curly quote is wider than what OCR wrote: the spaces and the font again.
        respaced = _respace(
            proofed,
            filled,
            fit_font(proofed, width, height, mass, alpha=alpha, faces=faces, slanted=slanted),
            piece.measured,
            faces,
            slanted,
        )
        if respaced[1].error <= fit.error + 0.02:
            # Only the spaces beside the corrected characters are new evidence; elsewhere the
            # refit's face may differ and split words ("Your s tatement i s r eady").

            # Where the proofread text differs, as indices into it (a dash OCR read twice is one
            # character fewer: the characters either side of it count).
            ops = difflib.SequenceMatcher(None, text, proofed, autojunk=False).get_opcodes()
            changed = {
                j
                for op, _i1, _i2, j1, j2 in ops
                if op != "equal"
                for j in (range(j1, j2) if j2 > j1 else (j1 - 1, j1))
            }
            proofed, fit, word_gaps = _spaces_beside(proofed, respaced[0], changed), respaced[1], respaced[2]
    text = proofed
    # Small capitals: the case of each letter from its glyph's height, the size from the capitals.
    cased = small_caps(text, alpha)
    if cased is not None:
        text, fit = cased, small_caps_fit(cased, fit, width, height, mass)
    h = y1 - y0
    threshold = 0.9 * min(word_gaps) if word_gaps else max(0.3 * h, 3.0)
    runs = _color_runs(ink, text, (x0, y0, x1, y1), threshold)
    return TextLine(
        text=text,
        ink=Box(ink.x0 + fx0, ink.y0 + fy0, fx1 - fx0, fy1 - fy0),
        color=max(runs, key=lambda r: len(r[0]))[1] if runs else ink.color(x0, y0, x1, y1),
        background=_rgb(ink.background),
        fit=fit,
        underline=piece.underline,
        strike=piece.strike,
        italic=fit.italic,
        small_caps=cased is not None,
        mass=mass,
        runs=runs,
        alpha=alpha,
        frame=None
        if piece.frame is None
        else Box(
            ink.x0 + piece.frame[0],
            ink.y0 + piece.frame[1],
            piece.frame[2] - piece.frame[0],
            piece.frame[3] - piece.frame[1],
        ),
    )


def _underline(mask: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> int | None:
    """The row where an underline starts, if the ink's lowest rows are one long horizontal run."""
    width = x1 - x0
    if width < 12 or y1 - y0 < 8:
        return None
    for y in range(y1 - 1, max(y1 - 4, y0), -1):
        if mask[y, x0:x1].mean() > 0.9:
            above = y
            while above - 1 > y0 and mask[above - 1, x0:x1].mean() > 0.9:
                above -= 1
            # There must be a gap (no-ink-across) row between the glyphs and the line.
            if above - 1 > y0 and mask[above - 1, x0:x1].mean() < 0.6:
                return above
            return None
    return None


def _strike(mask: np.ndarray, text: str, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int] | None:
    """The rows of a line drawn through the text's middle (``text-decoration: line-through``), if any.

    A strike is a thin band of rows the ink fills from end to end, with the glyphs' bodies above
    and below it. Text alone never fills a row: the gaps between letters and words leave a tenth
    of it or more empty even in tight bold lowercase, so the band must be nearly full (95%).
    Lines of dashes and rules are not text with a strike: at least two letters or digits.
    """
    height, width = y1 - y0, x1 - x0
    if height < 6 or width < 1.5 * height or sum(ch.isalnum() for ch in text) < 2:
        return None
    filled = mask[y0:y1, x0:x1].mean(axis=1)
    full = np.flatnonzero(filled >= 0.95)
    middle = full[(full >= 0.25 * height) & (full <= 0.8 * height)]
    if len(middle) == 0:
        return None
    top = bottom = int(middle[0])
    while bottom + 1 < height and filled[bottom + 1] >= 0.95:
        bottom += 1
    if bottom - top + 1 > max(2, round(0.15 * height)):
        return None
    # Glyph bodies on both sides, lighter than the line.
    above, below = filled[max(top - 3, 0) : top], filled[bottom + 1 : bottom + 4]
    if not len(above) or not len(below) or max(above.max(), below.max()) >= 0.8:
        return None
    if filled[:top].mean() < 0.05 or filled[bottom + 1 :].mean() < 0.05:
        return None
    return y0 + top, y0 + bottom + 1
