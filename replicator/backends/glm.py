"""The ``glm`` backend: GLM-4.5V over its chat-completions API (BigModel, Z.ai or self-hosted).

One code path for every deployment; what differs (base URL, key, image encoding, thinking switch)
comes from Settings. Wire details live in ``glm_wire`` (bodies, chunks, errors) and ``glm_media``
(images and video within the provider's limits).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from ..config import Settings
from ..errors import (
    ContentFiltered,
    ExtractionError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from ..models import Source
from . import glm_request, glm_wire
from .base import (
    AnswerDelta,
    Backend,
    BackendEvent,
    BriefReport,
    Finished,
    GenerateOptions,
    RefineRequest,
    UsageReport,
)

log = logging.getLogger(__name__)

# Hosts that always need a key: fail before sending anything when none is set.
_HOSTED = ("open.bigmodel.cn", "api.z.ai")
_BACKOFF_CAP_S = 30.0

Sleep = Callable[[float], Awaitable[None]]


def missing_key(settings: Settings) -> str | None:
    """Why the GLM backend cannot be called as configured (a hosted endpoint and no API key), or None.

    A self-hosted endpoint may need no key, so only the hosted ones are refused up front."""
    host = urlsplit(settings.glm_base_url).hostname or ""
    if settings.api_key is None and any(host == h or host.endswith("." + h) for h in _HOSTED):
        return f"No API key is set for {host}. Set REPLICATOR_API_KEY (or ZAI_API_KEY / ZHIPUAI_API_KEY)."
    return None


class ConcurrencyLimit:
    """Requests in flight at once: at most the configured number, lowered while the provider
    answers 1302 (concurrency too high) and raised back one step per success."""

    def __init__(self, limit: int) -> None:
        self.max = limit
        self.limit = limit
        self.in_flight = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def lower(self) -> None:
        self.limit = max(1, self.limit - 1)

    async def raise_one(self) -> None:
        if self.limit < self.max:
            async with self._changed:
                self.limit += 1
                self._changed.notify_all()


class GlmBackend(Backend):
    """GLM-4.5V: streamed generation and refinement with retries, a deadline and a concurrency cap."""

    name = "glm"
    can_refine = True
    accepts_video = True
    fixes_interactions = True
    follows_instructions = True

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        backoff_base_s: float = 0.5,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._sleep = sleep
        self._backoff_base_s = backoff_base_s
        self._client: httpx.AsyncClient | None = None
        self._limit: ConcurrencyLimit | None = None
        self.url = settings.glm_base_url.rstrip("/") + "/chat/completions"

    def __repr__(self) -> str:
        # Never the key: only where requests go and for which model.
        return f"GlmBackend(url={self.url!r}, model={self.settings.glm_model!r})"

    # --- Backend interface -----------------------------------------------------------------------

    @property
    def grounded(self) -> bool:
        return self.settings.glm_grounding

    async def generate(self, source: Source, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        content, brief = await asyncio.to_thread(glm_request.generate_request, self.settings, source, options)
        if options.variant:
            # Another candidate of the same page: warmer sampling and a different emphasis.
            content = glm_request.with_emphasis(content, options.variant)
            if options.temperature is None:
                warmer = min(1.0, self.settings.glm_temperature + 0.2 * options.variant)
                options = dataclasses.replace(options, temperature=warmer)
        if brief is not None:
            yield BriefReport(brief)
        async for event in self._complete(content, options):
            yield event

    async def refine(self, request: RefineRequest, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        content, brief = await asyncio.to_thread(glm_request.refine_request, self.settings, request, options)
        if brief is not None:
            yield BriefReport(brief)
        async for event in self._complete(content, options):
            yield event

    async def check(self) -> str:
        """One minimal, unthinking request: proves the URL, the model name and the key."""
        payload = glm_wire.build_payload(
            self.settings,
            [{"type": "text", "text": "Reply with the single word: ok"}],
            thinking=False,
            max_tokens=16,
            stream=False,
        )
        tokens = 0
        try:
            # One retry at most: a person is waiting for the verdict.
            async for event in self._with_retries(payload, max_retries=1):
                if isinstance(event, UsageReport):
                    tokens = event.usage.total_tokens
        except ExtractionError:
            pass  # the tiny budget ran out before an answer: the call itself worked
        return f"{self.settings.glm_model} at {self.settings.glm_base_url} answered ({tokens} tokens); key accepted"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- the call ----------------------------------------------------------------------------------

    async def _complete(
        self, content: list[dict[str, Any]], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        payload = glm_wire.build_payload(
            self.settings,
            content,
            thinking=options.thinking and self.settings.glm_thinking,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
        )
        async for event in self._with_retries(payload):
            yield event

    async def _with_retries(
        self, payload: dict[str, Any], *, max_retries: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """One completion; retryable failures before any answer text are retried with backoff.

        Thinking streamed by a failed attempt is streamed again by the retry (consumers show it,
        never keep it); answer text is never repeated: a failure after it is final.
        """
        self._require_key()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.glm_deadline_s
        limit = self._concurrency()
        attempt = 0
        while True:
            answered = False
            try:
                async with limit.slot():
                    async for event in self._attempt(payload, deadline):
                        if isinstance(event, AnswerDelta) and event.text.strip():
                            answered = True
                        yield event
                await limit.raise_one()
                return
            except ProviderError as exc:
                if isinstance(exc, ProviderRateLimited) and exc.details.get("provider_code") == "1302":
                    limit.lower()
                if not exc.retryable:
                    raise
                if answered:
                    # The consumer already has part of this answer: a retry would repeat it.
                    raise ProviderUnavailable(
                        f"The connection to the provider broke in the middle of the answer: {exc.message}",
                        **exc.details,
                    ) from exc
                attempt += 1
                if attempt > (self.settings.glm_max_retries if max_retries is None else max_retries):
                    message = exc.message.rstrip(". ")
                    raise type(exc)(f"{message}. Gave up after {attempt} attempts.", **exc.details) from exc
                delay = self._backoff(attempt, exc.details.get("retry_after_s"))
                if loop.time() + delay >= deadline:
                    raise ProviderTimeout(
                        f"No answer within the {self.settings.glm_deadline_s:g} s deadline "
                        f"(REPLICATOR_GLM_DEADLINE_S); last failure: {exc.message}"
                    ) from exc
                log.warning(
                    "GLM attempt %d failed (%s); retrying in %.2f s",
                    attempt,
                    exc.details.get("provider_code") or exc.code,
                    delay,
                )
                await self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never shorter than the provider's Retry-After."""
        ceiling = min(_BACKOFF_CAP_S, self._backoff_base_s * 2 ** (attempt - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        return max(delay, retry_after or 0.0)

    async def _attempt(self, payload: dict[str, Any], deadline: float) -> AsyncIterator[BackendEvent]:
        """One HTTP request, streamed or whole, turned into events; failures become ProviderErrors."""
        client = self._http()
        secret = self._secret()
        request = client.build_request(
            "POST", self.url, json=payload, headers={"Accept": "text/event-stream, application/json"}
        )
        try:
            async with asyncio.timeout_at(deadline):
                response = await client.send(request, stream=True)
        except TimeoutError as exc:
            raise self._deadline_error() from exc
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        try:
            if response.status_code >= 400:
                body = await self._read(response, deadline)
                raise glm_wire.provider_error(
                    response.status_code,
                    body,
                    retry_after=glm_wire.retry_after_seconds(response.headers.get("retry-after")),
                    secret=secret,
                )
            decoder = glm_wire.CompletionDecoder(secret=secret)
            if "text/event-stream" in response.headers.get("content-type", ""):
                async for event in self._stream_events(response, decoder, deadline):
                    yield event
            else:
                body = await self._read(response, deadline)
                try:
                    parsed = httpx.Response(200, content=body).json()
                except ValueError as exc:
                    raise ProviderUnavailable("The provider's answer is not JSON.") from exc
                for event in decoder.feed_completion(parsed):
                    yield event
            for event in self._ending(decoder):
                yield event
        finally:
            await response.aclose()

    async def _stream_events(
        self, response: httpx.Response, decoder: glm_wire.CompletionDecoder, deadline: float
    ) -> AsyncIterator[BackendEvent]:
        events = EventSource(response).aiter_sse()
        done = False
        try:
            while True:
                try:
                    # The deadline covers each wait for the network, never the consumer's time.
                    async with asyncio.timeout_at(deadline):
                        sse = await anext(events)
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise self._deadline_error() from exc
                except httpx.HTTPError as exc:
                    raise _transport_error(exc) from exc
                data = sse.data.strip()
                if not data:
                    continue  # an empty event (keep-alive comments never reach here)
                if data == "[DONE]":
                    done = True
                    break
                for event in decoder.feed_chunk(data):
                    yield event
        finally:
            await events.aclose()
        if not done and decoder.finish_reason is None:
            raise ProviderUnavailable("The provider's stream ended before the answer was complete.")
        for event in decoder.finish():
            yield event

    def _ending(self, decoder: glm_wire.CompletionDecoder) -> list[BackendEvent]:
        """Usage, then the finish (or the error a finish_reason stands for)."""
        events: list[BackendEvent] = []
        usage = decoder.usage_report(self.settings)
        if usage is not None:
            events.append(UsageReport(usage))
        reason = decoder.reason()
        if reason == "sensitive":
            raise ContentFiltered(f"{glm_wire.FILTERED_MESSAGE} (finish_reason: sensitive).")
        if reason == "network_error" and not decoder.answered:
            raise ProviderUnavailable("The provider reported a network error before answering.")
        if reason == "length" and not decoder.answered:
            raise ExtractionError(
                "The model spent its whole token budget thinking and wrote no answer. Raise "
                "REPLICATOR_GLM_MAX_TOKENS or turn thinking off (REPLICATOR_GLM_THINKING=false)."
            )
        events.append(Finished(reason))
        return events

    async def _read(self, response: httpx.Response, deadline: float) -> bytes:
        try:
            async with asyncio.timeout_at(deadline):
                return await response.aread()
        except TimeoutError as exc:
            raise self._deadline_error() from exc
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc

    # --- plumbing ----------------------------------------------------------------------------------

    def _deadline_error(self) -> ProviderTimeout:
        return ProviderTimeout(
            f"The provider gave no complete answer within {self.settings.glm_deadline_s:g} s "
            "(REPLICATOR_GLM_DEADLINE_S)."
        )

    def _secret(self) -> str | None:
        return self.settings.api_key.get_secret_value() if self.settings.api_key else None

    def _require_key(self) -> None:
        missing = missing_key(self.settings)
        if missing:
            raise ProviderAuthError(missing)

    def _concurrency(self) -> ConcurrencyLimit:
        if self._limit is None:
            self._limit = ConcurrencyLimit(self.settings.glm_concurrency)
        return self._limit

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            s = self.settings
            headers = {"Content-Type": "application/json"}
            secret = self._secret()
            if secret:
                headers["Authorization"] = f"Bearer {secret}"
            self._client = httpx.AsyncClient(
                headers=headers,
                timeout=httpx.Timeout(s.glm_read_timeout_s, connect=s.glm_connect_timeout_s),
                limits=httpx.Limits(max_connections=max(2, s.glm_concurrency * 2)),
                transport=self._transport,
                follow_redirects=False,
            )
        return self._client


def _transport_error(exc: httpx.HTTPError) -> ProviderError:
    """A network failure as a retryable provider error (the URL is safe to show; the key is a header)."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderUnavailable(f"The provider stopped responding ({type(exc).__name__}).")
    if isinstance(exc, httpx.ConnectError):
        return ProviderUnavailable(f"Could not connect to the provider (REPLICATOR_GLM_BASE_URL): {exc}")
    return ProviderUnavailable(f"The connection to the provider failed ({type(exc).__name__}: {exc}).")
