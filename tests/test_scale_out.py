"""Scale-out on a real PostgreSQL: the API process defers jobs to the queue (Procrastinate) and two
``replicator worker`` processes run them; progress written by a worker reaches the API's event
stream, artifacts written by a worker are served by the API from the database (each process has a
data folder of its own), a cancellation reaches the worker running the job, a killed worker's job
is resumed by another without asking the model again, and a database restart loses nothing."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from replicator.fake_glm import FakeGlmServer
from replicator.jobs.pg_store import migrate
from tests.plugins.fake_glm import FAKE_KEY
from tests.service_helpers import running_service, service_env, stop_processes

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def workers(
    workdir: Path, count: int, *, shared: bool = False, **settings: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` worker processes, each with a data folder of its own, or the API's when ``shared``."""
    procs = []
    try:
        for n in range(count):
            env = service_env(workdir / ("data" if shared else f"worker-{n}-data"), **settings)
            log = (workdir / f"worker-{n}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [str(Path(sys.executable).with_name("replicator")), "worker", "--concurrency", "1"],
                    cwd=workdir,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        yield procs
    finally:
        stop_processes(procs, timeout=30)


def _submit(base: str, png: bytes, **fields: str) -> str:
    created = httpx.post(
        f"{base}/api/v1/replications",
        files={"file": ("page.png", png, "image/png")},
        data={"refine_rounds": "0", **fields},
        timeout=60,
    )
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


def _events(base: str, job_id: str) -> list[tuple[str, dict[str, object]]]:
    """The job's SSE stream, read to its end (it ends when the job does)."""
    out = []
    with httpx.stream("GET", f"{base}/api/v1/replications/{job_id}/events", timeout=180) as response:
        assert response.status_code == 200
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind is not None:
                out.append((kind, json.loads(line[6:]).get("data", {})))
    return out


def test_workers_run_the_jobs_the_api_queues_and_the_api_streams_their_progress(
    pg_url: str, tmp_path: Path, fixtures_dir: Path
) -> None:
    migrate(pg_url)
    png = (fixtures_dir / "cli" / "login.png").read_bytes()
    settings = {
        "REPLICATOR_DATABASE_URL": pg_url,
        "REPLICATOR_BACKEND": "local",
        "REPLICATOR_REFINE_ROUNDS": "0",
        # A shared-folder deployment: artifacts stay files (the other tests keep them in PostgreSQL).
        "REPLICATOR_ARTIFACT_STORE": "folder",
    }
    with running_service(tmp_path, **settings) as (_, base):
        # Cancelled while no worker is there: the worker that takes it later skips it.
        skipped = _submit(base, png)
        assert (
            httpx.post(f"{base}/api/v1/replications/{skipped}/cancel", timeout=30).json()["state"]
            == "cancelled"
        )
        with workers(tmp_path, 2, shared=True, **settings):
            ids = [_submit(base, png) for _ in range(3)]
            _check_jobs(base, ids, tmp_path)
            # What the container health check looks at (compose.yaml).
            assert time.time() - (tmp_path / "data" / "worker.alive").stat().st_mtime < 15
        assert [d.get("state") for k, d in _events(base, skipped) if k == "state"] == ["queued", "cancelled"]
        logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(2))
        assert f"running job {skipped}" not in logs or f"job {skipped}: cancelled" in logs
    assert not (tmp_path / "data" / "replicator.db").exists()  # nothing went to SQLite
    for job_id in ids:
        assert (tmp_path / "data" / "jobs" / job_id / "page.html").is_file()


def _check_jobs(base: str, ids: list[str], tmp_path: Path) -> None:
    """Each job ran once, on one of the two workers, both of which took part; the API streamed its
    progress and serves its page."""
    for job_id in ids:
        events = _events(base, job_id)
        states = [data.get("state") for kind, data in events if kind == "state"]
        assert states[0] == "queued" and states[-1] == "succeeded", events
        assert "running" in states
        assert any(kind == "stage" for kind, _ in events)
        job = httpx.get(f"{base}/api/v1/replications/{job_id}", timeout=30).json()
        assert job["state"] == "succeeded" and job["score"] is not None
        page = httpx.get(f"{base}/api/v1/replications/{job_id}/html", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()
    ready = httpx.get(f"{base}/api/v1/readyz", timeout=60).json()
    database, queue = ready["checks"]["database"], ready["checks"]["queue"]
    assert database["ok"] and "PostgreSQL" in database["detail"] and "4 job(s)" in database["detail"]
    assert queue["ok"] and "2 worker process(es) alive, 0 job(s) waiting" in queue["detail"], queue
    assert f"artifacts in folder {tmp_path / 'data'}" in queue["detail"]
    assert ready["jobs"] == {"queued": 0, "running": 0}
    # Both workers took part (each runs one job at a time; three jobs were waiting), and no job
    # ran twice.
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in range(2)]
    ran = [[job_id for job_id in ids if f"running job {job_id}" in log] for log in logs]
    assert all(ran), logs
    assert sorted(ran[0] + ran[1]) == sorted(ids)


def test_a_cancellation_reaches_the_worker_running_the_job(
    pg_url: str, tmp_path: Path, fixtures_dir: Path, fake_glm: FakeGlmServer
) -> None:
    migrate(pg_url)
    fake_glm.fake.chunk_delay_s = 0.3  # a model answer that takes long enough to cancel it mid-way
    png = (fixtures_dir / "cli" / "login.png").read_bytes()
    settings = {
        "REPLICATOR_DATABASE_URL": pg_url,
        "REPLICATOR_BACKEND": "glm",
        "REPLICATOR_GLM_BASE_URL": fake_glm.base_url,
        "REPLICATOR_API_KEY": FAKE_KEY,
        "REPLICATOR_FALLBACK_BACKEND": "none",
        "REPLICATOR_GLM_GROUNDING": "false",  # straight to the model: no OCR of the source first
    }
    with running_service(tmp_path, **settings) as (_, base), workers(tmp_path, 1, **settings):
        job_id = _submit(base, png)
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/api/v1/replications/{job_id}", timeout=30).json()["state"] != "running":
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        while not fake_glm.fake.requests:
            assert time.monotonic() < deadline, "the model was never called"
            time.sleep(0.1)
        asked = time.monotonic()
        cancelled = httpx.post(f"{base}/api/v1/replications/{job_id}/cancel", timeout=30).json()
        assert cancelled["state"] == "cancelled", cancelled
        assert time.monotonic() - asked < 2.0  # the bound the operators were promised
        states = [data.get("state") for kind, data in _events(base, job_id) if kind == "state"]
        assert states[-1] == "cancelled"


def _job_when_finished(base: str, job_id: str, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            job: dict[str, object] = httpx.get(f"{base}/api/v1/replications/{job_id}", timeout=30).json()
        except httpx.HTTPError:  # the API waits for the database while it restarts
            job = {}
        if job.get("state") in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job not finished after {timeout} s: {job}"
        time.sleep(0.3)


def _image_count(request_body: object) -> int:
    return json.dumps(request_body).count('"image_url"')


def test_a_killed_worker_s_job_resumes_on_another_and_a_database_restart_loses_nothing(
    tmp_path: Path, fixtures_dir: Path, fake_glm: FakeGlmServer
) -> None:
    """SIGKILL the worker while the refinement round waits on the model: the other worker takes the
    job after the heartbeat timeout and goes on from the stored first answer (the model is asked for
    round 0 once); the database restarts while it works, and the job still finishes."""
    from tests.plugins.postgres import throwaway_cluster

    fake_glm.fake.latency_s = 1.5  # each model answer takes a while: time to kill mid-call
    png = (fixtures_dir / "cli" / "login.png").read_bytes()
    with throwaway_cluster() as cluster:
        migrate(cluster.url)
        settings = {
            "REPLICATOR_DATABASE_URL": cluster.url,
            "REPLICATOR_BACKEND": "glm",
            "REPLICATOR_GLM_BASE_URL": fake_glm.base_url,
            "REPLICATOR_API_KEY": FAKE_KEY,
            "REPLICATOR_FALLBACK_BACKEND": "none",
            "REPLICATOR_GLM_GROUNDING": "false",
            "REPLICATOR_WORKER_HEARTBEAT_S": "0.5",
            "REPLICATOR_WORKER_STALLED_S": "3",
        }
        with running_service(tmp_path, **settings) as (_, base), workers(tmp_path, 2, **settings) as procs:
            job_id = _submit(base, png, refine_rounds="1", target_score="100")
            deadline = time.monotonic() + 90
            while len(fake_glm.fake.requests) < 2:  # round 1 asked: round 0's answer is stored
                assert time.monotonic() < deadline, "the refinement round never started"
                time.sleep(0.05)
            logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
            victim = next(n for n in range(2) if f"running job {job_id}" in logs[n].read_text())
            procs[victim].kill()
            survivor = 1 - victim
            while f"running job {job_id}" not in logs[survivor].read_text():
                assert time.monotonic() < deadline, "no worker took the killed worker's job"
                time.sleep(0.1)
            cluster.restart()  # while the survivor works on the job
            restarted_at = time.time()
            job = _job_when_finished(base, job_id, 120)
            assert job["state"] == "succeeded", job
            assert procs[survivor].poll() is None, logs[survivor].read_text()  # still serving the queue

            # The model answered round 0 once; only the round cut short by the kill was asked again.
            images = [_image_count(r.body) for r in fake_glm.fake.requests]
            assert len(images) == 3 and images[1] == images[2] > images[0], images
            result = httpx.get(f"{base}/api/v1/replications/{job_id}/result.json", timeout=30).json()
            assert [r["round"] for r in result["rounds"]] == [0, 1]
            events = _events(base, job_id)
            running = [d for k, d in events if k == "state" and d.get("state") == "running"]
            assert [d.get("attempt") for d in running] == [1, 2]
            assert any(k == "note" and "resumes" in str(d.get("message")) for k, d in events)
            page = httpx.get(f"{base}/api/v1/replications/{job_id}/html", timeout=30)
            assert page.status_code == 200 and "<html" in page.text.lower()
            assert int(page.headers["content-length"]) == len(page.content)
            render = httpx.get(f"{base}/api/v1/replications/{job_id}/render.png", timeout=30)
            head = httpx.head(f"{base}/api/v1/replications/{job_id}/render.png", timeout=30)
            assert render.content.startswith(b"\x89PNG") and head.status_code == 200 and not head.content
            assert int(head.headers["content-length"]) == len(render.content)
            # Both workers' artifacts reached the API through the database: no process (each has a
            # folder of its own) kept any job's files.
            for folder in ("data", "worker-0-data", "worker-1-data"):
                assert not list((tmp_path / folder).glob("jobs/*/*")), folder

            # The queue came back too: the job is recorded done in it, and the survivor's queue worker
            # beats again after the restart.
            import psycopg

            with psycopg.connect(cluster.url, autocommit=True) as db:
                status = db.execute(
                    "SELECT status FROM procrastinate_jobs WHERE args->>'job_id' = %s", (job_id,)
                ).fetchone()
                assert status is not None and status[0] == "succeeded"
                # The queue's own heartbeat comes every few seconds: the job may finish before the
                # first one after the restart. Wait for it, a bounded while.
                deadline = time.monotonic() + 30
                while True:
                    beat = db.execute(
                        "SELECT max(extract(epoch FROM last_heartbeat)) FROM procrastinate_workers"
                    ).fetchone()
                    if beat is not None and beat[0] is not None and float(beat[0]) > restarted_at:
                        break
                    assert time.monotonic() < deadline, (beat, restarted_at)
                    time.sleep(0.5)
            assert beat is not None and float(beat[0]) > restarted_at
