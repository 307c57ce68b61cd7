"""Local copies of CDN assets: Tailwind compiled for the page, Font Awesome, Bootstrap, Google Fonts.

The last tests render sanitized pages in the sealed Chromium (no network at all) and check that the
local copies really style them.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from replicator.assets import AssetLibrary, parse_google_fonts_url
from replicator.config import PROJECT_DIR
from replicator.models import Page, Viewport
from replicator.render import SealedBrowserPool
from replicator.sanitize import Sanitizer

NODE_MODULES = PROJECT_DIR / "node_modules"
TAILWIND = '<script src="https://cdn.tailwindcss.com"></script>'
FONT_AWESOME = (
    '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/css/all.min.css">'
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tailwind-cache")


@pytest.fixture(scope="module")
def sanitizer(cache_dir: Path) -> Sanitizer:
    return Sanitizer(NODE_MODULES, cache_dir=cache_dir)


def doc(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def styles(page: Page) -> str:
    return "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", page.html, re.S))


# --- recognising CDN URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://cdn.tailwindcss.com", "tailwind"),
        ("https://cdn.tailwindcss.com/3.4.5?plugins=forms,typography", "tailwind"),
        ("https://cdn.jsdelivr.net/npm/tailwindcss@2.2.19/dist/tailwind.min.css", "tailwind"),
        ("https://cdn.jsdelivr.net/npm/@tailwindcss/browser@4", "tailwind"),
        ("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/css/all.min.css", "fontawesome"),
        ("https://use.fontawesome.com/releases/v5.15.4/css/all.css", "fontawesome"),
        ("https://kit.fontawesome.com/a1b2c3d4e5.js", "fontawesome"),
        ("https://maxcdn.bootstrapcdn.com/font-awesome/4.7.0/css/font-awesome.min.css", "fontawesome"),
        ("https://cdn.jsdelivr.net/npm/bootstrap@5.3.2/dist/css/bootstrap.min.css", "bootstrap-css"),
        ("https://stackpath.bootstrapcdn.com/bootstrap/4.5.2/js/bootstrap.bundle.min.js", "bootstrap-js"),
        ("https://fonts.googleapis.com/css2?family=Inter:wght@400;700&display=swap", "google-fonts"),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/styles/github.min.css",
            "highlightjs-css",
        ),
        ("https://cdn.jsdelivr.net/npm/bootstrap-icons@1.11.0/font/bootstrap-icons.css", None),
        ("https://evil.example/tailwind-but-not.js", None),
        ("styles.css", None),
    ],
)
def test_cdn_urls_are_recognised(url: str, kind: str | None) -> None:
    assert AssetLibrary.kind_of(url) == kind


def test_google_fonts_urls_are_parsed_for_families_and_weights() -> None:
    css2 = "https://fonts.googleapis.com/css2?family=Roboto:ital,wght@0,400;1,700&family=Open+Sans:wght@300..500&family=Lato"
    assert parse_google_fonts_url(css2) == [
        ("Roboto", {(400, False), (700, True)}),
        ("Open Sans", {(300, False), (400, False), (500, False)}),
        ("Lato", {(400, False)}),
    ]
    v1 = "https://fonts.googleapis.com/css?family=Montserrat:400,700i|Poppins"
    assert parse_google_fonts_url(v1) == [
        ("Montserrat", {(400, False), (700, True)}),
        ("Poppins", {(400, False)}),
    ]


# --- Tailwind -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["static", "interactive"])
def test_tailwind_cdn_page_gets_css_compiled_for_its_classes(sanitizer: Sanitizer, mode: str) -> None:
    body = '<div class="bg-blue-500 md:flex p-4 hover:bg-blue-600"><p class="text-white">Hi</p></div>'
    page = sanitizer.sanitize(doc(body, TAILWIND), mode)  # type: ignore[arg-type]
    css = styles(page)
    assert "cdn.tailwindcss.com" not in page.html and "<script" not in page.html
    assert re.search(r"\.bg-blue-500\s*\{[^}]*background-color", css)
    assert ".md\\:flex" in css and ".hover\\:bg-blue-600:hover" in css
    assert ".bg-red-900" not in css  # only what the page uses
    assert "Hi" in page.html
    assert any("compiled" in r for r in page.removed)


def test_tailwind_inline_config_theme_extension_is_applied_without_running_it(sanitizer: Sanitizer) -> None:
    config = """<script>
      // the Play CDN's way to extend the theme
      tailwind.config = {
        theme: { extend: { colors: { brand: '#ff6600', }, }, },
      }
    </script>"""
    page = sanitizer.sanitize(doc('<div class="bg-brand">x</div>', TAILWIND + config), "interactive")
    assert re.search(r"\.bg-brand\s*\{[^}]*rgb\(255 102 0", styles(page))
    assert "tailwind.config" not in page.html  # without the CDN script it would only throw


def test_tailwind_config_with_code_is_ignored_with_a_note(sanitizer: Sanitizer) -> None:
    config = "<script>tailwind.config = { theme: { extend: { colors: ({ theme }) => theme('x') } } }</script>"
    page = sanitizer.sanitize(doc('<div class="bg-blue-500">x</div>', TAILWIND + config), "static")
    assert ".bg-blue-500" in styles(page)
    assert any("not plain data" in r for r in page.removed)


def test_tailwind_apply_rules_in_text_tailwindcss_style_are_compiled(sanitizer: Sanitizer) -> None:
    custom = '<style type="text/tailwindcss">.btn { @apply px-4 bg-green-500; }</style>'
    page = sanitizer.sanitize(doc('<button class="btn">Go</button>', TAILWIND + custom), "static")
    assert re.search(r"\.btn\s*\{[^}]*background-color: rgb\(34 197 94", styles(page))
    assert "text/tailwindcss" not in page.html


def test_tailwind_arbitrary_url_value_cannot_reach_the_network(sanitizer: Sanitizer) -> None:
    body = "<div class=\"bg-[url('https://evil.example/x.png')] h-10\">x</div>"
    page = sanitizer.sanitize(doc(body, TAILWIND), "static")
    assert "evil.example" not in styles(page)
    assert ".h-10" in styles(page)


def test_tailwind_stylesheet_link_is_compiled_too(sanitizer: Sanitizer) -> None:
    link = '<link href="https://unpkg.com/tailwindcss@2.2.19/dist/tailwind.min.css" rel="stylesheet">'
    page = sanitizer.sanitize(doc('<div class="bg-blue-500">x</div>', link), "static")
    assert ".bg-blue-500" in styles(page) and "unpkg.com" not in page.html


def test_tailwind_build_is_cached_on_disk(cache_dir: Path, sanitizer: Sanitizer) -> None:
    html = doc('<div class="bg-teal-700 p-7">cached</div>', TAILWIND)
    first = sanitizer.sanitize(html, "static")
    assert list(cache_dir.glob("tailwind-*.css"))
    # A second process with no Node.js at all still gets the same CSS, from the disk cache.
    offline = Sanitizer(NODE_MODULES, cache_dir=cache_dir, node="/nonexistent/node")
    assert offline.assets.tailwind_available is True
    assert offline.sanitize(html, "static") == first


def test_tailwind_without_node_falls_back_with_a_clear_note(tmp_path: Path) -> None:
    no_node = Sanitizer(NODE_MODULES, cache_dir=tmp_path, node="/nonexistent/node")
    page = no_node.sanitize(doc('<p class="text-red-500">still here</p>', TAILWIND), "static")
    assert "still here" in page.html and "cdn.tailwindcss.com" not in page.html
    assert any("Tailwind CDN script (not replaced" in r and "Node.js" in r for r in page.removed)


# --- Font Awesome, Bootstrap, highlight.js, Google Fonts ------------------------------------------


def test_font_awesome_icons_resolve_to_inlined_fonts(sanitizer: Sanitizer) -> None:
    body = '<i class="fa-solid fa-house"></i><i class="fab fa-github"></i>'
    page = sanitizer.sanitize(doc(body, FONT_AWESOME), "static")
    css = styles(page)
    assert "cdnjs" not in page.html and "webfonts/" not in css
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    assert any(
        "Font Awesome 6 Free" in f and "font-weight:900" in f and "data:font/woff2;base64," in f
        for f in faces
    )
    assert any("Font Awesome 6 Brands" in f and "data:font/woff2;base64," in f for f in faces)
    assert not any(
        "fa-regular" in f or ("font-weight:400" in f and "6 Free" in f) for f in faces
    )  # unused style
    assert ".fa-house{" in css and ".fa-github{" in css
    assert ".fa-anchor{" not in css  # icons the page does not use are left out


def test_font_awesome_kit_script_is_replaced_by_css(sanitizer: Sanitizer) -> None:
    kit = '<script src="https://kit.fontawesome.com/a1b2c3d4e5.js" crossorigin="anonymous"></script>'
    page = sanitizer.sanitize(doc('<i class="fas fa-star"></i>', kit), "static")
    assert "kit.fontawesome.com" not in page.html and ".fa-star{" in styles(page)


def test_font_awesome_4_link_gets_the_v4_name_shims(sanitizer: Sanitizer) -> None:
    link = '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/font-awesome/4.7.0/css/font-awesome.min.css">'
    page = sanitizer.sanitize(doc('<i class="fa fa-facebook"></i>', link), "static")
    css = styles(page)
    assert ".fa.fa-facebook{" in css and "Font Awesome 6 Brands" in css


@pytest.mark.parametrize("mode", ["static", "interactive"])
def test_bootstrap_css_and_js_are_inlined(sanitizer: Sanitizer, mode: str) -> None:
    head = (
        '<link href="https://cdn.jsdelivr.net/npm/bootstrap@5.3.2/dist/css/bootstrap.min.css" rel="stylesheet">'
        '<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.2/dist/js/bootstrap.bundle.min.js"></script>'
    )
    page = sanitizer.sanitize(doc('<button class="btn btn-primary">OK</button>', head), mode)  # type: ignore[arg-type]
    assert "cdn.jsdelivr" not in page.html and "sourceMappingURL" not in page.html
    assert ".btn-primary{" in styles(page)
    has_bundle = "Bootstrap v5" in "".join(re.findall(r"<script[^>]*>(.*?)</script>", page.html, re.S))
    assert has_bundle is (mode == "interactive")


def test_highlightjs_theme_is_inlined(sanitizer: Sanitizer) -> None:
    link = '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/styles/github.min.css">'
    page = sanitizer.sanitize(doc('<pre><code class="hljs">x</code></pre>', link), "static")
    assert ".hljs" in styles(page) and "cdnjs" not in page.html


def test_google_fonts_link_is_inlined_for_the_requested_weights(sanitizer: Sanitizer) -> None:
    link = '<link href="https://fonts.googleapis.com/css2?family=Inter:wght@400;700&family=Lobster&display=swap" rel="stylesheet">'
    page = sanitizer.sanitize(doc('<p style="font-family:Inter">x</p>', link), "static")
    faces = re.findall(r"@font-face\{[^}]*\}", styles(page))
    inter = [f for f in faces if "'Inter'" in f]
    assert sorted({re.search(r"font-weight:(\d+)", f).group(1) for f in inter}) == ["400", "700"]  # type: ignore[union-attr]
    assert len(inter) == 4  # latin and latin-ext for each weight
    assert all("data:font/woff2;base64," in f and "unicode-range" in f for f in inter)
    assert "fonts.googleapis.com" not in page.html
    assert any("Lobster" in r and "not available offline" in r for r in page.removed)


def test_google_fonts_import_in_a_style_element_is_inlined(sanitizer: Sanitizer) -> None:
    style = "<style>@import url('https://fonts.googleapis.com/css2?family=Poppins:wght@600&display=swap');h1{font-family:Poppins}</style>"
    page = sanitizer.sanitize(doc("<h1>T</h1>", style), "static")
    css = styles(page)
    assert "@import" not in css and "googleapis" not in css
    assert "font-family:'Poppins'" in css and "font-weight:600" in css and "h1{font-family:Poppins}" in css


# --- in the sealed browser: the local copies really style the page --------------------------------


def pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r, g, b = image.getpixel((x, y))  # type: ignore[misc]
    return (r, g, b)


async def test_tailwind_page_renders_styled_with_no_network(
    sanitizer: Sanitizer, browser_pool: SealedBrowserPool
) -> None:
    body = '<div class="bg-blue-500 h-40 w-full"></div><div class="bg-emerald-600 h-40 w-1/2"></div>'
    page = sanitizer.sanitize(doc(body, TAILWIND), "static")
    result = await browser_pool.render(page.html, Viewport(400, 400))
    assert pixel(result.png, 200, 80) == (59, 130, 246)  # Tailwind's blue-500
    assert pixel(result.png, 100, 240) == (5, 150, 105)  # emerald-600, half width
    assert pixel(result.png, 300, 240) == (255, 255, 255)


async def test_font_awesome_icon_renders_a_glyph_with_no_network(
    sanitizer: Sanitizer, browser_pool: SealedBrowserPool
) -> None:
    icon = '<i class="fa-solid fa-square" style="font-size:200px;color:rgb(255,0,0);line-height:1"></i>'
    page = sanitizer.sanitize(doc(icon, FONT_AWESOME), "static")
    result = await browser_pool.render(page.html, Viewport(400, 400))
    assert pixel(result.png, 100, 100) == (255, 0, 0)  # inside the solid square glyph


async def test_google_font_is_loaded_from_the_inlined_copy(
    sanitizer: Sanitizer, browser_pool: SealedBrowserPool
) -> None:
    link = '<link href="https://fonts.googleapis.com/css2?family=Lato:wght@700" rel="stylesheet">'
    page = sanitizer.sanitize(
        doc('<p style="font:700 32px Lato, monospace">Hamburgefonstiv</p>', link), "static"
    )
    async with browser_pool.open(page.html, Viewport(600, 200)) as live:
        loaded = await live.page.evaluate(
            "async () => { await document.fonts.ready; return document.fonts.check('700 32px Lato'); }"
        )
        statuses = await live.page.evaluate("() => [...document.fonts].map(f => f.family + ':' + f.status)")
    assert loaded is True
    assert any(s.startswith("Lato:loaded") for s in statuses)
