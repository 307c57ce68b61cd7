"""The fake GLM-4.5V server itself: wire format, scenario queue, and the request checks it makes."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from PIL import Image

from replicator.fake_glm import FakeGlm, FakeGlmServer
from tests.plugins.fake_glm import FAKE_KEY

AUTH = {"Authorization": f"Bearer {FAKE_KEY}"}


def _image(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _body(*parts: dict[str, Any], **fields: Any) -> dict[str, Any]:
    content = list(parts) or [{"type": "text", "text": "Make this page."}]
    body: dict[str, Any] = {
        "model": "glm-4.5v",
        "messages": [{"role": "user", "content": content}],
        "stream": False,
        "thinking": {"type": "enabled"},
    }
    body.update(fields)
    return body


def _image_part(data: bytes, *, data_url: str | None = None) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    return {"type": "image_url", "image_url": {"url": f"{data_url},{encoded}" if data_url else encoded}}


def _post(fake_glm: FakeGlmServer, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.post(
            f"{fake_glm.base_url}/chat/completions", json=body, headers=AUTH if headers is None else headers
        )


def _refused(response: httpx.Response, status: int = 400, code: str = "1214") -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    return str(error["message"])


def test_whole_json_answer_has_the_providers_shape(fake_glm: FakeGlmServer) -> None:
    response = _post(fake_glm, _body(_image_part(_image())))
    assert response.status_code == 200
    data = response.json()
    message = data["choices"][0]["message"]
    assert message["role"] == "assistant"
    assert message["reasoning_content"].startswith("Got it")
    assert "```html\n<!DOCTYPE html>" in message["content"]
    assert data["choices"][0]["finish_reason"] == "stop"
    assert set(data["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_thinking_disabled_answers_without_reasoning(fake_glm: FakeGlmServer) -> None:
    message = _post(fake_glm, _body(thinking={"type": "disabled"})).json()["choices"][0]["message"]
    assert "reasoning_content" not in message and message["content"]


def test_stream_is_server_sent_events_ending_with_done(fake_glm: FakeGlmServer) -> None:
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", f"{fake_glm.base_url}/chat/completions", json=_body(stream=True), headers=AUTH
        ) as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = r.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert events[0] == ": keep-alive"
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2].removeprefix("data: "))
    assert last["choices"][0]["finish_reason"] == "stop" and last["usage"]["total_tokens"] > 0
    # Every event is data lines (or a comment); one JSON spans two data lines.
    assert any(e.count("\ndata: ") == 1 for e in events)
    assert all(line.startswith(("data:", ":")) for e in events for line in e.split("\n"))


def test_scenarios_play_from_the_queue_then_the_default(fake_glm: FakeGlmServer) -> None:
    fake_glm.fake.queue("error-1302", "error-1001")
    statuses = [_post(fake_glm, _body()).status_code for _ in range(3)]
    assert statuses == [429, 401, 200]
    assert [r.scenario for r in fake_glm.fake.requests] == ["error-1302", "error-1001", "normal"]
    with pytest.raises(ValueError, match="unknown"):
        fake_glm.fake.queue("no-such-thing")


def test_control_api_queues_scenarios_for_a_separate_process(fake_glm: FakeGlmServer) -> None:
    root = fake_glm.base_url.removesuffix("/api/paas/v4")
    with httpx.Client(timeout=10) as client:
        assert client.post(f"{root}/_fake/scenarios", json={"queue": ["error-1113"]}).status_code == 200
        assert client.post(f"{root}/_fake/scenarios", json={"queue": ["bogus"]}).status_code == 400
    assert _refused(_post(fake_glm, _body()), 429, "1113")
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{root}/_fake/requests").json() == [
            {"scenario": "error-1113", "status": 429, "problem": None}
        ]


def test_rate_limit_sends_retry_after_when_configured(fake_glm: FakeGlmServer) -> None:
    fake_glm.fake.retry_after = "2"
    fake_glm.fake.queue("error-1303")
    response = _post(fake_glm, _body())
    assert response.status_code == 429 and response.headers["retry-after"] == "2"


def test_missing_or_wrong_key_is_refused(fake_glm: FakeGlmServer) -> None:
    assert "not received" in _refused(_post(fake_glm, _body(), headers={}), 401, "1001")
    _refused(_post(fake_glm, _body(), headers={"Authorization": "Bearer nope"}), 401, "1002")
    _refused(_post(fake_glm, _body(), headers={"Authorization": FAKE_KEY}), 401, "1002")


def test_unknown_model_is_1211(fake_glm: FakeGlmServer) -> None:
    _refused(_post(fake_glm, _body(model="glm-4v")), 400, "1211")


@pytest.mark.parametrize(
    ("make_body", "says"),
    [
        (lambda: _body(_image_part(_image(), data_url="data:image/png;base64")), "bare base64"),
        (lambda: _body({"type": "image_url", "image_url": {"url": "@@not base64@@"}}), "base64"),
        (lambda: _body(_image_part(_image("GIF"))), "PNG or JPEG"),
        (lambda: _body(_image_part(_image("PNG", (6001, 20)))), "6000"),
        (lambda: _body(_image_part(b"\x89PNG\r\n\x1a\n" + b"\x00" * 5_000_000)), "5 MB"),
        (lambda: _body(*[_image_part(_image())] * 51), "50 images"),
        (
            lambda: _body(
                _image_part(_image()),
                {"type": "video_url", "video_url": {"url": "data:video/mp4;base64," + base64.b64encode(b"\0\0\0\x18ftypmp42").decode()}},
            ),
            "cannot be mixed",
        ),
        (lambda: _body({"type": "audio", "audio": {}}), "Unknown content part"),
        (lambda: _body({"type": "text", "text": "<think>earlier</think> go"}), "reasoning"),
        (lambda: _body(chat_template_kwargs={"enable_thinking": False}), "chat_template_kwargs"),
        (lambda: _body(thinking={"type": "on"}), "thinking"),
        (lambda: _body(stream="yes"), "stream"),
        (lambda: _body(temperature=1.5), "temperature"),
        (lambda: _body(max_tokens=0), "max_tokens"),
        (lambda: {"model": "glm-4.5v", "messages": []}, "messages"),
    ],
)  # fmt: skip
def test_malformed_requests_are_refused_with_1214(fake_glm: FakeGlmServer, make_body: Any, says: str) -> None:
    message = _refused(_post(fake_glm, make_body()))
    assert says in message
    assert fake_glm.fake.requests[-1].problem == message


def test_data_urls_are_checked_against_their_content(fake_glm: FakeGlmServer) -> None:
    fake_glm.fake.image_encoding = "data_url"
    assert (
        _post(fake_glm, _body(_image_part(_image("JPEG"), data_url="data:image/jpeg;base64"))).status_code
        == 200
    )
    assert "says image/png" in _refused(
        _post(fake_glm, _body(_image_part(_image("JPEG"), data_url="data:image/png;base64")))
    )
    assert "data URLs" in _refused(_post(fake_glm, _body(_image_part(_image()))))


def test_self_hosted_style_wants_chat_template_kwargs_not_thinking(fake_glm: FakeGlmServer) -> None:
    fake_glm.fake.thinking_style = "chat_template_kwargs"
    assert "not thinking" in _refused(_post(fake_glm, _body()))
    body = _body(chat_template_kwargs={"enable_thinking": False})
    del body["thinking"]
    assert _post(fake_glm, body).status_code == 200


def test_every_request_is_recorded(fake_glm: FakeGlmServer) -> None:
    for _ in range(3):
        _post(fake_glm, _body())
    assert len(fake_glm.fake.requests) == 3
    assert fake_glm.fake.requests[0].body["model"] == "glm-4.5v"
    assert fake_glm.fake.requests[0].text() == "Make this page."


def test_server_starts_and_stops_on_an_ephemeral_port() -> None:
    with FakeGlmServer(FakeGlm(api_key=None)) as server:
        assert server.port > 0
        with httpx.Client(timeout=10) as client:
            response = client.post(f"{server.base_url}/chat/completions", json=_body())
        assert response.status_code == 200
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2) as client:
        client.post(f"{server.base_url}/chat/completions", json=_body())


def test_fake_glm_command_serves_until_stopped() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-c",
        "from replicator.cli import main; main()",
        "fake-glm",
        "--port",
        "0",
        "--scenario",
        "error-1113,normal",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "Fake GLM-4.5V listening on http://127.0.0.1:" in line
        base_url = line.split(" on ", 1)[1].strip()
        with httpx.Client(timeout=10, headers={"Authorization": "Bearer fake-key"}) as client:
            first = client.post(f"{base_url}/chat/completions", json=_body())
            second = client.post(f"{base_url}/chat/completions", json=_body())
        assert (first.status_code, first.json()["error"]["code"]) == (429, "1113")
        assert second.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
