"""Scale-out on a real PostgreSQL: the API process defers jobs to the queue (Procrastinate) and two
``replicator worker`` processes run them; progress written by a worker reaches the API's event
stream, artifacts are served by the API (a shared data folder), and a cancellation reaches the
worker running the job."""

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
from tests.service_helpers import running_service, service_env

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def workers(workdir: Path, count: int, **settings: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = service_env(workdir / "data", **settings)
    procs = []
    try:
        for n in range(count):
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
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
    png = (fixtures_dir / "references" / "blog_article.png").read_bytes()
    settings = {
        "REPLICATOR_DATABASE_URL": pg_url,
        "REPLICATOR_BACKEND": "local",
        "REPLICATOR_REFINE_ROUNDS": "0",
    }
    with running_service(tmp_path, **settings) as (_, base):
        # Cancelled while no worker is there: the worker that takes it later skips it.
        skipped = _submit(base, png)
        assert (
            httpx.post(f"{base}/api/v1/replications/{skipped}/cancel", timeout=30).json()["state"]
            == "cancelled"
        )
        with workers(tmp_path, 2, **settings):
            ids = [_submit(base, png) for _ in range(3)]
            _check_jobs(base, ids, tmp_path)
        assert [d.get("state") for k, d in _events(base, skipped) if k == "state"] == ["queued", "cancelled"]
        logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(2))
        assert f"running job {skipped}" not in logs or f"job {skipped}: cancelled" in logs
    assert not (tmp_path / "data" / "replicator.db").exists()  # nothing went to SQLite


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
    ready = httpx.get(f"{base}/api/v1/readyz", timeout=60).json()["checks"]["database"]
    assert ready["ok"] and "PostgreSQL" in ready["detail"] and "4 job(s)" in ready["detail"]
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
    png = (fixtures_dir / "references" / "blog_article.png").read_bytes()
    settings = {
        "REPLICATOR_DATABASE_URL": pg_url,
        "REPLICATOR_BACKEND": "glm",
        "REPLICATOR_GLM_BASE_URL": fake_glm.base_url,
        "REPLICATOR_API_KEY": FAKE_KEY,
        "REPLICATOR_FALLBACK_BACKEND": "none",
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
        assert time.monotonic() - asked < 2.5
        states = [data.get("state") for kind, data in _events(base, job_id) if kind == "state"]
        assert states[-1] == "cancelled"
