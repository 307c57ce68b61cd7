"""Marks OCR's detector passed over: letters left out of a line, which became pictures beside it,
are read back into the line (controls.rejoin_letters), and an icon beside a label stays an icon; a
pager's lone "…" becomes text (controls.find_ellipses)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.controls import find_ellipses, rejoin_letters
from replicator.backends.local.fonts import FONTS
from replicator.backends.local.model import Graphic
from replicator.backends.local.text import read_lines
from replicator.models import Box
from replicator.ocr import OcrEngine, OcrLine

SANS = next(f for f in FONTS.faces if f.family == "DejaVu Sans")


def _tracked(text: str, size: int, tracking: float) -> tuple[np.ndarray, list[float]]:
    """``text`` drawn letter by letter with ``tracking`` px between letters: the image and each
    letter's left edge."""
    image = Image.new("RGB", (420, 40), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONTS.path(SANS, 400, False)), size)
    x, lefts = 10.0, []
    for ch in text:
        lefts.append(x)
        draw.text((x, 12), ch, font=font, fill=(180, 83, 9))
        x += font.getlength(ch) + tracking
    return np.asarray(image).copy(), lefts


def _ink_box(rgb: np.ndarray, x0: float, x1: float) -> Box:
    ink = (rgb.astype(int).sum(axis=2) < 600)[:, int(x0) : int(x1)]
    ys, xs = np.nonzero(ink)
    return Box(
        int(x0) + int(xs.min()), int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1
    )


def test_a_tracked_out_capital_left_out_of_its_line_is_read_back_into_it() -> None:
    rgb, lefts = _tracked("RECIPE OF THE WEEK", 12, 2.5)
    last = lefts[-1]
    # OCR's box stopped before the "K" (as on a real page), which became a picture.
    read = _ink_box(rgb, 0, last - 1)
    lines = read_lines(
        rgb,
        [OcrLine("RECIPE OF THE WEE", Box(read.x - 2, read.y - 2, read.width + 4, read.height + 4), 0.95)],
    )
    assert [line.text for line in lines] == ["RECIPE OF THE WEE"]
    letter = Graphic(_ink_box(rgb, last - 1, last + 12), "")
    joined, left = rejoin_letters(rgb, lines, [letter], OcrEngine.shared())
    assert [line.text for line in joined] == ["RECIPE OF THE WEEK"]
    assert left == []
    assert joined[0].ink.right >= letter.box.right - 1


def test_an_icon_beside_a_label_stays_a_picture() -> None:
    image = Image.new("RGB", (300, 40), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 28, 28), radius=4, fill=(13, 110, 253))
    draw.polygon([(15, 22), (19, 14), (23, 22)], fill="white")
    draw.text(
        (36, 11),
        "Harbor Ops",
        font=ImageFont.truetype(str(FONTS.path(SANS, 400, False)), 15),
        fill=(33, 37, 41),
    )
    rgb = np.asarray(image).copy()
    read = _ink_box(rgb, 33, 300)
    lines = read_lines(
        rgb, [OcrLine("Harbor Ops", Box(read.x - 2, read.y - 2, read.width + 4, read.height + 4), 0.98)]
    )
    icon = Graphic(Box(10, 10, 19, 19), "")
    joined, left = rejoin_letters(rgb, lines, [icon], OcrEngine.shared())
    assert [line.text for line in joined] == ["Harbor Ops"]
    assert left == [icon]


def _dots(xs: list[int], size: int = 2, y: int = 20, gray: int = 140) -> np.ndarray:
    image = Image.new("RGB", (200, 40), "white")
    draw = ImageDraw.Draw(image)
    for x in xs:
        draw.rectangle((x, y, x + size - 1, y + size - 1), fill=(gray, gray, gray))
    return np.asarray(image).copy()


def test_a_pagers_lone_ellipsis_is_text_and_a_dotted_line_is_not() -> None:
    """Three 2 px dots 4 px apart (a pager's "…", which OCR's detector passes over) are an ellipsis;
    eight at that pitch are a dotted line, and three unevenly spaced are not one."""
    found = find_ellipses(_dots([60, 64, 68]), [], [])
    assert [line.text for line in found] == ["\u2026"]
    assert abs(found[0].ink.x - 60) <= 1.5 and abs(found[0].ink.right - 70) <= 1.5
    assert find_ellipses(_dots(list(range(40, 72, 4))), [], []) == []
    assert find_ellipses(_dots([60, 64, 75]), [], []) == []
    # Dots inside a text line's box are that line's (its own periods).
    assert find_ellipses(_dots([60, 64, 68]), [], [Graphic(Box(55, 15, 20, 10), "")]) == []
