"""Marks OCR's detector passed over: letters left out of a line, which became pictures beside it,
are read back into the line (controls.rejoin_letters), and an icon beside a label stays an icon; a
pager's lone "…" becomes text (controls.find_ellipses)."""

from __future__ import annotations

import base64

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.controls import find_ellipses, rejoin_letters
from replicator.backends.local.fonts import FONTS
from replicator.backends.local.model import Graphic
from replicator.backends.local.page import analyze
from replicator.backends.local.text import read_lines
from replicator.models import Box, Viewport
from replicator.ocr import OcrEngine, OcrLine
from replicator.render import SealedBrowserPool

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


def _face(family: str, weight: int) -> str:
    from replicator.backends.local.webfonts import WebFontLibrary

    found = next(f for f in WebFontLibrary.shared().families if f.family == family)
    data = base64.b64encode(dict(found.upright)[weight].read_bytes()).decode()
    return f"@font-face{{font-family:'{family}';font-weight:{weight};src:url(data:font/woff2;base64,{data})}}"


async def test_numbers_standing_alone_are_text_and_a_mark_stays_a_picture(
    browser_pool: SealedBrowserPool,
) -> None:
    # bs_news_portal's "Most read" ranks, large red Merriweather 900, and tw_calendar's day
    # numbers: OCR's detector passed over the lone digits, and the graphics finder traced them
    # as marks. Read alone on their surface they are text (the "1" without the underline its
    # foot had been taken for); a one-colour mark that is no digit stays a picture.
    rank = "font:900 28px Merriweather;color:#c8102e;width:40px"
    rows = "".join(
        f'<div style="display:flex;align-items:center;margin:0 0 18px"><span style="{rank}">{n}</span>'
        f'<span style="font:500 16px Inter;color:#1b1b1b">{title}</span></div>'
        for n, title in (("1", "Parliament passes housing bill"), ("4", "Inside the lab growing coral"))
    )
    days = "".join(
        f'<div style="width:120px;height:60px;border:1px solid #e2e8f0;padding:8px;font:400 14px Inter;'
        f'color:#1e293b">{d}</div>'
        for d in ("5", "8")
    )
    mark = (
        '<svg width="22" height="22" viewBox="0 0 22 22" style="margin:12px 0 0 4px">'
        '<path d="M12 1 L3 13 H10 L8 21 L19 8 H12 Z" fill="#7c3aed"/></svg>'
    )
    html = (
        f"<!doctype html><html><head><style>{_face('Merriweather', 900)}{_face('Inter', 400)}"
        f"{_face('Inter', 500)}body{{margin:30px;background:#fff}}</style></head><body>{rows}"
        f'<div style="display:flex">{days}</div>{mark}</body></html>'
    )
    render = await browser_pool.render(html, Viewport(600, 320))
    analysis = analyze(render.png)
    lines = [ln for block in analysis.blocks for ln in block.lines]
    texts = [ln.text for ln in lines]
    for digit in ("1", "4", "5", "8"):
        assert digit in texts, texts
    one = next(ln for ln in lines if ln.text == "1")
    assert not one.underline
    assert one.fit.face is not None and one.fit.face.family == "Merriweather" and one.fit.weight >= 800
    for line in lines:
        assert not any(g.box.intersection(line.ink) > 0.3 * line.ink.area for g in analysis.graphics), (
            line.text
        )
    assert any(g.box.y > 170 and g.box.width >= 12 for g in analysis.graphics)  # the bolt
