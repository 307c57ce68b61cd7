"""Struck-through text (an old price, a finished task) keeps its line: the backend finds the line
drawn through the glyphs, writes ``text-decoration: line-through``, and fits the font to the
glyphs without the line's ink (which otherwise reads as a heavier weight)."""

from __future__ import annotations

import re

import pytest

from replicator.backends.local.page import analyze, render_analysis
from replicator.backends.local.webfonts import WebFontLibrary
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

from .test_local_text import page

pytestmark = pytest.mark.skipif(
    "Inter" not in {f.family for f in WebFontLibrary.shared().families},
    reason="the @fontsource packages are installed by `make setup`",
)

BODY = (
    '<p style="text-decoration:line-through;color:#9ca3af">Split the cart into its own route</p>'
    '<p style="text-decoration:line-through;color:#9ca3af;font-size:12px">¥599</p>'
    "<p>Remember the last shipping method</p>"
    '<p style="font-weight:600;letter-spacing:-.04em">mmmmwwmm</p>'
    "<p>Sales — summary ——— total</p>"
)


async def test_a_line_through_the_text_is_a_strike_and_not_part_of_the_glyphs(
    browser_pool: SealedBrowserPool,
) -> None:
    render = await browser_pool.render(page("Inter", BODY), Viewport(600, 300))
    analysis = analyze(render.png)
    lines = {ln.text: ln for block in analysis.blocks for ln in block.lines}
    struck = {text for text, line in lines.items() if line.strike}
    assert struck == {"Split the cart into its own route", "599"} or struck == {
        "Split the cart into its own route",
        "¥599",
    }, struck
    # The glyphs are fitted without the line: a regular weight, as set.
    assert lines["Split the cart into its own route"].fit.weight <= 500
    html = render_analysis(analysis)
    rules = re.findall(r"\.([\w-]+)\{[^}]*text-decoration:line-through", html)
    assert rules
    assert re.search(rf'class="[^"]*\b{rules[0]}\b[^"]*">Split the cart into its own route<', html)
