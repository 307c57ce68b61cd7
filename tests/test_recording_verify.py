"""Composing one interactive page from per-state pages, and replaying a recording's transitions
on a page in the sealed browser (compose.py, verify.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from replicator.config import Settings
from replicator.models import Box, InteractionReport, Source, Viewport
from replicator.ocr import OcrEngine
from replicator.recording import load_recording
from replicator.recording.compose import STATE_ATTR, compose_states, scope_selector, scope_stylesheet
from replicator.recording.steps import Step, steps_for
from replicator.recording.verify import verify_interactions
from replicator.render import SealedBrowserPool
from replicator.sanitize import Sanitizer
from tests.plugins.recordings import RECORDINGS_DIR, recording

PAGES = RECORDINGS_DIR / "pages"
SCOPE = '[data-replicator-state="2"]'


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("verify-data"))  # type: ignore[call-arg]
    out = {}
    for name in ("tabs", "accordion", "navigation"):
        rec = recording(name)
        out[name] = load_recording(rec.path, settings, media_type=rec.media_type)
    return out


@pytest.fixture(scope="module")
def sanitizer() -> Sanitizer:
    return Sanitizer.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]


def steps_of(source: Source) -> tuple[Step, ...]:
    return steps_for(source, OcrEngine.shared())


def fixture_page(name: str, edit: object = None) -> str:
    """A fixture page as one static document: its stylesheet inlined, its scripts (and fake cursor) gone."""
    doc = etree.HTML((PAGES / name).read_text())
    head = doc.find("head")
    for link in doc.iter("link"):
        style = etree.SubElement(head, "style")
        style.text = (PAGES / link.get("href")).read_text()
        link.getparent().remove(link)
    for script in list(doc.iter("script")):
        script.getparent().remove(script)
    if callable(edit):
        edit(doc)
    return "<!DOCTYPE html>\n" + etree.tostring(doc, method="html", encoding="unicode")


def tab_page(active: str) -> str:
    def edit(doc: etree._Element) -> None:
        for tab in doc.iter("button"):
            tab.set("aria-selected", "true" if tab.get("data-panel") == active else "false")
        for panel in doc.iter("section"):
            if panel.get("id") == active:
                panel.attrib.pop("hidden", None)
            else:
                panel.set("hidden", "")

    return fixture_page("tabs.html", edit)


def accordion_page(open_items: set[str]) -> str:
    def edit(doc: etree._Element) -> None:
        for item in doc.iter("div"):
            if item.get("id") in open_items:
                item.set("class", "item open")

    return fixture_page("accordion.html", edit)


def switches_page(on: set[str]) -> str:
    def edit(doc: etree._Element) -> None:
        for button in doc.iter("button"):
            button.set("aria-checked", "true" if button.get("id") in on else "false")

    return fixture_page("switches.html", edit)


def truth_pages(name: str) -> list[str]:
    """The page the recording showed in each of its states, rebuilt statically."""
    if name == "switches":
        return [
            switches_page(s)
            for s in ({"weekly"}, {"weekly", "spikes"}, {"weekly", "spikes", "news"}, {"weekly", "news"})
        ]
    if name == "tabs":
        return [tab_page(p) for p in ("overview", "pricing", "reviews", "overview")]
    if name == "accordion":
        return [accordion_page(s) for s in (set(), {"q1"}, {"q1", "q2"})]
    return [fixture_page(p) for p in ("home.html", "pricing.html", "home.html")]


# --- CSS scoping ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "scoped"),
    [
        (".card", f"{SCOPE} .card"),
        ("body", SCOPE),
        ("html", SCOPE),
        (":root", SCOPE),
        ("html body", SCOPE),
        ("html > body > main", f"{SCOPE} > main"),
        ("body.dark .x", f"{SCOPE}.dark .x"),
        ("body > header h1", f"{SCOPE} > header h1"),
        ("bodyguard", f"{SCOPE} bodyguard"),
        ("html-viewer p", f"{SCOPE} html-viewer p"),
        ("*", f"{SCOPE} *"),
    ],
)
def test_selectors_are_scoped_to_their_state(selector: str, scoped: str) -> None:
    assert scope_selector(selector, SCOPE) == scoped


def test_selectors_naming_the_body_class_also_match_the_container() -> None:
    body = frozenset({".body", "#top"})
    assert scope_selector(".body", SCOPE, body) == f"{SCOPE} .body, {SCOPE}.body"
    assert scope_selector(".body .navbar", SCOPE, body) == f"{SCOPE} .body .navbar, {SCOPE}.body .navbar"
    assert scope_selector("#top:hover", SCOPE, body) == f"{SCOPE} #top:hover, {SCOPE}#top:hover"
    assert scope_selector(".navbar", SCOPE, body) == f"{SCOPE} .navbar"
    assert scope_selector("div.body", SCOPE, body) == f"{SCOPE} div.body"


async def test_body_styles_reach_the_state_container(
    browser_pool: SealedBrowserPool, sources: dict[str, Source]
) -> None:
    pages = [
        f"<html><head><style>.body {{ background: {color}; margin: 0 }} .body p {{ color: #fff }}</style></head>"
        f'<body class="body"><p>State {i}</p></body></html>'
        for i, color in enumerate(["#123456", "#654321", "#0a0b0c", "#abcdef"])
    ]
    render = await browser_pool.render(compose_states(sources["tabs"], pages, ()), sources["tabs"].viewport)
    image = Image.open(io.BytesIO(render.png)).convert("RGB")
    assert image.getpixel((400, 500)) == (0x12, 0x34, 0x56)  # the body background fills the window
    assert [t.text for t in render.text_boxes] == ["State 0"]


async def test_drawn_svg_in_a_state_stays_svg_in_the_composed_page(
    sources: dict[str, Source], browser_pool: SealedBrowserPool
) -> None:
    shape = (
        '<svg width="120" height="40" viewBox="0 0 120 40"><defs><linearGradient id="g">'
        '<stop offset="0" stop-color="#2361ea"/></linearGradient></defs>'
        '<polygon points="0,0 120,0 120,40 0,40" fill="url(#g)"/></svg>'
    )
    pages = [f"<html><body style='margin:0'>{shape}<p>State {i}</p></body></html>" for i in range(4)]
    composed = compose_states(sources["tabs"], pages, ())
    assert "ns0:" not in composed and "<svg" in composed  # written as HTML writes SVG, no prefix
    render = await browser_pool.render(composed, sources["tabs"].viewport)
    image = Image.open(io.BytesIO(render.png)).convert("RGB")
    assert image.getpixel((8 + 60, 8 + 20)) == (0x23, 0x61, 0xEA)  # drawn (inside the 8 px state margin)


def test_stylesheet_scoping_keeps_media_and_shares_font_faces() -> None:
    css = """
    body { margin: 0 } .a, #b > p { color: red }
    @media (max-width: 600px) { .a { color: blue } }
    @font-face { font-family: X; src: url(data:,) }
    @keyframes spin { to { transform: rotate(1turn) } }
    """
    out = scope_stylesheet(css, SCOPE, {"b": "b--s2"})
    text = "\n".join(out.scoped)
    assert f"{SCOPE} {{" in text and f"{SCOPE} .a, {SCOPE} #b--s2 > p" in text
    assert f"@media (max-width: 600px) {{\n{SCOPE} .a" in text
    assert len(out.shared) == 2 and all(rule.startswith(("@font-face", "@keyframes")) for rule in out.shared)


def test_composed_page_holds_every_state_with_unique_ids(sources: dict[str, Source]) -> None:
    composed = compose_states(sources["tabs"], truth_pages("tabs"), steps_of(sources["tabs"]))
    doc = etree.HTML(composed)
    containers = doc.findall(f".//*[@{STATE_ATTR}]")
    assert [c.get(STATE_ATTR) for c in containers] == ["0", "1", "2", "3"]
    assert [c.get("hidden") is not None for c in containers] == [False, True, True, True]
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) and "tab-pricing--s1" in ids
    assert composed.count("<script>") == 1  # the wiring only: the state pages had none
    # Handlers are bound to what was clicked, by its text: no click regions or coordinates.
    assert '"text": "Pricing"' in composed and '"region"' not in composed


def test_a_single_state_is_left_as_it_is(sources: dict[str, Source]) -> None:
    from dataclasses import replace

    one = replace(sources["tabs"], states=sources["tabs"].states[:1])
    page = tab_page("overview")
    assert compose_states(one, [page], ()) == page
    with pytest.raises(ValueError, match="2 pages for 1"):
        compose_states(one, [page, page], ())


# --- replay in the browser ------------------------------------------------------------------------

# Each fixture recording and the page it was recorded on (the two-page site is tested composed:
# the sealed browser loads no second file).
RECORDED_ON = {
    "tabs": "tabs.html",
    "accordion": "accordion.html",
    "faq": "accordion.html",
    "faq_wide": "accordion.html",
    "dropdown": "dropdown.html",
    "modal": "modal.html",
    "stepper": "stepper.html",
    "signup": "signup.html",
    "switches": "switches.html",
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("replay-data"))  # type: ignore[call-arg]
    out = {}
    for name in [*RECORDED_ON, "navigation", "docs"]:
        rec = recording(name)
        out[name] = load_recording(rec.path, settings, media_type=rec.media_type)
    return out


def live_page(name: str, script: str | None = None) -> str:
    """A fixture page as it was recorded (its own script working), or with ``script`` instead."""
    html = (PAGES / name).read_text()
    html = html.replace(
        '<link rel="stylesheet" href="base.css">', f"<style>{(PAGES / 'base.css').read_text()}</style>"
    )
    html = html.replace('<script src="cursor.js"></script>', "")
    if script is not None:
        html = re.sub(
            r"<script>.*?</script>", f"<script>{script}</script>" if script else "", html, flags=re.S
        )
    return html


def png_size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


async def replay(
    pool: SealedBrowserPool, sanitizer: Sanitizer, source: Source, html: str, width: int = 0
) -> InteractionReport:
    viewport = Viewport(width, source.height) if width else source.viewport
    page = sanitizer.sanitize(html, "interactive")
    return await verify_interactions(pool, page.html, source, viewport, ocr=OcrEngine.shared())


def failed(report: InteractionReport) -> list[tuple[int, str]]:
    return [(c.step, c.phase) for c in report.failures]


@pytest.mark.parametrize("name", list(RECORDED_ON))
async def test_the_page_a_recording_was_made_on_passes_its_replay(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer, name: str
) -> None:
    source = recorded[name]
    report = await replay(browser_pool, sanitizer, source, live_page(RECORDED_ON[name]))
    assert report.passed, [c.to_dict() for c in report.failures]
    assert report.transitions_worked == report.transitions_total == len(source.states) - 1
    assert all(s.reached for s in report.states)
    assert report.score >= 80, report.to_dict()
    # Every step says what was clicked, what should change, and what did.
    for check in report.steps:
        assert check.expected and check.observed and check.ok


@pytest.mark.parametrize("name", ["faq", "tabs", "dropdown", "modal", "stepper", "switches"])
async def test_a_page_whose_handlers_do_nothing_fails_at_the_first_step(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer, name: str
) -> None:
    report = await replay(browser_pool, sanitizer, recorded[name], live_page(RECORDED_ON[name], script=""))
    assert not report.passed and report.transitions_worked == 0
    first = report.failures[0]
    assert (first.step, first.phase) == (1, "recorded")
    assert "did nothing" in first.reason, first.to_dict()


async def test_a_handler_that_opens_the_wrong_panel_fails_with_that_step(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    # Each question opens the item after it (the last one the first).
    wrong = """
      var items = document.querySelectorAll(".item");
      items.forEach(function (item, i) {
        item.querySelector(".question").addEventListener("click", function () {
          items[(i + 1) % items.length].classList.toggle("open");
        });
      });"""
    report = await replay(browser_pool, sanitizer, recorded["faq"], live_page("accordion.html", wrong))
    assert not report.passed
    first = report.failures[0]
    assert (first.step, first.phase, first.trigger) == (1, "recorded", "What happens when I go over my plan?")
    assert "did not appear" in first.reason and "Nothing breaks" in first.reason


async def test_a_page_that_only_works_in_the_recorded_order_fails_in_another_order(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    # A slideshow: whichever question is clicked, the next recorded state is shown.
    slideshow = """
      var order = ["q3", "q1", "q3"], n = 0;
      document.querySelectorAll(".question").forEach(function (button) {
        button.addEventListener("click", function () {
          if (n < order.length) { document.getElementById(order[n++]).classList.toggle("open"); }
        });
      });"""
    report = await replay(browser_pool, sanitizer, recorded["faq"], live_page("accordion.html", slideshow))
    assert report.transitions_worked == report.transitions_total  # in the recorded order it all works
    assert not report.passed
    # Question 1 opened first shows question 3's answer instead.
    assert {phase for _, phase in failed(report)} == {"any order"}
    first = next(c for c in report.failures if c.trigger == "Do you use cookies?")
    assert "did not appear" in first.reason, first.to_dict()
    # The same for tabs that cycle instead of switching to the tab clicked.
    cycle = """
      var tabs = document.querySelectorAll(".tab"), order = [1, 2, 0], n = 0;
      tabs.forEach(function (tab) {
        tab.addEventListener("click", function () {
          var k = order[n++ % 3];
          tabs.forEach(function (t, i) {
            t.setAttribute("aria-selected", String(i === k));
            document.getElementById(t.dataset.panel).hidden = i !== k;
          });
        });
      });"""
    report = await replay(browser_pool, sanitizer, recorded["tabs"], live_page("tabs.html", cycle))
    assert report.transitions_worked == report.transitions_total
    assert not report.passed and {phase for _, phase in failed(report)} == {"any order"}


async def test_a_link_to_another_page_must_let_the_back_button_return(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    source = recorded["navigation"]
    good = compose_states(source, truth_pages("navigation"), steps_of(source))
    report = await replay(browser_pool, sanitizer, source, good)
    assert report.passed, [c.to_dict() for c in report.failures]
    assert [c.phase for c in report.steps if c.step == 1] == ["recorded", "back"]
    # Pages swapped by a script without a history entry: the back button leaves the replica.
    no_history = good.replace("location.hash = ", "void ")
    report = await replay(browser_pool, sanitizer, source, no_history)
    assert failed(report)[:1] == [(1, "back")], report.to_dict()


@pytest.mark.parametrize("name", ["tabs", "accordion", "navigation", "faq", "switches"])
async def test_composed_truth_pages_replay_every_step_in_any_order(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer, name: str
) -> None:
    """The wiring the local backend uses, on pages that show each state exactly."""
    source = recorded[name]
    pages = (
        truth_pages(name)
        if name != "faq"
        else [accordion_page(s) for s in (set(), {"q3"}, {"q1", "q3"}, {"q1"})]
    )
    report = await replay(browser_pool, sanitizer, source, compose_states(source, pages, steps_of(source)))
    assert report.passed, [c.to_dict() for c in report.failures]
    for state in report.states:
        assert state.score is not None and state.score.overall >= 75, (state.index, state.score.breakdown())
        assert png_size(state.png) == (800, 600)


_WHERE_TEXT = """(texts) => texts.map(text => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim().startsWith(text)) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) return [Math.round(r.left), Math.round(r.top)];
  }
  return null;
})"""


async def test_an_opened_panel_puts_everything_where_the_open_state_has_it(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source]
) -> None:
    """Pages laid out as the local backend lays them out: each question a card with a minimum
    height, an open answer a card of its own after it. Opened in the replica, in the recording's
    order and closed again, every question and answer sits where that state's own page has it."""
    source = recorded["faq"]

    def page(open_items: set[str]) -> str:
        def edit(doc: etree._Element) -> None:
            style = etree.SubElement(doc.find("head"), "style")
            style.text = (
                ".item { min-height: 80px; margin-bottom: 0 } .answer { max-height: none }"
                " .sheet { background: #eef2f7; border-radius: 0 0 8px 8px; margin: 0 12px 10px 4px }"
            )
            for item in list(doc.iter("div")):
                if item.get("class") != "item":
                    continue
                answer = item.find("div")
                item.remove(answer)
                if item.get("id") in open_items:
                    answer.set("class", "sheet")
                    item.addnext(answer)

        return fixture_page("accordion.html", edit)

    states = [set(), {"q3"}, {"q1", "q3"}, {"q1"}]
    texts = [
        "Do you use cookies?",
        "Can I import",
        "What happens",
        "No. Visits",
        "Yes: upload",
        "Nothing breaks",
    ]
    expected = []
    for items in states:
        async with browser_pool.open(page(items), source.viewport) as live:
            expected.append(await live.page.evaluate(_WHERE_TEXT, texts))
    html = compose_states(source, [page(s) for s in states], steps_of(source))
    async with browser_pool.open(html, source.viewport) as live:
        assert await live.page.evaluate(_WHERE_TEXT, texts) == expected[0]
        for k, clicked in enumerate(["What happens", "Do you use cookies?", "What happens"], start=1):
            await live.page.get_by_text(clicked).first.click()
            await live.settle()
            where = await live.page.evaluate(_WHERE_TEXT, texts)
            for text, got, want in zip(texts, where, expected[k], strict=True):
                if want is None:
                    assert got is None, (k, text, got)
                else:
                    assert got is not None and abs(got[0] - want[0]) <= 2 and abs(got[1] - want[1]) <= 2, (
                        k,
                        text,
                        got,
                        want,
                    )


async def test_a_recording_replays_at_another_viewport_width(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    source = recorded["faq_wide"]
    assert (source.width, source.height) == (1000, 900)
    report = await replay(browser_pool, sanitizer, source, live_page("accordion.html"), width=1204)
    assert report.passed, [c.to_dict() for c in report.failures]
    slideshow = compose_states(
        source,
        [accordion_page(s) for s in (set(), {"q2"}, {"q2", "q3"}, {"q1", "q2", "q3"})],
        steps_of(source),
    )
    report = await replay(browser_pool, sanitizer, source, slideshow, width=1204)
    assert report.passed, [c.to_dict() for c in report.failures]


async def test_replay_survives_a_page_that_hangs_on_click(
    recorded: dict[str, Source], sanitizer: Sanitizer, tmp_path: Path
) -> None:
    source = recorded["tabs"]
    hang = tab_page("overview").replace(
        "</body>", "<script>document.addEventListener('click', () => { while (true) {} });</script></body>"
    )
    page = sanitizer.sanitize(hang, "interactive")
    settings = Settings(_env_file=None, data_dir=tmp_path, render_timeout_s=3)  # type: ignore[call-arg]
    async with SealedBrowserPool(settings) as pool:
        report: InteractionReport = await verify_interactions(
            pool, page.html, source, source.viewport, ocr=OcrEngine.shared()
        )
        assert report.states[0].reached and report.transitions_worked == 0 and not report.passed
        assert [s.reached for s in report.states[1:]] == [False, False, False]
        assert {c.step for c in report.failures} >= {1, 2, 3}
        # The pool still works after the hung page was killed.
        render = await pool.render(tab_page("pricing"), source.viewport)
        assert png_size(render.png) == (800, 600)


async def test_an_opened_panel_also_turns_its_triggers_picture(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source]
) -> None:
    """The trigger's own picture follows the panel (a "+" that becomes "-"), in the replica's flow."""
    source = recorded["faq"]
    plus, minus = (
        "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
        "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACw=",
    )

    def page(open_items: set[str]) -> str:
        def edit(doc: etree._Element) -> None:
            for item in doc.iter("div"):
                if item.get("id") in ("q1", "q2", "q3"):
                    if item.get("id") in open_items:
                        item.set("class", "item open")
                    button = item.find("button")
                    icon = etree.SubElement(
                        button, "img", src=minus if item.get("id") in open_items else plus
                    )
                    icon.set("width", "12")
                    icon.set("height", "12")

        return fixture_page("accordion.html", edit)

    html = compose_states(source, [page(s) for s in (set(), {"q3"}, {"q1", "q3"}, {"q1"})], steps_of(source))
    async with browser_pool.open(html, source.viewport) as live:
        icons = "() => [...document.querySelectorAll('[data-replicator-state]:not([hidden]) .item img')].filter(i => i.getBoundingClientRect().height > 0).map(i => i.getAttribute('src'))"
        assert await live.page.evaluate(icons) == [plus, plus, plus]
        await live.page.get_by_text("What happens when I go over my plan?").first.click()
        await live.settle()
        assert await live.page.evaluate(icons) == [plus, plus, minus]
        await live.page.get_by_text("What happens when I go over my plan?").first.click()
        await live.settle()
        assert await live.page.evaluate(icons) == [plus, plus, plus]


async def test_switches_flip_on_their_own_in_any_order(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source]
) -> None:
    """Each recorded switch flips by itself, from its label or from the switch, as often as one
    likes and in any order; the others stay as they are."""
    source = recorded["switches"]
    html = compose_states(source, truth_pages("switches"), steps_of(source))
    shown = (
        "() => [...document.querySelectorAll('[data-replicator-state]:not([hidden]) .switch')]"
        ".filter(s => s.getBoundingClientRect().width > 0).map(s => s.getAttribute('aria-checked'))"
    )
    async with browser_pool.open(html, source.viewport) as live:
        page = live.page
        assert await page.evaluate(shown) == ["true", "false", "false"]
        for click, expected in [
            (page.get_by_text("Product news").first, ["true", "false", "true"]),
            (page.get_by_text("Traffic spikes").first, ["true", "true", "true"]),
            (page.get_by_text("Product news").first, ["true", "true", "false"]),
            (
                page.locator("[data-replicator-state]:not([hidden]) .switch").nth(1),
                ["true", "false", "false"],
            ),
        ]:
            await click.click()
            await live.settle()
            assert await page.evaluate(shown) == expected


def test_an_address_is_read_from_the_toolbar_band_only() -> None:
    from replicator.recording.steps import Line, address

    def line(text: str, y: float) -> Line:
        return Line(text, Box(90, y, 200, 18))

    assert address([line("docs.acme.example/events", 12)], 600) == "docs.acme.example/events"
    assert (
        address([line("https://shop.example.com:8443/cart?x=1", 10)], 600)
        == "https://shop.example.com:8443/cart?x=1"
    )
    assert address([line("localhost:8000/jobs/3", 10)], 600) == "localhost:8000/jobs/3"
    assert address([line("Getting started", 12)], 600) is None  # words, not an address
    assert address([line("docs.acme.example/events", 300)], 600) is None  # in the page, not the toolbar


async def test_a_new_address_in_the_toolbar_is_another_page_with_a_way_back(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    """Two docs pages alike but for their article, in a recorded browser window: the address bar
    says the link went to another page, so it is one (its own view, history, the back button)."""
    source = recorded["docs"]
    steps = steps_of(source)
    assert [s.kind for s in steps] == ["navigate", "navigate"]
    assert [s.trigger for s in steps] == ["Tracking events", "Getting started"]
    assert steps[1].returns_to == 0
    pages = [fixture_page(p) for p in ("docs-start.html", "docs-events.html", "docs-start.html")]
    report = await replay(browser_pool, sanitizer, source, compose_states(source, pages, steps))
    assert report.passed, [c.to_dict() for c in report.failures]
    assert ("back" in {c.phase for c in report.steps}) and all(c.ok for c in report.steps)


async def test_a_panel_that_opens_but_never_closes_fails_in_another_order(
    browser_pool: SealedBrowserPool, recorded: dict[str, Source], sanitizer: Sanitizer
) -> None:
    """The recording only opens panels, so the recorded order passes; opened in another order, the
    first panel opened is clicked again and must close."""
    open_only = """
      document.querySelectorAll(".question").forEach(function (button) {
        button.addEventListener("click", function () { button.parentElement.classList.add("open"); });
      });
    """
    report = await replay(
        browser_pool, sanitizer, recorded["accordion"], live_page("accordion.html", open_only)
    )
    assert not report.passed
    assert failed(report) == [(2, "any order")]
    (failure,) = report.failures
    assert "closes the panel" in failure.expected and "did not go away" in failure.reason, failure.to_dict()
    # The page as recorded closes it.
    assert (await replay(browser_pool, sanitizer, recorded["accordion"], live_page("accordion.html"))).passed
