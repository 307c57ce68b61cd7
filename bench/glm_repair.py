"""What repairing a GLM-4.5V answer with the brief recovers, measured without a live model.

For every development page (fixtures/pages/NAME.html, its screenshot fixtures/references/NAME.png)
the bench writes a model-like answer: the page's true HTML degraded the way vision-language models
degrade a page, deterministically (seeded by the page's name), as a model that received the grounded
prompt would:

- pictures (an inline ``<svg>`` or ``<img>`` over 40 px on a side, or a smaller one the brief lists
  as a picture) whose rendered box matches one of the brief's assets (IoU >= 0.5) become
  ``<img src="asset:img-K">`` (a model following the brief) and
  ``<img src="https://placehold.co/WxH">`` (one ignoring it), in turn (which comes first is seeded
  by the page's name); pictures no asset matches become a grey box, which no repair brings back;
- icons (the other inline svgs up to 40 px) become a Unicode symbol in a span: the symbol of the
  brief's icon that sits there (a check drawn as "✓"), else a generic one ("●", "★", "■", "◆");
- every font-family becomes a generic stack by kind ("Arial, sans-serif", "Georgia, serif",
  "monospace"); on every other page (by its place in the sorted development set) the model follows
  the brief's "Fonts that match" line and names the brief's families of that kind first;
- one character edit (adjacent letters swapped, a letter dropped, a look-alike: l/1, O/0, rn/m, I/l, o/0) in
  15% of the text nodes of 6 characters or more; 5% of the text-bearing leaf elements dropped;
- one or two top-level sections shifted down by 8-16 px (a larger margin-top).

Element boxes come from the true page rendered in Chromium (Playwright) at the reference's viewport.
Each answer is served by the fake GLM server (replicator/fake_glm.py) and run through the real
pipeline with the glm backend, static mode, no refinement: once ungrounded (``glm_grounding=False``:
no brief, no repair: "before") and once grounded (the brief in the prompt, the answer repaired:
"after"). Per page it prints, before -> after:

- overall: the pipeline's score;
- exact text: the share of the true page's text lines (the text boxes of its own render, 3
  characters or more) found verbatim (whitespace aside) in the render's DOM text;
- graphics: the score's graphics sub-score; assets: the share of the brief's assets whose crop
  (data URI) the final page carries;
- the repairs by kind (image: a placeholder matched to an asset; asset: an ``asset:`` reference
  filled; icon, font, text) and how the source paragraphs the repair reported missing compare with
  the elements the answer dropped (found / dropped, and reports of text the answer has).

    .venv/bin/python bench/glm_repair.py [--pages landing login ...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString
from PIL import Image
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr
from rapidfuzz import fuzz
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.config import Settings  # noqa: E402
from replicator.fake_glm import FakeGlm, FakeGlmServer  # noqa: E402
from replicator.grounding import Brief, brief_for  # noqa: E402
from replicator.intake import image_source  # noqa: E402
from replicator.models import RenderResult, Result, Source  # noqa: E402
from replicator.ocr import OcrEngine  # noqa: E402
from replicator.pipeline import Pipeline, RunOptions  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402
from replicator.runtime import Runtime  # noqa: E402

PAGES = ROOT / "fixtures" / "pages"
REFERENCES = ROOT / "fixtures" / "references"
FAKE_KEY = "fake-key"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEFAULT_VIEWPORT = (1280, 800)  # as fixtures/make_references.py
_VIEWPORT = re.compile(r'<meta\s+name="replicator-viewport"\s+content="(\d+)x(\d+)"', re.IGNORECASE)

ICON_MAX_SIDE = 40  # an inline svg this small on both sides is an icon, else a picture
ASSET_IOU = 0.5
TYPO_SHARE, TYPO_MIN_CHARS = 0.15, 6
DROP_SHARE = 0.05
MIN_TRUTH_CHARS = 3
REPAIR_KINDS = ("asset", "image", "icon", "font", "text")

MARK = "data-glm-bench"
_SPACE = re.compile(r"\s+")
_FONT_FAMILY = re.compile(r"(font-family\s*:\s*)([^;}{]+)", re.IGNORECASE)
_NO_TEXT = {"style", "script", "title", "svg", "noscript", "template", "head"}
_GENERIC = {"sans": "Arial, sans-serif", "serif": "Georgia, serif", "mono": "monospace"}
# What a model draws for an icon it recognises (by the icon's name in our sets).
_SYMBOLS = {
    "check": "✓",
    "check-lg": "✓",
    "circle-check": "✓",
    "xmark": "✕",
    "x": "✕",
    "x-lg": "✕",
    "star": "★",
    "star-fill": "★",
    "heart": "♥",
    "heart-fill": "♥",
    "bars": "☰",
    "list": "☰",
    "magnifying-glass": "🔍",
    "search": "🔍",
    "bell": "🔔",
    "bell-fill": "🔔",
    "gear": "⚙",
    "house": "🏠",
    "envelope": "✉",
    "user": "👤",
    "cart-shopping": "🛒",
    "chevron-down": "▾",
    "caret-down": "▾",
    "chevron-right": "›",
    "chevron-left": "‹",
    "arrow-right": "→",
    "arrow-left": "←",
    "ellipsis": "⋯",
    "ellipsis-vertical": "⋮",
    "trash": "🗑",
    "pen": "✏",
    "calendar": "📅",
    "lock": "🔒",
    "phone": "📞",
    "sun": "☀",
    "moon": "🌙",
    "play": "▶",
}
_GENERIC_SYMBOLS = ("●", "★", "■", "◆")
_LOOK_ALIKES = (("rn", "m"), ("l", "1"), ("O", "0"), ("I", "l"), ("o", "0"))

_BOX_JS = """(attr) => Array.from(document.querySelectorAll('[' + attr + ']')).map((el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return [el.getAttribute(attr), r.x + window.scrollX, r.y + window.scrollY, r.width, r.height,
          parseFloat(s.marginTop) || 0, s.display];
})"""

Box = tuple[float, float, float, float]


# --- the true page, measured -----------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    box: Box  # x, y, width, height, document px
    margin_top: float
    display: str


def page_viewport(html: str) -> tuple[int, int]:
    """The viewport a development page declares (as fixtures/make_references.py reads it)."""
    match = _VIEWPORT.search(html)
    return (int(match.group(1)), int(match.group(2))) if match else DEFAULT_VIEWPORT


def mark_elements(html: str) -> BeautifulSoup:
    """The page parsed, every element numbered in ``MARK`` (to find its rendered box)."""
    soup = BeautifulSoup(html, "html.parser")
    for number, el in enumerate(soup.find_all(True)):
        el[MARK] = str(number)
    return soup


async def measure(browser: Browser, soup: BeautifulSoup, viewport: tuple[int, int]) -> dict[str, Measured]:
    """Every marked element's box, margin-top and display, as Chromium lays the page out."""
    page = await browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        await page.set_content(str(soup), wait_until="load")
        rows: list[list[Any]] = await page.evaluate(_BOX_JS, MARK)
    finally:
        await page.close()
    return {
        str(r[0]): Measured((float(r[1]), float(r[2]), float(r[3]), float(r[4])), float(r[5]), str(r[6]))
        for r in rows
    }


def iou(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def covered(inner: Box, outer: Box) -> float:
    """Share of ``inner`` inside ``outer``."""
    w = min(inner[0] + inner[2], outer[0] + outer[2]) - max(inner[0], outer[0])
    h = min(inner[1] + inner[3], outer[1] + outer[3]) - max(inner[1], outer[1])
    area = inner[2] * inner[3]
    return max(w, 0.0) * max(h, 0.0) / area if area > 0 else 0.0


# --- the model-like answer -------------------------------------------------------------------


@dataclass
class Degraded:
    """The answer's HTML and what was done to the true page to write it."""

    html: str = ""
    asset_refs: int = 0  # pictures written as <img src="asset:img-K">
    placeholders: int = 0  # pictures written as a placehold.co image of the asset's size
    grey: int = 0  # pictures no asset matched: a grey box
    icons_named: int = 0  # icons drawn as the symbol of the brief's icon there
    icons_generic: int = 0  # icons drawn as a generic symbol
    fonts_followed: bool = False
    typos: list[tuple[str, str]] = field(default_factory=list)  # (true, edited)
    dropped: list[str] = field(default_factory=list)
    shifted: list[str] = field(default_factory=list)  # "div.hero +12px"

    def summary(self) -> str:
        return (
            f"{self.asset_refs}a {self.placeholders}p {self.grey}g | {self.icons_named}+{self.icons_generic} | "
            f"t{len(self.typos)} d{len(self.dropped)} s{len(self.shifted)}{' F' if self.fonts_followed else ''}"
        )


def degrade(
    name: str, soup: BeautifulSoup, boxes: dict[str, Measured], brief: Brief, *, follow_fonts: bool
) -> Degraded:
    """The true page (``soup``, marked) as a grounded model might answer it (see the docstring)."""
    out = Degraded(fonts_followed=follow_fonts)
    _pictures_and_icons(name, soup, boxes, brief, out)
    _drop_lines(name, soup, out)
    _typos(name, soup, out)
    _fonts(soup, brief, follow_fonts)
    _shift_sections(name, soup, boxes, out)
    for el in soup.find_all(True):
        del el[MARK]
    out.html = str(soup)
    return out


def _measured(el: Tag, boxes: dict[str, Measured]) -> Measured | None:
    found = boxes.get(str(el.get(MARK, "")))
    return found if found is not None and found.box[2] > 0 and found.box[3] > 0 else None


def _pictures_and_icons(
    name: str, soup: BeautifulSoup, boxes: dict[str, Measured], brief: Brief, out: Degraded
) -> None:
    rng = random.Random(f"{name}:icons")
    free = list(brief.assets)
    follow = rng.random() < 0.5  # pictures matched to an asset alternate: asset reference, placeholder
    graphics = [el for el in soup.find_all(["svg", "img"]) if el.find_parent("svg") is None]
    for el in graphics:
        measured = _measured(el, boxes)
        if measured is None:
            continue
        _, _, w, h = measured.box
        width, height = round(w), round(h)
        asset = max(free, key=lambda a: iou(a.box, measured.box), default=None)
        if asset is not None and iou(asset.box, measured.box) < ASSET_IOU:
            asset = None
        if asset is None and max(w, h) <= ICON_MAX_SIDE:
            icon = max(brief.icons, key=lambda i: covered(i.box, measured.box), default=None)
            if icon is not None and covered(icon.box, measured.box) >= 0.5:
                symbol = _SYMBOLS.get(_icon_name(icon.classes), "●")
                out.icons_named += 1
            else:
                symbol = rng.choice(_GENERIC_SYMBOLS)
                out.icons_generic += 1
            style = f"display:inline-block;font-size:{height}px;line-height:1"
            colour = _colour(el)
            span = soup.new_tag("span", attrs={"style": style + (f";color:{colour}" if colour else "")})
            span.string = symbol
            el.replace_with(span)
            continue
        if asset is not None:
            free.remove(asset)
            if follow:
                src, attrs = asset.ref, {"alt": ""}
                out.asset_refs += 1
            else:
                src, attrs = f"https://placehold.co/{width}x{height}", {}
                out.placeholders += 1
            follow = not follow
            img = soup.new_tag("img", attrs={"src": src, "width": str(width), "height": str(height), **attrs})
            el.replace_with(img)
        else:
            div = soup.new_tag("div", attrs={"style": f"width:{width}px;height:{height}px;background:#ddd"})
            el.replace_with(div)
            out.grey += 1


def _icon_name(classes: str) -> str:
    last = classes.split()[-1]
    return last.removeprefix("fa-").removeprefix("bi-")


def _colour(svg: Tag) -> str | None:
    """The colour an inline svg paints with (its first fill or stroke), for the symbol."""
    for el in [svg, *svg.find_all(True)]:
        for attr in ("fill", "stroke"):
            value = str(el.get(attr) or "").strip()
            if value and value not in ("none", "currentColor") and not value.startswith("url("):
                return value
    return None


def _text_nodes(soup: BeautifulSoup) -> list[NavigableString]:
    return [
        s
        for s in soup.find_all(string=True)
        if type(s) is NavigableString and s.strip() and not any(p.name in _NO_TEXT for p in s.parents)
    ]


def _drop_lines(name: str, soup: BeautifulSoup, out: Degraded) -> None:
    body = soup.body or soup
    leaves = [
        el
        for el in body.find_all(True)
        if el.has_attr(MARK)
        and el.name not in _NO_TEXT
        and el.find(True) is None
        and el.get_text(strip=True)
        and el.find_parent("svg") is None
    ]
    if not leaves:
        return
    rng = random.Random(f"{name}:drop")
    for el in rng.sample(leaves, max(1, round(DROP_SHARE * len(leaves)))):
        out.dropped.append(_SPACE.sub(" ", el.get_text()).strip())
        el.decompose()


def _typos(name: str, soup: BeautifulSoup, out: Degraded) -> None:
    nodes = [s for s in _text_nodes(soup) if len(s.strip()) >= TYPO_MIN_CHARS]
    if not nodes:
        return
    rng = random.Random(f"{name}:typos")
    for node in rng.sample(nodes, round(TYPO_SHARE * len(nodes))):
        edited = _one_edit(str(node), rng)
        if edited != str(node):
            out.typos.append((str(node).strip(), edited.strip()))
            node.replace_with(NavigableString(edited))


def _one_edit(text: str, rng: random.Random) -> str:
    """``text`` with one character edit: a look-alike, two adjacent letters swapped, or a letter dropped."""
    edits = [_look_alike, _swap, _drop]
    rng.shuffle(edits)
    for edit in edits:
        edited = edit(text, rng)
        if edited is not None:
            return edited
    return text


def _look_alike(text: str, rng: random.Random) -> str | None:
    spots = [(i, a, b) for a, b in _LOOK_ALIKES for i in _find_all(text, a)]
    if not spots:
        return None
    i, a, b = rng.choice(spots)
    return text[:i] + b + text[i + len(a) :]


def _swap(text: str, rng: random.Random) -> str | None:
    spots = [
        i
        for i in range(len(text) - 1)
        if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _drop(text: str, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(spots) < 2:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1 :]


def _find_all(text: str, part: str) -> Iterable[int]:
    start = text.find(part)
    while start >= 0:
        yield start
        start = text.find(part, start + 1)


def _font_kind(value: str) -> str:
    lowered = value.lower()
    if "mono" in lowered or "courier" in lowered or "consol" in lowered:
        return "mono"
    if "serif" in lowered.replace("sans-serif", "").replace("sans serif", "") and "sans" not in lowered:
        return "serif"
    return "sans"


def _fonts(soup: BeautifulSoup, brief: Brief, follow: bool) -> None:
    """Every font-family a generic stack by kind; the brief's families of that kind first if ``follow``."""

    def stack(match: re.Match[str]) -> str:
        kind = _font_kind(match.group(2))
        named = [f'"{f.family}"' for f in brief.fonts if f.kind == kind] if follow else []
        return match.group(1) + ", ".join([*named, _GENERIC[kind]])

    for style in soup.find_all("style"):
        if style.string:
            style.string = _FONT_FAMILY.sub(stack, str(style.string))
    for el in soup.find_all(style=True):
        el["style"] = _FONT_FAMILY.sub(stack, str(el["style"]))


def _shift_sections(name: str, soup: BeautifulSoup, boxes: dict[str, Measured], out: Degraded) -> None:
    """One or two top-level sections moved down 8-16 px (their margin-top grown)."""
    container: Tag | None = soup.body
    while container is not None:
        children = [c for c in container.find_all(True, recursive=False) if c.name not in _NO_TEXT]
        if len(children) != 1:
            break
        container = children[0]
    if container is None:
        return
    sections = [
        c
        for c in container.find_all(True, recursive=False)
        if c.name not in _NO_TEXT and (m := _measured(c, boxes)) is not None and m.display != "none"
    ]
    if not sections:
        return
    rng = random.Random(f"{name}:shift")
    for el in rng.sample(sections, min(len(sections), rng.choice((1, 2)))):
        measured = _measured(el, boxes)
        assert measured is not None
        extra = rng.randint(8, 16)
        style = str(el.get("style") or "").strip().rstrip(";")
        el["style"] = ";".join(filter(None, [style, f"margin-top:{measured.margin_top + extra:g}px"]))
        label = el.name + ("." + ".".join(el.get_attribute_list("class")) if el.get("class") else "")
        out.shifted.append(f"{label} +{extra}px")


def answer_json(html: str) -> dict[str, Any]:
    """The fake server's answer fixture (the shape of fixtures/glm/thinking_fenced.json)."""
    return {
        "description": "bench/glm_repair.py: the true page degraded the way model answers are.",
        "reasoning_content": "Let me look at the screenshot and the brief, then write the page.",
        "content": f"Here is the HTML that recreates the page:\n\n```html\n{html}\n```",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 1843, "completion_tokens": 1127, "total_tokens": 2970},
    }


# --- measuring a run ------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def truth_lines(render: RenderResult) -> list[str]:
    """The true page's text as its own render lays it out: one entry per text box."""
    return [b.text for b in render.text_boxes if len(_squash(b.text)) >= MIN_TRUTH_CHARS]


def exact_text(truth: list[str], render: RenderResult) -> float:
    """Share of ``truth`` found verbatim (whitespace aside) in the render's DOM text."""
    dom = _squash(" ".join(b.text for b in render.text_boxes))
    return sum(_squash(line) in dom for line in truth) / len(truth) if truth else 1.0


def missing_found(dropped: list[str], missing: list[str]) -> tuple[int, int]:
    """How many dropped elements the repair reported missing, and how many of its reports name
    text the answer did not drop (an OCR fragment, text the page has in another form)."""

    def same(a: str, b: str) -> bool:
        return _squash(a) == _squash(b) or fuzz.ratio(a, b) >= 80

    found = sum(any(same(d, m) for m in missing) for d in dropped)
    false = sum(not any(same(d, m) for d in dropped) for m in missing)
    return found, false


def asset_recall(brief: Brief, html: str) -> float | None:
    """Share of the brief's assets whose crop the page carries (None: the brief has none)."""
    if not brief.assets:
        return None
    return sum(a.data_uri in html for a in brief.assets) / len(brief.assets)


class MemoryStore:
    """A StageStore in memory (seeded with the source's reference analysis, computed once)."""

    def __init__(self, seed: dict[str, bytes] | None = None) -> None:
        self.items = dict(seed or {})

    def load(self, name: str) -> bytes | None:
        return self.items.get(name)

    def save(self, name: str, data: bytes) -> None:
        self.items[name] = data


def _settings(base_url: str, data_dir: Path, *, grounding: bool) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        backend="glm",
        fallback_backend="none",
        glm_base_url=base_url,
        api_key=SecretStr(FAKE_KEY),
        glm_grounding=grounding,
        cpu_workers=0,
    )


def _side(result: Result, truth: list[str], brief: Brief) -> dict[str, Any]:
    best = result.best
    return {
        "score": best.score.breakdown(),
        "exact_text": round(exact_text(truth, best.render), 4),
        "asset_recall": asset_recall(brief, best.page.html),
    }


async def run_page(
    name: str,
    browser: Browser,
    server: FakeGlmServer,
    pipelines: dict[str, Pipeline],
    renderer: SealedBrowserPool,
    settings: Settings,
    answers_dir: Path,
    *,
    follow_fonts: bool,
    out: Path | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    true_html = (PAGES / f"{name}.html").read_text("utf-8")
    source: Source = image_source((REFERENCES / f"{name}.png").read_bytes(), settings)
    brief = await brief_for(source.png)  # the pipeline's own call finds it (same bytes)
    soup = mark_elements(true_html)
    boxes = await measure(browser, soup, page_viewport(true_html))
    answer = degrade(name, soup, boxes, brief, follow_fonts=follow_fonts)
    (answers_dir / "thinking_fenced.json").write_text(json.dumps(answer_json(answer.html)), "utf-8")
    truth = truth_lines(await renderer.render(true_html, source.viewport))

    seed = MemoryStore()
    await pipelines["before"].reference_for(source, seed)
    results: dict[str, Result] = {}
    for side, pipeline in pipelines.items():
        server.fake.reset(api_key=FAKE_KEY, fixtures_dir=answers_dir)
        results[side] = await pipeline.run(
            source, RunOptions(refine_rounds=0, mode="static"), store=MemoryStore(seed.items)
        )
        requests = server.fake.requests
        if len(requests) != 1 or requests[0].status != 200:
            raise RuntimeError(f"{name} ({side}): expected one answered request to the fake, got {requests}")
        grounded = "Text lines in reading order" in requests[0].text()
        if grounded != (side == "after") or (results[side].best.grounding is None) == (side == "after"):
            raise RuntimeError(f"{name} ({side}): the run was {'' if grounded else 'not '}grounded")
    grounding = results["after"].best.grounding
    assert grounding is not None
    if out is not None:
        save_side_by_side(out, name, source.png, results)
    found, false = missing_found(answer.dropped, list(grounding.missing))
    repairs = {kind: 0 for kind in REPAIR_KINDS} | grounding.counts()
    return {
        "page": name,
        "answer": asdict(answer) | {"html": None, "summary": answer.summary()},
        "brief": {"lines": len(brief.lines), "assets": len(brief.assets), "icons": len(brief.icons)},
        "truth_lines": len(truth),
        "before": _side(results["before"], truth, brief),
        "after": _side(results["after"], truth, brief),
        "repairs": repairs,
        "repair_details": list(grounding.repairs),
        "missing": list(grounding.missing),
        "missing_found": found,
        "missing_false": false,
        "seconds": round(time.perf_counter() - started, 1),
    }


def save_side_by_side(out: Path, name: str, source_png: bytes, results: dict[str, Result]) -> None:
    """``NAME.compare.png``: the source, the answer unrepaired and repaired, left to right (a
    magenta bar between them), and the repaired page's HTML, to look at with one's own eyes."""
    images = [
        Image.open(io.BytesIO(png)).convert("RGB")
        for png in (source_png, *(r.best.render.png for r in results.values()))
    ]
    height = max(i.height for i in images)
    sheet = Image.new("RGB", (sum(i.width for i in images) + 12 * (len(images) - 1), height), (255, 0, 255))
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + 12
    out.mkdir(parents=True, exist_ok=True)
    sheet.save(out / f"{name}.compare.png")
    (out / f"{name}.after.html").write_text(results["after"].best.page.html, "utf-8")


async def run(names: list[str], out: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="glm-repair-") as tmp, FakeGlmServer(FakeGlm()) as server:
        answers_dir = Path(tmp) / "answers"
        answers_dir.mkdir()
        settings = {
            side: _settings(server.base_url, Path(tmp) / "data", grounding=side == "after")
            for side in ("before", "after")
        }
        ocr = OcrEngine.shared()
        async with (
            SealedBrowserPool(settings["before"]) as renderer,
            Runtime(settings["before"], renderer=renderer, ocr=ocr) as before,
            Runtime(settings["after"], renderer=renderer, ocr=ocr) as after,
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            pipelines = {"before": await before.pipeline(), "after": await after.pipeline()}
            try:
                for name in names:
                    # Every other page of the whole development set names the brief's fonts.
                    follow_fonts = development_pages().index(name) % 2 == 0
                    rows.append(
                        await run_page(
                            name,
                            browser,
                            server,
                            pipelines,
                            renderer,
                            settings["before"],
                            answers_dir,
                            follow_fonts=follow_fonts,
                            out=out,
                        )
                    )
            finally:
                await browser.close()
    return {"summary": summarise(rows, time.perf_counter() - started), "pages": rows}


def summarise(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    def mean(side: str, key: str, sub: str | None = None) -> float | None:
        values = [r[side][key][sub] if sub else r[side][key] for r in rows]
        present = [float(v) for v in values if v is not None]
        return round(statistics.fmean(present), 4) if present else None

    summary: dict[str, Any] = {"pages": len(rows), "seconds": round(seconds, 1)}
    for side in ("before", "after"):
        summary[f"mean_overall_{side}"] = mean(side, "score", "overall")
        summary[f"mean_graphics_{side}"] = mean(side, "score", "graphics")
        summary[f"mean_exact_text_{side}"] = mean(side, "exact_text")
        summary[f"mean_asset_recall_{side}"] = mean(side, "asset_recall")
    summary["repairs"] = {kind: sum(r["repairs"].get(kind, 0) for r in rows) for kind in REPAIR_KINDS}
    summary["typos_made"] = sum(len(r["answer"]["typos"]) for r in rows)
    summary["lines_dropped"] = sum(len(r["answer"]["dropped"]) for r in rows)
    summary["missing_reported"] = sum(len(r["missing"]) for r in rows)
    summary["missing_found"] = sum(r["missing_found"] for r in rows)
    summary["missing_false"] = sum(r["missing_false"] for r in rows)
    return summary


# --- printing ---------------------------------------------------------------------------------------


def _pair(before: float | None, after: float | None, scale: float = 1.0) -> str:
    if before is None or after is None:
        return "-"
    return f"{before * scale:.1f} → {after * scale:.1f}"


def _missing(found: int, dropped: int, false: int) -> str:
    return f"{found}/{dropped}" + (f" +{false}" if false else "")


def print_table(data: dict[str, Any]) -> None:
    console = Console(width=max(Console().width, 180))
    table = Table(title="GLM answer repair: before (ungrounded) → after (grounded, repaired)")
    columns = ("page", "answer", "overall", "Δ", "exact text %", "graphics", "assets %", "repairs", "missing")
    for column in columns:
        table.add_column(column, justify="left" if column in ("page", "answer", "repairs") else "right")
    for row in data["pages"]:
        before, after = row["before"], row["after"]
        repairs = " ".join(f"{kind} {n}" for kind, n in row["repairs"].items() if n) or "-"
        table.add_row(
            row["page"],
            row["answer"]["summary"],
            _pair(before["score"]["overall"], after["score"]["overall"]),
            f"{after['score']['overall'] - before['score']['overall']:+.1f}",
            _pair(before["exact_text"], after["exact_text"], 100),
            _pair(before["score"]["graphics"], after["score"]["graphics"]),
            _pair(before["asset_recall"], after["asset_recall"], 100),
            repairs,
            _missing(row["missing_found"], len(row["answer"]["dropped"]), row["missing_false"]),
        )
    summary = data["summary"]
    table.add_section()
    table.add_row(
        "mean",
        "",
        _pair(summary["mean_overall_before"], summary["mean_overall_after"]),
        f"{summary['mean_overall_after'] - summary['mean_overall_before']:+.1f}",
        _pair(summary["mean_exact_text_before"], summary["mean_exact_text_after"], 100),
        _pair(summary["mean_graphics_before"], summary["mean_graphics_after"]),
        _pair(summary["mean_asset_recall_before"], summary["mean_asset_recall_after"], 100),
        " ".join(f"{kind} {n}" for kind, n in summary["repairs"].items() if n) or "-",
        _missing(summary["missing_found"], summary["lines_dropped"], summary["missing_false"]),
    )
    console.print(table)
    console.print(
        "answer: pictures as asset refs (a), placeholders (p), grey boxes (g) | icons drawn as the symbol of "
        "the brief's icon there + as a generic symbol | typos (t), leaf elements dropped (d), sections "
        "shifted (s); F: the fonts follow the brief.\nmissing: dropped elements the repair reported missing "
        "/ elements dropped, +reports of text the answer did not drop."
    )
    console.print(
        f"{summary['pages']} pages in {summary['seconds']:.0f} s: overall "
        f"{summary['mean_overall_before']:.1f} → {summary['mean_overall_after']:.1f}, exact text "
        f"{summary['mean_exact_text_before'] * 100:.1f}% → {summary['mean_exact_text_after'] * 100:.1f}%, "
        f"graphics {summary['mean_graphics_before']:.1f} → {summary['mean_graphics_after']:.1f}; "
        f"{summary['typos_made']} typos made, {summary['repairs']['text']} text repairs."
    )


def development_pages() -> list[str]:
    return sorted(p.stem for p in REFERENCES.glob("*.png") if (PAGES / f"{p.stem}.html").exists())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--pages", nargs="*", help="page names (default: all development pages)")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "out" / "glm_repair",
        help="where NAME.compare.png (source | unrepaired | repaired) and the repaired HTML go",
    )
    args = parser.parse_args()
    names = development_pages()
    if args.pages:
        unknown = sorted(set(args.pages) - set(names))
        if unknown:
            parser.error(f"unknown pages: {', '.join(unknown)}")
        names = [n for n in names if n in args.pages]
    data = asyncio.run(run(names, args.out))
    if args.json:
        print(json.dumps(data))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
