"""``replicator worker``: run queued jobs of a deployment on several machines (``REPLICATOR_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import os
import socket

import typer

from ..errors import ConfigurationError
from . import command
from ._common import load_settings, stderr_console


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
    from ..jobs.queue import QUEUE, make_app
    from ..runtime import Runtime

    settings = load_settings()
    console = stderr_console()
    async with Runtime(settings) as runtime:
        manager = JobManager(settings, runtime, role="worker")
        await manager.start()

        async def run(job_id: str) -> None:
            console.print(f"running job {job_id}")
            await manager.execute(job_id)
            job = await manager.get(job_id)
            console.print(f"job {job_id}: {job.state}")

        try:
            app = make_app(url, runner=run)
            async with app.open_async():
                await app.run_worker_async(
                    concurrency=concurrency, queues=[QUEUE], name=name, install_signal_handlers=True
                )
        finally:
            await manager.close()
