"""Small form controls in the screenshot: checkboxes, radio buttons and switches (toggles).

Earlier stages see them as a tiny picture, a tiny box or a one-letter "word" (OCR reads a tick as
"<" or "v"). Each such candidate is measured from its pixels: the silhouette that differs from the
surface around it, holes filled. The rules, measured on Chromium's native controls and Bootstrap's,
Tailwind's and daisyUI's drawings of them:

- size: 10-30 px tall, checkboxes and radios at most 24 (a control is about the size of its
  label's text; a logo beside an app's name is bigger);
- outline: a square with corners rounded less than a third of its side fills >= 86% of its box
  (checkbox); a circle fills ~78.5% with empty corners (radio); a pill 1.5-2.6 times as wide as tall
  with empty corners is a switch;
- a checkbox or radio needs its label (a text line starting 2-24 px to its right, centred on it)
  or two more alike in a column (the selection boxes of a list); a switch needs its knob: a disc
  of another color inside one end of the pill;
- the outline fits the ideal rounded square or circle within 10% of the box (a gear or a bell
  icon does not);
- unchecked: outlined and empty, in a neutral color (a chart legend's color square, a logo, has
  no outline); checked: filled with an accent color (or near-black), with a tick or dot (4-50%
  of the inside) that stands out of the fill, a checkbox's tick lighter than its fill; a checked
  radio's mark is a round dot in its middle (a check or a cross in a circle is a feature list's
  icon); a switch is checked when its knob sits in its right half;
- radios come in groups of two or more with at most one checked (a column of rings with dots is
  an issue list's icons).

Counts OCR passes over or misreads are read here too (``read_badges``, ``split_discs``): a badge's
"9+" on its pill, a bell and its badge taken as one picture, a count beside its icon, a stepper's
numbered disc or ring read as a circled digit ("③Team"); each disc, pill or ring becomes a round
box (a ring a bordered one) holding its count.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ...models import RGB, Box
from ...ocr import OcrEngine, OcrLine
from .fonts import FontFace, shape_similarity
from .graphics import add_region, data_uri
from .model import Control, Graphic, Region, TextBlock, TextLine
from .regions import as_rgb, color_distance, crop_around, edge_pixels, fill_holes, mode_color, rounded_rect
from .text import IconCheck, read_lines

MIN_SIDE, MAX_SIDE = 10, 30
_MARK_STEP = 48  # an inner pixel this far from the fill color belongs to the tick, dot or knob


def _rgb(values: np.ndarray) -> RGB:
    r, g, b = (round(float(v)) for v in values[:3])
    return (r, g, b)


def find_controls(
    rgb: np.ndarray, lines: list[TextLine], regions: list[Region], graphics: list[Graphic]
) -> list[Control]:
    """The checkboxes, radios and switches among the small graphics, empty boxes and one- or
    two-letter lines; each found control's own pieces are marked consumed (see ``consumed``)."""
    candidates: list[Box] = [g.box for g in graphics if _small(g.box) and not g.behind_text]
    icons = [g.box for g in graphics if not g.behind_text and g.box.height <= 2 * MAX_SIDE]
    candidates += [r.box for r in regions if _small(r.box) and r.visible and not _holds_text(r.box, lines)]
    candidates += [ln.ink for ln in lines if len(ln.text.strip()) <= 2 and ln.ink.height <= MAX_SIDE]
    found: list[Control] = []
    unlabelled: list[Control] = []
    for box in _merged(candidates):
        control = _measure(rgb, box)
        if control is None or any(_overlap(control.box, other.box) for other in [*found, *unlabelled]):
            continue
        control.label = _label(control, lines, icons)
        if control.kind in ("checkbox", "radio") and control.box.height > 24:
            continue  # a logo or an app icon beside its name, not a box to tick
        if control.kind in ("checkbox", "radio") and control.label is None:
            unlabelled.append(control)
            continue
        found.append(control)
    # Without a label, only a column of alike boxes (the selection boxes of a list's rows, and the
    # "select all" box above them, which may be a few pixels larger) counts.
    labelled = list(found)
    for control in unlabelled:
        alike = [
            c
            for c in unlabelled + labelled
            if c.kind == control.kind
            and abs(c.box.x - control.box.x) <= 2
            and abs(c.box.width - control.box.width) <= max(1.0, 0.25 * control.box.width)
            and abs(c.box.height - control.box.height) <= max(1.0, 0.25 * control.box.height)
        ]
        if len(alike) >= 3:
            found.append(control)
    found = _radio_groups(found)
    for graphic in graphics:
        dots = _mask_dots(rgb, graphic.box)
        if dots is not None and not any(_overlap(dots.box, other.box) for other in found):
            found.append(dots)
        slider = None if graphic.behind_text else _slider(rgb, graphic.box)
        if slider is not None and not any(_overlap(slider.box, other.box) for other in found):
            found.append(slider)
    found.sort(key=lambda c: (c.box.y, c.box.x))
    return found


# What OCR writes for a radio's ring or a checkbox's square inside a line ("O Monthly O Quarterly").
_CONTROL_READINGS = frozenset({"O", "o", "0", "Q", "D", "口", "□", "☐", "○", "◯", "◉", "⊙", "®", "@"})


def split_inline_controls(rgb: np.ndarray, lines: list[TextLine], pictures: list[Box]) -> list[TextLine]:
    """Lines in which OCR read radios or checkboxes as letters among their labels ("O Monthly
    O Quarterly"): each such letter whose pixels measure as a control becomes a one-letter line of
    its own (``find_controls`` takes it from there), and the words between them lines of their own.
    Only words OCR wrote as a control's look-alike, standing alone, are looked at, and only where a
    round or square blob of a control's size stands apart from the letters beside it (or one of
    the small ``pictures`` found there measures as a control: a checked radio's dot and ring)."""
    out: list[TextLine] = []
    for line in lines:
        words = line.text.split()
        if len(words) < 2 or not any(w in _CONTROL_READINGS for w in words):
            out.append(line)
            continue
        out.extend(_split_line(rgb, line, words, pictures))
    return out


def _split_line(rgb: np.ndarray, line: TextLine, words: list[str], pictures: list[Box]) -> list[TextLine]:
    blobs = _blobs(rgb, line)
    marks = [k for k, w in enumerate(words) if w in _CONTROL_READINGS]
    # OCR may read a control just left of where it boxed the line ("O Monthly" with the ring a few
    # pixels before the box): small pictures there count too.
    band = Box(line.ink.x - 30, line.ink.y, line.ink.width + 30, line.ink.height)
    near = [p for p in pictures if _overlap(p, band) and abs(p.center[1] - line.ink.center[1]) <= 6]
    controls: list[Box] = []
    for candidate in sorted([*blobs, *near], key=lambda b: b.x):
        if any(_overlap(candidate, c) for c in controls):
            continue
        control = _measure(rgb, candidate)
        found = control is not None and control.kind in ("radio", "checkbox")
        if control is not None and found and not any(_overlap(control.box, c) for c in controls):
            controls.append(control.box)
    if not controls or len(controls) > len(marks):
        return [line]
    if len(controls) != len(marks):
        return [line]  # a look-alike word that is a real letter, or a control OCR did not read
    lead = words[: marks[0]]
    pieces: list[TextLine] = []
    if lead:
        ink = _ink_between(rgb, line, line.ink.x, controls[0].x - 1)
        if ink is None:
            return [line]
        pieces.append(replace(line, text=" ".join(lead), ink=ink, runs=[], alpha=None))
    ends = [*[c.x for c in controls[1:]], line.ink.right]
    for k, (box, end) in enumerate(zip(controls, ends, strict=True)):
        pieces.append(replace(line, text=words[marks[k]], ink=box, runs=[], alpha=None))
        stop = marks[k + 1] if k + 1 < len(marks) else len(words)
        chunk = words[marks[k] + 1 : stop]
        if not chunk:
            continue
        ink = _ink_between(rgb, line, box.right + 1, end - 1)
        if ink is None:
            return [line]
        pieces.append(replace(line, text=" ".join(chunk), ink=ink, runs=[], alpha=None))
    return pieces


def _ink_mask(rgb: np.ndarray, line: TextLine, x0: int, x1: int) -> tuple[np.ndarray, int] | None:
    height = rgb.shape[0]
    y0 = max(int(line.ink.y) - 4, 0)
    y1 = min(math.ceil(line.ink.bottom) + 4, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    window = rgb[y0:y1, x0:x1].astype(np.int16)
    background = np.array(line.background, dtype=np.int16)
    return np.abs(window - background).max(axis=2) > 40, y0


def _blobs(rgb: np.ndarray, line: TextLine) -> list[Box]:
    """Column runs of ink along the line that are shaped like a control: 10-24 px, about square."""
    x0 = max(int(line.ink.x) - 3, 0)
    x1 = min(math.ceil(line.ink.right) + 3, rgb.shape[1])
    found = _ink_mask(rgb, line, x0, x1)
    if found is None:
        return []
    mask, y0 = found
    columns = np.asarray(mask.any(axis=0), dtype=bool)
    boxes: list[Box] = []
    start = None
    for x, on in enumerate([*(bool(v) for v in columns.tolist()), False]):
        if on and start is None:
            start = x
        elif not on and start is not None:
            rows = np.flatnonzero(mask[:, start:x].any(axis=1))
            w, h = x - start, int(rows[-1] - rows[0] + 1)
            if MIN_SIDE <= h <= 24 and MIN_SIDE <= w <= 24 and 0.75 <= w / h <= 1.33:
                boxes.append(Box(x0 + start, y0 + int(rows[0]), w, h))
            start = None
    return boxes


def _ink_between(rgb: np.ndarray, line: TextLine, x_from: float, x_to: float) -> Box | None:
    x0, x1 = max(int(x_from), 0), min(math.ceil(x_to), rgb.shape[1])
    found = _ink_mask(rgb, line, x0, x1)
    if found is None:
        return None
    mask, y0 = found
    cols, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if not len(cols):
        return None
    return Box(x0 + int(cols[0]), y0 + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def _radio_groups(controls: list[Control]) -> list[Control]:
    """Radios come in groups with one choice made: a radio alone, or a column of "checked" ones
    (an issue list's open-issue icons, a ring with a dot), is no radio."""
    radios = [c for c in controls if c.kind == "radio"]
    dropped: set[int] = set()
    for radio in radios:
        group = [
            r
            for r in radios
            if (abs(r.box.center[1] - radio.box.center[1]) <= 4 and abs(r.box.x - radio.box.x) <= 400)
            or (abs(r.box.x - radio.box.x) <= 4 and abs(r.box.y - radio.box.y) <= 240)
        ]
        if len(group) < 2 or sum(r.checked for r in group) > 1:
            dropped.add(id(radio))
    return [c for c in controls if id(c) not in dropped]


def _mask_dots(rgb: np.ndarray, box: Box) -> Control | None:
    """A password's masked value: a strip of three or more equal dots at an even pitch.

    Returned as a ``dots`` control whose ``knob`` is the number of dots.
    """
    if not (3 <= box.height <= 14 and box.width >= 3 * box.height):
        return None
    x0, y0 = int(box.x), int(box.y)
    crop = rgb[y0 : math.ceil(box.bottom), x0 : math.ceil(box.right)].astype(np.int16)
    if crop.size == 0:
        return None
    surface = np.median(np.concatenate([crop[:, 0], crop[:, -1]]), axis=0)
    ink = np.abs(crop - surface).max(axis=2) > 40
    columns = ink.any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], columns.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    if len(starts) < 3:
        return None
    widths = stops - starts
    pitches = np.diff(starts)
    if (
        widths.max() - widths.min() > 2
        or pitches.max() - pitches.min() > 2
        or widths.max() > 1.5 * box.height
    ):
        return None
    color = _rgb(np.median(crop[ink], axis=0))
    return Control("dots", box, True, color, color, knob=float(len(starts)))


def _slider(rgb: np.ndarray, box: Box) -> Control | None:
    """A range slider: a thin track across the whole picture and one round thumb on it, taller than
    the track (the track left of the thumb may be filled in another colour). Its value is where
    the thumb's centre stands along the track."""
    if not (8 <= box.height <= 32 and box.width >= 6 * box.height):
        return None
    crop, x0, y0 = crop_around(rgb, box, 3)
    part = crop.astype(np.int16)
    inked = np.abs(part - np.median(edge_pixels(part), axis=0)).max(axis=2) > 40
    columns = inked.any(axis=0)
    inner = columns[3:-3] if columns.size > 6 else columns
    if inner.size == 0 or inner.mean() < 0.97:
        return None  # the track runs without a break from end to end
    tops = np.where(columns, inked.argmax(axis=0), 0)
    bottoms = np.where(columns, inked.shape[0] - inked[::-1].argmax(axis=0), 0)
    extent = bottoms - tops
    track = float(np.median(extent[columns]))
    if not 2 <= track <= 0.5 * part.shape[0]:
        return None
    tall = columns & (extent >= track + 4)
    starts = np.flatnonzero(tall[1:] & ~tall[:-1]) + 1
    runs = len(starts) + int(tall[0])
    if runs != 1:
        return None
    xs = np.flatnonzero(tall)
    knob = float(extent[xs].max())
    thumb_w = float(xs[-1] - xs[0] + 1)
    if not 0.6 * knob <= thumb_w <= 1.5 * knob or knob < track + 4:
        return None
    middle = int(np.median((tops[columns] + bottoms[columns]) / 2))
    row = crop[middle]
    left_cols = [c for c in range(int(np.flatnonzero(columns)[0]) + 1, int(xs[0]) - 1)]
    right_cols = [c for c in range(int(xs[-1]) + 2, int(np.flatnonzero(columns)[-1]))]
    rest = row[right_cols] if right_cols else row[left_cols] if left_cols else None
    if rest is None:
        return None
    rest_color = as_rgb(np.median(rest, axis=0))
    fill_color = as_rgb(np.median(row[left_cols], axis=0)) if left_cols else rest_color
    centre = (xs[0] + xs[-1]) / 2
    thumb = as_rgb(
        np.median(
            rgb[y0 + middle - 1 : y0 + middle + 2, x0 + int(centre) - 1 : x0 + int(centre) + 2].reshape(
                -1, 3
            ),
            axis=0,
        )
    )
    first, last = int(np.flatnonzero(columns)[0]), int(np.flatnonzero(columns)[-1])
    span = max(last - first - knob, 1.0)
    value = float(np.clip((centre - first - knob / 2) / span * 100, 0, 100))
    return Control(
        "range",
        Box(x0 + first, y0 + int(tops[xs].min()), last - first + 1, knob),
        checked=False,
        fill=fill_color,
        mark=thumb,
        border=rest_color,
        radius=track / 2,
        knob=knob,
        value=round(value, 1),
    )


def consumed(control: Control, box: Box) -> bool:
    """Whether a graphic, region or text line at ``box`` is part of ``control``'s drawing."""
    return control.box.contains(box, slack=2)


def checked_radio(rgb: np.ndarray, box: Box) -> bool:
    """Whether a small picture is drawn as a checked radio, a ring with a dot of the ring's color
    in its middle: no icon draws it as well as its crop does (a lone one, which is no control,
    matched fa-brands' codiepie). A filled disc with a light hole is not one (a gear)."""
    if not _small(box):
        return False
    control = _measure(rgb, box)
    return (
        control is not None
        and control.kind == "radio"
        and control.checked
        and control.border is not None
        and color_distance(control.border, control.mark) <= 48
    )


def _small(box: Box) -> bool:
    return MIN_SIDE - 2 <= box.height <= MAX_SIDE + 2 and 6 <= box.width <= 2.8 * MAX_SIDE


def _holds_text(box: Box, lines: list[TextLine]) -> bool:
    return any(
        len(ln.text.strip()) > 2
        and _overlap(box, ln.ink)
        and ln.ink.x >= box.x - 1
        and ln.ink.right <= box.right + 1
        for ln in lines
    )


def _overlap(a: Box, b: Box) -> bool:
    return min(a.right, b.right) > max(a.x, b.x) and min(a.bottom, b.bottom) > max(a.y, b.y)


def _merged(boxes: list[Box]) -> list[Box]:
    """Candidate boxes, overlapping ones joined (a tick's "letter" inside a box's picture)."""
    result: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b.y, b.x)):
        for index, other in enumerate(result):
            if _overlap(box, other):
                result[index] = other.union(box)
                break
        else:
            result.append(box)
    return result


def _measure(rgb: np.ndarray, candidate: Box, retry: bool = True) -> Control | None:
    height, width = rgb.shape[:2]
    # The candidate may be only the tick inside the box: look 8 px around it. In a tight mobile
    # form the next control may stand within 8 px: then 3 px around a candidate of a control's
    # size.
    for pad in (8, 3) if candidate.width >= MIN_SIDE and candidate.height >= MIN_SIDE else (8,):
        x0, y0 = max(int(candidate.x) - pad, 0), max(int(candidate.y) - pad, 0)
        x1, y1 = min(math.ceil(candidate.right) + pad, width), min(math.ceil(candidate.bottom) + pad, height)
        if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
            return None
        window = rgb[y0:y1, x0:x1].astype(np.int16)
        ring = edge_pixels(window)
        surface = np.median(ring, axis=0)
        if float((np.abs(ring - surface).max(axis=1) > 8).mean()) <= 0.3:
            break
    else:
        return None  # not on a flat surface: part of a picture (a label's letters may cross the ring)
    distance = np.abs(window - surface).max(axis=2)
    # Light outlines (#dee2e6 on white) are antialiased down to a few levels: a low threshold
    # keeps a faint ring closed; the box is then cut to the rows and columns of real strength.
    differs = distance > 8
    _, labels = cv2.connectedComponents(differs.view(np.uint8), connectivity=8)
    cx0, cy0 = int(candidate.x) - x0, int(candidate.y) - y0
    cx1, cy1 = math.ceil(candidate.right) - x0, math.ceil(candidate.bottom) - y0
    inside = np.unique(labels[max(cy0, 0) : cy1, max(cx0, 0) : cx1])
    silhouette = np.isin(labels, inside[inside > 0])
    if not silhouette.any():
        return None
    filled = fill_holes(silhouette)
    strength = np.where(silhouette, distance, 0)
    row_peak, col_peak = strength.max(axis=1), strength.max(axis=0)
    typical = float(np.median(row_peak[row_peak > 0]))
    ys = np.nonzero(row_peak >= 0.4 * typical)[0]
    xs = np.nonzero(col_peak >= 0.4 * typical)[0]
    top, bottom, left, right = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    filled[:top] = False
    filled[bottom:] = False
    filled[:, :left] = False
    filled[:, right:] = False
    if top == 0 or left == 0 or bottom == filled.shape[0] or right == filled.shape[1]:
        # Runs out of the window: the candidate was part of it (a switch's knob); once, look again
        # around all of it, which a control's size bounds.
        grow = MAX_SIDE
        gx0 = x0 + left - (grow if left == 0 else 0)
        gy0 = y0 + top - (grow if top == 0 else 0)
        gx1 = x0 + right + (grow if right == filled.shape[1] else 0)
        gy1 = y0 + bottom + (grow if bottom == filled.shape[0] else 0)
        if retry and bottom - top <= MAX_SIDE + 8 and right - left <= 2.8 * MAX_SIDE:
            return _measure(rgb, Box(gx0, gy0, gx1 - gx0, gy1 - gy0), retry=False)
        return None
    h, w = bottom - top, right - left
    if not (MIN_SIDE <= h <= MAX_SIDE):
        return None
    shape = np.ascontiguousarray(filled[top:bottom, left:right])
    fill_ratio = float(shape.mean())
    corner = max(1, round(0.12 * h))
    corners_empty = all(
        not shape[sy, sx].any()
        for sy, sx in (
            (slice(0, corner), slice(0, corner)),
            (slice(0, corner), slice(w - corner, w)),
            (slice(h - corner, h), slice(0, corner)),
            (slice(h - corner, h), slice(w - corner, w)),
        )
    )
    aspect = w / h
    if 0.85 <= aspect <= 1.18:
        if 0.70 <= fill_ratio < 0.86 and corners_empty:
            kind = "radio"
        elif fill_ratio >= 0.86:
            kind = "checkbox"
            # A strongly colored disc's antialiased rim fills its box a little more than a circle
            # should: the outline's fit tells a checked radio from a rounded checkbox.
            if fill_ratio < 0.9 and corners_empty and _misfit(shape, h / 2) < _misfit(shape, 0.2 * h):
                kind = "radio"
        else:
            return None
    elif 1.5 <= aspect <= 2.6 and corners_empty and fill_ratio >= 0.8:
        kind = "switch"
    else:
        return None
    radius = h / 2 if kind != "checkbox" else math.sqrt(max(1.0 - fill_ratio, 0.0) * w * h / (4 * 0.2146))
    # (The corner radius read from the fill is rough on small boxes: the best nearby one counts.)
    if min(_misfit(shape, radius + d) for d in (-2.0, -1.0, 0.0, 1.0, 2.0)) > 0.1:
        return None  # an icon's outline (a gear, a bell), not a control's clean square or circle
    crop = window[top:bottom, left:right]
    eroded = _erode(shape, 3)
    rim = shape & ~eroded
    inner = _erode(shape, 5)
    if not inner.any() or not rim.any():
        return None
    # The fill is read in the band just inside the outline: a checked radio's dot may cover most
    # of the inside.
    band = eroded & ~_erode(shape, 7)
    fill = np.median(crop[band if band.any() else inner], axis=0)
    # The outline's own color is where the antialiased rim is strongest.
    rim_distance = np.abs(crop - fill).max(axis=2)
    strong = rim & (rim_distance >= 0.9 * float(rim_distance[rim].max()))
    border = np.median(crop[strong], axis=0)
    # A switch's knob may be white on a light gray track: a weaker step finds it.
    mark_mask = inner & (np.abs(crop - fill).max(axis=2) > (_MARK_STEP if kind != "switch" else 16))
    mark_share = float(mark_mask.sum()) / float(inner.sum())
    # Strokes of any strength inside: an icon's drawing; an unchecked control is empty.
    # Measured in the middle half of the box: an antialiased rounded outline reaches a few pixels in.
    core = np.zeros_like(shape)
    core[h // 4 : h - h // 4, w // 4 : w - w // 4] = True
    empty = float((core & (np.abs(crop - fill).max(axis=2) > 20)).sum()) / float(core.sum()) < 0.03
    mark = fill
    if mark_mask.any():
        mark_distance = np.abs(crop - fill).max(axis=2)
        mark_mask &= mark_distance >= 0.5 * float(mark_distance[mark_mask].max())
        mark = np.median(crop[mark_mask], axis=0)
    # A rim between the fill and the surface is antialiasing, not an outline.
    between = bool(
        np.all(border >= np.minimum(fill, surface) - 6) and np.all(border <= np.maximum(fill, surface) + 6)
    )
    has_border = float(np.abs(border - fill).max()) > 16 and not between
    box = Box(x0 + left, y0 + top, w, h)
    fill_differs = float(np.abs(fill - surface).max()) > 24
    if kind == "radio" and not empty and not _dot(mark_mask, w, h):
        return None  # a tick or a cross in a circle is an icon (a feature list's check), not a radio
    if kind != "switch":
        if empty:
            # Unchecked: an outlined box, empty, in a neutral color (a legend's color square or
            # a logo has no outline).
            if not has_border or _saturation(fill) > 0.25:
                return None
        elif not (
            fill_differs
            and (_saturation(fill) >= 0.35 or float(fill.max()) <= 60)
            and (kind != "checkbox" or _lightness(mark) >= _lightness(fill) + 0.25)
            and 0.04 <= mark_share <= (0.6 if kind == "radio" else 0.5)
            and _contrast(mark, fill) >= 100
        ) and not (
            # Or an outline with a mark of the outline's own color inside (a native radio's dot;
            # a dark slate icon's ring and strokes are no accent color).
            kind == "radio"
            and has_border
            and _saturation(border) >= 0.35
            and float(border.max()) >= 100
            and _contrast(mark, border) <= 40
            and mark_share >= 0.04
        ):
            # Checked: a box filled with an accent color (or one far from the surface), with a
            # tick or dot that stands out of it (an icon on a dark side bar is neither).
            return None
    if kind == "switch":
        if mark_share < 0.12:
            return None  # no knob: a pill badge or a progress bar, not a switch
        # The knob reaches nearer the outline than the inner mask does: measure it inside the rim.
        knob_mask = eroded & (np.abs(crop - fill).max(axis=2) >= 0.5 * float(np.abs(mark - fill).max()))
        if not knob_mask.any():
            return None
        mxs = np.nonzero(knob_mask)[1]
        knob_rows = np.nonzero(knob_mask.any(axis=1))[0]
        if abs(float(mxs.mean()) - w / 2) < 0.12 * w:
            return None  # a mark in the middle: a pill badge's count ("15"), not a knob at one end
        checked = float(mxs.mean()) > w / 2
        knob = min(float(knob_rows.max() - knob_rows.min() + 1), h - 4.0)
        return Control(
            "switch",
            box,
            checked,
            _rgb(fill),
            _rgb(mark),
            _rgb(border) if has_border else None,
            radius=h / 2,
            knob=knob,
        )
    return Control(
        kind,
        box,
        not empty,
        _rgb(fill),
        _rgb(mark),
        _rgb(border) if has_border else None,
        radius=round(radius, 1),
    )


def _dot(mark: np.ndarray, w: int, h: int) -> bool:
    """Whether a mark is a radio's dot: a round blob in the middle of the box."""
    ys, xs = np.nonzero(mark)
    if len(xs) == 0:
        return False
    bw, bh = int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1
    centred = (
        abs((xs.min() + xs.max()) / 2 - (w - 1) / 2) <= 0.12 * w + 0.5
        and abs((ys.min() + ys.max()) / 2 - (h - 1) / 2) <= 0.12 * h + 0.5
    )
    return centred and 0.7 <= bw / bh <= 1.4 and len(xs) >= 0.55 * bw * bh


def _lightness(color: np.ndarray) -> float:
    r, g, b = (float(v) / 255 for v in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _erode(mask: np.ndarray, size: int) -> np.ndarray:
    """``mask`` eroded by a ``size`` square, the outside of the array counting as empty."""
    padded = np.pad(mask, size).astype(np.uint8)
    return cv2.erode(padded, np.ones((size, size), np.uint8)).astype(bool)[size:-size, size:-size]


def _misfit(shape: np.ndarray, radius: float) -> float:
    """Share of the box where ``shape`` differs from the ideal rounded rectangle (or circle)."""
    h, w = shape.shape
    ideal = rounded_rect(h, w, min(round(radius), min(h, w) // 2))
    return float(np.count_nonzero(shape != ideal)) / float(h * w)


def _saturation(color: np.ndarray) -> float:
    high, low = float(color.max()), float(color.min())
    return (high - low) / high if high > 0 else 0.0


def _contrast(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max())


def _label(control: Control, lines: list[TextLine], icons: Sequence[Box] = ()) -> TextLine | None:
    """The text line right of the control, centred on it: its label. The label may lead with
    its own icon (a payment method's logo): the gap is then measured from that icon."""
    b = control.box
    start = b.right
    for icon in sorted(icons, key=lambda i: i.x):
        if (
            0 <= icon.x - start <= 24
            and icon.width <= 48
            and icon.height <= 2 * b.height
            and abs(icon.center[1] - b.center[1]) <= max(4.0, 0.3 * b.height)
        ):
            start = icon.right
    best: TextLine | None = None
    for line in lines:
        if len(line.text.strip()) <= 2 and consumed(control, line.ink):
            continue
        gap = line.ink.x - (b.right if line.ink.x < start else start)
        centred = abs(line.ink.center[1] - b.center[1]) <= max(4.0, 0.3 * b.height)
        # OCR's box for the label sometimes takes in part of the control: a small overlap is allowed.
        if -0.6 * b.width <= gap <= 24 and centred and (best is None or line.ink.x < best.ink.x):
            best = line
    return best


def split_labels(blocks: list[TextBlock], controls: list[Control]) -> list[TextBlock]:
    """Blocks with each control's label line as a block of its own (stacked switch labels are no
    paragraph: each belongs to its control)."""
    labels = {id(c.label) for c in controls if c.label is not None}
    result: list[TextBlock] = []
    for block in blocks:
        if len(block.lines) == 1 or not any(id(line) in labels for line in block.lines):
            result.append(block)
            continue
        result.extend(TextBlock([line]) for line in block.lines)
    return result


def remeasure_on_fills(
    rgb: np.ndarray,
    lines: list[TextLine],
    regions: list[Region],
    icon_check: IconCheck | None = None,
    root: Region | None = None,
) -> list[TextLine]:
    """Lines whose measured ink is in fact the filled box around them (a badge's pill, found
    once the box is, or the part of a band under them), measured again inside that box, on its
    fill. ``icon_check``: as for ``read_lines``, which strips the icons OCR read as letters
    ("@1 day" for a clock and "1 day"): on the pill they are ink of their own, which the graphics
    finder then finds. With ``root``, a pill that no region holds (the line's ink hid it from the
    region finder) becomes one."""
    result: list[TextLine] = []
    for line in lines:
        holder = next(
            (
                r
                for r in regions
                if r.box.width * r.box.height > 0
                and consumed_by(r.box, line.ink)
                and (
                    line.ink.width * line.ink.height >= 0.6 * r.box.width * r.box.height
                    # A slice of a band just the line's height (adminlte's "More info" on its
                    # card's darker footer, the band's yellow taken for ink and fitted at 35 px).
                    or (line.ink.height >= 0.85 * r.box.height and r.box.height >= 8)
                )
            ),
            None,
        )
        if holder is None and root is not None and sum(ch.isalnum() for ch in line.text) >= 2:
            holder = _own_pill(rgb, line.ink, root, regions)
        if holder is None:
            result.append(line)
            continue
        # The box's inside with everything around it painted in its fill: only the letters differ.
        b = holder.box
        inset = max(2, round(holder.radius / 2))
        x0, y0 = max(int(b.x) - 6, 0), max(int(b.y) - 6, 0)
        window = rgb[y0 : math.ceil(b.bottom) + 6, x0 : math.ceil(b.right) + 6].copy()
        keep = np.zeros(window.shape[:2], dtype=bool)
        keep[
            int(b.y) - y0 + 2 : math.ceil(b.bottom) - y0 - 2,
            int(b.x) - x0 + inset : math.ceil(b.right) - x0 - inset,
        ] = True
        window[~keep] = holder.fill
        height, width = window.shape[:2]
        read = Box(0, 0, width, height)
        if line.ink.width < 0.8 * b.width:
            # On a band wider than the line: read where the line is, over the band's height.
            read = Box(max(line.ink.x - x0 - 2, 0), 0, line.ink.width + 4, height)
        again = read_lines(window, [OcrLine(line.text, read, 1.0)], icon_check=icon_check)
        if len(again) != 1:
            result.append(line)
            continue
        ink = again[0].ink
        result.append(replace(again[0], ink=Box(ink.x + x0, ink.y + y0, ink.width, ink.height)))
    return result


def frame_boxes(rgb: np.ndarray, lines: list[TextLine], root: Region, regions: list[Region]) -> None:
    """The boxes round words inside a line, which the line's reading found (TextLine.frame) and
    the region finder did not, added to ``regions``: GitHub's keys in "Type [g] [i] on any
    issue" (their faint antialiased outlines make no edge), outlined in their ring's colour; the
    filled badges in "Annual [-25%]" (the line's box held them), plain. Each filled with its
    inside's colour, rounded as its top row says."""
    for line in lines:
        frame = line.frame
        if frame is None or any(r.visible and frame.intersection(r.box) > 0.6 * frame.area for r in regions):
            continue
        x0, y0 = int(frame.x), int(frame.y)
        x1, y1 = x0 + round(frame.width), y0 + round(frame.height)
        crop = rgb[y0:y1, x0:x1].astype(np.int16)
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            continue
        fill = mode_color(crop[3:-3, 3:-3].reshape(-1, 3))
        ring = edge_pixels(crop)
        away = np.abs(ring - fill).max(axis=1)
        outlined = color_distance(as_rgb(mode_color(ring)), as_rgb(fill)) > 12
        if outlined:
            # A key: its outline starts where the corner's curve ends.
            top = np.flatnonzero(np.abs(crop[0] - fill).max(axis=1) >= 0.5 * away.max())
        else:
            # A badge: its fill starts where the corner's curve ends.
            top = np.flatnonzero(np.abs(crop[0] - fill).max(axis=1) <= 12)
        radius = min(frame.height / 2, 1.5 * float(top[0]) + 1.0) if len(top) else 0.0
        region = add_region(frame, as_rgb(fill), root, regions, radius=radius)
        if outlined:
            color = as_rgb(np.median(ring[away >= np.percentile(away, 75)], axis=0))
            region.border_width = (1, 1, 1, 1)
            region.border_color = color
            region.border_colors = (color, color, color, color)


def _own_pill(rgb: np.ndarray, ink: Box, root: Region, regions: list[Region]) -> Region | None:
    """A badge's pill that a line's measured ink is (bs_dashboard's first "Paid", which OCR's box
    held tight, so the whole pill was ink and the word was fitted to it: 21 px, weight 900, for
    10.5 px bold), as a new region: a solid block of one colour on the page's, holding letters of
    another colour."""
    x0, y0 = int(ink.x), int(ink.y)
    x1, y1 = math.ceil(ink.right), math.ceil(ink.bottom)
    # Wider than tall: a disc or a square holding a digit or an icon is split_discs' and the
    # icon finder's.
    if y1 - y0 < 8 or x1 - x0 < 1.5 * (y1 - y0):
        return None
    around, _, _ = crop_around(rgb, ink, 3)
    page = np.median(edge_pixels(around).astype(np.int16), axis=0)
    crop = rgb[y0:y1, x0:x1].astype(np.int16)
    block = np.abs(crop - page).max(axis=2) > 30
    if float(block.mean()) < 0.7:
        return None
    # The block with its holes (letters in the page's colour) filled, then off its rim.
    inner = cv2.erode(fill_holes(block).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if int(inner.sum()) < 40:
        return None
    pixels = crop[inner]
    fill = mode_color(pixels, 8)
    letters = np.abs(pixels - fill).max(axis=1) > 40
    if not 0.05 <= float(letters.mean()) <= 0.5:
        return None  # one colour throughout (a bar, a button's face), or nothing written on it
    # Its corners: how far in its top row starts.
    inked = np.flatnonzero(block[0])
    radius = min((y1 - y0) / 2, 2.0 * float(inked[0]) + 1.0) if len(inked) else 0.0
    return add_region(Box(x0, y0, x1 - x0, y1 - y0), as_rgb(fill), root, regions, radius=radius)


def consumed_by(outer: Box, inner: Box) -> bool:
    return outer.contains(inner, slack=3)


_GLYPHS = set("0123456789«»‹›…<>")


def read_glyphs(
    rgb: np.ndarray,
    graphics: list[Graphic],
    regions: list[Region],
    engine: OcrEngine,
    root: Region,
    faces: tuple[FontFace, ...] | None = None,
) -> tuple[list[TextLine], list[Graphic]]:
    """Single characters in small boxes (page numbers, counters) that OCR's detector passes over
    and that became pictures: read once more, alone and enlarged. A numbered disc (a step, a rank)
    taken for an icon is its own box: read, it becomes a round box in ``regions`` holding its
    digit. Returns the lines read and the graphics left."""
    found: list[TextLine] = []
    kept: list[Graphic] = []
    for graphic in graphics:
        line = _glyph(rgb, graphic, regions, engine, faces=faces)
        disc = _disc(rgb, graphic.box) if line is None else None
        if disc is not None:
            line = _glyph(rgb, graphic, regions, engine, disc=disc, faces=faces)
            if line is not None:
                add_region(disc.box, disc.fill, root, regions, radius=disc.radius)
        if line is None:
            kept.append(graphic)
        else:
            found.append(line)
    return found, kept


# A number standing alone on its surface (a ranking's large red serif "1" to "5", a calendar's day
# numbers, a pager's current page): OCR's detector passes over a lone glyph, and the graphics
# finder traced it as a mark. Read on its own surface, it is text, when its reading is digits
# and, drawn, matches the ink closely; a traced letter may well be a logo and stays one.
_FREE_DIGITS = re.compile(r"\d{1,3}")
_FREE_LIKENESS = 0.75  # as a glyph in its holder (_glyph)
_FREE_SURFACE = 24  # how far (max channel) the surface round the glyph may stray from its median


def read_free_numbers(
    rgb: np.ndarray, graphics: list[Graphic], engine: OcrEngine, faces: tuple[FontFace, ...] | None
) -> tuple[list[TextLine], list[Graphic]]:
    """Numbers standing alone that were traced as marks, read as text (see ``_FREE_DIGITS``);
    the lines read and the graphics left."""
    found: list[TextLine] = []
    kept: list[Graphic] = []
    for graphic in graphics:
        line = _free_digits(rgb, graphic, engine, faces)
        if line is None:
            kept.append(graphic)
        else:
            found.append(line)
    return found, kept


def _free_digits(
    rgb: np.ndarray, graphic: Graphic, engine: OcrEngine, faces: tuple[FontFace, ...] | None
) -> TextLine | None:
    g = graphic.box
    if (
        graphic.trace is None
        or graphic.behind_text
        or not (8 <= g.height <= 56 and g.width <= 1.2 * g.height)
    ):
        return None
    crop, _x0, _y0 = crop_around(rgb, g, max(3, round(0.3 * g.height)))
    around = edge_pixels(crop).astype(np.int16)
    surface = np.median(around, axis=0)
    if float(np.mean(np.abs(around - surface).max(axis=1) <= _FREE_SURFACE)) < 0.9:
        return None  # not on a plain surface: part of a picture
    fill = (int(surface[0]), int(surface[1]), int(surface[2]))
    ((text, confidence),) = engine.recognize([_enlarged(crop, fill, 3 * round(g.height))])
    text = unicodedata.normalize("NFKC", text).strip()
    if confidence < 0.5 or not _FREE_DIGITS.fullmatch(text):
        return None
    return _read_alone(
        rgb,
        OcrLine(text, Box(g.x - 1, g.y - 1, g.width + 2, g.height + 2), confidence),
        faces,
        _FREE_LIKENESS,
    )


# A word-shaped picture: a line of glyphs this tall (px) and at least this many heights wide.
_WORD_HEIGHT = (7, 40)
_WORD_MIN_ASPECT = 1.6
_WORD_MAX_ASPECT = 30.0  # wider is a bar or a rule, and costs the recognizer as much as a page's line
_WORD_CONFIDENCE = 0.9
_WORD_LIKENESS = 0.7  # the reading drawn in its fitted face against the ink (fonts.shape_similarity)


def read_words(
    rgb: np.ndarray, graphics: list[Graphic], engine: OcrEngine, faces: tuple[FontFace, ...] | None = None
) -> tuple[list[TextLine], list[Graphic]]:
    """Words OCR's detector passed over (a bold label on a yellow pill, small print in a tracked-out
    caps line) that became pictures: each word-shaped picture is read once more by the recognizer
    (one batch for the page), and a confident reading whose drawing in its fitted face matches the
    ink becomes text, fitted among ``faces`` (the page's; a word alone says little about its
    family: bs_news_portal's "By Aisha Rahman" came out in Open Sans 600 beside Roboto 400).
    Returns the lines read and the graphics left."""
    low, high = _WORD_HEIGHT
    candidates = [
        g
        for g in graphics
        if not g.behind_text
        and g.icon is None
        and low <= g.box.height <= high
        and _WORD_MIN_ASPECT * g.box.height <= g.box.width <= _WORD_MAX_ASPECT * g.box.height
        and _ink_runs(rgb, g.box) >= 2  # a bar, a rule, a solid shape is one run: letters stand apart
    ]
    if not candidates:
        return [], graphics
    height, width = rgb.shape[:2]
    crops = [
        np.ascontiguousarray(
            rgb[
                max(int(b.y) - 3, 0) : min(math.ceil(b.bottom) + 3, height),
                max(int(b.x) - 4, 0) : min(math.ceil(b.right) + 4, width),
            ]
        )
        for b in (g.box for g in candidates)
    ]
    readings = engine.recognize(crops)
    found: list[TextLine] = []
    read: set[int] = set()
    for g, (text, confidence) in zip(candidates, readings, strict=True):
        text = text.strip()
        if (
            len(text.replace(" ", "")) < 2
            or confidence < _WORD_CONFIDENCE
            or not any(ch.isalnum() for ch in text)
        ):
            continue
        b = g.box
        box = Box(b.x - 1, b.y - 1, b.width + 2, b.height + 2)
        lines = read_lines(rgb, [OcrLine(text, box, confidence)], faces=faces)
        if len(lines) != 1:
            continue
        line = lines[0]
        face = line.fit.face
        if face is None or line.alpha is None or line.alpha.size == 0:
            continue
        likeness = shape_similarity(
            line.alpha, line.text, face, line.fit.weight, line.fit.size, line.fit.letter_spacing
        )
        if likeness < _WORD_LIKENESS:
            continue
        if not any(ch.isalnum() for ch in line.text):
            continue
        found.append(line)
        read.add(id(g))
    return found, [g for g in graphics if id(g) not in read]


_LETTER_CONFIDENCE = 0.8
_LETTER_LIKENESS = 0.6


def read_big_glyphs(
    rgb: np.ndarray,
    lines: list[TextLine],
    graphics: list[Graphic],
    regions: list[Region],
    engine: OcrEngine,
    faces: tuple[FontFace, ...] | None = None,
) -> tuple[list[TextLine], list[Graphic]]:
    """A price set big and heavy that OCR's detector passed over ("$0", "€0" on a pricing card):
    its "0" became a dark rounded box (its ring, with the counter a picture inside) and its
    currency sign a picture beside it. Such a box, filled in a colour far from what it stands on
    and holding no text, is read by the recognizer together with the pictures of its height on
    its row beside it; a confident reading with a digit whose drawing in its fitted face matches
    the ink becomes a line, and the box and the pictures go. Returns the lines read and the
    graphics left."""
    found: list[TextLine] = []
    gone: set[int] = set()
    for region in regions:
        b = region.box
        parent = region.parent
        if (
            not region.visible
            or parent is None
            or not 16 <= b.height <= 96
            or b.width > 1.2 * b.height
            or region.has_border
            or color_distance(region.fill, parent.fill) < 100
            or any(ln.ink.intersection(b) > 0 for ln in lines)
        ):
            continue
        inside = [g for g in graphics if b.contains(g.box, slack=1)]
        beside = [
            g
            for g in graphics
            if id(g) not in gone
            and not b.contains(g.box, slack=1)
            and g.icon is None
            and 0.6 * b.height <= g.box.height <= 1.4 * b.height
            and min(g.box.bottom, b.bottom) - max(g.box.y, b.y) >= 0.6 * min(g.box.height, b.height)
            and max(g.box.x - b.right, b.x - g.box.right) <= 0.3 * b.height
        ]
        if len(inside) > 1 or not beside:
            continue
        cluster = b
        for g in beside:
            cluster = cluster.union(g.box)
        crop, _x, _y = crop_around(rgb, cluster, 4)
        ((text, confidence),) = engine.recognize([np.ascontiguousarray(crop)])
        text = text.replace(" ", "")
        box = Box(cluster.x - 1, cluster.y - 1, cluster.width + 2, cluster.height + 2)
        if confidence >= 0.9 and 2 <= len(text) <= 6 and any(ch.isdigit() for ch in text):
            line = _read_alone(rgb, OcrLine(text, box, confidence), faces, 0.7, exact=True)
        elif text in ("0", "O", "o") and any(g.box.right <= b.x + 1 for g in beside):
            # The recognizer's English dictionary has no euro sign: "€0" came out "O". The sign
            # before the "0" is the currency sign whose drawing matches the ink best.
            line = _priced(rgb, box, faces)
        else:
            line = None
        if line is None:
            continue
        found.append(line)
        region.visible = False
        gone.update(id(g) for g in [*inside, *beside])
    return found, [g for g in graphics if id(g) not in gone]


def _priced(rgb: np.ndarray, box: Box, faces: tuple[FontFace, ...] | None) -> TextLine | None:
    """The "0" price in ``box`` with the currency sign before it that, drawn in its fitted face,
    matches the ink best (and well: 0.75)."""
    best: tuple[float, TextLine] | None = None
    for sign in "€$£¥":
        line = _read_alone(rgb, OcrLine(sign + "0", box, 0.9), faces, 0.75, exact=True)
        if line is None or line.fit.face is None or line.alpha is None:
            continue
        score = shape_similarity(line.alpha, line.text, line.fit.face, line.fit.weight, line.fit.size)
        if best is None or score > best[0]:
            best = (score, line)
    return best[1] if best is not None else None


def rejoin_letters(
    rgb: np.ndarray, lines: list[TextLine], graphics: list[Graphic], engine: OcrEngine
) -> tuple[list[TextLine], list[Graphic]]:
    """Letters OCR's detector left out of a line ("RECIPE OF THE WEE" + a picture of the "K",
    "Simple ricing" + the "p" whose descender stuck out of the line's box): a small picture at a
    line's end or on it, in its band, is read again with the line (one recognizer call each). A
    reading that is the line's own with only one to three characters added, whose drawing in its
    fitted face matches the ink, replaces the line, and the picture goes; so does the same reading
    (the letter read, its ink left out of the line's box). Returns both lists."""
    taken: set[int] = set()
    result = list(lines)
    for g in graphics:
        b = g.box
        if g.behind_text or g.icon is not None or not (4 <= b.height <= 64 and b.width <= 1.6 * b.height):
            continue
        # The line it belongs to: the nearest in its band (the "p" between "Simple" and "ricing"
        # is nearest the word it starts).
        near = [
            (max(line.ink.x - b.right, b.x - line.ink.right, 0.0), i)
            for i, line in enumerate(result)
            if b.height <= 1.8 * line.ink.height
            and min(b.bottom, line.ink.bottom) - max(b.y, line.ink.y) >= 0.5 * min(b.height, line.ink.height)
            and b.right >= line.ink.x - 0.8 * line.ink.height
            and b.x <= line.ink.right + 0.8 * line.ink.height
        ]
        index = min(near)[1] if near else None
        if index is None:
            continue
        line = result[index]
        union = Box(
            min(b.x, line.ink.x),
            min(b.y, line.ink.y),
            max(b.right, line.ink.right) - min(b.x, line.ink.x),
            max(b.bottom, line.ink.bottom) - min(b.y, line.ink.y),
        )
        crop, _x, _y = crop_around(rgb, union, 4)
        ((text, confidence),) = engine.recognize([np.ascontiguousarray(crop)])
        text = " ".join(text.split())
        if confidence < _LETTER_CONFIDENCE:
            continue
        # The same reading: the letter was read, its ink left out of the line's box ("actually"
        # without its "y"'s descender, a tracked-out "EMAIL" without its "L").
        ops = difflib.SequenceMatcher(None, line.text, text, autojunk=False).get_opcodes()
        added = [text[j0:j1] for op, _i0, _i1, j0, j1 in ops if op == "insert"]
        extra = "".join(added).replace(" ", "")
        if (
            any(op in ("replace", "delete") for op, *_ in ops)
            or len(extra) > 3
            or (not extra.isalnum() and extra)
        ):
            continue
        again = read_lines(
            rgb, [OcrLine(text, Box(union.x - 1, union.y - 1, union.width + 2, union.height + 2), confidence)]
        )
        if len(again) != 1 or again[0].fit.face is None or again[0].alpha is None:
            continue
        new = again[0]
        assert new.fit.face is not None
        if new.ink.intersection(b) < 0.5 * b.area:
            continue  # measured again, the line left the picture out: an icon, not its letters
        likeness = shape_similarity(
            new.alpha, new.text, new.fit.face, new.fit.weight, new.fit.size, new.fit.letter_spacing
        )
        # The picture must be letters of the line: with it, the reading drawn matches the ink at
        # about as well as the line did without it (an icon beside a label, taken in, does not).
        before = (
            shape_similarity(
                line.alpha, line.text, line.fit.face, line.fit.weight, line.fit.size, line.fit.letter_spacing
            )
            if line.fit.face is not None and line.alpha is not None and line.alpha.size
            else 0.0
        )
        if likeness < max(_LETTER_LIKENESS, before - 0.03):
            continue
        result[index] = new
        taken.add(id(g))
    return result, [g for g in graphics if id(g) not in taken]


def find_ellipses(rgb: np.ndarray, lines: list[TextLine], graphics: list[Graphic]) -> list[TextLine]:
    """A lone "…" (a pager's gap, "1 2 3 … 18"): three dots in a row that OCR's detector passes
    over, too small to be a picture. Dots are the small round marks a 5 px black-hat (or top-hat,
    for light text on dark) leaves outside text and pictures; three of one size at one height and
    one pitch (1.5 to 4 dot widths), with no fourth at that pitch (a dotted line), are an ellipsis,
    read as one through the text measure."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))
    height, width = gray.shape
    covered = np.zeros((height, width), dtype=bool)
    for box in [ln.ink for ln in lines] + [g.box for g in graphics]:
        covered[
            max(int(box.y) - 2, 0) : min(math.ceil(box.bottom) + 2, height),
            max(int(box.x) - 2, 0) : min(math.ceil(box.right) + 2, width),
        ] = True
    dots: list[tuple[float, float, int, int, int]] = []  # x, y, w, h, dark or light
    # Dark dots and light ones apart: the light gaps between dark dots are top-hat marks too.
    for operation in (cv2.MORPH_BLACKHAT, cv2.MORPH_TOPHAT):
        marks = (cv2.morphologyEx(gray, operation, kernel) > 60) & ~covered
        count, _labels, stats, centroids = cv2.connectedComponentsWithStats(
            marks.view(np.uint8), connectivity=8
        )
        dots += [
            (float(centroids[i][0]), float(centroids[i][1]), int(stats[i][2]), int(stats[i][3]), operation)
            for i in range(1, count)
            if 1 <= stats[i][2] <= 4
            and 1 <= stats[i][3] <= 4
            and abs(int(stats[i][2]) - int(stats[i][3])) <= 1
        ]
    dots.sort(key=lambda d: (round(d[1]), d[0]))
    found: list[TextLine] = []
    used: set[int] = set()
    for i, (x, y, w, _h, polarity) in enumerate(dots):
        if i in used:
            continue
        row = [
            j
            for j, d in enumerate(dots)
            if d[4] == polarity and abs(d[1] - y) <= 1 and abs(d[2] - w) <= 1 and d[0] >= x
        ]
        row.sort(key=lambda j: dots[j][0])
        if len(row) < 3:
            continue
        a, b, c = (dots[j] for j in row[:3])
        pitch = b[0] - a[0]
        if not (1.5 * w <= pitch <= 4 * w + 1 and abs((c[0] - b[0]) - pitch) <= 1):
            continue
        if len(row) > 3 and abs(dots[row[3]][0] - c[0] - pitch) <= 1.5:
            used.update(row)
            continue  # a dotted line
        if any(d[4] == polarity and abs(d[1] - y) <= 1 and abs(a[0] - d[0] - pitch) <= 1.5 for d in dots):
            used.update(row)
            continue
        used.update(row[:3])
        x0, x1 = a[0] - w / 2 - 1, c[0] + w / 2 + 1
        size = 4 * pitch  # the ellipsis's em, about: its dots stand a third of an em apart
        box = Box(x0 - 1, y - 0.7 * size, x1 - x0 + 2, 0.95 * size)
        read = read_lines(rgb, [OcrLine("\u2026", box, 0.9)])
        if len(read) == 1 and read[0].text == "\u2026":
            found.append(read[0])
    return found


def _ink_runs(rgb: np.ndarray, box: Box) -> int:
    """How many runs of inked columns the picture in ``box`` has: where it differs from its own
    most common colour (a word's background outweighs its letters)."""
    part = rgb[int(box.y) : math.ceil(box.bottom), int(box.x) : math.ceil(box.right)].astype(np.int16)
    if part.size == 0:
        return 0
    background = np.median(part.reshape(-1, 3), axis=0)
    inked = (np.abs(part - background).max(axis=2) > 60).any(axis=0)
    return int(np.count_nonzero(inked[1:] & ~inked[:-1]) + int(inked[0]))


def reread_glyphs(
    rgb: np.ndarray,
    lines: list[TextLine],
    regions: list[Region],
    engine: OcrEngine,
    faces: tuple[FontFace, ...] | None = None,
) -> list[TextLine]:
    """One- and two-character lines alone in small boxes, read again enlarged (OCR takes a lone
    "3" for an "m"): the second reading wins when it is a digit or a paging mark."""
    result = []
    for line in lines:
        if len(line.text.strip()) <= 2 and not set(line.text.strip()) <= _GLYPHS:
            again = _glyph(rgb, Graphic(line.ink, ""), regions, engine, visible_only=True, faces=faces)
            if again is not None:
                result.append(again)
                continue
        result.append(line)
    return result


def _disc(rgb: np.ndarray, box: Box) -> Region | None:
    """The picture as a filled disc with a mark on it in another color (a numbered step or rank):
    the disc as a box of its fill, or None. Corners show the surface around it; most of the rest is
    one color; the mark keeps clear of the rim."""
    if not (12 <= box.height <= 40 and 0.85 <= box.width / box.height <= 1.18):
        return None
    x0, y0 = round(box.x), round(box.y)
    crop = rgb[y0 : y0 + round(box.height), x0 : x0 + round(box.width)].astype(np.int16)
    h, w = crop.shape[:2]
    if h < 12 or w < 12:
        return None
    corners = np.concatenate(
        [c.reshape(-1, 3) for c in (crop[:2, :2], crop[:2, -2:], crop[-2:, :2], crop[-2:, -2:])]
    )
    outside = np.median(corners, axis=0)
    middle = crop[h // 2 - 2 : h // 2 + 3, w // 5 : w // 4 + 1].reshape(-1, 3)  # left of centre: no mark
    fill = np.median(middle, axis=0)
    if np.abs(fill - outside).max() < 40 or np.abs(corners - outside).max() > 24:
        return None
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (yy + 0.5 - h / 2) ** 2 / (h / 2) ** 2 + (xx + 0.5 - w / 2) ** 2 / (w / 2) ** 2 <= 0.7
    filled = np.abs(crop - fill).max(axis=2) <= 24
    mark = ~filled & inside
    if not (0.04 <= mark.sum() / inside.sum() <= 0.45) or filled[inside].mean() < 0.5:
        return None
    return Region(Box(x0, y0, w, h), as_rgb(fill), radius=min(w, h) / 2)


def _enlarged(crop: np.ndarray, fill: RGB, pad: int) -> np.ndarray:
    """``crop`` enlarged three times (bicubic) on a canvas of ``fill`` with ``pad`` px on either
    side and half that above and below: what the recognizer reads a lone glyph or word from."""
    big = cv2.resize(crop, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    canvas = np.empty((big.shape[0] + pad, big.shape[1] + 2 * pad, 3), dtype=np.uint8)
    canvas[:] = fill
    canvas[pad // 2 : pad // 2 + big.shape[0], pad : pad + big.shape[1]] = big
    return canvas


def _glyph(
    rgb: np.ndarray,
    graphic: Graphic,
    regions: list[Region],
    engine: OcrEngine,
    visible_only: bool = False,
    disc: Region | None = None,
    faces: tuple[FontFace, ...] | None = None,
) -> TextLine | None:
    """The picture's glyph read as text, its holder a box around it (or ``disc``, a numbered
    disc's own box, whose glyph is read bare: a dark margin made the recognizer read a "3" as
    nothing), fitted among ``faces`` (the page's), or None."""
    g = graphic.box
    if graphic.behind_text or not (6 <= g.height <= 56 and g.width <= 1.5 * g.height):
        return None
    # The picture may be the whole box (a filled page button taken for an icon): its box then is
    # the holder, shown again once its glyph is text.
    whole = disc or (
        None
        if visible_only
        else next((r for r in regions if consumed_by(r.box, g) and consumed_by(g, r.box)), None)
    )
    holder = whole or next(
        (
            r
            for r in regions
            if r.visible
            and g.height <= 24
            and r.box.height <= 56
            and r.box.width <= 3 * r.box.height
            and consumed_by(r.box, g)
            and abs(r.box.center[0] - g.center[0]) <= 4
            and abs(r.box.center[1] - g.center[1]) <= 4
        ),
        None,
    )
    if holder is None:
        return None
    b = holder.box
    inset = max(2, round(holder.radius / 2))
    crop = rgb[int(b.y) + 2 : math.ceil(b.bottom) - 2, int(b.x) + inset : math.ceil(b.right) - inset]
    if crop.size == 0:
        return None
    # Read by the recognizer alone, on the box's inside enlarged three times with a margin of its own
    # fill (a word-sized image: a lone glyph cut tight reads poorly). Not by the detector: it scales a
    # small image up to 736 px before looking, which cost a page up to a second and a half of
    # pictures that held no glyph.
    canvas = _enlarged(crop, holder.fill, 0 if disc is not None else 3 * round(g.height))
    ((text, confidence),) = engine.recognize([canvas])
    # The Chinese model's other forms of a digit: fullwidth "１", superscript "²".
    text = unicodedata.normalize("NFKC", text).strip()
    # A lone glyph reads with less confidence than a word ("1" at 0.31, "2" at 0.55 on a page's own
    # pager): what decides is that the reading, drawn, matches the ink (below).
    if not text or len(text) > 3 or confidence < 0.3 or not set(text) <= _GLYPHS:
        return None
    if whole is not None:
        # Where the glyph is in the box: the ink that stands out from the box's fill.
        fill = np.asarray(holder.fill, dtype=np.int16)
        ys, xs = np.nonzero(np.abs(crop.astype(np.int16) - fill).max(axis=2) > 60)
        if len(xs) == 0:
            return None
        left, top = int(b.x) + inset, int(b.y) + 2
        g = Box(
            left + int(xs.min()),
            top + int(ys.min()),
            int(xs.max() - xs.min()) + 1,
            int(ys.max() - ys.min()) + 1,
        )
    # The reading must look like the ink: drawn in the fitted face, the characters match the glyph's
    # shape (a lightning icon read as "4" does not).
    ocr = OcrLine(text, Box(g.x - 1, g.y - 1, g.width + 2, g.height + 2), confidence)
    line = _read_alone(rgb, ocr, faces, 0.75)
    if line is None:
        return None
    if whole is not None:
        whole.visible = True
    return line


# --- count badges, numbered discs and stepper rings ----------------------------------------------

# A badge's count: "3", "12", "9+", "+4", "99+".
_COUNT = re.compile(r"\+?\d{1,3}\+?")
_BADGE_HEIGHT = (10, 30)  # px: a notification dot's pill up to a stepper's ring
_BADGE_ASPECT = (0.8, 2.8)  # a disc up to a "99+" pill
# A short word on a pill of that size (a label's "ui", "new", "beta"): read, it must be surer, and
# drawn, match the ink more closely, than a count.
_PILL_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.-]{0,7}")
_BADGE_ROUND = 0.12  # the silhouette's misfit to a pill of radius h/2 (discs, pills; a tag is squarer)
_BADGE_LIKENESS = 0.75  # the count drawn in its fitted face against the ink (as _glyph)


@dataclass(frozen=True, eq=False)
class _Body:
    """A disc, pill or ring found in a crop: its box and look on the page, and its mark (the
    ink inside that differs from its fill: a digit, a tick), as a page box."""

    box: Box
    fill: RGB  # the inside's colour (a ring's: the surface's)
    border: RGB | None  # a ring's colour; None for a filled disc or pill
    border_width: int
    mark: Box | None
    inside: np.ndarray | None = None  # the box's pixels inside the rim (None: all of them)


def _bodies(rgb: np.ndarray, box: Box, pad: int = 3) -> list[_Body]:
    """The discs, pills and rings of a badge's size in ``box`` (an icon with its badge on it, a
    stepper's numbered ring): each dominant colour other than the surface, holes filled (the
    digit inside is a hole), cut into components; those shaped like a pill of radius h/2 count."""
    crop, x0, y0 = crop_around(rgb, box, pad)
    part = crop.astype(np.int16)
    if part.shape[0] < _BADGE_HEIGHT[0] or part.shape[1] < _BADGE_HEIGHT[0]:
        return []
    surface = np.median(edge_pixels(part), axis=0)
    inked = np.abs(part - surface).max(axis=2) > 12
    if inked.sum() < 40:
        return []
    keys = (part[inked] // 24).astype(np.int32)
    codes = keys[:, 0] * 4096 + keys[:, 1] * 64 + keys[:, 2]
    values, counts = np.unique(codes, return_counts=True)
    found: list[_Body] = []
    taken = np.zeros(part.shape[:2], dtype=bool)
    for code in values[np.argsort(-counts)][:4]:
        members = part[inked][codes == code]
        if len(members) < 30:
            break
        color = np.median(members, axis=0)
        mask = fill_holes(_toward(part, surface, color)) & ~taken
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=4)
        for label in range(1, count):
            x, y, w, h, _area = (int(v) for v in stats[label])
            low, high = _BADGE_HEIGHT
            if not (low <= h <= high and _BADGE_ASPECT[0] <= w / h <= _BADGE_ASPECT[1]):
                continue
            if x == 0 or y == 0 or x + w == part.shape[1] or y + h == part.shape[0]:
                continue  # runs out of the crop: part of something bigger
            shape = np.ascontiguousarray(labels[y : y + h, x : x + w] == label)
            if shape.mean() < 0.7 or _misfit(shape, h / 2) > _BADGE_ROUND:
                continue
            body = _body(part[y : y + h, x : x + w], shape, color, surface, Box(x0 + x, y0 + y, w, h))
            if body is not None:
                found.append(body)
                taken[y : y + h, x : x + w] |= shape
    return found


def _toward(part: np.ndarray, surface: np.ndarray, color: np.ndarray) -> np.ndarray:
    """The pixels that are ``color`` over ``surface``, antialiased ones too (a 1 px light grey ring
    is mostly blend): on the way from the surface to the colour by 40% or more, and not far off
    that way (another colour)."""
    direction = (color - surface).astype(np.float32)
    offset = part.astype(np.float32) - surface
    t = (offset @ direction) / max(float(direction @ direction), 1.0)
    off = np.abs(offset - t[..., None] * direction).max(axis=-1)
    return (t >= 0.4) & (off <= 12 + 0.15 * float(np.abs(direction).max()))


def _body(
    part: np.ndarray, shape: np.ndarray, color: np.ndarray, surface: np.ndarray, box: Box
) -> _Body | None:
    """A disc's or ring's look: a ring's inside (a few px in) differs from its outline colour."""
    band = _erode(shape, 5) & ~_erode(shape, 9)
    if not band.any():
        return None
    inside_color = np.median(part[band], axis=0)
    # A ring's inside shows the surface: it is nearer the surface than the outline's colour (a
    # light grey ring on a near-white page is only some 30 levels from either).
    ring = float(np.abs(inside_color - color).max()) > max(
        16.0, 2 * float(np.abs(inside_color - surface).max())
    )
    width = 0
    if ring:
        # The outline's width: along the middle row, the run of its colour from the left edge.
        row = _toward(part[shape.shape[0] // 2 : shape.shape[0] // 2 + 1], surface, color)[0]
        width = int(np.argmin(row)) if not row.all() else 0
        if not 1 <= width <= max(2, round(0.2 * shape.shape[0])):
            return None
    fill = inside_color if ring else color
    inside = _erode(shape, 2 * width + 5)
    if not inside.any():
        return None
    marked = inside & (np.abs(part - fill).max(axis=2) > _MARK_STEP)
    share = float(marked.sum()) / float(inside.sum())
    mark = None
    if 0.04 <= share <= 0.6:
        # The mark's box from all of it: the glyph may reach nearer the rim than the inside above.
        ys, xs = np.nonzero(_erode(shape, 2 * width + 3) & (np.abs(part - fill).max(axis=2) > _MARK_STEP))
        mark = Box(
            box.x + int(xs.min()),
            box.y + int(ys.min()),
            int(xs.max() - xs.min()) + 1,
            int(ys.max() - ys.min()) + 1,
        )
    return _Body(
        box, as_rgb(fill), as_rgb(color) if ring else None, width, mark, _erode(shape, 2 * width + 3)
    )


def _read_mark(
    rgb: np.ndarray,
    body: _Body,
    engine: OcrEngine | None,
    expected: str | None = None,
    likeness: float = _BADGE_LIKENESS,
    confident: float = 0.3,
    pattern: re.Pattern[str] = _COUNT,
    faces: tuple[FontFace, ...] | None = None,
) -> TextLine | None:
    """The count on a disc, pill or ring (or what else ``pattern`` allows), read by the recognizer
    on its inside enlarged three times (or ``expected``, what OCR wrote for it), kept when drawn in
    its fitted face it matches the ink."""
    if body.mark is None:
        return None
    text, confidence = expected, 0.9
    if expected is None:
        assert engine is not None
        b = body.box
        inset = max(2, body.border_width + 1)
        crop = rgb[
            int(b.y) + inset : math.ceil(b.bottom) - inset, int(b.x) + inset : math.ceil(b.right) - inset
        ]
        if crop.size == 0:
            return None
        ((read, confidence),) = engine.recognize([_enlarged(crop, body.fill, 3 * round(body.mark.height))])
        # (The recognizer may add a stop or brackets at the rim: "9+.", "(7)".)
        text = unicodedata.normalize("NFKC", read).replace(" ", "").strip(".,:;·()[]{}'\"")
    if not text or confidence < confident or not pattern.fullmatch(text):
        return None
    # Measured on the inside alone, the rest painted in the fill: an icon under the badge, or the
    # rim, is no part of the glyph.
    b, m = body.box, body.mark
    x0, y0 = int(b.x) - 4, int(b.y) - 4
    if x0 < 0 or y0 < 0 or math.ceil(b.right) + 4 > rgb.shape[1] or math.ceil(b.bottom) + 4 > rgb.shape[0]:
        return None
    window = np.empty((math.ceil(b.bottom) + 4 - y0, math.ceil(b.right) + 4 - x0, 3), dtype=np.uint8)
    window[:] = body.fill
    inside = np.ones((int(b.height), int(b.width)), dtype=bool) if body.inside is None else body.inside
    source = rgb[int(b.y) : int(b.y) + inside.shape[0], int(b.x) : int(b.x) + inside.shape[1]]
    window[4 : 4 + inside.shape[0], 4 : 4 + inside.shape[1]][inside] = source[inside]
    ocr = OcrLine(text, Box(m.x - 1 - x0, m.y - 1 - y0, m.width + 2, m.height + 2), confidence)
    line = _read_alone(window, ocr, faces, likeness, exact=True)
    if line is None:
        return None
    ink = line.ink
    return replace(line, ink=Box(ink.x + x0, ink.y + y0, ink.width, ink.height))


def _read_alone(
    rgb: np.ndarray,
    ocr: OcrLine,
    faces: tuple[FontFace, ...] | None,
    likeness: float,
    exact: bool = False,
) -> TextLine | None:
    """``ocr`` measured as a line of its own, kept when, drawn in its fitted face, it matches the
    ink by ``likeness`` (``exact``: and the reading stands as OCR wrote it). Fitted among the
    page's ``faces`` first, and among all when none of them draws it so: a lone glyph says little
    about its family, and where the page's faces draw it unlike its ink (tw_kanban's count "5"
    among Inter and a CJK face), another face may."""
    for choice in (faces, None) if faces else (None,):
        lines = read_lines(rgb, [ocr], faces=choice)
        if len(lines) != 1 or (exact and lines[0].text != ocr.text):
            continue
        line = lines[0]
        face = line.fit.face
        if face is None or line.alpha is None or line.alpha.size == 0:
            continue
        if shape_similarity(line.alpha, ocr.text, face, line.fit.weight, line.fit.size) >= likeness:
            return line
    return None


def _pill_word(
    rgb: np.ndarray, body: _Body, engine: OcrEngine, faces: tuple[FontFace, ...] | None = None
) -> TextLine | None:
    """A short word on an empty pill (a label's "ui"), which OCR's detector passed over: the
    recognizer reads the word's own ink, enlarged three times on the pill's fill (read with the
    pill's rounded ends, as counts are, it came out with brackets and quotes: '"ui)' at 0.59;
    alone, "ui" at 0.94). Kept when it is sure, and drawn, matches the ink closely."""
    m = body.mark
    if m is None:
        return None
    x0, y0 = max(int(m.x) - 2, 0), max(int(m.y) - 3, 0)
    crop = rgb[y0 : math.ceil(m.bottom) + 3, x0 : math.ceil(m.right) + 2]
    if crop.size == 0:
        return None
    ((read, confidence),) = engine.recognize([_enlarged(crop, body.fill, 12)])
    if confidence < 0.9:
        return None
    return _read_mark(rgb, body, None, expected=read.strip(), likeness=0.8, pattern=_PILL_WORD, faces=faces)


def _badge_region(body: _Body, root: Region, regions: list[Region]) -> Region:
    """The disc, pill or ring as a round box; a square box found for it before is hidden."""
    for other in regions:
        b = other.box
        if (
            abs(b.x - body.box.x) <= 2
            and abs(b.y - body.box.y) <= 2
            and abs(b.right - body.box.right) <= 2
            and abs(b.bottom - body.box.bottom) <= 2
        ):
            other.visible = False
    region = add_region(body.box, body.fill, root, regions, radius=body.box.height / 2)
    if body.border is not None:
        region.border_width = (body.border_width,) * 4
        region.border_color = body.border
    return region


def _holds_line(box: Box, lines: list[TextLine]) -> bool:
    return any(ln.ink.intersection(box) > 0.3 * min(ln.ink.area, box.area) for ln in lines)


def _painted_out(rgb: np.ndarray, graphic: Graphic, boxes: list[Box]) -> Graphic | None:
    """``graphic`` without the badges in ``boxes`` (painted in its surface, the box cut to the ink
    left), or None when nothing is left of it."""
    crop, x0, y0 = crop_around(rgb, graphic.box, 0)
    crop = crop.copy()
    surface = np.median(edge_pixels(crop_around(rgb, graphic.box, 2)[0]).astype(np.int16), axis=0)
    for b in boxes:
        crop[
            max(int(b.y) - y0, 0) : max(math.ceil(b.bottom) - y0, 0),
            max(int(b.x) - x0, 0) : max(math.ceil(b.right) - x0, 0),
        ] = as_rgb(surface)
    ink = np.abs(crop.astype(np.int16) - surface).max(axis=2) > 40
    if ink.sum() < 12:
        return None
    ys, xs = np.nonzero(ink)
    left, top, right, bottom = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    box = Box(x0 + left, y0 + top, right - left, bottom - top)
    return replace(graphic, box=box, data_uri=data_uri(np.ascontiguousarray(crop[top:bottom, left:right])))


def _count_parts(rgb: np.ndarray, graphic: Graphic) -> list[_Body]:
    """Where a picture may be a count OCR's detector passed over: all of it when it is glyph-sized
    (a column's "4"), and what stands right of its widest gap (a comment icon and its "3")."""
    b = graphic.box
    if graphic.icon is not None or graphic.behind_text or not (7 <= b.height <= 24 and b.width <= 80):
        return []
    crop, x0, y0 = crop_around(rgb, b, 3)
    part = crop.astype(np.int16)
    surface = np.median(edge_pixels(part), axis=0)
    if float((np.abs(edge_pixels(part) - surface).max(axis=1) > 12).mean()) > 0.2:
        return []  # not on a flat surface
    ink = np.abs(part - surface).max(axis=2) > 40
    columns = ink.any(axis=0)
    if not columns.any():
        return []
    fill = as_rgb(surface)

    def piece(c0: int, c1: int) -> _Body | None:
        rows = np.flatnonzero(ink[:, c0:c1].any(axis=1))
        cols = np.flatnonzero(columns[c0:c1]) + c0
        if len(rows) == 0 or not 6 <= rows[-1] - rows[0] + 1 <= 20:
            return None
        mark = Box(
            x0 + int(cols[0]), y0 + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)
        )
        if mark.width > 2.2 * mark.height:
            return None
        return _Body(Box(mark.x - 3, mark.y - 3, mark.width + 6, mark.height + 6), fill, None, 0, mark)

    parts = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], columns.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    if len(starts) <= 3:
        parts.append(piece(int(starts[0]), int(stops[-1])))
    gaps = starts[1:] - stops[:-1]
    if len(gaps):
        k = int(np.argmax(gaps))
        if gaps[k] >= 3 and len(starts) - k - 1 <= 3:
            parts.append(piece(int(starts[k + 1]), int(stops[-1])))
    return [p for p in parts if p is not None]


def read_badges(
    rgb: np.ndarray,
    lines: list[TextLine],
    graphics: list[Graphic],
    regions: list[Region],
    engine: OcrEngine,
    root: Region,
    faces: tuple[FontFace, ...] | None = None,
) -> tuple[list[TextLine], list[Graphic]]:
    """Counts OCR passed over: a badge's "3" or "9+" on its disc or pill (alone, found as an empty
    box, where a short word is read too: a label's "ui"; or on the icon it marks, the two one
    picture), a count beside its icon ("💬 3"), a lone digit that became a picture. Each disc or
    pill read becomes a round box in ``regions`` holding its count, fitted among ``faces`` (the
    page's); what is left of a picture stays a picture. Returns the lines read and the graphics
    left."""
    found: list[TextLine] = []
    kept: list[Graphic] = []
    for graphic in graphics:
        b = graphic.box
        if b.height > 48 or b.width > 120:
            kept.append(graphic)
            continue
        badges = []
        for body in _bodies(rgb, b):
            if body.mark is None:
                continue
            if _holds_line(body.mark, lines + found):
                # OCR read the count; the disc or ring around it became this picture.
                if any(
                    _COUNT.fullmatch(ln.text.strip()) and body.box.contains(ln.ink, slack=1) for ln in lines
                ):
                    badges.append(body)
                    _badge_region(body, root, regions)
                continue
            line = None if graphic.behind_text else _read_mark(rgb, body, engine, faces=faces)
            if line is not None:
                badges.append(body)
                found.append(line)
                _badge_region(body, root, regions)
        if not badges:
            kept.append(graphic)
            continue
        if graphic.behind_text:
            # A ring taken for a picture under its digit, made the background of a box of its own.
            for region in regions:
                if region.background_image is graphic:
                    region.background_image = None
                    region.visible = False
        rest = _painted_out(rgb, graphic, [body.box for body in badges])
        if rest is not None:
            kept.append(rest)
    # A badge found as a box of its own, empty: its count was passed over.
    for region in list(regions):
        b = region.box
        if not (
            region.visible
            and not region.children
            and _BADGE_HEIGHT[0] <= b.height <= _BADGE_HEIGHT[1]
            and _BADGE_ASPECT[0] <= b.width / b.height <= _BADGE_ASPECT[1]
            and region.radius >= b.height / 3
            and not _holds_line(b, lines + found)
        ):
            continue
        for body in _bodies(rgb, b):
            if body.mark is None or abs(body.box.x - b.x) > 2 or abs(body.box.width - b.width) > 3:
                continue
            line = _read_mark(rgb, body, engine, faces=faces) or _pill_word(rgb, body, engine, faces)
            if line is not None:
                found.append(line)
                region.radius = b.height / 2
            elif body.box.width <= 1.2 * body.box.height and not any(_overlap(g.box, body.box) for g in kept):
                # A done step's disc with its tick, which no earlier stage kept: the tick is a
                # mark of its own on the disc (traced later), the disc round.
                crop, _x, _y = crop_around(rgb, body.mark, 0)
                kept.append(Graphic(body.mark, data_uri(np.ascontiguousarray(crop))))
                region.radius = b.height / 2
            break
    # A count beside its icon, or alone, that became a picture.
    result: list[Graphic] = []
    for graphic in kept:
        for body in _count_parts(rgb, graphic):
            assert body.mark is not None
            if _holds_line(body.mark, lines + found):
                continue
            # No disc holds it: the reading must be surer, and drawn, match the ink more closely.
            line = _read_mark(rgb, body, engine, likeness=0.8, confident=0.5, faces=faces)
            if line is None:
                continue
            found.append(line)
            # What stands left of the count is its icon.
            right = Box(
                body.mark.x - 1, graphic.box.y, graphic.box.right - body.mark.x + 1, graphic.box.height
            )
            rest = None if right.contains(graphic.box, slack=1) else _painted_out(rgb, graphic, [right])
            break
        else:
            rest = graphic
        if rest is not None:
            result.append(rest)
    return found, result


def _circled(ch: str) -> str | None:
    """The number a circled digit stands for ("③" -> "3", "❹" -> "4"), or None."""
    if "CIRCLED" not in unicodedata.name(ch, ""):
        return None
    value = unicodedata.numeric(ch, -1.0)
    return str(int(value)) if value >= 0 and value == int(value) else None


def split_discs(
    rgb: np.ndarray, lines: list[TextLine], regions: list[Region], root: Region
) -> tuple[list[TextLine], list[Box]]:
    """A stepper's numbered discs and rings, which OCR read as a circled digit in a line ("③Team",
    "Cart > ② Shipping & payment > ③ Review") or as a digit whose ink is its ring ("2"): each disc
    or ring found there (as many as the circled digits) becomes a round box in ``regions`` (a
    ring, a bordered one) holding its digit, and the words between them lines of their own.

    Also returns the ink the new lines and discs leave out (the chevrons between a checkout's
    steps, which the line's reading held as ">" and its pieces drop as icons): the graphics
    finder saw it as text, so it would be lost."""
    out: list[TextLine] = []
    left_out: list[Box] = []
    for line in lines:
        digits = [(k, _circled(ch)) for k, ch in enumerate(line.text)]
        marks = [(k, d) for k, d in digits if d is not None]
        lone = len(line.text.strip()) <= 3 and _COUNT.fullmatch(line.text.strip()) is not None
        if not marks and not (lone and _BADGE_HEIGHT[0] + 2 <= line.ink.height <= _BADGE_HEIGHT[1]):
            out.append(line)
            continue
        h = line.ink.height
        zone = Box(line.ink.x - h, line.ink.y - h / 2 - 4, line.ink.width + 2 * h, 2 * h + 8)
        bodies = sorted((b for b in _bodies(rgb, zone) if b.mark is not None), key=lambda b: b.box.x)
        if not marks:
            # The line's ink is its ring or disc: the digit is the mark inside.
            ring = [b for b in bodies if b.box.contains(line.ink, slack=3)]
            read = _read_mark(rgb, ring[0], None, expected=line.text.strip()) if len(ring) == 1 else None
            if read is None:
                out.append(line)
                continue
            _badge_region(ring[0], root, regions)
            out.append(read)
            continue
        # The circled digits are in the line's text: their discs within its ink (not a step's
        # icon before it).
        bodies = [b for b in bodies if line.ink.x - 4 <= b.box.x and b.box.right <= line.ink.right + 4]
        if len(bodies) != len(marks):
            out.append(line)
            continue
        reads = [
            _read_mark(rgb, b, None, expected=d, likeness=0.6)
            for b, (_k, d) in zip(bodies, marks, strict=True)
        ]
        if any(r is None for r in reads):
            out.append(line)
            continue
        pieces: list[TextLine] = []
        cuts = [line.ink.x - h, *(b.box.x for b in bodies), line.ink.right + h]
        starts = [-1, *(k for k, _d in marks)]
        ends = [*(k for k, _d in marks), len(line.text)]
        for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
            words = line.text[start + 1 : end].strip()
            if not words:
                continue
            left = bodies[n - 1].box.right + 1 if n > 0 else cuts[0]
            right = bodies[n].box.x - 1 if n < len(bodies) else cuts[-1]
            ink = _ink_between(rgb, line, max(left, line.ink.x - 2), min(right, line.ink.right + 2))
            if ink is None:
                break
            # Measured again on its own: the line's fit took the discs' height for its letters'.
            again = read_lines(
                rgb, [OcrLine(words, Box(ink.x - 1, ink.y - 1, ink.width + 2, ink.height + 2), 0.9)]
            )
            pieces.extend(
                again if len(again) == 1 else [replace(line, text=words, ink=ink, runs=[], alpha=None)]
            )
        else:
            for body, read in zip(bodies, reads, strict=True):
                assert read is not None
                _badge_region(body, root, regions)
                pieces.append(read)
            out.extend(pieces)
            left_out += _left_between(rgb, line, [p.ink for p in pieces] + [b.box for b in bodies])
            continue
        out.append(line)
    return out, left_out


def _left_between(rgb: np.ndarray, line: TextLine, kept: list[Box]) -> list[Box]:
    """The ink of ``line`` in the gaps between the boxes ``kept`` from it, mark by mark."""
    found: list[Box] = []
    ordered = sorted(kept, key=lambda b: b.x)
    reach = ordered[0].right if ordered else 0.0  # (a digit's ink lies inside its disc's box)
    for box in ordered[1:]:
        if box.x - reach >= 4:
            ink = _ink_between(rgb, line, reach + 1, box.x - 1)
            if ink is not None and ink.width >= 3 and 6 <= ink.height <= 2 * line.ink.height:
                found.append(ink)
        reach = max(reach, box.right)
    return found
