"""A fake GLM-4.5V chat-completions server for tests and demos (the real API is unreachable here).

It speaks the provider's wire format (JSON and SSE, business error codes), answers with
recorded-style answers from ``fixtures/glm/``, plays scripted failures, and checks every request it
receives the way the real API would (key, model, message shape, image encoding, thinking switch),
answering ``400`` with code ``1214`` when a request is malformed. Scenarios are chosen on the
server side (a queue, then a default), so the client under test needs to know nothing about them.

Run by hand: ``replicator fake-glm --port 8765`` (see ``replicator fake-glm --help``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .config import PROJECT_DIR
from .fake_glm_checks import RequestProblem, check_request

FIXTURES_DIR = PROJECT_DIR / "fixtures" / "glm"

# Answer scenarios: the fixture each one plays.
ANSWERS = {
    "normal": "thinking_fenced",
    "box": "box_markers",
    "unfenced": "unfenced",
    "escaped": "escaped",
    "multi-fence": "multi_fence",
    "think-tags": "think_tags",
    "truncated": "truncated",
    "sensitive": "sensitive",
    "think-exhausted": "think_exhausted",
}
# The normal answer in each stack the prompt may ask for (by its output rules' wording).
STACK_ANSWERS = {
    "html-tailwind": "tailwind_fenced",
    "bootstrap": "bootstrap_fenced",
    "react-tailwind": "react_fenced",
    "vue-tailwind": "vue_fenced",
}
_STACK_ASKS = (
    ("react-tailwind", "Answer with one React function component"),
    ("vue-tailwind", "Answer with one Vue 3 single-file component"),
    ("bootstrap", "Style the page with Bootstrap 5 classes"),
    ("html-tailwind", "Style the page with Tailwind CSS utility classes"),
)


def asked_stack(prompt: str) -> str | None:
    """The stack a prompt's output rules ask for (None: plain HTML + CSS)."""
    return next((stack for stack, words in _STACK_ASKS if words in prompt), None)


# Failure scenarios beyond ``error-<code>`` (any business code; HTTP status from ERROR_STATUS).
FAILURES = {
    "reset-before-answer": "stream some thinking, then drop the connection",
    "reset-mid-answer": "stream thinking and part of the answer, then drop the connection",
    "stream-error-1301": "stream some thinking, then an error object (content filter)",
    "stream-error-1312": "stream some thinking, then an error object (overloaded)",
    "stall": "send the headers and one chunk, then say nothing for stall_s seconds",
    "stall-before-headers": "say nothing for stall_s seconds before answering",
    "error-1002-echo": "401 whose message echoes the Authorization header it received",
    "error-503-html": "503 with an HTML body, as a gateway in front of the API sends",
}
ERROR_STATUS = {1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401, 1113: 429, 1302: 429, 1303: 429}
ERROR_STATUS |= {1305: 429, 1312: 429, 1112: 403, 1121: 403, 500: 500, 502: 502, 503: 503}
ERROR_MESSAGES = {
    1000: "Authentication failed",
    1001: "Authentication parameter not received in Header",
    1002: "Invalid Authentication Token",
    1113: "Your account is in arrears, please recharge and try again",
    1211: "Model does not exist",
    1261: "Prompt exceeds max length",
    1301: "System detected potentially unsafe or sensitive content in input or generation",
    1302: "High concurrency usage of this API, please reduce concurrency or contact customer service",
    1303: "High frequency usage of this API, please reduce frequency or contact customer service",
    1312: "The model is currently overloaded, please try again later",
    500: "Internal Error",
}
# Chunk sizes the answers are cut into, cycled: real streams carry a few tokens per chunk.
_CHUNK_SIZES = (1, 7, 3, 12, 5, 20, 2, 9)


def scenario_names() -> list[str]:
    return [*ANSWERS, *FAILURES, "error-<code>"]


def is_known_scenario(name: str) -> bool:
    if name in ANSWERS or name in FAILURES:
        return True
    return name.startswith("error-") and name.removeprefix("error-").isdigit()


@dataclass
class RecordedRequest:
    """One request as the fake received it, and what it did with it."""

    path: str
    headers: dict[str, str]
    body: Any
    scenario: str
    status: int = 200
    problem: str | None = None

    def image_urls(self) -> list[str]:
        return [p["image_url"]["url"] for p in self.parts() if p.get("type") == "image_url"]

    def parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for message in (self.body or {}).get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                parts.extend(p for p in content if isinstance(p, dict))
        return parts

    def text(self) -> str:
        return "\n".join(p.get("text", "") for p in self.parts() if p.get("type") == "text")


@dataclass
class FakeGlm:
    """The fake's configuration and memory: expected client settings, scenario queue, requests."""

    api_key: str | None = "fake-key"
    model: str = "glm-4.5v"
    image_encoding: Literal["base64", "data_url"] = "base64"
    thinking_style: Literal["thinking", "chat_template_kwargs"] = "thinking"
    default_scenario: str = "normal"
    stall_s: float = 30.0
    chunk_delay_s: float = 0.0
    latency_s: float = 0.0  # time before the answer starts (a model thinking), per request
    retry_after: str | None = None  # Retry-After sent with 429 answers, when set
    fixtures_dir: Path = FIXTURES_DIR
    requests: list[RecordedRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _queue: deque[str] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, *scenarios: str) -> None:
        """Play these scenarios for the next requests, in order, then the default again."""
        unknown = [s for s in scenarios if not is_known_scenario(s)]
        if unknown:
            raise ValueError(f"unknown fake GLM scenarios: {unknown}")
        with self._lock:
            self._queue.extend(scenarios)

    def reset(self, **settings: Any) -> None:
        """Forget requests and queued scenarios; apply new settings (for a fresh test)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.max_in_flight = 0
        defaults = FakeGlm()
        for name in ("api_key", "model", "image_encoding", "thinking_style", "default_scenario", "stall_s"):
            setattr(self, name, settings.pop(name, getattr(defaults, name)))
        for name in ("chunk_delay_s", "latency_s", "retry_after", "fixtures_dir"):
            setattr(self, name, settings.pop(name, getattr(defaults, name)))
        if settings:
            raise TypeError(f"unknown fake GLM settings: {sorted(settings)}")

    def next_scenario(self) -> str:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default_scenario

    def answer(self, name: str) -> dict[str, Any]:
        return self._fixture(ANSWERS[name])

    def answer_for_stack(self, stack: str) -> dict[str, Any]:
        """The normal answer written in ``stack``, as the model answers when the prompt asks for it."""
        return self._fixture(STACK_ANSWERS[stack])

    def _fixture(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.fixtures_dir / f"{name}.json").read_text("utf-8"))
        return data


def create_app(fake: FakeGlm) -> Starlette:
    """The ASGI app: ``POST .../chat/completions`` plus a small control API under ``/_fake``."""

    async def completions(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        scenario = fake.next_scenario()
        record = RecordedRequest(request.url.path, dict(request.headers), body, scenario)
        fake.requests.append(record)
        try:
            check_request(fake, request.headers, body)
        except RequestProblem as problem:
            record.status, record.problem = problem.status, problem.message
            return _error(problem.status, problem.code, problem.message)
        if fake.latency_s:
            await asyncio.sleep(fake.latency_s)
        return await _play(fake, record, body)

    async def control_scenarios(request: Request) -> Response:
        body = await request.json()
        try:
            fake.queue(*body.get("queue", []))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if body.get("default"):
            fake.default_scenario = body["default"]
        return JSONResponse({"queued": body.get("queue", []), "default": fake.default_scenario})

    async def control_requests(request: Request) -> Response:
        return JSONResponse(
            [{"scenario": r.scenario, "status": r.status, "problem": r.problem} for r in fake.requests]
        )

    routes = [
        Route("/api/paas/v4/chat/completions", completions, methods=["POST"]),
        Route("/v1/chat/completions", completions, methods=["POST"]),
        Route("/_fake/scenarios", control_scenarios, methods=["POST"]),
        Route("/_fake/requests", control_requests, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def _error(status: int, code: int | str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": str(code), "message": message}}, status_code=status, headers=headers
    )


async def _play(fake: FakeGlm, record: RecordedRequest, body: dict[str, Any]) -> Response:
    scenario = record.scenario
    stream = bool(body.get("stream"))
    if scenario == "stall-before-headers":
        await asyncio.sleep(fake.stall_s)
    if scenario == "error-1002-echo":
        record.status = 401
        echoed = record.headers.get("authorization", "")
        return _error(401, 1002, f"Invalid Authentication Token: {echoed}")
    if scenario == "error-503-html":
        record.status = 503
        return Response("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", 503)
    if scenario.startswith("error-"):
        code = int(scenario.removeprefix("error-"))
        status = ERROR_STATUS.get(code, 400)
        record.status = status
        headers = {"Retry-After": fake.retry_after} if status == 429 and fake.retry_after else None
        return _error(status, code, ERROR_MESSAGES.get(code, "Request failed"), headers)

    name = scenario if scenario in ANSWERS else "normal"
    stack = asked_stack(record.text()) if name == "normal" else None
    answer = fake.answer_for_stack(stack) if stack else fake.answer(name)
    thinking = _thinking_on(body)
    reasoning = answer["reasoning_content"] if thinking else ""
    content = answer["content"]
    if not thinking and content.startswith("<think>"):
        content = content[content.index("</think>") + len("</think>") :].lstrip("\n")
    usage = _usage(body, answer, reasoning, content)
    if not stream:
        if scenario.startswith(("reset", "stream-error", "stall")) and scenario != "stall-before-headers":
            return _tracked(fake, _broken_json(fake, scenario), "application/json")
        message = {"role": "assistant", "content": content}
        if reasoning:
            message["reasoning_content"] = reasoning
        return JSONResponse(
            {
                **_envelope(fake),
                "choices": [{"index": 0, "finish_reason": answer["finish_reason"], "message": message}],
                "usage": usage,
            }
        )
    include_usage_apart = bool((body.get("stream_options") or {}).get("include_usage"))
    events = _stream(fake, scenario, reasoning, content, answer["finish_reason"], usage, include_usage_apart)
    return _tracked(fake, events, "text/event-stream")


def _tracked(fake: FakeGlm, body: AsyncIterator[str], media_type: str) -> StreamingResponse:
    async def counted() -> AsyncIterator[str]:
        # A request stops counting as in flight once its answer is complete, before its last piece
        # is sent: the client frees its slot on reading that piece and may start its next request
        # while this generator is still being closed (a busy machine made that look like two
        # requests in flight under a limit of one).
        fake.in_flight += 1
        fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        counted_out = False
        try:
            last: str | None = None
            async for piece in body:
                if last is not None:
                    yield last
                last = piece
            fake.in_flight -= 1
            counted_out = True
            if last is not None:
                yield last
        finally:
            if not counted_out:
                fake.in_flight -= 1

    headers = {"Cache-Control": "no-cache"} if media_type == "text/event-stream" else None
    return StreamingResponse(counted(), media_type=media_type, headers=headers)


class _DropConnection(Exception):
    """Raised inside a response body: the server closes the connection mid-body (a reset)."""


async def _stream(
    fake: FakeGlm,
    scenario: str,
    reasoning: str,
    content: str,
    finish_reason: str,
    usage: dict[str, int],
    include_usage_apart: bool,
) -> AsyncIterator[str]:
    envelope = _envelope(fake)
    first = True

    def chunk(delta: dict[str, Any], **extra: Any) -> str:
        nonlocal first
        if first:
            delta = {"role": "assistant", **delta}
            first = False
        return _sse({**envelope, "choices": [{"index": 0, "delta": delta, **extra}]})

    yield ": keep-alive\n\n"
    pieces = list(_pieces(reasoning))
    if scenario in ("stall", "reset-before-answer", "stream-error-1301", "stream-error-1312"):
        pieces = pieces[: max(1, len(pieces) // 4)]
    for number, piece in enumerate(pieces):
        if number == 3:
            # A chunk whose JSON spans two data lines, and an empty event: both legal SSE.
            text = chunk({"reasoning_content": piece})
            head, _, tail = text.removeprefix("data: ").rstrip("\n").partition(",")
            yield f"data: {head},\ndata: {tail}\n\n" if tail else text
            yield "data:\n\n"
            continue
        yield chunk({"reasoning_content": piece})
        if fake.chunk_delay_s:
            await asyncio.sleep(fake.chunk_delay_s)
    if scenario == "stall":
        await asyncio.sleep(fake.stall_s)
    if scenario == "reset-before-answer":
        raise _DropConnection(scenario)
    if scenario.startswith("stream-error-"):
        code = int(scenario.removeprefix("stream-error-"))
        yield _sse({"error": {"code": str(code), "message": ERROR_MESSAGES.get(code, "Request failed")}})
        return
    answer_pieces = list(_pieces(content))
    if scenario == "reset-mid-answer":
        answer_pieces = answer_pieces[: max(1, len(answer_pieces) // 3)]
    for piece in answer_pieces:
        yield chunk({"content": piece})
        if fake.chunk_delay_s:
            await asyncio.sleep(fake.chunk_delay_s)
    if scenario == "reset-mid-answer":
        raise _DropConnection(scenario)
    if include_usage_apart:
        # OpenAI-compatible servers: the finish in the last choice chunk, usage in a chunk of its own.
        yield chunk({"content": ""}, finish_reason=finish_reason)
        yield _sse({**envelope, "choices": [], "usage": usage})
    else:
        yield _sse(
            {
                **envelope,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish_reason,
                        "delta": {"role": "assistant", "content": ""},
                    }
                ],
                "usage": usage,
            }
        )
    yield "data: [DONE]\n\n"


async def _broken_json(fake: FakeGlm, scenario: str) -> AsyncIterator[str]:
    """A whole-JSON answer that breaks off (resets) or never finishes (stalls)."""
    yield '{"id": "'
    if scenario == "stall":
        await asyncio.sleep(fake.stall_s)
    raise _DropConnection(scenario)


def _pieces(text: str) -> Iterable[str]:
    sizes = itertools.cycle(_CHUNK_SIZES)
    position = 0
    while position < len(text):
        size = next(sizes)
        yield text[position : position + size]
        position += size


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _envelope(fake: FakeGlm) -> dict[str, Any]:
    return {
        "id": f"2025{uuid.uuid4().hex[:16]}",
        "created": int(time.time()),
        "model": fake.model,
        "object": "chat.completion.chunk",
    }


def _thinking_on(body: dict[str, Any]) -> bool:
    if "thinking" in body:
        return bool(body["thinking"].get("type") == "enabled")
    kwargs = body.get("chat_template_kwargs") or {}
    return bool(kwargs.get("enable_thinking", True))


def _usage(body: dict[str, Any], answer: dict[str, Any], reasoning: str, content: str) -> dict[str, int]:
    """The fixture's usage when it has one, else a rough count (about 3 characters a token)."""
    if isinstance(answer.get("usage"), dict):
        return dict(answer["usage"])
    text = sum(len(p.get("text", "")) for m in body["messages"] for p in m["content"] if isinstance(p, dict))
    prompt, completion = text // 3 + 1000, (len(reasoning) + len(content)) // 3
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class FakeGlmServer:
    """The fake served by uvicorn on loopback in a background thread (for tests and scripts)."""

    def __init__(self, fake: FakeGlm | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake or FakeGlm()
        config = uvicorn.Config(
            create_app(self.fake),
            host=host,
            port=port,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        """What REPLICATOR_GLM_BASE_URL should be (the part before ``/chat/completions``)."""
        return f"http://{self.host}:{self.port}/api/paas/v4"

    def start(self, timeout_s: float = 10.0) -> FakeGlmServer:
        self._thread = threading.Thread(target=self._server.run, name="fake-glm", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake GLM server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FakeGlmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
