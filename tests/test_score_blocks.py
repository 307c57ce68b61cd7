"""Block merging and matching, colors and ranking: the score's parts on hand-made inputs."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from replicator.models import Box, Discrepancy
from replicator.score.blocks import (
    TextBlock,
    consolidate,
    match_blocks,
    merge_into_lines,
    normalize_text,
    paragraphs,
    position_similarity,
    regroup,
)
from replicator.score.color import ciede2000, dominant_color, ink_color, to_hex
from replicator.score.discrepancies import MAX_ITEMS, rank
from replicator.score.visual import paint_over, text_mask


def block(text: str, x: float, y: float, w: float, h: float = 18.0) -> TextBlock:
    return TextBlock(text, Box(x, y, w, h), (0, 0, 0))


def test_fragments_of_one_line_merge_but_distant_nav_items_do_not() -> None:
    fragments = [block("Hello", 10, 100, 40), block("bold", 54, 101, 30), block("world", 88, 100, 40)]
    nav = [block("Product", 500, 100, 60), block("Pricing", 600, 100, 55)]
    lines = merge_into_lines(fragments + nav)
    assert [line.text for line in lines] == ["Hello bold world", "Product", "Pricing"]
    assert lines[0].box == Box(10, 100, 118, 19)


def test_one_ocr_line_over_several_dom_boxes_is_matched_whole() -> None:
    ocr_line = [block("Home About Contact", 100, 20, 300, 24)]
    dom = [block("Home", 104, 24, 50), block("About", 190, 24, 60), block("Contact", 300, 24, 80)]
    joined = consolidate(ocr_line, dom)
    assert [b.text for b in joined] == ["Home About Contact"]
    # ... and the reverse: one DOM line that OCR read as two pieces.
    pieces = [block("Sign in to", 100, 20, 80), block("continue", 200, 20, 70)]
    assert [b.text for b in consolidate([block("Sign in to continue", 100, 22, 170)], pieces)] == [
        "Sign in to continue"
    ]


def test_lines_that_do_not_read_better_together_stay_apart() -> None:
    outer = [block("Alpha", 100, 20, 300)]
    inner = [block("Alpha", 104, 22, 50), block("Zulu", 300, 22, 40)]
    assert consolidate(outer, inner) == inner


def test_matching_is_optimal_not_first_come() -> None:
    # Greedy on the first reference block would take "Sign in now" (its best) and leave the second
    # reference block with nothing; the optimal assignment pairs both.
    ref = [block("Sign in", 0, 0, 50), block("Sign in now", 0, 100, 80)]
    cand = [block("Sign in now", 0, 100, 80), block("Sign ins", 0, 0, 50)]
    pairs = {(r, c) for r, c, _ in match_blocks(ref, cand, width=1280, height=800)}
    assert pairs == {(0, 1), (1, 0)}


def test_repeated_labels_pair_by_position() -> None:
    ref = [block("Learn more", x, 500, 80) for x in (100, 500, 900)]
    cand = [block("Learn more", x + 5, 500, 80) for x in (900, 100, 500)]
    pairs = sorted((r, c) for r, c, _ in match_blocks(ref, cand, width=1280, height=800))
    assert pairs == [(0, 1), (1, 2), (2, 0)]


def test_unrelated_text_is_not_matched() -> None:
    assert (
        match_blocks([block("Pricing", 0, 0, 50)], [block("Zebra cafe", 0, 0, 50)], width=1280, height=800)
        == []
    )


def test_text_comparison_ignores_spacing_case_and_ocr_confusions() -> None:
    assert normalize_text("© 2024  Northwind") == normalize_text("@2024northwind") == "2024northwind"
    assert normalize_text("“Quoted” — text") == normalize_text('"quoted"-text')
    assert normalize_text("Privacy · Terms · Contact") == normalize_text("Privacy - Terms Contact")
    assert normalize_text("北风 日程。") == "北风日程"
    assert normalize_text("→ ★") == "→★"  # only symbols: kept


def test_differently_wrapped_paragraphs_are_compared_whole() -> None:
    ref = [block("The quick brown fox jumps", 50, 100, 300), block("over the lazy dog", 50, 124, 200)]
    cand = [block("The quick brown fox", 50, 100, 230), block("jumps over the lazy dog", 50, 124, 270)]
    assert paragraphs(ref) == [[0, 1]] and paragraphs(cand) == [[0, 1]]
    assignment = match_blocks(ref, cand, width=1280, height=800)
    result = regroup(ref, cand, assignment)
    assert result is not None
    new_ref, new_cand = result
    assert [b.key for b in new_ref] == [b.key for b in new_cand] == ["thequickbrownfoxjumpsoverthelazydog"]


def test_position_allows_for_box_style_but_not_for_moves() -> None:
    same, _, _ = position_similarity(Box(100, 100, 200, 20), Box(98, 102, 204, 16), 1280)
    assert same == 1.0
    moved, dx, dy = position_similarity(Box(100, 100, 200, 20), Box(100, 140, 200, 20), 1280)
    assert dy == 40 and dx == 0 and 0.6 < moved < 0.8
    # Left-aligned text of another width has not moved.
    wider, _, _ = position_similarity(Box(100, 100, 200, 20), Box(100, 100, 260, 20), 1280)
    assert wider == 1.0


def test_ciede2000_and_hex() -> None:
    assert ciede2000((51, 51, 51), (51, 51, 51)) == 0.0
    assert 20 < ciede2000((51, 51, 51), (119, 119, 119)) < 35
    assert ciede2000((255, 255, 255), (15, 23, 42)) > 80
    assert to_hex((15, 23, 42)) == "#0f172a"


def test_ink_color_finds_the_text_color_on_its_background() -> None:
    image = np.full((40, 200, 3), (239, 246, 255), dtype=np.uint8)
    image[10:30, 20:180:4] = (51, 51, 51)  # vertical strokes
    image[10:30, 21:180:4] = (140, 140, 145)  # anti-aliased edges
    measured = ink_color(image, Box(0, 0, 200, 40))
    assert measured is not None
    color, background = measured
    # Measured at JPEG's color resolution: a 1 px stroke beside a bluish page is a shade bluish.
    assert ciede2000(color, (51, 51, 51)) < 4.0 and background == (239, 246, 255)  # 8 is visible
    assert ink_color(np.full((40, 200, 3), 255, dtype=np.uint8), Box(0, 0, 200, 40)) is None


def test_white_text_on_a_blue_bar_is_as_white_in_a_jpeg_of_it() -> None:
    # A design saved as a JPEG tints thin white text toward the bar's blue (4:2:0 chroma): both
    # sides are measured at that color resolution, so the PNG and the JPEG agree.
    image = Image.new("RGB", (240, 40), (13, 110, 253))
    ImageDraw.Draw(image).text(
        (10, 8), "More info about it", fill=(255, 255, 255), font=ImageFont.load_default(22)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    png = np.asarray(image)
    jpeg = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    box = Box(0, 0, 240, 40)
    crisp, lossy = ink_color(png, box), ink_color(jpeg, box)
    assert crisp is not None and lossy is not None
    assert ciede2000(crisp[0], lossy[0]) < 6.0  # text colors differ from 8 on in the score


def test_dominant_color_is_exact_for_flat_backgrounds() -> None:
    image = np.full((50, 50, 3), (15, 23, 42), dtype=np.uint8)
    image[:10] = (255, 255, 255)
    assert dominant_color(image) == (15, 23, 42)


def test_painting_over_text_uses_the_surroundings() -> None:
    image = np.full((40, 40, 3), (200, 10, 10), dtype=np.uint8)
    image[15:20, 10:30] = 0  # "text"
    mask = text_mask((40, 40), [Box(40, 60, 80, 20)])  # source coordinates, shrunk by 4
    painted = paint_over(image, mask, (255, 255, 255))
    assert mask[15:20, 10:30].all()
    assert (painted[15:20, 10:30] == (200, 10, 10)).all()


def test_ranking_is_by_cost_capped_and_stable() -> None:
    found = [Discrepancy("missing_text", f"item {i}", weight=i / 3, box=Box(0, i, 1, 1)) for i in range(15)]
    ranked = rank(list(reversed(found)))
    assert len(ranked) == MAX_ITEMS
    assert [d.message for d in ranked[:3]] == ["item 14", "item 13", "item 12"]
    assert ranked[0].weight == round(14 / 3, 2)
    assert rank(found) == ranked
