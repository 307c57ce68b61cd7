"""Boxes and dividers found by the local backend's image analysis (regions.py)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from replicator.backends.local.regions import find_regions, find_rules, segment


def test_a_white_card_on_a_grey_body_under_a_white_nav_bar_is_a_box() -> None:
    """The page's white is its nav bar's, which reaches the page's edges; the bigger white card on
    the grey body is a box of its own (bulma_project_form's form card, tabler's chart card)."""
    image = Image.new("RGB", (600, 400), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 599, 39), fill=(255, 255, 255))  # the nav bar
    draw.rectangle((100, 70, 499, 369), fill=(255, 255, 255))  # the card: more white than the bar
    rgb = np.asarray(image).copy()
    root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
    assert root.fill == (255, 255, 255)
    cards = [r for r in regions if r.visible and r.fill == (255, 255, 255)]
    assert len(cards) == 1, [(r.box, r.fill) for r in regions]
    card = cards[0].box
    assert abs(card.x - 100) <= 1 and abs(card.y - 70) <= 1
    assert abs(card.width - 400) <= 2 and abs(card.height - 300) <= 2
    body = cards[0].parent
    assert body is not None and body.fill == (245, 246, 248)


def test_a_faint_divider_between_list_items_is_a_rule_of_its_color() -> None:
    """Tailwind's gray-100 divider (#f3f4f6, 12 levels off white) between an order's items."""
    image = Image.new("RGB", (500, 200), (255, 255, 255))
    ImageDraw.Draw(image).line((40, 100, 439, 100), fill=(243, 244, 246), width=1)
    rgb = np.asarray(image).copy()
    rules = find_rules(rgb, np.zeros(rgb.shape[:2], dtype=bool), segment(rgb))
    assert len(rules) == 1
    rule = rules[0]
    assert not rule.vertical and rule.color == (243, 244, 246)
    assert rule.box.height == 1 and abs(rule.box.width - 400) <= 1 and rule.box.y == 100


def test_a_small_antialiased_disc_is_a_box_rounded_to_half_its_side() -> None:
    """A 24 px color swatch: its component leaves out the antialiased rim, so its corners alone
    read as a radius of 9 (a rounded square); it is a disc."""
    mask = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, 95, 95), fill=255)
    image = Image.new("RGB", (80, 60), "white")
    image.paste((40, 120, 220), (28, 18), mask.resize((24, 24), Image.Resampling.BOX))
    rgb = np.asarray(image).copy()
    _root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
    assert len(regions) == 1
    disc = regions[0]
    assert abs(disc.box.width - 24) <= 2 and disc.radius >= disc.box.width / 2  # round, not 9 px corners


def test_a_line_under_one_side_of_a_rounded_box_leaves_its_corners() -> None:
    # bulma_shop_grid's pagination (the development corpus' page): the current page's blue box has
    # a 1 px darker line along its bottom. Taken for a border, it grew the corner radius as a
    # border all round does (8 -> 9), and the wider corners cleared around the box erased the
    # "1" on it.
    from replicator.backends.local.page import analyze
    from tests.plugins.pages import real_reference_crop

    analysis = analyze(real_reference_crop("bulma_shop_grid", (600, 900, 1000, 1034)))
    (current,) = [r for r in analysis.regions if r.visible and r.fill[2] > 200 and r.fill[0] < 100]
    assert current.radius <= 8.5, current
    digits = [ln.text for block in analysis.blocks for ln in block.lines if current.box.contains(ln.ink)]
    assert digits == ["1"]


def test_a_field_with_an_inset_shadow_between_two_buttons_is_a_bordered_box_of_its_size() -> None:
    """bulma_product's quantity field: a 1 px border (214) around an inset shadow (a 246 row under
    its top border, a 252 column inside its left one); the "+" button's shading met the field's
    inside below that button, lending it two pixels of a column it does not have."""
    image = Image.new("RGB", (260, 120), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    border = (214, 217, 224)
    draw.rectangle((20, 30, 66, 61), outline=border)  # the "-" button, 32 px high
    draw.rectangle((66, 30, 128, 69), outline=border)  # the field, 40 px high
    draw.rectangle((128, 30, 174, 61), outline=border)  # the "+" button
    draw.line((67, 31, 127, 31), fill=(246, 246, 246))  # the inset shadow's top row
    draw.line((67, 32, 127, 32), fill=(252, 252, 252))
    draw.line((67, 33, 67, 68), fill=(252, 252, 252))
    draw.line((127, 33, 127, 61), fill=(244, 244, 244))  # the "+" button's shading, down to its edge
    rgb = np.asarray(image).copy()
    _root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
    fields = [r for r in regions if r.visible and r.box.height >= 36]
    assert len(fields) == 1, [(r.box, r.has_border) for r in regions]
    field = fields[0]
    assert field.has_border and field.border_color == border
    edges = (field.box.x, field.box.y, field.box.right, field.box.bottom)
    assert all(abs(a - b) <= 1 for a, b in zip(edges, (66, 30, 129, 70), strict=True)), edges


def _supersampled_cards(page: tuple[int, int, int], card: tuple[int, int, int]) -> np.ndarray:
    """A page with two rounded cards a few levels off it, drawn at 4x and scaled down as a
    browser antialiases their corners."""
    big = Image.new("RGB", (2400, 1600), page)
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((160, 160, 1160, 1360), 64, fill=card)
    draw.rounded_rectangle((1360, 160, 2240, 760), 64, fill=card)
    return np.asarray(big.resize((600, 400), Image.Resampling.BOX)).copy()


def test_cards_a_few_levels_off_their_page_are_boxes_though_their_corners_blend_in() -> None:
    """daisy_pricing_dark's side cards (#0c1425 on #0f172a) and a gray-50 card on white: the
    corners' antialiasing steps from card to page by less than the segmentation's step, which ran
    each card into the page, and the replica lost them."""
    for page, card in (((15, 23, 42), (12, 20, 37)), ((255, 255, 255), (249, 250, 251))):
        rgb = _supersampled_cards(page, card)
        root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
        assert root.fill == page
        cards = sorted((r for r in regions if r.visible), key=lambda r: r.box.x)
        assert [r.fill for r in cards] == [card, card], [(r.box, r.fill) for r in regions]
        for found, (x, y, w, h) in zip(cards, ((40, 40, 250, 300), (340, 40, 220, 150)), strict=True):
            assert max(abs(found.box.x - x), abs(found.box.y - y)) <= 1, found.box
            assert max(abs(found.box.width - w), abs(found.box.height - h)) <= 2, found.box
            assert 14 <= found.radius <= 18, found.radius


def test_a_light_round_button_on_white_is_a_disc() -> None:
    """bs_chat's paperclip button: Bootstrap's btn-light (#f8f9fa) round on white, 42 x 38 px,
    about 1,000 px inside its rim: under the 2,000 px the finer look first took, it ran into the
    page through its rim, and the replica lost the button."""
    from replicator.backends.local.page import decode
    from tests.plugins.pages import REAL_REFERENCES_DIR

    rgb = np.ascontiguousarray(decode((REAL_REFERENCES_DIR / "bs_chat.png").read_bytes())[725:800, 320:420])
    root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
    assert root.fill == (255, 255, 255)
    (disc,) = [r for r in regions if r.visible]
    assert disc.fill == (248, 249, 250)
    assert max(abs(disc.box.x - 24), abs(disc.box.y - 20)) <= 1 and abs(disc.box.width - 42) <= 2, disc.box
    assert disc.radius >= 17, disc.radius


def test_a_bar_along_the_image_edge_is_its_boxs_border_and_a_strip_of_page_is_not() -> None:
    """bs_chat's active contact: a 3 px blue left border at x 0-2, the image's edge. Its run has no
    outside beyond it, and it had been left out (the item a box from x 3, no bar). A strip of the
    page's own white between a card and the edge runs on past the card, and is no border."""
    image = Image.new("RGB", (400, 300), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 50, 2, 117), fill=(59, 91, 219))  # the bar
    draw.rectangle((3, 50, 299, 117), fill=(240, 244, 255))  # the active item
    draw.rectangle((3, 180, 199, 259), fill=(226, 232, 240))  # a card 3 px off the edge
    rgb = np.asarray(image).copy()
    _root, regions, _ = find_regions(rgb, segment(rgb), np.zeros(rgb.shape[:2], dtype=bool))
    (item,) = [r for r in regions if r.visible and r.fill == (240, 244, 255)]
    assert item.box.x == 0 and item.border_width[3] == 3, (item.box, item.border_width)
    assert item.border_colors[3] == (59, 91, 219)
    (card,) = [r for r in regions if r.visible and r.fill == (226, 232, 240)]
    assert card.border_width[3] == 0 and abs(card.box.x - 3) <= 1, (card.box, card.border_width)
