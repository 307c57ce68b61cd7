"""Interaction verification: replay a recording's steps on a generated page the way a person would,
and say, step by step, whether each did what it did in the recording.

Each step's trigger is found by what was clicked in the source (its text, near where it was; by
place only when it had no text), and clicked at the centre of the element that shows it. After the
page settles, three things are checked against the recording's model of the step (steps.py):

- the page changed at all;
- the text that appeared in the recording is now visible (and what went away is gone);
- it happened in the right place: a panel between its trigger and the line after it, any other
  change where the recording changed.

The state reached is scored against its key frame (it must resemble it more than the state before
did). Then, on a fresh page, the independent parts are tried in another order (panels opened last
first, tabs from last to first), and a link to another page must let the browser's back button
return. A replica that only works in the recorded order, whose handlers do nothing or open the
wrong panel fails with the step that failed. The interaction score is the mean over the key states
of the reached state's score, a state whose step failed scoring 0.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image
from playwright.async_api import Error as PlaywrightError
from rapidfuzz import fuzz

from ..errors import RenderError
from ..models import (
    Box,
    InteractionReport,
    KeyState,
    RenderResult,
    Score,
    Source,
    StateScore,
    StepCheck,
    Viewport,
)
from ..ocr import OcrEngine
from ..score import ReferenceAnalysis, analyze_reference, score_against_source
from .compose import script
from .steps import Step, char_share, model_for

log = logging.getLogger(__name__)

CHANGED_PIXELS = 0.0005  # share of viewport pixels that must change for a click to have done something
FOUND_TEXT = 80.0  # RapidFuzz partial ratio at which an OCR line counts as shown on the page
TEXT_EVIDENCE_SLACK = 3.0  # score points a state may lose to the one before when its text checks out
TEXT_SHARE = 0.6  # share of the step's appeared lines (by characters) that must be shown
_REFERENCE_CACHE_SIZE = 64
# Key frames are analysed (OCR) once and reused by every candidate round of the same job.
_references: OrderedDict[str, ReferenceAnalysis] = OrderedDict()
_references_lock = threading.Lock()

_FIND_JS = (
    "([text, box, point, control]) => {\n"
    + script("find.js")
    + """
  let el = text ? replicatorFind(document.body, text, box) : null;
  if (!el && point) { el = document.elementFromPoint(point[0], point[1]); }
  if (!el) return null;
  el.scrollIntoView({block: "nearest"});
  const r = el.getBoundingClientRect();
  if (control) {
    // A switch or a checkbox is clicked where a person clicks it: the control on its label's row
    // (the one nearest to where the recording had it), not the label's text.
    const picks = "input[type=checkbox],input[type=radio],[role=switch],[role=checkbox],button,[data-replicator-go]";
    let best = null, bestCost = Infinity;
    for (let up = el.parentElement, n = 0; up && up !== document.body && n < 4 && !best; up = up.parentElement, n++) {
      for (const c of up.querySelectorAll(picks)) {
        const q = c.getBoundingClientRect();
        if (c.contains(el) || el.contains(c) || q.width < 4 || q.height < 4) continue;
        if (q.width > 3 * control[2] + 24 || q.height > 3 * control[3] + 24) continue;
        const cy = q.top + q.height / 2;
        if (cy < r.top - control[3] || cy > r.bottom + control[3]) continue;
        const cost = Math.abs(q.left + q.width / 2 - control[0]) + Math.abs(cy - r.top - control[1]);
        if (cost < bestCost) { best = q; bestCost = cost; }
      }
    }
    if (best) return [best.left + best.width / 2, best.top + best.height / 2, r.left, r.top + scrollY, r.width, r.height];
  }
  // The point to click is in the viewport; the box in the page, as visible_text.js gives boxes.
  return [r.left + r.width / 2, r.top + r.height / 2, r.left, r.top + scrollY, r.width, r.height];
}"""
)
_VISIBLE_TEXT_JS = script("visible_text.js")
# The field that has the focus, if any: whether one can type into it, and what it holds.
_FOCUS_JS = (
    "() => { const el = document.activeElement;"
    " if (!el || !(el.matches('input,textarea,select') || el.isContentEditable)) return null;"
    " const typable = !el.matches('select');"
    " return {typable, value: typable ? (el.value !== undefined ? el.value : el.textContent) : ''}; }"
)


class LiveSession(Protocol):
    """What replay needs of an open page (``replicator.render.LivePage``)."""

    @property
    def page(self) -> Any: ...

    async def capture(self, *, full_page: bool = True) -> RenderResult: ...

    async def click(self, x: float, y: float) -> None: ...

    async def settle(self, *, quiet_ms: int = 100, max_ms: int = 1500) -> None: ...

    async def type(self, text: str) -> None: ...


@runtime_checkable
class InteractiveRenderer(Protocol):
    """A renderer that can keep a page open for interaction (``SealedBrowserPool``)."""

    def open(self, html: str, viewport: Viewport) -> AbstractAsyncContextManager[LiveSession]: ...


@dataclass(frozen=True)
class _Text:
    text: str  # the element's own text
    box: Box  # page pixels of the replica
    full: str = ""  # all its text, its children's included (a sentence with a link or code in it)


@dataclass
class _Outcome:
    """What one click did on the replica."""

    step: Step
    phase: str
    found: bool
    before: RenderResult | None = None
    after: RenderResult | None = None
    shown: list[_Text] = field(default_factory=list)  # visible text after the click
    was: list[_Text] = field(default_factory=list)  # visible text before it
    trigger_box: Box | None = None
    focused: bool = False  # a field has the focus after the click


async def verify_interactions(
    renderer: object, html: str, source: Source, viewport: Viewport, *, ocr: OcrEngine
) -> InteractionReport:
    """Replay ``source``'s steps on ``html``; never raises on a misbehaving page (what could not be
    reached is reported as such)."""
    states = source.states
    if not states:
        return InteractionReport(states=(), transitions_total=0, transitions_worked=0, score=0.0)
    if not isinstance(renderer, InteractiveRenderer):
        raise TypeError("interaction replay needs a renderer with open() (SealedBrowserPool)")
    references = asyncio.create_task(asyncio.to_thread(_analyze_all, states, ocr))
    try:
        steps, _ = await asyncio.to_thread(model_for, source, ocr)
        scale = viewport.width / source.width if source.width else 1.0
        first, recorded = await _replay(renderer, html, steps, viewport, scale)
        extra = await _other_orders(renderer, html, steps, viewport, scale)
        refs = await references
    finally:
        if not references.done():
            references.cancel()
    return await asyncio.to_thread(_report, source, steps, first, recorded, extra, refs, scale)


# --- in the browser -------------------------------------------------------------------------------


async def _visible(live: LiveSession) -> list[_Text]:
    try:
        items = await live.page.evaluate(_VISIBLE_TEXT_JS)
    except PlaywrightError as exc:
        log.debug("visible text lookup failed: %s", exc)
        return []
    return [_Text(i["t"], Box(i["x"], i["y"], i["w"], i["h"]), i.get("f") or "") for i in items]


async def _find(live: LiveSession, step: Step, scale: float) -> tuple[float, float, Box] | None:
    box = step.trigger_box
    scaled = [box.x * scale, box.y * scale, box.width * scale, box.height * scale] if box else None
    point = [step.click[0] * scale, step.click[1] * scale] if step.click else None
    if step.trigger is None and point is None and step.changed is not None:
        point = [v * scale for v in step.changed.center]
    control = None
    if step.kind == "toggle" and step.changed is not None and box is not None:
        # Where the control was: its centre across the page, and below the label's top.
        cx, cy = step.changed.center
        control = [cx * scale, (cy - box.y) * scale, step.changed.width * scale, step.changed.height * scale]
    try:
        found = await live.page.evaluate(_FIND_JS, [step.trigger, scaled, point, control])
    except PlaywrightError as exc:  # the page broke its own DOM API
        log.debug("trigger lookup failed: %s", exc)
        return None
    if not found:
        return None
    x, y, left, top, width, height = (float(v) for v in found)
    return x, y, Box(left, top, width, height)


async def _click_step(live: LiveSession, step: Step, scale: float, phase: str) -> _Outcome:
    before = await live.capture(full_page=False)
    was = await _visible(live)
    target = await _find(live, step, scale)
    if target is None:
        return _Outcome(step, phase, False, before=before, was=was)
    x, y, box = target
    await live.click(x, y)
    if step.kind == "type" and step.typed:
        await live.type(_still_to_type(await _focus(live), step.typed))
    await live.settle()
    after = await live.capture(full_page=False)
    focused = await _focus(live) is not None
    return _Outcome(step, phase, True, before, after, await _visible(live), was, box, focused)


async def _focus(live: LiveSession) -> dict[str, Any] | None:
    try:
        found = await live.page.evaluate(_FOCUS_JS)
    except PlaywrightError:
        return None
    return found if isinstance(found, dict) else None


def _still_to_type(focus: dict[str, Any] | None, typed: str) -> str:
    """What is left to type for the focused field to hold ``typed`` (a recording may show the
    typing half-way: "Ada", then "Ada Lovelace"). Nothing when no field one types into has the focus."""
    if focus is None or not focus.get("typable"):
        return ""
    value = str(focus.get("value") or "")
    return typed[len(value) :] if typed.startswith(value) else typed


async def _replay(
    renderer: InteractiveRenderer, html: str, steps: Sequence[Step], viewport: Viewport, scale: float
) -> tuple[RenderResult | None, list[_Outcome]]:
    """The steps in the recorded order (and back and forth after each navigation)."""
    outcomes: list[_Outcome] = []
    first: RenderResult | None = None
    try:
        async with renderer.open(html, viewport) as live:
            first = await live.capture(full_page=False)
            for step in steps:
                outcome = await _click_step(live, step, scale, "recorded")
                outcomes.append(outcome)
                if outcome.found and step.kind == "navigate" and step.returns_to is None:
                    outcomes.append(await _back_and_forth(live, step, outcome))
    except RenderError as exc:
        # A page that hangs or breaks mid-replay: what was reached so far stands, the rest was not.
        log.warning("interaction replay stopped after %d of %d steps: %s", len(outcomes), len(steps), exc)
    return first, outcomes


async def _back_and_forth(live: LiveSession, step: Step, went: _Outcome) -> _Outcome:
    """The browser's back button after going to another page: the page before must come back
    (then forward again, so the replay goes on from where the recording was)."""
    page = live.page
    try:
        await page.go_back(timeout=3000)
    except PlaywrightError as exc:
        log.debug("back failed: %s", exc)
    await live.settle()
    back = await live.capture(full_page=False)
    shown = await _visible(live)
    try:
        await page.go_forward(timeout=3000)
    except PlaywrightError as exc:
        log.debug("forward failed: %s", exc)
    await live.settle()
    return _Outcome(step, "back", True, went.after, back, shown, went.shown, went.trigger_box)


async def _other_orders(
    renderer: InteractiveRenderer, html: str, steps: Sequence[Step], viewport: Viewport, scale: float
) -> list[_Outcome]:
    """Independent parts in another order, each from a fresh page: the panels opened last first,
    the tabs from the last clicked to the first."""
    outcomes: list[_Outcome] = []
    for kind in ("disclosure", "select", "toggle"):
        group = _distinct([s for s in steps if s.kind == kind and s.opens and s.trigger])
        if len(group) < 2:
            continue
        try:
            async with renderer.open(html, viewport) as live:
                for step in reversed(group):
                    outcomes.append(await _click_step(live, step, scale, "any order"))
                if kind == "disclosure":
                    # The panel opened first closes again, with the others left open.
                    first = group[-1]
                    closing = dataclasses.replace(
                        first, opens=False, appeared=(), disappeared=first.appeared, anchor=None
                    )
                    outcomes.append(await _click_step(live, closing, scale, "any order"))
        except RenderError as exc:
            log.warning("replay in another order stopped: %s", exc)
    return outcomes


def _distinct(steps: list[Step]) -> list[Step]:
    seen: set[str] = set()
    out = []
    for step in steps:
        if step.trigger and step.trigger not in seen:
            seen.add(step.trigger)
            out.append(step)
    return out


# --- judging --------------------------------------------------------------------------------------


def _changed_box(a: bytes, b: bytes) -> Box | None:
    if a == b:
        return None
    left = np.asarray(Image.open(io.BytesIO(a)).convert("L"), np.int16)
    right = np.asarray(Image.open(io.BytesIO(b)).convert("L"), np.int16)
    if left.shape != right.shape:
        h, w = right.shape
        return Box(0, 0, w, h)
    mask = np.abs(left - right) > 16
    if float(np.mean(mask)) <= CHANGED_PIXELS:
        return None
    ys, xs = np.nonzero(mask)
    return Box(
        float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)
    )


def _shown(line: str, texts: Sequence[_Text]) -> _Text | None:
    """The replica's text showing ``line`` (an OCR reading), if any."""
    best, best_score = None, 0.0
    for item in texts:
        for text in (item.text, item.full):
            if not text or (len(text) < 0.5 * len(line) and len(line) > 6):
                continue
            score = fuzz.partial_ratio(line, text) if len(text) >= len(line) else fuzz.ratio(line, text)
            if score > best_score:
                best, best_score = item, score
    if best is not None and best_score >= FOUND_TEXT:
        return best
    blob = " ".join(t.text for t in texts)
    if len(line) >= 4 and fuzz.partial_ratio(line, blob) >= FOUND_TEXT + 8:
        return _Text(line, Box(0, 0, 0, 0))  # shown, split over several elements
    return None


def _words(texts: Sequence[str], limit: int = 2) -> str:
    shown = ", ".join(repr(t if len(t) <= 40 else t[:39] + "…") for t in texts[:limit])
    more = f" and {len(texts) - limit} more" if len(texts) > limit else ""
    return shown + more


def _judge(outcome: _Outcome, steps: Sequence[Step], scale: float) -> tuple[bool, str, str]:
    """(ok, observed in words, why it failed) for one click, from text and place alone."""
    step = outcome.step
    what = repr(step.trigger) if step.trigger else "the place that was clicked"
    if not outcome.found:
        return False, f"found no {what} to click", f"{what} is not on the page"
    assert outcome.before is not None and outcome.after is not None
    if outcome.phase == "back":
        expected_back = _visible_lines(steps, step.before)
        hits = [_shown(line, outcome.shown) is not None for line in expected_back]
        ok = char_share(expected_back, hits, empty=1.0) >= TEXT_SHARE
        observed = "the earlier page came back" if ok else "the earlier page did not come back"
        return ok, observed, "" if ok else "the browser's back button does not return to the page before"
    if step.kind == "focus":
        if outcome.focused:
            return True, "the field has the focus", ""
        return False, "no field took the focus", f"{what} is not a field that takes the focus"
    if step.kind == "type" and not outcome.focused:
        return False, "no field took the focus", f"{what} is not a field one can type into"
    changed = _changed_box(outcome.before.png, outcome.after.png)
    was = {t.text for t in outcome.was}
    appeared_now = [t.text for t in outcome.shown if t.text not in was]
    observed = f"showed {_words(appeared_now)}" if appeared_now else ("the page changed" if changed else "")
    expected_lines = [line for line in step.appeared if len(line) >= 3]
    found = [_shown(line, outcome.shown) for line in expected_lines]
    if outcome.phase == "recorded" and changed is None:
        return False, "nothing changed", f"clicking {what} did nothing"
    if char_share(expected_lines, [f is not None for f in found], empty=1.0) < TEXT_SHARE:
        missing = [line for line, f in zip(expected_lines, found, strict=True) if f is None]
        return False, observed or "nothing changed", f"{_words(missing)} did not appear"
    if outcome.phase == "any order" and step.kind == "disclosure":
        # Opened alone: the other panels recorded must not open with it.
        for other in steps:
            if other.kind == "disclosure" and other.trigger != step.trigger and other.opens:
                theirs = [line for line in other.appeared if len(line) >= 3 and line not in step.appeared]
                hits = [
                    _shown(line, outcome.shown) is not None and _shown(line, outcome.was) is None
                    for line in theirs
                ]
                if theirs and char_share(theirs, hits, empty=1.0) >= TEXT_SHARE:
                    return False, observed, f"clicking {what} also opened {other.trigger!r}"
    # What went away must be gone, unless it was only covered (an overlay) or grew (typing).
    gone = [
        line for line in step.disappeared if len(line) >= 3 and not any(line in new for new in step.appeared)
    ]
    if (outcome.phase == "recorded" or not step.opens) and gone and step.kind not in ("overlay", "type"):
        still = [_shown(line, outcome.shown) is not None for line in gone]
        if char_share(gone, still, empty=1.0) > 1 - TEXT_SHARE:
            return (
                False,
                observed,
                f"{_words([g for g, s in zip(gone, still, strict=True) if s])} did not go away",
            )
    place = _place(outcome, step, [f for f in found if f is not None], changed, scale)
    if place:
        return False, observed, place
    return True, observed or "as expected", ""


def _place(outcome: _Outcome, step: Step, found: list[_Text], changed: Box | None, scale: float) -> str:
    """Why the change is in the wrong place ('' when it is where the recording had it)."""
    trigger = outcome.trigger_box
    placed = [f for f in found if f.box.width > 0]
    if step.kind == "disclosure" and step.opens and trigger is not None and placed:
        top = min(f.box.y for f in placed)
        anchor = _shown(step.anchor, outcome.shown) if step.anchor else None
        if top < trigger.y - 2 or (anchor is not None and anchor.box.width and top > anchor.box.y + 2):
            return f"the panel of {step.trigger!r} opened somewhere else than below it"
        return ""
    if outcome.phase != "recorded" or step.changed is None or changed is None:
        return ""
    expected = step.changed
    slack_x, slack_y = (
        0.15 * outcome.after.width if outcome.after else 0,
        0.15 * outcome.after.height if outcome.after else 0,
    )
    grown = Box(
        expected.x * scale - slack_x,
        expected.y * scale - slack_y,
        expected.width * scale + 2 * slack_x,
        expected.height * scale + 2 * slack_y,
    )
    if grown.intersection(changed) <= 0:
        return "the page changed somewhere else than in the recording"
    return ""


def _visible_lines(steps: Sequence[Step], state: int) -> list[str]:
    """Lines the recording showed in ``state`` that a step made appear (what identifies that page)."""
    lines: list[str] = []
    for step in steps:
        if step.after == state or step.returns_to == state:
            lines.extend(line for line in step.appeared if len(line) >= 3)
        if step.before == state:
            lines.extend(line for line in step.disappeared if len(line) >= 3)
    return list(dict.fromkeys(lines))


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


def _report(
    source: Source,
    steps: Sequence[Step],
    first: RenderResult | None,
    recorded: list[_Outcome],
    extra: list[_Outcome],
    refs: list[ReferenceAnalysis],
    scale: float,
) -> InteractionReport:
    # DOM text is exact for the candidate, as in the pipeline's own scoring: no OCR of renders.
    states = source.states
    checks: list[StepCheck] = []
    reached: dict[int, tuple[bool, Score | None, bytes]] = {}
    if first is not None:
        reached[0] = (True, score_against_source(refs[0], first), first.png)
    for outcome in recorded + extra:
        step = outcome.step
        ok, observed, reason = _judge(outcome, steps, scale)
        score: Score | None = None
        if outcome.phase == "recorded" and outcome.after is not None and outcome.before is not None:
            ref = refs[step.after]
            score = score_against_source(ref, outcome.after)
            stayed = score_against_source(ref, outcome.before).overall
            # The state reached must look more like its key frame than the state before did; when the
            # recorded text appeared where it belongs, not much less (a panel drawn a shade off).
            slack = TEXT_EVIDENCE_SLACK if ok and step.appeared else 0.0
            # Replayed at another width than it was recorded, the page reflows and its key frames
            # cannot be matched pixel for pixel: the text and place checks decide, the score is
            # reported.
            same_width = abs(scale - 1.0) <= 0.02
            if ok and same_width and step.kind not in ("focus", "type") and score.overall <= stayed - slack:
                ok, reason = (
                    False,
                    f"the state reached looks less like the recording ({score.overall:.1f}) "
                    f"than the one before ({stayed:.1f})",
                )
            reached[step.after] = (ok, score, outcome.after.png)
        checks.append(
            StepCheck(
                step=step.number,
                phase=outcome.phase,
                kind=step.kind,
                trigger=step.trigger,
                expected=step.expected if outcome.phase != "back" else "the browser's back button returns",
                observed=observed or "nothing",
                ok=ok,
                reason=reason,
                score=score.overall if score else None,
            )
        )
    done = {c.step for c in checks if c.phase == "recorded"}
    for step in steps:
        if step.number not in done:
            what = repr(step.trigger) if step.trigger else "the click"
            checks.append(
                StepCheck(
                    step.number,
                    "recorded",
                    step.kind,
                    step.trigger,
                    step.expected,
                    "not reached",
                    False,
                    f"the replay stopped before {what}",
                )
            )
    scored = []
    for state in states:
        ok, score, png = reached.get(state.index, (False, None, b""))
        scored.append(StateScore(state.index, state.timestamp_s, reached=ok, score=score, png=png))
    worked = sum(1 for c in checks if c.phase == "recorded" and c.ok)
    total = len(states) - 1
    value = sum(s.score.overall if s.reached and s.score else 0.0 for s in scored) / len(scored)
    checks.sort(key=lambda c: ({"recorded": 0, "back": 0, "any order": 1}[c.phase], c.step))
    return InteractionReport(
        states=tuple(scored),
        transitions_total=total,
        transitions_worked=worked,
        score=value,
        steps=tuple(checks),
    )
