"""Count badges and numbered steps from screenshots: pages drawn by Chromium, read back by the local
backend, and the replica's text and markup inspected (a bell's "9+" pill, a lone red "3", a
stepper's filled disc and outlined rings with their digits, a count beside its icon)."""

from __future__ import annotations

import html5lib
import numpy as np
import pytest

from replicator.backends.local.controls import remeasure_on_fills, split_discs
from replicator.backends.local.model import Region
from replicator.backends.local.page import analyze, build_page, decode
from replicator.backends.local.text import read_lines
from replicator.models import Box, Viewport
from replicator.ocr import OcrLine
from replicator.render import SealedBrowserPool

# A bell drawn as an inline SVG (no icon set), a red pill overlapping its corner, a lone red disc
# and a yellow pill; then a comment mark with its count beside it.
BADGES = """<!doctype html><html><head><style>
*{box-sizing:border-box}
body{margin:0;background:#fff;font:15px 'DejaVu Sans',sans-serif;color:#212529}
.bar{display:flex;align-items:center;gap:56px;padding:40px 60px}
.bell{position:relative;width:26px;height:26px}
.pill{position:absolute;top:-7px;right:-14px;height:17px;padding:0 5px;border-radius:9px;background:#dc3545;
  color:#fff;font:bold 10px 'DejaVu Sans',sans-serif;display:flex;align-items:center}
.disc{width:20px;height:20px;border-radius:50%;background:#dc3545;color:#fff;font:bold 11px 'DejaVu Sans',sans-serif;
  display:grid;place-items:center}
.amber{height:18px;padding:0 6px;border-radius:9px;background:#ffc107;color:#111;
  font:bold 11px 'DejaVu Sans',sans-serif;display:flex;align-items:center}
.note{display:flex;align-items:center;gap:5px;color:#59636e;font-size:13px}
</style></head><body><div class="bar">
<div class="bell"><svg width="26" height="26" viewBox="0 0 26 26"><path d="M13 3c-5 0-7 4-7 8v6l-3 3h20l-3-3v-6c0-4-2-8-7-8z" fill="none" stroke="#343a40" stroke-width="2"/><circle cx="13" cy="23" r="2" fill="#343a40"/></svg><span class="pill">9+</span></div>
<span>Inbox</span><span class="disc">3</span>
<span>Alerts</span><span class="amber">15</span>
<span class="note"><svg width="16" height="16" viewBox="0 0 16 16"><path d="M1 2h14v9H6l-4 3v-3H1z" fill="#59636e"/></svg>7</span>
</div></body></html>"""

STEPPER = """<!doctype html><html><head><style>
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;font:14px 'DejaVu Sans',sans-serif;color:#8a8f98}
.steps{display:flex;gap:32px;padding:50px 60px}
.step{display:flex;align-items:center;gap:10px}
.n{width:26px;height:26px;border-radius:50%;border:2px solid #c9ccd2;display:grid;place-items:center;
  font-size:12px;font-weight:bold}
.done .n{background:#00947e;border-color:#00947e;color:#fff}
.on{color:#363636;font-weight:bold}
.on .n{border-color:#00947e;color:#00947e}
</style></head><body><div class="steps">
<div class="step done"><span class="n">1</span>Basics</div>
<div class="step on"><span class="n">2</span>Details</div>
<div class="step"><span class="n">3</span>Team</div>
<div class="step"><span class="n">4</span>Review</div>
</div></body></html>"""


async def _replica(pool: SealedBrowserPool, page: str, width: int, height: int) -> tuple[str, object]:
    shot = await pool.render(page, Viewport(width, height))
    replica = build_page(shot.png)
    return replica, html5lib.parse(replica, namespaceHTMLElements=False)


def _texts(document: object) -> list[str]:
    """The text of every element that holds text of its own."""
    found = []
    for element in document.iter():  # type: ignore[attr-defined]
        own = (element.text or "").strip()
        if own:
            found.append(own)
    return found


async def test_badge_counts_on_a_bell_alone_and_beside_an_icon_are_read(
    browser_pool: SealedBrowserPool,
) -> None:
    replica_html, document = await _replica(browser_pool, BADGES, 820, 140)
    texts = _texts(document)
    for count in ("9+", "3", "15", "7"):
        assert count in texts, texts
    # The pill and the disc keep their fill behind their counts.
    assert "#dc3545" in replica_html.lower()


async def test_a_stepper_s_rings_are_round_bordered_boxes_holding_their_digits(
    browser_pool: SealedBrowserPool,
) -> None:
    shot = await browser_pool.render(STEPPER, Viewport(760, 140))
    analysis = analyze(shot.png)
    rings = [r for r in analysis.regions if r.border_width == (2, 2, 2, 2) and 24 <= r.box.height <= 28]
    assert len(rings) == 3, [(r.box, r.border_width) for r in analysis.regions]
    assert all(r.radius >= r.box.height / 2 - 0.5 for r in rings)
    lines = [ln for block in analysis.blocks for ln in block.lines]
    for ring, digit in zip(sorted(rings, key=lambda r: r.box.x), "234", strict=True):
        (inside,) = [ln for ln in lines if ring.box.contains(ln.ink)]
        assert inside.text == digit and inside.ink.height < 12  # the digit, not its ring, is the ink


async def test_a_circled_digit_ocr_wrote_for_a_ring_is_cut_out_of_its_label(
    browser_pool: SealedBrowserPool,
) -> None:
    """OCR reads a ring and its label as one word ("③Team", as on a real page): the ring becomes
    a bordered round box holding "3", the label a line of its own."""
    shot = await browser_pool.render(STEPPER, Viewport(760, 140))
    rgb = decode(shot.png)
    ink = np.abs(rgb.astype(np.int16) - rgb[2, 2].astype(np.int16)).max(axis=2) > 20
    ys, xs = np.nonzero(ink[:, 290:380])  # the third step: its ring and "Team"
    box = Box(290 + int(xs.min()), int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1)
    (line,) = read_lines(rgb, [OcrLine("③Team", box, 0.96)])
    root = Region(Box(0, 0, 760, 140), (245, 246, 248))
    regions = [root]
    out, left_out = split_discs(rgb, [line], regions, root)
    assert left_out == []  # nothing between the ring and its label
    # (Spaces inside the label are the text measure's business: the cut is what is tested.)
    assert sorted("".join(ln.text.split()) for ln in out) == ["3", "Team"], [ln.text for ln in out]
    (ring,) = regions[1:]
    assert ring.border_width == (2, 2, 2, 2) and ring.box.contains(
        next(ln for ln in out if ln.text == "3").ink
    )


def test_a_short_word_on_a_pill_the_detector_passed_over_is_read() -> None:
    """primer_issues' magenta "ui" label after a red "bug" one: OCR's detector found no text on
    the pill, and its word was lost; read from the word's own ink it is "ui"."""
    from pathlib import Path

    reference = Path(__file__).parent.parent / "fixtures/realpages/references/primer_issues.png"
    analysis = analyze(reference.read_bytes())
    pill = Box(750, 571, 25, 20)
    words = [ln for b in analysis.blocks for ln in b.lines if pill.contains(ln.ink, slack=1)]
    assert [ln.text for ln in words] == ["ui"]
    assert min(words[0].color) >= 230  # white on the pill
    assert any(r.visible and pill.contains(r.box, slack=2) and r.radius >= 9 for r in analysis.regions)


@pytest.mark.parametrize(("page", "price"), [("bs_pricing", "$0"), ("daisy_pricing_dark", "\u20ac0")])
def test_a_big_price_the_detector_passed_over_is_text_not_a_box_and_pictures(page: str, price: str) -> None:
    """A pricing card's "$0" in heavy 48 px type: the detector found no text, its "0" became a
    dark rounded box with its counter a picture (matched to Bootstrap's usb-plug-fill), its "$" a
    picture. Read together they are the price; the recognizer has no euro sign, so "€0" is told
    from the other signs by its drawing."""
    from pathlib import Path

    reference = Path(__file__).parent.parent / "fixtures/realpages/references" / f"{page}.png"
    analysis = analyze(reference.read_bytes())
    prices = [ln for b in analysis.blocks for ln in b.lines if ln.text == price]
    assert len(prices) == 1
    ink = prices[0].ink
    assert not any(g.box.intersection(ink) > 0.3 * g.box.area for g in analysis.graphics)
    assert not any(r.visible and ink.contains(r.box, slack=2) for r in analysis.regions)


def test_the_chevrons_between_a_checkout_s_numbered_steps_are_kept_as_icons() -> None:
    """tw_checkout's steps, "✓ Cart > ② Shipping & payment > ③ Review" as OCR reads them: the line
    is cut at its discs, and its pieces dropped the ">" they held as icons; the line had hidden
    that ink from the graphics finder, so the two chevrons were lost. They are icons now, each
    between the words it separates, and nothing else between the steps became a picture."""
    from tests.plugins.pages import REAL_REFERENCES_DIR

    analysis = analyze((REAL_REFERENCES_DIR / "tw_checkout.png").read_bytes())
    strip = Box(480, 15, 360, 30)
    words = {ln.text: ln.ink for b in analysis.blocks for ln in b.lines if ln.ink.intersection(strip) > 0}
    assert {"Cart", "Shipping & payment", "Review"} <= set(words), words
    between = sorted(
        (g for g in analysis.graphics if g.box.intersection(strip) > 0 and g.box.x > words["Cart"].right),
        key=lambda g: g.box.x,
    )
    assert [g.icon.name if g.icon else None for g in between] == ["chevron-right", "chevron-right"]
    first, second = (g.box for g in between)
    assert words["Cart"].right < first.x and first.right < words["Shipping & payment"].x
    assert words["Shipping & payment"].right < second.x and second.right < words["Review"].x


@pytest.mark.parametrize(("fill", "color"), [("#198754", "#fff"), ("#ffc107", "#111")])
async def test_a_badge_boxed_tight_by_the_detector_is_read_on_its_pill(
    browser_pool: SealedBrowserPool, fill: str, color: str
) -> None:
    """bs_dashboard's first "Paid": OCR's box held the pill and nothing around it, so the pill was
    all ink and the word was fitted to it (Inter 900 at 21 px for 10.5 px bold). On a solid block
    holding letters of another colour, the block is the background."""
    html_in = (
        "<!doctype html><html><body style=\"margin:40px;background:#fff;font:700 10.5px 'DejaVu Sans'\">"
        f'<span id="b" style="display:inline-block;background:{fill};color:{color};padding:4px 8px;'
        'border-radius:6px">Paid</span></body></html>'
    )
    render = await browser_pool.render(html_in, Viewport(300, 100))
    word = next(b.box for b in render.text_boxes if b.text.strip() == "Paid")
    pill = Box(word.x - 8, word.y - 4, word.width + 16, word.height + 8)
    # As OCR's detector boxed it: the pill and nothing around it.
    rgb = decode(render.png)
    root = Region(Box(0, 0, 300, 100), (255, 255, 255))
    (line,) = remeasure_on_fills(rgb, read_lines(rgb, [OcrLine("Paid", pill, 0.99)]), [], None, root)
    assert line.text == "Paid" and line.ink.height <= 9 and abs(line.fit.size - 10.5) <= 1.5, (
        line.ink,
        line.fit,
    )
    assert pill.x + 4 <= line.ink.x and line.ink.right <= pill.right - 4
    (badge,) = root.children
    assert abs(badge.box.x - pill.x) <= 1.5 and abs(badge.box.right - pill.right) <= 1.5, (badge.box, pill)
    want = tuple(int(fill[k : k + 2], 16) for k in (1, 3, 5))
    assert max(abs(a - b) for a, b in zip(badge.fill, want, strict=True)) <= 12 and 3 <= badge.radius <= 9, (
        badge
    )
