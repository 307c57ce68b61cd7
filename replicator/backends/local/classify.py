"""What each found thing is: heading, paragraph, link, label; button, input, badge, card, bar.

Rules of thumb a front-end developer uses when reading a screenshot, applied to measured facts
(sizes relative to the page's body text, colors, what a box holds and how the text sits in it).
"""

from __future__ import annotations

import base64
import colorsys
import itertools
import re
import statistics

import cv2
import numpy as np

from ...models import RGB, Box
from .layout import Node, walk
from .model import Control, Region, TextBlock


def _saturation(color: RGB) -> tuple[float, float]:
    _, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in color))
    return s, v


def _luminance(color: RGB) -> float:
    r, g, b = (c / 255 for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def body_size(blocks: list[TextBlock]) -> float:
    sizes: list[float] = []
    for block in blocks:
        for line in block.lines:
            sizes.extend([line.size] * max(len(line.text), 1))
    return statistics.median(sizes) if sizes else 16.0


def classify(
    root: Node,
    blocks: list[TextBlock],
    page_width: float,
    page_height: float,
    controls: list[Control] | None = None,
) -> None:
    controls = controls or []
    field_labels: list[TextBlock] = []
    body = body_size(blocks)
    body_colors = [b.first.color for b in blocks if abs(b.first.size - body) <= 1.5]
    body_color = statistics.mode(body_colors) if body_colors else (0, 0, 0)
    # Heading levels: distinct sizes (4% apart) of heading-sized text, largest first.
    heading_sizes = sorted({round(b.first.size) for b in blocks if _is_heading(b, body)}, reverse=True)
    levels: list[float] = []
    for size in heading_sizes:
        if not levels or size < levels[-1] * 0.96:
            levels.append(size)
    for block in blocks:
        block.role = "text"  # roles are decided afresh for every layout of the analysis
    for node in walk(root):
        if node.kind == "table":
            for child in node.children:
                if child.kind == "text" and child.block is not None:
                    child.block.role = "cell-text"
        if node.kind == "region":
            node.role = _region_role(node, page_width, page_height)
            if node.role in ("input", "select", "textarea"):
                label = _field_details(node, blocks)
                if label is not None and node.role != "card":
                    field_labels.append(label)
    _find_disclosures(root)
    for node in walk(root):
        if node.kind == "region" and node.role in ("button", "badge", "input", "select", "textarea"):
            for child in walk(node):
                if child.kind == "text" and child.block is not None:
                    child.block.role = node.role + "-text"
    for block in blocks:
        if block.role.endswith("-text"):
            continue
        first = block.first
        if _is_heading(block, body):
            level = next((i for i, s in enumerate(levels) if round(first.size) >= s * 0.96), len(levels) - 1)
            block.role = f"h{min(level + 1, 4)}"
        elif first.underline or (_is_link_color(first.color, body_color) and len(block.text) <= 48):
            block.role = "link"
        elif len(block.lines) > 1 or len(block.text) >= 60:
            block.role = "p"
        elif first.size < body - 1.5:
            block.role = "small"
        else:
            block.role = "text"
    for block in field_labels:
        if block.role in ("text", "small", "link"):
            block.role = "label"
    for control in controls:
        if control.label is not None:
            for block in blocks:
                if len(block.lines) == 1 and block.first is control.label:
                    block.role = "label"
    for node in list(walk(root)):
        if node.kind == "row":
            _group_pagination(node)
    for node in walk(root):
        if node.kind == "row" and _pagination(node):
            node.role = "pagination"
            for child in node.children:
                if child.kind == "region" and child.role in ("button", "card", "box"):
                    child.role = "page-link"
                elif child.kind == "text" and child.block is not None:
                    child.block.role = "link"
        elif node.kind in ("row", "column") and _menu(node, page_height):
            node.role = "list"
            for child in node.children:
                for leaf in walk(child):
                    if (
                        leaf.kind == "text"
                        and leaf.block is not None
                        and leaf.block.role in ("text", "small")
                    ):
                        leaf.block.role = "link"

    _nav_items(root)
    _ghost_buttons(root)
    _badge_links(root)
    _toolbar_fields(root)
    _steppers(root)
    for node in walk(root):
        graphic = node.graphic if node.kind == "image" else None
        if (
            graphic is not None
            and graphic.icon is not None
            and graphic.icon.name in _CLOSE_ICONS
            and max(node.box.width, node.box.height) <= 32
        ):
            node.role = "button"


def _icon_and_label(node: Node) -> tuple[Node | None, TextBlock] | None:
    """The leading icon (if any) and the one short line of a nav item's row or box."""
    texts = sorted((n for n in walk(node) if n.kind == "text" and n.block is not None), key=lambda n: n.box.x)
    # The item may end with its count ("Inbox 24"), bare or on a badge.
    counts = [n for n in texts[1:] if n.block is not None and _count(n.block.text)]
    badges = [
        n
        for n in walk(node)
        if n.kind == "region" and n is not node and counts and any(_under(c, n) for c in counts)
    ]
    texts = [n for n in texts if n not in counts]
    images = [n for n in walk(node) if n.kind == "image"]
    others = [
        n
        for n in walk(node)
        if n is not node
        and n.kind not in ("text", "image", "row")
        and n not in badges
        and not any(_under(n, b) for b in badges)
    ]
    if len(texts) != 1 or len(images) > 1 or others:
        return None
    block = texts[0].block
    assert block is not None
    if len(block.lines) != 1 or len(block.text) > 28:
        return None
    if images and not (
        images[0].box.right <= block.ink.x
        and abs(images[0].box.center[1] - block.ink.center[1]) <= 0.5 * block.first.size
    ):
        return None
    return (images[0] if images else None), block


def _nav_items(root: Node) -> None:
    """A side or top menu's current item is a highlighted box (the "active" pill) around an icon
    and a label, aligned with the plain items of its menu: it is that menu's link, as are the
    items aligned with it. At least two plain items must share its label's left edge (a column)
    within a few of its heights above or below it."""
    items = []
    for node in walk(root):
        if node.kind in ("row", "text") or (node.kind == "region" and node.role == "card"):
            found = _icon_and_label(node)
            if found is not None and (node.kind != "text" or found[0] is None):
                items.append((node, *found))
    # Which item holds which: each item's subtree walked once, not once per pair of items.
    subtree = {id(n): {id(m) for m in walk(n)} for n, _, _ in items}
    for node, icon, block in items:
        region = node.region
        if node.kind != "region" or region is None:
            continue
        box, size = region.box, block.first.size
        if not (box.height <= max(3.2 * size, 24) + 12 and box.width >= 2.5 * box.height):
            continue
        if (icon.box.x if icon is not None else block.ink.x) - box.x > 48:
            continue  # centred, not led by its icon at the left: a button or a card
        column = [
            (n, b)
            for n, i, b in items
            if id(n) not in subtree[id(node)]
            and id(node) not in subtree[id(n)]
            and abs(b.ink.x - block.ink.x) <= 4
            and (icon is None) == (i is None)
            and abs(b.first.size - size) <= 1.5
            and abs(b.ink.center[1] - block.ink.center[1]) <= 6 * box.height
            and abs(b.ink.center[1] - block.ink.center[1]) >= 0.8 * box.height
        ]
        if len(column) < 2:
            continue
        node.role = "nav-link"
        block.role = "nav-link-text"
        for _, b in column:
            if b.role in ("text", "small"):
                b.role = "link"


def _badge_links(root: Node) -> None:
    """A store badge ("Download on the / App Store"): a small filled or outlined box with a logo
    and two short lines beside it, one above the other, is one link."""
    for node in walk(root):
        if node.kind != "region" or node.role != "card" or node.region is None:
            continue
        region, box = node.region, node.box
        texts, others = _contents(node)
        if len(texts) != 2 or len(others) != 1 or others[0].kind != "image" or _flush(region):
            continue
        if not (box.height <= 72 and box.width <= 5 * box.height):
            continue
        if not (region.has_border or region.fill != _parent_fill(region)):
            continue
        blocks = sorted((t.block for t in texts if t.block is not None), key=lambda b: b.ink.y)
        if len(blocks) != 2 or any(len(b.lines) != 1 or len(b.text) > 24 for b in blocks):
            continue
        top, bottom = blocks
        icon = others[0].box
        if (
            bottom.ink.center[1] < top.ink.center[1] + 4
            or abs(bottom.ink.x - top.ink.x) > 4
            or icon.right > top.ink.x
        ):
            continue
        node.role = "link-box"
        for block in blocks:
            block.role = "link-box-text"


def _toolbar_fields(root: Node) -> None:
    """A box holding a value (no label, no placeholder: a filter's "is:issue is:open") is a
    field when it stands in a row of buttons of its height: a toolbar's search or filter."""
    for row in walk(root):
        if row.kind != "row":
            continue
        buttons = [c for c in row.children if c.kind == "region" and c.role == "button"]
        for child in row.children:
            if child.kind != "region" or child.role != "card" or child.region is None or not buttons:
                continue
            texts, others = _contents(child)
            if len(texts) != 1 or texts[0].block is None or len(texts[0].block.lines) != 1:
                continue
            if not _field_like(child.region, texts[0].block, others):
                continue
            if any(
                abs(b.box.height - child.box.height) <= 4 and abs(b.box.center[1] - child.box.center[1]) <= 4
                for b in buttons
            ):
                child.role = "input"
                child.input_type = (
                    "search" if any(w in texts[0].block.text.lower() for w in _SEARCH_WORDS) else "text"
                )
                texts[0].block.role = "input-text"


# A stepper's signs: Font Awesome's and Bootstrap Icons' names, and the characters.
_MINUS = {"minus", "dash", "dash-lg", "-", "−", "–"}
_PLUS = {"plus", "plus-lg", "+"}
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _steppers(root: Node) -> None:
    """A number between a "−" button and a "+" button that both touch its box (a quantity stepper:
    Bulma's addons, Bootstrap's input groups) is a number field holding that number."""
    for row in walk(root):
        if row.kind != "row":
            continue
        boxes = [c for c in row.children if c.kind == "region"]
        for left, middle, right in zip(boxes, boxes[1:], boxes[2:], strict=False):
            if (
                left.role != "button"
                or right.role != "button"
                or middle.role not in ("card", "box", "button")
            ):
                continue
            if middle.box.x - left.box.right > 2 or right.box.x - middle.box.right > 2:
                continue
            texts, others = _contents(middle)
            block = texts[0].block if len(texts) == 1 and not others else None
            if block is None or len(block.lines) != 1 or not _NUMBER.fullmatch(block.text.strip()):
                continue
            if _sign(left) in _MINUS and _sign(right) in _PLUS:
                middle.role = "input"
                middle.input_type = "number"
                middle.placeholder = False
                block.role = "input-text"


def _sign(button: Node) -> str | None:
    """What a button that holds one sign shows: its icon's name, its character, or "-" for a
    short flat bar (a minus drawn as a picture)."""
    texts, others = _contents(button)
    if texts and not others and len(texts) == 1 and texts[0].block is not None:
        return texts[0].block.text.strip()
    if texts or len(others) != 1 or others[0].kind != "image":
        return None
    graphic, box = others[0].graphic, others[0].box
    if graphic is not None and graphic.icon is not None:
        return graphic.icon.name
    return "-" if flat_bar(box) else None


def flat_bar(box: Box) -> bool:
    """Whether a picture of this size is a short level bar: a minus sign drawn as a picture."""
    return box.height <= 5 and box.width >= 2.5 * box.height


def _ghost_buttons(root: Node) -> None:
    """Buttons drawn without a box ("Cancel" or "Back" beside "Submit", Bootstrap's btn-link):
    a short line in a row with a button, centred on the button's label and the same size as it,
    is a link that acts as a button."""
    for row in walk(root):
        if row.kind != "row":
            continue
        labels = [
            t.block
            for c in row.children
            if c.kind == "region" and c.role == "button"
            for t in walk(c)
            if t.kind == "text" and t.block is not None
        ]
        if not labels:
            continue
        for child in row.children:
            if child.kind != "text" or child.block is None or child.block.role not in ("text", "small"):
                continue
            block = child.block
            if len(block.lines) != 1 or len(block.text) > 24 or len(block.text.split()) > 3:
                continue
            if any(
                abs(block.ink.center[1] - label.ink.center[1]) <= 3
                and abs(block.first.size - label.first.size) <= 1
                for label in labels
            ):
                block.role = "link"


def _count(text: str) -> bool:
    return 1 <= len(text.strip()) <= 4 and text.strip().rstrip("+").isdigit()


def _under(inner: Node, outer: Node) -> bool:
    return any(n is inner for n in walk(outer))


# Icons that open and close what is below them: an accordion's headers end with one.
_DISCLOSURE_ICONS = {
    "chevron-down",
    "chevron-up",
    "chevron-right",
    "caret-down",
    "caret-up",
    "caret-down-fill",
    "caret-up-fill",
    "angle-down",
    "angle-up",
    "plus",
    "plus-lg",
    "dash",
    "dash-lg",
    "minus",
}


def _contents(node: Node) -> tuple[list[Node], list[Node]]:
    """What a box holds: its text leaves, and every other box, picture or control inside it."""
    texts = [n for n in walk(node) if n.kind == "text" and n.block is not None]
    others = [n for n in walk(node) if n is not node and n.kind in ("region", "image", "control")]
    return texts, others


def _find_disclosures(root: Node) -> None:
    """Accordion headers: the rows that open and close a panel are buttons.

    A header is a box holding one line of text near its left and a chevron (or plus/minus) at its
    right end, at least 300 px wide, stacked edge to edge with another box of its width (the next
    header, or the panel it opens). A select box looks alike, but stands apart from its neighbours.
    """
    for parent in walk(root):
        boxes = [c for c in parent.children if c.kind == "region"]
        for node in boxes:
            if node.role not in ("select", "card", "box") or not _disclosure_like(node):
                continue
            box = node.box
            stacked = any(
                other is not node
                and abs(other.box.x - box.x) <= 2
                and abs(other.box.width - box.width) <= 2
                and (abs(other.box.y - box.bottom) <= 2 or abs(other.box.bottom - box.y) <= 2)
                for other in boxes
            )
            if stacked:
                node.role = "disclosure"


def _disclosure_like(node: Node) -> bool:
    texts, others = _contents(node)
    if len(texts) != 1 or len(others) != 1 or others[0].kind != "image":
        return False
    block, icon, box = texts[0].block, others[0], node.box
    assert block is not None
    graphic = icon.graphic
    if graphic is None or graphic.icon is None or graphic.icon.name not in _DISCLOSURE_ICONS:
        return False
    size = block.first.size
    return (
        len(block.lines) == 1
        and box.width >= 300
        and box.height <= max(4.5 * size, 80.0)
        and block.ink.x - box.x <= 48
        and icon.box.x >= block.ink.right
        and box.right - icon.box.right <= 48
    )


def _is_heading(block: TextBlock, body: float) -> bool:
    size = block.first.size
    if len(block.text) > 140:
        return False
    return size >= 1.3 * body or (block.first.fit.bold and size >= 1.12 * body and len(block.text) <= 80)


def _is_link_color(color: RGB, body_color: RGB) -> bool:
    s, v = _saturation(color)
    if s < 0.45 or v < 0.35:
        return False
    return max(abs(a - b) for a, b in zip(color, body_color, strict=True)) > 60


_LABEL_WORDS = 7  # a button's label is a few words ("Yes, delete my account" is four)


def _region_role(node: Node, page_width: float, page_height: float) -> str:
    region = node.region
    assert region is not None
    box = region.box
    texts, others = _contents(node)
    # A badge after the label ("Annual [-25%]") is part of the label's content.
    badge = _label_badge(texts, others, box)
    if badge is not None:
        texts = [t for t in texts if not badge.box.contains(t.box, slack=1)]
        others = [o for o in others if o is not badge and not badge.box.contains(o.box, slack=1)]
    block = texts[0].block if len(texts) == 1 else None
    if block is not None and len(block.lines) == 1:
        ink = block.ink if badge is None else block.ink.union(badge.box)
        size = block.first.size
        # A button may lead with its icon, or end with an arrow: the icon and the label are
        # centred together.
        icon = _leading_icon(others, ink, size) or _trailing_icon(others, ink, size, region)
        content = ink.union(icon.box) if icon is not None else ink
        left_gap, right_gap = content.x - box.x, box.right - content.right
        centered = abs(left_gap - right_gap) <= max(6.0, 0.12 * box.width)
        narrow = box.width <= 0.6 * page_width or (box.height <= 60 and box.width < page_width - 8)
        # (An icon and a label centred together make a button even with a generous padding: a
        # mail app's big "Compose".)
        tall = (4.2 if icon is None else 5.0) * size
        small = box.height <= max(tall, 24) and box.height <= 80 and narrow and not _flush(region)
        # A sentence is no label: a chat bubble's one-line message ("Yes please, two of them are
        # overweight. I attached the list.") is centred in its padding as a button's label is.
        label = len(block.text.split()) <= _LABEL_WORDS
        if (not others or icon is not None) and small and centered and label:
            if (
                not others
                and size <= 13.5
                and box.height <= 2.4 * size + 8
                and region.radius >= box.height / 3
            ):
                return "badge"
            return "button"
        if _field_like(region, block, others):
            lead = leading_field_icon(region, block, others)
            return "select" if len(others) == 1 and lead is None else "input"
    # (A textarea is outlined: a filled box holding a paragraph is a card, a chat bubble.)
    if (
        block is not None
        and (not others or _resize_grip(others, box))
        and region.has_border
        and box.height > max(60.0, 2.6 * block.first.size)
        and block.ink.x - box.x <= 28
        and block.ink.y - box.y <= 28
        and box.width >= 2 * box.height
        and not _colorful(block.first.color)
        and not _flush(region)
    ):
        return "textarea"
    if not texts and _icon_button(region, others):
        return "button"
    if not texts and _mask_dots(others, box) and not _flush(region):
        return "input"  # a password field: its value is a row of dots, which no OCR reads
    if (
        not texts
        and not others
        and region.has_border
        and 24 <= box.height <= 64
        and box.width >= 3 * box.height
        and not _flush(region)
    ):
        return "input"
    full_width = box.width >= page_width - 4
    if full_width and box.y <= 2 and box.height <= 120:
        return "navbar"
    if full_width and box.bottom >= page_height - 2 and box.y > page_height * 0.5:
        return "footer"
    if box.x <= 2 and box.height >= 0.6 * page_height and box.width <= 0.35 * page_width:
        return "sidebar"
    if full_width:
        return "section"
    if texts or others:
        return "card"
    return "box"


def _resize_grip(others: list[Node], box: Box) -> bool:
    """Whether all a box holds besides its text is a textarea's resize grip: one small mark in
    its bottom-right corner (which the browser draws for the emitted textarea)."""
    if len(others) != 1 or others[0].kind != "image":
        return False
    grip = others[0].box
    return (
        max(grip.width, grip.height) <= 12 and box.right - grip.right <= 8 and box.bottom - grip.bottom <= 8
    )


def _beside(icon: Box, ink: Box, size: float, side: str, reach: float = 2.0) -> bool:
    """Whether a picture stands on a label's line, on its ``side`` ("left", "right"), at most
    ``reach`` text sizes away from its ink: how a button's, a field's or a link's icon sits."""
    gap = ink.x - icon.right if side == "left" else icon.x - ink.right
    # (An icon may touch its label, and overlap it by a pixel or two: bulma's "Continue→".)
    return -0.25 * size <= gap <= reach * size and abs(icon.center[1] - ink.center[1]) <= 0.4 * size


def _leading_icon(others: list[Node], ink: Box, size: float) -> Node | None:
    """The one small picture just left of a label (a button's icon), if that is all besides it."""
    if len(others) != 1 or others[0].kind != "image":
        return None
    icon = others[0].box
    return others[0] if _beside(icon, ink, size, "left") and icon.height <= 2 * size else None


# A close or remove mark (a tag's "x", a dialog's or an alert's close) is a button of its own.
_CLOSE_ICONS = {"xmark", "circle-xmark", "square-xmark", "x", "x-lg", "x-circle", "x-circle-fill", "x-square"}
# A select's caret: a box ending with one of these is a select, whatever its fill.
_CARET_ICONS = {"chevron-down", "caret-down", "caret-down-fill", "angle-down", "chevron-expand", "sort"}


def _label_badge(texts: list[Node], others: list[Node], box: Box) -> Node | None:
    """The one filled badge holding a word beside a box's one other line (daisy's "Annual
    [-25%]" switch button), lower than the box: found inside a line, it made the button a box
    of two texts, which no button is."""
    regions = [o for o in others if o.kind == "region" and o.region is not None]
    if len(texts) != 2 or len(regions) != 1:
        return None
    badge = regions[0]
    held = [t for t in texts if badge.box.contains(t.box, slack=1)]
    label = [t for t in texts if t not in held]
    if len(held) != 1 or len(label) != 1 or badge.box.height > 0.8 * box.height:
        return None
    ink = label[0].box
    beside = badge.box.x >= ink.right and badge.box.x - ink.right <= 3 * ink.height
    level = abs((badge.box.y + badge.box.height / 2) - (ink.y + ink.height / 2)) <= 0.25 * badge.box.height
    return badge if beside and level else None


def _trailing_icon(others: list[Node], ink: Box, size: float, region: Region) -> Node | None:
    """The one small picture just right of a label (a call to action's arrow) on a box that is
    no select: filled with a strong or dark color, or the picture a known icon that is no caret."""
    if len(others) != 1 or others[0].kind != "image":
        return None
    icon = others[0].box
    if not _beside(icon, ink, size, "right") or icon.height > 2 * size:
        return None
    graphic = others[0].graphic
    name = graphic.icon.name if graphic is not None and graphic.icon is not None else None
    if name in _CARET_ICONS | _CLOSE_ICONS:
        return None  # a select's caret; a tag's remove button (a button of its own)
    saturation, _ = _saturation(region.fill)
    strong = saturation >= 0.35 or _luminance(region.fill) < 0.3
    return others[0] if strong or name is not None else None


def _icon_button(region: Region, others: list[Node]) -> bool:
    """A button that is only an icon (a search button, a bell, a "+"): a small outlined or filled
    box, not much wider than tall, with one icon in its middle and nothing else but a
    notification dot (a small box in its corner)."""
    box = region.box
    images = [o for o in others if o.kind == "image"]
    dots = [o for o in others if o.kind == "region" and max(o.box.width, o.box.height) <= 0.35 * box.height]
    if len(images) != 1 or len(images) + len(dots) != len(others) or _flush(region):
        return False
    icon = images[0].box
    if not (16 <= box.height <= 64 and box.width <= 64 and box.width <= 2.2 * box.height):
        return False
    if not (region.has_border or region.fill != _parent_fill(region)):
        return False
    centred = abs(icon.center[0] - box.center[0]) <= max(3.0, 0.12 * box.width) and abs(
        icon.center[1] - box.center[1]
    ) <= max(3.0, 0.12 * box.height)
    # (A minus sign is a level bar: its length is its size.)
    sized = (
        0.2 * box.height <= max(icon.height, icon.width)
        and icon.height <= 0.75 * box.height
        and icon.width <= 0.75 * box.width
    )
    return centred and sized


def _mask_dots(others: list[Node], box: Box) -> bool:
    """Whether the box holds only a password's dots (found as a ``dots`` control) near its left."""
    if len(others) != 1 or others[0].control is None or others[0].control.kind != "dots":
        return False
    return 24 <= box.height <= 72 and box.width >= 3 * box.height and others[0].box.x - box.x <= 28


def _colorful(color: RGB) -> bool:
    """A text color with a hue of its own (a link, a brand title), not a gray or a near-black."""
    s, v = _saturation(color)
    return s >= 0.35 and v >= 0.4


def _parent_fill(region: Region) -> RGB | None:
    parent = _visible_parent(region)
    return parent.fill if parent is not None else None


def _visible_parent(region: Region) -> Region | None:
    parent = region.parent
    while parent is not None and not parent.visible and parent.parent is not None:
        parent = parent.parent
    return parent


def _flush(region: Region) -> bool:
    """Whether the box spans its container wall to wall (a card's header bar, a table row band):
    a bar, never a field or a button."""
    parent = _visible_parent(region)
    if parent is None:
        return False
    inset_left = parent.border_width[3] + 2
    inset_right = parent.border_width[1] + 2
    return (
        abs(region.box.x - parent.box.x) <= inset_left
        and abs(parent.box.right - region.box.right) <= inset_right
    )


def _field_like(region: Region, block: TextBlock, others: list[Node]) -> bool:
    """A text field (or, with its caret, a select): measured evidence, not the words.

    An outlined or filled box 1.5-6 times as tall as its text (at most 72 px) and at least 2.5
    times as wide as tall (1.8 with a caret), not spanning its container wall to wall; its one line starts near its
    left edge, in a neutral color (placeholders are gray, values body-colored; a colored line on a
    tinted bar is a header). A select also holds its caret: one small
    picture or mark in the box's last 48 px, right of the text. A field may lead with its own
    icon and end with marks of its own (two or more, or any after a leading icon).
    """
    box = region.box
    first = block.first
    size = first.size
    if _flush(region) or _colorful(first.color):
        return False
    saturation, value = _saturation(region.fill)
    # (A near-black's hue is no color: a dark theme's navy field, #111827, is 0.56 saturated.)
    if saturation >= 0.5 and value >= 0.35 and _luminance(region.fill) < 0.6:
        return False  # a box filled with a strong color: a selected item or a button, not a field
    wide = box.width >= (1.8 if others else 2.5) * box.height  # a page-size select is narrow
    if not (1.5 * size <= box.height <= min(6.0 * size, 72.0) and wide):
        return False
    lead = leading_field_icon(region, block, others)
    if block.ink.x - (lead.box.right if lead is not None else box.x) > max(28.0, 0.5 * box.height):
        return False
    if lead is not None:
        return True
    if len(others) >= 2:
        return _trailing_marks(region, block, others)
    if others:
        if others[0].kind != "image":
            return False
        caret = others[0].box
        return (
            caret.x >= block.ink.right
            and box.right - caret.right <= 48
            and caret.height <= max(size, 16)
            and _caret_like(others[0])
        )
    return True


def leading_field_icon(region: Region, block: TextBlock, others: list[Node]) -> Node | None:
    """A field's own icon before its text (a search field's magnifier, a mail field's envelope):
    one small picture near the box's left edge, on the text's line, left of the text."""
    box, size = region.box, block.first.size
    if not others or any(o.kind != "image" for o in others):
        return None
    first, *rest = sorted(others, key=lambda o: o.box.x)
    # It may also end with marks of its own (a search bar's options or clear button).
    if rest and not _trailing_marks(region, block, rest):
        return None
    icon = first.box
    if (
        icon.x - box.x <= max(28.0, 0.6 * box.height)
        and _beside(icon, block.ink, size, "left", reach=2.5)
        and icon.height <= max(1.6 * size, 20.0)
    ):
        return first
    return None


def _trailing_marks(region: Region, block: TextBlock, marks: list[Node]) -> bool:
    """Whether pictures end a field after its text, as its own marks do (a card number's brand
    badges, a search bar's clear button): small pictures on the text's line, right of the text,
    the last one near the box's right edge."""
    size = block.first.size
    line = block.ink.center[1]
    return (
        all(
            m.kind == "image"
            and m.box.x >= block.ink.right
            and m.box.height <= max(1.6 * size, 24.0)
            and abs(m.box.center[1] - line) <= 0.4 * max(size, m.box.height)
            for m in marks
        )
        and region.box.right - max(m.box.right for m in marks) <= 48
    )


# Signs that open and close a panel below them; a select's caret is never one of them.
_SIGN_ICONS = {"plus", "plus-lg", "dash", "dash-lg", "minus"}


def _caret_like(node: Node) -> bool:
    """Whether a picture could be a select's caret: a known icon that is not a plus or minus sign,
    or an unknown mark in a neutral color (a select's caret is gray or black, an accordion's "+"
    or "-" is often in the accent color) that is not a flat bar (a "-" drawn as a picture)."""
    graphic = node.graphic
    if graphic is None:
        return True
    if graphic.icon is not None:
        return graphic.icon.name not in _SIGN_ICONS | _CLOSE_ICONS
    if graphic.color is not None and _colorful(graphic.color):
        return False
    ink = _picture_ink(graphic.data_uri)
    if ink is None:
        return True
    color, height, width = ink
    return not _colorful(color) and not (height <= 3 and width >= 3 * height)


def _picture_ink(uri: str) -> tuple[RGB, int, int] | None:
    """A small picture's ink color and ink box size (height, width): the pixels unlike its corners."""
    if not uri.startswith("data:image/png;base64,"):
        return None
    data = np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None or bgr.shape[0] < 2 or bgr.shape[1] < 2:
        return None
    rgb = bgr[:, :, ::-1].astype(np.int16)
    corners = np.stack([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]])
    ground = np.median(corners, axis=0)
    far = np.abs(rgb - ground).max(axis=2) > 48
    if not far.any():
        return None
    ys, xs = np.nonzero(far)
    color = tuple(int(v) for v in np.median(rgb[far], axis=0))
    return (color[0], color[1], color[2]), int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


_PASSWORD_WORDS = ("password", "passwort", "mot de passe", "contraseña", "密码", "口令")
_EMAIL_WORDS = ("email", "e-mail", "邮箱", "电子邮件")
_SEARCH_WORDS = ("search", "搜索", "filter")
_SEARCH_ICONS = {"search", "magnifying-glass"}
_MASK_CHARS = set("•●·*.∙⋅")


def _field_details(node: Node, blocks: list[TextBlock]) -> TextBlock | None:
    """Placeholder or value, the input's type, and whether a box with a value is a field at all.

    A field's line is its placeholder when it is clearly lighter (towards the fill) than the
    page's ordinary text on that fill. A box holding a value is a field only with more evidence: a label (a short
    line just above it, starting where it starts, or just left of it on its line) or an ``@``.
    The type comes from the label and the text: password (its words, or a run of mask dots),
    email, search; text otherwise.
    """
    region = node.region
    assert region is not None
    texts = [n.block for n in walk(node) if n.kind == "text" and n.block is not None]
    block = texts[0] if texts else None
    # A textarea's label may stand further above it (22 px below its ink in Tabler's forms); one
    # line fields keep the tight reach, so that a card's header bar is not taken for a field.
    label = _field_label(region.box, blocks, texts, 22.0 if node.role == "textarea" else 16.0)
    if block is not None:
        contrast = abs(_luminance(block.first.color) - _luminance(region.fill))
        node.placeholder = contrast < _ink_contrast([b for b in blocks if b is not block], region.fill) - 0.12
        if (
            node.role in ("input", "textarea")
            and not node.placeholder
            and label is None
            and "@" not in block.text
        ):
            node.role = "card"
            return None
    if node.role != "input":
        return label
    if block is None and any(n.control is not None and n.control.kind == "dots" for n in walk(node)):
        node.input_type = "password"
        return label
    words = " ".join(t.text for t in [*([label] if label else []), *texts]).lower()
    value = block.text.replace(" ", "") if block is not None else ""
    if any(w in words for w in _PASSWORD_WORDS) or (len(value) >= 4 and set(value) <= _MASK_CHARS):
        node.input_type = "password"
    elif "@" in value or any(w in words for w in _EMAIL_WORDS):
        node.input_type = "email"
    elif any(w in words for w in _SEARCH_WORDS) or any(
        n.graphic is not None and n.graphic.icon is not None and n.graphic.icon.name in _SEARCH_ICONS
        for n in walk(node)
    ):
        node.input_type = "search"
    else:
        node.input_type = "text"
    return label


def _ink_contrast(blocks: list[TextBlock], fill: RGB) -> float:
    """The luminance contrast of the page's ordinary text on ``fill``: the 80th percentile over
    the characters of lines set on that fill (placeholders are few; body text is most); that of
    near-black on white when no other text is set on it."""
    target = _luminance(fill)
    weighted: list[tuple[float, int]] = []
    for block in blocks:
        for line in block.lines:
            if max(abs(a - b) for a, b in zip(line.background, fill, strict=True)) <= 24:
                weighted.append((abs(_luminance(line.color) - target), len(line.text)))
    if not weighted:
        return 0.8
    weighted.sort()
    total = sum(n for _, n in weighted)
    running = 0
    for contrast, n in weighted:
        running += n
        if running >= 0.8 * total:
            return contrast
    return weighted[-1][0]


def _field_label(
    box: Box, blocks: list[TextBlock], inside: list[TextBlock], reach: float = 16.0
) -> TextBlock | None:
    """The short line labelling a field: just above it (at most ``reach`` px, or 1.2 of its text
    size, below its ink), aligned with its left edge, or just left of it."""
    for block in blocks:
        if block in inside or len(block.lines) != 1 or len(block.text) > 40:
            continue
        ink = block.ink
        size = block.first.size
        above = 0 <= box.y - ink.bottom <= max(reach, 1.2 * size) and abs(ink.x - box.x) <= max(
            8.0, 0.5 * size
        )
        left = 0 <= box.x - ink.right <= 48 and abs(ink.center[1] - box.center[1]) <= 0.3 * box.height
        if above or left:
            return block
    return None


_PAGING = set("0123456789«»‹›…<>") | {"Previous", "Next", "Prev", "First", "Last", "上一页", "下一页"}


def _item_text(node: Node) -> str | None:
    texts = [n.block.text.strip() for n in walk(node) if n.kind == "text" and n.block is not None]
    return texts[0] if len(texts) == 1 else None


def _pagination(row: Node) -> bool:
    """A row of at least three page links side by side (at most 12 px apart), two of them page
    numbers, the rest numbers, arrows, an ellipsis or Previous/Next; boxed or not."""
    kids = [c for c in row.children if not c.absolute]
    if len(kids) < 3 or any(c.kind not in ("region", "text", "image") for c in kids):
        return False
    if any(b.box.x - a.box.right > 12 for a, b in itertools.pairwise(kids)):
        return False
    labels = [_item_text(c) for c in kids]
    numbers = sum(1 for t in labels if t is not None and t.isdigit() and len(t) <= 4)
    paging = all(t is None or t.isdigit() or t in _PAGING or set(t) <= _PAGING for t in labels)
    return numbers >= 2 and paging and all(c.box.height <= 56 for c in kids)


def _group_pagination(row: Node) -> None:
    """Page links that share a row with something else ("Showing 1 to 10 of 57" beside them)
    become a row of their own inside it, so they can be one list."""
    kids = row.children
    if len(kids) < 4 or any(c.absolute for c in kids):
        return
    for start in range(len(kids)):
        for stop in range(len(kids), start + 2, -1):
            if stop - start == len(kids):
                continue
            run = kids[start:stop]
            probe = Node("row", run[0].box, children=run)
            if _pagination(probe):
                box = run[0].box
                cut = run[0].cut_box or run[0].box
                for item in run[1:]:
                    box = box.union(item.box)
                    cut = cut.union(item.cut_box or item.box)
                row.children = [*kids[:start], Node("row", box, children=run, cut_box=cut), *kids[stop:]]
                return


def _menu(node: Node, page_height: float) -> bool:
    """A menu or link list: at least three short single-line items (text, or an icon and text) in
    a row at the top of the page or in a column, one size of text, evenly spaced and aligned."""
    kids = [c for c in node.children if not c.absolute]
    if len(kids) < 3:
        return False
    blocks = []
    for child in kids:
        texts = [n.block for n in walk(child) if n.kind == "text" and n.block is not None]
        others = [n for n in walk(child) if n is not child and n.kind not in ("text", "image", "row")]
        if len(texts) != 1 or others or len(texts[0].lines) != 1 or len(texts[0].text) > 28:
            return False
        # An item is its text, an icon and its text, or either on a highlight (the current page).
        if (
            child.kind not in ("text", "row", "region")
            or len([n for n in walk(child) if n.kind in ("text", "image")]) > 2
        ):
            return False
        blocks.append(texts[0])
    sizes = [b.first.size for b in blocks]
    if max(sizes) - min(sizes) > 1.5:
        return False
    if node.kind == "row":
        gaps = [b.box.x - a.box.right for a, b in itertools.pairwise(kids)]
        return node.box.y <= 0.15 * page_height and max(gaps) <= 3 * max(min(gaps), 8) and min(gaps) >= 8
    lefts = [c.box.x for c in kids]
    pitches = [b.box.y - a.box.y for a, b in itertools.pairwise(kids)]
    return max(lefts) - min(lefts) <= 3 and max(pitches) - min(pitches) <= 4
