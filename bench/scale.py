"""Scale-out: jobs per minute with 1, 2 and 4 `replicator worker` processes behind one API.

Each configuration gets a fresh database on a throwaway PostgreSQL cluster (or ``--database-url``),
one `replicator serve` and N `replicator worker --concurrency C` processes, all on this machine.
A warm-up job per worker process loads its browser and OCR model first; then J uploads go in at
once (``?wait=`` so each request returns when its job is done) and the wall time from the first
upload to the last result gives the jobs per minute.

Two kinds of work:

- ``fake-glm``: the backend is GLM-4.5V played by the fake server in this process with an answer
  latency of 8 s (``--latency``): model-bound work, where the target is that 4 workers with
  concurrency 4 complete at least 8x the jobs per minute of one worker with concurrency 1 (the
  waits must overlap; each worker may have as many model calls in flight as it runs jobs,
  REPLICATOR_GLM_CONCURRENCY).
- ``local``: the embedded backend, CPU-bound: more processes than cores cannot help.

    python bench/scale.py [--work fake-glm local] [--latency 8] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.service import FAKE_KEY, SCREENSHOTS, start_service
from tests.service_helpers import stop_processes

FULL = {"fake-glm": [(1, 1), (1, 4), (2, 4), (4, 4)], "local": [(1, 1), (2, 1), (4, 1)]}
QUICK = {"fake-glm": [(1, 1), (4, 4)], "local": [(1, 1), (2, 1)]}


@contextlib.contextmanager
def database(server_url: str | None) -> Iterator[str]:
    """A server to make databases on: the one given, or a throwaway cluster."""
    if server_url:
        yield server_url
        return
    from tests.plugins.postgres import throwaway_cluster

    with throwaway_cluster() as cluster:
        yield cluster.url


def fresh_database(server_url: str) -> str:
    import psycopg

    from replicator.jobs.pg_store import migrate

    name = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    return url


def start_workers(
    workdir: Path, count: int, concurrency: int, env: dict[str, str]
) -> list[subprocess.Popen[bytes]]:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("REPLICATOR_", "ZAI_", "ZHIPUAI_"))}
    binary = Path(sys.executable).with_name("replicator")
    procs = []
    for n in range(count):
        data = workdir / f"worker-{n}"
        data.mkdir()
        procs.append(
            subprocess.Popen(
                [str(binary), "worker", "--concurrency", str(concurrency)],
                cwd=data,
                env=base_env | env | {"REPLICATOR_DATA_DIR": str(data)},
                stdout=subprocess.DEVNULL,
                stderr=(data / "worker.log").open("wb"),
            )
        )
    return procs


def wait_for_workers(base: str, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = httpx.get(f"{base}/api/v1/readyz", timeout=60).json()["checks"]["queue"]["detail"]
        if f"{count} worker process(es) alive" in detail:
            return
        time.sleep(0.5)
    raise SystemExit(f"{count} workers did not start: {detail}")


async def upload_all(base: str, jobs: int) -> tuple[float, int, list[str]]:
    """(wall seconds, jobs that succeeded, failures) for ``jobs`` uploads sent at once."""
    failures: list[str] = []
    succeeded = 0
    limits = httpx.Limits(max_connections=jobs + 4)
    async with httpx.AsyncClient(base_url=base, timeout=1200, limits=limits) as client:

        async def one(index: int) -> None:
            nonlocal succeeded
            shot = SCREENSHOTS[index % len(SCREENSHOTS)]
            response = await client.post(
                "/api/v1/replications?wait=600",
                files={"file": (shot.name, shot.read_bytes(), "image/png")},
                data={"refine_rounds": "0"},
            )
            if response.status_code == 200 and response.json()["state"] == "succeeded":
                succeeded += 1
            else:
                failures.append(f"{response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(jobs)))
        return time.perf_counter() - started, succeeded, failures


def run_config(
    server_url: str, work: str, workers: int, concurrency: int, jobs: int, backend_env: dict[str, str]
) -> dict[str, Any]:
    url = fresh_database(server_url)
    env = {"REPLICATOR_DATABASE_URL": url, "REPLICATOR_REFINE_ROUNDS": "0", **backend_env}
    # Every job slot of a worker may have its model call in flight (the default, 2 per process,
    # suits a hosted account's concurrency; a self-hosted model takes what it is sized for).
    env["REPLICATOR_GLM_CONCURRENCY"] = str(max(2, concurrency))
    with tempfile.TemporaryDirectory(prefix="replicator-scale-") as tmp:
        api, base = start_service(Path(tmp), 1, env)
        procs = start_workers(Path(tmp), workers, concurrency, env)
        try:
            wait_for_workers(base, workers)
            asyncio.run(upload_all(base, workers))  # warm-up: browsers and OCR models loaded
            wall, succeeded, failures = asyncio.run(upload_all(base, jobs))
        finally:
            stop_processes(procs, timeout=60)
            stop_processes([api], timeout=60)
    return {
        "work": work,
        "workers": workers,
        "concurrency": concurrency,
        "jobs": jobs,
        "succeeded": succeeded,
        "failures": failures[:3],
        "wall_s": round(wall, 1),
        "jobs_per_min": round(succeeded / wall * 60, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", nargs="*", choices=("fake-glm", "local"), default=["fake-glm", "local"])
    parser.add_argument("--latency", type=float, default=8.0, help="the fake model's answer latency (s)")
    parser.add_argument(
        "--database-url", help="a PostgreSQL server to make databases on (default: a throwaway cluster)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer configurations and jobs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    plans = QUICK if args.quick else FULL
    console = Console(stderr=True)

    rows: list[dict[str, Any]] = []
    fake = None
    try:
        with database(args.database_url) as server_url:
            for work in args.work:
                backend_env = {"REPLICATOR_BACKEND": "local"}
                if work == "fake-glm":
                    from replicator.fake_glm import FakeGlm, FakeGlmServer

                    fake = FakeGlmServer(FakeGlm(api_key=FAKE_KEY, latency_s=args.latency)).start()
                    backend_env = {
                        "REPLICATOR_BACKEND": "glm",
                        "REPLICATOR_GLM_BASE_URL": fake.base_url,
                        "REPLICATOR_API_KEY": FAKE_KEY,
                        "REPLICATOR_FALLBACK_BACKEND": "none",
                    }
                for workers, concurrency in plans[work]:
                    slots = workers * concurrency
                    # Two jobs per slot (one in quick runs), at least four for one slot.
                    jobs = max(4 if slots == 1 else 2, slots * (1 if args.quick else 2))
                    console.print(f"{work}: {workers} worker(s) x concurrency {concurrency}, {jobs} jobs ...")
                    rows.append(run_config(server_url, work, workers, concurrency, jobs, backend_env))
                if fake is not None:
                    fake.stop()
                    fake = None
    finally:
        if fake is not None:
            fake.stop()

    for row in rows:
        first = next(r for r in rows if r["work"] == row["work"])
        row["speedup"] = (
            round(row["jobs_per_min"] / first["jobs_per_min"], 2) if first["jobs_per_min"] else None
        )
    summary = {
        f"{r['work']}_{r['workers']}x{r['concurrency']}_jobs_per_min": r["jobs_per_min"] for r in rows
    } | {f"{r['work']}_{r['workers']}x{r['concurrency']}_speedup": r["speedup"] for r in rows}
    report = {"summary": summary, "rows": rows, "latency_s": args.latency, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(report))
    else:
        table = Table(title=f"scale-out: jobs per minute (fake GLM latency {args.latency:g} s)")
        for column in (
            "work",
            "workers",
            "concurrency",
            "jobs",
            "succeeded",
            "wall s",
            "jobs/min",
            "speed-up",
        ):
            table.add_column(column, justify="left" if column == "work" else "right")
        for r in rows:
            table.add_row(
                r["work"],
                str(r["workers"]),
                str(r["concurrency"]),
                str(r["jobs"]),
                str(r["succeeded"]),
                f"{r['wall_s']:.1f}",
                f"{r['jobs_per_min']:.1f}",
                f"{r['speedup']:.2f}x" if r["speedup"] is not None else "-",
            )
        Console().print(table)
        for r in rows:
            for failure in r["failures"]:
                console.print(f"[red]{r['work']} {r['workers']}x{r['concurrency']}: {failure}[/]")
    return 0 if all(r["succeeded"] == r["jobs"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
