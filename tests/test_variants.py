# ruff: noqa: F811 - the API fixtures are imported from test_api and used as parameters
"""Variants: several candidates of round 0, each rendered and scored, the best refined; all kept.
GLM's candidates are parallel requests with other sampling and emphasis (checked on what the fake
received); the local backend's group an ambiguous layout another way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replicator.backends.glm_request import VARIANT_EMPHASIS
from replicator.backends.local import LocalBackend
from replicator.config import Settings
from replicator.intake import load_source
from replicator.pipeline import Pipeline, RunOptions
from replicator.render import SealedBrowserPool
from replicator.sanitize import Sanitizer
from tests.test_api import Service, api, make_service, upload  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent


def test_variants_are_one_to_four() -> None:
    for bad in (0, 5):
        with pytest.raises(ValueError, match="variants must be between 1 and 4"):
            RunOptions(variants=bad)


@pytest.mark.slow
async def test_local_candidates_are_distinct_pages_and_the_best_is_refined(
    settings: Settings, browser_pool: SealedBrowserPool, tmp_path: Path
) -> None:
    source = load_source(ROOT / "fixtures" / "references" / "kanban.png", settings)
    pipeline = Pipeline(
        backend=LocalBackend(settings), renderer=browser_pool, sanitizer=Sanitizer.from_settings(settings)
    )
    notes: list[str] = []

    def sink(event: Any) -> None:
        if event.kind == "note":
            notes.append(event.data["message"])

    result = await pipeline.run(
        source, RunOptions(variants=4, refine_rounds=1, target_score=101.0), events=sink
    )
    first = [c for c in result.candidates if c.round == 0]
    assert len(first) >= 2  # kanban's columns can be grouped more than one way
    pages = {c.page.html.replace(f'data-replicator-variant="{c.variant}" ', "") for c in first}
    assert len(pages) == len(first)  # the same page twice is left out, with a note
    assert len(first) == 4 or any("is the same page as" in n for n in notes)
    best0 = max(first, key=lambda c: c.score.overall)
    refined = [c for c in result.candidates if c.round == 1]
    assert refined and refined[0].variant == best0.variant
    assert result.best.score.overall >= best0.score.overall


@pytest.mark.slow
async def test_glm_candidates_are_parallel_requests_with_other_sampling_and_emphasis(
    api: Service, fake_glm: Any
) -> None:
    fake_glm.fake.chunk_delay_s = 0.004  # answers that take a while to stream, so they can overlap
    response = await api.client.post("/api/v1/replications?wait=120", **upload(variants="3"))
    assert response.status_code == 200, response.text
    job = response.json()
    requests = fake_glm.fake.requests
    assert len(requests) == 3 and fake_glm.fake.max_in_flight >= 2  # made side by side
    temperatures = sorted(r.body["temperature"] for r in requests)
    assert len(set(temperatures)) == 3  # each candidate sampled differently
    prompts = [r.text() for r in requests]
    assert sum(VARIANT_EMPHASIS[0] in p for p in prompts) == 1
    assert sum(VARIANT_EMPHASIS[1] in p for p in prompts) == 1
    # The fake answers the same page each time: one candidate stays, the copies are noted.
    variants = job["result"]["variants"]
    assert variants == [] or all("render.png" in v["urls"] for v in variants)


@pytest.mark.slow
async def test_every_candidate_is_kept_and_served(api: Service) -> None:
    kanban = (ROOT / "fixtures" / "references" / "kanban.png").read_bytes()
    response = await api.client.post(
        "/api/v1/replications?wait=120", **upload(kanban, "kanban.png", backend="local", variants="4")
    )
    assert response.status_code == 200, response.text
    job = response.json()
    variants = job["result"]["variants"]
    assert len(variants) >= 2 and sum(v["chosen"] for v in variants) == 1
    for variant in variants:
        render = await api.client.get(variant["urls"]["render.png"])
        assert render.status_code == 200 and render.content.startswith(b"\x89PNG")
        code = await api.client.get(variant["urls"]["code"])
        assert "<html" in code.text.lower()
    assert {r["variant"] for r in job["result"]["rounds"]} == {v["variant"] for v in variants}
    missing = await api.client.get(f"/api/v1/replications/{job['id']}/variants/9/render.png")
    assert missing.status_code == 404
