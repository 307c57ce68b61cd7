"""CLI start-up: how long a person waits for ``replicator`` before anything happens.

Runs the installed console script in real processes, as a person would:

- ``replicator --help``: wall time to the help text (target at most 0.5 s);
- ``replicator convert IMAGE -o OUT`` of one screenshot, its output piped (plain log lines): time
  from launching the process to the line that says the first item started (target at most 2 s on
  the 2-core machine), the item's own time as the CLI reports it, and the whole run's wall time.

The figures are medians of a few runs; the targets are printed beside them, never asserted.

    .venv/bin/python bench/cli_startup.py [--quick] [--json] [--image PATH] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "replicator"
IMAGE = ROOT / "fixtures" / "references" / "landing.png"
HELP_TARGET_S = 0.5
FIRST_ITEM_TARGET_S = 2.0
_STARTED = re.compile(r"^\[\d+/\d+\] start ")
_ITEM_TIME = re.compile(r"^\[\d+/\d+\] ok .*\((\d+(?:\.\d+)?)s\)$")


def time_help() -> float:
    started = time.perf_counter()
    subprocess.run([str(CLI), "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def time_convert(image: Path) -> dict[str, float]:
    """One ``convert`` of ``image`` into a fresh folder: seconds to the first item's start, the item's
    own time and the whole run."""
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(CLI), "convert", str(image), "-o", out],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first_start = item = None
        for line in proc.stdout:
            line = line.rstrip("\n")
            if first_start is None and _STARTED.match(line):
                first_start = time.perf_counter() - started
            match = _ITEM_TIME.match(line)
            if match:
                item = float(match.group(1))
        stderr = proc.stderr.read() if proc.stderr else ""
        code = proc.wait()
        total = time.perf_counter() - started
    if code != 0 or first_start is None or item is None:
        raise SystemExit(f"convert failed (exit {code}): {stderr[-2000:]}")
    return {"first_item_start_s": first_start, "item_s": item, "total_s": total}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs (3 of --help, 1 of convert)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--image", type=Path, default=IMAGE, help="the screenshot to convert")
    parser.add_argument("--runs", type=int, default=None, help="convert runs (default 3; --quick 1)")
    args = parser.parse_args()

    help_runs = [time_help() for _ in range(3 if args.quick else 7)]
    runs = [time_convert(args.image) for _ in range(args.runs or (1 if args.quick else 3))]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    summary = {
        "help_s": round(statistics.median(help_runs), 3),
        "help_max_s": round(max(help_runs), 3),
        "convert_first_item_start_s": median("first_item_start_s"),
        "convert_item_s": median("item_s"),
        "convert_total_s": median("total_s"),
        "convert_overhead_s": round(statistics.median(r["total_s"] - r["item_s"] for r in runs), 2),
    }
    result = {
        "summary": summary,
        "targets": {"help_s": HELP_TARGET_S, "convert_first_item_start_s": FIRST_ITEM_TARGET_S},
        "image": str(args.image),
        "runs": {"help": len(help_runs), "convert": len(runs)},
        "bytecode_cache": "off (PYTHONDONTWRITEBYTECODE)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "on",
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"replicator --help                      {summary['help_s']:6.2f} s  (max {summary['help_max_s']:.2f}; target <= {HELP_TARGET_S})"
    )
    print(
        f"convert: start-up to the first item   {summary['convert_first_item_start_s']:6.2f} s  "
        f"(target <= {FIRST_ITEM_TARGET_S})"
    )
    print(f"convert: the item itself              {summary['convert_item_s']:6.2f} s")
    print(f"convert: whole run, one image         {summary['convert_total_s']:6.2f} s")
    print(f"convert: outside the item             {summary['convert_overhead_s']:6.2f} s")
    print(
        f"({args.image.name}; medians of {len(help_runs)} and {len(runs)} runs; bytecode cache {result['bytecode_cache']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
