"""Tables: a run of rows whose cells line up in columns, with dividers, stripes or cell borders.

Found on the layout tree after the XY-cut, where a table is a column of rows: each row is a row
node (its children are the cells), a band (a full-width region holding one row: a stripe, a
header bar, a bordered row) or a row of bordered cell boxes; horizontal dividers may sit between
them. The rules, from Bootstrap, DataTables, Tailwind and hand-written tables:

- at least 3 rows (header included) and 2 columns, two of them text in most rows (a list of
  descriptions with a switch each is no table); each row's cells fall in distinct columns
  (column slots are the union of the cells' horizontal extents over all rows), and rows fill
  most columns (>= 60% on average, >= 2 cells in 80% of rows);
- each column's text lines up: left edges, right edges or centres within 4 px;
- cells are simple: text (up to 3 lines), a small picture, a control, a badge or button, a
  bordered cell box around one of those; a row holding a field, a card or anything taller than
  120 px is no table row;
- structure: dividers between at least half the rows, stripes or bands on a third of them, or
  cell boxes drawn edge to edge (form fields side by side stand apart). Aligned text with nothing drawn between (a footer's link columns) stays text.

The header is the first row when its text is bold or set apart (another color, a band of its own
fill) and the rows under it are not.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field

from ...models import Box
from .layout import Node, walk
from .model import Region, Rule

MIN_ROWS, MIN_COLUMNS = 3, 2
_ALIGN_TOLERANCE = 4.0
_MAX_ROW_HEIGHT = 120.0


@dataclass
class GridRow:
    """One table row: its box, its cells' content by column, and what it draws."""

    box: Box
    cells: list[Node | None]
    cell_regions: list[Region | None]
    band: Region | None = None  # a full-width region holding the row (stripe, header bar)
    rule_above: Rule | None = None
    rule_below: Rule | None = None


@dataclass
class Grid:
    """A table found in the layout: column edges, rows and whether the first row is a header."""

    columns: list[tuple[float, float]]  # page px, left to right
    align: list[str]  # per column: left | right | center
    rows: list[GridRow]
    header: bool
    origin: Box  # the table's box as found (cell geometry is relative to it)
    consumed: list[Node] = field(default_factory=list)  # rules and regions the table draws itself


def find_tables(root: Node) -> None:
    """Replace every run of table rows in a column container by one ``table`` node (in place)."""
    for node in list(walk(root)):
        if node.kind in ("column", "region") and len(node.children) >= MIN_ROWS:
            _tables_in(node)


def _tables_in(container: Node) -> None:
    kids = container.children
    start = 0
    result: list[Node] = []
    while start < len(kids):
        table = None
        for stop in range(len(kids), start + MIN_ROWS - 1, -1):
            table = _table(kids[start:stop])
            if table is not None:
                result.append(table)
                start = stop
                break
        if table is None:
            result.append(kids[start])
            start += 1
    container.children = result


def _table(items: list[Node]) -> Node | None:
    rows: list[GridRow] = []
    pending_rule: Rule | None = None
    consumed: list[Node] = []
    for item in items:
        if item.absolute:
            return None
        if item.kind == "rule":
            rule = item.rule
            assert rule is not None
            if rule.vertical or pending_rule is not None:
                return None
            if rows:
                rows[-1].rule_below = rule
            pending_rule = rule
            consumed.append(item)
            continue
        row = _row(item)
        if row is None:
            # A second line under a cell (a coin's ticker under its name) the cut left on its own:
            # part of the row above while no divider came between.
            last = rows[-1] if rows else None
            if (
                last is not None
                and pending_rule is None
                and item.kind in ("text", "image")
                and _simple(item)
                and item.box.y > last.box.y
                and item.box.y - last.box.bottom <= 8
            ):
                last.cells.append(item)
                last.cell_regions.append(None)
                last.box = last.box.union(item.box)
                consumed.append(item)
                continue
            return None
        row.rule_above = pending_rule
        pending_rule = None
        rows.append(row)
        consumed.append(item)
    if len(rows) < MIN_ROWS:
        return None
    # Rows of a table are alike in height (a page heading above it is no header row).
    # (Measured against the body's row pitch: a body row's box is only its content's.)
    typical = statistics.median(b.box.y - a.box.y for a, b in itertools.pairwise(rows[1:]))
    if rows[0].box.height > 1.6 * typical or any(r.box.height > 2.5 * typical for r in rows[1:]):
        return None
    if not _header_like(rows[0], rows[1:]):
        return None
    # Columns come from the body: a header may carry sort icons or be centred over its column.
    body = rows[1:] if len(rows) > MIN_ROWS else rows
    slots = _slots(body)
    if slots is None or len(slots) < MIN_COLUMNS:
        return None
    grid_cells = _assign(rows, slots)
    if grid_cells is None:
        return None
    # A first row holding boxes (a toolbar's search field and buttons) where the body has none
    # is no row of this table.
    first_boxes = {i for i, (c, _) in enumerate(grid_cells[0]) if c is not None and _boxes_in(c)}
    body_boxes = {
        i for cells in grid_cells[1:] for i, (c, _) in enumerate(cells) if c is not None and _boxes_in(c)
    }
    if first_boxes - body_boxes:
        return None
    counts = [sum(c is not None for c, _ in cells) for cells in grid_cells]
    if counts[0] < 0.5 * len(slots):
        return None  # a header labels most columns (a card's title and its link do not)
    if statistics.fmean(counts) < 0.6 * len(slots) or sum(c >= 2 for c in counts) < 0.8 * len(rows):
        return None
    # A table is data in columns: at least two columns of text (a settings list of descriptions
    # and switches has one).
    texty = sum(
        sum(_has_text(cells[i][0]) for cells in grid_cells) >= 0.6 * len(rows) for i in range(len(slots))
    )
    if texty < MIN_COLUMNS:
        return None
    align = _alignments(grid_cells[len(rows) - len(body) :], len(slots))
    if align is None or (len(body) < len(rows) and not _heads_columns(grid_cells, len(slots))):
        return None
    dividers = sum(r.rule_below is not None for r in rows[:-1])  # between rows, not around them
    bands = sum(r.band is not None for r in rows)
    bordered = sum(_drawn_grid(r) for r in rows)
    if not (dividers >= 0.5 * (len(rows) - 1) or bands >= len(rows) / 3 or bordered >= 0.8 * len(rows)):
        return None
    for row, cells in zip(rows, grid_cells, strict=True):
        regions_by_slot: list[Region | None] = [None] * len(slots)
        contents: list[Node | None] = [None] * len(slots)
        for index, (content, region) in enumerate(cells):
            contents[index] = content
            regions_by_slot[index] = region
        row.cells = contents
        row.cell_regions = regions_by_slot
    box = _extent(rows, slots)
    columns = _columns(rows, slots, align, box)
    header = _has_header(rows)
    grid = Grid(columns, align, rows, header, box, consumed)
    children = [c for r in rows for c in r.cells if c is not None]
    node = Node("table", box, children=children, cut_box=box)
    node.grid = grid
    return node


def _row(item: Node) -> GridRow | None:
    """The row an item of a column is, or None: a row node, a band region or a bordered cell row."""
    if item.kind == "row":
        cells = [c for c in item.children if not c.absolute]
        if len(cells) != len(item.children):
            return None
        regions = _touching([c.region if _cell_region(c, item.box.height) else None for c in cells])
        if not all(_simple(c, cell_box=r is not None) for c, r in zip(cells, regions, strict=True)):
            return None
        return GridRow(item.box, list[Node | None](cells), regions)
    if item.kind == "region" and item.region is not None:
        inner = [c for c in item.children if not c.absolute]
        if len(inner) == 1 and inner[0].kind == "row":
            cells = inner[0].children
        elif len(inner) >= 2 and all(c.kind != "row" for c in inner) and _one_band(inner):
            cells = inner
        else:
            return None
        height = item.box.height
        if height > _MAX_ROW_HEIGHT or not all(_simple(c, cell_box=_cell_region(c, height)) for c in cells):
            return None
        row = GridRow(
            item.box, list(cells), _touching([c.region if _cell_region(c, height) else None for c in cells])
        )
        row.band = item.region
        return row
    return None


def _heads_columns(grid: list[list[tuple[Node | None, Region | None]]], count: int) -> bool:
    """Whether the first row's cells head the body's columns: each lines up (left edges, right
    edges or centres within 8 px) with the column's cells under it. A card's title and its "view
    all" link above a table do not."""
    for index in range(count):
        head = grid[0][index][0]
        below = [(c.cut_box or c.box) for row in grid[1:] if (c := row[index][0]) is not None]
        if head is None or not below:
            continue
        h = head.cut_box or head.box
        if not any(
            min(abs(key(h) - key(b)) for b in below) <= 8
            for key in (lambda b: b.x, lambda b: b.right, lambda b: b.center[0])
        ):
            return False
    return True


def _boxes_in(node: Node) -> bool:
    return any(n.kind == "region" for n in walk(node))


def _header_like(first: GridRow, body: list[GridRow]) -> bool:
    """A first row can be the table's own (a header or a row): its text no bigger than the body's
    (a page heading above a table is)."""
    sizes = [n.block.first.size for r in body for c in r.cells if c is not None for n in walk(c) if n.block]
    head = [n.block.first.size for c in first.cells if c is not None for n in walk(c) if n.block]
    return not (sizes and head and max(head) > 1.25 * statistics.median(sizes))


def _touching(regions: list[Region | None]) -> list[Region | None]:
    """Cell boxes are drawn edge to edge; a lone box in a row (a badge as tall as a row of short
    text) holds its content, it is no cell."""
    boxes = [r.box for r in regions if r is not None]
    kept: list[Region | None] = []
    for region in regions:
        touches = region is not None and any(
            b is not region.box and (abs(b.x - region.box.right) <= 2 or abs(region.box.x - b.right) <= 2)
            for b in boxes
        )
        kept.append(region if touches else None)
    return kept


def _drawn_grid(row: GridRow) -> bool:
    """Whether the row's cells are boxes drawn edge to edge (a bordered or filled cell grid; form
    fields side by side stand apart)."""
    boxes = sorted((r.box for r in row.cell_regions if r is not None), key=lambda b: b.x)
    return len(boxes) >= 2 and all(b.x - a.right <= 2 for a, b in itertools.pairwise(boxes))


def _has_text(node: Node | None) -> bool:
    return node is not None and any(n.kind == "text" for n in walk(node))


def _one_band(nodes: list[Node]) -> bool:
    """Whether nodes side by side share one horizontal band (a row the cut left unwrapped)."""
    top = max(n.box.y for n in nodes)
    bottom = min(n.box.bottom for n in nodes)
    return bottom > top


def _cell_region(node: Node, row_height: float) -> bool:
    """A box drawn around one cell's content (a bordered or filled cell): as tall as its row (a
    badge in a cell is much smaller)."""
    if node.kind != "region" or node.region is None or node.box.height < 0.8 * row_height:
        return False
    inner = [c for c in node.children if c.kind != "rule"]
    return len(inner) <= 1 and (
        not inner or inner[0].kind in ("text", "image", "control", "region", "row", "column")
    )


def _simple(node: Node, cell_box: bool = False) -> bool:
    if node.box.height > _MAX_ROW_HEIGHT:
        return False
    if node.kind == "text":
        return node.block is not None and len(node.block.lines) <= 3
    if node.kind in ("image", "control"):
        return node.box.height <= 64
    if node.kind == "region":
        inner = [c for c in node.children if c.kind != "rule"]
        if len(inner) > 1:
            return False
        return not inner or (_simple(inner[0]) and (cell_box or node.box.height <= 64))
    if node.kind == "column":  # a name over an e-mail address
        return len(node.children) <= 3 and all(c.kind == "text" or _simple(c) for c in node.children)
    if node.kind == "row":  # an icon and a label, a currency sign read as an icon and a figure
        return len(node.children) <= 4 and all(c.kind in ("text", "image", "control") for c in node.children)
    return False


def _content_box(node: Node, region: Region | None) -> Box:
    if region is not None:
        inner = [c for c in node.children if c.kind != "rule"]
        if inner:
            return inner[0].cut_box or inner[0].box
        return region.box
    return node.cut_box or node.box


def _slots(rows: list[GridRow]) -> list[tuple[float, float]] | None:
    """Column slots: the union of the cells' horizontal extents (cell boxes where drawn)."""
    spans: list[tuple[float, float, float]] = []  # start, end, how near the next may start
    for row in rows:
        for cell, region in zip(row.cells, row.cell_regions, strict=True):
            if cell is None:
                continue
            if region is not None:  # drawn cells touch: only an overlap joins them
                spans.append((region.box.x + 1.5, region.box.right - 1.5, 0.0))
            else:  # an icon a few px before its figure is one cell with it
                box = cell.cut_box or cell.box
                spans.append((box.x, box.right, 6.0))
    spans.sort()
    merged: list[list[float]] = []
    for x0, x1, reach in spans:
        if merged and x0 < merged[-1][1] + min(reach, merged[-1][2]):
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1, reach])
    return [(a, b) for a, b, _ in merged] or None


def _assign(
    rows: list[GridRow], slots: list[tuple[float, float]]
) -> list[list[tuple[Node | None, Region | None]]] | None:
    """Each row's cells by column; None when two cells of one row fall in one column."""
    result = []
    for row in rows:
        cells: list[tuple[Node | None, Region | None]] = [(None, None)] * len(slots)
        for cell, region in zip(row.cells, row.cell_regions, strict=True):
            if cell is None:
                continue
            box = region.box if region is not None else (cell.cut_box or cell.box)
            middle = box.center[0]
            index = next((i for i, (a, b) in enumerate(slots) if a - 2 <= middle <= b + 2), None)
            if index is None:
                # Outside every column (a header's sort icon): the column it overlaps most, else
                # the nearest one to its left.
                overlaps = [min(b, box.right) - max(a, box.x) for a, b in slots]
                best = max(range(len(slots)), key=lambda i: overlaps[i])
                left = [i for i, (a, _) in enumerate(slots) if a <= box.x]
                index = best if overlaps[best] > 0 else (left[-1] if left else None)
            if index is None:
                return None
            if cells[index][0] is not None:
                # Two pieces in one column (an avatar and a name, a heading and its sort icon):
                # one cell holding both, unless a drawn cell box stands between them.
                held, held_region = cells[index]
                if region is not None or held_region is not None or held is _EMPTY or held is None:
                    return None
                cells[index] = (_together(held, cell), None)
                continue
            content = cell
            if region is not None:
                inner = [c for c in cell.children if c.kind != "rule"]
                content = inner[0] if inner else None  # type: ignore[assignment]
                if content is None:
                    cells[index] = (_EMPTY, region)
                    continue
            cells[index] = (content, region)
        result.append(cells)
    # Empty bordered cells were marked to keep their place; they hold nothing.
    return [[(None if c is _EMPTY else c, r) for c, r in cells] for cells in result]


_EMPTY = Node("text", Box(0, 0, 0, 0))


def _together(held: Node, more: Node) -> Node:
    """One cell's content made of several pieces: a row of them side by side, or a column."""
    pieces = [*held.children, more] if held.grid is _PIECES else [held, more]
    box = pieces[0].box
    cut = pieces[0].cut_box or pieces[0].box
    for piece in pieces[1:]:
        box = box.union(piece.box)
        cut = cut.union(piece.cut_box or piece.box)
    # Pieces one above the other (a name over its code) stack; side by side they make a row.
    stacked = all(
        min(a.box.right, b.box.right) > max(a.box.x, b.box.x) for a, b in itertools.combinations(pieces, 2)
    )
    if stacked:
        node = Node("column", box, children=sorted(pieces, key=lambda n: n.box.y), cut_box=cut)
    else:
        node = Node("row", box, children=sorted(pieces, key=lambda n: n.box.x), cut_box=cut)
    node.grid = _PIECES
    return node


_PIECES = object()  # marks a row made here to hold one cell's pieces


def _alignments(grid: list[list[tuple[Node | None, Region | None]]], count: int) -> list[str] | None:
    """Each column's alignment (left, right or center edges line up), or None if one has none."""
    align = []
    for index in range(count):
        boxes = [(c.cut_box or c.box) for row in grid if (c := row[index][0]) is not None]
        if len(boxes) <= 1:
            align.append("left")
            continue
        for name, key in (
            ("left", lambda b: b.x),
            ("right", lambda b: b.right),
            ("center", lambda b: b.center[0]),
        ):
            values = [key(b) for b in boxes]
            if max(values) - min(values) <= _ALIGN_TOLERANCE:
                align.append(name)
                break
        else:
            return None
    return align


def _extent(rows: list[GridRow], slots: list[tuple[float, float]]) -> Box:
    """The table's box: what its bands, dividers and cell boxes span, else its cells."""
    x0 = min(a for a, _ in slots)
    x1 = max(b for _, b in slots)
    for row in rows:
        drawn = [r.box for r in row.cell_regions if r is not None]
        if row.band is not None:
            drawn.append(row.band.box)
        for rule in (row.rule_above, row.rule_below):
            if rule is not None:
                drawn.append(rule.box)
        for box in drawn:
            x0, x1 = min(x0, box.x), max(x1, box.right)
    top = rows[0].box.y
    if rows[0].rule_above is not None:
        top = rows[0].rule_above.box.y
    bottom = rows[-1].box.bottom
    if rows[-1].rule_below is not None:
        bottom = rows[-1].rule_below.box.bottom
    _settle_rows(rows)
    return Box(x0, top, x1 - x0, bottom - top)


def _settle_rows(rows: list[GridRow]) -> None:
    """Row boxes meet: each row runs from the divider (or midpoint) above to the one below."""
    for row, below in itertools.pairwise(rows):
        if row.rule_below is not None:
            end, start = row.rule_below.box.y, row.rule_below.box.bottom
        elif row.band is not None or below.band is not None:
            end = row.box.bottom if row.band is not None else below.box.y
            start = end
        else:
            end = start = (row.box.bottom + below.box.y) / 2
        row.box = Box(row.box.x, row.box.y, row.box.width, max(end - row.box.y, 1.0))
        below.box = Box(below.box.x, start, below.box.width, max(below.box.bottom - start, 1.0))
    first = rows[0]
    if first.rule_above is not None:
        top = first.rule_above.box.bottom
        first.box = Box(first.box.x, top, first.box.width, first.box.bottom - top)
    last = rows[-1]
    if last.rule_below is not None:
        bottom = last.rule_below.box.y
    elif last.band is not None:
        bottom = last.band.box.bottom
    elif len(rows) > 2:
        # No divider under the last row: it is as tall as the rows above it.
        bottom = last.box.y + statistics.median(r.box.height for r in rows[1:-1])
    else:
        bottom = last.box.bottom
    last.box = Box(last.box.x, last.box.y, last.box.width, max(bottom - last.box.y, last.box.height))


def _columns(
    rows: list[GridRow], slots: list[tuple[float, float]], align: list[str], box: Box
) -> list[tuple[float, float]]:
    """Column edges: drawn cell boxes where there are any, else the cell padding repeated."""
    edges = [box.x]
    pad = slots[0][0] - box.x
    for index in range(1, len(slots)):
        drawn = [r.cell_regions[index].box.x for r in rows if r.cell_regions[index] is not None]  # type: ignore[union-attr]
        if drawn:
            edge = statistics.median(drawn)
        elif align[index] == "left":
            edge = max(slots[index][0] - pad, slots[index - 1][1] + 1)
        elif align[index - 1] == "right":
            edge = min(slots[index - 1][1] + pad, slots[index][0] - 1)
        else:
            edge = (slots[index - 1][1] + slots[index][0]) / 2
        edges.append(edge)
    edges.append(box.right)
    _center_trailing(edges, rows, slots, align)
    return list(itertools.pairwise(edges))


def _center_trailing(
    edges: list[float], rows: list[GridRow], slots: list[tuple[float, float]], align: list[str]
) -> None:
    """Trailing centred columns (a pricing table's plan columns) placed so that each one's centre is
    where its cells' centres are: from the table's right edge leftwards, each column's left edge is
    its centre mirrored about its right edge. The midpoint between two columns' contents put
    Bootstrap's plan columns (sized by their content) 30 px off. Edges drawn as cell boxes, or an
    edge that would cut into a neighbour's content, stop it there."""
    index = len(slots) - 1
    while index >= 1 and align[index] == "center":
        if any(r.cell_regions[index] is not None for r in rows):
            return
        centre = (slots[index][0] + slots[index][1]) / 2
        edge = 2 * centre - edges[index + 1]
        if not slots[index - 1][1] + 1 <= edge <= slots[index][0] - 1:
            return
        edges[index] = edge
        index -= 1


def _has_header(rows: list[GridRow]) -> bool:
    """The first row is set apart: bold where the rest is not, or another color, or its own band."""
    first, rest = rows[0], rows[1:]

    def texts(row: GridRow) -> list:  # type: ignore[type-arg]
        return [n.block for c in row.cells if c is not None for n in walk(c) if n.kind == "text" and n.block]

    head = texts(first)
    body = [b for row in rest for b in texts(row)]
    if not head or not body:
        return False
    head_bold = sum(b.first.fit.bold for b in head) / len(head)
    body_bold = sum(b.first.fit.bold for b in body) / len(body)
    if head_bold >= 0.6 and body_bold <= 0.4:
        return True
    head_color = statistics.median(sum(b.first.color) for b in head)
    body_color = statistics.median(sum(b.first.color) for b in body)
    if abs(head_color - body_color) >= 90:
        return True
    if first.band is not None and all(r.band is None or r.band.fill != first.band.fill for r in rest):
        return True
    head_upper = sum(b.text.isupper() for b in head) / len(head)
    body_upper = sum(b.text.isupper() for b in body) / len(body)
    return head_upper >= 0.8 and body_upper <= 0.3
