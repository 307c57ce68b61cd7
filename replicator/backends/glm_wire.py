"""GLM-4.5V's wire format: request bodies, streamed and whole answers, and error mapping.

Pure functions and small state machines, no I/O, so that each can be tested on its own. The facts
they encode are in shared/GLM-4.5V.md.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..errors import (
    ContentFiltered,
    ProviderAccountError,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from ..models import Usage
from .base import AnswerDelta, BackendEvent, FinishReason, ThinkingDelta

FILTERED_MESSAGE = "The request was blocked by the provider's content filter"
_FINISH_REASONS: set[str] = {"stop", "length", "sensitive", "network_error", "tool_calls"}


def build_payload(
    settings: Settings,
    content: list[dict[str, Any]],
    *,
    thinking: bool,
    temperature: float | None = None,
    max_tokens: int | None = None,
    stream: bool = True,
) -> dict[str, Any]:
    """The JSON body of one chat completion: a single user turn holding ``content`` parts."""
    payload: dict[str, Any] = {
        "model": settings.glm_model,
        "messages": [{"role": "user", "content": content}],
        "stream": stream,
        "temperature": settings.glm_temperature if temperature is None else temperature,
        "top_p": settings.glm_top_p,
        "max_tokens": settings.glm_max_tokens if max_tokens is None else max_tokens,
    }
    if settings.glm_thinking_style == "thinking":
        payload["thinking"] = {"type": "enabled" if thinking else "disabled"}
    else:
        # Self-hosted vLLM/SGLang: the chat template's switch. Such OpenAI-compatible servers only
        # report usage in a stream when asked to.
        payload["chat_template_kwargs"] = {"enable_thinking": thinking}
        if stream:
            payload["stream_options"] = {"include_usage": True}
    return payload


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` (the API key) replaced."""
    if secret and secret in text:
        return text.replace(secret, "[redacted]")
    return text


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def provider_error(
    status: int | None,
    body: Any,
    *,
    retry_after: float | None = None,
    secret: str | None = None,
) -> ProviderError:
    """The error for a provider failure, decided by its business code (then by HTTP status)."""
    code, message = _error_fields(body)
    message = redact(message, secret)[:300]
    said = f" (provider code {code}: {message})" if code else (f" ({message})" if message else "")
    details: dict[str, Any] = {"provider_code": code, "http_status": status}
    if retry_after is not None:
        details["retry_after_s"] = retry_after
    number = int(code) if code and code.isdigit() else None

    if (number is not None and 1000 <= number <= 1004) or (number is None and status in (401, 403)):
        return ProviderAuthError(
            f"The provider rejected the API key{said}. Check REPLICATOR_API_KEY "
            "(or ZAI_API_KEY / ZHIPUAI_API_KEY) and that it belongs to this base URL.",
            **details,
        )
    if number == 1113:
        return ProviderAccountError(
            f"The provider account is in arrears{said}. Top up the account; retrying will not help.",
            **details,
        )
    if number in (1112, 1121):
        return ProviderAccountError(f"The provider account is locked{said}. Contact the provider.", **details)
    if number == 1211:
        return ProviderBadRequest(
            f"The provider does not know the model{said}. Check REPLICATOR_GLM_MODEL.", **details
        )
    if number == 1261:
        return ProviderBadRequest(
            f"The prompt is too long for the model{said}. Use a smaller image or fewer key states.", **details
        )
    if number == 1301:
        return ContentFiltered(f"{FILTERED_MESSAGE}{said}.", **details)
    if number in (1302, 1303, 1305) or (number is None and status == 429):
        return ProviderRateLimited(f"The provider is rate limiting our requests{said}.", **details)
    if number == 1312 or (status is not None and status >= 500) or code in {"500", "502", "503", "504"}:
        return ProviderUnavailable(f"The provider is overloaded or failing{said}.", **details)
    if (number is not None and 1200 <= number < 1300) or status in (400, 404, 405, 413, 422):
        return ProviderBadRequest(f"The provider refused the request{said}.", **details)
    return ProviderError(f"The provider failed{said}.", **details)


def _error_fields(body: Any) -> tuple[str | None, str]:
    """(business code, message) from an error body, however it is shaped."""
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return None, " ".join(text.split())[:200]
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        code = error.get("code")
        return (str(code) if code is not None else None), str(error.get("message") or "")
    if isinstance(error, str):
        return None, error
    return None, ""


def cost_of(settings: Settings, prompt_tokens: int, completion_tokens: int) -> float:
    return (
        prompt_tokens * settings.glm_price_input_per_mtok
        + completion_tokens * settings.glm_price_output_per_mtok
    ) / 1_000_000


class ThinkTagSplitter:
    """Routes ``<think>...</think>`` at the start of ``content`` to thinking (self-hosted, no parser).

    The tags may arrive split across chunks, so text that could still be the start of a tag is held
    back until the next chunk decides it.
    """

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self._state = "start"  # start -> thinking -> after_think -> answer
        self._held = ""

    def feed(self, text: str) -> list[BackendEvent]:
        self._held += text
        events: list[BackendEvent] = []
        if self._state == "start":
            stripped = self._held.lstrip()
            if stripped.startswith(self.OPEN):
                self._state = "thinking"
                self._held = stripped[len(self.OPEN) :]
            elif stripped and self.OPEN.startswith(stripped):
                return events  # could still become "<think>"
            elif stripped:
                self._state = "answer"
            else:
                return events  # only whitespace so far
        if self._state == "thinking":
            end = self._held.find(self.CLOSE)
            if end < 0:
                keep = _partial_suffix(self._held, self.CLOSE)
                thought, self._held = (
                    self._held[: len(self._held) - keep],
                    self._held[len(self._held) - keep :],
                )
                if thought:
                    events.append(ThinkingDelta(thought))
                return events
            if end:
                events.append(ThinkingDelta(self._held[:end]))
            self._held = self._held[end + len(self.CLOSE) :]
            self._state = "after_think"
        if self._state == "after_think":
            # The blank lines between </think> and the answer may arrive in later chunks.
            self._held = self._held.lstrip()
            if self._held:
                self._state = "answer"
        if self._state == "answer" and self._held:
            events.append(AnswerDelta(self._held))
            self._held = ""
        return events

    def flush(self) -> list[BackendEvent]:
        """Whatever is held at the end of the answer."""
        held, self._held = self._held, ""
        if not held:
            return []
        return [ThinkingDelta(held)] if self._state == "thinking" else [AnswerDelta(held)]


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


@dataclass
class CompletionDecoder:
    """Turns chat-completion chunks (or one whole completion) into backend events.

    Collects ``finish_reason`` and ``usage`` (which arrive in the last chunk, or in a chunk of their
    own on OpenAI-compatible servers) for the caller to report once the stream ends.
    """

    secret: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    answered: bool = False  # some answer text was produced
    _splitter: ThinkTagSplitter = field(default_factory=ThinkTagSplitter)

    def feed_chunk(self, data: str) -> list[BackendEvent]:
        """Events for one SSE ``data`` payload (already known not to be ``[DONE]``)."""
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise ProviderUnavailable("The provider sent a malformed stream chunk.") from exc
        if not isinstance(chunk, dict):
            raise ProviderUnavailable("The provider sent a malformed stream chunk.")
        if "error" in chunk:
            raise provider_error(None, chunk, secret=self.secret)
        events: list[BackendEvent] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            events.extend(self._texts(delta))
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        return events

    def feed_completion(self, body: Any) -> list[BackendEvent]:
        """Events for a whole (non-streamed) completion."""
        if not isinstance(body, dict) or "error" in body:
            raise provider_error(200, body, secret=self.secret)
        choices = body.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            raise ProviderUnavailable("The provider's answer holds no choices.")
        events = self._texts(choices[0].get("message") or {})
        self.finish_reason = str(choices[0].get("finish_reason") or "stop")
        if isinstance(body.get("usage"), dict):
            self.usage = body["usage"]
        return events + self.finish()

    def finish(self) -> list[BackendEvent]:
        return self._mark(self._splitter.flush())

    def usage_report(self, settings: Settings) -> Usage | None:
        if self.usage is None:
            return None
        prompt = int(self.usage.get("prompt_tokens") or 0)
        completion = int(self.usage.get("completion_tokens") or 0)
        return Usage(prompt, completion, cost_of(settings, prompt, completion))

    def reason(self) -> FinishReason:
        reason = self.finish_reason or "stop"
        return reason if reason in _FINISH_REASONS else "stop"  # type: ignore[return-value]

    def _texts(self, delta: Mapping[str, Any]) -> list[BackendEvent]:
        events: list[BackendEvent] = []
        # vLLM's newer releases call the field ``reasoning``; Zhipu and older vLLM ``reasoning_content``.
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(thought, str) and thought:
            events.append(ThinkingDelta(thought))
        content = delta.get("content")
        if isinstance(content, str) and content:
            events.extend(self._splitter.feed(content))
        return self._mark(events)

    def _mark(self, events: list[BackendEvent]) -> list[BackendEvent]:
        if any(isinstance(e, AnswerDelta) and e.text.strip() for e in events):
            self.answered = True
        return events
