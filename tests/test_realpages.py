"""The real-pages corpus (fixtures/realpages) is complete and consistent, and its DOM survey
(bench/_dom_truth.py) finds exactly what a small page holds, in the real sealed browser."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from replicator.models import Viewport
from replicator.render import SealedBrowserPool

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "realpages"
sys.path.insert(0, str(ROOT / "bench"))

from _dom_truth import Survey, family_class, family_name, survey_page  # noqa: E402

PAGES = sorted(p.stem for p in (CORPUS / "pages").glob("*.html"))
FORBIDDEN = re.compile(
    r"bootswatch|sb-?admin|startbootstrap|50\s*projects|50projects50days|design2code", re.I
)
FONTSOURCE = {
    "inter": "Inter",
    "roboto": "Roboto",
    "open-sans": "Open Sans",
    "lato": "Lato",
    "montserrat": "Montserrat",
    "nunito": "Nunito",
    "poppins": "Poppins",
    "source-sans-3": "Source Sans 3",
    "merriweather": "Merriweather",
    "playfair-display": "Playfair Display",
    "jetbrains-mono": "JetBrains Mono",
    "roboto-mono": "Roboto Mono",
    "noto-sans-sc": "Noto Sans SC",
}


def truth(name: str) -> Survey:
    return Survey.from_json((CORPUS / "truth" / f"{name}.json").read_text(encoding="utf-8"))


def test_the_corpus_has_at_least_30_pages_each_with_reference_and_truth() -> None:
    assert len(PAGES) >= 30
    references = sorted(p.stem for p in (CORPUS / "references").glob("*.png"))
    truths = sorted(p.stem for p in (CORPUS / "truth").glob("*.json"))
    assert references == PAGES
    assert truths == PAGES


@pytest.mark.parametrize("name", PAGES)
def test_truth_is_well_formed_and_matches_its_reference(name: str) -> None:
    survey = truth(name)
    with Image.open(CORPUS / "references" / f"{name}.png") as image:
        assert image.size == (survey.width, survey.height)
    assert survey.viewport[0] == survey.width
    assert survey.height <= 1600
    assert len(survey.lines) >= 10

    def inside(box: tuple[float, float, float, float]) -> bool:
        x, y, w, h = box
        return (
            w > 0
            and h > 0
            and x >= -0.5
            and y >= -0.5
            and x + w <= survey.width + 0.5
            and y + h <= survey.height + 0.5
        )

    for line in survey.lines:
        assert line.text.strip() == line.text and line.text
        assert line.family_class in ("sans", "serif", "mono")
        assert line.size > 0 and 100 <= line.weight <= 1000 and line.style in ("normal", "italic")
        assert inside(line.box), line
    for graphic in survey.graphics:
        assert graphic.kind in ("icon", "img", "svg", "canvas", "background")
        assert graphic.group in ("icon", "image", "chart")
        assert graphic.name
        assert inside(graphic.box), graphic
    kinds = {"text", "email", "password", "search", "number", "url", "tel", "checkbox", "switch", "radio"}
    kinds |= {"select", "textarea", "range", "button", "submit", "link-button"}
    for control in survey.controls:
        assert control.kind in kinds
        assert inside(control.box), control
    for table in survey.tables:
        assert table.rows > 0 and table.cols > 0 and inside(table.box)


@pytest.mark.parametrize("name", PAGES)
def test_the_web_fonts_a_page_asks_for_are_the_ones_it_shows(name: str) -> None:
    """A web font that fails to load falls back silently; the truth says which font drew the text."""
    html = (CORPUS / "pages" / f"{name}.html").read_text(encoding="utf-8")
    asked = {FONTSOURCE[pkg] for pkg in re.findall(r"/node_modules/@fontsource/([\w-]+)/", html)}
    if not asked:
        return
    shown = Counter[str]()
    for line in truth(name).lines:
        if not line.control:
            shown[line.family] += len(line.text)
    main_family = shown.most_common(1)[0][0]
    assert main_family in asked, f"{name}: most text is in {main_family}, the page loads {sorted(asked)}"


def test_no_held_out_material_is_used() -> None:
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".svg", ".py", ".css", ".js", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not FORBIDDEN.search(text), path
        assert not FORBIDDEN.search(path.name), path


def test_the_corpus_covers_what_users_screenshot() -> None:
    surveys = {name: truth(name) for name in PAGES}
    lines = [ln for s in surveys.values() for ln in s.lines]
    cjk = [
        n
        for n, s in surveys.items()
        if sum(bool(re.search(r"[\u4e00-\u9fff]", ln.text)) for ln in s.lines) >= 10
    ]
    assert len(cjk) >= 2
    assert any(s.width <= 400 for s in surveys.values())
    assert sum(any(g.kind == "canvas" for g in s.graphics) for s in surveys.values()) >= 4
    assert sum(any(g.kind == "icon" for g in s.graphics) for s in surveys.values()) >= 20
    assert {ln.family_class for ln in lines} == {"sans", "serif", "mono"}
    assert any(ln.variant == "small-caps" for ln in lines)
    assert any(ln.transform == "uppercase" and ln.letter_spacing > 0 for ln in lines)
    assert any(ln.style == "italic" for ln in lines)
    control_kinds = {c.kind for s in surveys.values() for c in s.controls}
    assert {
        "email",
        "password",
        "checkbox",
        "radio",
        "switch",
        "select",
        "textarea",
        "submit",
    } <= control_kinds
    assert sum(len(s.tables) for s in surveys.values()) >= 5


def test_the_corpus_stays_small() -> None:
    size = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert size < 8.5 * 2**20


def test_family_names_drop_style_words() -> None:
    assert family_name("Inter SemiBold") == "Inter"
    assert family_name("Merriweather Light 18pt") == "Merriweather"
    assert family_name("Source Sans 3") == "Source Sans 3"
    assert family_class("JetBrains Mono") == "mono"
    assert family_class("Liberation Serif") == "serif"
    assert family_class("Noto Sans CJK SC") == "sans"
    assert family_class("", '"Courier New", monospace') == "mono"


SURVEY_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/node_modules/@fontsource/inter/400.css">
<link rel="stylesheet" href="/node_modules/@fontsource/inter/700.css">
<link rel="stylesheet" href="/node_modules/@fortawesome/fontawesome-free/css/all.min.css">
<link rel="stylesheet" href="/node_modules/bootstrap-icons/font/bootstrap-icons.min.css">
<style>
  body { margin: 20px; font-family: Inter, sans-serif; font-size: 16px; }
  h1 { font-size: 32px; font-weight: 700; margin: 0 0 10px; }
  .serif { font-family: "Liberation Serif", serif; font-size: 18px; }
  .caps { text-transform: uppercase; letter-spacing: 2px; font-size: 12px; }
  .clip { width: 60px; overflow: hidden; white-space: nowrap; }
  .caret::after { content: ""; display: inline-block; margin-left: 4px; border-top: 5px solid;
                  border-right: 5px solid transparent; border-left: 5px solid transparent; }
</style></head><body>
<h1>Quarterly report</h1>
<p class="serif">Revenue grew <b>twelve</b> percent.</p>
<p class="caps">Key figures</p>
<p><i class="fa-solid fa-bell"></i> <i class="bi bi-gear"></i> <span class="caret">Menu</span></p>
<form><input type="email" placeholder="Email"> <input type="checkbox">
<select><option>Show 10 entries</option></select> <button>Send</button></form>
<table><tr><th>Name</th><th>Qty</th></tr><tr><td>Apples</td><td>3</td></tr>
<tr><td>Pears</td><td>5</td></tr><tr style="display:none"><td>Hidden</td><td>0</td></tr></table>
<p style="visibility:hidden">Invisible</p>
<div class="clip">Cut off here</div>
</body></html>"""


async def test_the_survey_finds_exactly_what_the_page_holds(browser_pool: SealedBrowserPool) -> None:
    async with browser_pool.open(SURVEY_PAGE, Viewport(800, 600), base_dir=ROOT) as live:
        survey = await survey_page(live.page)
    text = {ln.text: ln for ln in survey.lines if not ln.control}
    assert set(text) == {
        "Quarterly report",
        "Revenue grew twelve percent.",
        "KEY FIGURES",
        "Send",
        "Name",
        "Qty",
        "Apples",
        "3",
        "Pears",
        "5",
        "Cut off",
        "Menu",
    }
    assert {ln.text for ln in survey.lines if ln.control} == {"Email", "Show 10 entries"}
    heading = text["Quarterly report"]
    assert (heading.family, heading.family_class, heading.size, heading.weight) == ("Inter", "sans", 32, 700)
    serif = text["Revenue grew twelve percent."]
    assert (serif.family, serif.family_class, serif.size, serif.weight) == (
        "Liberation Serif",
        "serif",
        18,
        400,
    )
    assert serif.mixed  # "twelve" is bold
    caps = text["KEY FIGURES"]
    assert (caps.transform, caps.letter_spacing, caps.size) == ("uppercase", 2, 12)
    assert heading.box[0] == 20 and 20 <= heading.box[1] <= 24 and 230 < heading.box[2] < 290

    assert [(g.kind, g.name, g.group) for g in survey.graphics] == [
        ("icon", "fa-solid fa-bell", "icon"),
        ("icon", "bi-gear", "icon"),
        ("icon", "css-caret", "icon"),
    ]
    assert all(14 <= g.box[3] <= 17 for g in survey.graphics[:2])  # one em tall
    menu, caret = text["Menu"], survey.graphics[2]
    assert caret.box[2:] == (10, 5)
    assert 3 <= caret.box[0] - (menu.box[0] + menu.box[2]) <= 5  # after the text, by its margin
    assert [c.kind for c in survey.controls] == ["email", "checkbox", "select", "submit"]
    assert [(t.rows, t.cols) for t in survey.tables] == [(3, 2)]
