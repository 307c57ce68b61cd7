"""The one pipeline every entry point drives: generate -> extract -> sanitize -> render -> score
-> refine rounds -> result. (Intake happens before: ``intake.load_source`` makes the Source.)

The pipeline knows nothing of jobs or HTTP. It reports progress through an event sink and, when
given a StageStore, stores each stage's output as soon as it exists and reuses a stored model answer
instead of paying for a second generation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .backends.base import (
    VARIANT_ATTR,
    AnswerDelta,
    Backend,
    BackendEvent,
    BriefReport,
    Finished,
    GenerateOptions,
    RefineRequest,
    ThinkingDelta,
    UsageReport,
)
from .errors import (
    ContentFiltered,
    ExtractionError,
    InputError,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    RenderError,
    ReplicatorError,
    RevisionUnsupported,
)
from .extract import extract_component, extract_html
from .grounding import Brief, brief_for, repair_page
from .models import (
    Candidate,
    Extraction,
    GroundingReport,
    Page,
    RenderResult,
    Result,
    Score,
    Source,
    Usage,
    Viewport,
)
from .ocr import OcrEngine, OcrLine
from .sanitize import Sanitizer
from .score import ReferenceAnalysis, analyze_reference, score_against_source
from .stacks import DEFAULT_STACK, STACKS, stack_named
from .stacks.preview import component_preview

if TYPE_CHECKING:
    from .cpu_pool import CpuPool

log = logging.getLogger(__name__)

# The provider is down, overloaded past our retries, too slow, or refuses the content: a fallback
# backend can still produce a page. Auth, billing and bad-request errors need the user's attention.
FALLBACK_ON = (ProviderUnavailable, ProviderRateLimited, ProviderTimeout, ContentFiltered)
MAX_VARIANTS = 4


class Renderer(Protocol):
    """What the pipeline needs of the browser: HTML at a viewport -> screenshot and DOM boxes."""

    async def render(self, html: str, viewport: Viewport) -> RenderResult: ...


class StageStore(Protocol):
    """Where stage outputs are kept as they are produced (the job's artifact folder)."""

    def load(self, name: str) -> bytes | None: ...

    def save(self, name: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class PipelineEvent:
    """Progress: ``stage`` changes, ``thinking``/``answer`` text, ``usage``, ``candidate`` scores."""

    kind: Literal["stage", "thinking", "answer", "usage", "candidate", "note"]
    data: dict[str, Any]


EventSink = Callable[[PipelineEvent], Awaitable[None] | None]


@dataclass(frozen=True)
class RunOptions:
    refine_rounds: int = 1
    target_score: float = 90.0
    mode: Literal["static", "interactive"] = "interactive"
    viewport: Viewport | None = None  # None: from the source
    thinking: bool = True
    stack: str = "html-css"
    variants: int = 1  # candidates generated in round 0 (1-4); the best is refined

    def __post_init__(self) -> None:
        stack_named(self.stack)  # a ValueError that names the stacks there are
        if not 1 <= self.variants <= MAX_VARIANTS:
            raise ValueError(f"variants must be between 1 and {MAX_VARIANTS}")

    def generate_options(self) -> GenerateOptions:
        return GenerateOptions(thinking=self.thinking, stack=self.stack, mode=self.mode)


@dataclass
class _Timings:
    ms: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[stage] = self.ms.get(stage, 0.0) + (time.perf_counter() - start) * 1000


@dataclass(frozen=True)
class _Answer:
    text: str
    finish_reason: str
    usage: Usage
    backend: str  # the backend that wrote it (a resumed job continues with that backend)
    brief: dict[str, Any] | None = None  # what its prompt carried of the brief (None: nothing)


class Pipeline:
    """Runs sources through the stages with one backend, one renderer and one OCR engine."""

    def __init__(
        self,
        *,
        backend: Backend,
        renderer: Renderer,
        sanitizer: Sanitizer,
        ocr: OcrEngine | None = None,
        fallback: Backend | None = None,
        cpu: CpuPool | None = None,
    ) -> None:
        self.backend = backend
        self.fallback = fallback if fallback is not backend else None
        self.renderer = renderer
        self.sanitizer = sanitizer
        self._ocr = ocr
        # Worker processes for analysis and scoring; None: threads of this process.
        self.cpu = cpu

    @property
    def ocr(self) -> OcrEngine:
        """The engine for work done in this process (loaded on first use: with a CPU pool, rarely)."""
        if self._ocr is None:
            self._ocr = OcrEngine.shared()
        return self._ocr

    async def run(
        self,
        source: Source,
        options: RunOptions,
        *,
        events: EventSink | None = None,
        store: StageStore | None = None,
    ) -> Result:
        timings = _Timings()
        emit = _emitter(events)
        viewport = options.viewport or source.viewport

        backend = self.backend
        await emit("stage", stage="analyze")
        with timings.measure("analyze"):
            if backend.grounded and not STACKS[options.stack].is_component:
                # The brief for the model and the reference for the score are measured side by side.
                reference, brief = await asyncio.gather(
                    self.reference_for(source, store), self._brief(source, store, emit)
                )
            else:
                reference, brief = await self.reference_for(source, store), None
        generate_options = replace(options.generate_options(), brief=brief)

        await emit("stage", stage="generate", round=0)
        backend_label = backend.name
        # Other candidates of round 0 are made beside the first (a model's requests run in parallel,
        # within the provider's concurrency limit); one that fails is noted and left out.
        extras = [
            asyncio.create_task(
                self._variant(
                    i, backend, source, reference, viewport, options, generate_options, store, emit, timings
                )
            )
            for i in range(1, options.variants)
        ]
        with timings.measure("generate"):
            try:
                answer = await self._answer(
                    0, backend, backend.generate(source, generate_options), store, emit
                )
            except FALLBACK_ON as exc:
                if self.fallback is None:
                    raise
                log.warning(
                    "%s backend failed (%s); falling back to %s", backend.name, exc.code, self.fallback.name
                )
                await emit(
                    "note",
                    message=f"The {backend.name} backend failed ({exc.message}); "
                    f"using the {self.fallback.name} backend instead.",
                    round=0,
                )
                backend_label = f"{self.fallback.name} (fallback: {backend.name} {exc.code})"
                backend = self.fallback
                answer = await self._answer(
                    0, backend, backend.generate(source, options.generate_options()), store, emit
                )
        if (
            self.fallback is not None
            and answer.backend == self.fallback.name
            and backend is not self.fallback
        ):
            # Resumed after an earlier run fell back: carry on with the backend that wrote the answer.
            backend = self.fallback
            backend_label = f"{backend.name} (fallback)"
        usage = answer.usage
        # Only a grounded backend's own answers are repaired (a fallback's page is its own).
        repair_with = brief if brief is not None and answer.backend == self.backend.name else None
        if repair_with is None:
            generate_options = replace(generate_options, brief=None)
        try:
            best = await self._candidate(
                0, answer, source, reference, viewport, options, store, emit, timings, repair_with
            )
        except BaseException:
            for task in extras:
                task.cancel()
            raise
        candidates = [best]
        for found in await asyncio.gather(*extras):
            if found is None:
                continue
            twin = next((c for c in candidates if _same_page(c, found)), None)
            if twin is not None:
                # The backend made the same page again (the local backend's groupings differ only
                # where a page's layout is ambiguous): one copy is enough.
                await emit("note", message=f"Candidate #{found.variant} is the same page as #{twin.variant}.")
                continue
            candidates.append(found)
            if _rank(found) > _rank(best):
                best = found
        if len(candidates) > 1:
            scores = ", ".join(f"#{c.variant} {c.score.overall:.1f}" for c in candidates)
            await emit("note", message=f"{len(candidates)} candidates ({scores}); refining #{best.variant}.")

        rounds_left = options.refine_rounds if backend.can_refine else 0
        refinement = ""
        if not options.refine_rounds:
            refinement = "No refinement rounds were asked for."
        elif not backend.can_refine:
            refinement = f"The {backend.name} backend cannot refine; refinement skipped."
            await emit("note", message=refinement)
        elif best.score.overall >= options.target_score and not _steps_to_fix(best, backend):
            refinement = (
                f"Round 0 scored {best.score.overall:.1f}, at or above the target of "
                f"{options.target_score:g}: no refinement needed."
            )
            await emit("note", message=refinement)
        round_no = 0
        while rounds_left > 0 and (best.score.overall < options.target_score or _steps_to_fix(best, backend)):
            round_no += 1
            rounds_left -= 1
            await emit("stage", stage="refine", round=round_no)
            request = RefineRequest(
                source=source,
                render=best.render,
                score=best.score,
                # A component is revised as the component (the preview is its compiled form).
                current_html=best.code if STACKS[best.stack].is_component else best.page.html,
                round=round_no,
                focus_state=_worst_state(best),
                missing_text=best.grounding.missing if best.grounding else (),
                failed_steps=_steps_to_fix(best, backend),
            )
            try:
                with timings.measure("refine"):
                    answer = await self._answer(
                        round_no, backend, backend.refine(request, generate_options), store, emit
                    )
                usage = usage + answer.usage
                candidate = await self._candidate(
                    round_no, answer, source, reference, viewport, options, store, emit, timings, repair_with
                )
                candidate = replace(candidate, variant=best.variant)  # refined from that candidate
            except (ExtractionError, RenderError, ProviderError, InputError) as exc:
                # A failed refinement round (no page in the answer, a page that will not render or
                # is nested too deep to sanitize) never loses the candidate we already have.
                log.warning("refinement round %d failed: %s", round_no, exc)
                refinement = f"Refinement round {round_no} failed: {exc}"
                await emit("note", message=refinement, round=round_no)
                break
            candidates.append(candidate)
            if _rank(candidate) > _rank(best):
                best = candidate
            if best.score.overall >= options.target_score and not _steps_to_fix(best, backend):
                refinement = f"Round {round_no} reached the target of {options.target_score:g}."
            elif rounds_left == 0:
                refinement = (
                    f"All {options.refine_rounds} refinement round(s) used; the best scored "
                    f"{best.score.overall:.1f}, below the target of {options.target_score:g}."
                )

        await emit("stage", stage="done", best_round=best.round)
        return Result(
            source=source,
            best=best,
            candidates=tuple(candidates),
            timings_ms={k: round(v, 1) for k, v in timings.ms.items()},
            usage=usage,
            backend=backend_label,
            refinement=refinement,
        )

    async def _variant(
        self,
        number: int,
        backend: Backend,
        source: Source,
        reference: ReferenceAnalysis,
        viewport: Viewport,
        options: RunOptions,
        generate_options: GenerateOptions,
        store: StageStore | None,
        emit: Callable[..., Awaitable[None]],
        timings: _Timings,
    ) -> Candidate | None:
        """Round 0's candidate ``number`` (another variant of the page), or None if it failed."""

        async def quiet(kind: str, **data: Any) -> None:
            if kind not in ("answer", "thinking", "stage"):  # the first candidate's stream is shown
                await emit(kind, **data, variant=number)

        try:
            answer = await self._answer(
                0,
                backend,
                backend.generate(source, replace(generate_options, variant=number)),
                store,
                quiet,
                variant=number,
            )
            brief = generate_options.brief if answer.backend == self.backend.name else None
            candidate = await self._candidate(
                0, answer, source, reference, viewport, options, store, quiet, timings, brief, variant=number
            )
        except (ReplicatorError, ValueError) as exc:
            log.warning("variant %d failed: %s", number, exc)
            await emit("note", message=f"Candidate #{number} failed and is left out: {exc}")
            return None
        return candidate

    async def run_code(
        self,
        source: Source,
        options: RunOptions,
        code: str,
        *,
        round_no: int = 0,
        label: str = "imported",
        events: EventSink | None = None,
        store: StageStore | None = None,
    ) -> Result:
        """``code`` (a page or a component in ``options.stack``, written by a person) rendered and
        scored against ``source`` like a model's answer: an imported page, an edited revision."""
        timings = _Timings()
        emit = _emitter(events)
        await emit("stage", stage="analyze")
        with timings.measure("analyze"):
            reference = await self.reference_for(source, store)
        answer = _Answer(code, "stop", Usage(), label)
        candidate = await self._candidate(
            round_no,
            answer,
            source,
            reference,
            options.viewport or source.viewport,
            options,
            None,
            emit,
            timings,
        )
        await emit("stage", stage="done", best_round=round_no)
        return Result(
            source=source,
            best=candidate,
            candidates=(candidate,),
            timings_ms={k: round(v, 1) for k, v in timings.ms.items()},
            backend=label,
            refinement="A page written by a person: no model rounds.",
        )

    async def revise(
        self,
        source: Source,
        options: RunOptions,
        current_code: str,
        instruction: str,
        *,
        round_no: int,
        store: StageStore | None = None,
    ) -> Result:
        """A new version of ``current_code`` that follows a person's ``instruction`` (the backend
        reads it with the source, the current render and its differences)."""
        if not self.backend.follows_instructions:
            raise RevisionUnsupported(
                f"Revising with instructions needs a model backend; the {self.backend.name} backend has no "
                "model to read them.",
                hint="Edit the code yourself, or run the job with backend=glm.",
            )
        timings = _Timings()
        emit = _emitter(None)
        reference = await self.reference_for(source, store)
        viewport = options.viewport or source.viewport
        # The current version, rendered and scored again: the model sees what it looks like now.
        current = await self._candidate(
            round_no,
            _Answer(current_code, "stop", Usage(), "current"),
            source,
            reference,
            viewport,
            options,
            None,
            emit,
            timings,
        )
        stack = STACKS[options.stack]
        request = RefineRequest(
            source=source,
            render=current.render,
            score=current.score,
            current_html=current.code if stack.is_component else current.page.html,
            round=round_no,
            instruction=instruction,
        )
        with timings.measure("revise"):
            answer = await self._answer(
                round_no, self.backend, self.backend.refine(request, options.generate_options()), None, emit
            )
        candidate = await self._candidate(
            round_no, answer, source, reference, viewport, options, None, emit, timings
        )
        return Result(
            source=source,
            best=candidate,
            candidates=(candidate,),
            timings_ms={k: round(v, 1) for k, v in timings.ms.items()},
            usage=answer.usage,
            backend=self.backend.name,
            refinement=f"Revised as asked: {instruction}",
        )

    async def reference_for(self, source: Source, store: StageStore | None = None) -> ReferenceAnalysis:
        """The source's reference analysis (OCR, background, grid), computed once and stored."""
        cached = await asyncio.to_thread(store.load, "reference.bin") if store else None
        if cached is not None:
            return await asyncio.to_thread(ReferenceAnalysis.from_bytes, cached)
        reference, stored = await analyze_source(
            source.png, cpu=self.cpu, ocr=self._ocr, serialise=bool(store)
        )
        if store and stored is not None:
            await asyncio.to_thread(store.save, "reference.bin", stored)
        return reference

    async def _brief(
        self, source: Source, store: StageStore | None, emit: Callable[..., Awaitable[None]]
    ) -> Brief | None:
        """The brief of the source's first screen, from the store if kept, else measured and kept.

        A brief that cannot be made leaves the model ungrounded, never the job failed."""
        kept = await asyncio.to_thread(store.load, "brief.json") if store else None
        if kept is not None:
            return Brief.from_dict(json.loads(kept))
        try:
            brief = await brief_for(source.png, cpu=self.cpu, ocr=self._ocr)
        except ReplicatorError as exc:
            log.warning("no brief for the model: %s", exc)
            await emit("note", message=f"The model works without a brief of the source: {exc.message}")
            return None
        if store:
            await asyncio.to_thread(store.save, "brief.json", json.dumps(brief.to_dict()).encode())
        return brief

    async def _answer(
        self,
        round_no: int,
        backend: Backend,
        stream: AsyncIterator[BackendEvent],
        store: StageStore | None,
        emit: Callable[..., Awaitable[None]],
        *,
        variant: int = 0,
    ) -> _Answer:
        """The model's raw answer for a round: from the store if kept, else streamed and kept."""
        name = f"answer-{round_no}{_suffix(variant)}.json"
        kept = await asyncio.to_thread(store.load, name) if store else None
        if kept is not None:
            data = json.loads(kept)
            await emit("note", message="Reusing the stored model answer (no new model call).", round=round_no)
            await _close_stream(stream)
            return _Answer(
                data["text"],
                data["finish_reason"],
                Usage(**data["usage"]),
                data.get("backend", backend.name),
                data.get("brief"),
            )
        parts: list[str] = []
        usage = Usage()
        finish_reason = "stop"
        brief: dict[str, Any] | None = None
        async for event in stream:
            if isinstance(event, AnswerDelta):
                parts.append(event.text)
                await emit("answer", text=event.text, round=round_no)
            elif isinstance(event, ThinkingDelta):
                await emit("thinking", text=event.text, round=round_no)
            elif isinstance(event, UsageReport):
                usage = usage + event.usage
                await emit(
                    "usage",
                    round=round_no,
                    prompt_tokens=event.usage.prompt_tokens,
                    completion_tokens=event.usage.completion_tokens,
                    cost_usd=event.usage.cost_usd,
                )
            elif isinstance(event, BriefReport):
                brief = event.brief.to_dict()
                listed = event.brief.lines_listed, event.brief.lines_total
                await emit(
                    "note",
                    message=f"The prompt carries the brief of the source: about {event.brief.tokens} tokens, "
                    f"{listed[0]} of {listed[1]} text lines.",
                    round=round_no,
                )
            elif isinstance(event, Finished):
                finish_reason = event.reason
        answer = _Answer("".join(parts), finish_reason, usage, backend.name, brief)
        if store:
            await asyncio.to_thread(
                store.save,
                name,
                json.dumps(
                    {
                        "text": answer.text,
                        "finish_reason": answer.finish_reason,
                        "backend": answer.backend,
                        "brief": answer.brief,
                        "usage": {
                            "prompt_tokens": usage.prompt_tokens,
                            "completion_tokens": usage.completion_tokens,
                            "cost_usd": usage.cost_usd,
                        },
                    }
                ).encode(),
            )
        return answer

    async def _candidate(
        self,
        round_no: int,
        answer: _Answer,
        source: Source,
        reference: ReferenceAnalysis,
        viewport: Viewport,
        options: RunOptions,
        store: StageStore | None,
        emit: Callable[..., Awaitable[None]],
        timings: _Timings,
        brief: Brief | None = None,
        *,
        variant: int = 0,
    ) -> Candidate:
        stack = STACKS.get(options.stack) or STACKS[DEFAULT_STACK]
        await emit("stage", stage="extract", round=round_no)
        with timings.measure("extract"):
            if stack.framework is not None:
                extraction: Extraction = extract_component(
                    answer.text,
                    framework=stack.framework,
                    fences=stack.fences,
                    finish_reason=answer.finish_reason,
                )
            else:
                extraction = extract_html(answer.text, finish_reason=answer.finish_reason)
        if extraction.truncated:
            await emit("note", message="The model's answer was cut off; using what arrived.", round=round_no)

        html = extraction.html
        code = ""
        mode = options.mode
        grounding = None
        if stack.framework is not None:
            # The component is compiled by its framework's compiler into a preview that renders it
            # with the framework's runtime: a script the page cannot do without, in either mode.
            code = html
            await emit("stage", stage="compile", round=round_no)
            with timings.measure("compile"):
                html = await asyncio.to_thread(component_preview, code, stack, self.sanitizer.assets)
            mode = "interactive"
        elif brief is not None:
            await emit("stage", stage="repair", round=round_no)
            with timings.measure("repair"):
                repaired = await asyncio.to_thread(repair_page, html, brief)
            html = repaired.html
            grounding = GroundingReport(
                answer.brief, tuple(r.to_dict() for r in repaired.repairs), repaired.missing
            )
            counts = ", ".join(f"{n} {kind}" for kind, n in grounding.counts().items()) or "nothing to change"
            await emit(
                "note",
                message=f"Repaired the model's page from the brief: {counts}; "
                f"{len(repaired.missing)} source paragraph(s) missing.",
                round=round_no,
            )

        code = code or html
        await emit("stage", stage="sanitize", round=round_no)
        with timings.measure("sanitize"):
            page: Page = await asyncio.to_thread(self.sanitizer.sanitize, html, mode)
        if store:
            await asyncio.to_thread(store.save, f"page-{round_no}{_suffix(variant)}.html", page.html.encode())

        await emit("stage", stage="render", round=round_no)
        with timings.measure("render"):
            render = await self.renderer.render(page.html, viewport)
        if store:
            await asyncio.to_thread(store.save, f"render-{round_no}{_suffix(variant)}.png", render.png)

        await emit("stage", stage="score", round=round_no)
        with timings.measure("score"):
            score = await score_render(reference, render, cpu=self.cpu)
        if store:
            await asyncio.to_thread(store.save, f"diff-{round_no}{_suffix(variant)}.png", score.heatmap_png)

        candidate = Candidate(
            round=round_no,
            extraction=extraction,
            page=page,
            render=render,
            score=score,
            grounding=grounding,
            code=code,
            stack=stack.name,
            variant=variant,
        )
        if source.kind == "recording" and source.states:
            from .recording.verify import verify_interactions

            await emit("stage", stage="interactions", round=round_no)
            with timings.measure("interactions"):
                report = await verify_interactions(self.renderer, page.html, source, viewport, ocr=self.ocr)
            candidate = replace(candidate, interactions=report)

        await emit(
            "candidate",
            round=round_no,
            score=score.breakdown(),
            interactions=candidate.interactions.to_dict() if candidate.interactions else None,
            truncated=extraction.truncated,
            repaired=grounding.counts() if grounding else None,
        )
        return candidate


async def analyze_source(
    png: bytes, *, cpu: CpuPool | None, ocr: OcrEngine | None = None, serialise: bool = False
) -> tuple[ReferenceAnalysis, bytes | None]:
    """A source screenshot's reference analysis (OCR, background, grid), in a CPU worker when there
    is a pool (else a thread), and its stored form if ``serialise``. Shared by the pipeline and
    design checks, so that neither runs OCR on the event loop's GIL when workers exist."""
    if cpu is not None:
        reference, stored, lines = await cpu.run(_reference_task, png, cpu.known_text(png), serialise)
        cpu.remember_text(png, lines)
        return reference, stored
    reference = await asyncio.to_thread(analyze_reference, png, ocr=ocr or OcrEngine.shared())
    stored = await asyncio.to_thread(reference.to_bytes) if serialise else None
    return reference, stored


async def score_render(reference: ReferenceAnalysis, render: RenderResult, *, cpu: CpuPool | None) -> Score:
    """A render's score against an analysed source, in a CPU worker when there is a pool."""
    if cpu is not None:
        return await cpu.run(_score_task, reference, render)
    return await asyncio.to_thread(score_against_source, reference, render)


def _reference_task(
    png: bytes, known: tuple[OcrLine, ...] | None, serialise: bool
) -> tuple[ReferenceAnalysis, bytes | None, tuple[OcrLine, ...] | None]:
    """In a CPU worker: the reference analysis, its stored form, and the OCR lines it read."""
    from .cpu_pool import TextReplay, worker_ocr

    ocr = TextReplay(worker_ocr(), known)
    reference = analyze_reference(png, ocr=ocr)
    # The decoded full-size pixels stay behind: the parent does not need them, and pickling them
    # would copy megabytes for nothing (a scoring worker decodes the PNG again in a few ms).
    return replace(reference, _derived={}), reference.to_bytes() if serialise else None, ocr.lines


def _score_task(reference: ReferenceAnalysis, render: RenderResult) -> Score:
    """In a CPU worker: the candidate's score (OCR, if images need it, with the worker's engine)."""
    from .cpu_pool import worker_ocr

    return score_against_source(reference, render, ocr=worker_ocr())


_VARIANT_MARK = re.compile(rf' {VARIANT_ATTR}="\d+"')


def _same_page(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates are one page (apart from the mark saying which variant it is)."""
    return _VARIANT_MARK.sub("", a.page.html) == _VARIANT_MARK.sub("", b.page.html)


def _suffix(variant: int) -> str:
    """Stage files of round 0's other candidates: ``answer-0-v2.json``, ``render-0-v2.png``."""
    return f"-v{variant}" if variant else ""


def _steps_to_fix(candidate: Candidate, backend: Backend) -> tuple[str, ...]:
    """The replayed steps that fail on ``candidate``, in words, when ``backend`` can fix them."""
    report = candidate.interactions
    if report is None or not backend.fixes_interactions:
        return ()
    return tuple(f"{c.expected}; on the current page: {c.reason}" for c in report.failures)[:8]


def _rank(candidate: Candidate) -> tuple[int, float]:
    """Better candidates first: for recordings, more replayed steps that work; then the score."""
    report = candidate.interactions
    working = sum(1 for c in report.steps if c.ok) if report else 0
    return (working, candidate.score.overall)


def _worst_state(candidate: Candidate) -> int | None:
    report = candidate.interactions
    if report is None or not report.states:
        return None
    worst = min(report.states, key=lambda s: (s.reached, s.score.overall if s.score else 0.0))
    return worst.index


async def _close_stream(stream: AsyncIterator[BackendEvent]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _emitter(sink: EventSink | None) -> Callable[..., Awaitable[None]]:
    async def emit(kind: str, **data: Any) -> None:
        if sink is None:
            return
        outcome = sink(PipelineEvent(kind, data))  # type: ignore[arg-type]
        if outcome is not None:
            await outcome

    return emit
