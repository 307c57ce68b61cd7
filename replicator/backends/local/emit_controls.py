"""Markup for form controls and buttons: the elements a front-end developer would have written.

Boxes that classify called controls become ``<button>``, ``<input type=...>`` (placeholder or value
as seen), ``<select>`` with its caret, ``<textarea>`` and badges; checkboxes, radios and switches
found in the pixels become ``<input type="checkbox|radio">`` drawn by CSS (``appearance:none``,
one rule for each state, so toggling them looks right too), each with its ``<label for>``.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from ...models import RGB, Box
from .classify import flat_bar
from .layout import Node, walk
from .model import Analysis, Control, TextBlock
from .styles import StyleSheet, fluid, hex_color, px

# A caret like the one select boxes draw, in the select's text color.
_CARET = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><path fill='none' stroke='{color}' "
    "stroke-linecap='round' stroke-linejoin='round' stroke-width='2' d='m2 5 6 6 6-6'/></svg>"
)
# A check mark for checked checkboxes, in the measured mark color.
_TICK = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'><path fill='none' stroke='{color}' "
    "stroke-linecap='round' stroke-linejoin='round' stroke-width='3' d='m6 10 3 3 6-6'/></svg>"
)
_UNCHECKED_BORDER: RGB = (173, 181, 189)


def svg_url(svg: str) -> str:
    return 'url("data:image/svg+xml,' + quote(svg, safe="/:=' ") + '")'


class ControlMarkup:
    """Mixin of the emitter: controls and buttons. The emitter provides fonts, fills and borders."""

    analysis: Analysis
    styles: StyleSheet
    label_for: dict[int, str]  # id(TextLine) -> the id of the control it labels

    def _font(self, block: TextBlock) -> dict[str, str]:
        raise NotImplementedError

    def _node(self, node: Node, box: Box, classes: list[str]) -> str:
        raise NotImplementedError

    def _background(self, node: Node, fill: RGB, gradient: str | None) -> str:
        raise NotImplementedError

    def _border(self, node: Node) -> dict[str, str]:
        raise NotImplementedError

    # --- boxes that hold text: buttons, badges, fields --------------------------------------

    def _control(self, node: Node, box: Box, classes: list[str]) -> str | None:
        region = node.region
        assert region is not None
        texts = [n for n in walk(node) if n.kind == "text" and n.block is not None]
        # border:0 first: an <input> or <button> draws its own border on every side not set.
        decls: dict[str, str] = {
            "background": self._background(node, region.fill, region.gradient),
            "border": "0",
        }
        decls.update(self._border(node))
        size_classes = [self.styles.util("h", "height", box.height)]
        if not fluid(classes):
            size_classes.insert(0, self.styles.util("w", "width", box.width))
        if node.role in ("button", "page-link") and not texts:
            return self._icon_button(node, decls, size_classes, classes)
        if node.role in ("button", "badge", "page-link"):
            # A badge after the label ("Annual [-25%]", classify._label_badge) ends it.
            held = [n for n in walk(node) if n is not node and n.kind == "region"]
            badge = held[0] if len(held) == 1 and node.role == "button" else None
            if badge is not None:
                texts = [t for t in texts if not badge.box.contains(t.box, slack=1)]
            if not texts:
                return None
            block = texts[0].block
            assert block is not None
            decls.update(self._font(block))
            decls.update(
                {"display": "flex", "align-items": "center", "justify-content": "center", "padding": "0"}
            )
            icons = [n for n in walk(node) if n.kind == "image"]
            icon_html = ""
            trailing = bool(icons) and icons[0].box.x > texts[0].box.x
            if badge is not None:
                decls["gap"] = px(max(badge.box.x - texts[0].box.right, 0))
                icon_html, trailing = self._node(badge, badge.box, ["flex-none"]).strip(), True
            elif icons:
                # The icon leads (or, an arrow, ends) the label inside the button, the measured
                # gap between them.
                gap = icons[0].box.x - texts[0].box.right if trailing else texts[0].box.x - icons[0].box.right
                decls["gap"] = px(max(gap, 0))
                icon_html = self._node(icons[0], icons[0].box, ["flex-none"]).strip()
            base = {"button": "btn", "badge": "badge", "page-link": "page-link"}[node.role]
            name = self.styles.named(base, decls)
            text = html.escape(block.text)
            label = text + icon_html if trailing else icon_html + text
            cls = " ".join([name, "nowrap", *size_classes, *classes])
            if node.role == "button":
                return f'<button type="button" class="{cls}">{label}</button>\n'
            if node.role == "page-link":
                return f'<a href="#" class="{cls}">{label}</a>\n'
            return f'<span class="{cls}">{label}</span>\n'
        # input / select / textarea
        pad_left = 8.0
        text = ""
        if texts:
            block = texts[0].block
            assert block is not None
            decls.update(self._font(block))
            first = block.first
            pad_left = first.ink.x - box.x - region.border_width[3] - first.fit.measure.ink_left * first.size
            # A textarea keeps its lines; a field or select shows one.
            text = "\n".join(ln.text for ln in block.lines) if node.role == "textarea" else block.text
        dots = [n.control for n in walk(node) if n.control is not None and n.control.kind == "dots"]
        if dots and not texts:
            # A password's value, drawn as the browser draws it: one bullet (about 0.3 em across)
            # per dot seen, in the dots' color.
            size = dots[0].box.height / 0.3
            decls["font-size"] = px(size)
            decls["color"] = hex_color(dots[0].mark)
            pad_left = dots[0].box.x - box.x - region.border_width[3] - 0.05 * size
            text = "•" * round(dots[0].knob)
        pad = px(max(pad_left, 0))
        decls["padding"] = f"0 0 0 {pad}" if node.role != "textarea" else pad
        decls["outline"] = "none"
        if node.role == "select":
            color = decls.get("color", "#212529")
            marks = [
                n.box for n in walk(node) if n.kind in ("image", "text") and not (texts and n is texts[0])
            ]
            # The chevron spans 12 of the icon's 16 units, from unit 2.
            size = marks[-1].width * 16 / 12 if marks else 16.0
            right = box.right - marks[-1].right - size * 2 / 16 if marks else 12.0
            decls["appearance"] = "none"
            decls["background"] = (
                f"{svg_url(_CARET.format(color=color))} no-repeat right {px(right)} center / {px(size)}, "
                + decls["background"]
            )
            name = self.styles.named("select", decls)
            cls = " ".join([name, *size_classes, *classes])
            option = f"<option>{html.escape(text)}</option>" if text else "<option></option>"
            return f'<select class="{cls}">{option}</select>\n'
        name = self.styles.named("input" if node.role == "input" else "textarea", decls)
        placeholder = text if node.placeholder else ""
        value = "" if node.placeholder else text
        if placeholder:
            color = decls.get("color", "#757575")
            self.styles.extra(f".{name}::placeholder{{color:{color};opacity:1}}")
        cls = " ".join([name, *size_classes, *classes])
        ph = f' placeholder="{html.escape(placeholder)}"' if placeholder else ""
        if node.role == "textarea":
            return f'<textarea class="{cls}"{ph}>{html.escape(value)}</textarea>\n'
        val = f' value="{html.escape(value)}"' if value else ""
        kind = node.input_type or "text"
        icons = [n for n in walk(node) if n.kind == "image"]
        if not icons:
            return f'<input type="{kind}" class="{cls}"{ph}{val}>\n'
        # The field's own icons (a search field's magnifier, its options at the end) sit over
        # the field's padding, as input groups draw them: a positioned wrapper holds them all.
        fill = self.styles.named("field-fill", {"width": "100%", "height": "100%"})
        # (Placed absolutely, the wrapper already holds its icons; "relative" would undo that.)
        placed = {"display": "block"} if "abs" in classes else {"position": "relative", "display": "block"}
        wrap = self.styles.named("field", placed)
        inner = f'<input type="{kind}" class="{name} {fill}"{ph}{val}>'
        icon_html = ""
        for icon in icons:
            place = self.styles.named(
                "field-icon",
                {
                    "position": "absolute",
                    "left": px(icon.box.x - box.x),
                    "top": px(icon.box.y - box.y),
                    "pointer-events": "none",
                },
            )
            icon_html += self._node(icon, icon.box, [place]).strip()
        return f'<div class="{" ".join([wrap, *size_classes, *classes])}">{inner}{icon_html}</div>\n'

    def _icon_button(
        self, node: Node, decls: dict[str, str], size_classes: list[str], classes: list[str]
    ) -> str | None:
        """A button that is only its icon, centred, named for assistive technology by the icon."""
        icons = [n for n in walk(node) if n.kind == "image"]
        if len(icons) != 1:
            return None
        graphic = icons[0].graphic
        if graphic is not None and graphic.icon is not None:
            label = graphic.icon.name.replace("-", " ")
        else:
            label = "minus" if flat_bar(icons[0].box) else "button"
        decls.update(
            {
                "display": "flex",
                "align-items": "center",
                "justify-content": "center",
                "padding": "0",
            }
        )
        if "abs" not in classes:
            decls["position"] = "relative"  # the dot's frame (an absolutely placed one is already)
        name = self.styles.named("btn-icon", decls)
        icon_html = self._node(icons[0], icons[0].box, ["flex-none"]).strip()
        box = node.box
        for dot in (n for n in node.children if n.kind == "region" and n.region is not None):
            # A notification dot in the button's corner.
            assert dot.region is not None
            place = self.styles.named(
                "dot",
                {
                    "position": "absolute",
                    "left": px(dot.box.x - box.x),
                    "top": px(dot.box.y - box.y),
                    "width": px(dot.box.width),
                    "height": px(dot.box.height),
                    "border-radius": px(dot.region.radius),
                    "background": hex_color(dot.region.fill),
                },
            )
            icon_html += f'<span class="{place}"></span>'
        cls = " ".join([name, *size_classes, *classes])
        tag, attrs = ("a", ' href="#"') if node.role == "page-link" else ("button", ' type="button"')
        return f'<{tag}{attrs} aria-label="{html.escape(label)}" class="{cls}">{icon_html}</{tag}>\n'

    # --- checkboxes, radios, switches -------------------------------------------------------------

    def _toggle(self, node: Node, box: Box, classes: list[str]) -> str:
        control = node.control
        assert control is not None
        if control.kind == "dots":  # masked text outside a field: the bullets themselves
            font_size = box.height / 0.3
            name = self.styles.named("dots", {"font-size": px(font_size), "color": hex_color(control.mark)})
            return (
                f'<span class="{" ".join([name, "nowrap", *classes])}">{"•" * round(control.knob)}</span>\n'
            )
        if control.kind == "range":
            return self._range(control, box, classes)
        name = self._toggle_class(control.kind)
        size = [self.styles.util("w", "width", box.width), self.styles.util("h", "height", box.height)]
        cls = " ".join([name, *size, *classes])
        ident = self.label_for.get(id(control.label), "") if control.label is not None else ""
        attrs = f' id="{ident}"' if ident else ""
        if control.kind == "radio":
            attrs += f' name="{self._radio_group(control)}"'
        if control.kind == "switch":
            attrs += ' role="switch"'
        if control.checked:
            attrs += " checked"
        kind = "radio" if control.kind == "radio" else "checkbox"
        return f'<input type="{kind}" class="{cls}"{attrs}>\n'

    def _range(self, control: Control, box: Box, classes: list[str]) -> str:
        """A slider: an ``<input type="range">`` whose track and thumb are drawn as measured (the
        track filled up to the thumb in its own colour)."""
        track = max(2 * control.radius, 2.0)
        knob = control.knob
        at = f"calc({knob / 2:g}px + {control.value:g}% - {knob * control.value / 100:g}px)"
        fill, rest = hex_color(control.fill), hex_color(control.border or control.fill)
        # The track's and thumb's looks are custom properties of the input's own class, which its
        # pseudo-elements inherit: alike sliders share one class, others get their own.
        name = self.styles.named(
            "range",
            {
                "appearance": "none",
                "-webkit-appearance": "none",
                "background": "transparent",
                "margin": "0",
                "flex": "none",
                "--track": f"linear-gradient(to right,{fill} {at},{rest} {at})",
                "--thumb": hex_color(control.mark),
            },
        )
        self.styles.extra(
            f".{name}::-webkit-slider-runnable-track{{height:{px(track)};border-radius:{px(track / 2)};"
            "background:var(--track)}"
        )
        self.styles.extra(
            f".{name}::-webkit-slider-thumb{{-webkit-appearance:none;appearance:none;width:{px(knob)};"
            f"height:{px(knob)};border-radius:50%;border:0;background:var(--thumb);"
            f"margin-top:{px((track - knob) / 2)}}}"
        )
        size = [self.styles.util("w", "width", box.width), self.styles.util("h", "height", box.height)]
        cls = " ".join([name, *size, *classes])
        ident = self.label_for.get(id(control.label), "") if control.label is not None else ""
        attrs = f' id="{ident}"' if ident else ""
        return f'<input type="range" min="0" max="100" value="{control.value:g}" class="{cls}"{attrs}>\n'

    def _toggle_class(self, kind: str) -> str:
        """One class per kind, styled for both states from the controls of that kind on the page."""
        same = [c for c in self.analysis.controls if c.kind == kind]
        off = next((c for c in same if not c.checked), None)
        on = next((c for c in same if c.checked), None)
        accent = on.fill if on is not None else (37, 99, 235)
        mark = on.mark if on is not None else (255, 255, 255)
        off_fill = off.fill if off is not None else (255, 255, 255)
        off_border = (off.border if off is not None else None) or _UNCHECKED_BORDER
        on_border = (on.border if on is not None else None) or accent
        sample = on or off
        assert sample is not None
        decls = {
            "appearance": "none",
            "-webkit-appearance": "none",
            "flex": "none",
            "border": f"1px solid {hex_color(off_border)}",
            "background": hex_color(off_fill),
        }
        checked = {"border-color": hex_color(on_border)}
        if kind == "checkbox":
            decls["border-radius"] = px(sample.radius)
            checked["background"] = (
                f"{hex_color(accent)} {svg_url(_TICK.format(color=hex_color(mark)))} center / 100% no-repeat"
            )
        elif kind == "radio":
            decls["border-radius"] = "50%"
            checked["background"] = (
                f"radial-gradient(circle, {hex_color(mark)} 0 24%, {hex_color(accent)} 27%)"
            )
        else:
            knob = (off or on or sample).knob or sample.box.height - 4
            off_knob = off.mark if off is not None else (255, 255, 255)
            r = sample.box.height / 2
            decls["border-radius"] = px(r)
            decls["background"] = _knob(off_knob, knob, f"{px(r - 1)} 50%", off_fill)
            checked["background"] = _knob(
                mark, (on or sample).knob or knob, f"calc(100% - {px(r - 1)}) 50%", accent
            )
        name = self.styles.named(kind, decls)
        self.styles.extra(f".{name}:checked{{{';'.join(f'{k}:{v}' for k, v in checked.items())}}}")
        return name

    def _radio_group(self, control: Control) -> str:
        """Radios in one row or one column, near each other, share a name."""
        radios = [c for c in self.analysis.controls if c.kind == "radio"]
        group = 0
        previous: Control | None = None
        for radio in radios:
            if previous is None or not _same_group(previous, radio):
                group += 1
            if radio is control:
                return f"choice-{group}"
            previous = radio
        return "choice"


def _same_group(a: Control, b: Control) -> bool:
    same_row = abs(a.box.center[1] - b.box.center[1]) <= 4 and abs(b.box.x - a.box.right) <= 400
    same_col = abs(a.box.x - b.box.x) <= 4 and abs(b.box.y - a.box.bottom) <= 3 * a.box.height
    return same_row or same_col


def _knob(color: RGB, diameter: float, at: str, track: RGB) -> str:
    r = diameter / 2
    return f"radial-gradient(circle at {at}, {hex_color(color)} 0 {px(r)}, transparent {px(r + 0.75)}) {hex_color(track)}"


def control_ids(controls: list[Control]) -> dict[int, str]:
    """id(label line) -> the id of the control it labels, numbered per kind in reading order."""
    counts: dict[str, int] = {}
    ids: dict[int, str] = {}
    for control in controls:
        if control.label is None:
            continue
        counts[control.kind] = counts.get(control.kind, 0) + 1
        ids[id(control.label)] = f"{control.kind}-{counts[control.kind]}"
    return ids
