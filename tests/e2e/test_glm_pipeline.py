"""End to end: a screenshot through the real pipeline (Runtime, sanitize, Chromium, score) with the
glm backend talking to the fake GLM-4.5V server over loopback; every failure ends in a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from replicator.config import Settings
from replicator.errors import (
    ContentFiltered,
    ExtractionError,
    ProviderAccountError,
    ProviderAuthError,
    ProviderTimeout,
    ProviderUnavailable,
    ReplicatorError,
)
from replicator.fake_glm import FakeGlmServer
from replicator.intake import image_source
from replicator.models import Result, Source, Viewport
from replicator.ocr import OcrEngine
from replicator.pipeline import PipelineEvent, RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime
from replicator.score import analyze_reference
from tests.plugins.fake_glm import FAKE_KEY

PAGE = Path(__file__).resolve().parents[2] / "fixtures" / "glm" / "page.html"
HEADLINE = "Know your numbers by Monday"


class MemoryStore:
    """A StageStore in memory, seeded with the source's reference analysis (computed once)."""

    def __init__(self, seed: dict[str, bytes]) -> None:
        self.items = dict(seed)

    def load(self, name: str) -> bytes | None:
        return self.items.get(name)

    def save(self, name: str, data: bytes) -> None:
        self.items[name] = data


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def page_screenshot(browser_pool: SealedBrowserPool) -> bytes:
    """The source: the fixture page as Chromium draws it (what the fake's answers reproduce)."""
    render = await browser_pool.render(PAGE.read_text("utf-8"), Viewport(1280, 800))
    return render.png


@pytest.fixture(scope="session")
def reference_bytes(page_screenshot: bytes) -> bytes:
    return analyze_reference(page_screenshot, ocr=OcrEngine.shared()).to_bytes()


@pytest.fixture
def source(page_screenshot: bytes, glm_settings: Settings) -> Source:
    return image_source(page_screenshot, glm_settings)


async def _convert(
    settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference: bytes,
    *,
    refine_rounds: int = 0,
    target_score: float = 90.0,
) -> tuple[Result, list[PipelineEvent]]:
    events: list[PipelineEvent] = []
    async with Runtime(settings, renderer=browser_pool) as runtime:
        pipeline = await runtime.pipeline()
        result = await pipeline.run(
            source,
            RunOptions(refine_rounds=refine_rounds, target_score=target_score, mode="static"),
            events=events.append,
            store=MemoryStore({"reference.bin": reference}),
        )
    return result, events


@pytest.mark.parametrize("scenario", ["normal", "box", "unfenced", "escaped", "multi-fence"])
async def test_each_answer_style_becomes_a_rendered_scored_page(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
    scenario: str,
) -> None:
    fake_glm.fake.queue(scenario)
    result, events = await _convert(glm_settings, browser_pool, source, reference_bytes)
    best = result.best
    assert result.backend == "glm"
    assert HEADLINE in best.page.html and "<|begin_of_box|>" not in best.page.html
    assert best.render.png.startswith(b"\x89PNG") and best.render.width == 1280
    # The fake answers with the very page the screenshot shows: the render must score high.
    assert best.score.overall >= 85, best.score.breakdown()
    assert result.usage.prompt_tokens == 1843 and result.usage.cost_usd > 0
    assert len(fake_glm.fake.requests) == 1
    kinds = [e.kind for e in events]
    assert "thinking" in kinds and "answer" in kinds and "usage" in kinds and "candidate" in kinds


async def test_truncated_answer_still_yields_a_page_flagged_as_cut_off(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
) -> None:
    fake_glm.fake.queue("truncated")
    result, events = await _convert(glm_settings, browser_pool, source, reference_bytes)
    assert result.best.extraction.truncated
    assert result.best.render.png
    assert any(e.kind == "note" and "cut off" in e.data["message"] for e in events)


@pytest.mark.parametrize("failure", ["error-1302", "error-500", "reset-before-answer"])
async def test_retryable_failure_is_retried_and_the_conversion_succeeds(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
    failure: str,
) -> None:
    fake_glm.fake.queue(failure, "box")
    result, _ = await _convert(glm_settings, browser_pool, source, reference_bytes)
    assert [r.scenario for r in fake_glm.fake.requests] == [failure, "box"]
    assert HEADLINE in result.best.page.html and result.best.score.overall >= 85


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("error-1113", ProviderAccountError),
        ("error-1001", ProviderAuthError),
        ("sensitive", ContentFiltered),
        ("think-exhausted", ExtractionError),
        ("reset-mid-answer", ProviderUnavailable),
        ("stall", ProviderTimeout),
    ],
)
async def test_terminal_failure_ends_in_a_clear_error(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
    scenario: str,
    error: type[ReplicatorError],
) -> None:
    fake_glm.fake.stall_s = 20
    fake_glm.fake.queue(scenario)
    settings = glm_settings.model_copy(update={"glm_deadline_s": 2.0, "fallback_backend": "none"})
    with pytest.raises(error) as caught:
        await _convert(settings, browser_pool, source, reference_bytes)
    assert caught.value.message and caught.value.code
    assert len(fake_glm.fake.requests) == 1


async def test_refinement_round_sends_render_heatmap_and_html_and_keeps_the_best(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
) -> None:
    fake_glm.fake.queue("truncated", "box")
    result, _ = await _convert(
        glm_settings, browser_pool, source, reference_bytes, refine_rounds=1, target_score=100.1
    )
    assert [c.round for c in result.candidates] == [0, 1]
    refine = fake_glm.fake.requests[1]
    assert len(refine.image_urls()) == 3  # source, current render, heatmap
    assert result.candidates[0].page.html.strip()[:40] in refine.text()
    assert result.best.round == 1 and result.best.score.overall > result.candidates[0].score.overall
    assert result.usage.prompt_tokens == 2 * 1843


async def test_failed_refinement_round_keeps_the_first_page(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
) -> None:
    fake_glm.fake.queue("box", "error-1113")
    result, events = await _convert(
        glm_settings, browser_pool, source, reference_bytes, refine_rounds=1, target_score=100.1
    )
    assert [c.round for c in result.candidates] == [0]
    assert any(e.kind == "note" and "Refinement round 1 failed" in e.data["message"] for e in events)


async def test_refinement_round_with_a_page_too_deep_keeps_the_first_page(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
    tmp_path: Path,
) -> None:
    """A refinement answer the sanitizer refuses (nested deeper than Chromium nests) is a failed
    round, like one with no page in it: the job keeps round 0 instead of failing."""
    import json
    import shutil

    fixtures = tmp_path / "answers"
    shutil.copytree(fake_glm.fake.fixtures_dir, fixtures)
    deep = "<!DOCTYPE html><html><body>" + "<div>" * 1200 + "deep" + "</div>" * 1200 + "</body></html>"
    (fixtures / "box_markers.json").write_text(
        json.dumps(
            {"reasoning_content": "Nesting.", "content": f"```html\n{deep}\n```", "finish_reason": "stop"}
        )
    )
    fake_glm.fake.reset(api_key=FAKE_KEY, fixtures_dir=fixtures)
    fake_glm.fake.queue("normal", "box")
    result, events = await _convert(
        glm_settings, browser_pool, source, reference_bytes, refine_rounds=1, target_score=100.1
    )
    assert [c.round for c in result.candidates] == [0]
    notes = [e.data["message"] for e in events if e.kind == "note"]
    assert any("Refinement round 1 failed" in n and "levels deep" in n for n in notes), notes


@pytest.mark.parametrize("scenario", ["sensitive", "stall"])
async def test_provider_down_or_refusing_falls_back_to_the_local_backend(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
    scenario: str,
) -> None:
    fake_glm.fake.stall_s = 20
    fake_glm.fake.queue(scenario)
    settings = glm_settings.model_copy(update={"glm_deadline_s": 2.0, "fallback_backend": "local"})
    result, events = await _convert(settings, browser_pool, source, reference_bytes)
    assert result.backend.startswith("local (fallback: glm")
    assert len(fake_glm.fake.requests) == 1
    assert any(e.kind == "note" and "using the local backend instead" in e.data["message"] for e in events)
    # The local backend read the screenshot itself: its headline is real text in the page.
    assert HEADLINE.split()[0] in result.best.page.html
    assert result.best.score.overall > 50


async def test_auth_failure_never_falls_back(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source: Source,
    reference_bytes: bytes,
    fake_glm: FakeGlmServer,
) -> None:
    fake_glm.fake.queue("error-1001")
    settings = glm_settings.model_copy(update={"fallback_backend": "local"})
    with pytest.raises(ProviderAuthError):
        await _convert(settings, browser_pool, source, reference_bytes)
