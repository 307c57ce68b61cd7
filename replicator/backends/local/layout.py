"""Everything found -> a tree of flex columns and rows (recursive XY-cut) with CSS boxes.

Each box (region) holds the elements inside it. Inside a container the elements are cut into
horizontal bands (a column of rows) wherever an empty horizontal gap runs across, then each band into
vertical strips (a row), recursively. Where elements truly overlap so that no cut separates them, the
fewest and smallest of them are lifted out of the flow and positioned absolutely inside the flow
container that holds them (an avatar straddling a banner's edge); the rest stay in flow. Text is placed by its CSS line box, computed from the font's metrics so
that the glyphs land where the screenshot has their ink.
"""

from __future__ import annotations

import contextvars
import itertools
from dataclasses import dataclass, field
from typing import Any

from ...models import Box
from .model import Analysis, Control, Graphic, Region, Rule, TextBlock


@dataclass
class Node:
    """One element of the output: a container (column, row, stack, region) or a leaf."""

    kind: str  # region | column | row | stack | text | image | rule | control | table
    box: Box  # CSS border box, page px
    children: list[Node] = field(default_factory=list)
    region: Region | None = None
    block: TextBlock | None = None
    graphic: Graphic | None = None
    rule: Rule | None = None
    control: Control | None = None
    role: str = ""  # set by classify: button, input, select, card, navbar, ...
    input_type: str = ""  # set by classify for text fields: text, email, password, search
    placeholder: bool = False  # set by classify: a field's text is its placeholder, not its value
    cut_box: Box | None = None  # what the XY-cut sees (ink for text)
    absolute: bool = False  # lifted out of the flow: placed by its box inside its container
    grid: Any = None  # a table's rows and columns (tables.Grid), for kind "table"


# A text box is this much wider than its text: subpixel layout must never wrap a line.
TEXT_SLACK = 1.0


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
    return fit.advance(line.text) + TEXT_SLACK


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
    for control in analysis.controls:
        holder(control.box).children.append(Node("control", control.box, control=control))
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
        # Its overlays move up with them: the region is then the container they are placed in.
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
    end_size = 0.0
    for item in ordered:
        start, stop = span(item)
        if groups and start < end - _slack(stop - start, end_size):
            groups[-1].append(item)
            if stop > end:
                end, end_size = stop, stop - start
        else:
            groups.append([item])
            end, end_size = stop, stop - start
    return groups


def _slack(size_a: float, size_b: float) -> float:
    """How far two boxes may overlap along an axis and still count as touching, not overlapping.

    Boxes that share a border line overlap by a pixel or two; big sections measured from
    anti-aliased or gradient edges (a banner over the page body) by a few more, in proportion.
    """
    return max(2.5, min(8.0, 0.03 * min(size_a, size_b)))


def _overlaps(a: Node, b: Node) -> bool:
    """Whether two items overlap along both axes by more than the touching slack."""
    p, q = _cut_box(a), _cut_box(b)
    dx = min(p.right, q.right) - max(p.x, q.x)
    dy = min(p.bottom, q.bottom) - max(p.y, q.y)
    return dx > _slack(p.width, q.width) and dy > _slack(p.height, q.height)


# How much wider the whitespace between columns must be than between rows before a grid is cut
# into columns first. A variant (another candidate of the same page) groups a grid differently.
COLUMN_BIAS: contextvars.ContextVar[float] = contextvars.ContextVar("column_bias", default=1.5)
VARIANT_BIASES = (1.5, 0.6, 1e9, 1.0)  # variant 0 (the default), columns first, rows first, even


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
        and _widest_gap(cols, vertical=False) > COLUMN_BIAS.get() * _widest_gap(rows, vertical=True)
    ):
        return _group("row", [_cut(g, False) for g in cols])
    if len(rows) > 1:
        return _group("column", [_cut(g, True) for g in rows])
    if len(cols) > 1:
        return _group("row", [_cut(g, False) for g in cols])
    lifted = _lift_overlapping(items)
    if lifted:
        return _with_overlays([n for n in items if not any(n is m for m in lifted)], lifted, prefer_rows)
    # Nothing overlaps and still no cut separates them (a pinwheel): position them all in a stack.
    ordered = sorted(items, key=lambda n: (-n.box.area, n.box.y, n.box.x))
    return _group("stack", ordered)


def _lift_overlapping(items: list[Node]) -> list[Node]:
    """The items to take out of the flow so that no two of the rest overlap.

    A greedy minimum-area vertex cover of the overlap graph: repeatedly lift the item that costs
    least area per overlap it resolves, so an avatar over two sections goes, not the sections.
    """
    pairs = {(i, j) for i, j in itertools.combinations(range(len(items)), 2) if _overlaps(items[i], items[j])}
    lifted: list[int] = []
    while pairs:
        degree: dict[int, int] = {}
        for i, j in pairs:
            degree[i] = degree.get(i, 0) + 1
            degree[j] = degree.get(j, 0) + 1
        costs = {
            index: (items[index].box.area / count, items[index].box.y, items[index].box.x, index)
            for index, count in degree.items()
        }
        chosen = min(costs, key=costs.__getitem__)
        lifted.append(chosen)
        pairs = {(i, j) for i, j in pairs if chosen not in (i, j)}
    return [items[i] for i in lifted]


def _with_overlays(flow_items: list[Node], lifted: list[Node], prefer_rows: bool) -> Node:
    """The flow layout of ``flow_items`` in a container that also holds ``lifted``, positioned absolutely.

    The container's box is the flow's; its cut box covers the lifted items too, so no outer cut
    slices through them.
    """
    flow = _cut(flow_items, prefer_rows)
    if flow.kind == "stack":
        # The rest cannot flow either: one stack for all of them.
        everything = [*flow.children, *lifted]
        return _group("stack", sorted(everything, key=lambda n: (-n.box.area, n.box.y, n.box.x)))
    container = flow if flow.kind in ("column", "row") else _group("column", [flow])
    cut = _cut_box(container)
    # Bigger overlays first, so smaller ones (a badge on an avatar) paint above them.
    for node in sorted(lifted, key=lambda n: (-n.box.area, n.box.y, n.box.x)):
        node.absolute = True
        container.children.append(node)
        cut = cut.union(_cut_box(node))
    container.cut_box = cut
    return container


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
