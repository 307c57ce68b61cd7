"""Live progress of a job: every event is numbered, persisted and fanned out to subscribers.

Persisting each streamed token on its own would cost one SQLite transaction per token, so deltas
(``thinking``/``answer``) are written in small batches; every other event, and the end of the job,
flushes at once. Subscribers get events straight from memory, so they never wait for a write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .records import StoredEvent

STREAMING_KINDS = frozenset({"thinking", "answer"})
_FLUSH_EVERY = 200  # events
_FLUSH_AFTER_S = 0.5

Flush = Callable[[list[StoredEvent]], Awaitable[None]]


class EventChannel:
    """The events one job emits in this process, from ``first_seq`` on."""

    def __init__(self, job_id: str, first_seq: int, flush: Flush) -> None:
        self.job_id = job_id
        self.first_seq = first_seq
        self.history: list[StoredEvent] = []
        self.done = asyncio.Event()
        self._next_seq = first_seq
        self._flush = flush
        self._pending: list[StoredEvent] = []
        self._last_flush = time.monotonic()
        self._subscribers: set[asyncio.Queue[StoredEvent | None]] = set()

    async def emit(self, kind: str, data: dict[str, Any]) -> StoredEvent:
        event = StoredEvent(self._next_seq, round(time.time(), 3), kind, data)
        self._next_seq += 1
        self.history.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._pending.append(event)
        if (
            kind not in STREAMING_KINDS
            or len(self._pending) >= _FLUSH_EVERY
            or time.monotonic() - self._last_flush > _FLUSH_AFTER_S
        ):
            await self.flush()
        return event

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        self._last_flush = time.monotonic()
        if batch:
            await self._flush(batch)

    async def close(self) -> None:
        """Persist what is pending, then tell every subscriber the stream has ended."""
        await self.flush()
        self.done.set()
        for queue in self._subscribers:
            queue.put_nowait(None)

    def subscribe(self) -> tuple[list[StoredEvent], asyncio.Queue[StoredEvent | None]]:
        """A snapshot of the history and a queue of what follows it (taken atomically)."""
        queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue()
        if self.done.is_set():
            queue.put_nowait(None)
        self._subscribers.add(queue)
        return list(self.history), queue

    def unsubscribe(self, queue: asyncio.Queue[StoredEvent | None]) -> None:
        self._subscribers.discard(queue)
