"""Exact text: small marks OCR misreads, judged by their ink in the line's fitted face. A middle dot
between words read as a hyphen, a period or an I; an em dash read twice; an ellipsis read as
periods. Lines are drawn with the bundled faces (see tests/test_local_text.py's helpers), so each
test costs a few drawings."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_local_text import _draw, _proofread_drawing

DOT = "\u00b7"


@pytest.mark.parametrize(
    ("family", "weight", "size"),
    [("Liberation Sans", 400, 13.0), ("DejaVu Sans", 400, 12.0), ("Noto Sans", 700, 16.0)],
)
@pytest.mark.parametrize("misread", ["-", ".", "I"])
def test_a_middle_dot_between_words_comes_back_from_its_ink(
    family: str, weight: int, size: float, misread: str
) -> None:
    """blog_home_mobile's "Mar 8 . 9 min read", bs_datatable's "Inc. - Privacy - Terms": a small
    round blob at half the x-height, neither a bar, nor on the baseline, nor a capital's height."""
    truth = f"By Aisha Rahman {DOT} 6 min read"
    face, alpha = _draw(family, truth, weight, size)
    assert _proofread_drawing(truth.replace(DOT, misread), alpha, face, weight, size) == truth


@pytest.mark.parametrize("family", ["Liberation Sans", "DejaVu Sans"])
def test_real_hyphens_periods_and_capital_is_stay(family: str) -> None:
    """The same marks where they are what OCR read: a spaced hyphen, a hyphen in a range, a
    sentence's period, the word I."""
    for text in (
        "Resolved - Queue consumers were scaled out",
        "Pages 1-50 of 2,481",
        "It ends here. Next one",
        "Why I think so",
    ):
        face, alpha = _draw(family, text, 400, 13.0)
        assert _proofread_drawing(text, alpha, face, 400, 13.0) == text


def test_a_dot_with_an_icon_beside_it_read_as_one_letter_comes_back_as_the_dot() -> None:
    """primer_issues' "tkaminski · [milestone icon] v2.4": OCR read the dot and the icon as one
    "I"; the piece of ink most like a middle dot is one, the icon beside it is no letter."""
    family, size = "Liberation Sans", 12.0
    face, alpha = _draw(family, f"by tkaminski {DOT}     v2.4 milestone", 400, size)
    _, dot = _draw(family, f"by tkaminski {DOT}", 400, size)
    x = dot.shape[1] + 5  # the icon: a stem with a round end at each end, the line's full height
    alpha[:, x + 1 : x + 3] = 1.0
    alpha[:3, x : x + 4] = 1.0
    alpha[-3:, x : x + 4] = 1.0
    assert (
        _proofread_drawing("by tkaminski I v2.4 milestone", alpha, face, 400, size)
        == f"by tkaminski {DOT} v2.4 milestone"
    )


@pytest.mark.parametrize(("family", "size"), [("Roboto", 14.0), ("Liberation Sans", 14.0)])
def test_an_em_dash_read_twice_is_one_where_its_ink_is_one_dash_long(family: str, size: float) -> None:
    """mail_inbox's "workshop —— Hi!": OCR wrote "--" for one em dash, and each half was measured
    on the same bar of ink and set as an em dash."""
    truth = "Contract for the Lisbon workshop \u2014 Hi! Attached"
    face, alpha = _draw(family, truth, 400, size)
    assert _proofread_drawing(truth.replace("\u2014", "--"), alpha, face, 400, size) == truth


@pytest.mark.parametrize("family", ["Roboto", "Liberation Sans"])
def test_two_em_dashes_in_the_ink_stay_two(family: str) -> None:
    """Two em dashes side by side are one bar of ink too, twice as long as one: both stay."""
    truth = "A long pause \u2014\u2014 then more"
    face, alpha = _draw(family, truth, 400, 14.0)
    assert _proofread_drawing(truth.replace("\u2014", "-"), alpha, face, 400, 14.0) == truth


@pytest.mark.parametrize("family", ["Roboto", "Liberation Sans"])
def test_a_light_em_dash_after_a_chip_and_bold_words_is_found_where_the_words_put_it(
    family: str,
) -> None:
    """mail_inbox's "[■ Invoices] Invoice INV-2025-031 — Thanks for the quick payment": a label
    chip with its swatch, a bold subject, then a light gray em dash and snippet, fitted as one
    regular line. The drawing drifts from the ink by more than a glyph's window looks (the chip's
    swatch and padding, the wider bold words), and the dash's faint ink is weaker than the bit of
    a letter's arm beside it: the dash is the bar with a space on either side nearest where the
    words around it put it, measured at its own strength."""
    size = 14.0
    face, chip = _draw(family, "Invoices", 400, size)
    _, bold = _draw(family, "Invoice INV-2025-031", 700, size)
    _, rest = _draw(family, "\u2014 Thanks for the quick payment", 400, size)
    height = max(chip.shape[0], bold.shape[0], rest.shape[0])
    swatch = np.zeros((height, 16), dtype=np.float32)
    swatch[3:13, 3:13] = 1.0
    pieces = [swatch, chip, _blank(height, 14), bold, _blank(height, 4), 0.4 * _rows(rest, height)]
    alpha = np.hstack([_rows(piece, height) for piece in pieces])
    read = "Invoices Invoice INV-2025-031 - Thanks for the quick payment"
    # The words are the other tests' subject (the chip's letters against a made-up swatch).
    assert _proofread_drawing(read, alpha, face, 400, size).endswith(
        " Invoice INV-2025-031 \u2014 Thanks for the quick payment"
    )


def _blank(height: int, width: int) -> np.ndarray:
    return np.zeros((height, width), dtype=np.float32)


def _rows(ink: np.ndarray, height: int) -> np.ndarray:
    return np.vstack([ink, np.zeros((height - ink.shape[0], ink.shape[1]), dtype=np.float32)])


@pytest.mark.parametrize(("family", "size"), [("Roboto", 14.0), ("Liberation Sans", 14.0)])
@pytest.mark.parametrize("misread", ["..", "..."])
def test_an_ellipsis_read_as_periods_comes_back_by_its_dots_pitch(
    family: str, size: float, misread: str
) -> None:
    """mail_inbox's "dates still work…" read "work..": three dots in the ink, as close together as
    the face's ellipsis draws them (Roboto 14 px: 3.1 px apart, three periods 3.6 px)."""
    truth = "let me know if the dates still work\u2026"
    face, alpha = _draw(family, truth, 400, size)
    assert _proofread_drawing(truth.replace("\u2026", misread), alpha, face, 400, size) == truth


@pytest.mark.parametrize("family", ["Roboto", "Liberation Sans", "Inter"])
def test_three_periods_in_the_ink_stay_periods(family: str) -> None:
    """Three periods drawn as such keep their pitch; a face that draws both alike (Inter) tells
    nothing, and its reading stands."""
    text = "let me know if the dates still work..."
    face, alpha = _draw(family, text, 400, 14.0)
    assert _proofread_drawing(text, alpha, face, 400, 14.0) == text


@pytest.mark.parametrize("family", ["DejaVu Sans Mono", "Liberation Mono"])
def test_a_coding_faces_arrow_ligature_read_as_one_arrow_is_two_cells(family: str) -> None:
    """docs_guide's "secret: str) -> bool:" in JetBrains Mono: the ligature draws "->" as one arrow
    across two cells, and OCR read the one-cell "→". A monospace line has a cell per character: the
    ink's cells say two characters; a real arrow, one."""
    code = "def verify(body: bytes) -> bool:"
    face, alpha = _draw(family, code, 400, 14.0)
    assert _proofread_drawing(code.replace("->", "\u2192"), alpha, face, 400, 14.0) == code
    arrow = "steps: parse \u2192 check \u2192 send"
    face, alpha = _draw(family, arrow, 400, 14.0)
    assert _proofread_drawing(arrow, alpha, face, 400, 14.0) == arrow


@pytest.mark.parametrize("family", ["Roboto", "DejaVu Sans"])
def test_a_temperature_read_with_the_one_glyph_celsius_sign_comes_back_as_degree_and_letter(
    family: str,
) -> None:
    """bs_news_portal's "Lisbon 17°C" read "17*℃": the ring as an asterisk, then a sign with a ring
    of its own; drawn as read, the stretch matched the ink 0.43, as a degree sign and a C 0.95."""
    truth = "Lisbon 17\u00b0C today"
    face, alpha = _draw(family, truth, 400, 13.0)
    assert _proofread_drawing("Lisbon 17*\u2103 today", alpha, face, 400, 13.0) == truth
    assert _proofread_drawing("Lisbon 17\u2103 today", alpha, face, 400, 13.0) == truth


def test_a_celsius_sign_in_the_ink_stays_one() -> None:
    text = "Lisbon 17\u2103 today"
    face, alpha = _draw("DejaVu Sans", text, 400, 13.0)
    assert _proofread_drawing(text, alpha, face, 400, 13.0) == text


def test_a_chinese_line_s_em_dash_and_spaced_slash_come_back_from_their_fullwidth_readings() -> None:
    """cn_shop's "3月8日—3月15日" and "无线耳机 / 保温杯 / 台灯": the Chinese model reads the dash
    as a fullwidth hyphen-minus and one of the slashes as a fullwidth one. The dash's stroke is an
    em dash's length; a slash with a space either side is the narrow one."""
    truth = "春季焕新节 · 3月8日\u20143月15日"
    face, alpha = _draw("Noto Sans CJK SC", truth, 400, 14.0)
    assert _proofread_drawing(truth.replace("\u2014", "\uff0d"), alpha, face, 400, 14.0) == truth
    slashes = "无线耳机 / 保温杯 / 台灯"
    face, alpha = _draw("Noto Sans CJK SC", slashes, 400, 14.0)
    assert _proofread_drawing("无线耳机 \uff0f 保温杯 / 台灯", alpha, face, 400, 14.0) == slashes


def test_a_chinese_line_s_own_fullwidth_marks_stay() -> None:
    """A fullwidth hyphen-minus drawn as one (shorter than an em dash), and a fullwidth slash set
    between words without spaces, are what they were read as."""
    for text in ("3月8日\uff0d3月15日", "无线耳机\uff0f保温杯"):
        face, alpha = _draw("Noto Sans CJK SC", text, 400, 14.0)
        assert _proofread_drawing(text, alpha, face, 400, 14.0) == text


@pytest.mark.parametrize(
    ("family", "truth"),
    [
        ("Noto Sans CJK SC", "[公告] 春节后物流已全面恢复"),
        ("Liberation Sans", "Notes (optional) for the courier"),
    ],
)
def test_a_closing_bracket_ocr_left_out_comes_back_where_the_ink_has_it(family: str, truth: str) -> None:
    """cn_shop's "[公告 春节后物流已全面恢复": the "]" set close against the word was not read. Drawn
    with it, the line fits its ink far better; drawn without one, a line keeps its lone bracket."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.readings import reread_marks

    unclosed = truth.replace("]", "").replace(")", "")
    # (what the ink shows, what OCR read, what the line must come out as)
    for drawn, read, expected in ((truth, unclosed, truth), (unclosed, unclosed, unclosed)):
        face, alpha = _draw(family, drawn, 400, 14.0)
        measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
        fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
        assert reread_marks(read, fit, measured, (face,), False)[0] == expected, drawn


@pytest.mark.parametrize("family", ["Source Sans 3", "Liberation Sans"])
def test_three_periods_read_as_two_come_back_with_their_space(family: str) -> None:
    """adminlte's chat placeholder "Type Message ...": OCR read "Type Message..", and the line
    was fitted (and spaced) short of its ink. Two periods drawn as two stay two."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.readings import reread_marks

    for drawn, expected in (("Type Message ...", "Type Message ..."), ("Type Message..", "Type Message..")):
        face, alpha = _draw(family, drawn, 400, 16.0)
        measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
        fit = fit_font("Type Message..", *measured[:3], alpha=alpha, faces=(face,))
        assert reread_marks("Type Message..", fit, measured, (face,), False)[0] == expected, drawn


@pytest.mark.parametrize("family", ["JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono"])
def test_a_brace_read_as_an_f_in_code_comes_back_where_its_ink_is_a_brace(family: str) -> None:
    """docs_guide's `signed = f"{parts['t']}.".encode() + body`, read `f"fparts['t']}."`: a "}"
    that closes no "{" puts the f before it in doubt, and the ink decides. An f drawn as an f
    stays one."""
    truth = "signed = f\"{parts['t']}.\".encode() + body"
    misread = truth.replace('"{', '"f')
    face, alpha = _draw(family, truth, 400, 13.0)
    assert _proofread_drawing(misread, alpha, face, 400, 13.0) == truth
    face, alpha = _draw(family, misread, 400, 13.0)
    assert _proofread_drawing(misread, alpha, face, 400, 13.0) == misread


@pytest.mark.parametrize("family", ["Roboto", "Liberation Sans"])
@pytest.mark.parametrize(
    ("drawn", "read", "expected"),
    [
        ("\u00b7 5 min read", "5min read", "\u00b7 5min read"),  # bs_news_portal's byline
        ("-35%", "35%", "-35%"),  # bulma_shop_grid's discount badge
        ("5 min read", "5 min read", "5 min read"),
    ],
)
def test_a_dot_or_a_minus_ocr_left_out_at_a_piece_s_start_comes_back(
    family: str, drawn: str, read: str, expected: str
) -> None:
    """A small round blob at mid-height before the first letter is a middle dot, a flat one a
    minus sign, where the line with it fits clearly better; a piece that starts with its letter
    stays as read."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.readings import reread_marks

    face, alpha = _draw(family, drawn, 400, 13.0)
    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
    assert reread_marks(read, fit, measured, (face,), False)[0] == expected


def test_a_fullwidth_yen_read_for_the_narrow_one_after_a_space_comes_back() -> None:
    """cn_dashboard's "日销售额 ¥12,423", read "日销售额￥12,423": drawn with the narrow sign after
    its space, the line fits its ink far better. A fullwidth sign drawn as one stays."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.readings import reread_marks

    for drawn in ("日销售额 \u00a512,423", "日销售额\uffe512,423"):
        face, alpha = _draw("Noto Sans CJK SC", drawn, 400, 14.0)
        measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
        read = "日销售额\uffe512,423"
        fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
        assert reread_marks(read, fit, measured, (face,), False)[0] == drawn


@pytest.mark.parametrize("family", ["Noto Sans", "Open Sans", "Liberation Sans"])
@pytest.mark.parametrize(
    ("drawn", "read"),
    [("87 Open", "87 0pen"), ("Sk1ll 0rder", "Sk1ll 0rder"), ("test1 case", "test1 case")],
)
def test_a_digit_read_in_a_word_of_letters_is_the_letter_where_the_ink_is_one(
    family: str, drawn: str, read: str
) -> None:
    """primer_issues' bold "87 Open", read "87 0pen": fitted on its own, the short line was drawn
    at the zero's width, and the proofreader's glyph windows kept the zero. The line refitted with
    the letter explains the ink far better (0.076 -> 0.026). A digit drawn as a digit stays."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.readings import reread_marks

    face, alpha = _draw(family, drawn, 700, 14.0)
    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
    assert reread_marks(read, fit, measured, (face,), False)[0] == drawn


@pytest.mark.parametrize(
    ("family", "size"), [("Merriweather", 18.0), ("Liberation Sans", 14.0), ("DejaVu Serif", 16.0)]
)
def test_a_comma_read_as_a_period_before_a_lowercase_word_comes_back_by_its_tail(
    family: str, size: float
) -> None:
    """blog_article's "that survived were tired, the timetables thin", read "tired. the": a period
    before a lowercase word is in doubt, and the comma's tail below the baseline decides. After a
    letter with a descender too ("a long day, then"), against the word's letters on the baseline."""
    for truth in ("that survived were tired, the timetables thin.", "a long day, then back again"):
        face, alpha = _draw(family, truth, 400, size)
        assert _proofread_drawing(truth.replace(", ", ". "), alpha, face, 400, size) == truth


@pytest.mark.parametrize("family", ["Merriweather", "Liberation Sans"])
def test_a_period_before_a_lowercase_word_stays_where_the_ink_is_a_period(family: str) -> None:
    """Abbreviations ("e.g. the", "approx. twice") and a comma before a capital ("Stripe, HubSpot":
    not in doubt) stay as read."""
    for text in ("as e.g. the first one", "approx. twice as long", "Connect Stripe, HubSpot, Postgres"):
        face, alpha = _draw(family, text, 400, 14.0)
        assert _proofread_drawing(text, alpha, face, 400, 14.0) == text
