"""Markup for tables found in the layout: ``<table>`` with ``<colgroup>``, ``<thead>``/``<th>`` and
``<td>``, styled as measured.

One class for the table (collapsed borders, fixed layout, the cell padding most cells have, the
cell borders when every cell draws one), one per row look (its fill and its divider), column widths
in ``<col>``; a cell carries a utility class only where its padding differs from the rest. A cell
holding one text takes that text's class itself (``<td class="text-3">Tokyo</td>``).
"""

from __future__ import annotations

import statistics
from collections import Counter

from ...models import RGB, Box
from .layout import Node
from .model import Region, TextBlock
from .styles import StyleSheet, fluid, hex_color, px
from .tables import Grid, GridRow


class TableMarkup:
    """Mixin of the emitter: tables. The emitter provides text classes and other elements."""

    styles: StyleSheet

    def _node(self, node: Node, box: Box, classes: list[str]) -> str:
        raise NotImplementedError

    def _text_class(self, block: TextBlock) -> str:
        raise NotImplementedError

    def _text_content(self, block: TextBlock) -> tuple[str, list[str]]:
        raise NotImplementedError

    def _table(self, node: Node, box: Box, classes: list[str]) -> str:
        grid: Grid = node.grid
        # Cell geometry is measured against the table as found; the node may have moved since.
        dx, dy = box.x - grid.origin.x, box.y - grid.origin.y
        pads = [
            self._cell_pads(grid, row, index, dx, dy)
            for row in grid.rows
            for index in range(len(grid.columns))
        ]
        lefts = Counter(round(p[0]) for p in pads if p is not None and p[2] == "left")
        tops = Counter(round(p[1]) for p in pads if p is not None)
        common_left = lefts.most_common(1)[0][0] if lefts else 8
        common_top = tops.most_common(1)[0][0] if tops else 8
        decls = {
            "border-collapse": "collapse",
            "table-layout": "fixed",
        }
        decls.update(_frame_sides(grid))
        name = self.styles.named("table", decls)
        cell_decls = {
            "padding": f"{px(common_top)} 0 0 {px(common_left)}",
            "vertical-align": "top",
        }
        border = _cell_border(grid)
        if border is not None:
            cell_decls["border"] = border
        # :where keeps the rule as weak as one class, so a cell's own utility classes win.
        self.styles.extra(f".{name} :where(td,th){{{';'.join(f'{k}:{v}' for k, v in cell_decls.items())}}}")
        self.styles.extra("th{text-align:left}")
        sizing = [] if fluid(classes) else [self.styles.util("w", "width", box.width)]
        parts = [f'<table class="{" ".join([name, *sizing, *classes])}">\n']
        parts.append("<colgroup>")
        for x0, x1 in grid.columns:
            parts.append(f'<col class="{self.styles.util("w", "width", x1 - x0)}">')
        parts.append("</colgroup>\n")
        pad_index = 0
        for row_index, row in enumerate(grid.rows):
            head = grid.header and row_index == 0
            if row_index == 0:
                parts.append("<thead>\n" if head else "<tbody>\n")
            elif row_index == 1 and grid.header:
                parts.append("<tbody>\n")
            row_classes = self._row_classes(grid, row, row_index)
            parts.append(f'<tr class="{" ".join(row_classes)}">' if row_classes else "<tr>")
            tag = "th" if head else "td"
            for index, content in enumerate(row.cells):
                pad = pads[pad_index]
                pad_index += 1
                cell_classes: list[str] = []
                if pad is not None:
                    left, top, align = pad
                    if align == "left" and abs(left - common_left) >= 1.5:
                        cell_classes.append(self.styles.util("pl", "padding-left", left))
                    elif align != "left":
                        cell_classes.append(self.styles.named(f"text-{align}", {"text-align": align}))
                        if align == "right":
                            cell_classes.append(self.styles.util("pr", "padding-right", left))
                        elif common_left:
                            # Centred in the whole column (its edges are placed for that), not in
                            # what the row's left padding leaves of it.
                            cell_classes.append(self.styles.util("pl", "padding-left", 0))
                    if abs(top - common_top) >= 1.5:
                        cell_classes.append(self.styles.util("pt", "padding-top", top))
                region = row.cell_regions[index]
                if region is not None and row.band is None and not _row_fill(row):
                    fill = _fill_of(region)
                    if fill is not None:
                        cell_classes.append(self.styles.named("cell-fill", {"background": hex_color(fill)}))
                inner = ""
                if content is not None:
                    if content.kind == "text" and content.block is not None:
                        cell_classes.insert(0, self._text_class(content.block))
                        inner, extra = self._text_content(content.block)
                        cell_classes += extra
                    else:
                        # Inline, so the cell's alignment places it as it places text.
                        piece = self.styles.named(
                            "cell-piece", {"display": "inline-flex", "vertical-align": "top"}
                        )
                        if content.kind == "row" and (pad is None or pad[2] == "left"):
                            # As wide as its cell, so that a piece pushed to the far end (auto
                            # margin: primer's "Author ▾ Label ▾" tools after "1,204 Closed") goes
                            # there; an inline box is only as wide as its pieces.
                            piece = self.styles.named("cell-row", {"display": "flex"})
                        inner = "\n" + self._node(content, content.box, [piece])
                attrs = f' class="{" ".join(cell_classes)}"' if cell_classes else ""
                parts.append(f"<{tag}{attrs}>{inner}</{tag}>")
            parts.append("</tr>\n")
            if head:
                parts.append("</thead>\n")
        parts.append("</tbody>\n</table>\n")
        return "".join(parts)

    def _row_classes(self, grid: Grid, row: GridRow, index: int) -> list[str]:
        decls: dict[str, str] = {}
        fill = _row_fill(row)
        if fill is not None:
            decls["background"] = hex_color(fill)
        if row.rule_below is not None:
            decls["border-bottom"] = (
                f"{px(row.rule_below.box.height)} solid {hex_color(row.rule_below.color)}"
            )
        if index == 0 and row.rule_above is not None:
            decls["border-top"] = f"{px(row.rule_above.box.height)} solid {hex_color(row.rule_above.color)}"
        band = row.band
        if band is not None and band.border_color is not None:
            # A band's own lines (a header bar's top and bottom rules).
            for side, width in (("top", band.border_width[0]), ("bottom", band.border_width[2])):
                if width and f"border-{side}" not in decls:
                    decls[f"border-{side}"] = f"{width}px solid {hex_color(band.border_color)}"
        classes = [self.styles.named("tr", decls)] if decls else []
        # With collapsed borders a row's divider is half inside it: its height runs to the next row.
        height = row.box.height + (row.rule_below.box.height if row.rule_below is not None else 0)
        classes.append(self.styles.util("h", "height", height))
        return classes

    def _cell_pads(
        self, grid: Grid, row: GridRow, index: int, dx: float, dy: float
    ) -> tuple[float, float, str] | None:
        """(inline padding, top padding, alignment) of a cell's content inside its cell box."""
        content = row.cells[index]
        if content is None:
            return None
        x0, x1 = grid.columns[index]
        align = grid.align[index]
        box = content.box
        top = box.y - (row.box.y + dy)
        if align == "right":
            return (x1 + dx - box.right, top, align)
        if align == "center":
            return (0.0, top, align)
        return (box.x - (x0 + dx), top, align)


def _fill_of(region: Region) -> RGB | None:
    return region.fill if region.gradient is None else None


def _row_fill(row: GridRow) -> RGB | None:
    """The row's own fill: its band's, or the fill all its drawn cells share."""
    if row.band is not None:
        return _fill_of(row.band)
    fills = {_fill_of(r) for r in row.cell_regions if r is not None}
    if len(fills) == 1 and all(r is not None for r in row.cell_regions):
        return fills.pop()
    return None


def _frame_sides(grid: Grid) -> dict[str, str]:
    """The left and right lines of a box framing the rows (a GitHub issue list: each row a band
    outlined on its sides, dividers between them), which the rows' own classes (fills and
    dividers) do not draw: where every row's band has them, in one colour, the table's."""
    decls: dict[str, str] = {}
    bands = [row.band for row in grid.rows]
    for side, k in (("left", 3), ("right", 1)):
        widths = {band.border_width[k] if band is not None else 0 for band in bands}
        colors = {band.border_color for band in bands if band is not None}
        if len(widths) == 1 and min(widths) > 0 and len(colors) == 1:
            color = colors.pop()
            if color is not None:
                decls[f"border-{side}"] = f"{min(widths)}px solid {hex_color(color)}"
    return decls


def _cell_border(grid: Grid) -> str | None:
    """A border every cell draws (a bordered grid), as one declaration, or None."""
    widths: list[int] = []
    colors: list[RGB] = []
    for row in grid.rows:
        for region in row.cell_regions:
            if region is not None and region.has_border and region.border_color is not None:
                widths.append(max(region.border_width))
                colors.append(region.border_color)
    if not widths or len(widths) < 0.6 * sum(len(r.cells) for r in grid.rows):
        return None
    return f"{statistics.median_low(widths)}px solid {hex_color(Counter(colors).most_common(1)[0][0])}"
