"""Letters and spaces measured against a line's ink: word gaps respace must find, words it must
leave whole, and second readings that may not replace the first."""

from __future__ import annotations

import types

import numpy as np
from PIL import Image

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


def test_a_separator_between_words_has_a_word_gap_on_both_sides() -> None:
    # A face fitted a little off (Lato 300 at 17 px over Lato 400 at 16 px) centres the "·" other
    # than the page: the gap after it measured a word gap, the one before it 0.2 px short of one.
    from replicator.backends.local.spacing import respace

    drawn = "4.2 · 318 reviews"
    face, alpha = _ink("Lato", drawn, 16.0)
    filled = (alpha > 0.2).any(axis=0)
    columns = np.flatnonzero(filled)
    filled = filled[columns[0] : columns[-1] + 1]
    fit = FontFit(face, 300, 17.0, 0.0, FONTS.measure("4.2·318 reviews", face, 300), 0.2)
    assert respace("4.2·318 reviews", filled, fit)[0] == drawn


def test_a_slash_read_against_a_word_keeps_to_it_and_a_spaced_one_keeps_its_spaces() -> None:
    # tabler_dashboard's "/careers" (a page path in Inter, in the page's own pixels): the slash's
    # wide side bearings, measured against the face fitted to this short line, looked like a word
    # gap ("/ careers").
    from replicator.backends.local.text import read_lines
    from replicator.models import Box
    from replicator.ocr import OcrLine
    from tests.plugins.pages import REAL_REFERENCES_DIR

    with Image.open(REAL_REFERENCES_DIR / "tabler_dashboard.png") as page:
        rgb = np.asarray(page.convert("RGB"))[540:590, 940:1060]
    lines = read_lines(np.ascontiguousarray(rgb), [OcrLine("/careers", Box(24, 12, 62, 22), 0.999)])
    assert [line.text for line in lines] == ["/careers"]
    # Spaces OCR dropped on both sides of a slash between words still come back.
    for family, size in (("Inter", 13.0), ("DejaVu Sans", 13.0), ("Liberation Sans", 14.0)):
        assert _respaced(family, "per editor / month", "per editor/month", size) == "per editor / month"
        assert _respaced(family, "Visits to /pricing/teams", "Visits to /pricing/teams", size) == (
            "Visits to /pricing/teams"
        )


def test_letters_of_a_word_read_right_stay_together() -> None:
    # The failure the floor guards against: no space inside a word ("Your s tatement i s r eady"),
    # while the word gaps OCR ran together still come back.
    drawn = "Your statement is ready for review"
    assert _respaced("Lato", drawn, "Your statementis ready forreview", 14.0) == drawn
    assert _respaced("Roboto", drawn, drawn, 13.0) == drawn


def test_a_second_reading_that_differs_only_in_spaces_is_not_taken() -> None:
    # bulma_product: "★★★★☆  4.2·318 reviews" read again from its tight crop without spaces fitted
    # a face better; spaces are respace's to find, from the ink's gaps.
    from replicator.backends.local.text import _Draft, _second_looks

    text = "4.2 · 318 reviews"
    face, alpha = _ink("Lato", text, 16.0)
    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    fit = FontFit(face, 400, 16.0, 0.0, FONTS.measure(text, face, 400), 0.5)
    crop = np.repeat((255 - 255 * alpha)[..., None], 3, axis=2).astype(np.uint8)
    ink = types.SimpleNamespace(crop=crop, faces=(face,))
    seen: list[tuple[int, ...]] = []

    def recognize(crops: list[np.ndarray]) -> list[tuple[str, float]]:
        seen.extend(crop.shape for crop in crops)
        return [("4.2·318reviews", 0.99)] * len(crops)

    bounds = (0, 0, alpha.shape[1], alpha.shape[0])
    box = (0.0, 0.0, float(alpha.shape[1]), float(alpha.shape[0]))
    draft = _Draft(ink, text, bounds, box, measured, False, 0.0, fit, False)  # type: ignore[arg-type]
    _second_looks([draft], recognize)
    assert seen == [crop.shape]  # the badly fitting piece was read again, from its whole ink
    assert draft.text == text


def test_a_letter_two_detector_boxes_share_is_read_once() -> None:
    # bulma_project_form: the detector boxed "Publish open data after 12 months" and, overlapping
    # it, "s  Notify partner agencies", whose "s" is the last letter of "months": "12 monthss".
    from PIL import Image, ImageDraw, ImageFont

    from replicator.backends.local.text import read_lines
    from replicator.models import Box
    from replicator.ocr import OcrLine

    face = FACES["DejaVu Sans"]
    font = ImageFont.truetype(str(face.regular), 16, index=face.index)
    first, second = "open data after 12 months", "Notify partners"
    gap = 40
    width = int(font.getlength(first))
    image = Image.new("RGB", (20 + width + gap + int(font.getlength(second)) + 20, 30), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 6), first, font=font, fill="black")
    draw.text((20 + width + gap, 6), second, font=font, fill="black")
    s_left = 20 + font.getlength(first[:-1])
    lines = [
        OcrLine(first, Box(16, 2, width + 8, 26), 0.99),
        OcrLine("s  " + second, Box(s_left - 2, 1, image.width - s_left - 16, 27), 0.95),
    ]
    texts = [line.text for line in read_lines(np.asarray(image), lines)]
    assert texts == [first, second]


def _restored(family: str, drawn: str, read: str, size: float) -> str:
    """What restore_letters makes of OCR's ``read`` over ``drawn``'s ink, fitted as read."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.letters import restore_letters

    face, alpha = _ink(family, drawn, size)
    filled = (alpha > 0.2).any(axis=0)
    fit = fit_font(
        read, float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha=alpha, faces=(face,)
    )
    return restore_letters(read, fit, alpha, filled)


def test_a_doubled_letter_read_once_comes_back_where_the_words_ink_is_a_letter_wider() -> None:
    # status_page: "may return errors for up to 40 seconds" read as "return erors".
    drawn = "the EU region may return errors for up to 40 seconds while we test"
    assert _restored("Liberation Sans", drawn, drawn.replace("errors", "erors"), 15.0) == drawn
    assert _restored("Lato", drawn, drawn.replace("errors", "erors"), 14.0) == drawn


def test_a_letter_read_twice_goes_where_the_words_ink_is_a_letter_narrower() -> None:
    drawn = "Publish open data after 12 months to partner agencies"
    assert _restored("DejaVu Sans", drawn, drawn.replace("months", "monthss"), 15.0) == drawn


def test_a_period_or_comma_read_as_nothing_comes_back_where_the_words_ink_ends_in_one() -> None:
    # bs_profile: "the lake was completely still. Bring microspikes" read without its period.
    for family, size in (("Lato", 16.0), ("Liberation Sans", 15.0), ("Roboto", 14.0)):
        for drawn in (
            "and the lake was completely still. Bring microspikes, the north side",
            "Fog burned off at the top, and the lake was completely still",
        ):
            read = drawn.replace("still.", "still").replace("microspikes,", "microspikes")
            assert _restored(family, drawn, read, size) == drawn


def test_words_read_right_keep_their_letters() -> None:
    # Doubled letters that are there, and single ones that are, stay as read.
    for family, size in (("Liberation Sans", 15.0), ("Lato", 14.0), ("Roboto", 13.0)):
        for drawn in ("Posted 2 days ago · Mar 10, 2025 - 14:05 UTC", "Books will be all sorted by letter"):
            assert _restored(family, drawn, drawn, size) == drawn


def test_a_sign_set_close_to_its_digit_is_not_stripped_as_an_icon() -> None:
    # tw_crypto_wallet: "+2.81%" in a monospace face, its "." standing apart, so "+2" is one end
    # cluster; the "+" was taken for an icon and that cluster dropped with it: ".81%".
    from PIL import Image, ImageDraw, ImageFont

    from replicator.backends.local.text import read_lines
    from replicator.models import Box
    from replicator.ocr import OcrLine

    face = FACES["JetBrains Mono"]
    font = ImageFont.truetype(str(face.regular), 14, index=face.index)
    text = "+2.81%"
    image = Image.new("RGB", (int(font.getlength(text)) + 24, 28), (17, 24, 39))
    ImageDraw.Draw(image).text((12, 6), text, font=font, fill=(52, 211, 153))
    lines = read_lines(np.asarray(image), [OcrLine(text, Box(8, 2, image.width - 16, 24), 0.99)])
    assert [line.text for line in lines] == [text]


def test_a_ratings_text_is_spaced_in_a_font_fitted_to_its_own_ink() -> None:
    # bulma_product: "★★★★☆ 4.2·318 reviews". No text face draws the page's stars, the whole line
    # fitted Merriweather 19 px for Lato 16 px, and against that the gaps around "·" were not
    # word gaps; fitted after the stars, the text's own face finds them.
    from PIL import Image, ImageDraw, ImageFont

    from replicator.backends.local.text import _respace

    stars = ImageFont.truetype(str(FACES["DejaVu Sans"].regular), 16)
    lato = ImageFont.truetype(str(FACES["Lato"].regular), 16, index=FACES["Lato"].index)
    words = "4.2 · 318 reviews"
    image = Image.new("L", (24 + 90 + 8 + int(lato.getlength(words)) + 12, 30), 255)
    draw = ImageDraw.Draw(image)
    for k, star in enumerate("★★★★☆"):
        draw.text((12 + 18 * k, 6), star, font=stars, fill=0)
    draw.text((12 + 5 * 18 + 8, 6), words, font=lato, fill=0)
    coverage = 1.0 - np.asarray(image, dtype=np.float32) / 255.0
    rows = np.flatnonzero(coverage.max(axis=1) > 0.2)
    columns = np.flatnonzero(coverage.max(axis=0) > 0.2)
    alpha = coverage[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    read = "★★★★☆ 4.2·318 reviews"
    serif = FACES["Merriweather"]
    fit = FontFit(serif, 400, 19.0, 0.0, FONTS.measure(read, serif, 400), 0.52)
    text, _fit, _gaps = _respace(read, (alpha > 0.2).any(axis=0), fit, measured, (FACES["Lato"], serif))
    assert text == "★★★★☆ " + words
