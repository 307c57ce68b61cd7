"""Fidelity of a replica against a page's DOM ground truth: text, fonts, graphics, controls, rasters.

Both sides are ``Survey`` values from bench/_dom_truth.py (the source page's, stored in
fixtures/realpages/truth/, and the replica's, surveyed the same way after rendering), plus the two
screenshots for graphics. Every figure is a share in [0, 1]; a page with nothing to measure for a
figure gets ``None`` (left out of means), not a free 100%.

Rules:

- **exact text**: a truth line is *found* when its whitespace-normalised text occurs, case and all,
  in the replica's text near the same place: the replica lines that meet the truth line's box grown
  by max(16 px, one line height) up and down and max(48 px, two line heights) sideways, read either
  block by block (so a paragraph that wraps elsewhere still reads through) or row by row across
  blocks (so a line the replica split into pieces reads whole; pieces more than 0.2 em apart are
  read with a space between them). Small caps compare without case.
  The share is weighted by the line's characters (spaces not counted).
- **font match**: for each found line, the replica line that carries it (same text, largest
  overlap); same family class (sans/serif/mono), weight within 100 and size within 10%.
- **graphic recall**: the truth graphic's crop of the source screenshot and the replica screenshot
  at the same place agree with grayscale SSIM >= 0.6 at the best shift within +-6 px.
- **semantic recall**: a truth control is matched one-to-one by a replica control of a compatible
  kind (any text entry for a text entry; checkbox and switch for each other; a button, a submit,
  a link-button or any link for a button-like control) covering at least 30% of the smaller box;
  a truth table by a replica ``<table>`` overlapping the same way with the same visible row count.
- **raster honesty**: a replica raster (``img``, ``canvas``, CSS background image) is *oversized*
  when its area exceeds 1.2 times the box (grown 4 px a side) of the truth graphics it covers by at
  least half (none: it shows no graphic at all); a *section background* is an oversized background
  image covering a quarter of the page or 60% of its width and a quarter of its height; the
  *excess* is the replica's raster area beyond the truth's graphics' area, as a share of the page
  (flagged over 5%).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from _dom_truth import Box, Control, Graphic, Line, Survey
from skimage.metrics import structural_similarity

SSIM_PRESENT = 0.6
MAX_SHIFT = 6
MIN_CONTROL_OVERLAP = 0.3
RASTER_KINDS = ("img", "canvas", "background")


def normalise(text: str) -> str:
    return " ".join(text.split())


def chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def intersection(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def area(a: Box) -> float:
    return max(a[2], 0.0) * max(a[3], 0.0)


def grow(a: Box, dx: float, dy: float) -> Box:
    return (a[0] - dx, a[1] - dy, a[2] + 2 * dx, a[3] + 2 * dy)


def overlap_of_smaller(a: Box, b: Box) -> float:
    smaller = min(area(a), area(b))
    return intersection(a, b) / smaller if smaller > 0 else 0.0


def mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


# --- text and fonts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineMatch:
    truth: Line
    replica: Line | None  # the replica line that carries it; None when not found
    nearby: str = ""  # what the replica has there, for a missed line


@dataclass(frozen=True)
class TextResult:
    exact: float | None  # share of truth characters in lines found verbatim
    font: float | None  # of found lines (by characters): class, weight and size agree
    family: float | None  # of found lines: the same family name
    style: float | None  # of found lines: italic where the truth is italic, upright where upright
    matches: tuple[LineMatch, ...] = ()

    @property
    def misses(self) -> list[LineMatch]:
        return [m for m in self.matches if m.replica is None]


def _rows(lines: Sequence[Line]) -> list[list[Line]]:
    """Lines grouped into rows (vertical overlap of half the smaller height), each left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.box[1] + ln.box[3] / 2):
        top, bottom = line.box[1], line.box[1] + line.box[3]
        for row in rows:
            r_top = min(ln.box[1] for ln in row)
            r_bottom = max(ln.box[1] + ln.box[3] for ln in row)
            if min(bottom, r_bottom) - max(top, r_top) >= 0.5 * min(line.box[3], r_bottom - r_top):
                row.append(line)
                break
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.box[0]) for row in rows]


def _row_text(row: Sequence[Line]) -> str:
    out = ""
    for prev, line in zip([None, *row[:-1]], row, strict=True):
        if prev is not None:
            gap = line.box[0] - (prev.box[0] + prev.box[2])
            out += " " if gap > 0.2 * max(line.size, prev.size, 1.0) else ""
        out += line.text
    return out


def _readings(truth: Line, nearby: Sequence[Line], replica: Survey) -> list[str]:
    """The replica's text around a truth line: block by block, and row by row."""
    readings = []
    blocks = {ln.block for ln in nearby if ln.block >= 0}
    window = grow(truth.box, 4000, 3 * max(truth.box[3], 12))
    for block in blocks:
        own = [ln for ln in replica.lines if ln.block == block and intersection(ln.box, window) > 0]
        readings.append(" ".join(ln.text for ln in own))
    readings.extend(ln.text for ln in nearby if ln.block < 0)
    readings.append(" ".join(_row_text(row) for row in _rows(nearby)))
    return [normalise(r) for r in readings]


def _carrier(truth: Line, text: str, nearby: Sequence[Line]) -> Line | None:
    """The nearby replica line that carries the truth line's text (shares the most of it)."""
    best, best_key = None, (-1, -1.0)
    for line in nearby:
        own = normalise(line.text)
        shared = len(own) if own in text else (len(text) if text in own else 0)
        key = (shared, intersection(line.box, truth.box))
        if shared and key > best_key:
            best, best_key = line, key
    return best


def fonts_agree(truth: Line, replica: Line) -> bool:
    return (
        truth.family_class == replica.family_class
        and abs(truth.weight - replica.weight) <= 100
        and abs(truth.size - replica.size) <= 0.1 * truth.size
    )


def text_match(truth: Survey, replica: Survey) -> TextResult:
    matches: list[LineMatch] = []
    for line in truth.lines:
        text = normalise(line.text)
        if not chars(text):
            continue
        h = max(line.box[3], 1.0)
        zone = grow(line.box, max(48.0, 2 * h), max(16.0, h))
        nearby = [ln for ln in replica.lines if intersection(ln.box, zone) > 0]
        readings = _readings(line, nearby, replica)
        if line.variant == "small-caps":
            found = any(text.casefold() in r.casefold() for r in readings)
        else:
            found = any(text in r for r in readings)
        carrier = _carrier(line, text, nearby) if found else None
        if found and carrier is None:  # found across pieces: the piece overlapping it most
            carrier = max(nearby, key=lambda ln: intersection(ln.box, line.box))
        matches.append(LineMatch(line, carrier, "" if found else max(readings, key=len, default="")[:120]))
    total = sum(chars(m.truth.text) for m in matches)
    found_lines = [m for m in matches if m.replica is not None]
    found_chars = sum(chars(m.truth.text) for m in found_lines)

    def share_of_found(agree: bool | None = None, *, test: str) -> float | None:
        if not found_chars:
            return None
        good = 0
        for m in found_lines:
            assert m.replica is not None
            if test == "font":
                ok = fonts_agree(m.truth, m.replica)
            elif test == "family":
                ok = m.truth.family.casefold() == m.replica.family.casefold()
            else:
                ok = m.truth.style == m.replica.style
            good += chars(m.truth.text) if ok else 0
        return good / found_chars

    return TextResult(
        exact=found_chars / total if total else None,
        font=share_of_found(test="font"),
        family=share_of_found(test="family"),
        style=share_of_found(test="style"),
        matches=tuple(matches),
    )


# --- graphics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphicResult:
    recall: float | None
    by_group: dict[str, float | None]
    scores: tuple[tuple[Graphic, float], ...] = ()  # each truth graphic's best SSIM

    @property
    def missing(self) -> list[Graphic]:
        return [g for g, s in self.scores if s < SSIM_PRESENT]


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    side = min(a.shape)
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        return 1.0 if np.abs(a.astype(float) - b.astype(float)).mean() < 8 else 0.0
    return float(structural_similarity(a, b, data_range=255, win_size=win))


def graphic_similarity(
    source: np.ndarray, replica: np.ndarray, box: Box, max_shift: int = MAX_SHIFT
) -> float:
    """Best grayscale SSIM between the source's crop at ``box`` and the replica near the same place."""
    h_img, w_img = source.shape
    x0, y0 = max(round(box[0]), 0), max(round(box[1]), 0)
    x1, y1 = min(round(box[0] + box[2]), w_img), min(round(box[1] + box[3]), h_img)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 1.0  # nothing left to compare: not held against the replica
    crop = source[y0:y1, x0:x1]
    rh, rw = replica.shape
    wx0, wy0 = max(x0 - max_shift, 0), max(y0 - max_shift, 0)
    wx1, wy1 = min(x1 + max_shift, rw), min(y1 + max_shift, rh)
    window = replica[wy0:wy1, wx0:wx1]
    if window.shape[0] < crop.shape[0] or window.shape[1] < crop.shape[1]:
        return 0.0  # the replica's screenshot ends before this graphic
    # Candidate shifts by normalised cross-correlation, then SSIM on the best few and on no shift.
    candidates = set()
    if window.shape != crop.shape and float(crop.std()) > 1e-3:
        ncc = cv2.matchTemplate(window.astype(np.float32), crop.astype(np.float32), cv2.TM_CCOEFF_NORMED)
        ncc = np.nan_to_num(ncc, nan=-1.0)
        for flat in np.argsort(ncc, axis=None)[::-1][:3]:
            candidates.add(tuple(int(v) for v in np.unravel_index(flat, ncc.shape)))
    if y0 - wy0 + crop.shape[0] <= window.shape[0] and x0 - wx0 + crop.shape[1] <= window.shape[1]:
        candidates.add((y0 - wy0, x0 - wx0))
    best = 0.0
    for dy, dx in candidates:
        other = window[dy : dy + crop.shape[0], dx : dx + crop.shape[1]]
        if other.shape == crop.shape:
            best = max(best, _ssim(crop, other))
    return best


def graphic_recall(truth: Survey, source: np.ndarray, replica: np.ndarray) -> GraphicResult:
    """``source``/``replica``: grayscale screenshots (uint8 arrays)."""
    scores = tuple((g, graphic_similarity(source, replica, g.box)) for g in truth.graphics)
    groups: dict[str, list[bool]] = {"icon": [], "image": [], "chart": []}
    for g, s in scores:
        groups.setdefault(g.group, []).append(s >= SSIM_PRESENT)
    present = [s >= SSIM_PRESENT for _, s in scores]
    return GraphicResult(
        recall=sum(present) / len(present) if present else None,
        by_group={k: (sum(v) / len(v) if v else None) for k, v in groups.items()},
        scores=scores,
    )


# --- controls and tables -------------------------------------------------------------------------

_TEXT_ENTRY = {"text", "email", "password", "search", "number", "url", "tel"}
_BUTTONS = {"button", "submit", "link-button"}


def compatible(truth_kind: str, replica_kind: str) -> bool:
    if truth_kind in _TEXT_ENTRY:
        return replica_kind in _TEXT_ENTRY
    if truth_kind in ("checkbox", "switch"):
        return replica_kind in ("checkbox", "switch")
    if truth_kind in _BUTTONS:
        return replica_kind in _BUTTONS or replica_kind == "link"
    return truth_kind == replica_kind


@dataclass(frozen=True)
class SemanticResult:
    recall: float | None  # controls and tables together, by count
    controls: float | None
    tables: float | None
    missing_controls: tuple[Control, ...] = ()
    table_rows: tuple[tuple[int, int | None], ...] = ()  # (truth rows, matched replica rows or None)
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (matched, total)


def _one_to_one(
    truth_boxes: Sequence[Box], candidates: Sequence[Box], allowed: list[list[bool]]
) -> list[int | None]:
    """Greedy one-to-one assignment by overlap; ``allowed[i][j]``: truth i may take candidate j."""
    pairs = []
    for i, tb in enumerate(truth_boxes):
        for j, cb in enumerate(candidates):
            if allowed[i][j]:
                share = overlap_of_smaller(tb, cb)
                if share >= MIN_CONTROL_OVERLAP:
                    pairs.append((share, i, j))
    taken_t: dict[int, int] = {}
    taken_c: set[int] = set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in taken_t and j not in taken_c:
            taken_t[i] = j
            taken_c.add(j)
    return [taken_t.get(i) for i in range(len(truth_boxes))]


def semantic_recall(truth: Survey, replica: Survey) -> SemanticResult:
    candidates = [(c.kind, c.box) for c in replica.controls] + [("link", box) for box in replica.anchors]
    allowed = [[compatible(t.kind, kind) for kind, _ in candidates] for t in truth.controls]
    assigned = _one_to_one([t.box for t in truth.controls], [box for _, box in candidates], allowed)
    by_kind: dict[str, tuple[int, int]] = {}
    for t, a in zip(truth.controls, assigned, strict=True):
        hit, total = by_kind.get(t.kind, (0, 0))
        by_kind[t.kind] = (hit + (a is not None), total + 1)
    missing = tuple(t for t, a in zip(truth.controls, assigned, strict=True) if a is None)

    every = [[True] * len(replica.tables) for _ in truth.tables]
    placed = _one_to_one([t.box for t in truth.tables], [t.box for t in replica.tables], every)
    rows = tuple(
        (t.rows, replica.tables[j].rows if j is not None else None)
        for t, j in zip(truth.tables, placed, strict=True)
    )
    tables_ok = sum(1 for want, got in rows if got == want)
    controls_ok = len(truth.controls) - len(missing)
    n = len(truth.controls) + len(truth.tables)
    return SemanticResult(
        recall=(controls_ok + tables_ok) / n if n else None,
        controls=controls_ok / len(truth.controls) if truth.controls else None,
        tables=tables_ok / len(truth.tables) if truth.tables else None,
        missing_controls=missing,
        table_rows=rows,
        by_kind=by_kind,
    )


# --- raster honesty ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RasterResult:
    rasters: int
    oversized: tuple[Graphic, ...]  # replica rasters larger than the truth graphics they show
    unfounded: tuple[Graphic, ...]  # of those, the ones over no truth graphic at all
    section_backgrounds: tuple[Graphic, ...]
    raster_share: float  # replica raster area / page
    truth_share: float  # truth graphics' area / page
    excess: float  # max(0, raster - truth) as a share of the page

    @property
    def honest(self) -> bool:
        return not self.oversized and not self.section_backgrounds and self.excess <= 0.05


def _union_share(boxes: Iterable[Box], width: int, height: int, scale: int = 4) -> float:
    mask = np.zeros((max(height // scale, 1), max(width // scale, 1)), dtype=bool)
    for x, y, w, h in boxes:
        x0, y0 = max(int(x // scale), 0), max(int(y // scale), 0)
        x1, y1 = int(np.ceil((x + w) / scale)), int(np.ceil((y + h) / scale))
        mask[y0:y1, x0:x1] = True
    return float(mask.mean())


def raster_honesty(truth: Survey, replica: Survey) -> RasterResult:
    rasters = [g for g in replica.graphics if g.kind in RASTER_KINDS]
    page = float(truth.width * truth.height)
    oversized, sections, unfounded = [], [], []
    for r in rasters:
        # The graphics this raster shows: those it mostly covers, and the one it mostly lies in (a
        # tight crop of an illustration drawn on a larger image or canvas is no bigger than it).
        shown = [
            g.box for g in truth.graphics if intersection(g.box, r.box) >= 0.5 * min(area(g.box), area(r.box))
        ]
        if shown:
            x0, y0 = min(b[0] for b in shown), min(b[1] for b in shown)
            x1 = max(b[0] + b[2] for b in shown)
            y1 = max(b[1] + b[3] for b in shown)
            allowed = area(grow((x0, y0, x1 - x0, y1 - y0), 4, 4))
        else:
            allowed = 0.0
        if area(r.box) > 1.2 * allowed:
            oversized.append(r)
            if not shown:
                unfounded.append(r)
            big = area(r.box) >= 0.25 * page or (
                r.box[2] >= 0.6 * truth.width and r.box[3] >= 0.25 * truth.height
            )
            if r.kind == "background" and big:
                sections.append(r)
    raster = _union_share((r.box for r in rasters), truth.width, truth.height)
    graphics = _union_share((g.box for g in truth.graphics), truth.width, truth.height)
    return RasterResult(
        rasters=len(rasters),
        oversized=tuple(oversized),
        unfounded=tuple(unfounded),
        section_backgrounds=tuple(sections),
        raster_share=raster,
        truth_share=graphics,
        excess=max(0.0, raster - graphics),
    )
