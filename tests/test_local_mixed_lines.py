"""Lines set in more than one colour, with an outlined chip, or with a currency sign OCR cannot
read: the font is fitted to every word at its own strength, the chip's outline is no glyph, and a
euro sign left out before an amount comes back where its glyph is in the ink."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from replicator.backends.local.page import analyze, render_analysis
from replicator.backends.local.proofread import _pair_quotes
from replicator.backends.local.webfonts import WebFontLibrary
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

from .test_local_text import page

pytestmark = pytest.mark.skipif(
    not {"Roboto", "Montserrat"} <= {f.family for f in WebFontLibrary.shared().families},
    reason="the @fontsource packages are installed by `make setup`",
)

MAIL = Path(__file__).resolve().parent.parent / "fixtures" / "realpages" / "references" / "mail_inbox.png"


def test_a_subject_and_its_gray_snippet_are_read_in_one_font_with_their_punctuation() -> None:
    # A mail list (the development corpus' page): a dark subject, a light dash, a gray snippet,
    # two rows with an outlined label chip first. Measured against the darkest ink, the gray
    # snippet looked thin and the line was fitted in Nunito, whose quote marks and dashes then
    # told the look-alikes apart wrongly; the chip's outline made the line a third taller.
    lines = {ln.text: ln for block in analyze(MAIL.read_bytes()).blocks for ln in block.lines}
    expected = {
        "Ben commented on \u201cCheckout v3\u201d \u2014 Should the coupon field live under the total?",
        "Hiring loop: senior designer \u2014 Scorecards are in, let\u2019s decide on Friday",
    }
    assert expected <= set(lines), sorted(lines)
    chipped = [line for text, line in lines.items() if text.startswith(("Travel ", "Invoices "))]
    assert len(chipped) == 2, sorted(lines)
    for line in [lines[text] for text in expected] + chipped:
        fit = line.fit
        assert fit.face is not None and fit.face.family == "Roboto", (line.text, fit)
        assert abs(fit.size - 14) <= 1.0, (line.text, fit.size)
    for line in chipped:
        assert line.ink.height <= 14.5, (line.text, line.ink)  # the chip's outline is no ink of it


def test_a_pair_of_quotes_takes_the_style_its_clear_mark_shows() -> None:
    assert _pair_quotes('on "Checkout v3\u201d \u2014') == "on \u201cCheckout v3\u201d \u2014"
    assert _pair_quotes('\u201cI gain a day," says') == "\u201cI gain a day,\u201d says"
    # Straight pairs, and lines with other counts of marks, stay as read.
    assert _pair_quotes('header looks like "t=1700"') == 'header looks like "t=1700"'
    assert _pair_quotes('"a" \u201cb" c"') == '"a" \u201cb" c"'


PRICES = (
    '<p style="font:800 36px Montserrat;color:#4f46e5">\u20ac340</p>'
    '<p style="font:800 36px Montserrat;color:#111827">$160</p>'
    '<p style="font-size:16px;color:#6b7280"><span style="display:inline-block;width:14px;height:14px;'
    'border:2px solid #6b7280;border-radius:50%;vertical-align:-2px;margin-right:4px"></span>6 min read</p>'
)


async def test_a_currency_sign_ocr_left_out_comes_back_where_its_glyph_is(
    browser_pool: SealedBrowserPool,
) -> None:
    render = await browser_pool.render(page("Montserrat", PRICES, (400, 800)), Viewport(500, 260))
    texts = {ln.text for block in analyze(render.png).blocks for ln in block.lines}
    assert {"\u20ac340", "$160"} <= texts, sorted(texts)
    # A ring icon before a number is no currency sign.
    assert not any(t[:1] in "\u20ac$\u00a3\u00a5" and "min read" in t for t in texts), sorted(texts)


async def test_a_price_and_its_unit_on_one_baseline_stay_one_line(browser_pool: SealedBrowserPool) -> None:
    body = (
        '<p style="font:800 40px Montserrat;color:#111827">\u20ac12'
        '<span style="font:400 16px Montserrat;color:#6b7280"> per editor / month</span></p>'
    )
    render = await browser_pool.render(page("Montserrat", body, (400, 800)), Viewport(600, 160))
    html = render_analysis(analyze(render.png))
    # The unit is set inside the price's element after a space: one line that reads and copies
    # as the page's does, not two flex items side by side.
    assert re.search(r">\u20ac12 <span[^>]*>per editor / month</span>", html), html


def test_words_read_after_the_page_are_fitted_among_the_page_s_faces() -> None:
    """bs_news_portal's "By Aisha Rahman · 6 min read": the detector passed over the byline's
    first half, which was read again alone; fitted alone, Roboto 400 at 13 px and Open Sans 600 at
    12 px explained its ink equally well (0.054), and it came out in Open Sans, bold, beside the
    Roboto of every other byline. Among the page's own faces it is Roboto 400."""
    news = MAIL.parent / "bs_news_portal.png"
    analysis = analyze(news.read_bytes())
    # (It is one line with its second half again: paragraphs.join_split_lines.)
    (byline,) = [
        ln for b in analysis.blocks for ln in b.lines if ln.text == "By Aisha Rahman \u00b7 6 min read"
    ]
    assert byline.fit.face is not None and byline.fit.face.family == "Roboto"
    assert byline.fit.weight == 400
