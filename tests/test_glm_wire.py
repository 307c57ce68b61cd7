"""GLM-4.5V wire format: SSE decoding (through httpx's MockTransport), chunks, errors, payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from replicator.backends.base import (
    AnswerDelta,
    BackendEvent,
    Finished,
    GenerateOptions,
    ThinkingDelta,
    UsageReport,
)
from replicator.backends.glm import GlmBackend
from replicator.backends.glm_wire import (
    ThinkTagSplitter,
    build_payload,
    provider_error,
    redact,
    retry_after_seconds,
)
from replicator.config import Settings
from replicator.errors import (
    ContentFiltered,
    ProviderAccountError,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from replicator.intake import image_source

KEY = "sk-wire-test-0123456789"


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "backend": "glm",
        "glm_base_url": "http://glm.test/api/paas/v4",
        "api_key": KEY,
        "glm_max_retries": 2,
        "glm_deadline_s": 10.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _chunk(delta: dict[str, object] | None = None, **extra: object) -> dict[str, object]:
    choice: dict[str, object] = {"index": 0, "delta": delta or {}}
    choice.update({k: v for k, v in extra.items() if k == "finish_reason"})
    body: dict[str, object] = {"id": "1", "model": "glm-4.5v", "choices": [choice]}
    if "usage" in extra:
        body["usage"] = extra["usage"]
    return body


def _sse(*chunks: dict[str, object], done: bool = True, newline: str = "\n") -> bytes:
    text = "".join(f"data: {json.dumps(c, ensure_ascii=False)}{newline}{newline}" for c in chunks)
    if done:
        text += f"data: [DONE]{newline}{newline}"
    return text.encode()


USAGE = {"prompt_tokens": 1000, "completion_tokens": 2000, "total_tokens": 3000}
STANDARD = (
    _chunk({"role": "assistant", "reasoning_content": "Let me look. "}),
    _chunk({"reasoning_content": "A header, 你好 then cards."}),
    _chunk({"content": "<|begin_of_box|>```html\n<!DOCTYPE html><p>héllo 世界</p>"}),
    _chunk({"content": "\n```<|end_of_box|>"}),
    _chunk({"content": ""}, finish_reason="stop", usage=USAGE),
)


def _split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class Replies:
    """A MockTransport handler answering each request with the next scripted reply."""

    def __init__(self, *replies: Callable[[], httpx.Response]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.replies[min(len(self.requests), len(self.replies)) - 1]()


def stream_reply(
    pieces: list[bytes], *, status: int = 200, fail_after: bool = False
) -> Callable[[], httpx.Response]:
    def make() -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece
            if fail_after:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )

        return httpx.Response(status, headers={"content-type": "text/event-stream"}, content=body())

    return make


def json_reply(
    status: int, body: object, headers: dict[str, str] | None = None
) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(status, json=body, headers=headers)


async def _no_sleep(delay: float) -> None:
    return None


async def _events(replies: Replies, **settings: object) -> list[BackendEvent]:
    config = _settings(**settings)
    backend = GlmBackend(config, transport=httpx.MockTransport(replies), sleep=_no_sleep)
    source = image_source(_tiny_png(), config)
    try:
        return [event async for event in backend.generate(source, GenerateOptions())]
    finally:
        await backend.aclose()


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 40, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _texts(events: list[BackendEvent]) -> tuple[str, str]:
    thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    return thinking, answer


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 100_000])
async def test_stream_split_anywhere_keeps_thinking_and_answer_apart(size: int) -> None:
    # Splits at every byte boundary, including inside multi-byte UTF-8 characters and "\n\n".
    replies = Replies(stream_reply(_split_every(_sse(*STANDARD), size)))
    events = await _events(replies)
    thinking, answer = _texts(events)
    assert thinking == "Let me look. A header, 你好 then cards."
    assert answer == "<|begin_of_box|>```html\n<!DOCTYPE html><p>héllo 世界</p>\n```<|end_of_box|>"
    assert isinstance(events[-2], UsageReport) and isinstance(events[-1], Finished)
    assert events[-1].reason == "stop"
    usage = events[-2].usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (1000, 2000)
    assert usage.cost_usd == pytest.approx((1000 * 0.6 + 2000 * 1.8) / 1e6)


async def test_stream_tolerates_crlf_comments_empty_events_and_multiline_data() -> None:
    first = json.dumps(_chunk({"reasoning_content": "think"}))
    head, _, tail = first.partition(",")
    raw = (
        ": keep-alive\r\n\r\n"
        f"data: {head},\r\ndata: {tail}\r\n\r\n"
        "data:\r\n\r\n"
        "\r\n\r\n"
        ": another comment\r\n"
        f"data: {json.dumps(_chunk({'content': '<html>ok</html>'}))}\r\n\r\n"
        f"event: message\r\ndata: {json.dumps(_chunk(finish_reason='stop', usage=USAGE))}\r\n\r\n"
        "data: [DONE]\r\n\r\n"
    ).encode()
    events = await _events(Replies(stream_reply(_split_every(raw, 5))))
    assert _texts(events) == ("think", "<html>ok</html>")
    assert events[-1] == Finished("stop")


async def test_usage_in_a_chunk_of_its_own_after_the_finish_is_reported() -> None:
    # OpenAI-compatible servers (vLLM with include_usage): empty choices, usage alone.
    raw = _sse(
        _chunk({"content": "<html></html>"}), _chunk(finish_reason="stop"), {"choices": [], "usage": USAGE}
    )
    events = await _events(Replies(stream_reply([raw])))
    usage = next(e for e in events if isinstance(e, UsageReport))
    assert usage.usage.completion_tokens == 2000
    assert events[-1] == Finished("stop")


async def test_reasoning_field_of_newer_vllm_is_thinking() -> None:
    raw = _sse(_chunk({"reasoning": "hmm"}), _chunk({"content": "<html></html>"}, finish_reason="stop"))
    events = await _events(Replies(stream_reply([raw])))
    assert _texts(events) == ("hmm", "<html></html>")


async def test_think_tags_in_content_go_to_thinking_even_split_across_chunks() -> None:
    content = "<think>plan the layout</think>\n<html>done</html>"
    chunks = [_chunk({"content": content[i : i + 3]}) for i in range(0, len(content), 3)]
    events = await _events(Replies(stream_reply([_sse(*chunks, _chunk(finish_reason="stop"))])))
    assert _texts(events) == ("plan the layout", "<html>done</html>")


async def test_error_object_mid_stream_is_mapped_and_not_retried_when_terminal() -> None:
    raw = _sse(
        _chunk({"reasoning_content": "x"}), {"error": {"code": "1301", "message": "unsafe"}}, done=False
    )
    replies = Replies(stream_reply([raw]))
    with pytest.raises(ContentFiltered, match="blocked by the provider's content filter"):
        await _events(replies)
    assert len(replies.requests) == 1


async def test_retryable_error_mid_stream_before_the_answer_is_retried() -> None:
    broken = _sse(
        _chunk({"reasoning_content": "x"}), {"error": {"code": "1312", "message": "overloaded"}}, done=False
    )
    replies = Replies(stream_reply([broken]), stream_reply([_sse(*STANDARD)]))
    events = await _events(replies)
    assert len(replies.requests) == 2
    assert events[-1] == Finished("stop")


async def test_stream_that_ends_without_finish_or_done_is_an_error_after_retries() -> None:
    replies = Replies(stream_reply([_sse(_chunk({"reasoning_content": "x"}), done=False)]))
    with pytest.raises(ProviderUnavailable, match="Gave up after 3 attempts"):
        await _events(replies, glm_max_retries=2)
    assert len(replies.requests) == 3


async def test_connection_reset_after_answer_text_fails_without_retry() -> None:
    raw = _sse(_chunk({"content": "<html><body>half"}), done=False)
    replies = Replies(stream_reply([raw], fail_after=True), stream_reply([_sse(*STANDARD)]))
    with pytest.raises(ProviderUnavailable, match="middle of the answer"):
        await _events(replies)
    assert len(replies.requests) == 1


async def test_whole_json_answer_is_accepted_for_a_streamed_request() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {"reasoning_content": "r", "content": "<html>"},
            }
        ],
        "usage": USAGE,
    }
    events = await _events(Replies(json_reply(200, body)))
    assert _texts(events) == ("r", "<html>")
    assert events[-1] == Finished("length")


async def test_malformed_chunk_is_a_retryable_provider_fault() -> None:
    replies = Replies(stream_reply([b"data: {not json\n\n"]), stream_reply([_sse(*STANDARD)]))
    events = await _events(replies)
    assert len(replies.requests) == 2 and events[-1] == Finished("stop")


@pytest.mark.parametrize(
    ("status", "code", "expected", "retryable"),
    [
        (401, "1000", ProviderAuthError, False),
        (401, "1001", ProviderAuthError, False),
        (401, "1004", ProviderAuthError, False),
        (403, "1112", ProviderAccountError, False),
        (429, "1113", ProviderAccountError, False),
        (403, "1121", ProviderAccountError, False),
        (400, "1210", ProviderBadRequest, False),
        (400, "1211", ProviderBadRequest, False),
        (400, "1213", ProviderBadRequest, False),
        (400, "1214", ProviderBadRequest, False),
        (400, "1261", ProviderBadRequest, False),
        (400, "1301", ContentFiltered, False),
        (429, "1302", ProviderRateLimited, True),
        (429, "1303", ProviderRateLimited, True),
        (429, "1305", ProviderRateLimited, True),
        (429, "1312", ProviderUnavailable, True),
        (500, "500", ProviderUnavailable, True),
        (502, None, ProviderUnavailable, True),
        (401, None, ProviderAuthError, False),
        (429, None, ProviderRateLimited, True),
        (404, None, ProviderBadRequest, False),
    ],
)
def test_errors_are_decided_by_business_code(
    status: int, code: str | None, expected: type[ProviderError], retryable: bool
) -> None:
    body = {"error": {"code": code, "message": "m"}} if code else "<html>gateway</html>"
    error = provider_error(status, json.dumps(body) if code else body)
    assert type(error) is expected
    assert error.retryable is retryable
    assert error.details["provider_code"] == code


def test_auth_error_tells_the_user_which_setting_to_check() -> None:
    error = provider_error(401, {"error": {"code": "1002", "message": "Invalid token"}})
    assert "REPLICATOR_API_KEY" in error.message and "1002" in error.message


def test_provider_message_never_carries_the_key() -> None:
    error = provider_error(401, {"error": {"code": "1002", "message": f"bad token Bearer {KEY}"}}, secret=KEY)
    assert KEY not in error.message and KEY not in json.dumps(error.to_dict())
    assert redact(f"x{KEY}y", KEY) == "x[redacted]y" and redact("abc", None) == "abc"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 <= (retry_after_seconds(format_datetime(when, usegmt=True)) or 0) <= 31


def test_payload_uses_the_thinking_field_for_hosted_apis() -> None:
    payload = build_payload(_settings(), [{"type": "text", "text": "hi"}], thinking=False, temperature=0.1)
    assert payload["thinking"] == {"type": "disabled"}
    assert "chat_template_kwargs" not in payload and "stream_options" not in payload
    assert (payload["model"], payload["stream"], payload["temperature"], payload["top_p"]) == (
        "glm-4.5v",
        True,
        0.1,
        0.6,
    )
    assert payload["max_tokens"] == 16384
    assert payload["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def test_payload_uses_chat_template_kwargs_for_self_hosted_servers() -> None:
    settings = _settings(glm_thinking_style="chat_template_kwargs")
    payload = build_payload(settings, [{"type": "text", "text": "hi"}], thinking=True, max_tokens=999)
    assert payload["chat_template_kwargs"] == {"enable_thinking": True}
    assert payload["stream_options"] == {"include_usage": True}
    assert "thinking" not in payload and payload["max_tokens"] == 999


def _split_all(text: str, splitter: ThinkTagSplitter, size: int) -> tuple[str, str]:
    events: list[BackendEvent] = []
    for i in range(0, len(text), size):
        events.extend(splitter.feed(text[i : i + size]))
    events.extend(splitter.flush())
    return _texts(events)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000])
def test_think_splitter_handles_tags_cut_at_any_point(size: int) -> None:
    text = "  <think>step one\nstep </thin two</think>\n\n<!DOCTYPE html><html></html>"
    assert _split_all(text, ThinkTagSplitter(), size) == (
        "step one\nstep </thin two",
        "<!DOCTYPE html><html></html>",
    )


@pytest.mark.parametrize(
    "text", ["<table><tr></tr></table>", "<thead>x", "plain prose <think>not a tag</think>", "<"]
)
def test_think_splitter_leaves_answers_without_a_leading_think_alone(text: str) -> None:
    for size in (1, 2, 100):
        assert _split_all(text, ThinkTagSplitter(), size) == ("", text)


def test_think_splitter_flushes_an_unclosed_think_as_thinking() -> None:
    assert _split_all("<think>cut off mid thou", ThinkTagSplitter(), 4) == ("cut off mid thou", "")
