"""Measured text lines -> paragraphs, and one consistent typography per page.

Lines stacked with a steady baseline step and the same style become one paragraph (its line
height from the baselines, its alignment from the lines' edges). Fonts are fitted line by line,
so a page can come out with a different family or a half-pixel size difference per line: the page's
main family and sizes that differ by less than measurement noise are made common again.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from ...models import RGB
from .fontfit import fit_font
from .fonts import FontFit
from .model import TextBlock, TextLine
from .smallcaps import small_caps_fit
from .spacing import respace


def group_blocks(lines: list[TextLine], container_of: dict[int, int]) -> list[TextBlock]:
    """Stack lines into paragraphs: same container, font and color, close baselines, one alignment.

    ``container_of`` maps a line's index to the id of the box that holds it.
    """
    blocks: list[TextBlock] = []
    open_blocks: list[tuple[TextBlock, int]] = []  # block, container id
    for index, line in enumerate(lines):
        container = container_of.get(index, -1)
        target = None
        for block, block_container in open_blocks:
            if block_container == container and _continues(block, line):
                target = block
                break
        if target is None:
            block = TextBlock([line])
            blocks.append(block)
            open_blocks.append((block, container))
        else:
            target.lines.append(line)
            _set_alignment(target)
    for block in blocks:
        _set_alignment(block)
        if len(block.lines) > 1:
            pitches = [baseline(b) - baseline(a) for a, b in itertools.pairwise(block.lines)]
            block.line_height = float(np.median(pitches))
    return blocks


def join_split_lines(lines: list[TextLine], container_of: dict[int, int]) -> list[TextLine]:
    """A line OCR's detector cut in two a word's space apart (bs_news_portal's "By Aisha Rahman"
    and "· 6 min read") as one line again: the same box holds both, they share face, weight, size,
    colour and baseline, and the second starts between a tenth of an em and 0.6 em after the
    first's ink (a space is a quarter to a third of an em, a middle dot's bearings add to it; the
    items of a row of links or cells stand an em or more apart). Returned in the same order."""
    order = sorted(range(len(lines)), key=lambda i: (round(baseline(lines[i])), lines[i].ink.x))
    joined: dict[int, TextLine] = {}  # index of a line's first piece -> the line so far
    absorbed: set[int] = set()
    for i in order:
        line = lines[i]
        head = next(
            (
                k
                for k, so_far in joined.items()
                if container_of.get(k, -1) == container_of.get(i, -1) and _continues_on_row(so_far, line)
            ),
            None,
        )
        if head is None:
            joined[i] = line
        else:
            joined[head] = _joined(joined[head], line)
            absorbed.add(i)
    return [joined[i] for i in range(len(lines)) if i not in absorbed]


def _continues_on_row(first: TextLine, then: TextLine) -> bool:
    a, b = first.fit, then.fit
    size = a.size
    gap = then.ink.x - first.ink.right
    return (
        a.face is not None
        and a.face == b.face
        and a.weight == b.weight
        and a.italic == b.italic
        and abs(a.size - b.size) <= 0.5
        and max(abs(x - y) for x, y in zip(first.color, then.color, strict=True)) <= 24
        and (first.underline, first.strike) == (then.underline, then.strike)
        and abs(baseline(first) - baseline(then)) <= max(1.5, 0.1 * size)
        and 0.1 * size <= gap <= 0.6 * size
    )


def _joined(first: TextLine, then: TextLine) -> TextLine:
    """The two pieces as one line, a space between them; its coverage crop is both crops set
    where their ink stands."""
    ink = first.ink.union(then.ink)
    alpha = None
    if first.alpha is not None and then.alpha is not None and first.alpha.size and then.alpha.size:
        alpha = np.zeros((round(ink.height) + 1, round(ink.width) + 1), dtype=first.alpha.dtype)
        for piece in (first, then):
            y, x = round(piece.ink.y - ink.y), round(piece.ink.x - ink.x)
            part = piece.alpha[: alpha.shape[0] - y, : alpha.shape[1] - x]
            window = alpha[y : y + part.shape[0], x : x + part.shape[1]]
            np.maximum(window, part, out=window)
    return replace(
        first,
        text=f"{first.text} {then.text}",
        ink=ink,
        mass=first.mass + then.mass,
        runs=[*first.runs, *then.runs],
        alpha=alpha,
    )


def baseline(line: TextLine) -> float:
    """The line's baseline y, from its ink and the font's ink box for its text.

    The ink's bottom is no baseline: "production" reaches lower than "code does in" by its
    descender. Top and bottom both say where the baseline is; their mean halves the noise.
    """
    m, size = line.fit.measure, line.fit.size
    return (line.ink.y - m.ink_top * size + line.ink.bottom - m.ink_bottom * size) / 2


def _continues(block: TextBlock, line: TextLine) -> bool:
    last = block.lines[-1]
    size = last.size
    if abs(line.size - size) > 0.12 * size or abs(line.fit.weight - last.fit.weight) >= 200:
        return False
    if line.italic != last.italic:
        return False
    if max(abs(a - b) for a, b in zip(line.color, last.color, strict=True)) > 40:
        return False
    pitch = baseline(line) - baseline(last)
    if not (0.95 * size <= pitch <= 1.9 * size):
        return False
    if len(block.lines) > 1:
        current = baseline(block.lines[-1]) - baseline(block.lines[-2])
        if abs(pitch - current) > 0.15 * size + 1:
            return False
    ink = block.ink
    overlap = min(ink.right, line.ink.right) - max(ink.x, line.ink.x)
    if overlap < 0.3 * min(ink.width, line.ink.width):
        return False
    tol = max(3.0, 0.25 * size)
    left = abs(line.ink.x - ink.x) <= tol
    center = abs(line.ink.center[0] - ink.center[0]) <= tol
    right = abs(line.ink.right - ink.right) <= tol
    if block.align == "center" and len(block.lines) > 1:
        return center
    if block.align == "right" and len(block.lines) > 1:
        return right
    if left:
        # A left-aligned paragraph's lines (but the last) fill most of its width.
        return last.ink.width >= 0.6 * ink.width or len(block.lines) == 1
    return center or right


def _set_alignment(block: TextBlock) -> None:
    if len(block.lines) < 2:
        block.align = "left"
        return
    lefts = [ln.ink.x for ln in block.lines]
    centers = [ln.ink.center[0] for ln in block.lines]
    rights = [ln.ink.right for ln in block.lines]
    spread = {
        "left": max(lefts) - min(lefts),
        "center": max(centers) - min(centers),
        "right": max(rights) - min(rights),
    }
    block.align = min(("left", "center", "right"), key=lambda k: (spread[k], k != "left"))


def fit_cut_lines(lines: list[TextLine], page_height: int) -> None:
    """A line the screenshot's bottom edge cuts through (its descenders, or more, gone) fits no
    face well, and its fit is a guess (blog_article's last paragraph line came out in bold Lato
    under Merriweather lines). Where the line above it is its paragraph's (the same left edge, a
    line's spacing above) and that line's font sets the cut line's text as wide as its ink, the
    cut line takes that font."""
    for line in lines:
        if line.ink.bottom < page_height - 1 or line.fit.face is None:
            continue
        above = [
            other
            for other in lines
            if other is not line
            and other.fit.face is not None
            and other.ink.bottom <= line.ink.y
            and line.ink.y - other.ink.bottom <= other.fit.size
            and abs(other.ink.x - line.ink.x) <= 3
        ]
        if not above:
            continue
        previous = max(above, key=lambda other: other.ink.bottom)
        if line.fit.error <= previous.fit.error + 0.1:
            continue
        width = previous.fit.advance(line.text)
        if abs(width - line.ink.width) > 0.06 * line.ink.width:
            continue
        line.fit = replace(previous.fit, error=line.fit.error)
        line.italic = previous.italic


def harmonize(lines: list[TextLine]) -> None:
    """Make a page's fonts consistent: one main family unless a line clearly needs another
    (code in a monospace face), and one size for lines of the same style whose sizes differ by
    less than measurement noise."""
    votes: dict[str, float] = {}
    for line in lines:
        if line.fit.face is not None and line.fit.face.script == "latin":
            votes[line.fit.face.family] = votes.get(line.fit.face.family, 0.0) + len(line.text)
    if votes:
        main = max(votes, key=lambda k: (votes[k], k))
        for line in lines:
            face = line.fit.face
            if face is None or face.script != "latin" or face.family == main:
                continue
            if line.small_caps:
                # Its face was chosen on a string in lowercase: no evidence against the page's.
                main_face = next(ln.fit.face for ln in lines if ln.fit.face and ln.fit.face.family == main)
                line.fit = small_caps_fit(
                    line.text, replace(line.fit, face=main_face), line.ink.width, line.ink.height, line.mass
                )
                continue
            refit = fit_font(
                line.text,
                line.ink.width,
                line.ink.height,
                line.mass,
                family=main,
                alpha=line.alpha,
                slanted=line.italic,
            )
            # Keep the other face only with strong evidence: a longer line that fits it clearly better.
            if len(line.text) >= 6 and line.fit.error + 0.03 < refit.error:
                continue
            line.fit = refit
            # Spaces OCR dropped show best against the page's own face: look again in it.
            if line.alpha is not None and " " in line.text:
                respaced, _ = respace(line.text, (line.alpha > 0.2).any(axis=0), refit)
                if respaced != line.text:
                    line.text = respaced
                    line.runs = []
                    line.fit = fit_font(
                        line.text,
                        line.ink.width,
                        line.ink.height,
                        line.mass,
                        family=main,
                        alpha=line.alpha,
                        slanted=line.italic,
                    )
    _snap_colors(lines)
    # (Small capitals are sized by their capitals, which no other line's size says anything of.)
    lines = [line for line in lines if not line.small_caps]
    _unify_rows(lines)
    # Sizes: cluster lines of one family and weight; sizes within 4% are the same size.
    groups: dict[tuple[str, int], list[TextLine]] = {}
    for line in lines:
        key = (line.fit.face.family if line.fit.face else "", line.fit.weight)
        groups.setdefault(key, []).append(line)
    for members in groups.values():
        members.sort(key=lambda ln: ln.fit.size)
        cluster: list[TextLine] = []
        for member in [*members, None]:
            if member is not None and (not cluster or member.fit.size <= cluster[0].fit.size * 1.045):
                cluster.append(member)
                continue
            if len(cluster) > 1:
                weight = sum(len(ln.text) for ln in cluster)
                size = sum(ln.fit.size * len(ln.text) for ln in cluster) / max(weight, 1)
                size = float(round(size)) if abs(size - round(size)) <= 0.3 else round(size * 2) / 2
                for same in cluster:
                    same.fit = _resize(same.fit, size, same.ink.width, same.text)
            cluster = [member] if member is not None else []


def _resize(fit: FontFit, size: float, ink_width: float, text: str, *, keep_spacing: bool = True) -> FontFit:
    from dataclasses import replace

    if not keep_spacing and len(text) < 12:
        return replace(fit, size=size, letter_spacing=0.0)
    gaps = max(len(text) - 1, 1)
    spacing = (ink_width - fit.measure.ink_width * size) / gaps
    if abs(spacing) < 0.15 or len(text) < 4 or (len(text) < 12 and abs(spacing) < 0.5):
        spacing = 0.0
    spacing = max(-0.08 * size, min(0.3 * size, spacing))
    return replace(fit, size=size, letter_spacing=round(spacing, 2))


def _snap_colors(lines: list[TextLine]) -> None:
    """Text colors within a few levels of each other are one color (the most used of them)."""
    weights: dict[RGB, int] = {}
    for line in lines:
        weights[line.color] = weights.get(line.color, 0) + len(line.text)
    palette: list[RGB] = []
    mapping: dict[RGB, RGB] = {}
    for color in sorted(weights, key=lambda c: (-weights[c], c)):
        for chosen in palette:
            if max(abs(a - b) for a, b in zip(color, chosen, strict=True)) <= 12:
                mapping[color] = chosen
                break
        else:
            palette.append(color)
            mapping[color] = color
    for line in lines:
        line.color = mapping[line.color]


def _unify_rows(lines: list[TextLine]) -> None:
    """Short items on one baseline in one color and weight (nav links, tabs) share one size."""

    def baseline(line: TextLine) -> float:
        return line.ink.y - line.fit.measure.ink_top * line.fit.size

    ordered = sorted(lines, key=lambda ln: (round(baseline(ln)), ln.ink.x))
    used: set[int] = set()
    for line in ordered:
        if id(line) in used:
            continue
        row = [
            other
            for other in ordered
            if id(other) not in used
            and abs(baseline(other) - baseline(line)) <= 2.0
            and other.color == line.color
            and other.fit.weight == line.fit.weight
            and abs(other.fit.size - line.fit.size) <= 0.15 * line.fit.size
        ]
        used.update(id(r) for r in row)
        if len(row) < 2:
            continue
        weight = sum(len(r.text) for r in row)
        size = sum(r.fit.size * len(r.text) for r in row) / max(weight, 1)
        size = float(round(size)) if abs(size - round(size)) <= 0.3 else round(size * 2) / 2
        face = max(
            (r.fit.face for r in row if r.fit.face is not None),
            key=lambda f: sum(len(r.text) for r in row if r.fit.face == f),
            default=None,
        )
        for member in row:
            if face is not None and member.fit.face != face:
                member.fit = fit_font(
                    member.text,
                    member.ink.width,
                    member.ink.height,
                    member.mass,
                    family=face.family,
                    weight=member.fit.weight,
                    slanted=member.italic,
                )
            # Short labels' spacing is noise, except on capitals, which are tracked out on purpose.
            capitals = not any(ch.islower() for ch in member.text)
            member.fit = _resize(member.fit, size, member.ink.width, member.text, keep_spacing=capitals)
