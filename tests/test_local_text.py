"""Exact text from the local backend: OCR's systematic misreadings (a doubled letter in tracked-out
capitals, O/0 and I/1, the case of short words, "@" for "©", spaces lost in tight text) are
corrected by glyph evidence in the fitted font. The pages are drawn by Chromium; where a test
needs a particular misreading, it hands the reader that OCR string for the line's real ink."""

from __future__ import annotations

import base64
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replicator.backends.local.fonts import FontFace
from replicator.backends.local.page import analyze, render_analysis
from replicator.backends.local.paragraphs import harmonize
from replicator.backends.local.text import read_lines
from replicator.backends.local.webfonts import WebFontLibrary
from replicator.models import Box, RenderResult, Viewport
from replicator.ocr import OcrLine
from replicator.render import SealedBrowserPool

FAMILIES = {f.family: f for f in WebFontLibrary.shared().families}
pytestmark = pytest.mark.skipif(
    not {"Inter", "Roboto"} <= FAMILIES.keys(),
    reason="the @fontsource packages are installed by `make setup`",
)


def page(family: str, body: str, weights: tuple[int, ...] = (400, 600)) -> str:
    faces = "".join(
        f"@font-face{{font-family:'{family}';font-weight:{w};"
        f"src:url(data:font/woff2;base64,{base64.b64encode(dict(FAMILIES[family].upright)[w].read_bytes()).decode()})}}"
        for w in weights
    )
    return (
        f"<!doctype html><html><head><style>{faces}body{{margin:40px;font:16px '{family}';color:#111827;"
        f"background:#fff}}p{{margin:0 0 24px}}.label{{font-size:12px;font-weight:600;letter-spacing:.12em}}"
        f"nav{{display:flex;gap:40px;margin-bottom:24px}}</style></head><body>{body}</body></html>"
    )


def rgb_of(render: RenderResult) -> np.ndarray:
    import io

    return np.asarray(Image.open(io.BytesIO(render.png)).convert("RGB"))


def box_of(render: RenderResult, text: str) -> Box:
    box = next(b.box for b in render.text_boxes if " ".join(b.text.split()) == text)
    return Box(box.x - 3, box.y - 2, box.width + 6, box.height + 4)


def read_as(render: RenderResult, readings: dict[str, str]) -> dict[str, str]:
    """What the backend makes of each line when OCR reads it as given (true text -> OCR's)."""
    ocr = [OcrLine(misread, box_of(render, true), 0.9) for true, misread in readings.items()]
    lines = read_lines(rgb_of(render), ocr)
    harmonize(lines)
    found = {}
    for true in readings:
        box = box_of(render, true)
        inside = sorted(
            (ln for ln in lines if ln.ink.intersection(box) > 0.5 * ln.ink.area), key=lambda ln: ln.ink.x
        )
        found[true] = " ".join(ln.text for ln in inside)
    return found


LABELS = '<nav><span class="label">HOME</span><span class="label">RADIO</span><span class="label">PRICING</span></nav>'


async def test_tracked_out_capitals_come_back_exact_with_their_letter_spacing(
    browser_pool: SealedBrowserPool,
) -> None:
    render = await browser_pool.render(page("Inter", LABELS), Viewport(700, 140))
    analysis = analyze(render.png)
    lines = {ln.text: ln for block in analysis.blocks for ln in block.lines}
    assert set(lines) == {"HOME", "RADIO", "PRICING"}
    for line in lines.values():
        assert abs(line.fit.letter_spacing - 0.12 * 12) <= 0.6, (line.text, line.fit.letter_spacing)
        assert abs(line.fit.size - 12) <= 1.2 and abs(line.fit.weight - 600) <= 100
    html = render_analysis(analysis)
    assert "letter-spacing:" in html and "text-transform:uppercase" in html


async def test_misread_capitals_digits_case_and_symbols_are_corrected_by_their_glyphs(
    browser_pool: SealedBrowserPool,
) -> None:
    body = LABELS + "<p>Get started with CSS in 2024</p><p>© 2024 Acme Inc. All rights reserved.</p>"
    render = await browser_pool.render(page("Inter", body), Viewport(800, 260))
    readings = {
        "HOME": "HHOME",
        "RADIO": "RADI0",
        "PRICING": "PR1CING",
        "Get started with CSS in 2024": "Get started with CsS in 2O24",
        "© 2024 Acme Inc. All rights reserved.": "@ 2024 Acme Inc. All rights reserved.",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_right_readings_stay_as_they_are(browser_pool: SealedBrowserPool) -> None:
    # The same glyph checks must leave correct text alone: "Link" (l/I), "2024", "Css" where a
    # page really wrote it so, lowercase "ship".
    body = "<p>Link</p><p>Back in 2024 we rewrote it</p><p>The Css class names stay</p><p>ship it today</p>"
    render = await browser_pool.render(page("Roboto", body), Viewport(700, 300))
    texts = ("Link", "Back in 2024 we rewrote it", "The Css class names stay", "ship it today")
    assert read_as(render, {t: t for t in texts}) == {t: t for t in texts}


async def test_a_line_of_capitals_read_in_mixed_case_comes_back_in_capitals(
    browser_pool: SealedBrowserPool,
) -> None:
    # Small uppercase labels as Bootstrap and Tailwind pages set them; OCR reads some letters lower.
    body = (
        '<p style="font-size:12px;font-weight:500">OR CONTINUE WITH EMAIL</p>'
        '<p style="font-size:13px">SUNDAY, MARCH 9, 2025</p>'
        '<p style="font-size:13px">Sunday, March 9, 2025</p>'
        '<p style="font-size:13px">Continue with email</p>'
    )
    render = await browser_pool.render(page("Roboto", body), Viewport(700, 260))
    readings = {
        "OR CONTINUE WITH EMAIL": "OR CONTiNuE WITh EmAIl",
        "SUNDAY, MARCH 9, 2025": "SUnday, mArCH 9, 2025",
        "Sunday, March 9, 2025": "Sunday, March 9, 2025",
        "Continue with email": "Continue with email",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_spaces_ocr_ran_together_come_back_from_the_ink(browser_pool: SealedBrowserPool) -> None:
    body = (
        "<p>What do you call someone with a plan and a calendar?</p>"
        '<p style="font-size:15px">Quarterly planning notes are shared every Monday</p>'
    )
    render = await browser_pool.render(page("Roboto", body), Viewport(800, 200))
    readings = {
        "What do you call someone with a plan and a calendar?": "Whatdo you callsomeonewith a plan and a calendar?",
        "Quarterly planning notes are shared every Monday": "Quarterlyplanningnotes are shared every Monday",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_dashes_and_curly_quotes_ocr_wrote_plain_come_back_from_their_glyphs(
    browser_pool: SealedBrowserPool,
) -> None:
    lines = (
        "Contract for the Lisbon workshop \u2014 Hi, attached is the signed version",
        "Ben commented on \u201cCheckout v3\u201d and let\u2019s decide on Friday",
        "Open 9:00\u201317:00 every weekday",
        "Maya shared \u201cBrand assets 2025\u201d with you",
    )
    render = await browser_pool.render(
        page("Inter", "".join(f"<p>{t}</p>" for t in lines)), Viewport(900, 300)
    )
    readings = {
        lines[0]: "Contract for the Lisbon workshop - Hi, attached is the signed version",
        lines[1]: 'Ben commented on "Checkout v3" and let\'s decide on Friday',
        lines[2]: "Open 9:00-17:00 every weekday",
        lines[3]: 'Maya shared"Brand assets 2025"with you',
    }
    found = read_as(render, readings)
    assert {t: found[t] for t in lines[:3]} == {t: t for t in lines[:3]}
    # OCR ran the quotes into the words around them: the spaces come back, the closing mark is
    # curly, and the opening one is never set as a closing one (its lean here is too close to call).
    assert found[lines[3]] in (lines[3], 'Maya shared "Brand assets 2025\u201d with you')


@pytest.mark.parametrize(
    ("family", "curly"),
    [
        ("Open Sans", "Don\u2019t miss Lena\u2019s \u201cGarden notes\u201d today"),
        # Montserrat's curly marks lean a twentieth of their height: a rule on the marks' lean
        # could not tell them from straight ones. (Its "Don\u2019t" at 16 px is still read straight.)
        ("Montserrat", "See Lena\u2019s \u201cGarden notes\u201d today"),
    ],
)
async def test_curly_quotes_are_told_from_straight_ones_by_their_glyphs_at_each_phase(
    browser_pool: SealedBrowserPool, family: str, curly: str
) -> None:
    if family not in FAMILIES:
        pytest.skip(f"{family} is not installed")
    lines = (curly, 'She said "hello there" and it\'s fine')
    render = await browser_pool.render(
        page(family, "".join(f"<p>{t}</p>" for t in lines), weights=(400,)), Viewport(700, 160)
    )
    readings = {t: t.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"') for t in lines}
    assert read_as(render, readings) == {t: t for t in lines}


async def test_a_copyright_sign_read_as_a_question_mark_is_judged_on_the_wider_glyphs_stretch(
    browser_pool: SealedBrowserPool,
) -> None:
    # "?" is half as wide as "©": judged in a window cut to the "?", the "©" drawn there showed
    # half its ring and lost on tabler_dashboard's footer (0.38 against 0.42; that line fitted
    # Inter at 12.5 px with error 0.31). On this clean render the narrow window also finds it:
    # this guards the reading, the bench line is the evidence for the wider stretch.
    line = "Copyright \u00a9 2025 Brightside Analytics. All rights reserved."
    body = f'<p style="font-size:12.3px;color:#737373">{line}</p>'
    render = await browser_pool.render(page("Inter", body, weights=(400,)), Viewport(600, 120))
    assert read_as(render, {line: line.replace("\u00a9", "?")}) == {line: line}


async def test_em_and_en_dashes_of_a_face_with_a_short_em_dash(browser_pool: SealedBrowserPool) -> None:
    # Roboto's em dash is 0.67 em of ink and its en dash 0.51: measured from antialiased pixels
    # at 14 px they came out 0.60 and 0.40, an en dash and a hyphen by fixed thresholds. The lines
    # fit another face best, whose side bearings made word gaps of letter gaps ("F ebruary",
    # "Your s tatement i s r eady"): an added space never leaves a letter on its own.
    lines = (
        "Re: Q2 roadmap review \u2014 I moved the search work to May",
        "Your statement is ready \u2014 February 2025 statement",
        "New event: Intro call at 3:00pm \u2013 3:30pm",
        "Pages 1\u201350 of 2,481 and a well-known co-op",
    )
    body = "".join(f'<p style="font-size:14px;color:#5f6368">{t}</p>' for t in lines)
    render = await browser_pool.render(page("Roboto", body, weights=(400,)), Viewport(800, 260))
    readings = {t: t.replace("\u2014", "-").replace("\u2013", "-") for t in lines}
    assert read_as(render, readings) == {t: t for t in lines}


async def test_hyphens_straight_quotes_and_code_keep_their_typewriter_forms(
    browser_pool: SealedBrowserPool,
) -> None:
    texts = (
        "A well-known e-mail client for teams",
        'Set the "retry" flag to -1 to turn it off',
    )
    body = "".join(f"<p>{t}</p>" for t in texts)
    body += '<p style="font-family:monospace">header = "t=1700000000" - 1</p>'
    render = await browser_pool.render(page("Roboto", body), Viewport(800, 220))
    expected = (*texts, 'header = "t=1700000000" - 1')
    assert read_as(render, {t: t for t in expected}) == {t: t for t in expected}


def test_a_double_quote_before_a_word_opens_even_where_ocr_ran_the_words_together() -> None:
    from replicator.backends.local.proofread import _typographic

    text = 'Ben commented on"Checkout v3"-Should'
    assert _typographic(text, text.index('"')) == "\u201c"
    assert _typographic(text, text.rindex('"')) == "\u201d"
    # A single quote between letters stays an apostrophe.
    assert _typographic("let's", 3) == "\u2019"


async def test_a_status_ring_ahead_of_a_title_is_an_icon_not_the_letter_o(
    browser_pool: SealedBrowserPool,
) -> None:
    """An "open" status ring (a green circle with a dot) before a dark issue title, as GitHub-like
    lists draw it: OCR reads it as "O". It is not a word of the title: the title is read without
    it and fitted by itself (with the ring in it, the line fitted a bold serif), and the ring's ink
    is left to the pictures."""
    ring = (
        '<svg width="16" height="16" viewBox="0 0 16 16" fill="#1a7f37" '
        'style="vertical-align:text-bottom;margin-right:8px">'
        '<path d="M8 9.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z"/>'
        '<path d="M8 0a8 8 0 1 1 0 16A8 8 0 0 1 8 0ZM1.5 8a6.5 6.5 0 1 0 13 0 6.5 6.5 0 0 0-13 0Z"/></svg>'
    )
    titles = ("Reconnect loop when the broker restarts", "Metrics endpoint returns 500 when no queues exist")
    rows = "".join(f'<div style="margin:0 0 30px">{ring}<b>{title}</b></div>' for title in titles)
    html = (
        '<!doctype html><html><head><style>body{margin:40px;font:16px "Noto Sans",sans-serif;'
        f"color:#1f2328;background:#fff}}b{{font-weight:600}}</style></head><body>{rows}</body></html>"
    )
    render = await browser_pool.render(html, Viewport(800, 160))
    # OCR's detector boxes the ring with its title on real pages and reads it as "O": hand the
    # reader that reading, over the ring and the title's ink.
    ocr = []
    for title in titles:
        box = box_of(render, title)
        ocr.append(OcrLine(f"O {title}", Box(box.x - 26, box.y, box.width + 26, box.height), 0.9))
    lines = {line.text: line for line in read_lines(rgb_of(render), ocr)}
    for title in titles:
        assert title in lines, sorted(lines)
        fit = lines[title].fit
        assert fit.face is not None and fit.face.kind == "sans" and fit.weight >= 500, fit
        assert lines[title].ink.x >= box_of(render, title).x  # the ring's ink is not the line's


async def test_a_status_dot_read_into_the_word_after_it_is_an_icon(browser_pool: SealedBrowserPool) -> None:
    """tw_users_table's status column: a red dot before "Offline", which OCR read into the word as
    "Ooffline" (no space between). The dot, in its own colour and set apart, is the icon; the
    word is read without it, its first letter's case from its ink."""
    rows = "".join(
        f'<div style="margin:0 0 24px"><span style="display:inline-block;width:8px;height:8px;'
        f'border-radius:50%;background:{color};margin-right:8px"></span>{word}</div>'
        for color, word in (("#f16161", "Offline"), ("#f16161", "Overdue"))
    )
    html = (
        "<!doctype html><html><head><style>body{margin:40px;font:14px Inter,sans-serif;"
        f"color:#747a88;background:#fff}}</style></head><body>{rows}</body></html>"
    )
    render = await browser_pool.render(html, Viewport(400, 140))
    ocr = []
    for word in ("Offline", "Overdue"):
        box = box_of(render, word)
        ocr.append(
            OcrLine("O" + word.lower(), Box(box.x - 18, box.y - 3, box.width + 20, box.height + 6), 0.78)
        )
    texts = [line.text for line in read_lines(rgb_of(render), ocr)]
    assert texts == ["Offline", "Overdue"]


async def test_currency_signs_read_as_letters_before_an_amount_come_back(
    browser_pool: SealedBrowserPool,
) -> None:
    body = (
        "<p>Instant payouts cost 1% (minimum €0.50) per transfer</p><p>Prices from $650 for two nights</p>"
        "<p>Cabin C10 is on the upper deck</p>"
    )
    render = await browser_pool.render(page("Roboto", body), Viewport(800, 220))
    readings = {
        "Instant payouts cost 1% (minimum €0.50) per transfer": "Instant payouts cost 1% (minimum C0.50) per transfer",
        "Prices from $650 for two nights": "Prices from S650 for two nights",
        # A letter before digits that is drawn as a letter stays one.
        "Cabin C10 is on the upper deck": "Cabin C10 is on the upper deck",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_accents_ocr_drops_come_back_from_the_ink(browser_pool: SealedBrowserPool) -> None:
    body = (
        "<p>Tomás Ferreira lives in Covilhã</p><p>Inês Costa and René Dubois</p><p>Tomas and Ines, plain</p>"
    )
    render = await browser_pool.render(page("Roboto", body), Viewport(800, 220))
    readings = {
        "Tomás Ferreira lives in Covilhã": "Tomas Ferreira lives in Covilha",
        "Inês Costa and René Dubois": "Ines Costa and Rene Dubois",
        "Tomas and Ines, plain": "Tomas and Ines, plain",  # no ink above: no accent
    }
    assert read_as(render, readings) == {true: true for true in readings}


@pytest.mark.parametrize(
    ("family", "style", "truth"),
    [
        ("Roboto", "font-weight:800;font-size:13.5px", "Tomás Ferreira (3)"),
        ("Nunito", "font-weight:600;font-size:13px", "Chloé Martin"),
    ],
)
async def test_an_accent_that_touches_its_letter_is_found(
    browser_pool: SealedBrowserPool, family: str, style: str, truth: str
) -> None:
    # mail_inbox's bold sender and bs_datatable's name: at 13 px the acute joins its letter
    # through one faint pixel, and the letter looked a capital's height, not accented.
    body = f'<p style="{style};color:#202124">{truth}</p><p style="{style}">Tomas Costa</p>'
    render = await browser_pool.render(page(family, body, (400, 600, 800)), Viewport(500, 140))
    plain = unicodedata.normalize("NFKD", truth).encode("ascii", "ignore").decode()
    assert read_as(render, {truth: plain, "Tomas Costa": "Tomas Costa"}) == {
        truth: truth,
        "Tomas Costa": "Tomas Costa",
    }


def italic_page(family: str, body: str, size: int) -> str:
    face = (
        f"@font-face{{font-family:'{family}';font-style:italic;font-weight:400;src:url(data:font/woff2;base64,"
        f"{base64.b64encode(dict(FAMILIES[family].italic)[400].read_bytes()).decode()})}}"
    )
    return (
        f"<!doctype html><html><head><style>{face}body{{margin:40px;background:#fff;color:#1f2328;"
        f"font:italic {size}px '{family}'}}p{{margin:0 0 24px}}</style></head><body>{body}</body></html>"
    )


@pytest.mark.parametrize(
    ("family", "size", "truth", "read"),
    [
        (
            "Merriweather",
            20,
            "find out who is riding them, and why.",
            "find out vcho is riding them, and vchy.",
        ),
        ("Playfair Display", 26, "because the sleeper was late", "because the sleeper coas late"),
        ("Playfair Display", 26, "The coast was clear", "The coast coas clear"),
    ],
)
async def test_an_italic_w_read_as_two_letters_is_one(
    browser_pool: SealedBrowserPool, family: str, size: int, truth: str, read: str
) -> None:
    # blog_article's standfirst and pull quote: PP-OCR reads an italic serif's w as "vc" or "co".
    # The line refitted in its face with the one letter says which; "coast" stays.
    render = await browser_pool.render(italic_page(family, f"<p>{truth}</p>", size), Viewport(800, 120))
    assert read_as(render, {truth: read}) == {truth: truth}


@pytest.mark.parametrize("family", ["Poppins", "Inter", "Roboto"])
async def test_an_l_read_as_an_exclamation_mark_is_an_l(browser_pool: SealedBrowserPool, family: str) -> None:
    # daisy_landing's "Start free trial" button came out "Start free tria!": an exclamation mark
    # has a clear row between its stroke and its dot, an l none. Real ones stay.
    body = (
        '<p style="font-weight:600">Start free trial</p><p>Welcome back, Maya!</p>'
        '<p style="font-weight:700">ProTip! Type g i on any issue</p>'
    )
    render = await browser_pool.render(page(family, body, (400, 600, 700)), Viewport(600, 200))
    readings = {
        "Start free trial": "Start free tria!",
        "Welcome back, Maya!": "Welcome back, Maya!",
        "ProTip! Type g i on any issue": "ProTip! Type g i on any issue",
    }
    assert read_as(render, readings) == {true: true for true in readings}


@pytest.mark.parametrize("family", ["Poppins", "Inter"])
async def test_a_small_exclamation_mark_whose_gap_antialiasing_greys_stays_one(
    browser_pool: SealedBrowserPool, family: str
) -> None:
    # bs_chat's light grey "Thanks for the quick reply!" at 13 px came out "replyl": the one row
    # between the mark's stroke and its dot is half-inked there, so no row was clear. The dip
    # says mark; an l's stroke runs to its foot ("Start free tria!" above stays an l).
    body = (
        '<p style="font-size:13px;color:#8a93a6">Thanks for the quick reply!</p>'
        '<p style="font-size:13px;color:#8a93a6">See you at the terminal</p>'
    )
    render = await browser_pool.render(page(family, body), Viewport(600, 140))
    readings = {
        "Thanks for the quick reply!": "Thanks for the quick reply!",
        "See you at the terminal": "See you at the termina!",
    }
    assert read_as(render, readings) == {true: true for true in readings}


@pytest.mark.parametrize("family", ["Poppins", "Inter", "Roboto"])
async def test_a_capital_read_in_lowercase_is_told_by_its_height_over_its_words_x_height(
    browser_pool: SealedBrowserPool, family: str
) -> None:
    # bs_chat's "Sun" came out "sun": the fit took the word for lowercase and drew it as tall as
    # the ink's S, so the drawing agreed with the misreading. The word's n, standing two pixels
    # lower than the S, does not. Lowercase words stay, a k's ascender included.
    body = (
        '<p style="font-size:13px;color:#8a93a6">Sun</p><p>Closed on Sunday</p>'
        "<p>Overview of your week</p><p>sun and wind, keep on</p><p>known issues</p>"
    )
    render = await browser_pool.render(page(family, body), Viewport(600, 330))
    readings = {
        "Sun": "sun",
        "Closed on Sunday": "Closed on sunday",
        "Overview of your week": "overview of your week",
        "sun and wind, keep on": "sun and wind, keep on",
        "known issues": "known issues",
    }
    assert read_as(render, readings) == {true: true for true in readings}


@pytest.mark.parametrize("family", ["Poppins", "Inter"])
async def test_a_time_read_in_letters_comes_back_in_digits(
    browser_pool: SealedBrowserPool, family: str
) -> None:
    # bs_chat's "arrive at 11:00, a bit" was read "arrive at l:oo, a bit" (Poppins' one is a stem
    # with a small flag, its zero a tall o), and a letter short: the o was repeated ("l:ooo,").
    # A time read in look-alikes has its digits' readings too; the drawing picks the one, and
    # each look-alike left is judged by its glyph. Words round a colon stay words.
    body = "<p>The containers arrive at 11:00, a bit early</p><p>Doors open at 1:00 sharp today</p>"
    body += "<p>Note: all lockers close at dusk</p>"
    render = await browser_pool.render(page(family, body), Viewport(600, 200))
    readings = {
        "The containers arrive at 11:00, a bit early": "The containers arrive at l:oo, a bit early",
        "Doors open at 1:00 sharp today": "Doors open at l:oo sharp today",
        "Note: all lockers close at dusk": "Note: all lockers close at dusk",
    }
    assert read_as(render, readings) == {true: true for true in readings}


@pytest.mark.parametrize("family", ["Roboto", "Inter"])
async def test_a_zero_after_a_currency_sign_read_as_an_o_is_told_by_its_width(
    browser_pool: SealedBrowserPool, family: str
) -> None:
    # bulma_shop_grid's 12 px "$0" came out "$O": what follows a currency sign is an amount, and
    # a zero is a narrower oval than a capital O (the line fitted to the O's width drew both
    # alike). A word's O after a sign stays.
    body = (
        '<p style="font-size:12px;color:#69748c">Cart total $0</p>'
        '<p style="font-size:12px;color:#69748c">Paid with $OCEAN credits</p>'
        # (A zero read as one stays: DejaVu Sans' zero, nearly as round as its O, had become one.)
        "<p style=\"font:13px 'DejaVu Sans';color:#52525b\">Washed linen, 130x170</p>"
    )
    render = await browser_pool.render(page(family, body), Viewport(500, 180))
    readings = {
        "Cart total $0": "Cart total $O",
        "Paid with $OCEAN credits": "Paid with $OCEAN credits",
        "Washed linen, 130x170": "Washed linen, 130x170",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_tracked_out_capitals_read_in_lowercase_are_spaced_as_capitals(
    browser_pool: SealedBrowserPool,
) -> None:
    # bs_landing_saas' eyebrow: OCR read "field service, simplified", the system faces took the
    # tracked-out capitals for monospace (so they stayed lowercase), and the line, spaced as
    # lowercase in Montserrat, came out "FIELD SERVIC E, SI MPLIFI ED".
    body = (
        '<p style="font-size:13px;font-weight:700;letter-spacing:2.3px;color:#ff7a45">'
        "FIELD SERVICE, SIMPLIFIED</p><p>Schedule crews, dispatch jobs and get paid faster.</p>"
    )
    render = await browser_pool.render(page("Montserrat", body, (400, 700)), Viewport(600, 140))
    readings = {
        "FIELD SERVICE, SIMPLIFIED": "field service, simplified",
        "Schedule crews, dispatch jobs and get paid faster.": "Schedule crews, dispatch jobs and get paid faster.",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_a_quote_closed_by_the_other_kind_in_code_is_read_by_its_ink(
    browser_pool: SealedBrowserPool,
) -> None:
    # api_reference's JSON sample: OCR read the opening double quote of a key as a single one
    # ('method": "instant"). Code keeps its typewriter quotes, but a word opened by one kind and
    # closed by the other has one of them misread: the ink says which. Real pairs stay.
    body = '<p>"method": "instant"</p><p>name = \'ada\' if ok else "bob"</p>'
    render = await browser_pool.render(page("Roboto Mono", body), Viewport(600, 140))
    readings = {
        '"method": "instant"': '\'method": "instant"',
        "name = 'ada' if ok else \"bob\"": "name = 'ada' if ok else \"bob\"",
    }
    assert read_as(render, readings) == {true: true for true in readings}


async def test_a_monospace_t_or_i_is_no_accent_over_its_neighbour(browser_pool: SealedBrowserPool) -> None:
    # api_reference: a Roboto line with inline code, and a parameter name beside its type. Where
    # a letter's window drifted onto the t of "method" or the i of "destination" in Roboto Mono,
    # their stems' tops looked like an acute touching the letter ("mèthod", "destinatión").
    mono = "".join(
        f"@font-face{{font-family:'Roboto Mono';font-weight:{w};src:url(data:font/woff2;base64,"
        f"{base64.b64encode(dict(FAMILIES['Roboto Mono'].upright)[w].read_bytes()).decode()})}}"
        for w in (400, 500)
    )
    body = (
        f"<style>{mono}code,b{{font-family:'Roboto Mono'}}b{{font-weight:500;font-size:14px}}</style>"
        '<p style="font-size:15px;color:#3c4257">Payouts are processed on the next business day unless you set '
        "<code>method</code> to <code>instant</code>.</p>"
        '<p><b>destination</b> <span style="font-size:13px;color:#697386">string</span></p>'
    )
    render = await browser_pool.render(page("Roboto", body), Viewport(900, 140))
    words = " ".join(ln.text for block in analyze(render.png).blocks for ln in block.lines).split()
    assert {"method", "destination"} <= set(words), words


@pytest.mark.parametrize(("family", "size"), [("Nunito", 12), ("Inter", 14), ("Roboto", 16)])
async def test_a_thousands_separator_is_the_one_the_ink_shows(
    browser_pool: SealedBrowserPool, family: str, size: int
) -> None:
    # bulma_landing_app's "4.9 from 38,000 reviews" came out "38.000": a comma's tail is one row
    # below the digits' baseline at 12 px, and a window's correlation did not see it. A period
    # written so stays ("38.000 Besucher").
    truths = ("4.9 from 38,000 reviews", "Mehr als 38.000 Besucher", "Total $58,400 paid")
    body = "".join(f'<p style="font-size:{size}px">{t}</p>' for t in truths)
    render = await browser_pool.render(page(family, body, (400, 600)), Viewport(600, 200))
    readings = {
        t: t.replace(",", "#").replace(".", ",").replace("#", ".").replace("4,9", "4.9") for t in truths
    }
    assert read_as(render, readings) == {t: t for t in truths}


def _ink_and_bounds(text: str, size: int = 16) -> tuple[np.ndarray, list[float]]:
    """The line drawn in DejaVu Sans (coverage, 0..1, cut to its ink) and where each of its
    characters starts and ends in that crop."""
    from PIL import ImageDraw, ImageFont

    from replicator.backends.local.fonts import FONTS

    face = next(f for f in FONTS.faces if f.family == "DejaVu Sans")
    font = ImageFont.truetype(str(face.regular), size)
    image = Image.new("L", (round(font.getlength(text)) + 20, size * 2), 0)
    ImageDraw.Draw(image).text((10, size // 3), text, font=font, fill=255)
    alpha = np.asarray(image, dtype=np.float64) / 255
    rows, cols = np.flatnonzero(alpha.max(axis=1) > 0.35), np.flatnonzero(alpha.max(axis=0) > 0.35)
    crop = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    bounds = [10 + font.getlength(text[:i]) - cols[0] for i in range(len(text) + 1)]
    return crop, bounds


@pytest.mark.parametrize(
    ("drawn", "read", "expected"),
    [
        ("Relay sends an HTTP POST to your endpoint", "Relay sends an HTTP PosT to your endpoint", "POST"),
        ("amount integer REQUIRED", "amount integer REQuIRED", "REQUIRED"),
        # A descender's top stands at the x-height too: "p" is measured like "o".
        ("Relay sends an HTTP POST to your endpoint", "Relay sends an HTTP pOST to your endpoint", "POST"),
        ("a new pOS terminal", "a new pOS terminal", "pOS"),
        ("made with JavaScript and love", "made with JavaScript and love", "JavaScript"),
        ("see the McDonald report", "see the McDonald report", "McDonald"),
    ],
)
def test_a_word_read_in_mixed_case_is_set_in_capitals_only_where_its_ink_is_all_capitals(
    drawn: str, read: str, expected: str
) -> None:
    from replicator.backends.local.proofread import capital_words

    alpha, bounds = _ink_and_bounds(drawn)
    assert expected in capital_words(read, alpha, bounds).split()


def test_an_icon_ocr_did_not_read_between_two_words_cuts_the_line_and_is_left_out() -> None:
    # "Audience ⚙ Settings": a nav bar's gear icon, in the text's colour, between two links a
    # little less than a wide gap apart; OCR read the two words and nothing for the gear.
    from PIL import Image, ImageDraw, ImageFont

    from replicator.backends.local.fonts import FONTS
    from replicator.ocr import OcrLine

    faces = {f.family: f for f in FONTS.faces}
    if "DejaVu Sans" not in faces:
        pytest.skip("DejaVu fonts are installed by `make setup`")
    font = ImageFont.truetype(str(faces["DejaVu Sans"].regular), 14)
    image = Image.new("RGB", (260, 40), "white")
    draw = ImageDraw.Draw(image)
    ink = (70, 70, 70)
    draw.text((10, 12), "Audience", font=font, fill=ink)
    x = 10 + font.getlength("Audience") + 22
    draw.ellipse((x + 4, 15, x + 12, 23), outline=ink, width=2)  # the gear: a ring and rays
    for dx, dy in ((0, -8), (0, 8), (-8, 0), (8, 0), (-6, -6), (6, 6), (-6, 6), (6, -6)):
        cx, cy = x + 8, 19
        draw.line((cx + dx * 0.7, cy + dy * 0.7, cx + dx, cy + dy), fill=ink, width=2)
    draw.text((x + 26, 12), "Settings", font=font, fill=ink)
    lines = read_lines(np.asarray(image), [OcrLine("Audience  Settings", Box(5, 6, 250, 26), 0.95)])
    assert [line.text for line in lines] == ["Audience", "Settings"]


def _draw(
    family: str, text: str, weight: int, size: float, spacing: float = 0.0
) -> tuple[FontFace, np.ndarray]:
    """A face of ours and ``text`` drawn in it: the ink a line of that text leaves (coverage 0..1)."""
    from replicator.backends.local.fonts import FONTS, draw_glyphs

    face = next(f for f in FONTS.faces if f.family == family)
    drawn, _ = draw_glyphs(text, FONTS.path(face, weight, False) or "", face.index, size, spacing)
    return face, drawn.astype(np.float32)


def _proofread_drawing(read: str, alpha: np.ndarray, face: FontFace, weight: int, size: float) -> str:
    """What proofread makes of OCR's ``read`` over the ink ``alpha``, fitted in ``face`` and held at
    the drawing's own weight and size (the test is of the proofreader, not of the fit)."""
    import dataclasses

    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.proofread import proofread

    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
    fit = dataclasses.replace(fit, weight=weight, size=size, letter_spacing=0.0)
    return proofread(read, fit, measured)[0]


def test_a_capital_as_tall_as_its_words_capitals_stays_one_where_the_drawing_stands_higher() -> None:
    """Small capitals under a tall first capital: the ink's crop has empty rows above the line's
    capitals, the drawing (scaled to the crop) stands higher than they do; their own word's
    capitals say they are capitals ("FOR sIDE pROJEcTs" before)."""
    text = "FOR SIDE PROJECTS AND STUDENTS"
    face, drawn = _draw("DejaVu Sans", text, 400, 16.0)
    alpha = np.vstack([np.zeros((3, drawn.shape[1]), dtype=np.float32), drawn])
    assert _proofread_drawing(text, alpha, face, 400, 16.0) == text


def test_a_capital_u_is_measured_by_its_arms_not_its_bowl() -> None:
    """U's middle columns hold only its bowl's bottom: measured there, every U drawn in its own
    face stood lower than its drawing and was taken for a lowercase u ("REQuIRED")."""
    from replicator.backends.local.fonts import FONTS, draw_glyphs
    from replicator.backends.local.proofread import _height_disagrees

    for family in ("DejaVu Sans", "Liberation Sans", "Noto Sans"):
        face = next(f for f in FONTS.faces if f.family == family)
        drawn, boxes = draw_glyphs("REQUIRED", FONTS.path(face, 400, False) or "", face.index, 16.0)
        box = boxes[3]
        assert box is not None
        assert not _height_disagrees("U", box, drawn, 1.0, 1.0, 0), family


def test_descenders_in_the_ink_keep_a_line_with_g_and_y_out_of_capitals() -> None:
    """api_reference's "currency string REQUIRED": a monospace word beside small capitals as tall
    as its x-height, so the columns' tops look like a line of capitals (it was set in capitals);
    its y and g reach below the baseline, as no capital does."""
    from replicator.backends.local.proofread import capitals_by_ink

    reference = Path(__file__).parent.parent / "fixtures/realpages/references/api_reference.png"
    gray = np.asarray(Image.open(reference).convert("L"), dtype=np.float64)[381:401, 296:470]
    alpha = np.clip((255 - gray) / (255 - gray.min()), 0, 1)
    rows, cols = np.flatnonzero(alpha.max(axis=1) > 0.1), np.flatnonzero(alpha.max(axis=0) > 0.1)
    alpha = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert capitals_by_ink("currency string REQUIRED", alpha) == "currency string REQUIRED"


@pytest.mark.parametrize("family", ["DejaVu Sans", "Liberation Sans", "Noto Sans"])
def test_a_comma_in_tracked_capitals_is_no_descender(family: str) -> None:
    """bs_landing_saas's eyebrow "FIELD SERVICE, SIMPLIFIED", which OCR read in lowercase: the
    comma's tail reaches below the baseline as a p's would, and kept the line in lowercase."""
    from replicator.backends.local.fonts import FONTS, draw_text
    from replicator.backends.local.proofread import capitals_by_ink

    face = next(f for f in FONTS.faces if f.family == family)
    alpha = draw_text("FIELD SERVICE, SIMPLIFIED", FONTS.path(face, 700, False) or "", face.index, 13.0, 2.0)
    assert capitals_by_ink("field service, simplified", alpha) == "FIELD SERVICE, SIMPLIFIED"
    # Lowercase text with a comma and a real descender stays as read.
    alpha = draw_text("field service, simply", FONTS.path(face, 700, False) or "", face.index, 13.0, 0.0)
    assert capitals_by_ink("field service, simply", alpha) == "field service, simply"


@pytest.mark.parametrize(
    ("family", "size"),
    [
        ("Liberation Sans", 13.0),
        ("Liberation Sans", 14.0),
        ("Noto Sans", 13.0),
        ("Roboto", 13.0),
        ("Inter", 13.0),
        ("Inter", 14.0),
        ("Lato", 14.0),
    ],
)
def test_accents_at_small_sizes_are_found_above_the_letters_own_top_in_the_ink(
    family: str, size: float
) -> None:
    """The line's ink, accents and all, is taller than its drawing without them, and the drawing
    scaled onto it put each letter's top a pixel too high: a circumflex ending on that row was not
    taken for an accent ("Ines" for Inês at 13 px)."""
    truth, read = "Tomás and Inês met in Covão", "Tomas and Ines met in Covao"
    face, alpha = _draw(family, truth, 400, size)
    assert _proofread_drawing(read, alpha, face, 400, size) == truth


@pytest.mark.parametrize(
    ("family", "weight", "size", "text"),
    [
        ("Roboto", 400, 14.0, "90 days ago"),
        ("Inter", 400, 14.0, "Head of Design, Lumen Bank"),
        ("Roboto", 700, 12.0, "Posted 2 days ago"),
    ],
)
def test_a_muted_lines_letters_broken_into_pieces_get_no_accent(
    family: str, weight: int, size: float, text: str
) -> None:
    """Gray text at under half coverage breaks into pieces at a third of full ink: a piece of an
    e's or an s's arc floated over the rest and was taken for an accent ("90 dayš ago")."""
    face, drawn = _draw(family, text, weight, size)
    assert _proofread_drawing(text, drawn * np.float32(0.45), face, weight, size) == text


@pytest.mark.parametrize(("family", "size"), [("Roboto", 13.0), ("DejaVu Sans", 13.0), ("Inter", 14.0)])
def test_a_zero_read_for_a_words_capital_first_letter_comes_back(family: str, size: float) -> None:
    """primer_issues' "87 0pen": the word's other letters are lowercase, and only a lowercase o was
    tried for the 0; a word's first letter may be a capital."""
    truth, read = "87 Open 1,204 Closed", "87 0pen 1,204 Closed"
    face, alpha = _draw(family, truth, 400, size)
    assert _proofread_drawing(read, alpha, face, 400, size) == truth


def test_tracked_out_capitals_read_in_mixed_case_come_back_in_the_pages_face() -> None:
    """blog_article's "TRAVEl · LOnG REad": evenly spaced capitals fit a monospace system face
    best, so the reader left them as read; in the page's proportional face the capitals fit far
    better than the reading, and the ink's heights say capitals."""
    from replicator.backends.local.fontfit import fit_font
    from replicator.backends.local.proofread import proofread

    truth, read = "TRAVEL · LONG READ", "TRAVEl · LOnG REad"
    face, alpha = _draw("DejaVu Sans", truth, 700, 13.0, 2.0)
    measured = (float(alpha.shape[1]), float(alpha.shape[0]), float(alpha.sum()), alpha)
    fit = fit_font(read, *measured[:3], alpha=alpha, faces=(face,))
    assert fit.face is not None and fit.face.kind != "mono"
    assert proofread(read, fit, measured)[0] == truth


def test_a_line_keeps_none_of_the_ink_of_the_line_after_it_that_its_box_overlaps() -> None:
    """daisy_pricing_dark's "€45 per editor / month": the detector's box for the price reached
    over the "p" of the small words after it, and the price's ink took the p's stem: 10 px too
    wide, it overlapped the words and the two were not set as one line."""
    from PIL import Image, ImageDraw, ImageFont

    from replicator.backends.local.fonts import FONTS

    montserrat = next(f for f in FONTS.faces if f.family == "Montserrat")
    large = ImageFont.truetype(FONTS.path(montserrat, 800) or "", 38, index=montserrat.index)
    small = ImageFont.truetype(FONTS.path(montserrat, 400) or "", 17, index=montserrat.index)
    image = Image.new("RGB", (360, 60), (15, 23, 42))
    pen = ImageDraw.Draw(image)
    pen.text((10, 8), "45", font=large, fill=(205, 208, 214))
    price_right = 10 + int(pen.textbbox((10, 8), "45", font=large)[2] - 10)
    pen.text((price_right + 6, 22), "per editor / month", font=small, fill=(140, 146, 160))
    rgb = np.asarray(image)
    words_left = float(np.flatnonzero((rgb[:, price_right + 2 :] > 60).any(axis=(0, 2)))[0] + price_right + 2)
    lines = read_lines(
        rgb,
        [
            # The price's box reaches 8 px into the words; theirs begins 10 px before them, in
            # the price's last digit.
            OcrLine("45", Box(6, 4, price_right + 14, 50), 0.99),
            OcrLine("per editor / month", Box(words_left - 10, 14, 360 - words_left, 34), 0.99),
        ],
    )
    price = next(line for line in lines if line.text == "45")
    words = next(line for line in lines if line.text == "per editor / month")
    assert price.ink.right <= price_right + 1
    assert price.ink.right < words.ink.x


async def test_a_small_line_over_a_big_one_leaves_the_big_ones_capitals_out(
    browser_pool: SealedBrowserPool,
) -> None:
    """bulma_landing_app's store badge: "Download on the" at 11 px over "App Store" at 16 px bold,
    OCR's box of the small line reaching 6 rows into the capitals below. Those rows were taller
    than a neighbour's descenders are beside a line, and the small line came out at 25 px."""
    body = (
        '<div style="background:#111827;color:#fff;padding:10px 16px;width:150px">'
        '<div style="font-size:11px;line-height:13px">Download on the</div>'
        '<div style="font-size:17px;font-weight:800;line-height:20px">App Store</div></div>'
    )
    render = await browser_pool.render(page("Nunito", body, (400, 800)), Viewport(400, 140))
    small = next(b.box for b in render.text_boxes if b.text.strip() == "Download on the")
    big = next(b.box for b in render.text_boxes if b.text.strip() == "App Store")
    # As the detector boxes them: the small line's box reaches down into the capitals.
    box = Box(small.x - 4, small.y - 3, small.width + 8, big.y + 0.45 * big.height - small.y + 3)
    (line,) = read_lines(rgb_of(render), [OcrLine("Download on the", box, 0.99)])
    assert line.ink.bottom <= small.bottom and abs(line.fit.size - 11) <= 1.5, (
        line.ink,
        line.fit.size,
        small,
    )
