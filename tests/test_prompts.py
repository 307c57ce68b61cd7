"""Prompt templates: shipped in the package, strict about missing values, saying what they must."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
import pytest

from replicator import prompts

CURRENT_HTML = (
    "<!DOCTYPE html>\n<html><body><h1>Know your numbers</h1>\n\n  <pre>  keep  </pre></body></html>"
)


def _screenshot(**overrides: Any) -> str:
    context: dict[str, Any] = {
        "width": 1280,
        "height": 2400,
        "tiles": 1,
        "scale": 1.0,
        "stack": "html-css",
        "mode": "interactive",
        "brief": None,
    }
    context.update(overrides)
    return prompts.render_prompt(prompts.GENERATE_FROM_SCREENSHOT, **context)


def _recording(**overrides: Any) -> str:
    context: dict[str, Any] = {
        "video": False,
        "duration_s": 12.5,
        "width": 1280,
        "height": 720,
        "states": [
            {"number": 1, "timestamp_s": 0.0, "click": None, "changed": None},
            {"number": 2, "timestamp_s": 3.4, "click": (412.0, 88.6), "changed": (380.0, 60.0, 300.0, 420.0)},
        ],
        "stack": "html-css",
        "mode": "interactive",
        "brief": None,
    }
    context.update(overrides)
    return prompts.render_prompt(prompts.GENERATE_FROM_RECORDING, **context)


def _refine(**overrides: Any) -> str:
    context: dict[str, Any] = {
        "round": 2,
        "failed_steps": [],
        "images": ["The source", "The current page", "A heatmap"],
        "score": {
            "overall": 71.25,
            "block": 80.0,
            "text": 65.5,
            "position": 70.0,
            "color": 75.0,
            "typography": 90.0,
            "edges": 85.0,
            "graphics": 61.0,
            "visual": 66.0,
        },
        "discrepancies": [
            {
                "kind": "missing_text",
                "message": "Text 'Start free trial' is missing",
                "box": (48.0, 300.0, 180.0, 40.0),
            },
            {"kind": "background", "message": "Header background is #ffffff, should be #1e3a8a", "box": None},
        ],
        "focus": None,
        "current_html": CURRENT_HTML,
        "width": 1280,
        "stack": "html-css",
        "mode": "static",
        "brief": None,
        "missing_text": [],
        "grounded_discrepancies": [],
    }
    context.update(overrides)
    return prompts.render_prompt(prompts.REFINE, **context)


def test_templates_ship_inside_the_package() -> None:
    folder = resources.files("replicator") / "prompts"
    for name in prompts.template_names():
        assert (folder / name).is_file(), name


def test_screenshot_prompt_asks_for_one_faithful_self_contained_document() -> None:
    text = _screenshot()
    assert "one complete, self-contained HTML document" in text
    assert "```html" in text
    assert "Copy every piece of visible text exactly as written" in text
    assert "original language" in text and "lorem ipsum" in text
    assert "colors exactly" in text and "layout" in text
    assert "1280 pixels wide" in text
    assert "no external file" in text.lower()
    assert "{{" not in text and "{%" not in text


def test_screenshot_prompt_explains_tiles_and_scaling() -> None:
    tiled = _screenshot(tiles=3, scale=0.8)
    assert "3 images above" in tiled and "top to bottom" in tiled
    assert "80%" in tiled
    assert "vertical slices" not in _screenshot()


def test_stack_and_mode_change_the_output_rules() -> None:
    tailwind = _screenshot(stack="html-tailwind")
    assert "https://cdn.tailwindcss.com" in tailwind
    assert "cdn.tailwindcss.com" not in _screenshot()
    static = _screenshot(mode="static")
    assert "no JavaScript" in static and "<script>" not in static
    assert "plain JavaScript" in _screenshot(mode="interactive")


def test_recording_prompt_has_the_timeline_with_clicks_and_changed_regions() -> None:
    text = _recording()
    assert "2 images above are the key frames" in text
    assert "State 1 at 0.0 s" in text and "State 2 at 3.4 s" in text
    assert "clicking at (412, 89)" in text
    assert "x=380, y=60, 300x420" in text
    assert "image N is state N" in text
    assert "same screen coordinates" in text
    assert "Secondary pages" in text and "never by navigating" in text
    assert "12.5 seconds" in text


def test_recording_prompt_for_a_video_speaks_of_the_video() -> None:
    text = _recording(video=True, states=[])
    assert "The video above is a screen recording" in text
    assert "key frames" not in text and "State 1" not in text


def test_refine_prompt_carries_scores_discrepancies_and_the_current_html_verbatim() -> None:
    text = _refine()
    assert CURRENT_HTML in text
    assert "refinement round 2" in text
    assert "graphics (icons, images, charts) 61.0" in text
    assert "71.2 out of 100" in text or "71.3 out of 100" in text
    assert "[missing_text] Text 'Start free trial' is missing (at x=48, y=300, 180x40)" in text
    assert "Header background is #ffffff, should be #1e3a8a" in text
    assert "1. The source" in text and "3. A heatmap" in text
    assert "complete revised document" in text
    assert "<think>" not in text


def test_refine_prompt_names_the_focus_state_when_given() -> None:
    assert "Pay special attention" not in _refine()
    assert "the state at 4.0 s" in _refine(focus="the state at 4.0 s")


@pytest.mark.parametrize("name", prompts.template_names())
def test_a_missing_value_is_an_error_not_a_hole(name: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        prompts.render_prompt(name, mode="static")


BRIEF = 'Fonts that match the text: "Inter" (sans, 400/700).\n- asset:img-1 320x180 at (40,120)\n- "Sign in" at (10,10) 16px #111111'


@pytest.mark.parametrize("stack", ["html-css", "html-tailwind"])
@pytest.mark.parametrize("mode", ["static", "interactive"])
@pytest.mark.parametrize("render", [_screenshot, _recording, _refine])
def test_a_grounded_prompt_carries_the_brief_and_grounded_output_rules(
    render: Any, stack: str, mode: str
) -> None:
    plain = render(stack=stack, mode=mode)
    grounded = render(stack=stack, mode=mode, brief=BRIEF)
    assert BRIEF in grounded and "asset:img-1" not in plain
    assert "What our own measurements found" in grounded and "What our own measurements" not in plain
    # The rules change with the brief: pictures are placed from the assets, not drawn as blocks;
    # icons keep their set's class names; the measured fonts come first.
    assert "asset:ID as the image URL" in grounded and "asset:ID" not in plain
    assert '<i class="CLASSES"></i>' in grounded
    assert "Name the listed fonts first" in grounded and "system font stacks" in plain
    assert "system font stacks" not in grounded
    # Stack and mode rules stay as they were.
    assert ("cdn.tailwindcss.com" in grounded) == (stack == "html-tailwind")
    assert ("no JavaScript" in grounded) == (mode == "static")


def test_a_grounded_refinement_lists_missing_text_and_the_text_and_picture_differences() -> None:
    text = _refine(
        brief=BRIEF,
        missing_text=["Forgot your password?"],
        grounded_discrepancies=[
            {"kind": "graphics", "message": "A picture is missing", "box": (1, 2, 30, 40)}
        ],
    )
    assert "does not show at all" in text and '- "Forgot your password?"' in text
    assert "still wrong" in text and "[graphics] A picture is missing (at x=1, y=2, 30x40)" in text
    assert BRIEF in text
    plain = _refine()
    assert "does not show at all" not in plain and "still wrong" not in plain


def test_a_refinement_lists_the_interactions_that_fail_on_replay() -> None:
    assert "do not work yet" not in _refine()
    failing = "clicking 'Billing' selects it and shows its content; on the current page: 'Billing' is not on the page"
    text = _refine(failed_steps=[failing])
    assert f"- {failing}" in text and "do not work yet" in text
    assert "in any order" in text
