"""The visual-diff score on controlled edits of a fixture page, rendered by the real sealed browser.

Each edit must move the score in the right direction by a sensible amount and be named in the
discrepancies. References are analysed once per language (OCR is the slow part).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image

from replicator.errors import CorruptInput
from replicator.models import SCORE_FIELDS, RenderResult, Score, Viewport
from replicator.ocr import OcrEngine
from replicator.render import SealedBrowserPool
from replicator.score import ReferenceAnalysis, analyze_reference, score_against_source, score_screenshots
from tests.conftest import FIXTURES
from tests.golden import check_golden_json

VIEWPORT = Viewport(1280, 1080)
SUBSCORES = SCORE_FIELDS


def _style(css: str) -> Callable[[str], str]:
    return lambda html: html.replace("</head>", f"<style>{css}</style></head>")


def _without(element_id: str) -> Callable[[str], str]:
    return lambda html: re.sub(rf'<p id="{element_id}">.*?</p>', "", html, flags=re.S)


def _para_in_canvas(html: str) -> str:
    """The second story paragraph drawn on a canvas: no DOM text, same ink."""
    text = re.search(r'<p id="para-2">(.*?)</p>', html, flags=re.S)
    assert text
    words = text.group(1)
    cut = words.find(" ", len(words) // 2) + 1 or len(words) // 2  # at a word break (CJK: anywhere)
    canvas = (
        '<canvas id="c" width="860" height="60"></canvas><script>'
        "const g=document.getElementById('c').getContext('2d');"
        "g.font='17px \"Liberation Sans\", \"Noto Sans CJK SC\"';g.fillStyle='#374151';"
        f"g.fillText({words[:cut]!r},0,20);g.fillText({words[cut:]!r},0,48);"
        "</script>"
    )
    return html.replace(text.group(0), canvas)


EDITS: dict[str, Callable[[str], str]] = {
    "identical": lambda html: html,
    "shift": _style("#card-focus { position: relative; top: 40px; }"),
    "color": _style("#lead { color: #777777 !important; }"),
    "delete": _without("para-2"),
    "background": _style("body, .features, .story { background: #0f172a; }"),
    "taller": _style("footer { margin-bottom: 640px; }"),
    "canvas": _para_in_canvas,
    "blank": lambda html: "<!doctype html><html><head></head><body></body></html>",
}


@dataclass
class Fixture:
    reference: ReferenceAnalysis
    renders: dict[str, RenderResult]
    scores: dict[str, Score]


@pytest.fixture(scope="session")
def ocr() -> OcrEngine:
    return OcrEngine.shared()


async def _fixture(pool: SealedBrowserPool, ocr: OcrEngine, page: str) -> Fixture:
    html = (FIXTURES / "score" / page).read_text(encoding="utf-8")
    renders = {name: await pool.render(edit(html), VIEWPORT) for name, edit in EDITS.items()}
    reference = analyze_reference(renders["identical"].png, ocr=ocr)
    scores = {name: score_against_source(reference, render, ocr=ocr) for name, render in renders.items()}
    return Fixture(reference, renders, scores)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def english(browser_pool: SealedBrowserPool, ocr: OcrEngine) -> Fixture:
    return await _fixture(browser_pool, ocr, "landing.html")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def chinese(browser_pool: SealedBrowserPool, ocr: OcrEngine) -> Fixture:
    return await _fixture(browser_pool, ocr, "landing-zh.html")


@pytest.fixture(params=["english", "chinese"])
def page(request: pytest.FixtureRequest) -> Fixture:
    return request.getfixturevalue(request.param)


def _kinds(score: Score) -> list[str]:
    return [d.kind for d in score.discrepancies]


def test_identical_page_scores_100_on_every_sub_score(page: Fixture) -> None:
    score = page.scores["identical"]
    assert score.breakdown() == dict.fromkeys(SUBSCORES, 100.0)
    assert all(d.weight < 0.1 for d in score.discrepancies), score.discrepancies


def test_shifting_one_block_40px_lowers_position_but_not_text(page: Fixture) -> None:
    same, shifted = page.scores["identical"], page.scores["shift"]
    assert shifted.position < same.position - 1.0
    assert shifted.text == same.text
    assert shifted.block == same.block
    assert same.overall - 5 < shifted.overall < same.overall
    moved = [d for d in shifted.discrepancies if d.kind == "moved_block"]
    assert moved, shifted.discrepancies
    assert re.search(r"(3[6-9]|4[0-4]) px lower", moved[0].message), moved[0].message
    assert moved[0].box is not None and 540 < moved[0].box.y < 600  # the middle card's heading


def test_changing_a_text_color_lowers_color(page: Fixture) -> None:
    same, recolored = page.scores["identical"], page.scores["color"]
    assert recolored.color < same.color - 3.0
    assert recolored.text == same.text and recolored.position == same.position
    first = recolored.discrepancies[0]
    assert first.kind == "text_color"
    # The render's CSS color, and the source's measured color corrected for anti-aliasing.
    assert "#777777" in first.message
    source_hex = re.search(r"vs #([0-9a-f]{6}) in the source", first.message)
    assert source_hex, first.message
    gray = [int(source_hex.group(1)[i : i + 2], 16) for i in (0, 2, 4)]
    assert all(abs(c - 0x33) <= 12 for c in gray), first.message


def test_deleting_a_paragraph_lowers_block_and_text(page: Fixture, ocr: OcrEngine) -> None:
    same, deleted = page.scores["identical"], page.scores["delete"]
    assert deleted.block < same.block - 2.0
    assert deleted.text < same.text - 3.0
    assert 75 < deleted.overall < same.overall - 3.0
    missing = [d for d in deleted.discrepancies if d.kind == "missing_text"]
    assert missing, deleted.discrepancies
    paragraph = re.search(r'<p id="para-2">(.*?)</p>', _source_html(page), flags=re.S)
    assert paragraph
    quoted = missing[0].message.split("'")[1].rstrip("…")
    assert _squash(quoted[:8]) in _squash(paragraph.group(1)), missing[0].message


def test_blank_page_scores_below_20(page: Fixture) -> None:
    blank = page.scores["blank"]
    assert blank.overall < 20
    assert blank.block == blank.text == 0.0
    assert set(_kinds(blank)) <= {"missing_text", "region", "background", "page_size", "edges", "graphics"}
    assert len(blank.discrepancies) == 10  # capped


def test_changed_page_background_lowers_visual(page: Fixture) -> None:
    same, dark = page.scores["identical"], page.scores["background"]
    assert dark.visual < same.visual - 20
    background = [d for d in dark.discrepancies if d.kind == "background"]
    assert background and "#0f172a vs #ffffff" in background[0].message


def test_taller_render_costs_visual_and_says_by_how_much(page: Fixture) -> None:
    same, taller = page.scores["identical"], page.scores["taller"]
    assert taller.visual < same.visual - 5
    assert taller.block == same.block and taller.text == same.text
    size = [d for d in taller.discrepancies if d.kind == "page_size"]
    assert size and re.search(r"6[34]\d px taller", size[0].message), taller.discrepancies


def test_text_drawn_on_a_canvas_is_found_by_the_ocr_check(page: Fixture) -> None:
    deleted, canvas = page.scores["delete"], page.scores["canvas"]
    assert not any(d.kind == "missing_text" and d.weight > 1.0 for d in canvas.discrepancies)
    assert canvas.text > deleted.text + 3.0
    assert canvas.block > deleted.block + 2.0


def test_the_pipeline_call_form_runs_the_image_check_with_the_shared_engine(page: Fixture) -> None:
    # pipeline.py calls score_against_source(reference, render) with no OCR engine.
    assert score_against_source(page.reference, page.renders["canvas"]) == page.scores["canvas"]


def test_scores_of_every_edit_match_the_golden_file(english: Fixture, chinese: Fixture) -> None:
    """Any change to how pages score shows up in review as a diff of this file."""
    expected = {
        language: {
            edit: {
                "score": {k: round(v, 1) for k, v in score.breakdown().items()},
                "first": [d.kind for d in score.discrepancies[:2]],
            }
            for edit, score in fixture.scores.items()
        }
        for language, fixture in (("en", english), ("zh", chinese))
    }
    check_golden_json(FIXTURES / "score" / "expected-scores.json", expected)


def test_chinese_page_scores_like_the_english_one(english: Fixture, chinese: Fixture) -> None:
    for edit in ("shift", "color", "delete", "background", "blank"):
        en_cost = english.scores["identical"].overall - english.scores[edit].overall
        zh_cost = chinese.scores["identical"].overall - chinese.scores[edit].overall
        assert en_cost > 0 and zh_cost > 0, edit
        assert abs(en_cost - zh_cost) <= max(3.0, 0.3 * en_cost), (edit, en_cost, zh_cost)


def test_same_inputs_give_identical_scores(english: Fixture, ocr: OcrEngine) -> None:
    render = english.renders["color"]
    again = score_against_source(english.reference, render, ocr=ocr)
    assert again == english.scores["color"]
    # A second engine: the shared one remembers recent images, this one really reads again.
    fresh = analyze_reference(english.renders["identical"].png, ocr=OcrEngine())
    assert fresh.lines == english.reference.lines
    assert score_against_source(fresh, render, ocr=ocr) == english.scores["color"]


def test_reference_analysis_round_trips_through_bytes(english: Fixture, ocr: OcrEngine) -> None:
    data = english.reference.to_bytes()
    assert b"pickle" not in data[:200]
    back = ReferenceAnalysis.from_bytes(data)
    assert back == english.reference
    assert np.array_equal(back.small, english.reference.small)
    assert back.png == english.reference.png
    assert score_against_source(back, english.renders["delete"], ocr=ocr) == english.scores["delete"]


def test_unreadable_reference_bytes_raise_a_clear_error() -> None:
    with pytest.raises(CorruptInput, match="analyse the source again"):
        ReferenceAnalysis.from_bytes(b"not an archive")


def test_heatmap_is_the_source_size_and_red_where_the_render_differs(english: Fixture) -> None:
    heat = np.asarray(Image.open(io.BytesIO(english.scores["color"].heatmap_png)).convert("RGB")).astype(int)
    assert heat.shape[:2] == (english.reference.height, english.reference.width)
    redness = heat[:, :, 0] - heat[:, :, 1]
    lead = english.scores["color"].discrepancies[0].box
    assert lead is not None
    inside = redness[int(lead.y) : int(lead.bottom), int(lead.x) : int(lead.right)]
    assert inside.max() > 80  # the recolored paragraph is painted red
    assert np.percentile(redness, 90) < 10  # the rest of the page is gray
    same = np.asarray(Image.open(io.BytesIO(english.scores["identical"].heatmap_png)).convert("RGB")).astype(
        int
    )
    assert (same[:, :, 0] - same[:, :, 1]).max() < 30


@pytest.mark.timeout(600)  # six OCR reads: slow when the 2-core machine is busy
def test_scoring_two_screenshots(english: Fixture, ocr: OcrEngine) -> None:
    source = english.renders["identical"].png
    same = score_screenshots(source, source, ocr=ocr)
    assert same.breakdown() == dict.fromkeys(SUBSCORES, 100.0)
    recolored = score_screenshots(source, english.renders["color"].png, ocr=ocr)
    assert recolored.color < 97 and recolored.text > 99
    assert recolored.discrepancies[0].kind == "text_color"
    blank = score_screenshots(source, english.renders["blank"].png, ocr=ocr)
    assert blank.overall < 20


@pytest.mark.timeout(600)
def test_a_narrower_screenshot_is_compared_in_source_coordinates(english: Fixture, ocr: OcrEngine) -> None:
    source = english.renders["identical"].png
    image = Image.open(io.BytesIO(source))
    buffer = io.BytesIO()
    image.crop((0, 0, 1000, image.height)).save(buffer, format="PNG")
    cropped = score_screenshots(source, buffer.getvalue(), ocr=ocr)
    # The 280 px cut off are missing (text, graphics, the right side of every box), yet what is
    # left matches in place: far from both a match and an unrelated page.
    assert 25 < cropped.overall < 100 - 10
    assert cropped.visual < 90
    assert any(d.kind == "page_size" and "280 px narrower" in d.message for d in cropped.discrepancies)


def test_a_corrupt_screenshot_is_refused_clearly(ocr: OcrEngine) -> None:
    with pytest.raises(CorruptInput):
        analyze_reference(b"\x89PNG\r\n\x1a\nnot really", ocr=ocr)


def _source_html(page: Fixture) -> str:
    name = (
        "landing.html"
        if any("Northwind" in line.text for line in page.reference.lines)
        else "landing-zh.html"
    )
    return (FIXTURES / "score" / name).read_text(encoding="utf-8")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()
