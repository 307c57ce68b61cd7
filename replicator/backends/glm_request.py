"""The content of GLM-4.5V requests: images (or a video) plus the prompt, for generate and refine.

Blocking (image re-encoding): the backend calls these from a worker thread.
"""

from __future__ import annotations

from typing import Any

from .. import prompts
from ..config import Settings
from ..models import KeyState, Source
from .base import GenerateOptions, RefineRequest
from .glm_media import MAX_IMAGES, EncodedImage, pick_evenly, prepare_image, sendable_video, video_part

_MAX_DISCREPANCIES = 12


def generate_content(settings: Settings, source: Source, options: GenerateOptions) -> list[dict[str, Any]]:
    """Content parts of a generation: the screenshot (tiled if very tall) or the recording, then the prompt."""
    encoding = settings.glm_image_encoding
    if source.kind == "recording":
        return _recording_content(settings, source, options)
    prepared = prepare_image(source.png)
    text = prompts.render_prompt(
        prompts.GENERATE_FROM_SCREENSHOT,
        width=source.width,
        height=source.height,
        tiles=len(prepared.tiles),
        scale=prepared.scale,
        stack=options.stack,
        mode=options.mode,
    )
    return [tile.part(encoding) for tile in prepared.tiles] + [{"type": "text", "text": text}]


def _recording_content(settings: Settings, source: Source, options: GenerateOptions) -> list[dict[str, Any]]:
    """The video itself when it can be sent, else its key states as images (never both)."""
    video = sendable_video(source.video_path)
    states = list(source.states)
    if video is None and not states:
        return generate_content(
            settings,
            Source("image", source.png, source.width, source.height, "image/png", source.sha256),
            options,
        )
    parts: list[dict[str, Any]]
    if video is not None:
        parts = [video_part(video)]
    else:
        states = pick_evenly(states, MAX_IMAGES)
        encoding = settings.glm_image_encoding
        # One image per state: a state is one screen, so it never needs tiling.
        parts = [prepare_image(state.png).tiles[0].part(encoding) for state in states]
    text = prompts.render_prompt(
        prompts.GENERATE_FROM_RECORDING,
        video=video is not None,
        duration_s=source.duration_s,
        width=source.width,
        height=source.height,
        states=[_state_context(number, state) for number, state in enumerate(states, start=1)],
        stack=options.stack,
        mode=options.mode,
    )
    return [*parts, {"type": "text", "text": text}]


def refine_content(
    settings: Settings, request: RefineRequest, options: GenerateOptions
) -> list[dict[str, Any]]:
    """Source, current render and heatmap as images; discrepancies and current HTML as text.

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
    text = prompts.render_prompt(
        prompts.REFINE,
        round=request.round,
        images=described,
        score=request.score.breakdown(),
        discrepancies=[
            {
                "kind": d.kind,
                "message": d.message,
                "box": (d.box.x, d.box.y, d.box.width, d.box.height) if d.box else None,
            }
            for d in request.score.discrepancies[:_MAX_DISCREPANCIES]
        ],
        focus=focus,
        current_html=request.current_html,
        width=request.source.width,
        stack=options.stack,
        mode=options.mode,
    )
    return [image.part(encoding) for image in images[:MAX_IMAGES]] + [{"type": "text", "text": text}]


def _state_context(number: int, state: KeyState) -> dict[str, Any]:
    changed = state.changed_region
    return {
        "number": number,
        "timestamp_s": state.timestamp_s,
        "click": state.click_point,
        "changed": (changed.x, changed.y, changed.width, changed.height) if changed else None,
    }
