"""Recording intake speed: probe, key-state extraction (both decoding passes) and MP4 normalization
per fixture recording, plus a long recording made at bench time (the tabs fixture looped to 60 s and
scaled to 1280x960) to show how decoding scales with length.

    .venv/bin/python bench/recording.py [--quick] [--json] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.config import Settings  # noqa: E402
from replicator.recording._process import Deadline  # noqa: E402
from replicator.recording.keystates import extract_key_states  # noqa: E402
from replicator.recording.probe import probe_video  # noqa: E402
from replicator.recording.transcode import transcode_to_mp4  # noqa: E402

RECORDINGS = ROOT / "fixtures" / "recordings"


def measure(path: Path, settings: Settings, repeat: int) -> dict[str, float]:
    probe_s, keystates_s, transcode_s = [], [], []
    states = 0
    for i in range(repeat):
        deadline = Deadline(settings.video_decode_timeout_s)
        start = time.perf_counter()
        info = probe_video(path, settings, deadline)
        probed = time.perf_counter()
        result = extract_key_states(path, info, settings, deadline)
        extracted = time.perf_counter()
        transcode_to_mp4(path, info, settings, f"bench-{path.name}-{i}")
        done = time.perf_counter()
        probe_s.append(probed - start)
        keystates_s.append(extracted - probed)
        transcode_s.append(done - extracted)
        states = len(result.states)
        duration = result.duration_s
    probe, keys = statistics.median(probe_s), statistics.median(keystates_s)
    return {
        "video_s": round(duration, 2),
        "states": states,
        "probe_s": round(probe, 3),
        "keystates_s": round(keys, 3),
        "decode_keystates_s": round(probe + keys, 3),
        "transcode_s": round(statistics.median(transcode_s), 3),
        "realtime_x": round(duration / (probe + keys), 1),
    }


def long_recording(tmp: Path) -> Path:
    out = tmp / "tabs-long.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "9", "-i", str(RECORDINGS / "tabs.mp4"),
         "-t", "60", "-vf", "scale=1280:960", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
         "-b:v", "600k", str(out)],
        check=True,
    )  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the fixtures once, no long recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--repeat", type=int, default=None, help="runs per recording (median; default 3)")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        inputs = sorted(RECORDINGS.glob("*.mp4")) + sorted(RECORDINGS.glob("*.webm"))
        if not args.quick:
            inputs.append(long_recording(Path(tmp)))
        for path in inputs:
            rows[path.name] = measure(path, settings, repeat)
    fixture_rows = [r for name, r in rows.items() if "long" not in name]
    summary = {
        "fixture_decode_keystates_s_mean": round(
            statistics.mean(r["decode_keystates_s"] for r in fixture_rows), 3
        ),
        "fixture_transcode_s_mean": round(statistics.mean(r["transcode_s"] for r in fixture_rows), 3),
    }
    if "tabs-long.webm" in rows:
        summary["long_60s_decode_keystates_s"] = rows["tabs-long.webm"]["decode_keystates_s"]
    if args.json:
        print(json.dumps({"name": "recording", "summary": summary, "recordings": rows}))
        return 0
    table = Table(title=f"recording intake (median of {repeat})")
    columns = [
        "video_s",
        "states",
        "probe_s",
        "keystates_s",
        "decode_keystates_s",
        "transcode_s",
        "realtime_x",
    ]
    headers = ["video s", "states", "probe s", "key states s", "probe+keys s", "to MP4 s", "x realtime"]
    table.add_column("recording", no_wrap=True)
    for header in headers:
        table.add_column(header, justify="right")
    for name, row in rows.items():
        table.add_row(name, *(str(row[c]) for c in columns))
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
