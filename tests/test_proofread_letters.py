"""Exact text: the one-stroke look-alikes I, l, 1 and i, judged by their ink in the line's fitted
face. An l reaches above the capitals' height, an i has a dot over a gap, a one a flag; where the
face draws two alike, the reading stands. Lines are drawn with the
bundled faces (see tests/test_local_text.py's helpers), so each test costs a few drawings."""

from __future__ import annotations

import pytest

from tests.test_local_text import _draw, _proofread_drawing


def _read(family: str, truth: str, read: str, weight: int = 400, size: float = 14.0) -> str:
    face, alpha = _draw(family, truth, weight, size)
    return _proofread_drawing(read, alpha, face, weight, size)


def test_a_capital_i_read_as_l_beside_a_capital_comes_back_by_its_height() -> None:
    """daisy_landing's "AI summaries" read "Al summaries": in Poppins the l stands 0.7 px above the
    capitals at 18 px, and the ink's stem stops at the A's height."""
    assert _read("Poppins", "AI summaries", "Al summaries", 600, 18.0) == "AI summaries"


def test_a_real_al_keeps_its_l() -> None:
    """The name Al: its l reaches above the A."""
    assert _read("Poppins", "Al Green sings", "Al Green sings", 600, 18.0) == "Al Green sings"


def test_where_the_face_draws_i_and_l_alike_the_reading_stands() -> None:
    """Inter's I and l are one stem of one height: nothing tells "AI" from "Al"."""
    assert _read("Inter", "AI summaries", "Al summaries") == "Al summaries"


def test_an_i_read_among_capitals_is_a_capital_where_the_ink_has_no_dot() -> None:
    """tabler_dashboard's "UI Designer" read "Ui Designer": Inter's i has a dot over a gap, the
    ink's stem is unbroken."""
    assert _read("Inter", "UI Designer", "Ui Designer", 400, 12.0) == "UI Designer"
    assert _read("Inter", "Ui Designer", "Ui Designer", 400, 12.0) == "Ui Designer"


@pytest.mark.parametrize(("truth", "read"), [("1W", "IW"), ("1M", "lM"), ("1M", "1M"), ("IT", "IT")])
def test_a_one_before_a_unit_is_told_from_i_and_l_by_its_flag(truth: str, read: str) -> None:
    """tw_crypto_wallet's range buttons "1D 1W 1M 1Y" read "1D", "IW" and "1M" (and "1M" set as
    "lM" by the proofreader itself): Poppins' one has a flag at its top, its I and l none."""
    assert _read("Poppins", truth, read, 500, 12.5) == truth


@pytest.mark.parametrize("family", ["Lato", "DejaVu Sans Mono"])
def test_real_stems_keep_their_letters(family: str) -> None:
    """Words whose I, l, 1, i and t are what OCR read."""
    for text in ("Illinois in 1990", "Press Ctrl+t to lit it", "Part II of AI"):
        assert _read(family, text, text) == text


def test_a_capital_i_stays_where_the_ink_stands_taller_than_its_fitted_size() -> None:
    """bulma_product's "STRIDE" in Lato 900: the ink's capitals stood 5% taller than drawn at the
    fitted size (its width fitted), its I as tall as the face's l would be; against the word's
    own capitals it is a capital's height."""
    import cv2

    face, drawn = _draw("Lato", "STRIDE", 900, 21.0)
    alpha = cv2.resize(drawn, (drawn.shape[1], round(drawn.shape[0] * 1.05)), interpolation=cv2.INTER_LINEAR)
    assert _proofread_drawing("STRIDE", alpha, face, 900, 21.0) == "STRIDE"


def test_an_l_read_among_capitals_comes_back_as_a_capital() -> None:
    """bs_pricing's "API and webhooks" read "APl" (where the heights tell nothing, the glyphs'
    correlation decides, as before the heights were measured)."""
    assert _read("Open Sans", "API and webhooks", "APl and webhooks", 400, 16.0) == "API and webhooks"
