"""Composing one interactive page from per-state pages, and replaying a recording's transitions
on a page in the sealed browser (compose.py, verify.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from replicator.config import Settings
from replicator.models import InteractionReport, Source
from replicator.ocr import OcrEngine
from replicator.recording import load_recording
from replicator.recording.compose import STATE_ATTR, compose_states, scope_selector, scope_stylesheet
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


def truth_pages(name: str) -> list[str]:
    """The page the recording showed in each of its states, rebuilt statically."""
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
    render = await browser_pool.render(compose_states(sources["tabs"], pages), sources["tabs"].viewport)
    image = Image.open(io.BytesIO(render.png)).convert("RGB")
    assert image.getpixel((400, 500)) == (0x12, 0x34, 0x56)  # the body background fills the window
    assert [t.text for t in render.text_boxes] == ["State 0"]


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
    composed = compose_states(sources["tabs"], truth_pages("tabs"))
    doc = etree.HTML(composed)
    containers = doc.findall(f".//*[@{STATE_ATTR}]")
    assert [c.get(STATE_ATTR) for c in containers] == ["0", "1", "2", "3"]
    assert [c.get("hidden") is not None for c in containers] == [False, True, True, True]
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) and "tab-pricing--s1" in ids
    assert composed.count("<script>") == 1  # the wiring only: the state pages had none


def test_a_single_state_is_left_as_it_is(sources: dict[str, Source]) -> None:
    from dataclasses import replace

    one = replace(sources["tabs"], states=sources["tabs"].states[:1])
    page = tab_page("overview")
    assert compose_states(one, [page]) == page
    with pytest.raises(ValueError, match="2 pages for 1"):
        compose_states(one, [page, page])


# --- replay in the browser ------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


@pytest.mark.parametrize("name", ["tabs", "accordion", "navigation"])
async def test_composed_truth_pages_replay_every_transition(
    browser_pool: SealedBrowserPool, sources: dict[str, Source], sanitizer: Sanitizer, name: str
) -> None:
    source = sources[name]
    page = sanitizer.sanitize(compose_states(source, truth_pages(name)), "interactive")
    report = await verify_interactions(
        browser_pool, page.html, source, source.viewport, ocr=OcrEngine.shared()
    )
    assert report.transitions_total == len(source.states) - 1
    assert report.transitions_worked == report.transitions_total, report.to_dict()
    assert all(s.reached for s in report.states)
    for state in report.states:
        assert state.score is not None and state.score.overall >= 75, (state.index, state.score.breakdown())
        assert png_size(state.png) == (800, 600)
    assert report.score >= 75


async def test_a_page_that_ignores_clicks_reaches_no_state(
    browser_pool: SealedBrowserPool, sources: dict[str, Source], sanitizer: Sanitizer
) -> None:
    source = sources["tabs"]
    page = sanitizer.sanitize(tab_page("overview"), "interactive")
    report = await verify_interactions(
        browser_pool, page.html, source, source.viewport, ocr=OcrEngine.shared()
    )
    assert (report.transitions_total, report.transitions_worked) == (3, 0)
    assert [s.reached for s in report.states] == [True, False, False, False]
    good = await verify_interactions(
        browser_pool,
        sanitizer.sanitize(compose_states(source, truth_pages("tabs")), "interactive").html,
        source,
        source.viewport,
        ocr=OcrEngine.shared(),
    )
    assert report.score < good.score / 2


async def test_a_click_that_changes_the_page_to_the_wrong_state_does_not_count(
    browser_pool: SealedBrowserPool, sources: dict[str, Source], sanitizer: Sanitizer
) -> None:
    source = sources["tabs"]
    # Every tab click shows the Overview panel flashing a new heading: the page changes, wrongly.
    wrong = [tab_page("overview")] * 3 + [tab_page("overview").replace("Know your traffic", "Something else")]
    page = sanitizer.sanitize(compose_states(source, wrong), "interactive")
    report = await verify_interactions(
        browser_pool, page.html, source, source.viewport, ocr=OcrEngine.shared()
    )
    assert report.transitions_worked <= 1  # only Reviews -> Overview may look like progress
    assert not report.states[1].reached and not report.states[2].reached


async def test_replay_survives_a_page_that_hangs_on_click(
    sources: dict[str, Source], sanitizer: Sanitizer, tmp_path: Path
) -> None:
    source = sources["tabs"]
    hang = tab_page("overview").replace(
        "</body>", "<script>document.addEventListener('click', () => { while (true) {} });</script></body>"
    )
    page = sanitizer.sanitize(hang, "interactive")
    settings = Settings(_env_file=None, data_dir=tmp_path, render_timeout_s=3)  # type: ignore[call-arg]
    async with SealedBrowserPool(settings) as pool:
        report: InteractionReport = await verify_interactions(
            pool, page.html, source, source.viewport, ocr=OcrEngine.shared()
        )
        assert report.states[0].reached and report.transitions_worked == 0
        assert [s.reached for s in report.states[1:]] == [False, False, False]
        # The pool still works after the hung page was killed.
        render = await pool.render(tab_page("pricing"), source.viewport)
        assert png_size(render.png) == (800, 600)
