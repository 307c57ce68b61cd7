"""The job store on a real PostgreSQL (a throwaway cluster): the same contract as the SQLite store,
versioned schema migrations, and reconnecting after a database restart."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from replicator.errors import ConfigurationError, JobNotFound
from replicator.jobs import Job, JobOptions, JobStore, StoredEvent
from replicator.jobs.pg_store import SCHEMA_VERSION, PgJobStore, migrate, redacted, schema_version

OPTIONS = JobOptions(backend="local", refine_rounds=0)


def _job(job_id: str, name: str, created: float, state: str = "queued") -> Job:
    return Job(id=job_id, state=state, created_at=created, updated_at=created, options=OPTIONS, filename=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        made = JobStore(tmp_path / "replicator.db")
    else:
        url = request.getfixturevalue("pg_url")
        migrate(url)
        made = PgJobStore(url)
    yield made
    made.close()


def test_both_stores_keep_the_same_records_events_and_listings(store) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    store.create(_job("a" * 32, "Home Page.png", now - 3))
    store.create(_job("b" * 32, "pricing_50%.png", now - 2))
    store.create(_job("c" * 32, "home-dark.png", now - 1))
    store.add_events(
        "a" * 32, [StoredEvent(1, now, "state", {"state": "queued"}), StoredEvent(2, now, "note", {"n": 1})]
    )
    store.add_events(
        "a" * 32, [StoredEvent(2, now, "note", {"n": 2}), StoredEvent(3, now, "stage", {"stage": "render"})]
    )
    job = store.update(
        "a" * 32, state="failed", error_code="corrupt_input", error_message="damaged", summary={"x": [1]}
    )
    assert (job.state, job.error_code, job.options, job.summary) == (
        "failed",
        "corrupt_input",
        OPTIONS,
        {"x": [1]},
    )
    assert job.updated_at >= now
    # An event number already written is kept, not replaced (a retried batch cannot rewrite history).
    assert [(e.seq, e.data) for e in store.events("a" * 32)] == [
        (1, {"state": "queued"}),
        (2, {"n": 1}),
        (3, {"stage": "render"}),
    ]
    assert [e.seq for e in store.events("a" * 32, after=1, before=3)] == [2]
    assert store.last_seq("a" * 32) == 3 and store.last_seq("b" * 32) == 0
    assert [j.id for j in store.list_jobs()] == ["c" * 32, "b" * 32, "a" * 32]
    assert [j.id for j in store.list_jobs(name="HOME")] == ["c" * 32, "a" * 32]  # any case
    assert [j.id for j in store.list_jobs(name="50%")] == ["b" * 32]  # % is a character, not a wildcard
    assert store.count(state="queued") == 2 and store.count() == 3
    assert store.queued_ahead(store.get("c" * 32)) == 1
    assert [j.id for j in store.unfinished()] == ["b" * 32, "c" * 32]
    store.update("b" * 32, state="succeeded", finished_at=now - 100)
    assert store.finished_before(now - 50) == ["b" * 32]
    with pytest.raises(ValueError):
        store.update("b" * 32, id="x")
    with pytest.raises(JobNotFound):
        store.update("z" * 32, state="failed")
    assert store.delete(["a" * 32, "b" * 32]) == 2
    with pytest.raises(JobNotFound):
        store.get("a" * 32)
    assert store.events("a" * 32) == []


def test_migrations_are_versioned_and_a_store_refuses_a_database_without_them(pg_url: str) -> None:
    assert schema_version(pg_url) == 0
    with pytest.raises(ConfigurationError, match="replicator db migrate"):
        PgJobStore(pg_url)
    assert migrate(pg_url) == (0, SCHEMA_VERSION)
    assert migrate(pg_url) == (SCHEMA_VERSION, SCHEMA_VERSION)  # a second run changes nothing
    PgJobStore(pg_url).close()


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    url = "postgresql://app:s3cret@127.0.0.1:1/none"
    with pytest.raises(ConfigurationError) as caught:
        migrate(url)
    assert "Cannot reach the database at postgresql://app:***@127.0.0.1:1/none" in caught.value.message
    assert "s3cret" not in caught.value.message
    assert redacted("postgresql://u@h/d") == "postgresql://u@h/d"


def test_the_store_reconnects_after_the_database_restarts() -> None:
    from tests.plugins.postgres import throwaway_cluster

    with throwaway_cluster() as cluster:
        migrate(cluster.url)
        store = PgJobStore(cluster.url)
        store.create(_job("d" * 32, "a.png", time.time()))
        cluster.restart()  # the store's connection dies with the server
        assert store.get("d" * 32).filename == "a.png"  # nothing finished was lost
        store.update("d" * 32, state="running")
        assert store.get("d" * 32).state == "running"
        store.close()


# --- the setting, the command and the service ---------------------------------------------------------


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("replicator")), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_commands_report_and_migrate_the_schema(pg_url: str, tmp_path: Path) -> None:
    from tests.service_helpers import service_env

    env = service_env(tmp_path / "data", REPLICATOR_DATABASE_URL=pg_url)
    status = _cli("db", "status", env=env)
    assert status.returncode == 1 and "needs" in status.stdout and "replicator db migrate" in status.stdout
    done = _cli("db", "migrate", env=env)
    assert done.returncode == 0 and f"from version 0 to {SCHEMA_VERSION}" in done.stdout, done.stderr
    assert "up to date" in _cli("db", "status", env=env).stdout
    nothing = _cli("db", "migrate", env=service_env(tmp_path / "data"))
    assert nothing.returncode == 2 and "REPLICATOR_DATABASE_URL" in nothing.stderr
    assert "Traceback" not in nothing.stderr


def test_the_service_will_not_start_on_an_unmigrated_database(pg_url: str, tmp_path: Path) -> None:
    from tests.service_helpers import free_port, serve_argv, service_env

    env = service_env(tmp_path / "data", REPLICATOR_DATABASE_URL=pg_url)
    done = subprocess.run(
        serve_argv(free_port()), env=env, capture_output=True, text=True, timeout=90, cwd=tmp_path
    )
    assert done.returncode != 0
    assert "replicator db migrate" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_written_events_are_announced_to_listeners(pg_url: str) -> None:
    """Another process streaming a job's progress hears of new events at once (LISTEN)."""
    import psycopg

    from replicator.jobs.pg_store import EVENTS_CHANNEL

    migrate(pg_url)
    store = PgJobStore(pg_url)
    store.create(_job("e" * 32, "a.png", time.time()))
    with psycopg.connect(pg_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        store.add_events("e" * 32, [StoredEvent(1, time.time(), "state", {"state": "running"})])
        heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    store.close()
    assert heard == ["e" * 32]


def test_a_job_that_keeps_stopping_its_workers_is_failed_with_the_reason(pg_url: str, tmp_path: Path) -> None:
    """A job handed on after its worker died is resumed, until it has stopped MAX_ATTEMPTS workers:
    then it fails with a reason instead of killing the next one."""
    import asyncio

    from replicator.config import Settings
    from replicator.jobs import JobManager
    from replicator.jobs.manager import MAX_ATTEMPTS
    from replicator.runtime import Runtime

    migrate(pg_url)
    settings = Settings(data_dir=tmp_path / "data", database_url=pg_url)
    store = PgJobStore(pg_url)
    job_id = "f" * 32
    store.create(_job(job_id, "a.png", time.time(), state="running"))
    store.update(job_id, attempts=MAX_ATTEMPTS)

    async def run() -> None:
        manager = JobManager(settings, Runtime(settings), role="worker")
        await manager.start()
        try:
            await manager.execute(job_id)
        finally:
            await manager.close()

    asyncio.run(run())
    job = store.get(job_id)
    store.close()
    assert job.state == "failed" and job.error_code == "interrupted"
    assert f"stopped {MAX_ATTEMPTS} times" in (job.error_message or "")
