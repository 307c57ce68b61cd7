"""Live smoke test against the real GLM-4.5V API: one small conversion, run only with a key.

    REPLICATOR_API_KEY=... python -m pytest -m live tests/test_live_glm.py

Uses REPLICATOR_GLM_BASE_URL (default BigModel) and the other REPLICATOR_GLM_* settings from the
environment, so it checks the set-up the user will really run.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.config import Settings
from replicator.intake import image_source
from replicator.pipeline import RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime

KEY_VARIABLES = ("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not any(os.environ.get(name) for name in KEY_VARIABLES),
        reason="no GLM API key in the environment (REPLICATOR_API_KEY, ZAI_API_KEY or ZHIPUAI_API_KEY)",
    ),
]


def _live_settings(tmp_path: object) -> Settings:
    return Settings(backend="glm", data_dir=tmp_path, glm_deadline_s=300.0)  # type: ignore[call-arg, arg-type]


def _screenshot() -> bytes:
    """A tiny page: a dark bar with a title, a heading and a button."""
    image = Image.new("RGB", (640, 360), (248, 250, 252))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 640, 56), fill=(30, 58, 138))
    draw.text((24, 14), "Replicator", fill="white", font=ImageFont.load_default(size=24))
    draw.text((24, 110), "Hello from the live test", fill=(17, 24, 39), font=ImageFont.load_default(size=30))
    draw.rounded_rectangle((24, 190, 200, 240), radius=8, fill=(249, 115, 22))
    draw.text((48, 202), "Get started", fill="white", font=ImageFont.load_default(size=20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def test_live_key_and_model_are_accepted(tmp_path: object) -> None:
    from replicator.backends.glm import GlmBackend

    backend = GlmBackend(_live_settings(tmp_path))
    try:
        status = await backend.check()
    finally:
        await backend.aclose()
    assert "key accepted" in status


async def test_live_small_conversion(tmp_path: object, browser_pool: SealedBrowserPool) -> None:
    settings = _live_settings(tmp_path)
    source = image_source(_screenshot(), settings)
    async with Runtime(settings, renderer=browser_pool) as runtime:
        pipeline = await runtime.pipeline()
        result = await pipeline.run(source, RunOptions(refine_rounds=0, thinking=False, mode="static"))
    assert "Hello from the live test" in result.best.page.html
    assert result.best.render.png and result.best.score.overall > 0
    assert result.usage.prompt_tokens > 0 and result.usage.cost_usd > 0


LIVE_FIXTURES = ("landing", "login", "dashboard")  # development pages: a hero, a form, charts


@pytest.mark.parametrize("name", LIVE_FIXTURES)
async def test_live_grounded_conversion_beats_or_matches_the_plain_one(
    name: str, tmp_path: object, browser_pool: SealedBrowserPool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same fixture converted with and without grounding; the real answers' token counts and
    scores are printed (``-s``) so a run with a key records what grounding costs and gains."""
    from pathlib import Path

    png = (Path(__file__).resolve().parents[1] / "fixtures" / "references" / f"{name}.png").read_bytes()
    figures = {}
    for grounded in (False, True):
        settings = _live_settings(tmp_path).model_copy(update={"glm_grounding": grounded})
        async with Runtime(settings, renderer=browser_pool) as runtime:
            pipeline = await runtime.pipeline()
            result = await pipeline.run(
                image_source(png, settings), RunOptions(refine_rounds=0, thinking=False, mode="static")
            )
        best = result.best
        brief = best.grounding.brief if best.grounding else None
        figures[grounded] = (best.score.overall, result.usage.prompt_tokens, result.usage.completion_tokens)
        with capsys.disabled():
            print(
                f"\n{name} grounded={grounded}: score {best.score.overall:.1f} "
                f"(text {best.score.text:.1f}, graphics {best.score.graphics:.1f}); tokens "
                f"{result.usage.prompt_tokens} in / {result.usage.completion_tokens} out; brief "
                f"{brief['tokens'] if brief else 0} tokens; repairs "
                f"{best.grounding.to_dict()['repaired'] if best.grounding else {}}"
            )
        assert (best.grounding is not None) == grounded
    # The brief costs prompt tokens; it must not cost the page's quality.
    assert figures[True][1] > figures[False][1]
    assert figures[True][0] >= figures[False][0] - 2.0
