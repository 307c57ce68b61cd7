"""Jobs: the SQLite store, artifact folders and the manager (workers, events, cancel, recovery, pruning).

The model is the fake GLM-4.5V server on loopback (counted per request); rendering is real Chromium.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from replicator.backends import create_backend
from replicator.config import Settings
from replicator.errors import JobNotFound
from replicator.intake import load_source
from replicator.jobs import FolderArtifactStore, Job, JobManager, JobOptions, JobStore, StoredEvent
from replicator.jobs.manager import MAX_ATTEMPTS
from replicator.runtime import Runtime
from tests.service_helpers import CountingBackend, GatedRenderer, upload_copy, wait_for_file

GLM = JobOptions(backend="glm", refine_rounds=0)
MakeManager = Callable[..., Awaitable[JobManager]]


@pytest_asyncio.fixture
async def make_manager(glm_settings: Settings, browser_pool: Any) -> AsyncIterator[MakeManager]:
    made: list[tuple[JobManager, Runtime]] = []

    async def make(
        settings: Settings = glm_settings, *, renderer: Any = None, backend: Any = None
    ) -> JobManager:
        backends = {"glm": backend} if backend is not None else None
        runtime = Runtime(settings, renderer=renderer or browser_pool, backends=backends)
        manager = JobManager(settings, runtime)
        await manager.start()
        made.append((manager, runtime))
        return manager

    yield make
    for manager, runtime in made:
        await manager.close()
        await runtime.close()


async def all_events(manager: JobManager, job_id: str) -> list[StoredEvent]:
    return [e async for e in manager.events(job_id) if e is not None]


# --- the store ---------------------------------------------------------------------------------------


def test_store_is_sqlite_in_wal_mode_and_round_trips_jobs_and_events(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "replicator.db")
    assert store.journal_mode == "wal"
    now = time.time()
    store.create(
        Job(id="a" * 32, state="queued", created_at=now, updated_at=now, options=GLM, filename="x.png")
    )
    store.add_events(
        "a" * 32, [StoredEvent(1, now, "state", {"state": "queued"}), StoredEvent(2, now, "note", {})]
    )
    job = store.update("a" * 32, state="failed", error_code="corrupt_input", error_message="damaged")
    assert (job.state, job.error_code, job.options) == ("failed", "corrupt_input", GLM)
    assert [e.seq for e in store.events("a" * 32)] == [1, 2]
    assert [e.seq for e in store.events("a" * 32, after=1)] == [2]
    store.close()
    # A second process opening the same file sees the same records.
    again = JobStore(tmp_path / "replicator.db")
    assert again.get("a" * 32).error_message == "damaged"
    assert again.delete(["a" * 32]) == 1
    with pytest.raises(JobNotFound):
        again.get("a" * 32)
    assert again.events("a" * 32) == []


def test_artifact_names_cannot_leave_the_job_folder(tmp_path: Path) -> None:
    store = FolderArtifactStore(tmp_path / "job")
    store.save("answer-0.json", b"{}")
    assert store.load("answer-0.json") == b"{}"
    assert store.load("missing.png") is None
    for name in ("../escape.png", "a/b.png", "..", "/etc/passwd", ".hidden", "x\x00.png"):
        with pytest.raises(ValueError):
            store.save(name, b"no")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["answer-0.json", "job"]


# --- running jobs ------------------------------------------------------------------------------------


async def test_job_succeeds_with_artifacts_result_and_ordered_persisted_events(
    make_manager: MakeManager, glm_settings: Settings, fake_glm: Any, tmp_path: Path
) -> None:
    manager = await make_manager()
    upload = upload_copy(tmp_path)
    source = load_source(upload, glm_settings)
    job = await manager.submit(
        upload, options=GLM, filename="welcome.png", media_type="image/png", source=source
    )
    assert not upload.exists()  # the manager took the file
    job = await manager.wait(job.id, 90)
    assert job.state == "succeeded", job.error_message
    assert job.score is not None and 0 <= job.score <= 100
    assert job.summary["rounds"][0]["round"] == 0
    files = {p.name for p in manager.artifacts(job.id).root.iterdir()}
    expected = {
        "upload",
        "source.png",
        "thumb.png",
        "answer-0.json",
        "page.html",
        "render.png",
        "diff.png",
        "result.json",
    }
    assert expected <= files
    result = manager.artifacts(job.id).load_json("result.json")
    assert result["usage"]["prompt_tokens"] > 0 and result["score"]["overall"] == job.score
    assert set(result["timings_ms"]) >= {"generate", "render", "score"}
    events = await all_events(manager, job.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    states = [e.data["state"] for e in events if e.kind == "state"]
    assert states == ["queued", "running", "succeeded"]
    kinds = {e.kind for e in events}
    assert {"stage", "thinking", "answer", "usage", "candidate"} <= kinds
    assert len(fake_glm.fake.requests) == 1


async def test_provider_failure_ends_the_job_failed_with_its_code_and_message(
    make_manager: MakeManager, fake_glm: Any, tmp_path: Path
) -> None:
    fake_glm.fake.queue("error-1002")
    manager = await make_manager()
    job = await manager.submit(upload_copy(tmp_path), options=GLM, media_type="image/png")
    job = await manager.wait(job.id, 60)
    assert job.state == "failed"
    assert job.error_code == "provider_auth"
    assert job.error_message and "Traceback" not in job.error_message
    last = (await all_events(manager, job.id))[-1]
    assert last.data == {"state": "failed", "error": {"code": "provider_auth", "message": job.error_message}}


async def test_bad_input_found_by_the_worker_fails_the_job_visibly(
    make_manager: MakeManager, tmp_path: Path
) -> None:
    manager = await make_manager()
    bogus = tmp_path / "notes.png"
    bogus.write_bytes(b"just some text pretending to be a picture\n" * 10)
    job = await manager.submit(bogus, options=GLM)
    job = await manager.wait(job.id, 30)
    assert (job.state, job.error_code) == ("failed", "unsupported_media")


async def test_cancel_a_queued_job_and_a_running_one(
    make_manager: MakeManager, glm_settings: Settings, fake_glm: Any, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    backend = CountingBackend(create_backend("glm", glm_settings), gate=gate)
    manager = await make_manager(glm_settings.model_copy(update={"workers": 1}), backend=backend)
    first = await manager.submit(upload_copy(tmp_path, name="a.png"), options=GLM)
    second = await manager.submit(upload_copy(tmp_path, name="b.png"), options=GLM)
    while (await manager.get(first.id)).stage != "generate":
        await asyncio.sleep(0.05)

    cancelled = await manager.cancel(second.id)  # still queued behind the first
    assert (cancelled.state, cancelled.error_code) == ("cancelled", "cancelled")
    running = await manager.cancel(first.id)  # held inside the model call
    assert running.state == "cancelled" and running.finished_at is not None
    gate.set()
    await asyncio.sleep(0.3)
    assert (await manager.get(second.id)).state == "cancelled"  # the worker skipped it
    assert len(fake_glm.fake.requests) == 0
    assert (await manager.cancel(first.id)).state == "cancelled"  # idempotent
    assert [e.data["state"] for e in await all_events(manager, first.id) if e.kind == "state"][
        -1
    ] == "cancelled"


async def test_a_late_subscriber_gets_past_events_then_live_ones_until_the_end(
    make_manager: MakeManager, glm_settings: Settings, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    backend = CountingBackend(create_backend("glm", glm_settings), gate=gate)
    manager = await make_manager(backend=backend)
    job = await manager.submit(upload_copy(tmp_path), options=GLM)
    while (await manager.get(job.id)).stage != "generate":
        await asyncio.sleep(0.05)

    async def collect() -> list[StoredEvent]:
        return await all_events(manager, job.id)

    early = asyncio.create_task(collect())
    await asyncio.sleep(0.1)
    gate.set()
    live = await asyncio.wait_for(early, 90)
    replayed = await all_events(manager, job.id)  # after the end: everything from the store
    assert [e.seq for e in live] == list(range(1, len(live) + 1))
    assert [(e.seq, e.kind, e.data) for e in live] == [(e.seq, e.kind, e.data) for e in replayed]
    assert live[-1].data["state"] == "succeeded"


# --- restart recovery --------------------------------------------------------------------------------


async def test_restart_resumes_a_job_from_its_stored_answer_without_a_second_model_call(
    make_manager: MakeManager, glm_settings: Settings, fake_glm: Any, browser_pool: Any, tmp_path: Path
) -> None:
    held = GatedRenderer(browser_pool, asyncio.Event())  # never opens: the "process" dies in render
    first = await make_manager(renderer=held)
    job = await first.submit(upload_copy(tmp_path), options=GLM)
    await wait_for_file(first.artifacts(job.id).path("answer-0.json"))
    await asyncio.wait_for(held.entered.wait(), 30)
    await first.close()  # the worker dies mid-job
    assert (
        await asyncio.to_thread(JobStore(glm_settings.data_dir / "replicator.db").get, job.id)
    ).state == "running"
    assert len(fake_glm.fake.requests) == 1

    second = await make_manager()
    done = await second.wait(job.id, 90)
    assert done.state == "succeeded", done.error_message
    assert done.attempts == 2
    assert len(fake_glm.fake.requests) == 1  # the stored answer was reused
    notes = [e.data["message"] for e in await all_events(second, job.id) if e.kind == "note"]
    assert any("restarted" in n for n in notes) and any("stored model answer" in n for n in notes)


async def test_interrupted_jobs_that_cannot_resume_are_failed_with_a_reason(
    make_manager: MakeManager, glm_settings: Settings, tmp_path: Path
) -> None:
    store = JobStore(glm_settings.data_dir / "replicator.db")
    now = time.time()
    store.create(Job(id="b" * 32, state="running", created_at=now, updated_at=now, options=GLM))
    store.create(
        Job(id="c" * 32, state="running", created_at=now, updated_at=now, options=GLM, attempts=MAX_ATTEMPTS)
    )
    FolderArtifactStore(glm_settings.data_dir / "jobs" / ("c" * 32)).save("upload", b"x")
    store.close()
    manager = await make_manager()
    gone, looping = await manager.get("b" * 32), await manager.get("c" * 32)
    assert (gone.state, gone.error_code) == ("failed", "interrupted")
    assert "upload is gone" in (gone.error_message or "")
    assert (looping.state, looping.error_code) == ("failed", "interrupted")
    assert f"{MAX_ATTEMPTS} times" in (looping.error_message or "")


# --- retention -----------------------------------------------------------------------------------------


async def test_prune_removes_finished_jobs_past_retention_and_keeps_the_rest(
    make_manager: MakeManager, glm_settings: Settings, tmp_path: Path
) -> None:
    manager = await make_manager(glm_settings.model_copy(update={"retention_days": 7}))
    old = await manager.wait((await manager.submit(upload_copy(tmp_path, name="o.png"), options=GLM)).id, 90)
    new = await manager.wait((await manager.submit(upload_copy(tmp_path, name="n.png"), options=GLM)).id, 90)
    assert old.state == new.state == "succeeded"
    assert manager.store is not None
    await asyncio.to_thread(manager.store.update, old.id, finished_at=time.time() - 8 * 86400)

    assert await manager.prune() == 1
    with pytest.raises(JobNotFound):
        await manager.get(old.id)
    assert not manager.artifacts(old.id).root.exists()
    assert await all_events(manager, new.id)  # untouched
    assert (await manager.get(new.id)).state == "succeeded"
    assert manager.artifacts(new.id).exists("page.html")
