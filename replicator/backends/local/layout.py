"""Everything found -> a tree of flex columns and rows (recursive XY-cut) with CSS boxes.

Each box (region) holds the elements inside it. Inside a container the elements are cut into
horizontal bands (a column of rows) wherever an empty horizontal gap runs across, then each band into
vertical strips (a row), recursively. Elements that overlap so that no cut separates them are the only
ones positioned absolutely. Text is placed by its CSS line box, computed from the font's metrics so
that the glyphs land where the screenshot has their ink.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ...models import Box
from .model import Analysis, Graphic, Region, Rule, TextBlock


@dataclass
class Node:
    """One element of the output: a container (column, row, stack, region) or a leaf."""

    kind: str  # region | column | row | stack | text | image | rule
    box: Box  # CSS border box, page px
    children: list[Node] = field(default_factory=list)
    region: Region | None = None
    block: TextBlock | None = None
    graphic: Graphic | None = None
    rule: Rule | None = None
    role: str = ""  # set by classify: button, input, card, navbar, ...
    cut_box: Box | None = None  # what the XY-cut sees (ink for text)


def text_box(block: TextBlock) -> Box:
    """The CSS box of a text block: line boxes placed so the ink lands where it was measured."""
    first = block.first
    fit = first.fit
    size = fit.size
    m = fit.measure
    ascent, descent = round(m.ascent * size), round(m.descent * size)
    line_height = block.line_height if len(block.lines) > 1 else float(ascent + descent)
    line_height = max(line_height, 1.0)
    # Baseline sits half the leading below the line top, plus the ascent.
    baseline = (line_height - (ascent + descent)) / 2 + ascent
    top = first.ink.y - (baseline + m.ink_top * size)
    widths = [_advance(line) for line in block.lines]
    width = max(widths)
    if block.align == "center":
        left = min(line.ink.center[0] - w / 2 for line, w in zip(block.lines, widths, strict=True))
    elif block.align == "right":
        right = max(line.ink.right + _right_bearing(line) for line in block.lines)
        left = right - width
    else:
        left = min(line.ink.x - line.fit.measure.ink_left * line.fit.size for line in block.lines)
    height = line_height * len(block.lines)
    return Box(left, top, width, height)


def _advance(line) -> float:  # type: ignore[no-untyped-def]
    fit = line.fit
    if fit.face is None:
        return line.ink.width + 2
    return fit.advance(line.text) + 1.0  # a pixel of slack: subpixel layout must never wrap


def _right_bearing(line) -> float:  # type: ignore[no-untyped-def]
    m = line.fit.measure
    return (m.advance - m.ink_right) * line.fit.size


def build_tree(analysis: Analysis) -> Node:
    """The page's node tree: the root region with everything nested inside."""
    regions = [r for r in analysis.regions if r.visible]
    nodes: dict[int, Node] = {}
    root = Node("region", analysis.root.box, region=analysis.root)
    for region in regions:
        nodes[id(region)] = Node("region", region.box, region=region)

    def holder(box: Box) -> Node:
        best: Region | None = None
        for region in regions:
            if _inside(box, region.box) and (best is None or region.box.area < best.box.area):
                best = region
        return nodes[id(best)] if best is not None else root

    # Regions nest under their innermost visible ancestor.
    for region in regions:
        parent = region.parent
        while parent is not None and not parent.visible and parent is not analysis.root:
            parent = parent.parent
        target = nodes.get(id(parent)) if parent is not None else None
        (target or root).children.append(nodes[id(region)])
    for block in analysis.blocks:
        css = text_box(block)
        holder(block.ink).children.append(Node("text", css, block=block, cut_box=block.ink))
    for graphic in analysis.graphics:
        if graphic.behind_text:
            continue
        holder(graphic.box).children.append(Node("image", graphic.box, graphic=graphic))
    for rule in analysis.rules:
        holder(rule.box).children.append(Node("rule", rule.box, rule=rule))
    _arrange(root)
    return root


def _inside(inner: Box, outer: Box, tolerance: float = 2.0) -> bool:
    return (
        inner.x >= outer.x - tolerance
        and inner.y >= outer.y - tolerance
        and inner.right <= outer.right + tolerance
        and inner.bottom <= outer.bottom + tolerance
    )


def _arrange(node: Node) -> None:
    """Replace a container's flat child list by its XY-cut tree (recursively)."""
    for child in node.children:
        if child.kind == "region":
            _arrange(child)
    if len(node.children) > 1:
        node.children = [_cut(node.children, prefer_rows=False)]
        # A single column child adds nothing: lift its children.
        only = node.children[0]
        if only.kind == "column":
            node.children = only.children


def _cut_box(node: Node) -> Box:
    return node.cut_box or node.box


def _bands(items: list[Node], vertical: bool) -> list[list[Node]]:
    """Group items into bands separated by empty gaps along y (vertical=True) or x."""

    def span(n: Node) -> tuple[float, float]:
        b = _cut_box(n)
        return (b.y, b.bottom) if vertical else (b.x, b.right)

    ordered = sorted(items, key=lambda n: (span(n)[0], span(n)[1]))
    groups: list[list[Node]] = []
    end = -1e9
    for item in ordered:
        start, stop = span(item)
        # Boxes that share a border line overlap by a pixel or two; that is not an overlap.
        if groups and start < end - 2.5:
            groups[-1].append(item)
            end = max(end, stop)
        else:
            groups.append([item])
            end = stop
    return groups


def _cut(items: list[Node], prefer_rows: bool) -> Node:
    if len(items) == 1:
        return items[0]
    rows = _bands(items, vertical=True)
    cols = _bands(items, vertical=False)
    # Both cuts possible (a grid): cut along the wider whitespace first, so two columns of
    # paragraphs stay two columns; ties go to rows (reading order).
    if (
        len(rows) > 1
        and len(cols) > 1
        and _widest_gap(cols, vertical=False) > 1.5 * _widest_gap(rows, vertical=True)
    ):
        return _group("row", [_cut(g, False) for g in cols])
    if len(rows) > 1:
        return _group("column", [_cut(g, True) for g in rows])
    if len(cols) > 1:
        return _group("row", [_cut(g, False) for g in cols])
    # Nothing separates them: they overlap. Position them absolutely within a stack.
    ordered = sorted(items, key=lambda n: (-n.box.area, n.box.y, n.box.x))
    return _group("stack", ordered)


def _widest_gap(groups: list[list[Node]], vertical: bool) -> float:
    widest = 0.0
    for before, after in itertools.pairwise(groups):
        end = max((_cut_box(n).bottom if vertical else _cut_box(n).right) for n in before)
        start = min((_cut_box(n).y if vertical else _cut_box(n).x) for n in after)
        widest = max(widest, start - end)
    return widest


def _group(kind: str, children: list[Node]) -> Node:
    box = children[0].box
    cut = _cut_box(children[0])
    for child in children[1:]:
        box = box.union(child.box)
        cut = cut.union(_cut_box(child))
    return Node(kind, box, children=children, cut_box=cut)


def walk(node: Node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from walk(child)
