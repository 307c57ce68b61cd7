"""``replicator worker``: run queued jobs of a deployment on several machines (``REPLICATOR_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from typing import TYPE_CHECKING, Any

import typer

from ..errors import ConfigurationError
from . import command
from ._common import load_settings, stderr_console

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)
_RESTART_PAUSE_S = 2.0
# Touched at every heartbeat that reached the database (``<data_dir>/worker.alive``): what a
# container health check looks at (compose.yaml).
ALIVE_FILE = "worker.alive"
# How often a worker looks for jobs when no notification came (one is missed while the database
# restarts): a cheap query.
_FETCH_POLL_S = 2.0


@command("worker")
def worker_command(
    concurrency: int = typer.Option(
        2, "--concurrency", "-c", min=1, max=64, help="Jobs this worker runs at once."
    ),
) -> None:
    """Take jobs from the queue in PostgreSQL and run them, until stopped (Ctrl-C or SIGTERM finish the
    jobs in hand first). Start as many workers, on as many machines, as the work needs."""
    settings = load_settings()
    if not settings.database_url:
        raise ConfigurationError(
            "A worker needs the job database: set REPLICATOR_DATABASE_URL (postgresql://...)."
        )
    from ..jobs.pg_store import PgJobStore, redacted

    PgJobStore(settings.database_url).close()  # reachable and migrated, or one clear line
    name = f"{socket.gethostname()}-{os.getpid()}"
    stderr_console().print(
        f"replicator worker {name}: {concurrency} job(s) at a time from {redacted(settings.database_url)}"
    )
    asyncio.run(_work(settings.database_url, concurrency, name))


async def _work(url: str, concurrency: int, name: str) -> None:
    from ..jobs import JobManager
    from ..jobs.queue import make_app
    from ..runtime import Runtime

    settings = load_settings()
    console = stderr_console()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Runtime(settings) as runtime:
        manager = JobManager(settings, runtime, role="worker")
        await manager.start()

        async def run(job_id: str) -> None:
            console.print(f"running job {job_id}")
            await manager.execute(job_id)
            job = await manager.get(job_id)
            console.print(f"job {job_id}: {job.state}")

        app = make_app(url, runner=run)
        try:
            async with app.open_async():
                reaper = asyncio.create_task(_retry_stalled(app, settings, console), name="replicator-reaper")
                try:
                    await _supervise(app, concurrency, name, settings, stop, console)
                finally:
                    reaper.cancel()
                    await asyncio.gather(reaper, return_exceptions=True)
        finally:
            await manager.close()


async def _supervise(
    app: Any, concurrency: int, name: str, settings: Settings, stop: asyncio.Event, console: Any
) -> None:
    """Run Procrastinate's worker until asked to stop. It ends by itself when it loses the database
    (its heartbeat fails): start it again, so a database restart costs a pause, not the process.
    Jobs in hand go on meanwhile (the job store reconnects by itself)."""
    from ..jobs.queue import QUEUE

    while not stop.is_set():
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=concurrency,
                queues=[QUEUE],
                name=name,
                install_signal_handlers=False,
                fetch_job_polling_interval=_FETCH_POLL_S,
                update_heartbeat_interval=settings.worker_heartbeat_s,
                stalled_worker_timeout=settings.worker_stalled_s,
            ),
            name="replicator-queue-worker",
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            worker.cancel()  # Procrastinate's graceful stop: the jobs in hand finish first
            await asyncio.gather(worker, return_exceptions=True)
            return
        stopping.cancel()
        problem = None if worker.cancelled() else worker.exception()
        console.print(
            f"the queue worker stopped ({problem or 'it lost the database'}); starting it again in "
            f"{_RESTART_PAUSE_S:g} s"
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _RESTART_PAUSE_S)


async def _retry_stalled(app: Any, settings: Settings, console: Any) -> None:
    """Hand the jobs of workers that stopped sending heartbeats (killed, machine gone) to the queue
    again; whichever worker takes one resumes it from its last stored stage. Every worker does this:
    a job is handed on once (the queue only retries a job still marked as being done)."""
    from ..jobs.queue import QUEUE, TASK

    alive = settings.data_dir / ALIVE_FILE
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, task_name=TASK, seconds_since_heartbeat=settings.worker_stalled_s
            )
            for job in stalled:
                await app.job_manager.retry_job(job)
                console.print(f"retrying job {job.task_kwargs.get('job_id')}: its worker stopped")
        except Exception as exc:  # the database is away: try again at the next beat
            log.warning("could not look for stalled jobs: %s", exc)
        else:
            # For a container health check: this worker runs and reaches the database.
            with contextlib.suppress(OSError):
                alive.parent.mkdir(parents=True, exist_ok=True)
                alive.touch()
        await asyncio.sleep(settings.worker_heartbeat_s)
