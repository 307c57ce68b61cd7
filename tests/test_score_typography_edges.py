"""The typography and edges terms on real renders: they see what the other terms miss (another
font, hidden borders) and stay at 100 for what they must forgive (a color change, a moved section)."""

from __future__ import annotations

import numpy as np
import pytest
import pytest_asyncio

from replicator.models import Box, Score, Viewport
from replicator.ocr import OcrEngine
from replicator.render import SealedBrowserPool
from replicator.score import ReferenceAnalysis, analyze_reference, score_against_source
from replicator.score.edges import Shift, compare_edges, edge_map, unmatched_regions

VIEWPORT = Viewport(900, 700)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font-family: "Liberation Sans", Arial, sans-serif; color: #1f2937; background: #fff; }
header { padding: 24px 40px; border-bottom: 1px solid #d1d5db; font-size: 22px; font-weight: 700; }
main { padding: 32px 40px; }
.card { border: 1px solid #cbd5e1; border-radius: 10px; padding: 20px 24px; margin-bottom: 24px; width: 520px; }
.card h2 { margin: 0 0 8px; font-size: 20px; }
.card p { margin: 0; font-size: 16px; line-height: 1.5; color: #4b5563; }
</style></head><body>
<header>Acme Analytics</header>
<main>
  <div class="card"><h2>Weekly report</h2><p>Traffic grew by twelve percent since Monday.</p></div>
  <div class="card"><h2>Billing</h2><p>Your next invoice is due on the first of March.</p></div>
  <div class="card"><h2>Team members</h2><p>Invite colleagues to share dashboards and alerts.</p></div>
</main></body></html>"""

CHANGES = {
    "same": "",
    "serif": 'body, .card p { font-family: "DejaVu Serif", serif !important; }',
    "bold": "body * { font-weight: 700 !important; }",
    "larger": ".card p { font-size: 19px !important; }",
    "italic": "body * { font-style: italic !important; }",
    "recolored": ".card p { color: #b91c1c !important; }",
    "no_borders": ".card, header { border-color: transparent !important; }",
    "pushed_down": "main { padding-top: 90px !important; }",
}


def _with(css: str) -> str:
    return PAGE.replace("</head>", f"<style>{css}</style></head>")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(browser_pool: SealedBrowserPool) -> dict[str, Score]:
    renders = {name: await browser_pool.render(_with(css), VIEWPORT) for name, css in CHANGES.items()}
    reference = analyze_reference(renders["same"].png, ocr=OcrEngine.shared())
    return {name: score_against_source(reference, render) for name, render in renders.items()}


def test_the_same_page_scores_100_on_typography_and_edges(scored: dict[str, Score]) -> None:
    assert scored["same"].typography == 100.0 and scored["same"].edges == 100.0


@pytest.mark.parametrize("change", ["serif", "bold", "larger", "italic"])
def test_another_font_weight_or_size_lowers_typography_and_says_so(
    scored: dict[str, Score], change: str
) -> None:
    same, changed = scored["same"], scored[change]
    assert changed.typography < 80, changed.breakdown()
    # The words are the same: the text terms cannot see it.
    assert changed.text >= same.text - 1 and changed.block >= same.block - 1
    kinds = [d.kind for d in changed.discrepancies]
    assert "typography" in kinds, changed.discrepancies
    message = next(d.message for d in changed.discrepancies if d.kind == "typography")
    expected = {"serif": "typeface", "bold": "bolder", "larger": "larger", "italic": "italics"}[change]
    assert expected in message, message


def test_a_text_color_change_is_colors_business_not_typographys(scored: dict[str, Score]) -> None:
    recolored = scored["recolored"]
    assert recolored.color < 90
    assert recolored.typography >= 99.0 and recolored.edges >= 99.0


def test_hidden_borders_lower_edges_and_are_located(scored: dict[str, Score]) -> None:
    hidden = scored["no_borders"]
    assert hidden.edges < 40, hidden.breakdown()
    assert hidden.typography == 100.0 and hidden.text == 100.0
    assert hidden.overall < 92  # a design check at 95 no longer lets it through
    missing = [d for d in hidden.discrepancies if d.kind == "edges"]
    assert missing and "missing" in missing[0].message
    assert missing[0].box is not None and missing[0].box.x < 100  # the cards' left borders


def test_borders_that_moved_with_their_content_are_not_missing(scored: dict[str, Score]) -> None:
    pushed = scored["pushed_down"]
    assert pushed.position < 100  # the move itself is the position term's to charge
    assert pushed.edges > 95, pushed.breakdown()
    assert pushed.typography == 100.0


def test_edges_f1_on_hand_made_maps() -> None:
    ref = np.zeros((100, 200), dtype=bool)
    ref[20, 10:190] = True  # a divider
    ref[60:90, 50] = True  # a border
    same = compare_edges(ref, ref.copy(), [])
    assert same.score == 1.0 and not same.missing.any()
    near = np.roll(ref, 2, axis=0)  # within the 2 px tolerance
    assert compare_edges(ref, near, []).score == 1.0
    gone = ref.copy()
    gone[60:90, 50] = False
    lost = compare_edges(ref, gone, [])
    assert lost.precision == 1.0 and lost.recall == pytest.approx(180 / 210)
    (box, pixels), *_ = unmatched_regions(lost.missing)
    assert pixels == 30 and box.x <= 50 <= box.right and box.y <= 60
    # Text areas are the text terms' business.
    assert compare_edges(ref, gone, [Box(40, 55, 20, 40)]).score == 1.0
    assert compare_edges(ref, gone, cand_text=[Box(40, 55, 20, 40)]).score == 1.0
    # A section that moved 40 px down with its text: matched through the text's move.
    moved = np.zeros_like(ref)
    moved[60, 10:190] = True
    shift = Shift(ref_box=Box(10, 24, 100, 16), cand_box=Box(10, 64, 100, 16), dx=0, dy=40)
    only_ref = ref.copy()
    only_ref[60:90, 50] = False
    assert compare_edges(only_ref, moved, []).score == 0.0
    assert compare_edges(only_ref, moved, shifts=[shift]).score == 1.0


def test_edge_map_finds_a_faint_border_and_ignores_a_smooth_gradient() -> None:
    image = np.full((80, 120, 3), 255, dtype=np.uint8)
    image[40, :] = (229, 231, 235)  # a #e5e7eb divider on white
    assert edge_map(image)[38:43].any()
    gradient = np.tile(np.linspace(200, 255, 120, dtype=np.uint8)[None, :, None], (80, 1, 3))
    assert not edge_map(gradient).any()


async def test_the_source_edge_map_is_kept_for_later_candidates(browser_pool: SealedBrowserPool) -> None:
    source = await browser_pool.render(PAGE, VIEWPORT)
    candidate = await browser_pool.render(_with(CHANGES["no_borders"]), VIEWPORT)
    reference = analyze_reference(source.png, ocr=OcrEngine.shared())
    edges = reference._derived["edges"]  # found with the graphics, and kept
    first = score_against_source(reference, candidate)
    assert reference._derived["edges"] is edges  # the next round's candidate reuses it
    # A reference read back from its stored bytes recomputes it, to the same score.
    stored = ReferenceAnalysis.from_bytes(reference.to_bytes())
    assert score_against_source(stored, candidate) == first
