"""The graphics term, exact text and the defect-based overall on real renders of a page built with
Font Awesome (from node_modules): a missing icon, a swapped icon, a removed chart and a one-letter
typo each cost what a reviewer would charge, in words; harmless changes cost nothing; two unrelated
pages are far apart on every text term."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest_asyncio

from replicator.models import Box, Score, Viewport
from replicator.ocr import OcrEngine
from replicator.render import SealedBrowserPool
from replicator.score import ReferenceAnalysis, analyze_reference, score_against_source
from replicator.score.exact import strict_text
from replicator.score.graphics import Graphic, compare_graphics

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = Viewport(960, 640)
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/node_modules/@fortawesome/fontawesome-free/css/all.min.css">
<style>
body { margin: 0; font-family: "Liberation Sans", Arial, sans-serif; color: #1f2937; background: #f8fafc; }
header { display: flex; align-items: center; gap: 10px; padding: 18px 32px; background: #fff;
  border-bottom: 1px solid #e2e8f0; font-size: 20px; font-weight: 700; }
header .fa-cube { color: #4f46e5; font-size: 24px; }
main { padding: 28px 32px; display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 18px 22px; }
.card h2 { margin: 0 0 6px; font-size: 22px; }
.card p { margin: 0; color: #475569; font-size: 15px; }
.icons { display: flex; gap: 18px; font-size: 26px; margin-top: 14px; }
.icons .fa-heart { color: #dc2626; } .icons .fa-star { color: #d97706; }
.icons .fa-bell { color: #2563eb; } .icons .fa-gear { color: #334155; }
</style></head><body>
<header><i class="fa-solid fa-cube"></i><span>Orbit Console</span></header>
<main>
  <div class="card"><h2>Dashboard</h2><p>Everything your team shipped this week.</p>
    <div class="icons"><i class="fa-solid fa-heart"></i><i class="fa-solid fa-star"></i>
    <i class="fa-solid fa-bell"></i><i class="fa-solid fa-gear"></i></div></div>
  <div class="card"><h2>Revenue</h2><p>Monthly recurring revenue by plan.</p>
    <svg id="chart" width="380" height="150" viewBox="0 0 380 150">
      <rect x="10" y="60" width="50" height="90" fill="#6366f1"/><rect x="80" y="30" width="50" height="120" fill="#22c55e"/>
      <rect x="150" y="90" width="50" height="60" fill="#f59e0b"/><path d="M230 150 L290 20 L350 150 Z" fill="#ec4899"/>
      <circle cx="300" cy="60" r="18" fill="#0ea5e9"/></svg></div>
</main></body></html>"""

UNRELATED = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font-family: "DejaVu Serif", serif; background: #111827; color: #f9fafb; }
article { max-width: 640px; margin: 60px auto; line-height: 1.7; font-size: 18px; }
h1 { font-size: 40px; margin: 0 0 20px; }
</style></head><body><article><h1>Letters from the harbour</h1>
<p>The ferry left at seven, as it always did, and the gulls followed it past the breakwater.</p>
<p>By noon the fog had lifted and the islands stood out sharp against a pale sky.</p>
</article></body></html>"""

EDITS = {
    "same": lambda html: html,
    "icon_missing": lambda html: html.replace(
        '"fa-solid fa-bell">', '"fa-solid fa-bell" style="visibility:hidden">'
    ),
    "icon_swapped": lambda html: html.replace("fa-solid fa-star", "fa-solid fa-car"),
    "icons_missing": lambda html: html.replace(".icons {", ".icons { visibility: hidden; "),
    "chart_missing": lambda html: html.replace(
        '<svg id="chart"', '<svg id="chart" style="visibility:hidden"'
    ),
    "typo": lambda html: html.replace("<h2>Dashboard</h2>", "<h2>Dashbaord</h2>"),
    "one_px_lower": lambda html: html.replace("<body>", '<body style="position:relative;top:1px">'),
    "unrelated": lambda html: UNRELATED,
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(browser_pool: SealedBrowserPool) -> dict[str, Score]:
    renders = {
        name: await browser_pool.render(edit(PAGE), VIEWPORT, base_dir=ROOT) for name, edit in EDITS.items()
    }
    reference = analyze_reference(renders["same"].png, ocr=OcrEngine.shared())
    return {name: score_against_source(reference, render) for name, render in renders.items()}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reference(browser_pool: SealedBrowserPool) -> ReferenceAnalysis:
    render = await browser_pool.render(PAGE, VIEWPORT, base_dir=ROOT)
    return analyze_reference(render.png, ocr=OcrEngine.shared())


def _messages(score: Score, kind: str) -> list[str]:
    return [d.message for d in score.discrepancies if d.kind == kind]


async def test_the_source_graphics_are_the_icons_logo_and_chart(reference: ReferenceAnalysis) -> None:
    icons = [g for g in reference.graphics if g.kind == "icon"]
    images = [g for g in reference.graphics if g.kind == "image"]
    # The logo beside the header's words (inside OCR's box for them) and the four icons of the row.
    assert len(icons) >= 5, reference.graphics
    assert any(g.box.x < 70 and g.box.y < 60 for g in icons), "the logo in the header is a graphic"
    # The chart's pie-like shapes are a graphic; its bars are flat boxes (the edges term's).
    assert len(images) == 1 and images[0].box.x > 480 and images[0].box.y > 120, reference.graphics


async def test_an_identical_page_scores_100_and_a_1px_shift_costs_nothing(scored: dict[str, Score]) -> None:
    assert scored["same"].overall == 100.0 and scored["same"].graphics == 100.0
    assert scored["one_px_lower"].overall >= 98.0, scored["one_px_lower"].discrepancies


async def test_a_missing_icon_costs_like_a_visible_defect_and_is_named(scored: dict[str, Score]) -> None:
    score = scored["icon_missing"]
    assert score.overall < 95.0, score.discrepancies
    assert score.graphics < 100.0
    assert any("icon at" in m and m.endswith("is missing") for m in _messages(score, "graphics")), (
        score.discrepancies
    )
    # Nothing else changed: the text terms stay at 100.
    assert score.text == score.block == 100.0


async def test_another_icon_in_place_of_one_costs_and_says_it_differs(scored: dict[str, Score]) -> None:
    score = scored["icon_swapped"]
    assert score.overall < 95.0, score.discrepancies
    assert any("icon at" in m and "differs" in m for m in _messages(score, "graphics")), score.discrepancies


async def test_removing_the_chart_or_the_icon_row_falls_below_a_90_gate(scored: dict[str, Score]) -> None:
    for name in ("chart_missing", "icons_missing"):
        score = scored[name]
        assert score.overall < 90.0, (name, score.discrepancies)
    chart = _messages(scored["chart_missing"], "graphics")
    assert any(m.startswith("image, chart or illustration at") and m.endswith("is missing") for m in chart)


async def test_one_wrong_letter_in_a_heading_is_charged_and_named_with_both_strings(
    scored: dict[str, Score],
) -> None:
    score = scored["typo"]
    assert score.overall < 95.0, score.discrepancies
    assert score.text < 100.0
    assert "'Dashbaord' where the source has 'Dashboard'" in _messages(score, "wrong_text")


async def test_two_unrelated_pages_score_under_30_on_the_overall_and_every_text_term(
    scored: dict[str, Score],
) -> None:
    score = scored["unrelated"]
    assert score.overall < 30.0
    for name in ("block", "text", "position", "color", "typography"):
        assert getattr(score, name) < 30.0, (name, score.breakdown())


def test_strict_text_keeps_case_and_symbols_but_not_spaces() -> None:
    assert strict_text("H O ME") == "HOME"
    assert strict_text("CsS") != strict_text("CSS")
    assert strict_text("© 2024") != strict_text("@ 2024")


def test_strict_text_reads_typographic_quotes_and_dashes_as_ocr_writes_them() -> None:
    # OCR's reading of a source that sets them, and a replica's DOM string that sets them too.
    assert strict_text('Ben commented on "Checkout v3" - Should') == strict_text(
        "Ben commented on \u201cCheckout v3\u201d \u2014 Should"
    )
    assert strict_text("let's decide") == strict_text("let\u2019s decide")
    # Only punctuation folds: a wrong letter beside a curly quote still counts.
    assert strict_text("\u201cHOME\u201d") != strict_text('"HHOME"')


def test_a_missing_icon_that_ocr_read_as_a_letter_is_one_difference() -> None:
    from replicator.models import Box, Discrepancy
    from replicator.score.scorer import _icon_read_as_text

    icon = Box(284, 23, 19, 19)
    as_letter = Discrepancy(
        "missing_text", "'Q' text missing at x=283, y=23 in the source", 1.4, Box(283, 23, 14, 18)
    )
    a_word = Discrepancy("missing_text", "'Search' text missing", 3.0, Box(283, 23, 60, 18))
    elsewhere = Discrepancy("missing_text", "'Q' text missing", 1.4, Box(600, 300, 14, 18))
    assert _icon_read_as_text(as_letter, [icon])
    assert not _icon_read_as_text(a_word, [icon])  # a word is text, whatever is beside it
    assert not _icon_read_as_text(elsewhere, [icon])


def test_a_sliver_cut_by_the_bottom_edge_is_not_an_extra_graphic() -> None:
    """A screenshot clamped mid-line ends on the tops of glyphs: in the render they may be a
    picture's (a cropped line) and show a pixel more or less than in the source. Those slivers are
    left out of the comparison; a tall picture the screenshot ends on still counts."""
    source = np.full((200, 300, 3), 255, dtype=np.uint8)
    render = source.copy()
    render[192:200, 40:120] = 30  # the tops of a line's letters, at the bottom edge
    render[120:200, 200:280] = 90  # a photo the screenshot ends on
    sliver = Graphic(Box(40, 192, 80, 8), "icon", 5.0)
    photo = Graphic(Box(200, 120, 80, 80), "image", 20.0)
    result = compare_graphics([], source, [sliver, photo], render)
    assert [m.graphic.kind for m in result.extra] == ["image"]
