"""A recording through the glm backend (the fake GLM-4.5V over loopback): the model's page is
replayed like the local backend's, and a step that fails becomes a focused refinement request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from replicator.config import Settings
from replicator.fake_glm import ANSWERS, FIXTURES_DIR, FakeGlmServer
from replicator.intake import load_source
from replicator.pipeline import RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime
from tests.plugins.recordings import RECORDINGS_DIR, recording

pytestmark = pytest.mark.slow

PAGES = RECORDINGS_DIR / "pages"


def tabs_page(*, working: bool) -> str:
    """The tabs fixture page as a model would write it: with its script, or without (dead tabs)."""
    html = (PAGES / "tabs.html").read_text()
    html = html.replace(
        '<link rel="stylesheet" href="base.css">', f"<style>{(PAGES / 'base.css').read_text()}</style>"
    )
    html = html.replace('<script src="cursor.js"></script>', "")
    if not working:
        html = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    return html


@pytest.fixture
def answers(tmp_path: Path, fake_glm: FakeGlmServer) -> None:
    """First answer: the page with tabs that do nothing; the second: tabs that work."""
    folder = tmp_path / "answers"
    folder.mkdir()
    recorded = json.loads((FIXTURES_DIR / "thinking_fenced.json").read_text("utf-8"))
    for scenario, working in (("normal", False), ("unfenced", True)):
        recorded["content"] = "Here is the page.\n\n```html\n" + tabs_page(working=working) + "\n```"
        (folder / f"{ANSWERS[scenario]}.json").write_text(json.dumps(recorded), "utf-8")
    fake_glm.fake.fixtures_dir = folder
    fake_glm.fake.queue("normal", "unfenced")


async def test_a_failing_step_becomes_a_focused_refinement_request(
    glm_settings: Settings, browser_pool: SealedBrowserPool, fake_glm: FakeGlmServer, answers: None
) -> None:
    source = load_source(recording("tabs").path, glm_settings)
    async with Runtime(glm_settings, renderer=browser_pool) as runtime:
        pipeline = await runtime.pipeline()
        # A target any page meets: only the failing interactions call for the refinement round.
        result = await pipeline.run(source, RunOptions(refine_rounds=1, target_score=0.0, mode="interactive"))
    first, second = result.candidates
    assert first.interactions is not None and not first.interactions.passed
    assert first.interactions.failures[0].step == 1 and "did nothing" in first.interactions.failures[0].reason
    assert len(fake_glm.fake.requests) == 2
    refine = fake_glm.fake.requests[1].text()
    assert "do not work yet" in refine
    assert "- clicking 'Pricing' selects it and shows its content" in refine
    assert "on the current page: clicking 'Pricing' did nothing" in refine
    # The refined page works, and wins even though both clear the target score.
    assert second.interactions is not None and second.interactions.passed, second.interactions.to_dict()
    assert result.best.round == 1
