"""What each found thing is: heading, paragraph, link, label; button, input, badge, card, bar.

Rules of thumb a front-end developer uses when reading a screenshot, applied to measured facts
(sizes relative to the page's body text, colors, what a box holds and how the text sits in it).
"""

from __future__ import annotations

import colorsys
import itertools
import statistics

from ...models import RGB
from .layout import Node, walk
from .model import TextBlock


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


def classify(root: Node, blocks: list[TextBlock], page_width: float, page_height: float) -> None:
    body = body_size(blocks)
    body_colors = [b.first.color for b in blocks if abs(b.first.size - body) <= 1.5]
    body_color = statistics.mode(body_colors) if body_colors else (0, 0, 0)
    # Heading levels: distinct sizes (4% apart) of heading-sized text, largest first.
    heading_sizes = sorted({round(b.first.size) for b in blocks if _is_heading(b, body)}, reverse=True)
    levels: list[float] = []
    for size in heading_sizes:
        if not levels or size < levels[-1] * 0.96:
            levels.append(size)
    for node in walk(root):
        if node.kind == "region":
            node.role = _region_role(node, page_width, page_height)
    for node in walk(root):
        if node.kind == "region" and node.role in ("button", "badge", "input", "textarea"):
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
    _labels(root)


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


def _region_role(node: Node, page_width: float, page_height: float) -> str:
    region = node.region
    assert region is not None
    box = region.box
    texts = [n for n in walk(node) if n.kind == "text" and n.block is not None]
    others = [n for n in walk(node) if n is not node and n.kind in ("region", "image")]
    if len(texts) == 1 and not others and len(texts[0].block.lines) == 1:  # type: ignore[union-attr]
        block = texts[0].block
        assert block is not None
        ink = block.ink
        size = block.first.size
        left_gap, right_gap = ink.x - box.x, box.right - ink.right
        centered = abs(left_gap - right_gap) <= max(6.0, 0.12 * box.width)
        narrow = box.width <= 0.6 * page_width or (box.height <= 60 and box.width < page_width - 8)
        if box.height <= max(3.6 * size, 24) and box.height <= 80 and narrow:
            if centered:
                if size <= 13.5 and box.height <= 2.4 * size + 8 and region.radius >= box.height / 3:
                    return "badge"
                return "button"
            if left_gap <= 28 and box.width >= 3 * box.height and region.has_border:
                return "input"
        if (
            region.has_border
            and box.height > 60
            and left_gap <= 28
            and ink.y - box.y <= 28
            and box.width >= 2 * box.height
        ):
            return "textarea"
    if (
        not texts
        and not others
        and region.has_border
        and 24 <= box.height <= 64
        and box.width >= 3 * box.height
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


def _labels(root: Node) -> None:
    """Short text right above an input is that input's label."""
    for node in walk(root):
        kids = node.children
        for above, below in itertools.pairwise(kids):
            if above.kind == "text" and below.kind == "region" and below.role in ("input", "textarea"):
                block = above.block
                if block is not None and block.role in ("text", "small") and len(block.lines) == 1:
                    block.role = "label"
