"""Grounding: the brief of a screenshot (what the local analysis measured), its token budget, and
the deterministic repair of a model's page with it."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from replicator.backends.base import GenerateOptions, RefineRequest
from replicator.backends.glm_request import generate_request, refine_request
from replicator.config import Settings
from replicator.errors import InputTooLarge
from replicator.grounding import Brief, brief_from_analysis, estimate_tokens, repair_page
from replicator.grounding.brief import BriefAsset, BriefFont, BriefIcon, BriefLine
from replicator.intake import image_source
from replicator.models import RenderResult, Score
from replicator.sanitize import Sanitizer

ROOT = Path(__file__).resolve().parents[1]
LANDING = ROOT / "fixtures" / "references" / "landing.png"
DASHBOARD = ROOT / "fixtures" / "realpages" / "references" / "bs_dashboard.png"


def _png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


PHOTO = _uri(_png(320, 180, (200, 40, 40)))
AVATAR = _uri(_png(64, 64, (40, 200, 40)))


def _line(text: str, block: int, y: int = 0) -> BriefLine:
    return BriefLine(text, (10, y, 200, 20), 16, "#111111", 400, "Inter", block=block)


BRIEF = Brief(
    width=800,
    height=600,
    lines=(
        _line("Welcome back to Nimbus", 0),
        _line("Sign in to continue", 1, 30),
        _line("Forgot your password?", 2, 60),
        _line("Order before noon and your crates", 3, 90),
        _line("arrive the same evening.", 3, 110),
        _line("Plan 29", 4, 140),
        _line("Plan 39", 5, 170),
    ),
    fonts=(BriefFont("Inter", "sans", (400, 700), True, 80),),
    icons=(
        BriefIcon("fa-solid fa-bell", (700, 10, 16, 16), "#dc2626", 16),
        BriefIcon("fa-solid fa-bars", (10, 10, 16, 14), None),
    ),
    assets=(BriefAsset("img-1", (400, 100, 320, 180), PHOTO), BriefAsset("img-2", (20, 300, 64, 64), AVATAR)),
)


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def _kinds(repaired) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.kind for r in repaired.repairs]


# --- the brief of real screenshots -------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing_brief() -> Brief:
    from replicator.backends.local.page import analyze

    return brief_from_analysis(analyze(LANDING.read_bytes()))


@pytest.fixture(scope="module")
def dashboard_brief() -> Brief:
    from replicator.backends.local.page import analyze

    return brief_from_analysis(analyze(DASHBOARD.read_bytes()))


def test_the_brief_of_a_screenshot_has_its_exact_text_in_reading_order(landing_brief: Brief) -> None:
    texts = [line.text for line in landing_brief.lines]
    source = (ROOT / "fixtures" / "pages" / "landing.html").read_text("utf-8")
    assert "Cloud storage your team will love" in texts
    assert (
        texts.index("Nimbus")
        < texts.index("Cloud storage your team will love")
        < texts.index("Secure by default")
    )
    # A paragraph's lines share a block and join into the source's sentence.
    assert any(
        "Share files, review work and keep every version in one secure place." in b
        for b in landing_brief.blocks()
    )
    # Roles the layout found travel with the lines: the heading, the buttons.
    roles = {line.text: line.role for line in landing_brief.lines}
    assert roles["Cloud storage your team will love"] == "h1"
    assert "button" in roles["Get started for free"]
    heading = next(line for line in landing_brief.lines if line.text == "Cloud storage your team will love")
    assert 48 <= heading.size <= 56 and heading.weight >= 600 and heading.color == "#111827"
    assert "#111827" in source  # the colour measured is the colour the source sets
    assert landing_brief.fonts and landing_brief.fonts[0].family


def test_pictures_become_assets_with_their_crops_and_icons_keep_their_set_names(
    dashboard_brief: Brief,
) -> None:
    assert dashboard_brief.assets, "a dashboard with charts has pictures"
    for asset in dashboard_brief.assets:
        assert asset.ref == f"asset:{asset.id}" and asset.data_uri.startswith("data:image/")
        data = base64.b64decode(asset.data_uri.split(",", 1)[1])
        with Image.open(io.BytesIO(data)) as image:
            # The crop is the picture at its place's size (a background may be cut to its region).
            assert abs(image.width - asset.box[2]) <= 2 + 0.02 * asset.box[2] or asset.background
    # Bootstrap Icons drawn on the page are named by their own classes.
    assert any(icon.classes.startswith("bi bi-") for icon in dashboard_brief.icons), dashboard_brief.icons
    ids = [a.id for a in dashboard_brief.assets]
    assert ids == [f"img-{n}" for n in range(1, len(ids) + 1)]


def test_a_brief_survives_storage_unchanged(dashboard_brief: Brief) -> None:
    assert Brief.from_dict(dashboard_brief.to_dict()) == dashboard_brief


# --- the prompt text and its budget -------------------------------------------------------------------


def test_the_brief_fits_its_budget_by_dropping_detail_then_lines() -> None:
    full = BRIEF.prompt(10_000)
    assert full.detail == "full" and full.lines_listed == full.lines_total == len(BRIEF.lines)
    assert '"Welcome back to Nimbus" at (10,0) 16px #111111' in full.text
    assert "asset:img-1 320x180 at (400,100)" in full.text
    assert "fa-solid fa-bell font-size:16px color:#dc2626 ink 16x16 at (700,10)" in full.text
    assert '"Inter" (sans, 400/700)' in full.text
    assert full.tokens == estimate_tokens(full.text)

    big = Brief(
        800, 60_000, lines=tuple(_line(f"Row {n} of the ledger, settled", n, n * 20) for n in range(3000))
    )
    for budget in (400, 2000, 9000):
        text = big.prompt(budget)
        assert text.tokens <= budget
        assert text.detail == "partial" and 0 < text.lines_listed < 3000
        assert f"and {3000 - text.lines_listed} more lines not listed" in text.text
    # Between the two: every line, without positions.
    medium = Brief(800, 2000, lines=big.lines[:100])
    needed_full = medium.prompt(100_000).tokens
    text_only = medium.prompt(needed_full - 50)
    assert text_only.detail == "text-only" and text_only.lines_listed == 100 and " at (" not in text_only.text


def test_cjk_text_is_counted_a_token_a_character() -> None:
    assert estimate_tokens("服饰鞋包") == 4
    assert estimate_tokens("a" * 35) == 10


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, backend="glm", **values)  # type: ignore[call-arg, arg-type]


def test_the_request_carries_the_brief_within_what_the_context_leaves() -> None:
    source = image_source(LANDING.read_bytes(), _settings())
    lines = tuple(_line(f"Row {n} of the ledger, settled", n, n * 20) for n in range(100))
    grounded = GenerateOptions(brief=Brief(1280, 2000, lines=lines, assets=BRIEF.assets))
    content, brief = generate_request(_settings(), source, grounded)
    assert brief is not None and brief.detail == "full"
    assert brief.text in content[-1]["text"] and "asset:ID as the image URL" in content[-1]["text"]
    # No brief asked for: none sent, and the ungrounded rules.
    content, none = generate_request(_settings(), source, GenerateOptions())
    assert none is None and "asset:" not in content[-1]["text"]
    # The answer budget eats the context: the brief shrinks, then goes.
    _, squeezed = generate_request(_settings(glm_context_tokens=8192, glm_max_tokens=4000), source, grounded)
    assert squeezed is not None and squeezed.tokens < brief.tokens
    _, gone = generate_request(_settings(glm_context_tokens=8192, glm_max_tokens=7000), source, grounded)
    assert gone is None
    _, off = generate_request(_settings(glm_brief_max_tokens=0), source, grounded)
    assert off is None


def test_a_grounded_refinement_request_lists_the_missing_text() -> None:
    source = image_source(LANDING.read_bytes(), _settings())
    render = RenderResult(png=LANDING.read_bytes(), width=1280, height=1100, full_height=1100, clamped=False)
    score = Score(overall=70, block=70, text=70, position=70, color=70, typography=70, edges=70, visual=70)
    request = RefineRequest(
        source, render, score, "<html></html>", 1, missing_text=("Forgot your password?",)
    )
    content, brief = refine_request(_settings(), request, GenerateOptions(brief=BRIEF))
    text = content[-1]["text"]
    assert brief is not None and brief.text in text and '- "Forgot your password?"' in text
    ungrounded, _ = refine_request(_settings(), request, GenerateOptions())
    assert "Forgot your password?" not in ungrounded[-1]["text"]


# --- repair: pictures ----------------------------------------------------------------------------------


def test_asset_references_become_the_crops_wherever_they_are_written() -> None:
    html = _page(
        '<img src="asset:img-1" alt=""><div style="background-image:url(asset:img-2)"></div>'
        '<img src="asset:img-7">',
        "<style>.hero{background:url('asset:img-1') no-repeat}</style>",
    )
    repaired = repair_page(html, BRIEF)
    assert repaired.html.count(PHOTO) == 2 and repaired.html.count(AVATAR) == 1
    assert "asset:img-1" not in repaired.html and "asset:img-2" not in repaired.html
    unknown = [r for r in repaired.repairs if r.before == "asset:img-7"]
    assert unknown and "no such asset" in unknown[0].why  # reported, left for the sanitizer


def test_placeholder_images_take_the_asset_of_their_size_or_reading_order() -> None:
    by_size = repair_page(
        _page('<img src="https://placehold.co/64x64"><img src="hero.jpg" width="330" height="175">'), BRIEF
    )
    assert by_size.html.index(AVATAR) < by_size.html.index(PHOTO)
    assert _kinds(by_size) == ["image", "image"]
    by_order = repair_page(_page('<img src="a.png"><img src="b.png">'), BRIEF)
    assert by_order.html.index(PHOTO) < by_order.html.index(AVATAR)
    # Three made-up images for two pictures, no sizes: no guessing.
    unsure = repair_page(_page('<img src="a.png"><img src="b.png"><img src="c.png">'), BRIEF)
    assert PHOTO not in unsure.html and AVATAR not in unsure.html and not unsure.repairs
    # A crop loses its picture's padding: a 24 px icon placeholder still finds its 17 x 20 crop.
    small = Brief(800, 600, assets=(BriefAsset("img-1", (10, 10, 17, 20), AVATAR),))
    padded = repair_page(_page('<img src="https://placehold.co/24x24" width="24" height="24">'), small)
    assert AVATAR in padded.html and "object-fit:contain" in padded.html
    # A size that fits no picture is not forced onto one.
    wrong = repair_page(_page('<img src="https://placehold.co/900x40"><img src="x.png">'), BRIEF)
    assert "placehold.co/900x40" in wrong.html


# --- repair: icons ------------------------------------------------------------------------------------


def test_icon_classes_become_the_real_icons() -> None:
    html = _page(
        '<i class="fa-solid fa-bell"></i> <i class="fa fa-search fa-fw"></i> <i class="bi bi-house"></i>'
    )
    repaired = repair_page(html, BRIEF)
    assert repaired.html.count("<svg") == 3
    assert [r.after for r in repaired.repairs if r.kind == "icon"] == [
        "fa-solid fa-bell",
        "fa-solid fa-magnifying-glass",  # Font Awesome 4's name, as version 6 calls it
        "bi bi-house",
    ]
    # Drawn as the icon font draws it: the whole 448 x 512 box one em tall, not just the ink.
    assert 'width="0.875em" height="1em" viewBox="0 0 448 512"' in repaired.html
    # The one colour the brief measured for the bell goes with it.
    assert re.search(r'<i class="fa-solid fa-bell" style="color:#dc2626"><svg', repaired.html)


def test_unknown_icons_and_symbols_the_source_lacks_are_left_alone() -> None:
    html = _page(
        '<i class="fa-solid fa-not-an-icon"></i><span>★</span><span>☰</span><span>★ Featured</span>'
    )
    repaired = repair_page(html, BRIEF)
    assert "fa-not-an-icon" in repaired.html and "★" in repaired.html
    # The brief found a bars icon: the hamburger symbol becomes it; the star (no star found) stays.
    assert [r.after for r in repaired.repairs] == ["fa-solid fa-bars"] and "☰" not in repaired.html


# --- repair: text -------------------------------------------------------------------------------------


def test_near_miss_text_is_corrected_to_the_exact_source_line() -> None:
    html = _page(
        "<h1>  Welcome back to Nimbuss </h1><p>Sign in to contnue</p>"
        "<p>Order before noon and your crates arive the same evening.</p>"
        "<p>Plan 49</p><p>Something else entirely</p><script>var s = 'Sign in to contnue';</script>"
    )
    repaired = repair_page(html, BRIEF)
    assert "<h1>  Welcome back to Nimbus </h1>" in repaired.html  # its spaces kept
    assert "<p>Sign in to continue</p>" in repaired.html
    assert "Order before noon and your crates arrive the same evening." in repaired.html
    # Equally near two source lines: not guessed. Far from all: not touched. Scripts: never.
    assert "Plan 49" in repaired.html and "Something else entirely" in repaired.html
    assert "var s = 'Sign in to contnue'" in repaired.html
    assert sorted(r.after for r in repaired.repairs if r.kind == "text") == sorted(
        [
            "Welcome back to Nimbus",
            "Sign in to continue",
            "Order before noon and your crates arrive the same evening.",
        ]
    )


def test_swapped_letters_are_one_edit_and_look_alikes_are_left_to_the_model() -> None:
    brief = Brief(
        800,
        600,
        lines=(
            _line("Start free", 0),
            _line("Billing", 1),
            _line("Client", 2),
            _line("PyPl", 3),  # OCR's reading of "PyPI"
            _line("Privacy - Terms", 4),  # OCR's reading of "Privacy · Terms"
            _line("解", 5),  # OCR cut "解决方案" in two
            _line("决方案", 6),
            _line("离线编辑后", 7),
            _line("自动合并", 7),
        ),
    )
    html = _page(
        "<p>Satrt free</p><p>Bliling</p><p>C1ient</p><p>PyPI</p><p>Privacy · Terms</p><p>解决方案</p>"
        "<p>离线编辑后自动合开</p>"
    )
    repaired = repair_page(html, brief)
    assert [(r.before, r.after) for r in repaired.repairs] == [
        ("Satrt free", "Start free"),
        ("Bliling", "Billing"),
        ("离线编辑后自动合开", "离线编辑后自动合并"),  # a Chinese paragraph joins its lines without a space
    ]
    # I/l/1, O/0, case and punctuation: OCR confuses them as often as a model does.
    assert (
        "<p>C1ient</p>" in repaired.html
        and "<p>PyPI</p>" in repaired.html
        and "Privacy · Terms" in repaired.html
        and "<p>解决方案</p>" in repaired.html
    )


def test_source_text_the_page_lacks_is_reported_not_invented() -> None:
    html = _page(
        "<h1>Welcome back to Nimbus</h1><p>Order before noon and your crates</p><p>arrive the same evening.</p>"
        '<input placeholder="Sign in to continue">'
    )
    repaired = repair_page(html, BRIEF)
    assert set(repaired.missing) == {"Forgot your password?", "Plan 29", "Plan 39"}
    assert "Forgot your password?" not in repaired.html


# --- repair: fonts ------------------------------------------------------------------------------------


def test_web_fonts_the_page_names_are_embedded_cut_to_its_text() -> None:
    html = _page("<p>Welcome back to Nimbus</p>", "<style>body{font-family:'Inter',Arial,sans-serif}</style>")
    repaired = repair_page(html, BRIEF)
    faces = re.findall(r'@font-face\{font-family:"Inter";font-style:normal;font-weight:(\d+)', repaired.html)
    assert faces == ["400", "700"]
    assert [r.kind for r in repaired.repairs] == ["font"]
    # A family named after one the browser has, or never reached, is not embedded.
    shadowed = "<style>body{font-family:'Liberation Sans','Inter',sans-serif}</style>"
    assert "@font-face" not in repair_page(_page("<p>Hi there</p>", shadowed), BRIEF).html


def test_a_generic_stack_gets_the_measured_family_first() -> None:
    html = _page(
        '<p style="font-family: Georgia, serif">Sign in to continue</p><code>x = 1</code>',
        "<style>body{font-family:Arial,Helvetica,sans-serif}code{font-family:monospace}</style>",
    )
    repaired = repair_page(html, BRIEF)
    assert 'body{font-family:"Inter", Arial,Helvetica,sans-serif}' in repaired.html
    # No serif or monospace family was measured: those stacks stay as the model wrote them.
    assert "font-family: Georgia, serif" in repaired.html and "code{font-family:monospace}" in repaired.html
    assert '@font-face{font-family:"Inter"' in repaired.html
    kinds = [(r.kind, r.before) for r in repaired.repairs]
    assert ("font", "Arial,Helvetica,sans-serif") in kinds


def test_a_repaired_page_keeps_its_pictures_and_fonts_through_the_sanitizer(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    html = _page(
        '<i class="fa-solid fa-bell"></i><img src="asset:img-1"><p>Welcome back to Nimbus</p>',
        "<style>p{font-family:Inter,sans-serif}</style>",
    )
    page = Sanitizer.from_settings(settings).sanitize(repair_page(html, BRIEF).html, "static")
    assert PHOTO in page.html and "@font-face" in page.html and "<svg" in page.html


def test_hostile_nesting_is_refused_as_the_sanitizer_refuses_it() -> None:
    with pytest.raises(InputTooLarge):
        repair_page("<div>" * 20_000, BRIEF)
