"""The job queue of a deployment on several machines: Procrastinate on the same PostgreSQL as the
job records (``REPLICATOR_DATABASE_URL``).

The API process defers one ``replicator.run_job`` task per submitted job; ``replicator worker``
processes (any number, on any machine that reaches the database) run them. Procrastinate's own
schema is created by ``replicator db migrate`` with ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

QUEUE = "replicator"
TASK = "replicator.run_job"

# What a worker does with a job id; set by ``replicator worker`` before the worker starts.
Runner = Callable[[str], Awaitable[None]]


def make_app(url: str, runner: Runner | None = None) -> Any:
    """A Procrastinate app on ``url`` with the one task; ``runner`` runs it (workers only)."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name=TASK, queue=QUEUE, pass_context=False)
    async def run_job(job_id: str) -> None:
        if runner is None:
            raise RuntimeError("this process only defers jobs")
        await runner(job_id)

    return app


def apply_queue_schema(url: str) -> bool:
    """Create Procrastinate's tables when the database has none; True if they were created."""
    import procrastinate
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    if row is not None and row[0] is not None:
        return False
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=url))
    with app.open():
        app.schema_manager.apply_schema()
    return True


def has_queue_schema(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as db:
        row = db.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    return row is not None and row[0] is not None


class Listener:
    """Wakes the waiters of a job when another process announces its events (LISTEN), with a poll
    every ``poll_s`` seconds as a safety net should a notification be missed (a reconnect)."""

    def __init__(self, url: str, channel: str, poll_s: float = 1.0) -> None:
        self.url = url
        self.channel = channel
        self.poll_s = poll_s
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="replicator-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait(self, job_id: str, timeout: float) -> None:
        """Until the job's next announcement, ``timeout`` or the poll interval, whichever is first."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), min(timeout, self.poll_s))
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    self._waiters.pop(job_id, None)

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as db:
                    await db.execute(f"LISTEN {self.channel}")
                    async for note in db.notifies():
                        for event in self._waiters.get(note.payload, ()):
                            event.set()
            except psycopg.OperationalError as exc:
                log.warning("event listener lost the database (%s); reconnecting", exc)
                await asyncio.sleep(1.0)
