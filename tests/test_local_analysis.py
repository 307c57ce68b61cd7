"""The local backend's analysis on small synthetic screenshots drawn with Pillow."""

from __future__ import annotations

import io
import re
from pathlib import Path

import html5lib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.fontfit import fit_font
from replicator.backends.local.fonts import FONTS
from replicator.backends.local.layout import Node, walk
from replicator.backends.local.page import analyze, build_page, layout_tree

SANS = next((f for f in FONTS.faces if f.family == "DejaVu Sans"), None)
pytestmark = pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    assert SANS is not None
    path: Path = SANS.bold if bold and SANS.bold else SANS.regular
    return ImageFont.truetype(str(path), size)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def texts_in(node: Node) -> list[str]:
    return [n.block.text for n in walk(node) if n.kind == "text" and n.block is not None]


def body_text(html: str) -> str:
    document = html5lib.parse(html, namespaceHTMLElements=False)
    body = document.find("body")
    assert body is not None
    return "".join(body.itertext())


def test_two_columns_become_a_row_of_two_columns() -> None:
    image = Image.new("RGB", (900, 420), "white")
    draw = ImageDraw.Draw(image)
    left = ["Fresh bread daily", "Baked before dawn", "Sourdough and rye"]
    right = ["Coffee all day", "Roasted in town", "Espresso and filter"]
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        draw.text((60, 80 + i * 90), a, font=font(22), fill=(30, 30, 30))
        draw.text((500, 80 + i * 90), b, font=font(22), fill=(30, 30, 30))
    tree = layout_tree(analyze(png(image)))
    rows = [n for n in walk(tree) if n.kind == "row" and len(n.children) == 2]
    assert rows, "the two columns were not put side by side in a row"
    row = rows[0]
    first, second = (texts_in(child) for child in row.children)
    assert first == left
    assert second == right
    assert row.children[0].box.right < row.children[1].box.x


def test_filled_rounded_box_with_centered_text_becomes_a_button() -> None:
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((200, 120, 400, 168), radius=10, fill=(37, 99, 235))
    label = "Continue"
    width = draw.textlength(label, font=font(18, bold=True))
    draw.text((300 - width / 2, 144), label, font=font(18, bold=True), fill="white", anchor="lm")
    html = build_page(png(image))
    assert "<button" in html
    button = html[html.index("<button") : html.index("</button>")]
    assert "Continue" in button
    # Its appearance is real CSS: the fill and a rounded corner, not an image.
    assert "#2563eb" in html.lower() or "#2563ea" in html.lower() or "#2564eb" in html.lower()
    assert "border-radius" in html
    assert "<img" not in html


def test_outlined_empty_box_becomes_an_input() -> None:
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.text((150, 96), "Email", font=font(16, bold=True), fill=(40, 40, 40))
    draw.rounded_rectangle((150, 124, 450, 166), radius=6, outline=(209, 213, 219), width=1, fill="white")
    html = build_page(png(image))
    assert "<input" in html
    assert "<img" not in html


def test_placeholder_text_in_an_outlined_box_becomes_the_placeholder() -> None:
    image = Image.new("RGB", (600, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((120, 90, 480, 134), radius=6, outline=(203, 213, 225), width=1, fill="white")
    draw.text((134, 112), "Search customers", font=font(16), fill=(156, 163, 175), anchor="lm")
    html = build_page(png(image))
    assert 'placeholder="Search customers"' in html


def test_an_image_without_text_gives_a_valid_empty_page() -> None:
    image = Image.new("RGB", (640, 480), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        draw.ellipse((40 + i * 90, 180, 110 + i * 90, 250), fill=(200 - i * 25, 80 + i * 20, 120))
    html = build_page(png(image))
    document = html5lib.parse(html, namespaceHTMLElements=False)
    assert document.find("body") is not None
    assert body_text(html).strip() == ""


def test_a_blank_image_gives_a_page_of_its_color() -> None:
    html = build_page(png(Image.new("RGB", (320, 200), (18, 52, 86))))
    assert "#123456" in html
    assert body_text(html).strip() == ""


def test_headings_are_told_from_body_text_by_size() -> None:
    image = Image.new("RGB", (900, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 50), "Quarterly report", font=font(40, bold=True), fill=(17, 24, 39))
    body = [
        "Revenue grew in every region this quarter",
        "while costs stayed flat for the third time",
        "in a row, which leaves room to hire.",
    ]
    for i, line in enumerate(body):
        draw.text((60, 140 + i * 26), line, font=font(16), fill=(75, 85, 99))
    html = build_page(png(image))
    assert "<h1" in html and "Quarterly report" in html[html.index("<h1") :]
    # The three lines are one paragraph, not three.
    assert html.count("<p ") + html.count("<p>") == 1


def test_text_color_and_weight_are_measured() -> None:
    image = Image.new("RGB", (700, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 60), "Important notice here", font=font(24, bold=True), fill=(190, 18, 60))
    analysis = analyze(png(image))
    lines = [line for block in analysis.blocks for line in block.lines]
    assert len(lines) == 1
    line = lines[0]
    assert line.fit.bold
    assert max(abs(a - b) for a, b in zip(line.color, (190, 18, 60), strict=True)) <= 12
    assert abs(line.size - 24) <= 1.5


def test_font_fit_recovers_family_and_size_from_ink() -> None:
    candidates = {f.family: f for f in FONTS.faces}
    for family in ("DejaVu Sans", "Liberation Sans", "Liberation Serif"):
        face = candidates.get(family)
        if face is None:
            continue
        text = "The quick brown fox jumps over the lazy dog"
        image = Image.new("L", (900, 80), 0)
        ImageDraw.Draw(image).text(
            (10, 50), text, font=ImageFont.truetype(str(face.regular), 22), fill=255, anchor="ls"
        )
        box = image.getbbox()
        assert box is not None
        ink = np.asarray(image.crop(box), dtype=np.float32) / 255
        # Among the system faces: Pillow hints glyphs as no browser does, which blurs the line
        # between close designs (Liberation Sans and Inter); test_local_fonts.py reads web fonts
        # from Chromium's own rendering.
        system = [f for f in FONTS.faces if not f.web]
        fit = fit_font(text, box[2] - box[0], box[3] - box[1], float(ink.sum()), alpha=ink, faces=system)
        assert fit.face is not None and fit.face.family == family
        assert abs(fit.size - 22) <= 1.0


def test_a_graphic_is_cropped_tightly_and_never_holds_the_text() -> None:
    image = Image.new("RGB", (800, 300), "white")
    draw = ImageDraw.Draw(image)
    # A "logo": a few overlapping colored shapes, then a wordmark beside it.
    draw.ellipse((60, 100, 124, 164), fill=(234, 88, 12))
    draw.polygon([(70, 150), (92, 108), (116, 150)], fill=(255, 237, 213))
    draw.text((150, 132), "Copperline Studio", font=font(28, bold=True), fill=(67, 20, 7), anchor="lm")
    analysis = analyze(png(image))
    assert len(analysis.graphics) == 1
    graphic = analysis.graphics[0].box
    assert 56 <= graphic.x <= 62 and graphic.right <= 128
    assert 96 <= graphic.y <= 102 and graphic.bottom <= 168
    text = analysis.blocks[0].ink
    assert graphic.intersection(text) == 0
    assert "Copperline Studio" in build_page(png(image))


def gradient_band(
    width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = (1 - t) * np.array(top, dtype=np.float64) + t * np.array(bottom, dtype=np.float64)
    return Image.fromarray(np.repeat(rows, width, axis=1).round().astype(np.uint8), "RGB")


def test_a_gradient_hero_band_is_a_css_gradient_and_its_mountains_are_vector_polygons() -> None:
    # A hero: a vertical gradient band over most of the page, flat "mountains" along its bottom, a
    # headline on it and a white section below (the band covers more pixels than the white).
    image = Image.new("RGB", (900, 600), "white")
    image.paste(gradient_band(900, 420, (15, 118, 110), (19, 78, 74)), (0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 420), (260, 250), (480, 420)], fill=(120, 170, 165))
    draw.polygon([(380, 420), (700, 220), (900, 420)], fill=(150, 185, 180))
    draw.text((60, 80), "A quiet lodge above the clouds", font=font(34, bold=True), fill="white")
    draw.text((60, 480), "Twelve rooms and one kitchen", font=font(18), fill=(30, 41, 59))
    analysis = analyze(png(image))
    hero = [r for r in analysis.regions if r.gradient is not None]
    assert len(hero) == 1 and hero[0].box.height >= 410 and hero[0].box.width >= 890
    assert analysis.root.fill == (255, 255, 255)
    assert len(analysis.shapes) == 2
    peaks = sorted(analysis.shapes, key=lambda s: s.box.x)
    assert peaks[0].box.x <= 4 and abs(peaks[0].box.y - 250) <= 3
    assert abs(peaks[1].box.y - 220) <= 3 and peaks[1].box.right >= 890
    assert max(len(s.points) for s in analysis.shapes) <= 6
    html = build_page(png(image))
    assert "linear-gradient(180deg" in html
    assert html.count("<polygon") == 2
    # Nothing of it is raster: no <img>, no data-URI background.
    assert "<img" not in html and "url(data:image" not in html
    assert "A quiet lodge above the clouds" in body_text(html)


def diagonal_band(width: int, height: int, stops: list[tuple[float, tuple[int, int, int]]]) -> Image.Image:
    """A band painted as CSS paints linear-gradient(135deg, stops...): along the diagonal, the
    gradient line as long as the box's projection on it."""
    a = np.radians(135)
    length = abs(width * np.sin(a)) + abs(height * np.cos(a))
    ys, xs = np.mgrid[0:height, 0:width]
    t = ((xs - width / 2) * np.sin(a) - (ys - height / 2) * np.cos(a)) / length + 0.5
    places = [p for p, _c in stops]
    channels = [np.interp(t, places, [c[k] for _p, c in stops]) for k in range(3)]
    return Image.fromarray(np.stack(channels, axis=2).round().astype(np.uint8), "RGB")


def test_a_hero_in_three_color_stops_is_that_gradient_not_a_flat_page_color() -> None:
    # bulma_landing_app's hero: linear-gradient(135deg, #7c3aed, #4f46e5 55%, #0ea5e9). No line
    # of two stops fits it, so it was the page's flat colour (the mean, an even indigo) and the
    # page lost its purple corner and its sky-blue one.
    image = Image.new("RGB", (900, 700), "white")
    stops = [(0.0, (124, 58, 237)), (0.55, (79, 70, 229)), (1.0, (14, 165, 233))]
    image.paste(diagonal_band(900, 460, stops), (0, 0))
    draw = ImageDraw.Draw(image)
    draw.text((60, 120), "Your money, in one place", font=font(36, bold=True), fill="white")
    draw.text((60, 560), "Everything you need", font=font(20), fill=(30, 41, 59))
    analysis = analyze(png(image))
    assert analysis.root.fill == (255, 255, 255) and analysis.root.gradient is None
    (hero,) = [r for r in analysis.regions if r.gradient is not None]
    assert hero.box.height >= 450 and hero.box.width >= 890
    gradient = hero.gradient
    assert gradient is not None and gradient.startswith("linear-gradient(135deg"), gradient
    found = [tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in re.findall(r"#([0-9a-f]{6})", gradient)]
    assert len(found) == 3
    for color, (_place, truth) in zip(found, stops, strict=True):
        assert max(abs(c - t) for c, t in zip(color, truth, strict=True)) <= 6, (color, truth)
    middle = re.search(r" (\d+)%", gradient)
    assert middle is not None and abs(int(middle.group(1)) - 55) <= 5, gradient


def test_a_photo_lighter_in_its_middle_is_no_three_stop_gradient() -> None:
    # A product shot's soft backdrop, lighter in the middle and alike at both ends, with the
    # product on it: a picture, not a gradient box with the product cut out of it.
    image = Image.new("RGB", (800, 600), "white")
    stops = [(0.0, (212, 228, 221)), (0.5, (246, 249, 248)), (1.0, (215, 230, 224))]
    backdrop = np.asarray(diagonal_band(400, 400, stops)).copy()
    backdrop[150:300, 80:320] = (200, 80, 60)
    image.paste(Image.fromarray(backdrop, "RGB"), (200, 100))
    analysis = analyze(png(image))
    assert not any(r.gradient for r in analysis.regions), [r.gradient for r in analysis.regions]


def test_a_photo_like_texture_is_not_mistaken_for_a_polygon() -> None:
    rng = np.random.default_rng(7)
    image = Image.new("RGB", (600, 400), "white")
    noise = rng.integers(0, 255, size=(160, 240, 3), dtype=np.uint8)
    image.paste(Image.fromarray(noise, "RGB"), (180, 120))
    analysis = analyze(png(image))
    assert analysis.shapes == []
    assert len(analysis.graphics) == 1


def test_paragraph_line_height_comes_from_baselines_not_ink_bottoms() -> None:
    # The second line has descenders ("p"), the first has none: their ink bottoms are further apart
    # than their baselines. The paragraph's line height is the baseline pitch.
    image = Image.new("RGB", (700, 300), "white")
    draw = ImageDraw.Draw(image)
    heading = font(50, bold=True)
    draw.text((40, 100), "code does in", font=heading, fill=(20, 20, 20), anchor="ls")
    draw.text((40, 155), "production", font=heading, fill=(20, 20, 20), anchor="ls")
    analysis = analyze(png(image))
    blocks = [b for b in analysis.blocks if len(b.lines) == 2]
    assert len(blocks) == 1, [b.text for b in analysis.blocks]
    assert abs(blocks[0].line_height - 55) <= 1.0


def test_speech_bubbles_keep_their_tails_as_triangles_and_tabs_and_discs_have_none() -> None:
    # A chat: bubbles whose tail is a triangle standing out of one side (right, left, bottom).
    # The tail is drawn as a triangle in the bubble's colour, and the bubble's box stops at its
    # side. A box with a rectangular tab, and a disc, have no tail.
    image = Image.new("RGB", (640, 440), "white")
    draw = ImageDraw.Draw(image)
    blue, grey, green = (13, 110, 253), (233, 236, 239), (25, 135, 84)
    draw.rounded_rectangle((60, 40, 300, 100), 8, fill=blue)
    draw.polygon([(300, 60), (307, 70), (300, 80)], fill=blue)
    draw.rounded_rectangle((340, 140, 580, 200), 8, fill=grey)
    draw.polygon([(340, 160), (332, 170), (340, 180)], fill=grey)
    draw.rounded_rectangle((60, 300, 260, 360), 8, fill=green)
    draw.polygon([(100, 360), (110, 368), (120, 360)], fill=green)
    draw.ellipse((420, 300, 470, 350), fill=(200, 80, 80))
    draw.rectangle((60, 180, 240, 240), fill=(90, 90, 90))
    draw.rectangle((240, 195, 252, 225), fill=(90, 90, 90))
    analysis = analyze(png(image))
    # (The tabbed box is an eight-cornered polygon: a shape of its own, not a tail.)
    tails = sorted((s for s in analysis.shapes if len(s.points) == 3), key=lambda s: (s.box.y, s.box.x))
    assert [(t.fill, len(t.points)) for t in tails] == [(blue, 3), (grey, 3), (green, 3)], tails
    right, left, bottom = tails
    assert (
        abs(right.box.x - 300) <= 1.5 and 5 <= right.box.width <= 10 and abs(right.box.center[1] - 70) <= 1.5
    )
    assert (
        abs(left.box.right - 340) <= 1.5
        and 6 <= left.box.width <= 11
        and abs(left.box.center[1] - 170) <= 1.5
    )
    assert (
        abs(bottom.box.y - 360) <= 1.5
        and 6 <= bottom.box.height <= 11
        and abs(bottom.box.center[0] - 110) <= 1.5
    )
    boxes = {r.fill: r.box for r in analysis.regions if r.visible}
    assert boxes[blue].right <= 302 and boxes[grey].x >= 338 and boxes[green].bottom <= 362, boxes
    html = build_page(png(image))
    assert html.count("<polygon") == 4
