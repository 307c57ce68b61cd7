"""End to end: a grounded glm job. The fake GLM-4.5V server receives the brief in its prompt and
answers the way a model does (the picture as ``asset:img-1``, the icon by its class name, a typo,
a line left out); the pipeline repairs that page, and the repaired page beats the same answer
unrepaired. The refinement round's request names the line still missing."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image

from replicator.config import Settings
from replicator.fake_glm import FIXTURES_DIR, FakeGlmServer
from replicator.icons import icon_index
from replicator.intake import image_source
from replicator.jobs.artifacts import result_document
from replicator.models import Result, Viewport
from replicator.pipeline import PipelineEvent, RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime

MISSING = "Questions about wholesale accounts? Call our harbour office."
STYLE = """body{margin:0;font-family:'Liberation Sans',Arial,sans-serif;color:#1f2937;background:#fff}
header{display:flex;justify-content:space-between;align-items:center;padding:20px 48px;border-bottom:1px solid #e5e7eb}
.logo{font-size:24px;font-weight:700} .bell{color:#dc2626;display:flex;font-size:24px}
main{display:flex;gap:48px;padding:48px} h1{font-size:40px;margin:0 0 16px}
p{font-size:18px;line-height:28px;margin:0 0 12px;color:#4b5563}"""


def _photo() -> str:
    """A photo-like picture: gradients and grain, nothing a model could draw with CSS."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:180, 0:320]
    pixels = np.stack([(x * 0.8) % 256, (y * 1.4) % 256, ((x + y) * 0.5) % 256], -1)
    pixels = (pixels + rng.normal(0, 18, pixels.shape)).clip(0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _source_html() -> str:
    bell = icon_index().get("fa-solid", "bell")
    assert bell is not None
    return (
        f"<!DOCTYPE html><html><head><style>{STYLE}</style></head><body>"
        f'<header><div class="logo">Harbour Supply</div><div class="bell">{bell.svg(24, 24)}</div></header>'
        "<main><div><h1>Fresh catch delivered daily</h1>"
        "<p>Order before noon and your crates arrive the same evening.</p>"
        f"<p>{MISSING}</p></div>"
        f'<img src="{_photo()}" width="320" height="180" alt=""></main></body></html>'
    )


# What a model writes from the grounded prompt: the asset and icon as told, one typo in the logo
# and one in a sentence, and the last line of the text left out.
ANSWER = (
    f"<!DOCTYPE html><html><head><style>{STYLE}</style></head><body>"
    '<header><div class="logo">Harbour Suply</div><div class="bell"><i class="fa-solid fa-bell"></i></div></header>'
    "<main><div><h1>Fresh catch delivered daily</h1>"
    "<p>Order before noon and your crates arive the same evening.</p></div>"
    '<img src="asset:img-1" width="320" height="180" alt="Crates of fish"></main></body></html>'
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def source_png(browser_pool: SealedBrowserPool) -> bytes:
    render = await browser_pool.render(_source_html(), Viewport(1000, 420))
    return render.png


@pytest.fixture
def answers(tmp_path: Path, fake_glm: FakeGlmServer) -> Path:
    """The fake answers every request with ANSWER (in the recorded fixture's envelope)."""
    folder = tmp_path / "answers"
    folder.mkdir()
    recorded = json.loads((FIXTURES_DIR / "thinking_fenced.json").read_text("utf-8"))
    recorded["content"] = "Here is the page.\n\n```html\n" + ANSWER + "\n```"
    (folder / "thinking_fenced.json").write_text(json.dumps(recorded), "utf-8")
    fake_glm.fake.fixtures_dir = folder
    return folder


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[str, bytes] = {}

    def load(self, name: str) -> bytes | None:
        return self.items.get(name)

    def save(self, name: str, data: bytes) -> None:
        self.items[name] = data


async def _convert(
    settings: Settings, browser_pool: SealedBrowserPool, png: bytes, store: MemoryStore, refine_rounds: int
) -> tuple[Result, list[PipelineEvent]]:
    events: list[PipelineEvent] = []
    async with Runtime(settings, renderer=browser_pool) as runtime:
        pipeline = await runtime.pipeline()
        result = await pipeline.run(
            image_source(png, settings),
            RunOptions(refine_rounds=refine_rounds, target_score=100.0, mode="static"),
            events=events.append,
            store=store,
        )
    return result, events


async def test_a_grounded_job_sends_the_brief_and_repairs_the_answer_with_it(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source_png: bytes,
    fake_glm: FakeGlmServer,
    answers: Path,
) -> None:
    store = MemoryStore()
    result, events = await _convert(glm_settings, browser_pool, source_png, store, refine_rounds=1)

    # The prompt carried what the analysis measured: exact lines, the picture's id, the icon's name.
    first = fake_glm.fake.requests[0].text()
    assert '"Harbour Supply" at (' in first and f'"{MISSING}"' in first
    assert "asset:img-1 " in first and re.search(
        r"fa-solid fa-bell font-size:2\dpx color:#dc2626 ink 24x24", first
    )
    assert "asset:ID as the image URL" in first

    generated = next(c for c in result.candidates if c.round == 0)
    grounding = generated.grounding
    assert grounding is not None and grounding.brief is not None and grounding.brief["tokens"] > 50
    repaired = {(r["kind"], r["after"]) for r in grounding.repairs}
    assert ("icon", "fa-solid fa-bell") in repaired
    assert ("text", "Harbour Supply") in repaired
    assert ("text", "Order before noon and your crates arrive the same evening.") in repaired
    assert any(kind == "asset" for kind, _ in repaired)
    assert grounding.missing == (MISSING,)
    # The page shows the crop and the icon, and its text is the source's.
    page = generated.page.html
    assert "asset:" not in page and "data:image/" in page and "<svg" in page
    rendered = {box.text for box in generated.render.text_boxes}
    assert "Harbour Supply" in rendered and "Harbour Suply" not in rendered

    # The refinement request asks for the missing line, with the brief again.
    refine = fake_glm.fake.requests[1].text()
    assert "does not show at all" in refine and f'- "{MISSING}"' in refine
    assert "asset:img-1 " in refine

    # Stored for a resumed job, and reported in the result document and the job's notes.
    assert "brief.json" in store.items
    document = result_document(result, [])
    assert document["grounding"]["repaired"]["icon"] == 1
    assert document["rounds"][0]["grounding"]["brief"]["lines_total"] >= 4
    notes = [e.data["message"] for e in events if e.kind == "note"]
    assert any("brief of the source" in n for n in notes) and any(
        "Repaired the model's page" in n for n in notes
    )


async def test_the_repaired_page_scores_above_the_same_answer_unrepaired(
    glm_settings: Settings,
    browser_pool: SealedBrowserPool,
    source_png: bytes,
    fake_glm: FakeGlmServer,
    answers: Path,
) -> None:
    grounded, _ = await _convert(glm_settings, browser_pool, source_png, MemoryStore(), refine_rounds=0)
    plain_settings = glm_settings.model_copy(update={"glm_grounding": False})
    plain, _ = await _convert(plain_settings, browser_pool, source_png, MemoryStore(), refine_rounds=0)
    assert plain.best.grounding is None and "asset:ID" not in fake_glm.fake.requests[-1].text()
    assert grounded.best.score.graphics > plain.best.score.graphics + 5, (
        grounded.best.score.breakdown(),
        plain.best.score.breakdown(),
    )
    assert grounded.best.score.overall > plain.best.score.overall
