"""Text blocks on both sides, merged into lines and matched one-to-one (Design2Code's block terms).

Reference blocks come from OCR of the source screenshot, candidate blocks from the DOM's text boxes
(or OCR, when both sides are screenshots). The two sides cut text differently: the DOM gives one
box per line fragment of a text node (a bold word splits a line in three), OCR gives one box per
run of ink (a nav bar with small gaps may come back as one line). So, as Design2Code does, blocks
are merged before matching: first fragments into lines by the same rule on both sides, then, where
several lines of one side sit inside one line of the other and read better together, they are
joined. Matching is an optimal assignment (Hungarian) on text similarity, ties going to the nearer
block, so repeated labels ("Learn more" three times) pair up by position instead of first-come.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist
from scipy.optimize import linear_sum_assignment

from ..models import RGB, Box

# A pair whose texts are less alike than this is not a match (Design2Code uses the same cut-off).
MATCH_THRESHOLD = 0.5
# Fragments on one row join into a line when the gap between them is under this many line heights;
# wider gaps (nav items, table cells) keep them apart, on both sides alike.
LINE_GAP = 0.9
# How alike OCR's reading of a text is to the text itself on a clean screenshot (see text_similarity).
OCR_AGREEMENT = 0.95
_SPACE = re.compile(r"\s+")


# Letters OCR reads as one another in sans-serif fonts, folded to one before comparing.
_CONFUSABLE = str.maketrans({"|": "l", "I": "l"})


def normalize_text(text: str) -> str:
    """What text comparison sees: NFKC, case-folded, letters, digits and ideographs only.

    OCR drops and adds spaces (CJK text has none to begin with) and misreads or drops punctuation
    and symbols ('©' as '@' or nothing, '·' as '-'); those carry little of what a page says, so
    only the words are compared. Text made only of symbols ('→', '★★★') is compared as it is.
    """
    folded = _SPACE.sub("", unicodedata.normalize("NFKC", text).translate(_CONFUSABLE)).casefold()
    words = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PS")
    return words or folded


@dataclass(frozen=True)
class TextBlock:
    """A line (or joined lines) of text with its box, ink color and where it came from."""

    text: str
    box: Box
    color: RGB | None  # ink color as measured on the screenshot; None when no ink shows
    css_color: RGB | None = None  # the DOM's own color, when the DOM said so (shown in messages)
    background: RGB | None = None  # what the text sits on, as measured
    origin: str = "ocr"  # "ocr" or "dom"
    # Of a block joined from parts: the longest part's box, where its color was measured.
    main_box: Box | None = field(default=None, compare=False)
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalize_text(self.text))

    @property
    def length(self) -> int:
        return max(len(self.key), 1)


def join_blocks(parts: Sequence[TextBlock]) -> TextBlock:
    """One block from several, reading left to right then top to bottom; the longest part's colors."""
    rows: list[list[TextBlock]] = []
    for part in sorted(parts, key=lambda b: (b.box.center[1], b.box.x)):
        if rows and _same_row(rows[-1][0].box, part.box):
            rows[-1].append(part)
        else:
            rows.append([part])
    ordered = [part for row in rows for part in sorted(row, key=lambda b: b.box.x)]
    box = ordered[0].box
    for part in ordered[1:]:
        box = box.union(part.box)
    main = max(ordered, key=lambda b: (b.length, -b.box.y, -b.box.x))
    return TextBlock(
        text=" ".join(p.text for p in ordered),
        box=box,
        color=main.color,
        css_color=main.css_color,
        background=main.background,
        origin=main.origin,
        main_box=main.main_box or main.box,
    )


def merge_into_lines(blocks: Iterable[TextBlock]) -> list[TextBlock]:
    """Join fragments that share a row and sit closer than ``LINE_GAP`` line heights."""
    rows: list[list[TextBlock]] = []
    active: list[tuple[float, list[TextBlock]]] = []  # (lowest bottom, row) of rows still reachable
    for block in sorted(blocks, key=lambda b: (b.box.center[1], b.box.x)):
        for index, (bottom, row) in enumerate(active):
            if bottom > block.box.y and any(_same_row(member.box, block.box) for member in row):
                row.append(block)
                active[index] = (max(bottom, block.box.bottom), row)
                break
        else:
            rows.append([block])
            active.append((block.box.bottom, rows[-1]))
        # Blocks come by their centers: a row ending far above this one can take no later block
        # (that would need a text line over 1000 px tall). Keeps merging linear on long pages.
        active = [(bottom, row) for bottom, row in active if bottom > block.box.center[1] - 500]
    lines: list[TextBlock] = []
    for row in rows:
        run: list[TextBlock] = []
        for block in sorted(row, key=lambda b: (b.box.x, b.box.y)):
            reach = max((b.box.right for b in run), default=0.0)
            if run and block.box.x - reach > LINE_GAP * min(run[-1].box.height, block.box.height):
                lines.append(join_blocks(run) if len(run) > 1 else run[0])
                run = []
            run.append(block)
        lines.append(join_blocks(run) if len(run) > 1 else run[0])
    return sorted(lines, key=lambda b: (round(b.box.y), b.box.x))


def _same_row(a: Box, b: Box) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.y, b.y)
    return overlap >= 0.5 * min(a.height, b.height)


def consolidate(outer: list[TextBlock], inner: list[TextBlock]) -> list[TextBlock]:
    """Join lines of ``inner`` that lie inside one line of ``outer`` when together they read better.

    This is the one-to-many case: one OCR line read across a row the DOM splits in several boxes,
    or one DOM line that OCR split at a wide gap. Returns the new ``inner`` list.
    """
    taken: set[int] = set()
    joined: list[TextBlock] = []
    # Only blocks whose centers fall within a line's rows (plus half the tallest block) can share
    # its row: look them up by center instead of scanning every block for every line.
    by_center = sorted(range(len(inner)), key=lambda i: inner[i].box.center[1])
    centers = [inner[i].box.center[1] for i in by_center]
    reach = max((b.box.height for b in inner), default=0.0) / 2
    for line in outer:
        pad = 0.5 * line.box.height
        lo = bisect.bisect_left(centers, line.box.y - reach)
        hi = bisect.bisect_right(centers, line.box.bottom + reach)
        inside = [
            i
            for i in sorted(by_center[lo:hi])
            if i not in taken
            and _same_row(line.box, inner[i].box)
            and inner[i].box.x >= line.box.x - pad
            and inner[i].box.right <= line.box.right + pad
        ]
        if len(inside) < 2:
            continue
        together = join_blocks([inner[i] for i in inside])
        best_alone = max(fuzz.ratio(line.key, inner[i].key) for i in inside)
        if fuzz.ratio(line.key, together.key) > best_alone + 5:
            taken.update(inside)
            joined.append(together)
    if not joined:
        return inner
    kept = [block for i, block in enumerate(inner) if i not in taken]
    return sorted(kept + joined, key=lambda b: (round(b.box.y), b.box.x))


@dataclass(frozen=True)
class Reading:
    """A matched line's exact-text verdict (see exact.py): how many characters are wrong, against
    which reading of the source, and what the candidate says."""

    edits: int
    source: str
    candidate: str


@dataclass(frozen=True)
class Pair:
    """A matched reference and candidate block with their similarities (0-1)."""

    ref: TextBlock
    cand: TextBlock
    text: float  # as scored: exact characters once exact.py has judged the pair
    position: float
    color: float | None  # None when either side shows no measurable ink
    delta_e: float | None
    dx: float
    dy: float
    words: float = 1.0  # forgiving similarity (case, spaces, punctuation folded): the same words?
    reading: Reading | None = None


@dataclass(frozen=True)
class Matching:
    pairs: tuple[Pair, ...]
    missing: tuple[TextBlock, ...]  # reference blocks with no counterpart
    extra: tuple[TextBlock, ...]  # candidate blocks with no counterpart


def match_blocks(
    ref: Sequence[TextBlock], cand: Sequence[TextBlock], *, width: float, height: float
) -> list[tuple[int, int, float]]:
    """Optimal one-to-one assignment on text similarity: (ref index, cand index, similarity 0-1)."""
    if not ref or not cand:
        return []
    # rapidfuzz computes the whole similarity matrix in C++; single-threaded for determinism.
    similarity = cdist([b.key for b in ref], [b.key for b in cand], scorer=fuzz.ratio, workers=1) / 100.0
    rc = np.array([b.box.center for b in ref])
    cc = np.array([b.box.center for b in cand])
    distance = np.hypot(rc[:, None, 0] - cc[None, :, 0], rc[:, None, 1] - cc[None, :, 1])
    nearness = 1.0 - np.minimum(distance / max(width, height, 1.0), 1.0)
    # Nearness only breaks ties between equally good texts: it can never outweigh one character.
    cost = -(similarity + 0.01 * nearness)
    rows, cols = linear_sum_assignment(cost)
    return [
        (int(r), int(c), float(similarity[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if similarity[r, c] >= MATCH_THRESHOLD
    ]


def position_similarity(ref: Box, cand: Box, page_width: float) -> tuple[float, float, float]:
    """1 for the same place, falling linearly to 0 at a tenth of the page width away; and dx, dy.

    Horizontally, the offset is the smallest of the left-edge, center and right-edge offsets: text
    aligned on one edge stays put there even when its width differs (another font, or OCR leaving
    out the blank side of a full-width quote mark). Vertically, centers within half a line height
    (at least 4 px) count as the same place: OCR boxes hug the ink while DOM boxes span the font's
    ascent and descent.
    """
    dx = min((cand.x - ref.x, cand.center[0] - ref.center[0], cand.right - ref.right), key=abs)
    dy = cand.center[1] - ref.center[1]
    slack = max(4.0, 0.5 * min(ref.height, cand.height))
    distance = max(0.0, float(np.hypot(dx, dy)) - slack)
    return max(0.0, 1.0 - distance / (0.1 * max(page_width, 1.0))), dx, dy


def color_similarity(delta_e: float) -> float:
    """1 up to a CIEDE2000 difference of 3 (barely noticeable; ink is measured on anti-aliased
    pixels), falling linearly to 0 at 43 (#333333 vs #777777 is about 27)."""
    return max(0.0, 1.0 - max(0.0, delta_e - 3.0) / 40.0)


def text_similarity(raw: float) -> float:
    """Similarity as scored: OCR misreads about one character in twenty on clean screenshots
    ('©' as '@', '·' as '-'), so 95% alike counts as the same text."""
    return min(1.0, raw / OCR_AGREEMENT)


def paragraphs(lines: Sequence[TextBlock]) -> list[list[int]]:
    """Indices of lines stacked into paragraphs: each line continues the nearest line above it that
    overlaps it horizontally, ends less than a line height above it, and has a similar height."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].box.y, lines[i].box.x))
    group_of: dict[int, int] = {}
    groups: list[list[int]] = []
    tails: dict[int, int] = {}  # group -> index of its last line
    tallest = max((b.box.height for b in lines), default=0.0)
    for i in order:
        box = lines[i].box
        best: tuple[float, int] | None = None
        # Lines come top-down, so a paragraph ending too far above this line is finished.
        tails = {g: last for g, last in tails.items() if box.y - lines[last].box.bottom <= 0.8 * tallest}
        for g, last in tails.items():
            above = lines[last].box
            gap = box.y - above.bottom
            heights = min(box.height, above.height)
            if not (-0.3 * heights <= gap <= 0.8 * heights):
                continue
            if min(box.right, above.right) <= max(box.x, above.x):
                continue
            if max(box.height, above.height) > 1.5 * heights:
                continue
            if best is None or gap < best[0]:
                best = (gap, g)
        if best is None:
            group_of[i] = len(groups)
            groups.append([i])
        else:
            group_of[i] = best[1]
            groups[best[1]].append(i)
        tails[group_of[i]] = i
    return groups


def regroup(
    ref: list[TextBlock], cand: list[TextBlock], assignment: Sequence[tuple[int, int, float]]
) -> tuple[list[TextBlock], list[TextBlock]] | None:
    """Join paragraphs whose lines wrap differently on the two sides (Design2Code's merge step).

    A source paragraph and a candidate paragraph whose matched lines pair only with each other are
    compared whole; when the joined texts agree better than the lines did, both become one block.
    Returns the new block lists, or None when nothing was joined.
    """
    ref_groups, cand_groups = paragraphs(ref), paragraphs(cand)
    ref_group = {i: g for g, members in enumerate(ref_groups) for i in members}
    cand_group = {i: g for g, members in enumerate(cand_groups) for i in members}
    links: dict[int, set[int]] = {}
    back: dict[int, set[int]] = {}
    for r, c, _ in assignment:
        links.setdefault(ref_group[r], set()).add(cand_group[c])
        back.setdefault(cand_group[c], set()).add(ref_group[r])
    line_similarity = {(r, c): s for r, c, s in assignment}
    joined_ref: set[int] = set()
    joined_cand: set[int] = set()
    new_ref: list[TextBlock] = []
    new_cand: list[TextBlock] = []
    for g, targets in sorted(links.items()):
        if len(targets) != 1:
            continue
        (h,) = targets
        if back.get(h) != {g}:
            continue
        ref_lines, cand_lines = ref_groups[g], cand_groups[h]
        if len(ref_lines) < 2 and len(cand_lines) < 2:
            continue
        chars = sum(ref[i].length for i in ref_lines) + sum(cand[i].length for i in cand_lines)
        matched = sum(
            s * (ref[r].length + cand[c].length) for (r, c), s in line_similarity.items() if r in ref_lines
        )
        together_ref = join_blocks([ref[i] for i in ref_lines])
        together_cand = join_blocks([cand[i] for i in cand_lines])
        if fuzz.ratio(together_ref.key, together_cand.key) / 100.0 > matched / chars + 0.01:
            joined_ref.update(ref_lines)
            joined_cand.update(cand_lines)
            new_ref.append(together_ref)
            new_cand.append(together_cand)
    if not new_ref:
        return None
    ref_out = [b for i, b in enumerate(ref) if i not in joined_ref] + new_ref
    cand_out = [b for i, b in enumerate(cand) if i not in joined_cand] + new_cand
    key = lambda b: (round(b.box.y), b.box.x)  # noqa: E731
    return sorted(ref_out, key=key), sorted(cand_out, key=key)
