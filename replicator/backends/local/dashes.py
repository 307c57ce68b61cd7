"""Lone dashes: a table cell's "—" for no value, which OCR does not read.

OCR's detector finds no text in a single short bar, and the graphics finder's opening clears thin
slivers, so the dash was lost (bulma_files' empty size, bs_pricing's plan without a feature). A
short horizontal bar of one color, 1-3 px thick, standing alone (no other ink within an em and a
half either side, nor a text line's height above and below: a card tool's minus has its close
icon beside it), with text on its row, is a dash: an em dash as wide as an em of the text beside
it, an en dash about half, a hyphen less. It becomes a text line in the face of the text on its
row.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...models import Box
from .fonts import FONTS
from .model import TextLine
from .regions import as_rgb, edge_pixels, mode_color

# The bar's length: thin_runs keeps them from 6 px (shorter ones are specks); longer ones than
# this are rules (find_rules starts at 24 px).
_LONGEST = 24
# Levels off its ground at its strongest: a muted dash on white (bs_pricing's #dee2e6) is 33.
_CONTRAST = 30
# An em dash draws about 0.8-1 em of ink, an en dash 0.5, a hyphen 0.3 (in ems of its face).
_EM_DASH, _EN_DASH = 0.7, 0.38


def find_dashes(
    rgb: np.ndarray, runs: list[tuple[int, int, int, int]], lines: list[TextLine]
) -> list[TextLine]:
    """The lone dashes among the page's thin runs outside text (``regions.thin_runs``; module
    docstring), as text lines in their row's face."""
    if not lines:
        return []
    height, width = rgb.shape[:2]
    found: list[TextLine] = []
    for x, y, w, h in runs:
        if w >= _LONGEST:
            continue
        row = [ln for ln in lines if abs(ln.ink.center[1] - (y + h / 2)) <= 0.6 * ln.size]
        if not row:
            continue  # a cell's value has text on its row
        line = min(row, key=lambda ln: abs(ln.ink.center[0] - x))
        size = line.size
        reach_x, reach_y = max(w, round(1.5 * size)), round(0.8 * size)
        x0, y0 = max(x - reach_x, 0), max(y - reach_y, 0)
        x1, y1 = min(x + w + reach_x, width), min(y + h + reach_y, height)
        around = rgb[y0:y1, x0:x1].astype(np.int16)
        ground = mode_color(edge_pixels(around))
        ink = np.abs(around - ground).max(axis=2) > 30
        ink[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = False
        if ink.any():
            continue  # other ink beside it: a stroke of something else (a glyph, an icon, a box)
        # Its colour where it is strongest (a 1 px bar between two rows is half in each), and
        # as clear of its ground as text is (an illustration's faint edge is no dash).
        bar = rgb[y : y + h, x : x + w].reshape(-1, 3).astype(np.int16)
        strength = np.abs(bar - ground).max(axis=1)
        if int(strength.max()) < _CONTRAST:
            continue
        color = as_rgb(np.median(bar[strength >= 0.8 * strength.max()], axis=0))
        face = line.fit.face
        ems = w / size
        text = "\u2014" if ems >= _EM_DASH else "\u2013" if ems >= _EN_DASH else "-"
        fit = line.fit
        if face is not None:
            measure = FONTS.measure(text, face, fit.weight, fit.italic)
            fit = dataclasses.replace(fit, measure=measure, letter_spacing=0.0)
        found.append(
            TextLine(
                text=text,
                ink=Box(float(x), float(y), float(w), float(h)),
                color=color,
                background=as_rgb(ground),
                fit=fit,
                mass=float(w * h),
            )
        )
    return found
