"""Marks past the end of OCR's box: the detector leaves a trailing comma or a line-continuing
backslash a space after the last word outside its box, and the recognizer never sees it. The
line is read again with the mark in its crop (tails.read_tails), and only marks are added."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.fonts import FONTS
from replicator.backends.local.page import analyze
from replicator.backends.local.tails import read_tails
from replicator.models import Box
from replicator.ocr import OcrEngine, OcrLine
from tests.plugins.pages import real_reference_crop

_CODE_BACKGROUND = (40, 44, 60)


def _line(family: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """``text`` drawn at 14 px in light green on a code block's dark blue: the page, and the
    columns its ink covers."""
    face = next(f for f in FONTS.faces if f.family == family)
    font = ImageFont.truetype(FONTS.path(face, 400) or "", 14)
    image = Image.new("RGB", (320, 40), _CODE_BACKGROUND)
    ImageDraw.Draw(image).text((10, 12), text, font=font, fill=(150, 220, 150))
    rgb = np.asarray(image)
    inked = np.abs(rgb.astype(np.int16) - _CODE_BACKGROUND).max(axis=2) > 40
    return rgb, inked


def _box_before_last_mark(inked: np.ndarray) -> Box:
    """The box a detector that stopped at the last word draws: its ink, padded, up to the column
    before the last gap."""
    columns, rows = np.flatnonzero(inked.any(axis=0)), np.flatnonzero(inked.any(axis=1))
    last_word_end = int(columns[np.flatnonzero(np.diff(columns) > 1)[-1]]) + 1
    left, top = int(columns[0]) - 4, int(rows[0]) - 5
    return Box(left, top, last_word_end - left, int(rows[-1]) - int(rows[0]) + 10)


@pytest.mark.parametrize("family", ["Roboto Mono", "DejaVu Sans Mono", "Liberation Mono"])
@pytest.mark.parametrize(
    "text", ['"name": "Ada Lovelace",', '"amount": 24000,', "-d amount=24000 \\", "Then it rained."]
)
def test_a_mark_left_outside_the_box_comes_back(family: str, text: str) -> None:
    rgb, inked = _line(family, text)
    line = OcrLine(text[:-1].rstrip(), _box_before_last_mark(inked), 0.99)
    (again,) = read_tails(rgb, [line], OcrEngine.shared().recognize)
    assert again.text == text
    assert again.box.right > line.box.right


@pytest.mark.parametrize("after", ["9", "\u2192", "x", "Lyon"])
def test_a_word_or_an_arrow_after_the_box_is_not_added(after: str) -> None:
    """A box that ends before a word (the next cell of a row), or before an arrow after a link,
    stays as it was: a word is the detector's to find, an arrow is an icon."""
    text = f"Invoices {after}"
    rgb, inked = _line("Roboto Mono", text)
    line = OcrLine("Invoices", _box_before_last_mark(inked), 0.99)
    (again,) = read_tails(rgb, [line], OcrEngine.shared().recognize)
    assert again == line


def test_a_json_sample_keeps_the_commas_that_end_its_lines() -> None:
    """api_reference's response sample: the detector's boxes end at each line's closing quote or
    number, and lines lost their trailing comma (a shell command its backslash)."""
    # The whole page: the detector's boxes depend on the crop it is given.
    png = real_reference_crop("api_reference", (0, 0, 1440, 900))
    texts = [line.text for block in analyze(png).blocks for line in block.lines]
    for line in (
        "-d amount=24000 \\",
        '"id": "po_1QmZ8n2eZvKYlo2C",',
        '"object": "payout",',
        '"amount": 24000,',
        '"method": "instant",',
        '"status": "in_transit",',
    ):
        assert line in texts
    # Lines that end without a mark gain none.
    assert '"metadata": {}' in texts
    assert "-d method=instant" in texts


@pytest.mark.parametrize("family", ["Roboto Mono", "DejaVu Sans Mono", "Liberation Mono"])
@pytest.mark.parametrize(
    ("mark", "leans"), [("\\", True), ("1", False), ("l", False), ("|", False), ("/", False)]
)
def test_a_backslash_is_told_from_an_upright_stroke_by_its_lean(family: str, mark: str, leans: bool) -> None:
    """api_reference's `curl https://api.paywell.dev/v1/payouts \\`: read again with its tail, the
    backslash came out "1". A backslash's ink moves right down its rows; a 1, an l or a bar stands."""
    from replicator.backends.local.tails import _leans_back

    rgb, inked = _line(family, f"payouts {mark}")
    columns, rows = np.flatnonzero(inked.any(axis=0)), np.flatnonzero(inked.any(axis=1))
    box = Box(int(columns[0]) - 4, int(rows[0]) - 5, 60, int(rows[-1]) - int(rows[0]) + 10)
    assert _leans_back(rgb, box, int(columns[-1]) + 1) is leans


def test_the_curl_line_s_backslash_read_as_one_is_a_backslash() -> None:
    """The whole page (OCR reads a crop differently): its first curl line keeps its backslash."""
    from tests.plugins.pages import REAL_REFERENCES_DIR

    analysis = analyze((REAL_REFERENCES_DIR / "api_reference.png").read_bytes())
    texts = [ln.text for block in analysis.blocks for ln in block.lines]
    assert "curl https://api.paywell.dev/v1/payouts \\" in texts, texts
