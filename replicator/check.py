"""Design checks: does an implementation (HTML or a screenshot of it) still match the design?

One implementation shared by ``replicator check`` and ``POST /api/v1/checks``. HTML is sanitized
(static mode: a check never runs the implementation's scripts), rendered at the design's viewport by
the runtime's sealed browser pool and scored against the design with the pipeline's own scorer; a
screenshot is scored against the design directly.

An implementation folder's own assets (stylesheets, images, fonts) are inlined into the document
before sanitizing, since the output policy lets a page load nothing; files outside the folder and
hidden files are never read. Both happen in a worker process that is killed at SANITIZE_DEADLINE_S.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import mimetypes
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

from .errors import InputError, InputTooComplex, InputTooLarge, WorkerTimeout
from .intake import image_source, sniff_media_type
from .models import SUBSCORES, Page, Score, Source, Viewport

if TYPE_CHECKING:
    from .runtime import Runtime
    from .sanitize import Sanitizer

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TOP_DISCREPANCIES = 10
# The gate the web form and the API use when none is given: what the README's CI examples use.
DEFAULT_THRESHOLD = 85.0
MAX_INLINED_BYTES = 8 * 1024 * 1024  # per asset: larger files are left out rather than inlined
# The implementation's HTML with its stylesheets inlined: sanitizing costs about 5 s per MiB of CSS,
# and a real page is a few hundred KiB; more is refused rather than parsed.
MAX_CHECK_HTML_BYTES = 5 * 1024 * 1024
# A small page can cost more than a large one: '<table>' + '<b><tr>' * 12,000 (84 KB) takes 3 s to
# sanitize, and twice as many tags about four times as long; BeautifulSoup's tree, which inlines a
# folder's assets, took 3 minutes for 2,000 of them. Past this deadline the work is stopped and the
# page refused; the largest page the size cap lets through (5 MiB of CSS) takes about 13 s.
SANITIZE_DEADLINE_S = 60.0
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""", re.IGNORECASE)


@dataclass(frozen=True)
class CheckTarget:
    """The implementation under check: HTML text (with an optional asset folder) or a screenshot."""

    kind: Literal["html", "screenshot"]
    html: str = ""
    # Local assets (CSS, images, fonts) the page may load: served from this folder only.
    base_dir: Path | None = None
    image: bytes = b""
    label: str = ""  # how the user named it (a path), for messages and reports

    @classmethod
    def from_html(cls, html: str, *, base_dir: Path | None = None, label: str = "") -> CheckTarget:
        return cls(kind="html", html=html, base_dir=base_dir, label=label)

    @classmethod
    def from_screenshot(cls, data: bytes, *, label: str = "") -> CheckTarget:
        return cls(kind="screenshot", image=data, label=label)

    @classmethod
    def from_path(cls, path: Path) -> CheckTarget:
        """An HTML file, a folder holding ``index.html``, or a PNG/JPEG/WebP screenshot."""
        label = str(path)
        if path.is_dir():
            index = path / "index.html"
            if not index.is_file():
                raise InputError(f"{path} is a folder without an index.html; point at the HTML file itself.")
            return cls.from_html(_read_text(index), base_dir=path.resolve(), label=label)
        if not path.is_file():
            raise InputError(f"{path} does not exist.")
        with path.open("rb") as fh:
            head = fh.read(64)
        if sniff_media_type(head) is not None or path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
            return cls.from_screenshot(path.read_bytes(), label=label)
        if path.suffix.lower() in HTML_SUFFIXES or _looks_like_html(head):
            # Assets referenced relative to the file load from its folder, as they would in a browser.
            return cls.from_html(_read_text(path), base_dir=path.parent.resolve(), label=label)
        raise InputError(
            f"{path} is neither an HTML file nor a PNG/JPEG/WebP screenshot; "
            "the implementation must be one of those (or a folder with an index.html)."
        )


def parse_subscore_gates(items: Sequence[str]) -> dict[str, float]:
    """``["typography=90", "edges=85,position=97"]`` -> {"typography": 90.0, ...}; a clear error else."""
    gates: dict[str, float] = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            if not sep or name not in SUBSCORES:
                raise InputError(
                    f"{part!r} is not a sub-score gate: write NAME=SCORE with NAME one of "
                    f"{', '.join(SUBSCORES)} (for example typography=90)."
                )
            try:
                minimum = float(value)
            except ValueError:
                minimum = -1.0
            if not 0.0 <= minimum <= 100.0:
                raise InputError(f"The gate {part!r} needs a score between 0 and 100.")
            gates[name] = minimum
    return gates


def gate_failures(breakdown: Mapping[str, float], threshold: float, gates: Mapping[str, float]) -> list[str]:
    """Why a score fails its gates, one reason each (empty: it passes). A sub-score the scorer did
    not report (an older server) fails its gate: a gate nobody checked must not pass silently."""
    failures = []
    overall = float(breakdown.get("overall", 0.0))
    if overall < threshold:
        failures.append(f"overall {overall:.1f} is below {threshold:g}")
    for name, minimum in gates.items():
        value = breakdown.get(name)
        if value is None:
            failures.append(f"{name} was not reported by the scorer (gate {minimum:g})")
        elif float(value) < minimum:
            failures.append(f"{name} {float(value):.1f} is below {minimum:g}")
    return failures


@dataclass(frozen=True)
class CheckResult:
    """The verdict: the score against the design, and whether it reaches the threshold and gates."""

    passed: bool
    threshold: float
    score: Score
    viewport: Viewport
    render_png: bytes = b""  # the implementation as the renderer saw it (or the screenshot given)
    elapsed_ms: float = 0.0
    min_subscores: Mapping[str, float] = field(default_factory=dict)
    failures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "threshold": self.threshold,
            "min_subscores": dict(self.min_subscores),
            "failures": list(self.failures),
            "score": self.score.breakdown(),
            "discrepancies": [
                {"kind": d.kind, "message": d.message, "weight": round(d.weight, 3)}
                for d in self.score.discrepancies[:TOP_DISCREPANCIES]
            ],
        }


async def run_check(
    runtime: Runtime,
    design: Source,
    implementation: CheckTarget,
    *,
    threshold: float,
    viewport: Viewport | None = None,
    min_subscores: Mapping[str, float] | None = None,
) -> CheckResult:
    """Score ``implementation`` against ``design``; passed when the overall score >= ``threshold``
    and every sub-score named in ``min_subscores`` reaches its minimum."""
    from .pipeline import analyze_source, score_render
    from .score import score_screenshots

    if not 0.0 <= threshold <= 100.0:
        raise InputError(f"The threshold must be a score between 0 and 100, not {threshold:g}.")
    started = time.perf_counter()
    viewport = viewport or design.viewport
    if implementation.kind == "screenshot":
        candidate = await asyncio.to_thread(
            image_source, implementation.image, runtime.settings
        )  # validates and normalizes the upload like any other image
        if runtime.cpu is not None:
            score = await runtime.cpu.run(_screenshots_task, design.png, candidate.png)
        else:
            score = await asyncio.to_thread(score_screenshots, design.png, candidate.png, ocr=runtime.ocr)
        render_png = candidate.png
    else:
        page = await _static_page(runtime, implementation)
        # Analysis (OCR of the design) and the render are independent: run them side by side.
        analysed, render = await asyncio.gather(
            analyze_source(design.png, cpu=runtime.cpu, ocr=runtime.ocr if runtime.cpu is None else None),
            runtime.renderer.render(page.html, viewport, base_dir=implementation.base_dir),
        )
        score = await score_render(analysed[0], render, cpu=runtime.cpu)
        render_png = render.png
    gates = dict(min_subscores or {})
    failures = gate_failures(score.breakdown(), threshold, gates)
    return CheckResult(
        passed=not failures,
        threshold=threshold,
        score=score,
        viewport=viewport,
        render_png=render_png,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        min_subscores=gates,
        failures=tuple(failures),
    )


async def _static_page(runtime: Runtime, implementation: CheckTarget) -> Page:
    """The implementation's HTML, its folder's assets inlined, under the output policy (static mode).

    In a worker process, stopped at SANITIZE_DEADLINE_S: a thread could not be stopped, and parsing
    megabytes of CSS must not hold the GIL the service's event loop (its health checks, its other
    requests) runs under.
    """
    base_dir = implementation.base_dir
    if base_dir is None:
        _refuse_oversized(implementation.html)  # before it is copied to a worker
    settings = runtime.settings
    deadline = SANITIZE_DEADLINE_S
    try:
        return await runtime.untrusted_html_pool.run(
            _static_page_task,
            str(settings.assets_dir),
            str(settings.data_dir / "cache" / "assets"),
            implementation.html,
            str(base_dir) if base_dir is not None else None,
            deadline_s=deadline,
        )
    except WorkerTimeout as exc:
        raise InputTooComplex(
            f"The implementation took more than {deadline:g} s to parse and sanitize, so the check was "
            "stopped. Its markup is too complex (for example thousands of misnested or unclosed tags); "
            "simplify the page and check it again."
        ) from exc


def _static_page_task(assets_dir: str, cache_dir: str, html: str, base_dir: str | None) -> Page:
    """In a worker: ``html`` with its folder's assets inlined (if any), sanitized in static mode."""
    if base_dir is not None:
        html = inline_local_assets(html, Path(base_dir))
        _refuse_oversized(html)
    return _worker_sanitizer(assets_dir, cache_dir).sanitize(html, "static")


def _refuse_oversized(html: str) -> None:
    size = len(html.encode("utf-8", "replace"))
    if size > MAX_CHECK_HTML_BYTES:
        raise InputTooLarge(
            f"The implementation is {size / 1048576:.1f} MiB of HTML and CSS; a design check takes "
            f"at most {MAX_CHECK_HTML_BYTES // 1048576} MiB."
        )


@functools.lru_cache(maxsize=2)
def _worker_sanitizer(assets_dir: str, cache_dir: str) -> Sanitizer:
    from .sanitize import Sanitizer

    return Sanitizer(Path(assets_dir), cache_dir=Path(cache_dir))


def _screenshots_task(design_png: bytes, candidate_png: bytes) -> Score:
    """In a CPU worker: two screenshots scored against each other with the worker's OCR engine."""
    from .cpu_pool import worker_ocr
    from .score import score_screenshots

    return score_screenshots(design_png, candidate_png, ocr=worker_ocr())


def inline_local_assets(html: str, base_dir: Path) -> str:
    """``html`` with its folder's stylesheets as ``<style>`` and its images, fonts as data: URLs."""
    from bs4 import BeautifulSoup

    from .render import PAGE_URL
    from .render._routing import resolve_local_asset  # the renderer's own rule for what is local
    from .sanitize import parse_like_chromium

    def local(url: str, relative_to: str) -> Path | None:
        if not url or url.strip().lower().startswith(("data:", "blob:", "#")):
            return None
        path = resolve_local_asset(base_dir, urljoin(relative_to, url.strip()))
        return path if path is not None and path.stat().st_size <= MAX_INLINED_BYTES else None

    def data_url(path: Path) -> str:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode()}"

    def inline_css(css: str, relative_to: str) -> str:
        def replace(match: re.Match[str]) -> str:
            path = local(match[2], relative_to)
            return f'url("{data_url(path)}")' if path else match[0]

        return _CSS_URL.sub(replace, css)

    # BeautifulSoup's html5lib tree is quadratic in nesting depth (5,000 levels: 4 s): the
    # sanitizer's own parse, which refuses a page nested deeper than Chromium nests, goes first.
    parse_like_chromium(html)
    soup = BeautifulSoup(html, "html5lib")
    for link in soup.find_all("link", href=True):
        rels = [str(r).lower() for r in (link.get("rel") or [])]
        path = local(str(link["href"]), PAGE_URL) if "stylesheet" in rels else None
        if path is not None:
            style = soup.new_tag("style")
            css_url = urljoin(PAGE_URL, path.relative_to(base_dir.resolve()).as_posix())
            style.string = inline_css(_decode(path.read_bytes()), css_url)
            link.replace_with(style)
    for style in soup.find_all("style"):
        if style.string:
            style.string = inline_css(style.string, PAGE_URL)
    for tag in soup.find_all(style=True):
        tag["style"] = inline_css(str(tag["style"]), PAGE_URL)
    for tag in soup.find_all(["img", "source", "input", "video", "image"]):
        for attr in ("src", "poster", "href"):
            path = local(str(tag.get(attr, "")), PAGE_URL)
            if path is not None:
                tag[attr] = data_url(path)
    return str(soup)


def _read_text(path: Path) -> str:
    return _decode(path.read_bytes())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old pages in legacy encodings: keep every byte readable rather than refusing the check.
        return data.decode("latin-1")


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<!--"))
