"""Italic text in a screenshot comes out as italic text (font-style), and upright text does not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.page import analyze, render_analysis
from tests.plugins.pages import real_reference_crop

FONT_DIR = Path("/usr/share/fonts/truetype/liberation")
pytestmark = pytest.mark.skipif(
    not (FONT_DIR / "LiberationSans-Italic.ttf").exists(),
    reason="Liberation fonts are installed by `make setup`",
)

UPRIGHT = "Builds took forty minutes on a good day"
SLANTED = "The hardest part was agreeing on what a build should mean"


def test_italic_line_is_set_in_italic_and_upright_line_is_not() -> None:
    image = Image.new("RGB", (900, 220), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (40, 50),
        UPRIGHT,
        font=ImageFont.truetype(str(FONT_DIR / "LiberationSans-Regular.ttf"), 18),
        fill=(30, 30, 30),
    )
    draw.text(
        (40, 130),
        SLANTED,
        font=ImageFont.truetype(str(FONT_DIR / "LiberationSans-Italic.ttf"), 18),
        fill=(30, 30, 30),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    analysis = analyze(buffer.getvalue())
    lines = sorted((line for block in analysis.blocks for line in block.lines), key=lambda ln: ln.ink.y)
    assert [line.italic for line in lines] == [False, True]
    html = render_analysis(analysis)
    assert html.count("font-style:italic") == 1
    italic_class = next(
        rule.split("{")[0].lstrip(".") for rule in html.splitlines() if "font-style:italic" in rule
    )
    # The second line's element carries the italic class; the first line's does not.
    elements = [part for part in html.split("<span ")[1:]]
    assert len(elements) == 2
    assert italic_class not in elements[0].split(">")[0]
    assert italic_class in elements[1].split(">")[0]


def test_a_light_italic_whose_slant_measures_short_is_still_italic() -> None:
    # bulma_product (the development corpus' page): Lato Italic 16 px under an upright Lato line
    # measured a shear of 0.05, short of an italic's, and came out in upright Merriweather 600;
    # Lato Italic explains its ink five times better.
    crop = real_reference_crop("bulma_product", (740, 300, 1280, 400))
    lines = {line.text: line for block in analyze(crop).blocks for line in block.lines}
    upright = lines["A light, grippy trail shoe with a rock plate and a roomy toe box."]
    slanted = lines["Built for long days on loose ground."]
    assert not upright.italic and slanted.italic
    for line in (upright, slanted):
        assert line.fit.face is not None and line.fit.face.family == "Lato" and abs(line.size - 16) <= 1
