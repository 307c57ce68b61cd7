"""Layout decisions of the local backend: flow first, absolute positioning only for true overlaps."""

from __future__ import annotations

import io
from pathlib import Path

import html5lib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.fonts import FONTS
from replicator.backends.local.layout import Node, _cut, walk
from replicator.backends.local.page import analyze, layout_tree, render_analysis
from replicator.models import Box, RenderResult, Viewport
from replicator.render import SealedBrowserPool

SANS = next((f for f in FONTS.faces if f.family == "DejaVu Sans"), None)
BANNER = (37, 99, 235)
SECTION = (248, 250, 252)
AVATAR = (245, 158, 11)
AVATAR_CENTER, AVATAR_RADIUS = (200, 200), 60


def font(size: int) -> ImageFont.FreeTypeFont:
    assert SANS is not None
    path: Path = SANS.regular
    return ImageFont.truetype(str(path), size)


def profile_png() -> bytes:
    """A banner, a content section under it, and an avatar circle straddling the edge between them."""
    image = Image.new("RGB", (1000, 600), SECTION)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 999, 199), fill=BANNER)
    cx, cy = AVATAR_CENTER
    r = AVATAR_RADIUS
    draw.ellipse((cx - r - 5, cy - r - 5, cx + r + 5, cy + r + 5), fill=(255, 255, 255))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=AVATAR)
    draw.text((300, 215), "Jonas Whitfield", font=font(28), fill=(20, 20, 20))
    draw.text((300, 260), "Product designer in Lisbon", font=font(16), fill=(100, 100, 110))
    draw.text((60, 340), "Designer at Northwind", font=font(16), fill=(30, 30, 30))
    draw.text((60, 380), "Joined June 2016", font=font(16), fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def classes_of_elements_containing(html: str, text: str) -> list[str]:
    document = html5lib.parse(html, namespaceHTMLElements=False)
    body = document.find("body")
    assert body is not None
    found: list[str] = []

    def visit(element, ancestors: list[str]) -> None:  # type: ignore[no-untyped-def]
        chain = [*ancestors, element.get("class", "")]
        if (element.text or "").strip() == text:
            found.extend(chain)
        for child in element:
            visit(child, chain)

    visit(body, [])
    return found


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
async def test_an_avatar_straddling_a_banner_edge_is_the_only_absolute_element(
    browser_pool: SealedBrowserPool,
) -> None:
    analysis = analyze(profile_png())
    tree = layout_tree(analysis)
    lifted = [n for n in walk(tree) if n.absolute]
    assert len(lifted) == 1, [(n.kind, n.box) for n in lifted]
    avatar = lifted[0].box
    cx, cy = AVATAR_CENTER
    assert abs(avatar.center[0] - cx) <= 4 and abs(avatar.center[1] - cy) <= 4
    assert not [n for n in walk(tree) if n.kind == "stack"]
    # The banner and the section stay in flow, one above the other.
    banner = next(n for n in walk(tree) if n.kind == "region" and n.box.width >= 990 and n.box.bottom < 215)
    assert not banner.absolute
    assert "Jonas Whitfield" not in [n.block.text for n in walk(banner) if n.block is not None]

    html = render_analysis(analysis)
    assert html.count(" abs ") + html.count(' abs"') == 1
    for text in ("Jonas Whitfield", "Designer at Northwind"):
        assert "abs" not in " ".join(classes_of_elements_containing(html, text)).split()

    # In Chromium the lifted avatar lands where it was, over both the banner and the section.
    render = await browser_pool.render(html, Viewport(1000, 600))
    with Image.open(io.BytesIO(render.png)) as shot:
        pixels = np.asarray(shot.convert("RGB")).astype(int)
    for x, y in ((cx, cy - 40), (cx, cy + 40), (cx - 40, cy), (cx + 40, cy)):
        assert np.abs(pixels[y, x] - AVATAR).max() <= 12, (x, y, pixels[y, x])
    assert np.abs(pixels[100, 600] - BANNER).max() <= 12
    assert np.abs(pixels[500, 600] - SECTION).max() <= 12


def leaf(x: float, y: float, width: float, height: float) -> Node:
    return Node("image", Box(x, y, width, height))


def test_sections_touching_by_a_few_pixels_stay_a_column() -> None:
    banner, body = leaf(0, 0, 1280, 225), leaf(0, 220, 1280, 580)
    tree = _cut([body, banner], prefer_rows=False)
    assert tree.kind == "column"
    assert tree.children == [banner, body]
    assert not banner.absolute and not body.absolute


def test_only_the_smallest_overlapping_items_leave_the_flow() -> None:
    banner, body = leaf(0, 0, 1280, 220), leaf(0, 220, 1280, 580)
    avatar, button = leaf(207, 118, 121, 122), leaf(893, 198, 80, 35)
    tree = _cut([banner, body, avatar, button], prefer_rows=False)
    assert tree.kind == "column"
    assert [n for n in tree.children if not n.absolute] == [banner, body]
    assert [n for n in tree.children if n.absolute] == [avatar, button]
    assert tree.box == Box(0, 0, 1280, 800)


def test_items_that_truly_overlap_are_not_taken_for_touching() -> None:
    # Two cards overlapping by 30 px: one of them must leave the flow, not be cut apart.
    first, second = leaf(0, 0, 400, 300), leaf(0, 270, 300, 200)
    tree = _cut([first, second], prefer_rows=False)
    assert [n.absolute for n in tree.children] == [False, True]
    assert tree.children[0] is first


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
async def test_a_divider_in_a_column_beside_a_picture_spans_its_measured_width(
    browser_pool: SealedBrowserPool,
) -> None:
    image = Image.new("RGB", (1000, 260), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 109, 109), fill=(120, 80, 200))
    draw.text((150, 40), "Jonas Whitfield", font=font(24), fill=(20, 20, 20))
    draw.rectangle((150, 120, 949, 121), fill=(200, 200, 210))
    draw.text((150, 140), "Followers 1,284", font=font(16), fill=(60, 60, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    tree = layout_tree(analysis)
    rules = [n for n in walk(tree) if n.kind == "rule"]
    assert len(rules) == 1 and rules[0].box.right >= 945
    assert any(n.kind == "row" and any(c.kind == "column" for c in n.children) for n in walk(tree))

    render = await browser_pool.render(render_analysis(analysis), Viewport(1000, 260))
    with Image.open(io.BytesIO(render.png)) as shot:
        pixels = np.asarray(shot.convert("RGB")).astype(int)
    for x in (200, 600, 940):
        assert np.abs(pixels[120:122, x] - (200, 200, 210)).max() <= 12, (x, pixels[120:122, x])


def test_a_line_the_detector_cut_a_space_apart_is_one_line_and_a_row_of_links_is_not() -> None:
    """bs_news_portal's byline "By Aisha Rahman · 6 min read" came back from OCR as two boxes
    ("By Aisha Rahman", "· 6 min read"), set side by side as two lines: the replica's text read
    "Rahman· 6". One face, one baseline, a word's space between: one line. Links an em and more
    apart stay apart."""
    from replicator.backends.local.paragraphs import join_split_lines
    from replicator.backends.local.text import read_lines
    from replicator.ocr import OcrLine

    face = next(f for f in FONTS.faces if f.family == "Roboto")
    font = ImageFont.truetype(FONTS.path(face, 400) or "", 13)
    image = Image.new("RGB", (520, 90), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "Words by Aisha Rahman", font=font, fill=(108, 117, 125))
    draw.text((20, 60), "Politics", font=font, fill=(108, 117, 125))
    draw.text((20 + font.getlength("Politics") + 22, 60), "Business", font=font, fill=(108, 117, 125))
    rgb = np.asarray(image)
    split = 20 + font.getlength("Words by ")
    ocr = [
        OcrLine("Words by", Box(17, 16, split - 19, 22), 0.99),
        OcrLine("Aisha Rahman", Box(split - 1, 16, font.getlength("Aisha Rahman") + 6, 22), 0.99),
        OcrLine("Politics", Box(17, 56, font.getlength("Politics") + 6, 22), 0.99),
        OcrLine(
            "Business",
            Box(20 + font.getlength("Politics") + 19, 56, font.getlength("Business") + 6, 22),
            0.99,
        ),
    ]
    lines = read_lines(rgb, ocr)
    assert len(lines) == 4, [ln.text for ln in lines]
    joined = join_split_lines(lines, {})
    assert sorted(ln.text for ln in joined) == ["Business", "Politics", "Words by Aisha Rahman"]
    (byline,) = [ln for ln in joined if ln.text.startswith("Words")]
    assert byline.ink.x < 22 and byline.ink.right > split + 60
    assert byline.alpha is not None and byline.alpha.shape[1] >= byline.ink.width


async def test_a_row_of_short_links_keeps_each_at_its_place(browser_pool: SealedBrowserPool) -> None:
    """A nav bar of eight words, each a margin after the one before: the margins were measured
    from text boxes a pixel wider than their text (the slack that keeps a line from wrapping), so
    each link stood a pixel further left than the one before (bs_news_portal's eighth, 8 px)."""
    words = ["World", "Politics", "Business", "Technology", "Science", "Culture", "Sport", "Opinion"]
    # Uneven margins, as a nav bar's items with carets or badges between some of them have: no
    # one CSS gap places them.
    links = "".join(f'<a style="margin-right:{24 + 8 * (k % 2)}px">{w}</a>' for k, w in enumerate(words))
    html_in = (
        '<!doctype html><html><body style="margin:0;background:#fff">'
        f"<nav style=\"display:flex;padding:40px 0 0 60px;font:400 15px 'DejaVu Sans';color:#1b1b1b\">"
        f"{links}</nav></body></html>"
    )
    source = await browser_pool.render(html_in, Viewport(1280, 120))
    replica = await browser_pool.render(render_analysis(analyze(source.png)), Viewport(1280, 120))

    def starts(render: RenderResult) -> dict[str, float]:
        return {b.text.strip(): b.box.x for b in render.text_boxes if b.text.strip() in words}

    placed, truth = starts(replica), starts(source)
    assert placed.keys() == truth.keys() == set(words)
    assert max(abs(placed[w] - truth[w]) for w in words) <= 1.5, {w: placed[w] - truth[w] for w in words}
