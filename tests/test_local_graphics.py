"""Pictures in the local backend's pages: charts are their own elements, never page backgrounds."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage.metrics import structural_similarity

from replicator.backends.local import graphics as graphics_module
from replicator.backends.local.fonts import FONTS
from replicator.backends.local.model import Region
from replicator.backends.local.page import analyze, render_analysis
from replicator.config import PROJECT_DIR
from replicator.models import Box, Viewport
from replicator.render import SealedBrowserPool

NODE_MODULES = PROJECT_DIR / "node_modules"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "graphics"
SANS = next((f for f in FONTS.faces if f.family == "DejaVu Sans"), None)
_BACKGROUND = re.compile(
    r"url\(data:[^)]*\)\s*no-repeat\s*[-\d.]+px\s+[-\d.]+px\s*/\s*([\d.]+)px\s+([\d.]+)px"
)


def gray(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)


def best_ssim(source: np.ndarray, replica: np.ndarray, box: Box, shift: int = 6) -> float:
    """Grayscale SSIM of ``box`` in the replica against the source, at the best shift within
    ``shift`` px (bench/fidelity.py's graphic test)."""
    x0, y0, x1, y1 = int(box.x), int(box.y), math.ceil(box.right), math.ceil(box.bottom)
    want = source[y0:y1, x0:x1]
    best = -1.0
    for dy in range(-shift, shift + 1, 2):
        for dx in range(-shift, shift + 1, 2):
            if y0 + dy < 0 or x0 + dx < 0 or y1 + dy > replica.shape[0] or x1 + dx > replica.shape[1]:
                continue
            got = replica[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
            best = max(best, structural_similarity(want, got, data_range=255.0))
    return best


@pytest.mark.skipif(not (NODE_MODULES / "chart.js").is_dir(), reason="node_modules from `make setup`")
async def test_chart_cards_keep_their_charts_as_elements_of_their_size(
    browser_pool: SealedBrowserPool,
) -> None:
    viewport = Viewport(1140, 310)
    source = await browser_pool.render(
        (FIXTURES / "chart_card.html").read_text(encoding="utf-8"), viewport, base_dir=NODE_MODULES
    )
    canvases = [e.box for e in source.element_boxes if e.tag.lower() == "canvas"]
    assert len(canvases) == 3
    analysis = analyze(source.png)
    # The bar chart's bars and grid are not boxes and dividers of the page.
    bars = canvases[0]
    assert not [r for r in analysis.regions if r.visible and bars.intersection(r.box) >= 0.9 * r.box.area]
    pictures = [g for g in analysis.graphics if g.icon is None]
    for canvas in canvases:
        covering = [g for g in pictures if g.box.intersection(canvas) > 0]
        # A donut leaves the corners (and its legend, which is text) to the page.
        assert sum(g.box.intersection(canvas) for g in covering) >= 0.3 * canvas.area, canvas
        # Its own element, about its own size: not a card-, section- or page-sized picture.
        assert max(g.box.area for g in covering) <= 1.3 * canvas.area

    html = render_analysis(analysis)
    for width, height in _BACKGROUND.findall(html):
        assert float(width) * float(height) <= 1.3 * max(c.area for c in canvases)
    replica = await browser_pool.render(html, viewport)
    src, rep = gray(source.png), gray(replica.png)
    for canvas in canvases:
        assert best_ssim(src, rep, canvas) >= 0.6, canvas


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_a_bar_chart_of_boxes_and_grid_lines_is_one_picture() -> None:
    """Drawn with Pillow: bars are flat boxes, grid lines dividers, ticks short text."""
    assert SANS is not None
    font = ImageFont.truetype(str(SANS.regular), 12)
    image = Image.new("RGB", (560, 340), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (30, 20),
        "Orders handled per month",
        font=ImageFont.truetype(str(SANS.regular), 18),
        fill=(20, 20, 20),
    )
    left, top, bottom, right = 70, 70, 270, 520
    for k in range(6):
        y = bottom - k * 40
        draw.line((left, y, right, y), fill=(225, 225, 225))
        draw.text((40, y - 7), str(k * 20), font=font, fill=(110, 110, 110))
    values = [30, 55, 80, 45, 95, 70, 60, 85]
    for k, value in enumerate(values):
        x = left + 12 + k * 55
        draw.rectangle((x, bottom - value * 2, x + 30, bottom), fill=(13, 110, 253))
        draw.text((x + 4, bottom + 8), f"M{k + 1}", font=font, fill=(110, 110, 110))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    plot = Box(left, top, right - left, bottom - top)
    figures = [g for g in analysis.graphics if g.box.intersection(plot) >= 0.9 * plot.area]
    assert len(figures) == 1
    assert figures[0].box.area <= 1.6 * plot.area
    assert not [r for r in analysis.regions if r.visible and plot.intersection(r.box) > 0]
    texts = [line.text for block in analysis.blocks for line in block.lines]
    assert texts == ["Orders handled per month"]  # the ticks are part of the picture


def _photo(width: int, height: int, seed: int = 5) -> Image.Image:
    """A smooth random colour field with grain: a stand-in for a photograph."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, (4, 6, 3)).astype(np.float64)
    field = np.asarray(
        Image.fromarray(small.astype(np.uint8)).resize((width, height), Image.BICUBIC), np.float64
    )
    return Image.fromarray(np.clip(field + rng.normal(0, 8, field.shape), 0, 255).astype(np.uint8))


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_text_over_a_photo_makes_the_photo_the_background_of_its_own_box_only() -> None:
    assert SANS is not None
    image = Image.new("RGB", (900, 520), "white")
    image.paste(_photo(640, 300), (130, 40))
    draw = ImageDraw.Draw(image)
    draw.text((180, 150), "Explore the coast", font=ImageFont.truetype(str(SANS.bold), 40), fill="white")
    draw.text(
        (130, 380),
        "Tours leave every morning at nine.",
        font=ImageFont.truetype(str(SANS.regular), 18),
        fill=(40, 40, 40),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    html = render_analysis(analysis)
    sizes = [(float(w), float(h)) for w, h in _BACKGROUND.findall(html)]
    assert len(sizes) == 1
    w, h = sizes[0]
    assert 600 <= w <= 650 and 280 <= h <= 305  # the photo's own size, not the page's
    body_rule = next(line for line in html.splitlines() if line.startswith(".body{"))
    assert "url(" not in body_rule
    texts = [line.text for block in analysis.blocks for line in block.lines]
    assert "Explore the coast" in texts  # the heading stays real text, over the picture


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_a_flat_badge_or_disc_under_its_text_is_a_box_of_its_shape_not_a_picture() -> None:
    assert SANS is not None
    image = Image.new("RGB", (400, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (30, 50), "Renew customs bond", font=ImageFont.truetype(str(SANS.regular), 15), fill=(33, 37, 41)
    )
    draw.rounded_rectangle((260, 46, 330, 68), radius=11, fill=(255, 193, 7))
    draw.text((272, 50), "1 day", font=ImageFont.truetype(str(SANS.bold), 12), fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    html = render_analysis(analysis)
    assert "<img " not in html and "url(data:image" not in html
    assert "#ffc107" in html.lower()
    texts = [line.text for block in analysis.blocks for line in block.lines]
    assert sorted(texts) == ["1 day", "Renew customs bond"]
    pill = next(r for r in analysis.regions if r.fill == (255, 193, 7))
    assert 9 <= pill.radius <= 11.5  # measured at its corners


def test_a_light_gray_disc_under_a_digit_is_a_round_box() -> None:
    """A rank disc in #f0f0f0 on white (15 levels: less than antialiasing's usual bar), drawn
    antialiased as a browser does, with its digit on it: a round box of that gray."""
    disc = Image.new("L", (88, 88), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, 87, 87), fill=255)
    image = Image.new("RGB", (60, 40), "white")
    image.paste((240, 240, 240), (20, 9), disc.resize((22, 22), Image.Resampling.LANCZOS))
    ImageDraw.Draw(image).rectangle((28, 15, 33, 24), fill=(80, 80, 80))  # the digit's ink
    rgb = np.asarray(image).copy()
    root = Region(Box(0, 0, 60, 40), (255, 255, 255))
    regions = [root]
    marks = graphics_module._flat_box(rgb, Box(20, 9, 22, 22), [Box(28, 15, 6, 10)], root, regions)
    assert marks == []
    found = regions[-1]
    assert found is not root and max(abs(c - 240) for c in found.fill) <= 2
    assert found.radius == 11  # a disc: half its side


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_a_progress_bar_is_a_track_and_a_fill_not_a_picture() -> None:
    """A 4 px rounded bar, 75% filled in blue on a light gray track, under its caption: two boxes
    of those colors (the fill inside the track), no raster."""
    assert SANS is not None
    image = Image.new("RGB", (420, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.text((30, 30), "Conversion rate", font=ImageFont.truetype(str(SANS.regular), 15), fill=(33, 37, 41))
    draw.rounded_rectangle((30, 62, 330, 65), radius=2, fill=(226, 226, 226))
    draw.rounded_rectangle((30, 62, 255, 65), radius=2, fill=(6, 111, 209))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    html = render_analysis(analysis)
    assert "<img " not in html and "url(data:image" not in html
    bars = sorted((r for r in analysis.regions if r.box.height <= 6), key=lambda r: -r.box.width)
    assert len(bars) == 2, [(r.box, r.fill) for r in analysis.regions]
    track, fill = bars
    assert abs(track.box.width - 301) <= 3 and abs(fill.box.width - 226) <= 4
    assert max(abs(a - b) for a, b in zip(track.fill, (226, 226, 226), strict=True)) <= 6
    assert max(abs(a - b) for a, b in zip(fill.fill, (6, 111, 209), strict=True)) <= 6
    assert fill.parent is track  # the fill is drawn inside its track


def test_an_unknown_one_color_mark_is_a_traced_vector_in_its_color() -> None:
    """A made-up logo mark (a lopsided ring with a notch, in no icon set) in one color is drawn as
    an inline SVG path of that color, not a PNG; a mark of two colors keeps its pixels."""
    image = Image.new("RGB", (300, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 90, 74), fill=(124, 58, 237))
    draw.ellipse((54, 40, 78, 62), fill="white")
    draw.polygon([(84, 30), (96, 44), (90, 52)], fill="white")
    draw.ellipse((180, 30, 230, 80), fill=(16, 185, 129))
    draw.rectangle((205, 30, 230, 80), fill=(239, 68, 68))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    html = render_analysis(analysis)
    traced = [g for g in analysis.graphics if g.trace is not None]
    assert len(traced) == 1 and traced[0].box.x < 100
    assert traced[0].color is not None
    assert max(abs(a - b) for a, b in zip(traced[0].color, (124, 58, 237), strict=True)) <= 8
    assert html.count('fill-rule="evenodd"') == 1 and "#7c3aed" in html.lower()
    assert html.count("<img ") == 1  # the two-color mark stays a picture


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_a_numbered_disc_is_a_round_box_holding_its_digit_not_an_icon_of_another_number() -> None:
    """A step's "3" on a dark disc, drawn antialiased as a browser does. Bootstrap Icons has a
    "1-circle-fill" that matched it as a shape: the disc is a round box of its fill and the digit
    is text, read once."""
    assert SANS is not None
    image = Image.new("RGB", (320, 60), "white")
    disc = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, 79, 79), fill=255)
    image.paste((49, 70, 89), (20, 20), disc.resize((20, 20), Image.Resampling.LANCZOS))
    draw = ImageDraw.Draw(image)
    draw.text(
        (30, 30), "3", font=ImageFont.truetype(str(SANS.regular), 12), fill=(240, 242, 243), anchor="mm"
    )
    draw.text((52, 22), "Review and pay", font=ImageFont.truetype(str(SANS.regular), 14), fill=(33, 37, 41))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    assert not analysis.graphics, [(g.box, g.icon and g.icon.name) for g in analysis.graphics]
    texts = sorted(line.text for block in analysis.blocks for line in block.lines)
    assert texts == ["3", "Review and pay"]
    round_box = next(r for r in analysis.regions if r.fill == (49, 70, 89))
    assert abs(round_box.box.width - 20) <= 2 and round_box.radius >= 0.45 * round_box.box.width


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_a_short_meter_whose_fill_is_found_as_a_box_gets_its_track_not_a_picture_of_the_rest() -> None:
    """Tabler's table meters: an 8 px bar, 2/3 filled in blue, round ends. The fill is found as a
    box on its own and the rest of the track (shorter than a bar on its own may be) used to stay a
    PNG: now it is the track, from the fill's start, with the fill inside it."""
    assert SANS is not None
    image = Image.new("RGB", (300, 60), "white")
    big = Image.new("RGB", (280, 32), "white")  # drawn at 4x, scaled down: antialiased ends
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, 279, 31), radius=16, fill=(229, 229, 229))
    draw.rounded_rectangle((0, 0, 187, 31), radius=16, fill=(6, 111, 209))
    draw.rectangle((160, 0, 187, 31), fill=(6, 111, 209))
    image.paste(big.resize((70, 8), Image.Resampling.LANCZOS), (150, 26))
    ImageDraw.Draw(image).text(
        (40, 22), "3,652", font=ImageFont.truetype(str(SANS.regular), 14), fill=(60, 60, 60)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    assert not analysis.graphics, [g.box for g in analysis.graphics]
    track = next(r for r in analysis.regions if r.fill == (229, 229, 229))
    fill = next(r for r in analysis.regions if r.fill == (6, 111, 209))
    assert abs(track.box.x - 150) <= 2 and abs(track.box.right - 220) <= 2 and track.radius >= 3
    assert fill.parent is track


def test_what_is_drawn_on_a_big_round_box_stays() -> None:
    """A food photo's white plate is found as a round box (radius 100): the herbs on it, near its
    middle, are still pictures; clearing the corner squares of its outline erased nearly all of it."""
    image = Image.new("RGB", (320, 300), (218, 210, 194))
    plate = Image.new("L", (800, 800), 0)
    ImageDraw.Draw(plate).ellipse((0, 0, 799, 799), fill=255)
    image.paste((250, 250, 248), (60, 50), plate.resize((200, 200), Image.Resampling.LANCZOS))
    draw = ImageDraw.Draw(image)
    colors = [(220, 60, 50), (70, 140, 60), (240, 200, 60), (240, 140, 50)]
    for i in range(40):
        x, y = 100 + (i * 37) % 111, 90 + (i * 53) % 111
        draw.ellipse((x, y, x + 9, y + 8), fill=colors[i % 4])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    assert any(r.radius >= 90 for r in analysis.regions)
    dots = [(100 + (i * 37) % 111 + 4.5, 90 + (i * 53) % 111 + 4) for i in range(40)]
    kept = [d for d in dots if any(g.box.contains(Box(d[0], d[1], 0, 0)) for g in analysis.graphics)]
    assert len(kept) >= 0.9 * len(dots), [g.box for g in analysis.graphics]


@pytest.mark.skipif(SANS is None, reason="DejaVu Sans is installed by `make setup`")
def test_an_outlined_button_with_an_icon_and_a_counter_badge_is_a_bordered_box_not_a_picture() -> None:
    """A white button drawn by its 1 px gray outline, an icon and a word on it and a red counter
    over its corner (cn_shop's cart): a box with that border holding the word, the icon and the
    badge pictures of their own, not one background picture of the whole button."""
    assert SANS is not None
    image = Image.new("RGB", (360, 140), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((120, 50, 240, 92), radius=6, fill="white", outline=(209, 213, 219), width=1)
    draw.polygon([(138, 62), (156, 62), (152, 76), (142, 76)], fill=(220, 38, 38))  # the cart icon
    draw.text((166, 62), "Basket", font=ImageFont.truetype(str(SANS.regular), 15), fill=(220, 38, 38))
    draw.ellipse((228, 40, 248, 60), fill=(220, 38, 38))  # the counter over the top-right corner
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    assert all(g.box.area < 0.3 * 120 * 42 for g in analysis.graphics), [g.box for g in analysis.graphics]
    assert not any(g.behind_text for g in analysis.graphics)
    button = next(r for r in analysis.regions if r.visible and r.has_border)
    assert (
        max(abs(a - b) for a, b in zip(button.border_color or (0, 0, 0), (209, 213, 219), strict=True)) <= 8
    )
    assert abs(button.box.x - 120) <= 2 and abs(button.box.right - 241) <= 2
    assert abs(button.box.y - 50) <= 2 and abs(button.box.bottom - 93) <= 2
    assert "Basket" in [line.text for block in analysis.blocks for line in block.lines]


def _disc(image: Image.Image, box: tuple[int, int, int, int], color: tuple[int, int, int]) -> None:
    """An antialiased disc, as a browser draws one (drawn 4x and scaled down)."""
    x0, y0, x1, y1 = box
    mask = Image.new("L", (4 * (x1 - x0), 4 * (y1 - y0)), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, mask.width - 1, mask.height - 1), fill=255)
    image.paste(color, (x0, y0), mask.resize((x1 - x0, y1 - y0), Image.Resampling.BOX))


def test_a_swatch_ringed_a_few_px_out_is_a_round_bordered_box_holding_its_disc() -> None:
    """A selected color swatch (bulma_product): a 24 px disc, 3 px of white, a 2 px ring of its
    color. A round white box with that ring as its border, holding the disc; no picture."""
    image = Image.new("RGB", (120, 80), "white")
    _disc(image, (38, 18, 72, 52), (232, 84, 60))  # the ring's outside
    _disc(image, (40, 20, 70, 50), (255, 255, 255))  # the gap
    _disc(image, (43, 23, 67, 47), (232, 84, 60))  # the swatch
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    assert analysis.graphics == [], [g.box for g in analysis.graphics]
    ring = next(r for r in analysis.regions if r.visible and r.has_border)
    assert (
        ring.border_color is not None
        and max(abs(a - b) for a, b in zip(ring.border_color, (232, 84, 60), strict=True)) <= 24
    )
    assert 1 <= ring.border_width[0] <= 3 and abs(ring.box.width - 34) <= 2
    assert ring.radius >= ring.box.width / 2 - 1
    swatch = ring.children[0]
    assert max(abs(a - b) for a, b in zip(swatch.fill, (232, 84, 60), strict=True)) <= 4
    assert swatch.radius >= 11.5  # a disc, not a rounded square


def test_an_icon_on_a_small_disc_stays_a_picture_on_a_round_box() -> None:
    """A coin's mark on its 36 px disc (tw_crypto_wallet's assets): the disc is a round box, and
    the mark, which reaches into the disc's corner squares, is kept as a picture on it."""
    image = Image.new("RGB", (120, 80), "white")
    _disc(image, (40, 20, 76, 56), (247, 147, 26))
    ImageDraw.Draw(image).polygon([(50, 46), (58, 29), (66, 46)], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    disc = next(
        r
        for r in analysis.regions
        if r.visible and max(abs(a - b) for a, b in zip(r.fill, (247, 147, 26), strict=True)) <= 6
    )
    assert disc.radius >= disc.box.width / 2 - 1
    marks = [g.box for g in analysis.graphics if g.box.intersection(Box(50, 30, 17, 17)) > 0]
    assert marks and all(disc.box.contains(m, slack=1) for m in marks)
    assert max(m.width for m in marks) >= 14 and max(m.height for m in marks) >= 14
