"""Run every benchmark in bench/ and print one summary table (``make bench``).

Each benchmark script prints one JSON object on stdout when given ``--json``; its top-level
``summary`` (or else its top-level numbers) becomes rows of the table. ``--quick`` is passed on.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent


def numeric_leaves(data: object, prefix: str = "") -> list[tuple[str, float]]:
    if isinstance(data, bool):
        return []
    if isinstance(data, int | float):
        return [(prefix, float(data))]
    if isinstance(data, dict):
        rows: list[tuple[str, float]] = []
        for key, value in data.items():
            rows.extend(numeric_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs of every benchmark")
    parser.add_argument("--only", nargs="*", help="names of benchmarks to run (e.g. render score)")
    args = parser.parse_args()

    console = Console()
    scripts = sorted(
        p for p in BENCH_DIR.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    table = Table(title="replicator benchmarks")
    table.add_column("benchmark")
    table.add_column("figure")
    table.add_column("value", justify="right")
    failures = 0
    for script in scripts:
        command = [sys.executable, str(script), "--json"] + (["--quick"] if args.quick else [])
        console.print(f"[bold]running[/] {script.name} ...")
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, cwd=BENCH_DIR.parent)
        seconds = time.perf_counter() - started
        lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip().startswith("{")]
        if proc.returncode != 0 or not lines:
            failures += 1
            table.add_row(script.stem, "[red]failed[/]", f"exit {proc.returncode}")
            console.print(proc.stderr[-2000:])
            continue
        result = json.loads(lines[-1])
        figures = numeric_leaves(result.get("summary", result))
        for i, (name, value) in enumerate(figures):
            table.add_row(script.stem if i == 0 else "", name, f"{value:,.2f}")
        table.add_row("", "wall seconds", f"{seconds:,.1f}", end_section=True)
    console.print(table)
    freq = psutil.cpu_freq()
    console.print(
        f"machine: {platform.machine()}, {psutil.cpu_count(logical=True)} logical CPUs"
        f"{f' @ {freq.max:.0f} MHz' if freq and freq.max else ''}, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
