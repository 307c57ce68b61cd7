"""Interaction verification: replay a recording's transitions on a generated page and score each
state reached against its key frame.

For each transition, in order, click where the user clicked in the recording (or, when the cursor
was not visible, the element that best matches the region that changed), let the page settle,
capture the viewport and score it against the key frame. A transition *worked* if the page changed
and the state reached matches its key frame better than the state before it did. The interaction
score is the mean over all states of the reached state's score (a state not reached scores 0).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image
from playwright.async_api import Error as PlaywrightError

from ..errors import RenderError
from ..models import Box, InteractionReport, KeyState, RenderResult, Score, Source, StateScore, Viewport
from ..ocr import OcrEngine
from ..score import ReferenceAnalysis, analyze_reference, score_against_source

log = logging.getLogger(__name__)

CHANGED_PIXELS = 0.0005  # share of viewport pixels that must change for a click to have done something
_REFERENCE_CACHE_SIZE = 64
# Key frames are analysed (OCR) once and reused by every candidate round of the same job.
_references: OrderedDict[str, ReferenceAnalysis] = OrderedDict()
_references_lock = threading.Lock()

# The element on the page that best matches a changed region: clickable things that overlap it most.
_BEST_MATCH_JS = """
([x, y, w, h]) => {
  const CLICKABLE = "a,button,summary,label,input,select,[role=button],[role=tab],[role=link],[role=menuitem]," +
    "[onclick],[tabindex],[data-replicator-go]";
  let best = null, bestScore = 0;
  for (const node of document.body.querySelectorAll("*")) {
    const b = node.getBoundingClientRect();
    if (b.width < 2 || b.height < 2 || b.bottom < 0 || b.top > innerHeight) continue;
    const style = getComputedStyle(node);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const clickable = node.matches(CLICKABLE) || style.cursor === "pointer";
    if (!clickable) continue;
    const iw = Math.min(b.right, x + w) - Math.max(b.left, x);
    const ih = Math.min(b.bottom, y + h) - Math.max(b.top, y);
    if (iw <= 0 || ih <= 0) continue;
    const score = (iw * ih) / (b.width * b.height);
    if (score > bestScore) { bestScore = score; best = [b.left + b.width / 2, b.top + b.height / 2]; }
  }
  return best;
}
"""


class LiveSession(Protocol):
    """What replay needs of an open page (``replicator.render.LivePage``)."""

    @property
    def page(self) -> object: ...

    async def capture(self, *, full_page: bool = True) -> RenderResult: ...

    async def click(self, x: float, y: float) -> None: ...

    async def settle(self, *, quiet_ms: int = 100, max_ms: int = 1500) -> None: ...


@runtime_checkable
class InteractiveRenderer(Protocol):
    """A renderer that can keep a page open for interaction (``SealedBrowserPool``)."""

    def open(self, html: str, viewport: Viewport) -> AbstractAsyncContextManager[LiveSession]: ...


@dataclass(frozen=True)
class _Reached:
    """A state the replay reached (or tried to), before scoring."""

    state: KeyState
    capture: RenderResult | None  # None: the replay could not get here at all
    before: RenderResult | None  # what the page showed just before the click
    changed: bool


async def verify_interactions(
    renderer: object, html: str, source: Source, viewport: Viewport, *, ocr: OcrEngine
) -> InteractionReport:
    """Replay ``source``'s transitions on ``html`` and score every state reached (never raises on a
    misbehaving page: what could not be reached is reported as such)."""
    states = source.states
    if not states:
        return InteractionReport(states=(), transitions_total=0, transitions_worked=0, score=0.0)
    if not isinstance(renderer, InteractiveRenderer):
        raise TypeError("interaction replay needs a renderer with open() (SealedBrowserPool)")
    references = asyncio.create_task(asyncio.to_thread(_analyze_all, states, ocr))
    try:
        reached = await _replay(renderer, html, source, viewport)
        refs = await references
    finally:
        if not references.done():
            references.cancel()
    scored = await asyncio.to_thread(_score_all, reached, refs)
    worked = sum(1 for s in scored[1:] if s.reached)
    total = len(states) - 1
    score = sum(s.score.overall if s.reached and s.score else 0.0 for s in scored) / len(scored)
    return InteractionReport(
        states=tuple(scored), transitions_total=total, transitions_worked=worked, score=score
    )


async def _replay(
    renderer: InteractiveRenderer, html: str, source: Source, viewport: Viewport
) -> list[_Reached]:
    states = source.states
    reached: list[_Reached] = []
    scale = viewport.width / source.width if source.width else 1.0
    try:
        async with renderer.open(html, viewport) as live:
            current = await live.capture(full_page=False)
            reached.append(_Reached(states[0], current, None, True))
            for state in states[1:]:
                target = await _click_target(live, state, scale)
                if target is None:
                    log.info(
                        "state %d: no click point and no element matching the changed region", state.index
                    )
                    reached.append(_Reached(state, None, current, False))
                    continue
                await live.click(*target)
                await live.settle()
                after = await live.capture(full_page=False)
                reached.append(_Reached(state, after, current, _differs(current.png, after.png)))
                current = after
    except RenderError as exc:
        # A page that hangs or breaks mid-replay: what was reached so far stands, the rest was not.
        log.warning("interaction replay stopped after %d of %d states: %s", len(reached), len(states), exc)
    for state in states[len(reached) :]:
        reached.append(_Reached(state, None, None, False))
    return reached


async def _click_target(live: LiveSession, state: KeyState, scale: float) -> tuple[float, float] | None:
    if state.click_point is not None:
        x, y = state.click_point
        return (x * scale, y * scale)
    region = state.changed_region
    if region is None:
        return None
    page = live.page
    evaluate = getattr(page, "evaluate", None)
    best = None
    if evaluate is not None:
        try:
            best = await evaluate(
                _BEST_MATCH_JS, [v * scale for v in (region.x, region.y, region.width, region.height)]
            )
        except PlaywrightError as exc:  # the page broke its own DOM API: fall back to the centre
            log.debug("best-match lookup failed: %s", exc)
    if best:
        return (float(best[0]), float(best[1]))
    cx, cy = Box(region.x * scale, region.y * scale, region.width * scale, region.height * scale).center
    return (cx, cy)


def _differs(a: bytes, b: bytes) -> bool:
    """Whether two screenshots differ by more than a few pixels (caret blinks, anti-aliasing)."""
    if a == b:
        return False
    left = np.asarray(Image.open(io.BytesIO(a)).convert("L"), np.int16)
    right = np.asarray(Image.open(io.BytesIO(b)).convert("L"), np.int16)
    if left.shape != right.shape:
        return True
    return float(np.mean(np.abs(left - right) > 16)) > CHANGED_PIXELS


def _analyze_all(states: tuple[KeyState, ...], ocr: OcrEngine) -> list[ReferenceAnalysis]:
    out = []
    for state in states:
        key = hashlib.sha256(state.png).hexdigest()
        with _references_lock:
            cached = _references.get(key)
        if cached is None:
            cached = analyze_reference(state.png, ocr=ocr)
            with _references_lock:
                _references[key] = cached
                while len(_references) > _REFERENCE_CACHE_SIZE:
                    _references.popitem(last=False)
        out.append(cached)
    return out


def _score_all(reached: list[_Reached], refs: list[ReferenceAnalysis]) -> list[StateScore]:
    # DOM text is exact for the candidate, as in the pipeline's own scoring: no OCR of renders.
    scored: list[StateScore] = []
    for item, ref in zip(reached, refs, strict=True):
        state = item.state
        if item.capture is None:
            scored.append(StateScore(state.index, state.timestamp_s, reached=False, score=None))
            continue
        score: Score = score_against_source(ref, item.capture)
        if state.index == 0:
            ok = True
        elif not item.changed or item.before is None:
            ok = False
        else:
            # Better than staying put: the reached state resembles its key frame more than the last one did.
            ok = score.overall > score_against_source(ref, item.before).overall
        scored.append(
            StateScore(state.index, state.timestamp_s, reached=ok, score=score, png=item.capture.png)
        )
    return scored
