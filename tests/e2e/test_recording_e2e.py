"""End to end: a screen recording through intake, the local backend and the real pipeline to one
interactive page, whose replay reaches every state of the recording."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from replicator.config import Settings
from replicator.intake import load_source
from replicator.pipeline import Pipeline, PipelineEvent, RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime
from tests.plugins.recordings import recording

pytestmark = pytest.mark.slow


# One recording through a refinement round too (every fixture is replayed without one below).
@pytest.mark.parametrize("name", ["navigation"])
async def test_recording_becomes_an_interactive_page_that_replays_every_state(
    browser_pool: SealedBrowserPool, tmp_path: Path, name: str
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, backend="local")  # type: ignore[call-arg]
    rec = recording(name, ".webm" if name == "navigation" else ".mp4")
    source = load_source(rec.path, settings)
    assert source.kind == "recording" and len(source.states) == len(rec.state_times)
    events: list[PipelineEvent] = []
    async with Runtime(settings, renderer=browser_pool) as runtime:
        pipeline = await runtime.pipeline("local")
        # A target no page reaches forces one refinement round: the refined page must replay too.
        result = await pipeline.run(
            source, RunOptions(refine_rounds=1, target_score=100.0, mode="interactive"), events=events.append
        )
    assert [c.round for c in result.candidates] == [0, 1]
    for candidate in result.candidates:
        report = candidate.interactions
        assert report is not None
        assert report.transitions_total == len(source.states) - 1
        assert report.transitions_worked == report.transitions_total, report.to_dict()
        assert all(state.reached for state in report.states)
        assert report.score >= 70, report.to_dict()
    best = result.best
    assert best.page.mode == "interactive" and "script-src 'unsafe-inline'" in best.page.csp
    assert best.page.html.count("data-replicator-state=") >= len(source.states)
    # What the UI strip shows: key frames from the source, reached states from the report.
    for key, reached in zip(source.states, best.interactions.states, strict=True):  # type: ignore[union-attr]
        assert Image.open(io.BytesIO(key.png)).size == Image.open(io.BytesIO(reached.png)).size == (800, 600)
    stages = [e.data.get("stage") for e in events if e.kind == "stage"]
    assert "interactions" in stages
    assert "interactions" in result.timings_ms


# Every fixture recording, and the width its replica is replayed at (None: the recording's own).
_REPLAYS = [
    ("accordion", None),
    ("faq", None),
    ("tabs", None),
    ("dropdown", None),
    ("modal", None),
    ("stepper", None),
    ("signup", None),
    ("switches", None),
    ("docs", None),
    ("navigation", None),
    ("faq_wide", None),
    ("faq_wide", 1204),  # recorded at 1000 px, previewed in the UI's 1204 px frame
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def local_pipeline(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Settings, Pipeline]]:
    """One runtime for every replay below, as the service runs its jobs: its CPU workers (one per
    core) and its browser started once, not once per recording."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("replays"), backend="local")  # type: ignore[call-arg]
    async with Runtime(settings) as runtime:
        yield settings, await runtime.pipeline("local")


@pytest.mark.parametrize(("name", "width"), _REPLAYS, ids=[f"{n}@{w or 'own'}" for n, w in _REPLAYS])
async def test_every_fixture_recording_replays_step_by_step_on_the_local_backend(
    local_pipeline: tuple[Settings, Pipeline], name: str, width: int | None
) -> None:
    """Issue 16's bar: each fixture recording, through the local backend with no refinement, gives a
    replica whose every step works when replayed by its text, in the recorded order, in another
    order and back; a state reached by opening a panel also looks like its key frame (the panel
    drawn where the recording shows it, not a shade off)."""
    from replicator.models import Viewport

    settings, pipeline = local_pipeline
    source = load_source(recording(name).path, settings)
    viewport = Viewport(width, source.height) if width else None
    result = await pipeline.run(source, RunOptions(refine_rounds=0, mode="interactive", viewport=viewport))
    report = result.best.interactions
    assert report is not None
    failures: dict[str, object] = {}
    label = f"{name}@{width or source.width}"
    if not report.passed or len(report.steps) < len(recording(name).clicks):
        failures[label] = [c.to_dict() for c in report.failures]
    if name in ("accordion", "faq") or (name == "faq_wide" and width is None):
        scores = [c.score for c in report.steps if c.phase == "recorded" and c.kind == "disclosure"]
        if not scores or min(s for s in scores if s is not None) < 85:
            failures[label + " panel scores"] = scores
    assert failures == {}


async def test_the_job_page_shows_the_replay_step_by_step(tmp_path: Path) -> None:
    """Upload a recording through the web UI (local backend): the job page lists each recorded
    click with what was expected, what was observed, its score and whether it works."""
    from tests.e2e.test_ui import wait_until
    from tests.service_helpers import launched_chromium, running_service

    rec = recording("tabs")
    with running_service(tmp_path, REPLICATOR_BACKEND="local", REPLICATOR_REFINE_ROUNDS="0") as (_, base):
        async with launched_chromium() as browser:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60_000)
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(base + "/")
            await page.set_input_files("#file-input", str(rec.path))
            await page.fill("#refine-rounds", "0")
            await page.click("#submit")
            await page.wait_for_url("**/jobs/*")
            await page.wait_for_selector("#result:not([hidden])", timeout=240_000)
            await wait_until(page, "!document.getElementById('steps-table').hidden")
            rows = await page.locator("#steps tr").all_inner_texts()
            recorded = [r for r in rows if r.split("\t", 1)[0].strip().isdigit()]
            assert len(recorded) == len(rec.clicks), rows
            assert "“Pricing”" in recorded[0] and "selects it" in recorded[0]
            assert all("works" in r or "fails:" in r for r in rows)
            assert any("(any order)" in r for r in rows)  # tabs are also tried in another order
            verdict = await page.locator("#steps-verdict").inner_text()
            assert verdict in ("all steps work",) or verdict.endswith("failing")
            assert problems == []
