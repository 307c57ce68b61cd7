"""The local backend reads the fonts of web pages: family, weight (100-900), size and style, among
the bundled web fonts (the @fontsource packages) and the system fonts; a replica embeds only the
glyphs it uses of the web fonts it needs, and renders in them. Pages are drawn by Chromium, as
screenshots of web pages are."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

import pytest
from PIL import Image

from replicator.backends.local.model import TextLine
from replicator.backends.local.page import analyze, render_analysis
from replicator.backends.local.webfonts import WebFontLibrary
from replicator.models import Box, RenderResult, Viewport
from replicator.render import SealedBrowserPool
from replicator.sanitize import Sanitizer

FAMILIES = {f.family: f for f in WebFontLibrary.shared().families}
pytestmark = pytest.mark.skipif(
    not {"Inter", "Roboto", "Poppins", "Merriweather", "JetBrains Mono"} <= FAMILIES.keys(),
    reason="the @fontsource packages are installed by `make setup` (npm ci)",
)
KIND = {
    "Inter": "sans",
    "Roboto": "sans",
    "Poppins": "sans",
    "Merriweather": "serif",
    "JetBrains Mono": "mono",
    "Lato": "sans",
}


@dataclass(frozen=True)
class Line:
    text: str
    family: str
    weight: int
    size: int
    italic: bool = False


PAGES = {
    "editorial": [
        Line("Notes from the field, autumn edition", "Merriweather", 700, 30),
        Line("Every season we walk the same trails and write down what changed.", "Inter", 400, 16),
        Line("Subscribe for the next issue", "Inter", 600, 14),
    ],
    "product": [
        Line("Plans that grow with your team", "Poppins", 600, 28),
        Line("Start free, then pay only for the seats you actually use.", "Roboto", 400, 15),
        Line("No credit card required to get going", "Roboto", 300, 18),
    ],
    "docs": [
        Line("Install the command line tool", "Inter", 800, 26),
        Line('client.deploy(region="eu-west", replicas=3)', "JetBrains Mono", 400, 14),
        Line("The deploy call returns as soon as the first replica is healthy.", "Inter", 400, 15),
    ],
}


def page_html(lines: list[Line]) -> str:
    """A page setting each line in its family, with the @fontsource files inlined."""
    faces = []
    for family, weight, italic in sorted({(ln.family, ln.weight, ln.italic) for ln in lines}):
        files = dict(FAMILIES[family].italic if italic else FAMILIES[family].upright)
        data = base64.b64encode(files[weight].read_bytes()).decode()
        style = "italic" if italic else "normal"
        faces.append(
            f"@font-face{{font-family:'{family}';font-weight:{weight};font-style:{style};"
            f"src:url(data:font/woff2;base64,{data}) format('woff2')}}"
        )
    body = "".join(
        f"<p style=\"font:{'italic ' if ln.italic else ''}{ln.weight} {ln.size}px '{ln.family}'\">{ln.text}</p>"
        for ln in lines
    )
    return (
        f"<!doctype html><html><head><style>{''.join(faces)}"
        f"body{{margin:40px;color:#1f2937;background:#fff}}p{{margin:0 0 22px}}</style></head>"
        f"<body>{body}</body></html>"
    )


def read_back(render: RenderResult) -> list[TextLine]:
    analysis = analyze(render.png)
    return [line for block in analysis.blocks for line in block.lines]


def line_at(lines: list[TextLine], box: Box) -> TextLine:
    found = [ln for ln in lines if ln.ink.intersection(box) > 0.5 * min(ln.ink.area, box.area)]
    assert len(found) == 1, f"{[ln.text for ln in found]} at {box}"
    return found[0]


def dom_box(render: RenderResult, text: str) -> Box:
    return next(b.box for b in render.text_boxes if " ".join(b.text.split()) == text)


@pytest.mark.parametrize("name", sorted(PAGES))
async def test_lines_come_back_in_their_family_weight_and_size(
    name: str, browser_pool: SealedBrowserPool
) -> None:
    render = await browser_pool.render(page_html(PAGES[name]), Viewport(900, 300))
    lines = read_back(render)
    for truth in PAGES[name]:
        line = line_at(lines, dom_box(render, truth.text))
        face = line.fit.face
        assert face is not None, truth
        assert (face.family, face.kind) == (truth.family, KIND[truth.family]), truth
        assert abs(line.fit.weight - truth.weight) <= 100, (truth, line.fit.weight)
        assert abs(line.fit.size - truth.size) <= 0.1 * truth.size, (truth, line.fit.size)
        assert not line.italic, truth


SHORT = [
    Line("12", "Roboto", 400, 12),
    Line("128", "Inter", 500, 12),
    Line("8.5", "Lato", 400, 16),
    Line("Team", "Inter", 400, 14),
    Line("cURL", "Roboto", 500, 12),
]


async def test_short_numbers_and_labels_keep_their_weight_and_size(browser_pool: SealedBrowserPool) -> None:
    """Counters, ratings and short labels (primer's "12", tw_users_table's "128", bulma_product's
    "8.5") came out a pixel small and 200 too heavy: their ink measures half a pixel narrower than
    the glyphs' outlines (Chromium's text gamma lightens the edge columns), which on two or three
    glyphs is a size too small, and a bolder weight made up the ink's mass."""
    lines = [Line(t.text, t.family, t.weight, t.size) for t in SHORT]
    html = page_html(lines).replace("<body>", "<body style='color:#59636e'>")
    render = await browser_pool.render(html, Viewport(400, 360))
    found = read_back(render)
    for truth in SHORT:
        line = line_at(found, dom_box(render, truth.text))
        assert line.text == truth.text
        # (Two or three glyphs do not tell Roboto from Inter: their kind, weight and size they do.)
        assert line.fit.face is not None and line.fit.face.kind == KIND[truth.family], (truth, line.fit.face)
        assert abs(line.fit.weight - truth.weight) <= 100, (truth, line.fit.weight)
        assert abs(line.fit.size - truth.size) <= 0.1 * truth.size, (truth, line.fit.size)


async def test_an_upright_paragraph_is_not_italic_and_an_italic_line_is(
    browser_pool: SealedBrowserPool,
) -> None:
    paragraph = [
        Line("Our support team answers every message within a day.", "Inter", 400, 16),
        Line("Write to us in any language you like; we will find someone.", "Inter", 400, 16),
        Line("A quiet aside, set in italics for emphasis", "Inter", 400, 16, italic=True),
        Line("Serif text stands upright as well", "Merriweather", 400, 18),
    ]
    render = await browser_pool.render(page_html(paragraph), Viewport(900, 260))
    lines = read_back(render)
    assert [line_at(lines, dom_box(render, t.text)).italic for t in paragraph] == [False, False, True, False]


async def test_a_replica_embeds_a_subset_of_its_web_fonts_and_renders_in_them(
    browser_pool: SealedBrowserPool, settings: object
) -> None:
    source = await browser_pool.render(page_html(PAGES["editorial"]), Viewport(900, 300))
    html = render_analysis(analyze(source.png))
    faces = re.findall(r"@font-face\{[^}]*\}", html)
    families = {re.search(r'font-family:"([^"]+)"', f).group(1) for f in faces}  # type: ignore[union-attr]
    assert families == {"Inter", "Merriweather"}
    # Only the glyphs the page shows: a few kB a face, where a whole Latin file is 20-70 kB.
    assert all(len(f) < 12_000 for f in faces), [len(f) for f in faces]
    assert all("src:url(data:font/woff2;base64," in f for f in faces)
    # The output policy keeps them (font-src data:), and the browser draws the page in them: read
    # back, the replica's lines are in the source's families again.
    page = Sanitizer.from_settings(settings).sanitize(html, "static")  # type: ignore[arg-type]
    assert page.html.count("@font-face") == len(faces)
    replica = await browser_pool.render(page.html, Viewport(900, 300))
    lines = read_back(replica)
    for truth in PAGES["editorial"]:
        match = [ln for ln in lines if ln.text == truth.text]
        assert match and match[0].fit.face is not None and match[0].fit.face.family == truth.family, truth


async def test_a_line_the_bottom_edge_cuts_takes_its_paragraphs_font(browser_pool: SealedBrowserPool) -> None:
    """A screenshot's last line, cut through by its bottom edge (blog_article's): its glyphs'
    lower parts gone, it fitted bold Lato under Merriweather lines. The line above it, in its
    paragraph, has the font."""
    paragraph = [
        Line(
            "Operators retired most of their sleeping cars in the 2000s, when budget", "Merriweather", 400, 18
        ),
        Line("airlines made a cross-continent hop cheaper than a couchette. The", "Merriweather", 400, 18),
        Line(
            "carriages that survived were tired, the timetables thin. What changed", "Merriweather", 400, 18
        ),
    ]
    html = page_html(paragraph).replace("p{margin:0 0 22px}", "p{margin:0}")
    render = await browser_pool.render(html, Viewport(900, 200))
    # The lines' ink stands at y 43-63, 66-86 and 89-109: the edge cuts the last 5 px above its
    # descenders' end (fitted alone: Merriweather 900 at 14 px).
    with Image.open(io.BytesIO(render.png)) as image:
        buffer = io.BytesIO()
        image.crop((0, 0, 900, 104)).save(buffer, "PNG")
    analysis = analyze(buffer.getvalue())
    lines = sorted((line for block in analysis.blocks for line in block.lines), key=lambda ln: ln.ink.y)
    assert len(lines) == 3 and lines[-1].ink.bottom >= 103, [(ln.text, ln.ink) for ln in lines]
    assert lines[-1].text.startswith("carriages that survi")
    for line in lines:
        face = line.fit.face
        assert face is not None and face.family == "Merriweather", (line.text, line.fit)
        assert abs(line.fit.size - 18) <= 1.8 and abs(line.fit.weight - 400) <= 100, (line.text, line.fit)


SMALL_CAPS = f"""<!doctype html><html><head><style>
@font-face{{font-family:'Inter';font-weight:400;src:url(data:font/woff2;base64,{
    base64.b64encode(dict(FAMILIES["Inter"].upright)[400].read_bytes()).decode()
}) format('woff2')}}
@font-face{{font-family:'Inter';font-weight:700;src:url(data:font/woff2;base64,{
    base64.b64encode(dict(FAMILIES["Inter"].upright)[700].read_bytes()).decode()
}) format('woff2')}}
body{{margin:40px;color:#1f2937;background:#fff;font:400 16px 'Inter'}}p{{margin:0 0 22px}}
.smcp{{font-variant:small-caps;letter-spacing:.05em}}
</style></head><body>
<p class="smcp">For teams who ship every day</p>
<p class="smcp" style="font-weight:700">Eleanor Whitcombe</p>
<p>Every season we walk the same trails and write down what changed.</p>
<p>NEW RELEASE NOTES</p>
<p style="font-size:14px">Edit user</p>
</body></html>"""


async def test_small_capitals_come_back_cased_as_written_and_set_in_small_caps(
    browser_pool: SealedBrowserPool,
) -> None:
    """A line in small capitals (daisy_pricing_dark's card subtitles, blog_article's byline) was
    read in OCR's mix of cases ("FoR DEsIGN SYSTEMs At SCALE") and fitted small and light. Its
    glyphs' heights say which letters are capitals; the line is set in small-caps at its size.
    A lowercase line, a line of capitals and a short line of ascenders stay as they are."""
    render = await browser_pool.render(SMALL_CAPS, Viewport(900, 300))
    lines = read_back(render)
    for text, small in (
        ("For teams who ship every day", True),
        ("Eleanor Whitcombe", True),
        ("Every season we walk the same trails and write down what changed.", False),
        ("NEW RELEASE NOTES", False),
        # (A word of ascenders stands as tall as capitals: tw_users_table's "Edit" came out
        # "EDIT" in small caps.)
        ("Edit user", False),
    ):
        line = line_at(lines, dom_box(render, text))
        assert (line.text, line.small_caps) == (text, small), (text, line.text, line.small_caps)
        assert abs(line.fit.size - (14 if text == "Edit user" else 16)) <= 1.6, (text, line.fit.size)
    html = render_analysis(analyze(render.png))
    assert html.count("font-variant:small-caps") == 2
    # The replica draws them as small capitals again: read back, the same lines in the same case.
    replica = await browser_pool.render(html, Viewport(900, 300))
    again = {ln.text: ln.small_caps for ln in read_back(replica)}
    assert again.get("For teams who ship every day") is True and again.get("Eleanor Whitcombe") is True, again


def test_text_on_a_faint_tint_keeps_its_weight() -> None:
    """tw_calendar's event chips: indigo, emerald, amber and rose text (Inter 400, 12 px) on the
    same hues' 50 tints, in white day cells. OCR's boxes reach past the chips into the cells, so
    the ground measured round each box was the cell's white, and the tint, below the ink
    threshold, still counted as a tenth of ink in every pixel: the chips' words came out bold
    (600-700). Their ground is the tint."""
    from tests.plugins.pages import REAL_REFERENCES_DIR

    analysis = analyze((REAL_REFERENCES_DIR / "tw_calendar.png").read_bytes())
    chips = {"Crew briefing", "Lisbon arrival", "Safety audit", "Crane service", "Board meeting"}
    found = [ln for b in analysis.blocks for ln in b.lines if ln.text in chips and ln.ink.x < 1000]
    assert {ln.text for ln in found} == chips, [ln.text for ln in found]
    for line in found:
        assert line.fit.weight <= 500 and abs(line.fit.size - 12) <= 1, (
            line.text,
            line.fit.weight,
            line.fit.size,
        )


def test_a_faces_glyph_sheet_is_kept_on_disk_and_gives_what_drawing_gives(tmp_path, monkeypatch) -> None:
    """A face's printable ASCII is drawn once and kept beside the converted fonts; a fresh
    process reads it back, glyph for glyph what FreeType draws, and a damaged file is drawn
    again. Characters outside it are drawn on demand, as before."""
    from replicator.backends.local import fonts

    face = next(f for f in fonts.FONTS.faces if f.family == "Inter")
    path = fonts.FONTS.path(face, 600)
    assert path is not None
    monkeypatch.setattr(fonts.FONTS, "_library", WebFontLibrary(fonts.FONTS.library.node_modules, tmp_path))
    fonts._sheet.cache_clear()
    try:
        built = fonts._sheet(path, face.index)
        kept = list(tmp_path.glob("glyph-sheet-*.npz"))
        assert len(kept) == 1

        fonts._sheet.cache_clear()

        def draw_again(*_args: object) -> None:
            raise AssertionError("the kept sheet was drawn again")

        with monkeypatch.context() as m:
            m.setattr(fonts, "_draw_sheet", draw_again)
            loaded = fonts._sheet(path, face.index)
        assert set(loaded.glyphs) == set(fonts._SHEET_CHARS) == set(built.glyphs)
        for ch in fonts._SHEET_CHARS:
            bitmap, dx, dy = fonts._draw_glyph(ch, path, face.index)
            got, gx, gy = loaded.glyphs[ch]
            assert (gx, gy) == (dx, dy) and got.dtype == bitmap.dtype
            assert got.shape == bitmap.shape and (got == bitmap).all(), ch
            assert loaded.boxes[ch] == fonts._draw_glyph_box(ch, path, face.index)
            assert loaded.advances[ch] == fonts._draw_advance(ch, path, face.index)

        kept[0].write_bytes(b"not a sheet")
        fonts._sheet.cache_clear()
        again = fonts._sheet(path, face.index)
        assert (again.glyphs["g"][0] == fonts._draw_glyph("g", path, face.index)[0]).all()
        assert "é" not in again.glyphs
        assert (fonts._glyph("é", path, face.index)[0] == fonts._draw_glyph("é", path, face.index)[0]).all()

        # A cache that cannot be written (its directory is a file): the sheet is drawn all the same.
        blocked = tmp_path / "blocked"
        blocked.write_text("not a directory")
        monkeypatch.setattr(
            fonts.FONTS, "_library", WebFontLibrary(fonts.FONTS.library.node_modules, blocked)
        )
        fonts._sheet.cache_clear()
        drawn = fonts._sheet(path, face.index)
        assert drawn.advances["W"] == fonts._draw_advance("W", path, face.index)
    finally:
        fonts._sheet.cache_clear()
        fonts._glyph.cache_clear()
