"""Word spaces in the local backend's text come from the ink's gaps, not from OCR's string alone."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.fonts import FONTS
from replicator.backends.local.text import read_lines
from replicator.models import Box
from replicator.ocr import OcrLine

FACES = {f.family: f for f in FONTS.faces}
pytestmark = pytest.mark.skipif(
    not {"DejaVu Sans", "DejaVu Sans Mono"} <= FACES.keys(),
    reason="DejaVu fonts are installed by `make setup`",
)


def read(family: str, size: int, drawn: str, ocr_text: str) -> str:
    """Draw ``drawn`` in a face and read it back as if OCR had returned ``ocr_text`` for its box."""
    font = ImageFont.truetype(str(FACES[family].regular), size)
    image = Image.new("RGB", (40 + int(font.getlength(drawn)) + 40, 3 * size), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, size), drawn, font=font, fill=(40, 40, 48))
    left, top, right, bottom = draw.textbbox((40, size), drawn, font=font)
    box = Box(left - 4, top - 3, right - left + 8, bottom - top + 6)
    lines = read_lines(np.asarray(image), [OcrLine(ocr_text, box, 0.95)])
    assert len(lines) == 1
    return lines[0].text


def test_digits_and_capitals_keep_their_words_whole() -> None:
    # OCR read the footer without its "©"; the ink between "2" and "0" is no word gap.
    assert read("DejaVu Sans", 14, "© 2024 Nimbus Inc.", "2024 Nimbus Inc.") == "© 2024 Nimbus Inc."


def test_monospace_code_gets_no_spaces_inside_words() -> None:
    code = 'pulse.init("prod", sample=0.25)'
    assert read("DejaVu Sans Mono", 14, code, code) == code


def test_a_space_ocr_dropped_after_a_comma_comes_back() -> None:
    drawn = "Create a client with your API key, then call it."
    assert read("DejaVu Sans", 16, drawn, drawn.replace("key, then", "key,then")) == drawn


def test_spaces_ocr_dropped_between_words_come_back() -> None:
    drawn = "Install the client from the package index"
    assert read("DejaVu Sans", 18, drawn, "Installthe client from thepackage index") == drawn


def tracked(family: str, size: int, drawn: str, spacing: float) -> str:
    """Draw ``drawn`` in a face's bold with ``spacing`` px between letters (CSS letter-spacing)
    and read it back as OCR read it (without spaces)."""
    font = ImageFont.truetype(str(FACES[family].bold or FACES[family].regular), size)
    image = Image.new("RGB", (80 + int(sum(font.getlength(c) + spacing for c in drawn)), 3 * size), "white")
    draw = ImageDraw.Draw(image)
    x = 40.0
    for ch in drawn:
        draw.text((x, size), ch, font=font, fill=(40, 40, 48))
        x += font.getlength(ch) + spacing
    box = Box(36, size - 3, x - 32, 1.6 * size)
    lines = read_lines(np.asarray(image), [OcrLine(drawn, box, 0.95)])
    assert len(lines) == 1
    return lines[0].text


@pytest.mark.skipif("Noto Sans" not in FACES, reason="Noto Sans is installed by `make setup`")
def test_one_ink_gap_is_no_word_gap_at_two_places() -> None:
    # OCR read the ellipsis as a period: the walk from the line's end, a glyph off, placed the
    # gap between "trail" and "report" inside "trail" ("tra il"); the walk from the start placed
    # that same gap between the words. One gap is not two, and no space is added there.
    drawn = "Share a trail report…"
    assert read("Noto Sans", 16, drawn, "Share a trail report.") == "Share a trail report."


@pytest.mark.skipif("Open Sans" not in FACES, reason="Open Sans is installed by `make setup`")
def test_tracked_out_capitals_stay_one_word() -> None:
    # A badge's "PRO" at letter-spacing 1.5 px: the fit takes the tracking for a larger size, so
    # every gap measures wider than the face draws it, "RO" by most ("PR O").
    assert tracked("Open Sans", 14, "PRO", 1.5) == "PRO"
