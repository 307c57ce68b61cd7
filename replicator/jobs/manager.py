"""The job manager: queues jobs, runs them on an in-process pool of asyncio workers, cancels them,
resumes what a previous process left behind and prunes old jobs.

Each job drives the one pipeline with its artifact folder as the StageStore, so every stage's
output is on disk before the next starts, and the raw model answer is reused on a rerun: a job
interrupted by a restart finishes without a second model call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..config import Settings
from ..errors import (
    ConfigurationError,
    InputError,
    JobNotFinished,
    JobNotFound,
    ReplicatorError,
    RevisionUnsupported,
)
from ..intake import load_source
from ..models import Source
from ..pipeline import PipelineEvent
from ..recording.transcode import normalized_mp4_path
from ..runtime import Runtime
from .artifacts import (
    IMPORTED_CODE,
    RECORDING_MARK,
    UPLOAD_NAME,
    ArtifactSpace,
    ArtifactStore,
    FolderArtifactSpace,
    FolderArtifactStore,
    write_result_artifacts,
    write_source_artifacts,
)
from .events import EventChannel
from .pg_store import EVENTS_CHANNEL, PgJobStore
from .queue import QUEUE, TASK, Listener, make_app
from .records import Job, JobOptions, JobState, StoredEvent
from .revisions import RevisionKind, add_revision, load_revisions
from .store import JobStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# A job that was running when the process died this many times is failed rather than resumed
# again: it may be what kills the process.
MAX_ATTEMPTS = 3
_PRUNE_EVERY_S = 3600.0
_CANCEL_POLL_S = 0.5  # how often a worker checks whether its running job was cancelled
_REMOTE_CANCEL_WAIT_S = 5.0  # how long cancelling waits for the worker to stop the job
_STALE_UPLOAD_S = 6 * 3600.0
_SHA256 = re.compile(r"[0-9a-f]{64}")


class JobManager:
    """Owns the job store, the queue and the workers. ``await start()`` / ``await close()``."""

    def __init__(
        self, settings: Settings, runtime: Runtime, *, role: Literal["api", "worker"] = "api"
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        # With a database URL, jobs go through the queue to `replicator worker` processes: the API
        # process defers them and streams their progress from the database; a worker runs them.
        self.remote = bool(settings.database_url)
        self.role = role
        self._queue_app: Any = None
        self._listener: Listener | None = None
        self.upload_dir = settings.data_dir / "uploads"
        # Where a worker puts an upload it fetched from the artifact store, for the time of intake.
        self.work_dir = settings.data_dir / "work"
        self.store: JobStore | PgJobStore | None = None
        self.space: ArtifactSpace | None = None
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self._channels: dict[str, EventChannel] = {}
        self._sources: dict[str, Source] = {}  # intake already done at submission
        self._cancelling: set[str] = set()
        self._pruner: asyncio.Task[None] | None = None
        self._revising: dict[str, asyncio.Lock] = {}  # one revision at a time per job

    # --- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.store = await asyncio.to_thread(open_store, self.settings)
        try:
            self.space = await asyncio.to_thread(open_artifacts, self.settings)
        except BaseException:
            await asyncio.to_thread(self.store.close)
            self.store = None
            raise
        if self.remote:
            url = str(self.settings.database_url)
            if self.role == "api":
                self._queue_app = make_app(url)
                await self._queue_app.open_async()
                self._listener = Listener(url, EVENTS_CHANNEL)
                await self._listener.start()
                self._pruner = asyncio.create_task(self._prune_periodically(), name="replicator-pruner")
            return
        await self.recover()
        self._workers = [
            asyncio.create_task(self._work(), name=f"replicator-worker-{n}")
            for n in range(self.settings.workers)
        ]
        self._pruner = asyncio.create_task(self._prune_periodically(), name="replicator-pruner")

    async def close(self) -> None:
        """Stop the workers. Running jobs stay ``running`` in the store: the next start resumes them."""
        tasks = [*self._workers, *self._tasks.values()]
        if self._pruner:
            tasks.append(self._pruner)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in list(self._channels.values()):
            await channel.flush()
        self._workers.clear()
        self._tasks.clear()
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._queue_app is not None:
            await self._queue_app.close_async()
            self._queue_app = None
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
            self.store = None
        if self.space is not None:
            await asyncio.to_thread(self.space.close)
            self.space = None

    async def recover(self) -> list[str]:
        """Re-queue the jobs a previous process left queued or running; fail those that cannot go on."""
        resumed = []
        for job in await self._db(self._store.unfinished):
            artifacts = self.artifacts(job.id)
            if job.attempts >= MAX_ATTEMPTS:
                await self._finish(
                    job.id,
                    "failed",
                    code="interrupted",
                    message=f"The service stopped {job.attempts} times while running this job; "
                    "it was not retried again. Submit it again to start over.",
                )
            elif not artifacts.exists(UPLOAD_NAME):
                await self._finish(
                    job.id,
                    "failed",
                    code="interrupted",
                    message="The service stopped while this job was running and its upload is gone. "
                    "Submit it again.",
                )
            else:
                channel = await self._channel(job.id)
                if job.state == "running":
                    await channel.emit("note", {"message": "The service restarted; resuming this job."})
                await self._db(self._store.update, job.id, state="queued")
                await channel.emit("state", {"state": "queued"})
                self._queue.put_nowait(job.id)
                resumed.append(job.id)
        if resumed:
            log.info("resuming %d interrupted job(s)", len(resumed))
        return resumed

    # --- the public surface ----------------------------------------------------------------------

    def artifacts(self, job_id: str) -> ArtifactStore:
        return self._space.job(job_id)

    def check_artifacts(self, check_id: str) -> ArtifactStore:
        """A design check's images (pruned like jobs)."""
        return self._space.check(check_id)

    async def submit(
        self,
        upload: Path,
        *,
        options: JobOptions,
        filename: str = "",
        media_type: str | None = None,
        source: Source | None = None,
        imported_code: str | None = None,
    ) -> Job:
        """Take ownership of the uploaded file at ``upload`` and queue a job for it (with
        ``imported_code``: a job that scores that code against the upload instead of generating)."""
        job_id = uuid.uuid4().hex
        now = time.time()
        job = Job(
            id=job_id,
            state="queued",
            created_at=now,
            updated_at=now,
            options=options,
            kind=source.kind if source else None,
            media_type=media_type,
            filename=filename,
        )
        artifacts = self.artifacts(job_id)

        def prepare() -> Job:
            artifacts.adopt(UPLOAD_NAME, upload)
            if imported_code is not None:
                artifacts.save(IMPORTED_CODE, imported_code.encode())
            if source is not None:
                write_source_artifacts(artifacts, source)
            return self._store.create(job)

        job = await asyncio.to_thread(prepare)
        channel = await self._channel(job_id)
        await channel.emit("state", {"state": "queued"})
        if self.remote:
            # A worker takes it from here (and writes its events from the next number on).
            await channel.flush()
            self._channels.pop(job_id, None)
            await self._queue_app.tasks[TASK].defer_async(job_id=job_id)
            return job
        if source is not None:
            self._sources[job_id] = source
        self._queue.put_nowait(job_id)
        return job

    async def get(self, job_id: str) -> Job:
        return await self._db(self._store.get, job_id)

    async def list_jobs(
        self, *, limit: int = 50, offset: int = 0, state: str | None = None, name: str | None = None
    ) -> list[Job]:
        return await self._db(self._store.list_jobs, limit=limit, offset=offset, state=state, name=name)

    async def count(self, *, state: str | None = None, name: str | None = None) -> int:
        return await self._db(self._store.count, state=state, name=name)

    async def queue_position(self, job: Job) -> int | None:
        """1 for the next queued job to start, 2 for the one after...; None once it is not queued."""
        if job.state != "queued":
            return None
        return 1 + await self._db(self._store.queued_ahead, job)

    async def wait(self, job_id: str, timeout: float) -> Job:
        """The job once it has finished, or as it is after ``timeout`` seconds."""
        if self.remote:
            deadline = time.monotonic() + timeout
            job = await self.get(job_id)
            while not job.finished and (left := deadline - time.monotonic()) > 0:
                assert self._listener is not None
                await self._listener.wait(job_id, left)
                job = await self.get(job_id)
            return job
        channel = self._channels.get(job_id)
        if channel is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(channel.done.wait(), timeout)
        return await self.get(job_id)

    async def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job; a finished job is returned unchanged."""
        job = await self.get(job_id)
        if job.finished or job_id in self._cancelling:
            return job
        if self.remote:
            return await self._cancel_remote(job)
        self._cancelling.add(job_id)
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
            channel = self._channels.get(job_id)
            if channel is not None:
                await channel.done.wait()
        else:
            await self._finish(job_id, "cancelled", code="cancelled", message="Cancelled before it started.")
        return await self.get(job_id)

    async def _cancel_remote(self, job: Job) -> Job:
        """Ask whichever worker has the job to stop it (it checks every half second); a job no
        worker has taken yet ends here and is skipped when one takes it."""
        store = self._store
        assert isinstance(store, PgJobStore)
        await self._db(store.request_cancel, job.id)
        if job.state == "queued":
            fresh = await self.get(job.id)
            if fresh.state == "queued":
                await self._finish(
                    job.id, "cancelled", code="cancelled", message="Cancelled before it started."
                )
        return await self.wait(job.id, _REMOTE_CANCEL_WAIT_S)

    async def delete(self, job_id: str) -> None:
        """Cancel the job if it is still going, then remove its record, events and artifacts."""
        await self.cancel(job_id)
        await asyncio.to_thread(self._remove, [job_id])

    async def events(
        self, job_id: str, *, after: int = 0, heartbeat_s: float | None = None
    ) -> AsyncIterator[StoredEvent | None]:
        """Past events, then live ones until the job ends. ``None`` is a heartbeat (nothing new)."""
        await self.get(job_id)  # raises JobNotFound
        if self.remote:
            async for item in self._remote_events(job_id, after, heartbeat_s):
                yield item
            return
        channel = self._channels.get(job_id)
        if channel is None:
            for event in await self._db(self._store.events, job_id, after=after):
                yield event
            return
        snapshot, queue = channel.subscribe()
        try:
            last = after
            for event in await self._db(self._store.events, job_id, after=after, before=channel.first_seq):
                yield event
                last = event.seq
            for event in snapshot:
                if event.seq > last:
                    yield event
                    last = event.seq
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), heartbeat_s)
                except TimeoutError:
                    yield None
                    continue
                if item is None:
                    return
                if item.seq > last:
                    yield item
                    last = item.seq
        finally:
            channel.unsubscribe(queue)

    async def _remote_events(
        self, job_id: str, after: int, heartbeat_s: float | None
    ) -> AsyncIterator[StoredEvent | None]:
        """Events a worker writes, read from the database as they are announced, until the job ends."""
        assert self._listener is not None
        last = after
        quiet_since = time.monotonic()
        while True:
            finished = (await self.get(job_id)).finished
            batch = await self._db(self._store.events, job_id, after=last)
            for event in batch:
                yield event
                last = event.seq
            if batch:
                quiet_since = time.monotonic()
            elif finished:
                return
            elif heartbeat_s is not None and time.monotonic() - quiet_since >= heartbeat_s:
                yield None
                quiet_since = time.monotonic()
            await self._listener.wait(job_id, heartbeat_s or 30.0)

    async def execute(self, job_id: str) -> None:
        """Run one job in this worker process (the queue's task): skipped if it already ended (it was
        cancelled while queued); stopped if someone asks to cancel it while it runs."""
        job = await self.get(job_id)
        store = self._store
        assert isinstance(store, PgJobStore)
        if job.finished:
            return
        if await self._db(store.cancel_requested, job_id):
            await self._finish(job_id, "cancelled", code="cancelled", message="Cancelled before it started.")
            return
        if job.state == "running":
            # The worker that ran it stopped answering (killed, or its machine went away) and the
            # queue handed the job on: go on from its last stored stage, unless it keeps doing that.
            if job.attempts >= MAX_ATTEMPTS:
                await self._finish(
                    job_id,
                    "failed",
                    code="interrupted",
                    message=f"The workers running this job stopped {job.attempts} times (it may be "
                    "what stops them); it was not retried again. Submit it again to start over.",
                )
                return
            channel = await self._channel(job_id)
            await channel.emit(
                "note",
                {
                    "message": "The worker running this job stopped; another one resumes it from its last stored stage."
                },
            )
        task = asyncio.create_task(self._run(job_id), name=f"replicator-job-{job_id}")
        self._tasks[job_id] = task
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=_CANCEL_POLL_S)
                if not task.done() and await self._db(store.cancel_requested, job_id):
                    self._cancelling.add(job_id)
                    task.cancel()
                    await asyncio.wait({task})
        finally:
            self._tasks.pop(job_id, None)
        await self._settle(job_id, task)
        await asyncio.to_thread(self._drop_local_recording, job_id)

    def _drop_local_recording(self, job_id: str) -> None:
        """A worker's normalized MP4 of a recording is a cache of the stored upload: it goes when the
        job ends, unless another job in hand uses the same recording."""
        sha = self._recording_of(job_id)
        if sha and sha not in {self._recording_of(other) for other in list(self._tasks)}:
            with contextlib.suppress(OSError):
                normalized_mp4_path(self.settings, sha).unlink(missing_ok=True)

    async def prune(self, *, now: float | None = None) -> int:
        """Remove finished jobs older than the retention period, and stale partial uploads."""
        now = time.time() if now is None else now
        removed = 0
        if self.settings.retention_days > 0:
            cutoff = now - self.settings.retention_days * 86400
            ids = await self._db(self._store.finished_before, cutoff)
            removed = await asyncio.to_thread(self._remove, ids)
            if removed:
                log.info("pruned %d job(s) older than %g days", removed, self.settings.retention_days)
        await asyncio.to_thread(self._remove_stale_files, now)
        return removed

    async def counts(self) -> dict[str, int]:
        """Jobs queued and running: in this process, or across every worker of the database."""
        if self.remote:
            queued, running = await asyncio.gather(self.count(state="queued"), self.count(state="running"))
            return {"queued": queued, "running": running}
        return {"queued": self._queue.qsize(), "running": len(self._tasks)}

    async def queue(self) -> str:
        """Who runs the jobs, described (for ``/readyz``)."""
        if not self.remote:
            counts = await self.counts()
            return (
                f"in-process: {self.settings.workers} worker(s), {counts['queued']} waiting, "
                f"{counts['running']} running"
            )
        store = self._store
        assert isinstance(store, PgJobStore)
        status = await self._db(store.queue_status, QUEUE, self.settings.worker_stalled_s)
        workers = (
            f"{status['workers']} worker process(es) alive"
            if status["workers"]
            else "no worker process alive"
        )
        return (
            f"Procrastinate queue '{QUEUE}': {workers}, {status['waiting']} job(s) waiting, "
            f"{status['doing']} being run; artifacts in {self._space.describe()}"
        )

    # --- workers ---------------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            # A job that ended while queued (cancelled) has no channel any more.
            if job_id not in self._channels or job_id in self._tasks or job_id in self._cancelling:
                continue
            task = asyncio.create_task(self._run(job_id), name=f"replicator-job-{job_id}")
            self._tasks[job_id] = task
            try:
                # wait() rather than await: a cancelled job must not look like a cancelled worker.
                await asyncio.wait({task})
            finally:
                self._tasks.pop(job_id, None)
            await self._settle(job_id, task)

    async def _settle(self, job_id: str, task: asyncio.Task[dict[str, Any]]) -> None:
        """Record how a job's task ended."""
        if task.cancelled():
            if job_id in self._cancelling:
                await self._finish(job_id, "cancelled", code="cancelled", message="Cancelled by a user.")
            return
        exc = task.exception()
        if exc is None:
            document = task.result()
            await self._finish(
                job_id, "succeeded", score=document["score"]["overall"], summary=_summary(document)
            )
        elif isinstance(exc, ReplicatorError):
            log.info("job %s failed: %s [%s]", job_id, exc.message, exc.code)
            await self._finish(job_id, "failed", code=exc.code, message=exc.message)
        else:
            log.error("job %s crashed", job_id, exc_info=exc)
            await self._finish(
                job_id,
                "failed",
                code="internal_error",
                message="Replicator hit an unexpected error while processing this job; it has been "
                "logged. Try again, or try another backend.",
            )

    async def _run(self, job_id: str) -> dict[str, Any]:
        job = await self.get(job_id)
        channel = await self._channel(job_id)
        job = await self._db(
            self._store.update,
            job_id,
            state="running",
            started_at=job.started_at or time.time(),
            attempts=job.attempts + 1,
        )
        await channel.emit("state", {"state": "running", "attempt": job.attempts})
        artifacts = self.artifacts(job_id)

        source = self._sources.pop(job_id, None)
        if source is None:
            await self._stage(job_id, channel, "intake")
            source = await asyncio.to_thread(self._intake, job_id, artifacts)
            await self._db(self._store.update, job_id, kind=source.kind, media_type=source.media_type)

        async def sink(event: PipelineEvent) -> None:
            if event.kind == "stage":
                await self._db(self._store.update, job_id, stage=str(event.data.get("stage")))
            await channel.emit(event.kind, dict(event.data))

        pipeline = await self.runtime.pipeline(job.options.backend)
        if job.options.imported:
            code = await asyncio.to_thread(artifacts.load, IMPORTED_CODE)
            if code is None:
                raise JobNotFound("The imported code of this job is gone; import it again.")
            result = await pipeline.run_code(
                source,
                job.options.run_options(),
                code.decode("utf-8", "replace"),
                events=sink,
                store=artifacts,
            )
        else:
            result = await pipeline.run(source, job.options.run_options(), events=sink, store=artifacts)
        return await asyncio.to_thread(write_result_artifacts, artifacts, result)

    # --- revisions -------------------------------------------------------------------------------

    async def revisions(self, job_id: str) -> list[dict[str, Any]]:
        job = await self.get(job_id)
        if job.state != "succeeded":
            raise JobNotFinished("This replication has no result yet, so it has no revisions.")
        return await asyncio.to_thread(load_revisions, self.artifacts(job_id))

    async def revise(
        self, job_id: str, *, instruction: str = "", code: str | None = None, base: int | None = None
    ) -> dict[str, Any]:
        """A new revision of a finished job: ``code`` as the person edited it, or the code of
        revision ``base`` (default: the newest) revised by the job's backend as ``instruction`` asks."""
        job = await self.get(job_id)
        if job.state != "succeeded":
            raise JobNotFinished(f"This replication is {job.state}: only a finished one can be revised.")
        if job.kind == "recording":
            raise RevisionUnsupported(
                "Revisions work on screenshots; a recording's page is replayed against its video. "
                "Start a job from a screenshot of the state to change."
            )
        lock = self._revising.setdefault(job_id, asyncio.Lock())
        async with lock:
            store = self.artifacts(job_id)
            existing = await asyncio.to_thread(load_revisions, store)
            parent = existing[-1]["number"] if base is None else base
            if not 0 <= parent < len(existing):
                raise InputError(
                    f"There is no revision {parent}: this replication has 0 to {len(existing) - 1}."
                )
            source = await asyncio.to_thread(self._stored_source, job_id, store)
            pipeline = await self.runtime.pipeline(job.options.backend)
            options = job.options.run_options()
            number = len(existing)
            if code is not None:
                result = await pipeline.run_code(
                    source, options, code, round_no=number, label="edit", store=store
                )
                kind: RevisionKind = "edit"
            else:
                kept = await asyncio.to_thread(store.load, existing[parent]["files"]["code"])
                if kept is None:
                    raise JobNotFound(f"The code of revision {parent} is gone.")
                result = await pipeline.revise(
                    source,
                    options,
                    kept.decode("utf-8", "replace"),
                    instruction,
                    round_no=number,
                    store=store,
                )
                kind = "instruction"
            return await asyncio.to_thread(
                add_revision, store, existing, result, kind=kind, parent=parent, instruction=instruction
            )

    def _stored_source(self, job_id: str, store: ArtifactStore) -> Source:
        """The job's source screenshot as intake stored it (source.png), read again."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        copy = self.work_dir / f"{job_id}-{uuid.uuid4().hex[:8]}.png"
        try:
            if not store.export("source.png", copy):
                raise JobNotFound("The source of this replication is gone.")
            return load_source(copy, self.settings)
        finally:
            copy.unlink(missing_ok=True)

    async def _stage(self, job_id: str, channel: EventChannel, stage: str) -> None:
        await self._db(self._store.update, job_id, stage=stage)
        await channel.emit("stage", {"stage": stage})

    async def _finish(
        self,
        job_id: str,
        state: JobState,
        *,
        code: str | None = None,
        message: str | None = None,
        score: float | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        fields: dict[str, Any] = {"state": state, "finished_at": time.time(), "error_code": code}
        fields["error_message"] = message
        if score is not None:
            fields["score"] = score
        if summary is not None:
            fields["summary"] = summary
        await self._db(self._store.update, job_id, **fields)
        channel = await self._channel(job_id)
        data: dict[str, Any] = {"state": state}
        if code:
            data["error"] = {"code": code, "message": message}
        if score is not None:
            data["score"] = score
        await channel.emit("state", data)
        await channel.close()
        self._channels.pop(job_id, None)
        self._sources.pop(job_id, None)
        self._cancelling.discard(job_id)

    async def _channel(self, job_id: str) -> EventChannel:
        channel = self._channels.get(job_id)
        if channel is None:
            first = await self._db(self._store.last_seq, job_id) + 1
            channel = self._channels.setdefault(job_id, EventChannel(job_id, first, self._persist(job_id)))
        return channel

    def _persist(self, job_id: str) -> Callable[[list[StoredEvent]], Any]:
        async def write(batch: list[StoredEvent]) -> None:
            await self._db(self._store.add_events, job_id, batch)

        return write

    async def _prune_periodically(self) -> None:
        while True:
            try:
                await self.prune()
            except (OSError, ReplicatorError) as exc:  # pruning must never take the service down
                log.warning("pruning old jobs failed: %s", exc)
            await asyncio.sleep(_PRUNE_EVERY_S)

    # --- blocking helpers (run in threads) -------------------------------------------------------

    @property
    def _space(self) -> ArtifactSpace:
        if self.space is None:
            raise RuntimeError("JobManager.start() has not been awaited")
        return self.space

    @property
    def _store(self) -> JobStore | PgJobStore:
        if self.store is None:
            raise RuntimeError("JobManager.start() has not been awaited")
        return self.store

    async def database(self) -> str:
        """The job database answers: what it is, described."""
        return await self._db(self._store.ping)

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _remove(self, job_ids: list[str]) -> int:
        recordings = {sha for sha in map(self._recording_of, job_ids) if sha}
        for job_id in job_ids:
            self.artifacts(job_id).remove()
        removed = self._store.delete(job_ids)
        # A normalized MP4 is shared by every job on the same recording: it goes with the last one.
        for sha in recordings - self._recordings_in_use():
            with contextlib.suppress(OSError):
                normalized_mp4_path(self.settings, sha).unlink(missing_ok=True)
        return removed

    def _recording_of(self, job_id: str) -> str | None:
        raw = self.artifacts(job_id).load(RECORDING_MARK)
        sha = raw.decode("ascii", "replace").strip() if raw else ""
        return sha if _SHA256.fullmatch(sha) else None

    def _recordings_in_use(self) -> set[str]:
        marks = (raw.decode("ascii", "replace").strip() for raw in self._space.all_named(RECORDING_MARK))
        return {sha for sha in marks if _SHA256.fullmatch(sha)}

    def _intake(self, job_id: str, artifacts: ArtifactStore) -> Source:
        """Read the job's upload into a Source and store its images. A store that is not a folder
        lends the upload to a local file for the time of reading it."""
        if isinstance(artifacts, FolderArtifactStore):
            source = load_source(artifacts.path(UPLOAD_NAME), self.settings)
        else:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            copy = self.work_dir / f"{job_id}-{uuid.uuid4().hex[:8]}"
            try:
                if not artifacts.export(UPLOAD_NAME, copy):
                    raise JobNotFound("The upload of this job is gone; submit it again.")
                source = load_source(copy, self.settings)
            finally:
                copy.unlink(missing_ok=True)
        write_source_artifacts(artifacts, source)
        return source

    def _remove_stale_files(self, now: float) -> None:
        for folder in (self.upload_dir, self.work_dir):
            for path in folder.glob("*"):
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > _STALE_UPLOAD_S:
                        path.unlink()
        if self.settings.retention_days > 0:
            self._space.prune_checks(now - self.settings.retention_days * 86400)


def _summary(document: dict[str, Any]) -> dict[str, Any]:
    """What the job list shows without opening result.json."""
    return {
        "score": document["score"],
        "rounds": [{"round": r["round"], "overall": r["score"]["overall"]} for r in document["rounds"]],
        "best_round": document["best_round"],
        "usage": document["usage"],
        "timings_ms": document["timings_ms"],
        "backend": document["backend"],
        "interactions": (document.get("interactions") or {}).get("score"),
    }


def open_artifacts(settings: Settings) -> ArtifactSpace:
    """The artifact store the settings ask for (``artifact_store``)."""
    kind = settings.artifact_store
    if kind == "auto":
        kind = "database" if settings.database_url else "folder"
    if kind == "folder":
        return FolderArtifactSpace(settings.data_dir)
    if not settings.database_url:
        raise ConfigurationError(
            "REPLICATOR_ARTIFACT_STORE=database keeps artifacts in PostgreSQL: set REPLICATOR_DATABASE_URL too."
        )
    from .pg_artifacts import PgArtifactSpace

    # The largest artifact is the upload; renders and pages of a capped page stay far below it.
    return PgArtifactSpace(settings.database_url, max_bytes=int(max(settings.max_upload_mb, 64) * 1048576))


def open_store(settings: Settings) -> JobStore | PgJobStore:
    """The job store the settings ask for: PostgreSQL when ``database_url`` is set, else SQLite."""
    if settings.database_url:
        return PgJobStore(settings.database_url)
    return JobStore(settings.data_dir / "replicator.db")
