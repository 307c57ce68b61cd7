"""Marks at the end of a line that OCR's detector left outside its box.

The detector draws its box around the words it sees; a small mark a space after the last one
often falls outside it: the trailing comma of `"id": "po_1Qm",` in a JSON sample, the `\\` that
continues a shell command, a sentence's period after a short gap. Whatever the box leaves out,
the recognizer never sees, and the line loses it.

So the ink just past each box is looked at: a small cluster of ink (narrower than half the line's
height) a gap no wider than a wide space after the box's last ink, with nothing after it for
another half line, and in no other line's box. The line is read again with that cluster in its
crop, and the longer reading is kept only when it is the old one plus such marks: the recognizer
itself says what the ink is, nothing is guessed from its shape alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ...models import Box
from ...ocr import OcrLine
from .fonts import has_cjk
from .regions import edge_pixels
from .spacing import ink_runs

Recognize = Callable[[list[np.ndarray]], list[tuple[str, float]]]

# What a tail may add: marks that end a line of text or code, not letters (a word past the box is
# the detector's business) nor arrows and chevrons (icons after a label are icons).
_TAIL_MARKS = set(",.;:\\")
# The gap before the cluster and its own width, in line heights (a monospace space is 0.6 em, and
# the box's height is about 1.5 em).
_MAX_GAP = 0.9
_MAX_WIDTH = 0.5
# The blank that must follow the cluster, in line heights: a mark, not the start of a word.
_BLANK_AFTER = 0.6


def read_tails(rgb: np.ndarray, lines: list[OcrLine], recognize: Recognize) -> list[OcrLine]:
    """``lines`` with each line that has a mark just past its box read again with it (see the
    module's docstring). The crops are read in one call (the recognizer's lanes share them)."""
    boxes = [line.box for line in lines]
    ends = {k: _tail_end(rgb, line, boxes[:k] + boxes[k + 1 :]) for k, line in enumerate(lines)}
    crops = {k: _crop(rgb, lines[k].box, end) for k, end in ends.items() if end is not None}
    readings = dict(zip(crops, recognize(list(crops.values())), strict=True))
    out = list(lines)
    for k, (again, confidence) in readings.items():
        end = ends[k]
        assert end is not None
        if again.rstrip()[-1:] in _STROKES and _leans_back(rgb, lines[k].box, end):
            again = again.rstrip()[:-1] + "\\"
        out[k] = _longer(lines[k], end, again, confidence) or lines[k]
    return out


# A backslash the recognizer reads as an upright stroke (api_reference's `curl ... \` read "1").
_STROKES = set("1lI|")


def _leans_back(rgb: np.ndarray, box: Box, end: int) -> bool:
    """Whether the tail cluster that ends at column ``end`` is a stroke leaning back like a
    backslash: down its rows its ink moves right steadily, by a third of a pixel a row or more (an
    upright 1 or l stands still, its flag and foot aside)."""
    y0, y1 = max(math.floor(box.y), 0), min(math.ceil(box.bottom), rgb.shape[0])
    x0 = max(end - math.ceil(0.6 * box.height), 0)
    crop = rgb[y0:y1, x0:end].astype(np.int16)
    if crop.size == 0:
        return False
    distance = np.abs(crop - _edge_color(crop)).max(axis=2)
    peak = float(distance.max())
    ink = distance > max(0.3 * peak, 14.0)
    runs = ink_runs(ink.any(axis=0))
    if peak < 30 or not runs:
        return False
    first, stop = runs[-1]
    stroke = ink[:, first:stop]
    rows = np.flatnonzero(stroke.any(axis=1))
    if len(rows) < max(6, 0.4 * (y1 - y0)):
        return False
    columns = np.arange(stop - first)
    centres = np.array([float(columns[stroke[r]].mean()) for r in rows])
    slope = float(np.polyfit(rows.astype(float), centres, 1)[0])
    steady = float(np.mean(np.diff(centres) >= -0.5))
    return slope >= 0.33 and steady >= 0.8


def _edge_color(crop: np.ndarray) -> np.ndarray:
    """The most common colour of ``crop``'s edge pixels."""
    values, counts = np.unique(edge_pixels(crop).reshape(-1, 3), axis=0, return_counts=True)
    return values[int(np.argmax(counts))]


def _tail_end(rgb: np.ndarray, line: OcrLine, others: list[Box]) -> int | None:
    """The page column just past a small cluster of ink after ``line``'s box, or None."""
    box = line.box
    if has_cjk(line.text) or not line.text.strip() or box.height < 6:
        return None
    height, width = rgb.shape[:2]
    h = box.height
    y0, y1 = max(math.floor(box.y), 0), min(math.ceil(box.bottom), height)
    x0 = max(math.floor(box.x), 0)
    reach = min(math.ceil(box.right + (_MAX_GAP + _MAX_WIDTH + _BLANK_AFTER) * h), width)
    if reach - math.ceil(box.right) < 3 or y1 - y0 < 4:
        return None
    crop = rgb[y0:y1, x0:reach].astype(np.int16)
    # The background: the most common colour of the box's own edge.
    background = _edge_color(rgb[y0:y1, x0 : min(math.ceil(box.right), width)].astype(np.int16))
    distance = np.abs(crop - background).max(axis=2)
    peak = float(np.percentile(distance, 99.5))
    if peak < 30:
        return None
    inked = (distance > max(0.2 * peak, 14.0)).any(axis=0)
    right = math.ceil(box.right) - x0
    runs = ink_runs(inked)
    # The mark: the cluster just past the box, or the box's own last cluster where that reaches
    # its edge (the recognizer drops a mark the crop ends on).
    inside = [k for k, (a, _b) in enumerate(runs) if a < right]
    if not inside:
        return None
    k = inside[-1] + 1
    if k == len(runs) or runs[k][0] - runs[k - 1][1] > _MAX_GAP * h:
        k -= 1
        if runs[k][1] < right - 2:
            return None
    if k == 0:
        return None
    first, stop = runs[k]
    gap = first - runs[k - 1][1]
    if gap > _MAX_GAP * h or stop - first > _MAX_WIDTH * h:
        return None  # nothing near, or wider than a mark
    if k + 1 < len(runs) and runs[k + 1][0] - stop < _BLANK_AFTER * h:
        return None  # a word goes on there
    if k + 1 == len(runs) and stop + _BLANK_AFTER * h > len(inked) and reach < width:
        return None
    x_first, x_stop = x0 + first, x0 + stop
    for other in others:
        overlaps_rows = other.y < box.bottom and other.bottom > box.y
        if overlaps_rows and other.x < x_stop and other.right > x_first:
            return None  # another line's ink
    return x_stop


def _crop(rgb: np.ndarray, box: Box, end: int) -> np.ndarray:
    """The line's crop, reaching past ``end`` by a margin (a mark the crop ends on is dropped)."""
    height, width = rgb.shape[:2]
    y0, y1 = max(math.floor(box.y) - 1, 0), min(math.ceil(box.bottom) + 1, height)
    x0, x1 = max(math.floor(box.x) - 1, 0), min(end + max(3, round(0.3 * box.height)), width)
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def _longer(line: OcrLine, end: int, again: str, confidence: float) -> OcrLine | None:
    """``line`` read again as ``again`` with its box reaching ``end``, when that reading is the
    old one plus tail marks (else None)."""
    box = line.box
    again = again.rstrip()
    old = line.text.rstrip()
    head = _matching_head(again, old) if confidence >= 0.8 else None
    if head is None:
        return None
    tail = again[head:]
    marks = tail.replace(" ", "")
    if not marks or len(marks) > 2 or not set(marks) <= _TAIL_MARKS:
        return None
    # The new reading's head where it only differs in a straight quote's kind, and closes its
    # double quotes where the old one did not (`'method": "instant"` read again `"method": ...`).
    kept = again[:head] if _balanced(again[:head]) and not _balanced(old) else old
    return OcrLine(kept + tail, Box(box.x, box.y, end - box.x, box.height), line.confidence)


def _matching_head(again: str, old: str) -> int | None:
    """How many characters of ``again`` hold ``old``'s characters (spaces aside, and a straight
    quote may be read as the other kind), or None where they differ."""
    letters = old.replace(" ", "")
    seen = 0
    for i, ch in enumerate(again):
        if seen == len(letters):
            return i
        if ch == " ":
            continue
        if ch != letters[seen] and {ch, letters[seen]} != {"'", '"'}:
            return None
        seen += 1
    return len(again) if seen == len(letters) else None


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0
