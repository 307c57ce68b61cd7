"""The fidelity metrics (bench/_fidelity_metrics.py) on hand-made truth/replica pairs."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _dom_truth import Control, Graphic, Line, Survey, Table
from _fidelity_metrics import (
    graphic_recall,
    raster_honesty,
    semantic_recall,
    text_match,
)


def line(
    text: str,
    x: float,
    y: float,
    *,
    w: float | None = None,
    size: float = 16,
    block: int = 0,
    **style: object,
) -> Line:
    base = Line(
        text=text,
        box=(x, y, w if w is not None else len(text) * size * 0.5, size * 1.25),
        family="Inter",
        family_class="sans",
        size=size,
        weight=400,
        style="normal",
        color=(0, 0, 0),
        letter_spacing=0,
        transform="none",
        variant="normal",
        block=block,
    )
    return replace(base, **style)  # type: ignore[arg-type]


def survey(**parts: object) -> Survey:
    return Survey(width=800, height=600, full_height=600, viewport=(800, 600), **parts)  # type: ignore[arg-type]


TRUTH_LINES = (
    line("Welcome back", 100, 40, size=28, weight=700, block=0),
    line("Sign in to continue", 100, 90, block=1),
    line("RADIO", 100, 130, block=2),
)


# --- text ---------------------------------------------------------------------------------------


def test_identical_text_is_all_found_and_fonts_agree() -> None:
    result = text_match(survey(lines=TRUTH_LINES), survey(lines=TRUTH_LINES))
    assert result.exact == 1.0
    assert result.font == 1.0
    assert result.family == 1.0


def test_a_missing_line_costs_its_characters() -> None:
    replica = survey(lines=TRUTH_LINES[:2])
    result = text_match(survey(lines=TRUTH_LINES), replica)
    # 11 + 16 of 11 + 16 + 5 characters (spaces not counted)
    assert result.exact == pytest.approx(27 / 32)
    assert [m.truth.text for m in result.misses] == ["RADIO"]


def test_one_wrong_letter_is_a_miss() -> None:
    replica = survey(lines=(*TRUTH_LINES[:2], replace(TRUTH_LINES[2], text="RADI0")))
    assert text_match(survey(lines=TRUTH_LINES), replica).exact == pytest.approx(27 / 32)


def test_case_and_lost_spaces_are_misses() -> None:
    truth = survey(lines=(line("Sign in to continue", 100, 90),))
    assert text_match(truth, survey(lines=(line("Sign in tocontinue", 100, 90),))).exact == 0.0
    assert text_match(truth, survey(lines=(line("sign in to continue", 100, 90),))).exact == 0.0
    assert text_match(truth, survey(lines=(line("Sign  in to\ncontinue", 100, 90),))).exact == 1.0


def test_a_line_found_only_elsewhere_on_the_page_does_not_count() -> None:
    truth = survey(lines=(line("Sign in to continue", 100, 90),))
    far = survey(lines=(line("Sign in to continue", 100, 400),))
    assert text_match(truth, far).exact == 0.0


def test_a_paragraph_that_wraps_elsewhere_still_reads_through() -> None:
    truth = survey(
        lines=(line("The quick brown fox", 100, 100, block=3), line("jumps over the dog", 100, 120, block=3))
    )
    replica = survey(
        lines=(line("The quick brown fox jumps", 100, 102, block=9), line("over the dog", 100, 122, block=9))
    )
    assert text_match(truth, replica).exact == 1.0


def test_a_line_split_into_pieces_reads_whole() -> None:
    truth = survey(lines=(line("Don't have an account? Sign up", 100, 100, w=240),))
    replica = survey(
        lines=(
            line("Don't have an account?", 100, 100, w=176, block=1),
            line("Sign up", 282, 100, w=56, block=2),
        )
    )
    assert text_match(truth, replica).exact == 1.0
    glued = survey(
        lines=(
            line("Don't have an account?", 100, 100, w=176, block=1),
            line("Sign up", 276, 100, w=56, block=2),
        )
    )
    assert text_match(truth, glued).exact == 0.0  # no gap, no space: "account?Sign up"


def test_small_caps_compare_without_case() -> None:
    truth = survey(lines=(line("Eleanor Whitcombe", 100, 100, variant="small-caps"),))
    assert text_match(truth, survey(lines=(line("ELEANOR WHITCOMBE", 100, 100),))).exact == 1.0


def test_font_class_weight_and_size_decide_the_font_match() -> None:
    truth = survey(lines=TRUTH_LINES)
    serif = tuple(replace(ln, family="Liberation Serif", family_class="serif") for ln in TRUTH_LINES)
    assert text_match(truth, survey(lines=serif)).font == 0.0
    assert text_match(truth, survey(lines=serif)).family == 0.0
    bold = (TRUTH_LINES[0], replace(TRUTH_LINES[1], weight=700), TRUTH_LINES[2])
    assert text_match(truth, survey(lines=bold)).font == pytest.approx((11 + 5) / 32)
    near = tuple(replace(ln, size=ln.size * 1.08, weight=ln.weight + 100) for ln in TRUTH_LINES)
    assert text_match(truth, survey(lines=near)).font == 1.0
    other_sans = tuple(replace(ln, family="Roboto") for ln in TRUTH_LINES)
    result = text_match(truth, survey(lines=other_sans))
    assert (result.font, result.family) == (1.0, 0.0)


# --- graphics -----------------------------------------------------------------------------------


def _icon(image: np.ndarray, x: int, y: int) -> None:
    """A 20x20 bell-ish glyph: a dark blob with a notch, on the light page."""
    image[y + 2 : y + 16, x + 4 : x + 16] = 40
    image[y + 16 : y + 18, x + 2 : x + 18] = 40
    image[y + 5 : y + 9, x + 8 : x + 12] = 230
    image[y + 18 : y + 20, x + 8 : x + 12] = 40


def test_graphic_recall_finds_a_shifted_icon_and_misses_a_dropped_one() -> None:
    source = np.full((200, 300), 245, dtype=np.uint8)
    _icon(source, 40, 40)
    _icon(source, 200, 40)
    truth = survey(
        graphics=(
            Graphic("icon", "fa-solid fa-bell", "icon", (40, 40, 20, 20)),
            Graphic("icon", "bi-bell", "icon", (200, 40, 20, 20)),
        )
    )
    replica = np.full((200, 300), 245, dtype=np.uint8)
    _icon(replica, 43, 38)  # the first icon, 3 px right and 2 px up; the second one is gone
    result = graphic_recall(truth, source, replica)
    assert result.recall == 0.5
    assert [g.name for g in result.missing] == ["bi-bell"]
    assert result.by_group["icon"] == 0.5
    assert result.by_group["chart"] is None


def test_an_icon_moved_beyond_the_search_counts_as_missing() -> None:
    source = np.full((120, 120), 245, dtype=np.uint8)
    _icon(source, 40, 40)
    replica = np.full((120, 120), 245, dtype=np.uint8)
    _icon(replica, 60, 40)
    truth = survey(graphics=(Graphic("icon", "bi-bell", "icon", (40, 40, 20, 20)),))
    assert graphic_recall(truth, source, replica).recall == 0.0


def test_a_grey_box_in_place_of_a_photo_is_missing() -> None:
    rng = np.random.default_rng(1)
    source = np.full((200, 200), 250, dtype=np.uint8)
    source[50:150, 50:150] = rng.integers(0, 255, (100, 100))
    replica = np.full((200, 200), 250, dtype=np.uint8)
    replica[50:150, 50:150] = 128
    truth = survey(graphics=(Graphic("img", "photo.jpg", "image", (50, 50, 100, 100)),))
    assert graphic_recall(truth, source, replica).recall == 0.0
    assert graphic_recall(truth, source, source.copy()).recall == 1.0


# --- controls and tables ------------------------------------------------------------------------

FORM = survey(
    controls=(
        Control("email", (100, 100, 300, 40)),
        Control("checkbox", (100, 160, 16, 16)),
        Control("submit", (100, 200, 300, 44)),
    ),
    tables=(Table((100, 300, 600, 200), rows=5, cols=4),),
)


def test_controls_and_a_table_reproduced_are_recalled() -> None:
    replica = survey(
        controls=(
            Control("text", (102, 101, 296, 38)),
            Control("switch", (98, 158, 40, 20)),
            Control("button", (100, 200, 300, 44)),
        ),
        tables=(Table((100, 302, 600, 196), rows=5, cols=4),),
    )
    result = semantic_recall(FORM, replica)
    assert (result.recall, result.controls, result.tables) == (1.0, 1.0, 1.0)


def test_a_div_instead_of_an_input_and_a_table_as_divs_are_missing() -> None:
    replica = survey(
        controls=(Control("checkbox", (100, 160, 16, 16)), Control("button", (100, 200, 300, 44)))
    )
    result = semantic_recall(FORM, replica)
    assert result.controls == pytest.approx(2 / 3)
    assert [c.kind for c in result.missing_controls] == ["email"]
    assert result.tables == 0.0
    assert result.recall == pytest.approx(2 / 4)


def test_a_link_styled_as_a_button_stands_for_a_button_but_not_for_a_field() -> None:
    replica = survey(anchors=((100, 200, 300, 44), (100, 100, 300, 40)))
    result = semantic_recall(FORM, replica)
    assert result.by_kind == {"email": (0, 1), "checkbox": (0, 1), "submit": (1, 1)}


def test_a_control_elsewhere_or_a_table_with_other_rows_does_not_count() -> None:
    replica = survey(
        controls=(Control("email", (100, 400, 300, 40)),),
        tables=(Table((100, 300, 600, 200), rows=4, cols=4),),
    )
    result = semantic_recall(FORM, replica)
    assert result.by_kind["email"] == (0, 1)
    assert result.table_rows == ((5, 4),)
    assert result.tables == 0.0


def test_one_replica_control_matches_one_truth_control() -> None:
    truth = survey(controls=(Control("text", (100, 100, 200, 40)), Control("text", (100, 100, 200, 40))))
    replica = survey(controls=(Control("text", (100, 100, 200, 40)),))
    assert semantic_recall(truth, replica).controls == 0.5


# --- raster honesty -----------------------------------------------------------------------------


def test_a_tight_image_is_honest_and_a_page_sized_background_is_not() -> None:
    truth = survey(graphics=(Graphic("img", "avatar.jpg", "image", (100, 100, 40, 40)),))
    tight = raster_honesty(
        truth, survey(graphics=(Graphic("img", "data:image/png", "image", (99, 99, 42, 42)),))
    )
    assert tight.honest and not tight.oversized
    page = raster_honesty(
        truth, survey(graphics=(Graphic("background", "data:image/png", "image", (0, 0, 800, 600)),))
    )
    assert not page.honest
    assert len(page.section_backgrounds) == 1
    assert page.excess == pytest.approx(1.0 - 40 * 40 / (800 * 600), abs=0.01)


def test_a_crop_of_text_with_no_graphic_under_it_is_flagged() -> None:
    truth = survey(lines=TRUTH_LINES)
    result = raster_honesty(
        truth, survey(graphics=(Graphic("img", "data:image/png", "image", (100, 40, 200, 40)),))
    )
    assert len(result.unfounded) == 1
    assert not result.honest


def test_a_crop_inside_a_larger_truth_graphic_is_honest() -> None:
    # the mug drawn in the middle of a 250 px product photo, cropped tight: smaller than what it shows
    truth = survey(graphics=(Graphic("img", "mug.jpg", "image", (840, 176, 246, 246)),))
    inside = raster_honesty(
        truth, survey(graphics=(Graphic("img", "data:image/png", "image", (890, 241, 148, 155)),))
    )
    assert inside.honest and not inside.unfounded
    straddling = raster_honesty(
        truth, survey(graphics=(Graphic("img", "data:image/png", "image", (700, 380, 300, 200)),))
    )
    assert straddling.unfounded and not straddling.honest


def test_vector_graphics_are_not_rasters() -> None:
    truth = survey()
    result = raster_honesty(truth, survey(graphics=(Graphic("svg", "icon", "icon", (0, 0, 800, 600)),)))
    assert result.rasters == 0 and result.honest
