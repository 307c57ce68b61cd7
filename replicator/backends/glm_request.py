"""The content of GLM-4.5V requests: images (or a video) plus the prompt, for generate and refine.

A grounded request (``options.brief``) carries the brief of the local analysis too, within a token
budget: the smaller of ``glm_brief_max_tokens`` and what the context window leaves once the images,
the prompt's own text and the answer budget (``glm_max_tokens``) are counted.

Blocking (image re-encoding): the backend calls these from a worker thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import prompts
from ..config import Settings
from ..grounding.brief import BriefText, estimate_tokens
from ..models import KeyState, Source
from .base import GenerateOptions, RefineRequest
from .glm_media import MAX_IMAGES, EncodedImage, pick_evenly, prepare_image, sendable_video, video_part

_MAX_DISCREPANCIES = 12
# Tokens a video costs, estimated (frames are sampled by the provider: unknown here).
_VIDEO_TOKENS = 12_000
# Left free in the context beyond the estimates, for their error.
_CONTEXT_MARGIN = 1024
# A brief smaller than this says too little to be worth sending.
_MIN_BRIEF_TOKENS = 120

Content = list[dict[str, Any]]


def image_tokens(width: int, height: int) -> int:
    """Tokens one image costs GLM-4.5V, estimated: one per 28 x 28 px patch (14 px patches merged
    two by two, as its vision encoder does)."""
    return math.ceil(width / 28) * math.ceil(height / 28)


def generate_request(
    settings: Settings, source: Source, options: GenerateOptions
) -> tuple[Content, BriefText | None]:
    """Content parts of a generation: the screenshot (tiled if very tall) or the recording, then the
    prompt; and the brief the prompt carries (None: none)."""
    encoding = settings.glm_image_encoding
    if source.kind == "recording":
        return _recording_content(settings, source, options)
    prepared = prepare_image(source.png)

    def text(brief: str | None) -> str:
        return prompts.render_prompt(
            prompts.GENERATE_FROM_SCREENSHOT,
            width=source.width,
            height=source.height,
            tiles=len(prepared.tiles),
            scale=prepared.scale,
            stack=options.stack,
            mode=options.mode,
            brief=brief,
        )

    cost = sum(image_tokens(t.width, t.height) for t in prepared.tiles)
    prompt, brief = _with_brief(settings, options, text, cost)
    return [tile.part(encoding) for tile in prepared.tiles] + [{"type": "text", "text": prompt}], brief


def _with_brief(
    settings: Settings, options: GenerateOptions, text: Callable[[str | None], str], other_tokens: int
) -> tuple[str, BriefText | None]:
    """The prompt with the brief in it when there is one and room for it; else without."""
    bare = text(None)
    if options.brief is None or settings.glm_brief_max_tokens <= 0:
        return bare, None
    room = (
        settings.glm_context_tokens
        - settings.glm_max_tokens
        - other_tokens
        - estimate_tokens(bare)
        - _CONTEXT_MARGIN
    )
    budget = min(settings.glm_brief_max_tokens, room)
    if budget < _MIN_BRIEF_TOKENS:
        return bare, None
    brief = options.brief.prompt(budget)
    return text(brief.text), brief


def _recording_content(
    settings: Settings, source: Source, options: GenerateOptions
) -> tuple[Content, BriefText | None]:
    """The video itself when it can be sent, else its key states as images (never both)."""
    video = sendable_video(source.video_path)
    states = list(source.states)
    if video is None and not states:
        return generate_request(
            settings,
            Source("image", source.png, source.width, source.height, "image/png", source.sha256),
            options,
        )
    parts: list[dict[str, Any]]
    if video is not None:
        parts = [video_part(video)]
        cost = _VIDEO_TOKENS
    else:
        states = pick_evenly(states, MAX_IMAGES)
        encoding = settings.glm_image_encoding
        # One image per state: a state is one screen, so it never needs tiling.
        tiles = [prepare_image(state.png).tiles[0] for state in states]
        parts = [tile.part(encoding) for tile in tiles]
        cost = sum(image_tokens(t.width, t.height) for t in tiles)

    def text(brief: str | None) -> str:
        return prompts.render_prompt(
            prompts.GENERATE_FROM_RECORDING,
            video=video is not None,
            duration_s=source.duration_s,
            width=source.width,
            height=source.height,
            states=[_state_context(number, state) for number, state in enumerate(states, start=1)],
            stack=options.stack,
            mode=options.mode,
            brief=brief,
        )

    prompt, brief = _with_brief(settings, options, text, cost)
    return [*parts, {"type": "text", "text": prompt}], brief


def refine_request(
    settings: Settings, request: RefineRequest, options: GenerateOptions
) -> tuple[Content, BriefText | None]:
    """Source, current render and heatmap as images; discrepancies, the brief (when grounded) and
    the current HTML as text.

    Earlier thinking is never sent back: only the current HTML.
    """
    encoding = settings.glm_image_encoding
    images: list[EncodedImage] = []
    described: list[str] = []

    def add(png: bytes, what: str) -> None:
        prepared = prepare_image(png)
        for number, tile in enumerate(prepared.tiles, start=1):
            images.append(tile)
            part = f" (part {number} of {len(prepared.tiles)}, top to bottom)" if prepared.tiled else ""
            described.append(what + part)

    add(request.source.png, "The source: the screenshot the page must match")
    add(request.render.png, "The current page as rendered in a browser")
    if request.score.heatmap_png:
        add(
            request.score.heatmap_png,
            "A heatmap of where the current page differs from the source (red: differs)",
        )
    focus = None
    if request.focus_state is not None:
        state = next((s for s in request.source.states if s.index == request.focus_state), None)
        if state is not None:
            add(state.png, f"The recording's state at {state.timestamp_s:.1f} s, reached by interaction")
            focus = (
                f"the state at {state.timestamp_s:.1f} s (the last image), which the page reproduces worst"
            )
    ranked = request.score.discrepancies
    listed = ranked[:_MAX_DISCREPANCIES]
    grounded = options.brief is not None
    # Grounded: the text and picture differences the top of the list left out are listed too.
    lost = (
        [d for d in ranked[_MAX_DISCREPANCIES:] if d.kind in _GROUNDED_KINDS][:_MAX_DISCREPANCIES]
        if grounded
        else []
    )

    def text(brief: str | None) -> str:
        return prompts.render_prompt(
            prompts.REFINE,
            round=request.round,
            images=described,
            score=request.score.breakdown(),
            discrepancies=[_discrepancy(d) for d in listed],
            grounded_discrepancies=[_discrepancy(d) for d in lost],
            missing_text=list(request.missing_text[:_MAX_MISSING]) if grounded else [],
            focus=focus,
            failed_steps=list(request.failed_steps),
            instruction=request.instruction,
            current_html=request.current_html,
            width=request.source.width,
            stack=options.stack,
            mode=options.mode,
            brief=brief,
        )

    sent = images[:MAX_IMAGES]
    cost = sum(image_tokens(i.width, i.height) for i in sent)
    prompt, brief = _with_brief(settings, options, text, cost)
    return [image.part(encoding) for image in sent] + [{"type": "text", "text": prompt}], brief


# Kinds of score discrepancies a grounded refinement also lists: what the brief can fix.
_GROUNDED_KINDS = ("missing_text", "wrong_text", "graphics")
_MAX_MISSING = 20


def _discrepancy(d: Any) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "message": d.message,
        "box": (d.box.x, d.box.y, d.box.width, d.box.height) if d.box else None,
    }


def _state_context(number: int, state: KeyState) -> dict[str, Any]:
    changed = state.changed_region
    return {
        "number": number,
        "timestamp_s": state.timestamp_s,
        "click": state.click_point,
        "changed": (changed.x, changed.y, changed.width, changed.height) if changed else None,
    }


# What each extra candidate (variant 1-3) asks the model to take most care of.
VARIANT_EMPHASIS = (
    "Take the most care over spacing and alignment: margins, paddings, gaps and the width of every column.",
    "Take the most care over colors and typography: exact hex colors, font sizes, weights and line heights.",
    "Take the most care over structure: the same sections, the same controls as real elements, nothing left out.",
)


def with_emphasis(content: Content, variant: int) -> Content:
    """``content`` with the emphasis of candidate ``variant`` added to its prompt (the last text part)."""
    emphasis = VARIANT_EMPHASIS[(variant - 1) % len(VARIANT_EMPHASIS)]
    parts = list(content)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].get("type") == "text":
            parts[i] = {**parts[i], "text": f"{parts[i]['text'].rstrip()}\n\n{emphasis}\n"}
            break
    return parts
