"""The glm backend against the fake GLM-4.5V server over loopback HTTP: scenarios, retries, keys."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from replicator.backends import create_backend
from replicator.backends.base import (
    AnswerDelta,
    BackendEvent,
    Finished,
    GenerateOptions,
    RefineRequest,
    ThinkingDelta,
    UsageReport,
)
from replicator.backends.glm import ConcurrencyLimit, GlmBackend
from replicator.config import Settings
from replicator.errors import (
    ContentFiltered,
    ExtractionError,
    ProviderAccountError,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from replicator.fake_glm import FakeGlmServer
from replicator.intake import image_source
from replicator.models import Box, Discrepancy, KeyState, RenderResult, Score, Source
from tests.plugins.fake_glm import FAKE_KEY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "glm"


class SleepRecorder:
    """Stands in for asyncio.sleep in the backoff: records the delays, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _fixture(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


def _png(width: int = 640, height: int = 400, color: tuple[int, int, int] = (30, 58, 138)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def backend(glm_settings: Settings, sleeps: SleepRecorder):  # type: ignore[no-untyped-def]
    glm = GlmBackend(glm_settings, sleep=sleeps)
    yield glm
    await glm.aclose()


@pytest.fixture
def source(glm_settings: Settings) -> Source:
    return image_source(_png(), glm_settings)


async def _run(
    backend: GlmBackend, source: Source, options: GenerateOptions | None = None
) -> list[BackendEvent]:
    return [event async for event in backend.generate(source, options or GenerateOptions())]


def _texts(events: list[BackendEvent]) -> tuple[str, str]:
    return (
        "".join(e.text for e in events if isinstance(e, ThinkingDelta)),
        "".join(e.text for e in events if isinstance(e, AnswerDelta)),
    )


# --- answers in the model's styles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "fixture"),
    [("normal", "thinking_fenced"), ("box", "box_markers"), ("unfenced", "unfenced"), ("escaped", "escaped")],
)
async def test_answer_styles_arrive_whole_with_thinking_kept_apart(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, scenario: str, fixture: str
) -> None:
    fake_glm.fake.queue(scenario)
    events = await _run(backend, source)
    expected = _fixture(fixture)
    assert _texts(events) == (expected["reasoning_content"], expected["content"])
    assert events[-1] == Finished("stop")
    assert len(fake_glm.fake.requests) == 1 and fake_glm.fake.requests[0].status == 200


async def test_usage_and_cost_come_from_the_last_chunk(backend: GlmBackend, source: Source) -> None:
    events = await _run(backend, source)
    usage = next(e.usage for e in events if isinstance(e, UsageReport))
    assert (usage.prompt_tokens, usage.completion_tokens) == (1843, 1127)
    assert usage.cost_usd == pytest.approx(1843 * 0.6e-6 + 1127 * 1.8e-6)


async def test_think_tags_of_a_self_hosted_server_become_thinking(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.reset(api_key=None, image_encoding="data_url", thinking_style="chat_template_kwargs")
    fake_glm.fake.queue("think-tags")
    settings = glm_settings.model_copy(
        update={
            "api_key": None,
            "glm_image_encoding": "data_url",
            "glm_thinking_style": "chat_template_kwargs",
        }
    )
    glm = GlmBackend(settings)
    try:
        events = await _run(glm, source)
    finally:
        await glm.aclose()
    thinking, answer = _texts(events)
    assert thinking == _fixture("thinking_fenced")["reasoning_content"]
    assert answer.startswith("<|begin_of_box|>```html\n<!DOCTYPE html>") and "<think>" not in answer
    # The OpenAI-compatible server sends usage in a chunk of its own, because it was asked to.
    assert any(isinstance(e, UsageReport) for e in events)
    body = fake_glm.fake.requests[0].body
    assert body["chat_template_kwargs"] == {"enable_thinking": True} and "thinking" not in body
    assert "authorization" not in fake_glm.fake.requests[0].headers
    assert fake_glm.fake.requests[0].image_urls()[0].startswith("data:image/png;base64,")


async def test_truncated_answer_finishes_with_length(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.queue("truncated")
    events = await _run(backend, source)
    assert events[-1] == Finished("length")
    assert _texts(events)[1] == _fixture("truncated")["content"]


async def test_thinking_that_uses_every_token_says_how_to_fix_it(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.queue("think-exhausted")
    with pytest.raises(ExtractionError, match="REPLICATOR_GLM_MAX_TOKENS"):
        await _run(backend, source)
    assert len(fake_glm.fake.requests) == 1


@pytest.mark.parametrize("scenario", ["sensitive", "stream-error-1301", "error-1301"])
async def test_content_filter_fails_at_once_with_a_clear_message(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, scenario: str
) -> None:
    fake_glm.fake.queue(scenario)
    with pytest.raises(ContentFiltered, match="blocked by the provider's content filter"):
        await _run(backend, source)
    assert len(fake_glm.fake.requests) == 1


async def test_non_streamed_answer_is_read_whole(glm_settings: Settings, fake_glm: FakeGlmServer) -> None:
    glm = GlmBackend(glm_settings)
    try:
        status = await glm.check()
    finally:
        await glm.aclose()
    assert "glm-4.5v" in status and "key accepted" in status and FAKE_KEY not in status
    body = fake_glm.fake.requests[0].body
    assert body["stream"] is False and body["thinking"] == {"type": "disabled"}


# --- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    ["error-1302", "error-1303", "error-1305", "error-1312", "error-500", "error-503-html",
     "reset-before-answer", "stream-error-1312"],
)  # fmt: skip
async def test_retryable_failure_then_success_is_retried_once(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, sleeps: SleepRecorder, failure: str
) -> None:
    fake_glm.fake.queue(failure, "normal")
    events = await _run(backend, source)
    assert events[-1] == Finished("stop")
    assert _texts(events)[1] == _fixture("thinking_fenced")["content"]
    assert [r.scenario for r in fake_glm.fake.requests] == [failure, "normal"]
    assert len(sleeps.delays) == 1 and 0 < sleeps.delays[0] <= 0.5


async def test_retries_are_bounded_and_back_off_exponentially(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, sleeps: SleepRecorder
) -> None:
    fake_glm.fake.default_scenario = "error-500"
    with pytest.raises(ProviderUnavailable, match="Gave up after 4 attempts"):
        await _run(backend, source)
    assert len(fake_glm.fake.requests) == 4  # 1 + glm_max_retries (3)
    assert len(sleeps.delays) == 3
    for attempt, delay in enumerate(sleeps.delays, start=1):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling


async def test_retry_after_is_honoured(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, sleeps: SleepRecorder
) -> None:
    fake_glm.fake.retry_after = "7"
    fake_glm.fake.queue("error-1303", "normal")
    await _run(backend, source)
    assert sleeps.delays == [7.0]


async def test_retry_after_beyond_the_deadline_gives_up_without_waiting(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer, sleeps: SleepRecorder
) -> None:
    fake_glm.fake.retry_after = "3600"
    fake_glm.fake.queue("error-1302")
    glm = GlmBackend(glm_settings, sleep=sleeps)
    try:
        with pytest.raises(ProviderTimeout, match="REPLICATOR_GLM_DEADLINE_S"):
            await _run(glm, source)
    finally:
        await glm.aclose()
    assert sleeps.delays == [] and len(fake_glm.fake.requests) == 1


async def test_rate_limit_that_never_ends_is_a_rate_limit_error(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.default_scenario = "error-1302"
    with pytest.raises(ProviderRateLimited, match="1302"):
        await _run(backend, source)
    assert len(fake_glm.fake.requests) == 4


# --- terminal failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "error", "says"),
    [
        ("error-1113", ProviderAccountError, "arrears"),
        ("error-1112", ProviderAccountError, "locked"),
        ("error-1001", ProviderAuthError, "REPLICATOR_API_KEY"),
        ("error-1214", ProviderBadRequest, "1214"),
        ("error-1211", ProviderBadRequest, "REPLICATOR_GLM_MODEL"),
        ("error-1261", ProviderBadRequest, "too long"),
        ("reset-mid-answer", ProviderUnavailable, "middle of the answer"),
    ],
)
async def test_terminal_failure_is_not_retried(
    backend: GlmBackend,
    source: Source,
    fake_glm: FakeGlmServer,
    sleeps: SleepRecorder,
    scenario: str,
    error: type[Exception],
    says: str,
) -> None:
    fake_glm.fake.queue(scenario, "normal")
    with pytest.raises(error, match=says):
        await _run(backend, source)
    assert len(fake_glm.fake.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("scenario", ["stall", "stall-before-headers"])
async def test_stall_longer_than_the_deadline_is_a_timeout(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer, scenario: str
) -> None:
    fake_glm.fake.stall_s = 20
    fake_glm.fake.queue(scenario)
    glm = GlmBackend(glm_settings.model_copy(update={"glm_deadline_s": 1.0}))
    try:
        with pytest.raises(ProviderTimeout, match="within 1 s"):
            await _run(glm, source)
    finally:
        await glm.aclose()
    assert len(fake_glm.fake.requests) == 1


# --- the key ---------------------------------------------------------------------------------------


async def test_wrong_key_is_refused_and_never_shown(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk-wrong-5e1d0c9b8a7f6e5d"
    glm = GlmBackend(glm_settings.model_copy(update={"api_key": SecretStr(wrong)}))
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await _run(glm, source)
    finally:
        await glm.aclose()
    assert caught.value.details["provider_code"] == "1002"
    assert len(fake_glm.fake.requests) == 1
    for text in (str(caught.value), json.dumps(caught.value.to_dict()), repr(glm), caplog.text):
        assert wrong not in text


async def test_key_echoed_by_the_provider_is_redacted(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_glm.fake.queue("error-1002-echo")
    with pytest.raises(ProviderAuthError) as caught:
        await _run(backend, source)
    assert "Bearer" in caught.value.message  # the echo is there, the key is not
    assert FAKE_KEY not in caught.value.message and FAKE_KEY not in caplog.text
    assert FAKE_KEY not in repr(backend) and FAKE_KEY not in repr(backend.settings)


async def test_missing_key_for_a_hosted_api_fails_before_any_request(
    glm_settings: Settings, source: Source
) -> None:
    settings = glm_settings.model_copy(
        update={"api_key": None, "glm_base_url": "https://api.z.ai/api/paas/v4"}
    )
    glm = create_backend("glm", settings)
    with pytest.raises(ProviderAuthError, match="REPLICATOR_API_KEY"):
        await _run(glm, source)  # type: ignore[arg-type]
    with pytest.raises(ProviderAuthError):
        await glm.check()
    await glm.aclose()


# --- what is sent ------------------------------------------------------------------------------------


async def test_request_carries_bearer_key_model_image_and_prompt(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    await _run(backend, source, GenerateOptions(thinking=False, temperature=0.1, max_tokens=4000))
    request = fake_glm.fake.requests[0]
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    body = request.body
    assert (body["model"], body["stream"], body["temperature"], body["max_tokens"]) == (
        "glm-4.5v",
        True,
        0.1,
        4000,
    )
    assert body["thinking"] == {"type": "disabled"}
    kinds = [p["type"] for p in request.parts()]
    assert kinds == ["image_url", "text"]
    sent = base64.b64decode(request.image_urls()[0])
    assert Image.open(io.BytesIO(sent)).size == (640, 400)
    assert "640 x 400 pixels" in request.text()


async def test_client_misconfiguration_is_caught_by_the_fake(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer
) -> None:
    # The server expects data URLs; a client sending bare base64 is refused with 1214, not retried.
    fake_glm.fake.image_encoding = "data_url"
    glm = GlmBackend(glm_settings)
    try:
        with pytest.raises(ProviderBadRequest, match="1214"):
            await _run(glm, source)
    finally:
        await glm.aclose()
    assert fake_glm.fake.requests[0].problem and "data URL" in fake_glm.fake.requests[0].problem


async def test_tall_screenshot_is_sent_as_tiles_in_one_request(
    backend: GlmBackend, glm_settings: Settings, fake_glm: FakeGlmServer
) -> None:
    tall = image_source(_png(1000, 13000, (240, 240, 240)), glm_settings)
    await _run(backend, tall)
    request = fake_glm.fake.requests[0]
    sizes = [Image.open(io.BytesIO(base64.b64decode(u))).size for u in request.image_urls()]
    assert sizes == [(1000, 4334), (1000, 4334), (1000, 4332)]
    assert "3 images above" in request.text() and "top to bottom" in request.text()


def _mp4(path: Path, frames: int = 12) -> Path:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=6)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            image = Image.new("RGB", (64, 48), (index * 20 % 255, 80, 160))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _recording(tmp_path: Path, *, video: Path | None, states: int) -> Source:
    key_states = tuple(
        KeyState(
            index=i,
            timestamp_s=i * 0.5,
            png=_png(320, 200, (i * 3 % 255, 100, 200)),
            click_point=(40.0 + i, 50.0) if i else None,
            changed_region=Box(10, 20, 100, 50) if i else None,
        )
        for i in range(states)
    )
    return Source("recording", _png(320, 200), 320, 200, "video/mp4", "0" * 64, key_states, video, 6.0)


async def test_recording_sends_the_video_alone_when_it_can(
    backend: GlmBackend, fake_glm: FakeGlmServer, tmp_path: Path
) -> None:
    video = _mp4(tmp_path / "clip.mp4")
    await _run(backend, _recording(tmp_path, video=video, states=3))
    request = fake_glm.fake.requests[0]
    kinds = [p["type"] for p in request.parts()]
    assert kinds == ["video_url", "text"]
    url = request.parts()[0]["video_url"]["url"]
    assert (
        url.startswith("data:video/mp4;base64,")
        and base64.b64decode(url.partition(",")[2]) == video.read_bytes()
    )
    assert "The video above is a screen recording" in request.text()
    assert request.status == 200


async def test_recording_without_a_sendable_video_sends_key_states_with_their_timeline(
    backend: GlmBackend, fake_glm: FakeGlmServer, tmp_path: Path
) -> None:
    webm = tmp_path / "clip.webm"
    webm.write_bytes(b"\x1a\x45\xdf\xa3 not sendable")
    await _run(backend, _recording(tmp_path, video=webm, states=60))
    request = fake_glm.fake.requests[0]
    kinds = [p["type"] for p in request.parts()]
    assert kinds.count("image_url") == 50 and "video_url" not in kinds
    text = request.text()
    assert "State 1 at 0.0 s" in text and "State 50 at 29.5 s" in text
    assert "reached by clicking at (41, 50)" in text


async def test_refine_sends_source_render_heatmap_discrepancies_and_html_only(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    render = RenderResult(
        png=_png(640, 400, (255, 255, 255)), width=640, height=400, full_height=400, clamped=False
    )
    score = Score(
        overall=62.5, block=70, text=55, position=60, color=58, typography=81, edges=77, visual=64,
        heatmap_png=_png(640, 400, (255, 0, 0)),
        discrepancies=(Discrepancy("missing_text", "Text 'Pricing' is missing", 3.0, Box(500, 20, 60, 18)),),
    )  # fmt: skip
    html = "<!DOCTYPE html><html><body><h1>Current page</h1></body></html>"
    request = RefineRequest(source=source, render=render, score=score, current_html=html, round=1)
    events = [e async for e in backend.refine(request, GenerateOptions())]
    assert events[-1] == Finished("stop")
    sent = fake_glm.fake.requests[0]
    colors = [
        Image.open(io.BytesIO(base64.b64decode(u))).convert("RGB").getpixel((5, 5)) for u in sent.image_urls()
    ]
    assert colors == [(30, 58, 138), (255, 255, 255), (255, 0, 0)]  # source, render, heatmap
    text = sent.text()
    assert html in text and "Text 'Pricing' is missing" in text and "62.5 out of 100" in text
    assert len(sent.body["messages"]) == 1  # no earlier turn, so no earlier thinking


async def test_concurrency_limit_caps_requests_in_flight(
    glm_settings: Settings, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.chunk_delay_s = 0.001
    for limit in (1, 2):
        fake_glm.fake.max_in_flight = 0
        glm = GlmBackend(glm_settings.model_copy(update={"glm_concurrency": limit}))
        try:
            results = await asyncio.gather(*(_run(glm, source) for _ in range(3)))
        finally:
            await glm.aclose()
        assert all(r[-1] == Finished("stop") for r in results)
        assert fake_glm.fake.max_in_flight == limit


async def test_concurrency_limit_lowers_on_1302_and_recovers_on_success() -> None:
    limit = ConcurrencyLimit(3)
    limit.lower()
    limit.lower()
    limit.lower()
    assert limit.limit == 1  # never below one
    async with limit.slot():
        waiter = asyncio.create_task(_enter(limit))
        await asyncio.sleep(0.05)
        assert not waiter.done()  # the second request waits for the first
    await asyncio.wait_for(waiter, 5)
    await limit.raise_one()
    await limit.raise_one()
    await limit.raise_one()
    assert limit.limit == 3  # back to the configured number, not beyond


async def _enter(limit: ConcurrencyLimit) -> None:
    async with limit.slot():
        pass


async def test_1302_lowers_the_backends_own_concurrency(
    backend: GlmBackend, source: Source, fake_glm: FakeGlmServer
) -> None:
    fake_glm.fake.default_scenario = "error-1302"
    with pytest.raises(ProviderRateLimited):
        await _run(backend, source)
    assert backend._concurrency().limit == 1  # configured 2, lowered while the provider objects
