"""The node tree -> one HTML document with a <style> block.

Appearance lives in named classes shared by everything that looks the same (``.btn``, ``.card``,
``.h2``, ``.text-muted``); measured spacing and sizes use small utility classes (``.mt-12``,
``.w-320``), so the markup stays readable and a person can restyle it. Positions are tracked as
the browser will lay them out (integers plus the exact line heights), so rounding never drifts.
Output is deterministic: classes are named in document order.
"""

from __future__ import annotations

import html
import math
import statistics

from ...models import RGB, Box
from .emit_controls import ControlMarkup, control_ids
from .emit_table import TableMarkup
from .fonts import FontUses, has_cjk
from .layout import TEXT_SLACK, Node, text_box
from .model import Analysis, Graphic, Shape, TextBlock, TextLine
from .paragraphs import baseline
from .styles import StyleSheet, fluid, hex_color, px


class Emitter(ControlMarkup, TableMarkup):
    def __init__(self, analysis: Analysis, title: str) -> None:
        self.analysis = analysis
        self.title = title
        self.styles = StyleSheet()
        self.backgrounds: dict[int, list[Graphic]] = {}
        self.shapes: dict[int, list[Shape]] = {}
        self._gradients = 0
        self.label_for = control_ids(analysis.controls)
        self.fonts = FontUses()  # web fonts the markup uses, embedded (subset) in the head

    # --- entry --------------------------------------------------------------------------------

    def document(self, root: Node) -> str:
        self._attach_backgrounds(root)
        region = root.region
        assert region is not None
        body_decls = {"background": self._background(root, region.fill, region.gradient)}
        body_class = self.styles.named("body", body_decls)
        inner = self._children(root, root.box, "column", _Cursor(root.box.x, root.box.y))
        page_class = self.styles.named("page-size", {"min-height": px(self.analysis.height)})
        if id(root) in self.shapes:
            inner = self._svg(root, _rounded(root.box), (0, 0)) + inner
            page_class += " layered"
        # Lines kept on one line at the screenshot's width may wrap in a narrower window.
        self.styles.extra(f"@media (max-width:{self.analysis.width - 1}px){{.nowrap{{white-space:normal}}}}")
        body = f'<main class="page {page_class}">\n{inner}</main>'
        return (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>\n{_fonts_first(self.fonts.css())}{self.styles.css()}\n</style>\n"
            "</head>\n"
            f'<body class="{body_class}">\n{body}\n</body>\n</html>\n'
        )

    def _attach_backgrounds(self, root: Node) -> None:
        """Behind-text graphics and polygon shapes belong to the innermost box around them."""
        regions = [n for n in _walk(root) if n.kind == "region"]

        def holder(g: Box) -> Node:
            found = root
            for node in regions:
                if node.box.contains(g, slack=1) and node.box.area <= found.box.area:
                    found = node
            return found

        for graphic in self.analysis.graphics:
            if graphic.behind_text:
                self.backgrounds.setdefault(id(holder(graphic.box)), []).append(graphic)
        for shape in self.analysis.shapes:
            self.shapes.setdefault(id(holder(shape.box)), []).append(shape)

    def _svg(self, node: Node, box: Box, border: tuple[float, float]) -> str:
        """The node's polygon shapes as one inline SVG, behind its content (``border``: left, top)."""
        shapes = self.shapes[id(node)]
        extent = shapes[0].box
        for shape in shapes[1:]:
            extent = extent.union(shape.box)
        x0, y0 = math.floor(extent.x), math.floor(extent.y)
        width, height = math.ceil(extent.right) - x0, math.ceil(extent.bottom) - y0
        classes = [
            "shapes",
            self.styles.util("left", "left", x0 - box.x - border[0]),
            self.styles.util("top", "top", y0 - box.y - border[1]),
        ]
        defs: list[str] = []
        polygons: list[str] = []
        for shape in shapes:
            points = " ".join(f"{_num(px - x0)},{_num(py - y0)}" for px, py in shape.points)
            fill = hex_color(shape.fill)
            if shape.gradient is not None:
                self._gradients += 1
                gid = f"shape-fill-{self._gradients}"
                gx1, gy1, gx2, gy2, start, end = shape.gradient
                defs.append(
                    f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" x1="{_num(gx1 - x0)}" '
                    f'y1="{_num(gy1 - y0)}" x2="{_num(gx2 - x0)}" y2="{_num(gy2 - y0)}">'
                    f'<stop offset="0" stop-color="{hex_color(start)}"/>'
                    f'<stop offset="1" stop-color="{hex_color(end)}"/></linearGradient>'
                )
                fill = f"url(#{gid})"
            polygons.append(f'<polygon points="{points}" fill="{fill}"/>')
        inner = (f"<defs>{''.join(defs)}</defs>" if defs else "") + "".join(polygons)
        return (
            f'<svg class="{" ".join(classes)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-hidden="true">{inner}</svg>\n'
        )

    def _background(self, node: Node, fill: RGB, gradient: str | None) -> str:
        layers = []
        for graphic in self.backgrounds.get(id(node), []):
            x, y = graphic.box.x - node.box.x, graphic.box.y - node.box.y
            layers.append(
                f"url({graphic.data_uri}) no-repeat {px(x)} {px(y)} / {px(graphic.box.width)} {px(graphic.box.height)}"
            )
        if gradient:
            layers.append(gradient)
        else:
            layers.append(hex_color(fill))
        return ", ".join(layers)

    # --- containers -------------------------------------------------------------------------------

    def _children(
        self,
        node: Node,
        content: Box,
        direction: str,
        cursor: _Cursor,
        origin: Box | None = None,
        listed: bool = False,
    ) -> str:
        """The node's children: the flow ones laid out along ``direction`` from ``cursor``, then the
        overlapping ones lifted out of the flow, placed absolutely from ``origin`` (the container's
        padding box; the content box unless told)."""
        parts: list[str] = []
        kids = _flow(node)
        centered_row = direction == "row" and _vertically_centered(kids)
        gap_index = _auto_gap(kids, content) if direction == "row" else None
        gap = _row_gap(kids, gap_index) if direction == "row" else None
        spaced = _word_breaks(kids) if direction == "row" and gap is None else set()
        for index, child in enumerate(kids):
            classes: list[str] = []
            box = _rounded(child.box)
            if direction == "column":
                top = box.y - cursor.y
                if abs(top) >= 0.5:
                    classes.append(self.styles.util("mt", "margin-top", top))
                cursor.y += round(top) + box.height
                classes += self._column_x(child, box, content, kids)
            elif direction == "row":
                if index - 1 in spaced:
                    continue  # set inside the piece before it (see below)
                left = box.x - cursor.x
                if index == gap_index:
                    classes.append("ml-auto")
                elif gap is not None and index > 0:
                    left = gap  # the row's gap places it
                elif abs(left) >= 0.5:
                    classes.append(self.styles.util("ml", "margin-left", left))
                cursor.x += round(left) + _laid_out_width(child, box)
                if not centered_row:
                    dy = box.y - content.y
                    if abs(dy) >= 0.5:
                        classes.append(self.styles.util("mt", "margin-top", dy))
                if (_boxy(child) or _field(child)) and box.width >= max(120.0, 0.2 * content.width):
                    # A column of the row: its measured width as its basis, shrinking with the
                    # window (a divider or row stretched inside it spans what it spanned).
                    classes += ["fluid", self.styles.util("basis", "flex-basis", box.width)]
                elif child.kind == "text" and box.width >= 160:
                    classes.append("fluid")  # a long line may give way (and wrap) in a narrow window
                else:
                    classes.append("flex-none")
                    if child.kind == "column":
                        classes.append(self.styles.util("w", "width", box.width))
            else:  # stack
                classes += [
                    "abs",
                    self.styles.util("left", "left", box.x - content.x),
                    self.styles.util("top", "top", box.y - content.y),
                ]
            if index in spaced:
                # One line set as two pieces (a sentence and its link): the second goes inside
                # the first after a real space, so the line reads, copies and wraps as one
                # ("account? Log in").
                after = kids[index + 1]
                cursor.x = round(after.box.right)
                inner = self._node(after, _rounded(after.box), []).strip()
                parts.append(self._text(child, box, classes, tail=" " + inner))
                continue
            if listed:
                # The item carries the placement; what it holds keeps its own look.
                item = self._node(child, box, []).rstrip("\n")
                parts.append(
                    f'<li class="{" ".join(classes)}">{item}</li>\n' if classes else f"<li>{item}</li>\n"
                )
            else:
                parts.append(self._node(child, box, classes))
        place = origin or content
        for child in node.children:
            if child.absolute:
                box = _rounded(child.box)
                classes = [
                    "abs",
                    self.styles.util("left", "left", box.x - round(place.x)),
                    self.styles.util("top", "top", box.y - round(place.y)),
                ]
                parts.append(self._node(child, box, classes))
        return "".join(parts)

    def _column_x(self, child: Node, box: Box, content: Box, kids: list[Node]) -> list[str]:
        left = box.x - content.x
        right = content.right - box.right
        # A column spanning its container stretches too: a full-width section inside it (one that
        # holds overlays) must keep the container's width, not shrink to the column's text.
        if child.kind in ("row", "rule", "column") and right <= 4 and left <= 4:
            return ["self-stretch"]
        if _boxy(child) and content.width > 0 and box.width >= 0.5 * content.width:
            # Wide boxes follow their container, so the page fits narrower windows: a centred one
            # is as wide as it may be up to its measured width, one that reaches (nearly) the right
            # edge keeps its margins, another takes its share of the width.
            if abs(left - right) <= 2.5 and left > 8:
                return ["w-full", "mx-auto", self.styles.util("max-w", "max-width", box.width)]
            classes = [self.styles.util("ml", "margin-left", left)] if abs(left) >= 0.5 else []
            if right <= max(48.0, 0.1 * content.width):
                classes.insert(0, "self-stretch")
                if right >= 0.5:
                    classes.append(self.styles.util("mr", "margin-right", right))
                return classes
            return [*classes, self.styles.share(box.width / content.width)]
        classes = []
        # The right edge of the column's content: where its other items end (bars spanning the
        # whole width, a navbar, do not count).
        inner_rights = [round(k.box.right) for k in kids if k.box.width < content.width - 4]
        edge = max(inner_rights, default=round(content.right))
        if child.kind != "rule" and abs(left - right) <= 2.5 and left > 8:
            classes.append("self-center")
        elif (
            child.kind != "rule"
            and edge - box.right <= 2.5
            and left > right + 8
            and box.width < 0.5 * content.width
        ):
            # Right-aligned with what stands above and below it: it stays at that edge at any width.
            classes.append("self-end")
            if right >= 0.5:
                classes.append(self.styles.util("mr", "margin-right", right))
        elif abs(left) >= 0.5:
            classes.append(self.styles.util("ml", "margin-left", left))
        if child.kind == "row":
            # A row keeps its measured width so its children keep their places (and ml-auto works).
            classes.append(self.styles.util("w", "width", box.width))
        return classes

    def _node(self, node: Node, box: Box, classes: list[str]) -> str:
        if node.kind == "text":
            return self._text(node, box, classes)
        if node.kind == "image":
            return self._image(node, box, classes)
        if node.kind == "rule":
            return self._rule(node, box, classes)
        if node.kind == "region":
            return self._region(node, box, classes)
        if node.kind == "control":
            return self._toggle(node, box, classes)
        if node.kind == "table":
            return self._table(node, box, classes)
        if node.kind == "stack":
            classes = [
                "stack",
                *classes,
                self.styles.util("w", "width", box.width),
                self.styles.util("h", "height", box.height),
            ]
            inner = self._children(node, box, "stack", _Cursor(box.x, box.y))
            return f'<div class="{" ".join(classes)}">\n{inner}</div>\n'
        kind = "row" if node.kind == "row" else "col"
        extra = ["items-center"] if kind == "row" and _vertically_centered(_flow(node)) else []
        if kind == "row":
            kids = _flow(node)
            gap = _row_gap(kids, _auto_gap(kids, box))
            if gap is not None:
                extra.append(self.styles.util("gap", "gap", gap))
        if _has_overlays(node):
            extra.append("stack")
            if box.width <= 600 and "fluid" not in classes:
                # Its overlays are placed in its measured box: a column holding only its first
                # segment in flow would shrink to that (daisy_pricing_dark's segmented control,
                # centred at a third of its width, stood 67 px right of its place).
                extra.append(self.styles.util("minw", "min-width", box.width))
        direction = "row" if kind == "row" else "column"
        listed = node.role in ("list", "pagination")
        inner = self._children(node, box, direction, _Cursor(box.x, box.y), listed=listed)
        if listed:
            # A menu, a list of links or a pagination: a list of items, as it is written by hand.
            reset = {"list-style": "none", "margin-top": "0", "margin-bottom": "0", "padding": "0"}
            name = self.styles.named("list", reset)
            extra.append(name)
            # Items lay out what they hold as flex items: no line box of the item's own font.
            self.styles.extra(f".{name}>li{{display:flex}}")
            return f'<ul class="{" ".join([kind, *extra, *classes])}">\n{inner}</ul>\n'
        return f'<div class="{" ".join([kind, *extra, *classes])}">\n{inner}</div>\n'

    def _region(self, node: Node, box: Box, classes: list[str]) -> str:
        region = node.region
        assert region is not None
        role = node.role or "box"
        if (
            role in ("button", "badge", "input", "select", "textarea", "page-link")
            and id(node) not in self.shapes
        ):
            control = self._control(node, box, classes)
            if control is not None:
                return control
        decls: dict[str, str] = {"background": self._background(node, region.fill, region.gradient)}
        if role == "disclosure":
            # An accordion header is a <button>: none of a button's own border, padding, font or
            # centring, only what was measured.
            decls.update(
                {"border": "0", "padding": "0", "font": "inherit", "color": "inherit", "text-align": "left"}
            )
        if role in ("nav-link", "link-box"):
            decls["text-decoration"] = "none"  # its label carries its own color
        decls.update(self._border(node))
        name = self.styles.named(role, decls)
        bt, br, bb, bl = region.border_width
        inner_box = Box(box.x + bl, box.y + bt, box.width - bl - br, box.height - bt - bb)
        content = _content(node, inner_box)
        # No padding wider on the right than on the left just because the content is narrow:
        # the content box keeps the measured left padding on both sides at most.
        right_pad = min(inner_box.right - content.right, max(content.x - inner_box.x, 0.0))
        content = Box(content.x, content.y, max(inner_box.right - right_pad - content.x, 0.0), content.height)
        if fluid(classes):
            sizing = []
        elif box.width >= self.analysis.width - 2 and "abs" not in classes:
            sizing = ["self-stretch"]
        else:
            sizing = [self.styles.util("w", "width", box.width)]
        sizing.append(self.styles.util("minh", "min-height", box.height))
        pads = []
        for prefix, prop, value in (
            ("pt", "padding-top", content.y - inner_box.y),
            ("pl", "padding-left", content.x - inner_box.x),
            ("pr", "padding-right", inner_box.right - content.right),
        ):
            if value >= 0.5:
                pads.append(self.styles.util(prefix, prop, value))
        tag = {
            "navbar": "header",
            "footer": "footer",
            "sidebar": "aside",
            "section": "section",
            "nav-link": "a",
            "link-box": "a",
        }.get(role, "div")
        if role in ("navbar", "sidebar") and any(n.role == "list" for n in _walk(node)):
            tag = "nav"  # a bar or side panel of links is the page's navigation
        inner = self._children(node, content, "column", _Cursor(content.x, content.y), inner_box)
        if _has_overlays(node) and id(node) not in self.shapes:
            sizing.append("stack")  # the containing block of its overlays ("layered" is one too)
        if id(node) in self.shapes:
            inner = self._svg(node, box, (bl, bt)) + inner
            sizing.append("layered")
        all_classes = " ".join(["col", name, *sizing, *pads, *classes])
        if role == "disclosure":
            icon = next(
                (n.graphic.icon for n in _walk(node) if n.graphic is not None and n.graphic.icon), None
            )
            expanded = (
                "true"
                if icon is not None and icon.name.endswith(("-up", "up-fill", "dash", "dash-lg", "minus"))
                else "false"
            )
            return (
                f'<button type="button" aria-expanded="{expanded}" class="{all_classes}">\n{inner}</button>\n'
            )
        href = ' href="#"' if tag == "a" else ""
        return f'<{tag}{href} class="{all_classes}">\n{inner}</{tag}>\n'

    def _border(self, node: Node) -> dict[str, str]:
        region = node.region
        assert region is not None
        decls: dict[str, str] = {}
        if region.has_border and region.border_color is not None:
            color = hex_color(region.border_color)
            widths = region.border_width
            # A side keeps its own color only where it clearly differs (a card's colored edge).
            colors = [
                hex_color(
                    c if c is not None and _color_gap(c, region.border_color) > 12 else region.border_color
                )
                for c in region.border_colors
            ]
            if len(set(widths)) == 1 and len(set(colors)) == 1:
                decls["border"] = f"{widths[0]}px solid {color}"
            else:
                for side, w, c in zip(("top", "right", "bottom", "left"), widths, colors, strict=True):
                    if w:
                        decls[f"border-{side}"] = f"{w}px solid {c}"
        if region.radius:
            decls["border-radius"] = px(min(region.radius, min(region.box.width, region.box.height) / 2))
        if region.shadow is not None:
            y, blur, spread, alpha = region.shadow
            decls["box-shadow"] = f"0 {px(y)} {px(blur)} {px(spread)} rgba(0,0,0,{alpha:g})"
        return decls

    # --- leaves -------------------------------------------------------------------------------

    def _font(self, block: TextBlock) -> dict[str, str]:
        first = block.first
        fit = first.fit
        decls = {
            "font-family": fit.stack,
            "font-size": px(fit.size),
            "color": hex_color(first.color),
        }
        decls["font-weight"] = str(fit.weight)
        if first.italic:
            decls["font-style"] = "italic"
        if first.small_caps:
            # (The browser draws small capitals from the capitals: the subset needs them.)
            decls["font-variant"] = "small-caps"
        self.fonts.add(fit, block.text + (block.text.upper() if first.small_caps else ""), first.italic)
        if fit.letter_spacing:
            decls["letter-spacing"] = px(fit.letter_spacing)
            # Tracked-out capitals are a label style: the text stays as seen, and the class says
            # how it is meant, so an edited label keeps its look.
            letters = [ch for ch in block.text if ch.isalpha()]
            if fit.letter_spacing > 0 and len(letters) >= 2 and all(ch.isupper() for ch in letters):
                decls["text-transform"] = "uppercase"
        return decls

    def _text(self, node: Node, box: Box, classes: list[str], tail: str = "") -> str:
        block = node.block
        assert block is not None
        name = self._text_class(block)
        role = block.role or "text"
        tag = {"h1": "h1", "h2": "h2", "h3": "h3", "h4": "h4", "p": "p", "link": "a", "label": "label"}.get(
            role, "span"
        )
        attrs = ' href="#"' if tag == "a" else ""
        target = self.label_for.get(id(block.first))
        if target is not None and len(block.lines) == 1:
            tag, attrs = "label", f' for="{target}"'
        content, extra = self._text_content(block)
        content += tail
        return f'<{tag}{attrs} class="{" ".join([name, *extra, *classes])}">{content}</{tag}>\n'

    def _text_class(self, block: TextBlock) -> str:
        """The named class of a text block's look (font, color, line height, alignment)."""
        decls = self._font(block)
        height = text_box(block).height / max(len(block.lines), 1)
        decls["line-height"] = px(height)
        if block.align != "left" and len(block.lines) > 1:
            decls["text-align"] = block.align
        lines = [
            kind
            for kind, on in (("underline", block.first.underline), ("line-through", block.first.strike))
            if on
        ]
        if lines:
            decls["text-decoration"] = " ".join(lines)
        role = block.role or "text"
        base = {
            "h1": "h1",
            "h2": "h2",
            "h3": "h3",
            "h4": "h4",
            "p": "text",
            "small": "text-sm",
            "link": "link",
            "label": "label",
        }.get(role, "text")
        if role in ("p", "text", "small") and _muted(block.first.color, block.first.background):
            base += "-muted"
        return self.styles.named(base, decls)

    def _text_content(self, block: TextBlock) -> tuple[str, list[str]]:
        """A text block's markup inside its element, and the classes that keep its line breaks."""
        if len(block.lines) == 1:
            return self._line_html(block.lines[0]), ["nowrap"]
        width = wrap_width(block)
        if width is not None:
            joiner = "" if has_cjk(block.text) else " "
            content = html.escape(joiner.join(line.text for line in block.lines))
            # At most that width: in a narrower window the paragraph re-wraps within its box.
            return content, [self.styles.util("max-w", "max-width", math.ceil(width))]
        return "<br>".join(html.escape(line.text) for line in block.lines), ["nowrap"]

    def _line_html(self, line: TextLine) -> str:
        """A line's text; words in another color become inline spans (or links, if colorful)."""
        if not line.runs:
            return html.escape(line.text)
        parts = []
        for text, color in line.runs:
            if max(abs(a - b) for a, b in zip(color, line.color, strict=True)) <= 60:
                parts.append(html.escape(text))
                continue
            colorful = _saturated(color)
            name = self.styles.named(
                "link-inline" if colorful else "text-inline", {"color": hex_color(color)}
            )
            tag = "a" if colorful else "span"
            attrs = ' href="#"' if colorful else ""
            parts.append(f'<{tag}{attrs} class="{name}">{html.escape(text)}</{tag}>')
        return " ".join(parts)

    def _image(self, node: Node, box: Box, classes: list[str]) -> str:
        graphic = node.graphic
        assert graphic is not None
        if graphic.icon is not None and graphic.color is not None:
            # The real icon, from the set's own vector data, in its measured color and size.
            color = self.styles.named("icon-color", {"color": hex_color(graphic.color)})
            if node.role == "button":
                # A close or remove mark: a bare button around the icon.
                bare = self.styles.named(
                    "btn-bare",
                    {
                        "border": "0",
                        "padding": "0",
                        "background": "none",
                        "display": "flex",
                        "color": "inherit",
                    },
                )
                svg = graphic.icon.svg(box.width, box.height, color)
                return f'<button type="button" aria-label="Remove" class="{" ".join([bare, *classes])}">{svg}</button>\n'
            return graphic.icon.svg(box.width, box.height, " ".join([color, *classes])) + "\n"
        if graphic.trace is not None and graphic.color is not None:
            # A mark of one color that no icon set draws: its traced outline, filled with its
            # color in the markup itself (self-contained, as a picture is: a recording's replay
            # moves it between states whose stylesheets differ).
            cls = " ".join(["mark", *classes])
            return (
                f'<svg class="{cls}" width="{_num(box.width)}" height="{_num(box.height)}" '
                f'viewBox="0 0 {_num(graphic.box.width)} {_num(graphic.box.height)}" preserveAspectRatio="none" '
                f'aria-hidden="true"><path fill="{hex_color(graphic.color)}" fill-rule="evenodd" '
                f'd="{graphic.trace}"/></svg>\n'
            )
        # A logo of several colors keeps its pixels; its name is still worth saying.
        alt = html.escape(graphic.icon.name) if graphic.icon is not None else ""
        return (
            f'<img class="{" ".join(["graphic", *classes])}" src="{graphic.data_uri}" '
            f'width="{int(box.width)}" height="{int(box.height)}" alt="{alt}">\n'
        )

    def _rule(self, node: Node, box: Box, classes: list[str]) -> str:
        rule = node.rule
        assert rule is not None
        if rule.vertical:
            name = self.styles.named(
                "divider-v", {"width": px(box.width), "background": hex_color(rule.color)}
            )
            return f'<div class="{" ".join([name, self.styles.util("h", "height", box.height), *classes])}"></div>\n'
        name = self.styles.named(
            "divider",
            {"height": px(box.height), "background": hex_color(rule.color), "border": "0"},
        )
        sizing = [] if fluid(classes) else [self.styles.util("w", "width", box.width)]
        return f'<hr class="{" ".join([name, *sizing, *classes])}">\n'


def _word_breaks(kids: list[Node]) -> set[int]:
    """Row children (index) that end where the next one's word starts a space later: two pieces
    of one line of text (same size, on one line), set as one. Pairs do not overlap."""
    found: set[int] = set()
    for index in range(len(kids) - 1):
        a, b = kids[index], kids[index + 1]
        if index - 1 in found or a.kind != "text" or b.kind != "text" or a.block is None or b.block is None:
            continue
        if len(a.block.lines) != 1 or len(b.block.lines) != 1 or has_cjk(a.block.text + b.block.text):
            continue
        first, second = a.block.first, b.block.first
        size = max(first.size, second.size)
        rows = min(first.ink.bottom, second.ink.bottom) - max(first.ink.y, second.ink.y)
        on_one_line = rows >= 0.6 * min(first.ink.height, second.ink.height)
        gap = second.ink.x - first.ink.right
        same_size = abs(first.size - second.size) <= 0.2 * size
        if (on_one_line and same_size and 0.12 * size <= gap <= 0.7 * size) or _price_and_unit(
            first, second, gap
        ):
            found.add(index)
    return found


def _price_and_unit(first: TextLine, second: TextLine, gap: float) -> bool:
    """A large amount and the small words set after it on its baseline ("€12 per editor /
    month"): one line in two sizes, which the page sets as one (a span inside the price)."""
    small, large = sorted((first.size, second.size))
    if small > 0.8 * large or not any(ch.isdigit() for ch in first.text):
        return False
    return (
        abs(baseline(first) - baseline(second)) <= max(2.0, 0.08 * large)
        and 0.1 * small <= gap <= 0.6 * large
    )


def _laid_out_width(node: Node, box: Box) -> float:
    """The width the browser gives ``node`` in a row: a plain line of text is as wide as its
    text, not its box (``layout.text_box`` adds a pixel of slack, and the row's next margin,
    measured from the box, came out that pixel short: a nav bar's items drifted left a pixel each,
    bs_news_portal's eighth by 8 px); anything else is its box."""
    block = node.block
    plain = node.kind == "text" and not node.role and block is not None and len(block.lines) == 1
    if plain and block is not None and block.first.fit.face is not None:
        return node.box.width - TEXT_SLACK
    return box.width


class _Cursor:
    """Where the next child starts, as the browser will lay it out."""

    def __init__(self, x: float, y: float) -> None:
        self.x: float = round(x)
        self.y: float = round(y)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _rounded(box: Box) -> Box:
    x, y = round(box.x), round(box.y)
    return Box(x, y, max(round(box.right) - x, 0), max(box.bottom - y, 0))


def _content(node: Node, inner: Box) -> Box:
    """The content box: the children's extent inside the region's inner (padding) box."""
    kids = _flow(node)
    if not kids:
        return Box(inner.x, inner.y, inner.width, 0)
    ext = kids[0].box
    for child in kids[1:]:
        ext = ext.union(child.box)
    top = max(inner.y, round(ext.y))
    left = max(inner.x, round(ext.x))
    right = min(inner.right, round(ext.right))
    if right - left < 0:
        right = left
    return Box(left, top, right - left, max(inner.bottom - top, 0))


def _flow(node: Node) -> list[Node]:
    """The children laid out in flow (the rest are placed absolutely)."""
    return [child for child in node.children if not child.absolute]


def _has_overlays(node: Node) -> bool:
    return any(child.absolute for child in node.children)


def _vertically_centered(kids: list[Node]) -> bool:
    if len(kids) < 2:
        return False
    centers = [k.box.center[1] for k in kids]
    return (
        max(centers) - min(centers) <= 1.5
        and max(k.box.height for k in kids) - min(k.box.height for k in kids) > 1
    )


def _field(node: Node) -> bool:
    return node.kind == "region" and node.role in ("input", "select", "textarea")


def _boxy(node: Node) -> bool:
    """A container (or a drawn box) that may take the width its parent gives it; controls keep
    their measured size."""
    if node.kind in ("row", "column", "table", "rule"):
        return True
    return node.kind == "region" and node.role not in ("button", "badge", "input", "select", "page-link")


def _row_gap(kids: list[Node], auto_index: int | None) -> float | None:
    """The one gap between a row's children (a CSS ``gap``), when they are evenly spaced."""
    # Between what the browser lays out: a line of text is as wide as its text, not its box.
    gaps = [
        kids[i].box.x - kids[i - 1].box.x - _laid_out_width(kids[i - 1], kids[i - 1].box)
        for i in range(1, len(kids))
        if i != auto_index
    ]
    if len(gaps) < 2 or max(gaps) - min(gaps) > 1.5 or min(gaps) < 1:
        return None
    return float(round(statistics.median(gaps)))


def _auto_gap(kids: list[Node], content: Box) -> int | None:
    """The child after the widest gap of a row that reaches its container's right edge."""
    if len(kids) < 2 or content.right - kids[-1].box.right > 4:
        return None
    gaps = [(kids[i].box.x - kids[i - 1].box.right, i) for i in range(1, len(kids))]
    widest, index = max(gaps)
    return index if widest >= 48 else None


def _color_gap(a: RGB, b: RGB) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def _saturated(color: RGB) -> bool:
    high, low = max(color), min(color)
    return high >= 90 and (high - low) / max(high, 1) >= 0.45


def _muted(color: RGB, background: RGB) -> bool:
    def lum(c: RGB) -> float:
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    return abs(lum(color) - lum(background)) < 140


def wrap_width(block: TextBlock) -> float | None:
    """A width at which the browser re-wraps the joined text exactly at the measured line breaks."""
    fit = block.first.fit
    if fit.face is None or any(line.fit.face is None for line in block.lines):
        return None
    widths = [fit.advance(line.text) for line in block.lines]
    space = fit.advance(" ")
    low = max(widths) + 1.0
    high = math.inf
    cjk = has_cjk(block.text)
    for line, nxt in zip(block.lines, block.lines[1:], strict=False):
        first_word = nxt.text[:1] if cjk else nxt.text.split(" ")[0]
        high = min(high, fit.advance(line.text) + (0 if cjk else space) + fit.advance(first_word))
    if high - low < 6:
        return None
    return low + min(4.0, (high - low) / 3)


def _walk(node: Node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)


def _fonts_first(rules: str) -> str:
    return rules + "\n" if rules else ""
