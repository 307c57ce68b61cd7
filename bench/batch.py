"""Batch throughput: ``replicator convert`` over the development set at concurrency 1 and 2.

Runs the real CLI as a subprocess with the local backend (offline, no key), samples the resident
memory of the process and all its children (Chromium included) with psutil, and prints pages per
minute, the speed-up of concurrency 2 over 1 (target: at least 1.6x on 2 cores) and peak memory,
plus how much memory grew between the first and the last quarter of the batch (target: flat).
Memory counts every process of the tree: the CLI, its CPU worker processes and Chromium. CPU time
(user + system of the whole tree) and the cores it kept busy are printed too, with the load
average before each run: on a shared machine they say more than the wall time alone. "machine
busy" is the share of all cores the whole machine spent busy during the run: the batch's own CPU
count misses Chromium renderers that exited, this one misses nothing. Concurrency 1 already runs
OCR on every core, so 1 / (its machine busy) bounds what concurrency 2 can gain.

A third run repeats concurrency 1 with one OCR thread, the work each item does at concurrency 2:
concurrency 2 over that run is the scaling of the batch itself (items running side by side, with
no lock, GIL or browser queue between them), separate from OCR's own use of the second core.

    .venv/bin/python bench/batch.py [--quick] [--json] [--repeat N] [--cpu-workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "replicator"


def dev_set(quick: bool, repeat: int) -> list[Path]:
    """The development set (fixtures/references, else the CLI fixtures), repeated ``repeat`` times."""
    shots = sorted((ROOT / "fixtures" / "references").glob("*.png")) or sorted(
        (ROOT / "fixtures" / "cli").glob("*.png")
    )
    if quick:
        shots = shots[:4]
    return shots * repeat


class RssSampler:
    """Samples the RSS of a process tree every ``interval`` seconds in a background thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.samples.append((time.monotonic() - start, total))
            self._stop.wait(self.interval)


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all cores) since boot.

    The batch's own count misses Chromium's renderers, which exit unwaited; the machine's count
    misses nothing, but includes whatever else runs (hence the load average before each run).
    """
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(
    inputs: list[Path], concurrency: int, cpu_workers: int | None = None, ocr_threads: int | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="replicator-bench-") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for n, path in enumerate(inputs):
            shutil.copy(path, src / f"{n:03d}-{path.name}")
        out = Path(tmp) / "out"
        env = {
            **os.environ,
            "REPLICATOR_BACKEND": "local",
            "REPLICATOR_REFINE_ROUNDS": "0",
            "REPLICATOR_DATA_DIR": str(Path(tmp) / "data"),
        }
        if cpu_workers is not None:
            env["REPLICATOR_CPU_WORKERS"] = str(cpu_workers)
        if ocr_threads is not None:
            env["REPLICATOR_OCR_THREADS"] = str(ocr_threads)
        load = os.getloadavg()[0]
        cpu_before = _children_cpu_s()
        machine_before = _machine_busy_s()
        argv = [str(BIN), "convert", str(src), "-o", str(out), "--concurrency", str(concurrency)]
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with RssSampler(proc.pid) as sampler:
            stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        machine_busy = (_machine_busy_s() - machine_before) / (seconds * (psutil.cpu_count() or 1))
        # Every descendant that was waited for: the CLI, its CPU workers, the browser driver's tree.
        cpu_s = _children_cpu_s() - cpu_before
        report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
        if proc.returncode not in (0, 1) or not report:
            raise SystemExit(f"convert failed (exit {proc.returncode}):\n{stdout[-1500:]}\n{stderr[-1500:]}")
    summary = report["summary"]
    rss = [value for _, value in sampler.samples] or [0]
    quarter = max(1, len(rss) // 4)
    return {
        "items": len(inputs),
        "succeeded": summary["succeeded"],
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu_s, 1),
        "cores_busy": round(cpu_s / seconds, 2),
        "machine_busy": round(machine_busy, 3),
        "load_before": round(load, 2),
        "pages_per_min": round(summary["succeeded"] / seconds * 60, 2),
        "peak_rss_mb": round(max(rss) / 2**20, 1),
        # Memory growth across the batch: median of the last quarter minus median of the second.
        "rss_growth_mb": round(
            (statistics.median(rss[-quarter:]) - statistics.median(rss[quarter : 2 * quarter] or rss))
            / 2**20,
            1,
        ),
        "mean_score": summary["mean_score"] or 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="4 pages once instead of the whole set twice")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--repeat", type=int, default=None, help="times the set is repeated (default 2, quick 1)"
    )
    parser.add_argument(
        "--cpu-workers",
        type=int,
        default=None,
        help="REPLICATOR_CPU_WORKERS for both runs (default: unset, one per core; 0: threads)",
    )
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 2)
    inputs = dev_set(args.quick, repeat)

    runs: dict[str, dict[str, float]] = {
        "1": run_batch(inputs, 1, args.cpu_workers),
        "2": run_batch(inputs, 2, args.cpu_workers),
        "1 (one OCR thread)": run_batch(inputs, 1, args.cpu_workers, ocr_threads=1),
    }
    one, two, one_thread = runs["1"], runs["2"], runs["1 (one OCR thread)"]
    speedup = two["pages_per_min"] / one["pages_per_min"] if one["pages_per_min"] else 0.0
    scaling = two["pages_per_min"] / one_thread["pages_per_min"] if one_thread["pages_per_min"] else 0.0
    summary = {
        "pages": len(inputs),
        "c1_pages_per_min": one["pages_per_min"],
        "c2_pages_per_min": two["pages_per_min"],
        "speedup_c2_over_c1": round(speedup, 2),
        "c1_one_ocr_thread_pages_per_min": one_thread["pages_per_min"],
        "scaling_c2_over_c1_one_ocr_thread": round(scaling, 2),
        "c1_peak_rss_mb": one["peak_rss_mb"],
        "c2_peak_rss_mb": two["peak_rss_mb"],
        "c2_rss_growth_mb": two["rss_growth_mb"],
        "c1_cpu_s": one["cpu_s"],
        "c2_cpu_s": two["cpu_s"],
        "c1_cores_busy": one["cores_busy"],
        "c2_cores_busy": two["cores_busy"],
        "c1_machine_busy": one["machine_busy"],
        "c2_machine_busy": two["machine_busy"],
    }
    if args.json:
        print(json.dumps({"name": "batch", "summary": summary, "runs": runs}))
        return 0
    table = Table(title=f"replicator convert, local backend, {len(inputs)} pages, {psutil.cpu_count()} CPUs")
    for column in (
        "concurrency",
        "pages/min",
        "seconds",
        "ok",
        "peak RSS MiB",
        "RSS growth MiB",
        "CPU s",
        "cores busy",
        "machine busy",
        "load before",
        "mean score",
    ):
        table.add_column(column, justify="right")
    for c, run in runs.items():
        table.add_row(
            c,
            f"{run['pages_per_min']:.1f}",
            f"{run['seconds']:.1f}",
            f"{run['succeeded']}/{run['items']}",
            f"{run['peak_rss_mb']:.0f}",
            f"{run['rss_growth_mb']:+.0f}",
            f"{run['cpu_s']:.0f}",
            f"{run['cores_busy']:.2f}",
            f"{run['machine_busy']:.0%}",
            f"{run['load_before']:.1f}",
            f"{run['mean_score']:.1f}",
        )
    console = Console(width=max(Console().width, 130))
    console.print(table)
    console.print(f"speed-up of concurrency 2 over 1: {speedup:.2f}x (target >= 1.6x)")
    c1_busy, c2_busy = one["machine_busy"], two["machine_busy"]
    if c1_busy > 0:
        console.print(
            f"the machine was {c1_busy:.0%} busy at concurrency 1 (OCR runs on every core), so concurrency 2 "
            f"can gain at most about {1 / c1_busy:.2f}x; it was {c2_busy:.0%} busy at concurrency 2"
        )
    console.print(
        f"scaling with the same work per item (concurrency 2 over concurrency 1 with one OCR thread): "
        f"{scaling:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
