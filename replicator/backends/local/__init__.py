"""The embedded default backend: a faithful, editable page from a screenshot, offline, on the CPU.

OCR (RapidOCR's PP-OCR models) reads the text; classical image analysis finds boxes, dividers and
graphics; a recursive XY-cut turns them into nested flex rows and columns; the result is HTML with
a readable stylesheet. ``refine`` moves text and boxes by what the browser's own layout got wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar

from ...config import Settings
from ...models import RenderResult, Source, Usage
from ...ocr import OcrEngine, OcrLine
from ..base import (
    VARIANT_ATTR,
    AnswerDelta,
    Backend,
    BackendEvent,
    Finished,
    GenerateOptions,
    RefineRequest,
    UsageReport,
)
from .model import Analysis
from .page import analyze, build_page, render_analysis
from .refine import Corrections, measure

if TYPE_CHECKING:
    from ...cpu_pool import CpuPool

__all__ = ["LocalBackend", "build_page"]

log = logging.getLogger(__name__)

TOKEN_ATTR = "data-replicator-local"


class LocalBackend(Backend):
    """OCR + computer vision -> flow-layout HTML. No key, no network, no GPU."""

    name: ClassVar[str] = "local"
    can_refine: ClassVar[bool] = True

    def __init__(
        self, settings: Settings, *, ocr: OcrEngine | None = None, cpu: CpuPool | None = None
    ) -> None:
        self.settings = settings
        self._ocr = ocr
        # Worker processes for the analysis (OCR + image analysis); None: threads of this process.
        # The analysis comes back here and is cached in this process, so refine rounds (which only
        # measure the render and re-emit HTML, a few milliseconds) find it whichever worker made it.
        self.cpu = cpu
        self._lock = threading.Lock()
        self._analyses: OrderedDict[str, Analysis] = OrderedDict()
        # Pages the CPU worker made with its analysis (by screenshot digest and variant): made
        # there, the page's font subsets are cut beside the analysis, not on this process's GIL.
        self._pages: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._corrections: OrderedDict[str, Corrections] = OrderedDict()

    @property
    def ocr(self) -> OcrEngine:
        return self._ocr or OcrEngine.shared()

    async def generate(self, source: Source, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        await self._prepare(source, options.variant)
        html = await asyncio.to_thread(self._generate, source, options.variant)
        yield AnswerDelta(await asyncio.to_thread(_in_stack, html, options.stack))
        yield UsageReport(Usage())
        yield Finished("stop")

    async def refine(self, request: RefineRequest, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        await self._prepare(request.source)
        source = request.source
        if self.cpu is not None and not (source.kind == "recording" and source.states):
            # Measuring the render (decoding it, finding ink) and re-emitting the page is image work
            # too: it goes to a worker with the cached analysis; the corrections come back here.
            analysis = await asyncio.to_thread(self._analysis, source.png)
            previous = self._previous(request.current_html)
            variant = _variant_of(request.current_html)
            corrections, html = await self.cpu.run(_refine_task, analysis, request.render, previous, variant)
            html = self._with_token(_marked(html, variant), corrections)
        else:
            html = await asyncio.to_thread(self._refine, request)
        yield AnswerDelta(await asyncio.to_thread(_in_stack, html, options.stack))
        yield UsageReport(Usage())
        yield Finished("stop")

    async def check(self) -> str:
        if self.cpu is None:
            await asyncio.to_thread(lambda: self.ocr)
        return "ok: OCR and image analysis run locally"

    async def _prepare(self, source: Source, variant: int = 0) -> None:
        """With a CPU pool: analyse the source's screenshots there, and make their pages (a
        recording's states' pages in the first variant), and cache the results here."""
        if self.cpu is None:
            return
        states = source.kind == "recording" and bool(source.states)
        pngs = [state.png for state in source.states] if states else [source.png]
        variant = 0 if states else variant
        for png in pngs:
            digest = hashlib.sha256(png).hexdigest()
            with self._lock:
                if digest in self._analyses:
                    continue
            analysis, lines, html = await self.cpu.run(_analysis_task, png, self.cpu.known_text(png), variant)
            self.cpu.remember_text(png, lines)
            self._keep(digest, analysis)
            with self._lock:
                self._pages[(digest, variant)] = html
                while len(self._pages) > self._kept:
                    self._pages.popitem(last=False)

    # --- blocking work (worker threads) ------------------------------------------------------

    def _analysis(self, png: bytes) -> Analysis:
        digest = hashlib.sha256(png).hexdigest()
        with self._lock:
            cached = self._analyses.get(digest)
            if cached is not None:
                self._analyses.move_to_end(digest)
                return cached
        result = analyze(png, ocr=self.ocr)
        self._keep(digest, result)
        return result

    @property
    def _kept(self) -> int:
        # Room for every state of two recordings in flight, so none is analysed twice.
        return max(8, 2 * self.settings.max_key_states)

    def _keep(self, digest: str, analysis: Analysis) -> None:
        with self._lock:
            self._analyses[digest] = analysis
            while len(self._analyses) > self._kept:
                self._analyses.popitem(last=False)

    def _page(self, png: bytes, corrections: Corrections | None = None, variant: int = 0) -> str:
        analysis = self._analysis(png)
        html = None
        if corrections is None:
            with self._lock:
                html = self._pages.get((hashlib.sha256(png).hexdigest(), variant))
        if html is None:
            html = render_analysis(analysis, title="Page", corrections=corrections, variant=variant)
        return self._with_token(_marked(html, variant), corrections)

    def _with_token(self, html: str, corrections: Corrections | None) -> str:
        """Keep ``corrections`` here under a token written into the page, for the next round."""
        if corrections is not None and not corrections.empty:
            token = secrets.token_hex(8)
            with self._lock:
                self._corrections[token] = corrections
                while len(self._corrections) > 64:
                    self._corrections.popitem(last=False)
            html = html.replace("<main ", f'<main {TOKEN_ATTR}="{token}" ', 1)
        return html

    def _generate(self, source: Source, variant: int = 0) -> str:
        if source.kind == "recording" and source.states:
            from ...recording.compose import compose_states
            from ...recording.steps import steps_for

            pages = [self._page(state.png) for state in source.states]
            return compose_states(source, pages, steps_for(source, self.ocr))
        return self._page(source.png, variant=variant)

    def _refine(self, request: RefineRequest) -> str:
        source = request.source
        previous = self._previous(request.current_html)
        if source.kind == "recording" and source.states:
            from ...recording.compose import compose_states
            from ...recording.steps import steps_for

            # The render shows the first state; the other states' pages stay as generated.
            first = self._analysis(source.states[0].png)
            corrections = measure(first, request.render, previous)
            pages = [self._page(source.states[0].png, corrections)]
            pages += [self._page(state.png) for state in source.states[1:]]
            return compose_states(source, pages, steps_for(source, self.ocr))
        variant = _variant_of(request.current_html)
        corrections, html = _refine_task(self._analysis(source.png), request.render, previous, variant)
        return self._with_token(_marked(html, variant), corrections)

    def _previous(self, html: str) -> Corrections:
        marker = f'{TOKEN_ATTR}="'
        start = html.find(marker)
        if start < 0:
            return Corrections()
        token = html[start + len(marker) : start + len(marker) + 16]
        with self._lock:
            found = self._corrections.get(token)
        return found.copy() if found is not None else Corrections()


def _analysis_task(
    png: bytes, known: tuple[OcrLine, ...] | None, variant: int = 0
) -> tuple[Analysis, tuple[OcrLine, ...] | None, str]:
    """In a CPU worker: the screenshot's analysis, the OCR lines it read (or was given), and its
    page in ``variant``."""
    from ...cpu_pool import TextReplay, worker_ocr

    ocr = TextReplay(worker_ocr(), known)
    analysis = analyze(png, ocr=ocr)
    return analysis, ocr.lines, render_analysis(analysis, title="Page", variant=variant)


def _refine_task(
    analysis: Analysis, render: RenderResult, previous: Corrections, variant: int = 0
) -> tuple[Corrections, str]:
    """This round's corrections and the page they make (in a CPU worker, or a thread without one)."""
    corrections = measure(analysis, render, previous)
    return corrections, render_analysis(analysis, title="Page", corrections=corrections, variant=variant)


def _marked(html: str, variant: int) -> str:
    """A variant's page says which it is: a later round refines that variant's layout."""
    if not variant:
        return html
    return html.replace("<main ", f'<main {VARIANT_ATTR}="{variant}" ', 1)


def _variant_of(html: str) -> int:
    match = re.search(rf'{VARIANT_ATTR}="(\d)"', html)
    return int(match.group(1)) if match else 0


def _in_stack(html: str, stack: str) -> str:
    """The page as the answer for ``stack``: the page itself, or its code in a fenced block."""
    from ...stacks import stack_named
    from ...stacks.convert import from_html

    if stack == "html-css":
        return html
    code = from_html(html, stack)
    fence = stack_named(stack).fences[0]
    return f"````{fence}\n{code}\n````\n" if stack_named(stack).is_component else code
