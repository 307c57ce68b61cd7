"""Letters and spaces measured against a line's ink: word gaps respace must find, words it must
leave whole, and second readings that may not replace the first."""

from __future__ import annotations

import numpy as np

from replicator.backends.local.fonts import FONTS, FontFace, FontFit, draw_glyphs

FACES = {f.family: f for f in FONTS.faces}


def _ink(family: str, text: str, size: float, weight: int = 400) -> tuple[FontFace, np.ndarray]:
    """A face of ours and ``text`` drawn in it (coverage 0..1, cropped to the ink)."""
    face = FACES[family]
    drawn, _ = draw_glyphs(text, FONTS.path(face, weight, False) or "", face.index, size)
    return face, drawn.astype(np.float32)


def _respaced(family: str, drawn: str, read: str, size: float) -> str:
    """What respace makes of OCR's ``read`` over ``drawn``'s ink, in the drawing's own font."""
    from replicator.backends.local.spacing import respace

    face, alpha = _ink(family, drawn, size)
    filled = (alpha > 0.2).any(axis=0)
    columns = np.flatnonzero(filled)
    filled = filled[columns[0] : columns[-1] + 1]
    solid = read.replace(" ", "")
    fit = FontFit(face, 400, size, 0.0, FONTS.measure(solid, face, 400), 0.1)
    return respace(read, filled, fit)[0]


def test_a_word_gap_before_a_unit_is_measured_by_how_much_wider_than_solid_it_is() -> None:
    # bulma_product: "280 g" read as "280g". 0 and g sit close in Lato, so the word gap between
    # them is 3 px where the gaps OCR kept (after "t", before "6") are 4-5: by width alone it
    # stayed under the floor those set; by its excess over the letters set solid it is a space.
    # And "g" alone after a number is a unit, not a stray letter split off a word.
    drawn = "Weight 280 g · Drop 6 mm · Stack 32/26 mm"
    assert _respaced("Lato", drawn, "Weight 280g·Drop 6 mm · Stack 32/26 mm", 16.0) == drawn


def test_letters_of_a_word_read_right_stay_together() -> None:
    # The failure the floor guards against: no space inside a word ("Your s tatement i s r eady"),
    # while the word gaps OCR ran together still come back.
    drawn = "Your statement is ready for review"
    assert _respaced("Lato", drawn, "Your statementis ready forreview", 14.0) == drawn
    assert _respaced("Roboto", drawn, drawn, 13.0) == drawn
