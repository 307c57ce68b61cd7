"""Service throughput: N concurrent uploads through the REST API of a real `replicator serve`.

Starts the service on 127.0.0.1 (ephemeral port, private data dir), uploads N screenshots at once
(``?wait=`` so each request returns when its job is done), and meanwhile probes ``/healthz`` every
50 ms. Prints jobs per minute, p50/p99 job latency, and p50/p99 of ``/healthz`` under that load
(target: p99 under 100 ms, i.e. OCR, image work and rendering never block the event loop).

    python bench/service.py [--jobs 8] [--workers 2] [--backend local|fake-glm] [--cpu-workers N]
                            [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = sorted((ROOT / "fixtures" / "cli").glob("*.png"))
FAKE_KEY = "sk-bench-0000"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(
    data_dir: Path, workers: int, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPLICATOR_", "ZAI_", "ZHIPUAI_"))}
    env |= {"REPLICATOR_DATA_DIR": str(data_dir), "REPLICATOR_WORKERS": str(workers), **extra_env}
    binary = Path(sys.executable).with_name("replicator")
    process = subprocess.Popen(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=data_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "serve.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit("the service did not start:\n" + (data_dir / "serve.log").read_text())


async def run_load(base: str, jobs: int, refine_rounds: int) -> dict[str, Any]:
    latencies: list[float] = []
    health: list[float] = []
    failures: list[str] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=jobs + 4)
    async with httpx.AsyncClient(base_url=base, timeout=900, limits=limits) as client:

        async def one(index: int) -> None:
            shot = SCREENSHOTS[index % len(SCREENSHOTS)]
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/replications?wait=600",
                files={"file": (shot.name, shot.read_bytes(), "image/png")},
                data={"refine_rounds": str(refine_rounds)},
            )
            elapsed = time.perf_counter() - started
            if response.status_code == 200 and response.json()["state"] == "succeeded":
                latencies.append(elapsed)
            else:
                failures.append(f"{response.status_code}: {response.text[:200]}")

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await client.get("/api/v1/healthz")
                health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(jobs)))
        wall = time.perf_counter() - started
        done.set()
        await prober
    return {
        "jobs": jobs,
        "succeeded": len(latencies),
        "failures": failures[:5],
        "wall_s": round(wall, 2),
        "summary": {
            "jobs_per_min": round(len(latencies) / wall * 60, 2),
            "job_latency_p50_s": round(percentile(latencies, 50), 2),
            "job_latency_p99_s": round(percentile(latencies, 99), 2),
            "healthz_p50_ms": round(percentile(health, 50), 1),
            "healthz_p99_ms": round(percentile(health, 99), 1),
            "healthz_max_ms": round(max(health), 1) if health else float("nan"),
        },
        "healthz_probes": len(health),
        "mean_job_latency_s": round(statistics.fmean(latencies), 2) if latencies else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=8, help="concurrent uploads (default 8)")
    parser.add_argument(
        "--workers", type=int, default=2, help="REPLICATOR_WORKERS of the service (default 2)"
    )
    parser.add_argument("--refine-rounds", type=int, default=0)
    parser.add_argument(
        "--backend",
        choices=("local", "fake-glm"),
        default="local",
        help="local (default) or the fake GLM server in this process (isolates the service's own cost)",
    )
    parser.add_argument(
        "--cpu-workers",
        type=int,
        default=None,
        help="REPLICATOR_CPU_WORKERS of the service (default: unset, one per core; 0: threads)",
    )
    parser.add_argument("--quick", action="store_true", help="4 uploads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    jobs = 4 if args.quick else args.jobs

    fake = None
    extra = {"REPLICATOR_BACKEND": "local"}
    if args.backend == "fake-glm":
        from replicator.fake_glm import FakeGlm, FakeGlmServer

        fake = FakeGlmServer(FakeGlm(api_key=FAKE_KEY)).start()
        extra = {
            "REPLICATOR_BACKEND": "glm",
            "REPLICATOR_GLM_BASE_URL": fake.base_url,
            "REPLICATOR_API_KEY": FAKE_KEY,
        }

    if args.cpu_workers is not None:
        extra["REPLICATOR_CPU_WORKERS"] = str(args.cpu_workers)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="replicator-bench-") as tmp:
        process, base = start_service(Path(tmp), args.workers, extra)
        try:
            report = asyncio.run(run_load(base, jobs, args.refine_rounds))
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if fake is not None:
                fake.stop()
    report |= {
        "backend": args.backend,
        "workers": args.workers,
        "cpu_workers": args.cpu_workers,
        "cpus": os.cpu_count(),
        "load_before": round(load, 2),
    }

    if args.json:
        print(json.dumps(report))
    else:
        table = Table(
            title=f"service: {jobs} concurrent uploads, {args.workers} workers, backend {args.backend}"
        )
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in report["summary"].items():
            table.add_row(key, str(value))
        table.add_row("succeeded", f"{report['succeeded']}/{jobs}")
        table.add_row("load average before", f"{load:.1f}")
        Console().print(table)
        for failure in report["failures"]:
            Console(stderr=True).print(f"[red]failed:[/] {failure}")
    return 0 if report["succeeded"] == jobs else 1


if __name__ == "__main__":
    raise SystemExit(main())
