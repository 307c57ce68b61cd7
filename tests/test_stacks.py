"""Output stacks: a page restated as Tailwind / Bootstrap / React / Vue code, compiled with the
framework's own tools from node_modules, rendered in the sealed browser and scored like any page."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replicator.assets import AssetLibrary
from replicator.backends.glm import GlmBackend
from replicator.backends.local import LocalBackend
from replicator.config import Settings
from replicator.errors import ComponentError
from replicator.extract import extract_component
from replicator.fake_glm import FakeGlmServer, asked_stack
from replicator.intake import load_source
from replicator.models import Source, Viewport
from replicator.ocr import OcrEngine
from replicator.pipeline import Pipeline, RunOptions
from replicator.render import SealedBrowserPool
from replicator.sanitize import Sanitizer
from replicator.score import analyze_reference, score_against_source
from replicator.stacks import STACK_NAMES, STACKS, bootstrap, stack_named, tailwind
from replicator.stacks.component import react_component, vue_component
from replicator.stacks.convert import from_html
from replicator.stacks.preview import component_preview
from replicator.stacks.utilities import restate

ROOT = Path(__file__).resolve().parent.parent
ASSETS = AssetLibrary(ROOT / "node_modules")

PAGE = """<!DOCTYPE html><html><head><title>t</title><style>
*{box-sizing:border-box}
.card{display:flex;flex-direction:column;padding:8px 16px;color:#333333;background:#ffffff;border-radius:6px}
.wide{padding-left:4px;width:100%}
.pic{background:url(data:image/png;base64,iVBORw0KGgo=) no-repeat;width:30px}
.tag{font-weight:600;font-family:"Open Sans", Arial, sans-serif}
.box{border:0;border-top:1px solid #dddddd}
.chk{appearance:none;border:1px solid #999999;background:#ffffff}
.chk:checked{background:#0d6efd}
.nowrap{white-space:nowrap}
@media (max-width:600px){.nowrap{white-space:normal}}
</style></head><body class="card"><div class="card wide mark"><span class="tag nowrap">{a} &amp; b</span>
<input type="checkbox" class="chk" id="c1" checked><label for="c1" class="tag">Keep</label>
<div class="pic"></div><div class="box"></div>
<svg viewBox="0 0 10 10" width="10" height="10"><path stroke-width="2" d="M0 0L10 10"/></svg></div>
<script>document.getElementById('c1').dataset.wired = 'yes';</script></body></html>"""


def classes_of(html: str, selector_text: str) -> list[str]:
    """The class list of the first element whose opening tag contains ``selector_text``."""
    tag = next(t for t in re.findall(r"<[a-z][^>]*>", html) if selector_text in t)
    return re.search(r'class="([^"]*)"', tag).group(1).split()  # type: ignore[union-attr]


# --- restating CSS as utilities ------------------------------------------------------------------


def test_tailwind_restates_each_elements_own_cascade() -> None:
    page = restate(PAGE, tailwind.utilities)
    html = str(page.soup)
    inner = classes_of(html, "r-mark")
    # .card then .wide: padding 8px 16px with the later padding-left: 4px winning on the left side
    assert {"flex", "flex-col", "py-2", "pr-4", "pl-1", "w-full", "text-[#333333]", "bg-white"} <= set(inner)
    assert "rounded-[6px]" in inner
    # A name the page does not style gets a prefix: it must not take Bootstrap's .mark or another meaning.
    assert "r-mark" in inner and "mark" not in inner
    tag = classes_of(html, "<span")
    assert {"font-semibold", "font-['Open_Sans',Arial,sans-serif]"} <= set(tag)
    # A data: URL is no class name: it stays in the stylesheet, on a class of its own.
    pic = classes_of(html, "w-[30px]")
    group = next(c for c in pic if c.startswith("r-pic"))
    assert re.search(rf"\.{group}\{{background: url\(data:image/png", page.css)
    # A shorthand mixed with its own sides keeps its order in the stylesheet, not in utilities.
    box = next(c for c in classes_of(html, "r-box") if c.startswith("r-box"))
    assert re.search(rf"\.{box}\{{border: 0; border-top: 1px solid #dddddd\}}", page.css)


def test_rules_that_are_not_single_class_rules_are_kept_and_still_apply() -> None:
    page = restate(PAGE, tailwind.utilities)
    html = str(page.soup)
    # :checked and @media keep working on renamed classes: the renamed class carries the property
    # the kept rule overrides, before it in the stylesheet.
    assert ".r-chk:checked{background:#0d6efd}" in page.css
    assert "@media (max-width:600px){.r-nowrap{white-space:normal}}" in page.css
    assert page.css.index(".r-nowrap{white-space: nowrap}") < page.css.index("@media")
    chk = classes_of(html, "<input")
    assert "r-chk" in chk and "appearance-none" in chk
    assert not any(c.startswith("bg-") for c in chk)  # the background the :checked rule overrides
    assert "*{box-sizing:border-box}" in page.css


def test_bootstrap_says_what_bootstrap_can_and_keeps_the_rest() -> None:
    page = restate(PAGE, bootstrap.utilities)
    html = str(page.soup)
    inner = classes_of(html, "r-mark")
    assert {"d-flex", "flex-column", "py-2", "pe-3", "ps-1", "w-100", "bg-white"} <= set(inner)
    own = next(c for c in inner if c.startswith("r-card"))
    assert re.search(rf"\.{own}\{{[^}}]*color: #333333", page.css)  # Bootstrap has no #333333
    assert "fw-semibold" in classes_of(html, "<span")


def test_tailwind_document_loads_tailwind_and_renders_offline(settings: Settings) -> None:
    doc = from_html(PAGE, "html-tailwind")
    assert '<script src="https://cdn.tailwindcss.com"></script>' in doc
    page = Sanitizer.from_settings(settings).sanitize(doc, "static")
    assert "cdn.tailwindcss.com" not in page.html and ".flex-col" in page.html


# --- components ----------------------------------------------------------------------------------


def test_react_component_is_jsx_a_developer_can_paste() -> None:
    jsx = react_component(restate(PAGE, tailwind.utilities))
    assert jsx.startswith('import { useEffect } from "react";')
    assert "export default function Page() {" in jsx
    assert 'htmlFor="c1"' in jsx and "defaultChecked" in jsx and 'className="' in jsx
    assert 'viewBox="0 0 10 10"' in jsx and 'strokeWidth="2"' in jsx
    assert '{"{a} & b"}' in jsx  # braces and ampersands are text, not code
    assert "useEffect(() => {" in jsx and "dataset.wired" in jsx
    assert "<style>{css}</style>" in jsx and "const css = `" in jsx


def test_vue_component_is_a_single_file_component() -> None:
    sfc = vue_component(restate(PAGE, tailwind.utilities))
    assert sfc.startswith("<template>\n")
    assert 'viewBox="0 0 10 10"' in sfc  # real SVG case: a Vue template sets attributes as written
    assert "<script setup>" in sfc and "onMounted(() => {" in sfc and "dataset.wired" in sfc
    assert "<style>\n" in sfc and "<script>" not in sfc.split("</template>")[0]


def test_a_component_that_does_not_compile_is_a_clear_error() -> None:
    react = stack_named("react-tailwind")
    with pytest.raises(ComponentError) as broken:
        component_preview("export default function Page() { return <div>; }", react, ASSETS)
    assert "does not compile" in broken.value.message and "line 1" in broken.value.message
    with pytest.raises(ComponentError) as imports:
        component_preview(
            'import fs from "fs";\nexport default function Page() { return <div>{String(fs)}</div>; }',
            react,
            ASSETS,
        )
    assert 'imports "fs", which is not available offline' in imports.value.message
    with pytest.raises(ComponentError):
        component_preview("<template><div></template>", stack_named("vue-tailwind"), ASSETS)


def test_component_extraction_takes_the_fenced_component() -> None:
    answer = "Here it is:\n\n```jsx\nfunction Page() {\n  return <p>Hi</p>;\n}\n```\nEnjoy."
    got = extract_component(answer, framework="react", fences=STACKS["react-tailwind"].fences)
    assert got.html.startswith("function Page()") and got.html.rstrip().endswith("export default Page;")
    assert "exported Page as the default" in got.notes
    vue = extract_component("```vue\n<template><p>Hi</p></template>\n```", framework="vue", fences=("vue",))
    assert vue.html == "<template><p>Hi</p></template>\n"
    with pytest.raises(Exception, match="no React component"):
        extract_component("```html\n<p>no component</p>\n```", framework="react", fences=("jsx",))


# --- rendered and scored -------------------------------------------------------------------------


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["data_table", "settings_form"])  # bench/stacks.py: all 20
async def test_every_stack_of_a_local_page_scores_within_a_point_of_html_css(
    name: str,
    settings: Settings,
    browser_pool: SealedBrowserPool,
    dev_reference: Callable[[str], bytes],
    tmp_path: Path,
) -> None:
    png = dev_reference(name)
    (tmp_path / "s.png").write_bytes(png)
    source = load_source(tmp_path / "s.png", settings)
    reference = analyze_reference(png, ocr=OcrEngine.shared())
    sanitizer = Sanitizer.from_settings(settings)
    html = await _local_answer(LocalBackend(settings), source)
    scores, renders = {}, {}
    for stack in STACKS.values():
        code = from_html(html, stack.name)
        page_html = component_preview(code, stack, sanitizer.assets) if stack.is_component else code
        page = sanitizer.sanitize(page_html, "interactive" if stack.is_component else "static")
        render = await browser_pool.render(page.html, source.viewport)
        renders[stack.name] = render.png
        scores[stack.name] = score_against_source(reference, render).overall
    base = scores["html-css"]
    assert base > 80, scores
    for stack_name, value in scores.items():
        assert abs(value - base) <= 1.0, (stack_name, scores)
    # The React component, compiled with esbuild and rendered by React, draws the page its Tailwind
    # HTML draws (the same utilities, from the same build of Tailwind).
    react, html_tw = _pixels(renders["react-tailwind"]), _pixels(renders["html-tailwind"])
    assert react.shape == html_tw.shape
    assert float(np.abs(react - html_tw).mean()) < 0.5


async def _local_answer(backend: LocalBackend, source: Source) -> str:
    from replicator.backends.base import AnswerDelta, GenerateOptions

    parts = [e.text async for e in backend.generate(source, GenerateOptions()) if isinstance(e, AnswerDelta)]
    return "".join(parts)


@pytest.mark.slow
async def test_local_pipeline_in_vue_refines_the_component(
    settings: Settings, browser_pool: SealedBrowserPool, dev_reference: Callable[[str], bytes], tmp_path: Path
) -> None:
    (tmp_path / "s.png").write_bytes(dev_reference("pricing"))
    source = load_source(tmp_path / "s.png", settings)
    pipeline = Pipeline(
        backend=LocalBackend(settings), renderer=browser_pool, sanitizer=Sanitizer.from_settings(settings)
    )
    result = await pipeline.run(source, RunOptions(refine_rounds=1, target_score=100.0, stack="vue-tailwind"))
    assert [c.round for c in result.candidates] == [0, 1]
    for candidate in result.candidates:
        assert candidate.stack == "vue-tailwind" and candidate.code.startswith("<template>")
        assert "<template>" not in candidate.page.html  # the page is the compiled preview
        assert candidate.page.mode == "interactive"  # the preview needs Vue's runtime script
    # The refinement round measured the first render (its corrections are keyed by the page's token).
    assert result.candidates[1].code != result.candidates[0].code
    assert result.best.score.overall > 85


def test_unknown_stack_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="html-css, html-tailwind, bootstrap, react-tailwind, vue-tailwind"):
        RunOptions(stack="angular")
    assert STACK_NAMES == ("html-css", "html-tailwind", "bootstrap", "react-tailwind", "vue-tailwind")


# --- the GLM backend, against the fake ------------------------------------------------------------

_MARKS = {
    "html-css": "<style>",
    "html-tailwind": 'src="https://cdn.tailwindcss.com"',
    "bootstrap": "bootstrap.min.css",
    "react-tailwind": "export default function Page()",
    "vue-tailwind": "<script setup>",
}


@pytest.fixture(scope="module")
def glm_page_png() -> bytes:
    """The fake's page rendered at 1280x800: the source its answers reproduce."""
    import asyncio

    from tests.plugins.browser import browser_settings

    async def shoot() -> bytes:
        async with SealedBrowserPool(browser_settings()) as pool:
            html = (ROOT / "fixtures" / "glm" / "page.html").read_text()
            return (await pool.render(html, Viewport(1280, 800))).png

    return asyncio.run(shoot())


@pytest.mark.slow
@pytest.mark.parametrize("stack", list(_MARKS))
async def test_glm_writes_each_stack_and_it_renders_like_the_source(
    stack: str,
    glm_settings: Settings,
    fake_glm: FakeGlmServer,
    browser_pool: SealedBrowserPool,
    glm_page_png: bytes,
    tmp_path: Path,
) -> None:
    (tmp_path / "s.png").write_bytes(glm_page_png)
    source = load_source(tmp_path / "s.png", glm_settings)
    backend = GlmBackend(glm_settings)
    try:
        pipeline = Pipeline(
            backend=backend, renderer=browser_pool, sanitizer=Sanitizer.from_settings(glm_settings)
        )
        result = await pipeline.run(source, RunOptions(refine_rounds=0, stack=stack))
    finally:
        await backend.aclose()
    prompt = fake_glm.fake.requests[-1].text()
    assert asked_stack(prompt) == (None if stack == "html-css" else stack)
    best = result.best
    assert best.stack == stack and _MARKS[stack] in best.code
    assert "cdn.tailwindcss.com" not in best.page.html and "cdn.jsdelivr.net" not in best.page.html
    assert best.score.overall > 90, best.score.breakdown()


@pytest.mark.slow
async def test_a_react_components_state_works_in_the_sealed_browser(
    glm_settings: Settings, browser_pool: SealedBrowserPool
) -> None:
    answer = json.loads((ROOT / "fixtures" / "glm" / "react_fenced.json").read_text())["content"]
    react = stack_named("react-tailwind")
    code = extract_component(answer, framework="react", fences=react.fences).html
    sanitizer = Sanitizer.from_settings(glm_settings)
    page = sanitizer.sanitize(component_preview(code, react, sanitizer.assets), "interactive")
    async with browser_pool.open(page.html, Viewport(1280, 800)) as live:
        button = live.page.get_by_role("button", name="Start free trial")
        assert await button.get_attribute("aria-pressed") == "false"
        await button.click()
        await live.settle()
        assert await button.get_attribute("aria-pressed") == "true"
