"""Run FFmpeg's tools on untrusted files: a deadline, resource limits, no protocol but local files.

A hostile or corrupt recording can make a decoder spin, allocate without end or crash. Running the
tools in their own process means a crash is an exit code, and the deadline and rlimits below mean a
spin or an allocation storm is killed instead of hanging a worker.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError, VideoRejected

log = logging.getLogger(__name__)

# Containers we decode: ISO-BMFF (MP4/MOV) and Matroska (WebM). FFmpeg matches any name in a
# demuxer's comma-separated list, so "mov" admits "mov,mp4,m4a,3gp,3g2,mj2".
FORMAT_WHITELIST = "mov,matroska"
# Address space and written bytes a tool may use: generous for 4K decoding, fatal for a bomb.
MEMORY_LIMIT_BYTES = 3 * 1024**3
STDERR_TAIL_LINES = 20


def tool_path(name: str) -> str:
    """The path of ``ffmpeg`` or ``ffprobe``, or a ConfigurationError naming the fix."""
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(
            f"`{name}` was not found; recordings need FFmpeg. Install it with `sudo apt-get install ffmpeg` "
            "(`make run` does this)."
        )
    return found


def input_args(path: Path) -> list[str]:
    """FFmpeg input options that open ``path`` as a local file and nothing else."""
    # The `file:` prefix stops a name like `concat:a|b` or `-x` being read as a protocol or option.
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        FORMAT_WHITELIST,
        "-i",
        f"file:{path.resolve()}",
    ]


def decode_first_video_stream(path: Path, *, seconds: float, max_pixels: int | None = None) -> list[str]:
    """The start of every FFmpeg command that decodes a recording: quiet, two threads, local file
    only, at most ``seconds`` long, its first video stream only (no audio, subtitles or data)."""
    pixel_cap = ["-max_pixels", str(max_pixels)] if max_pixels is not None else []
    return [
        tool_path("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-threads",
        "2",
        *pixel_cap,
        *input_args(path),
        "-t",
        f"{seconds:.3f}",
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
    ]


class Deadline:
    """A point in monotonic time that several steps share."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(self._end - time.monotonic(), 0.0)

    def expired_error(self, what: str) -> VideoRejected:
        return VideoRejected(
            f"The recording could not be {what} within {self.seconds:g} s; it may be damaged or built to "
            "stall decoders (REPLICATOR_VIDEO_DECODE_TIMEOUT_S).",
        )


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: bytes
    stderr: str


def _limit(pid: int, cpu_seconds: float, max_file_bytes: int | None) -> None:
    """Apply rlimits to a started child (preexec_fn is unsafe in a threaded parent)."""
    limits = [
        (resource.RLIMIT_AS, MEMORY_LIMIT_BYTES),
        (resource.RLIMIT_CPU, int(cpu_seconds) + 1),
        (resource.RLIMIT_CORE, 0),
    ]
    if max_file_bytes is not None:
        limits.append((resource.RLIMIT_FSIZE, max_file_bytes))
    for which, value in limits:
        try:
            resource.prlimit(pid, which, (value, value))
        except (ProcessLookupError, PermissionError, OSError):  # exited already, or not allowed here
            log.debug("could not set rlimit %s on %d", which, pid)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _drain_stderr(stream: object, tail: deque[str]) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        tail.append(raw.decode("utf-8", "replace").rstrip())


@contextmanager
def spawn(
    args: Sequence[str], deadline: Deadline, *, max_file_bytes: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], deque[str], threading.Event]]:
    """Start a tool whose stdout the caller streams; it is killed when the deadline passes.

    Yields the process, the tail of its stderr and an event set if the deadline killed it.
    """
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a kill reaches everything it started
        close_fds=True,
    )
    # Decoders may use several threads, each burning CPU time: allow two cores' worth.
    _limit(proc.pid, 2 * deadline.remaining() + 5, max_file_bytes)
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    timed_out = threading.Event()

    def on_deadline() -> None:
        timed_out.set()
        _kill(proc)

    watchdog = threading.Timer(deadline.remaining(), on_deadline)
    watchdog.daemon = True
    drain = threading.Thread(target=_drain_stderr, args=(proc.stderr, tail), daemon=True)
    watchdog.start()
    drain.start()
    try:
        yield proc, tail, timed_out
    finally:
        watchdog.cancel()
        _kill(proc)
        proc.wait()
        drain.join(timeout=2)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


def run_tool(
    args: Sequence[str],
    deadline: Deadline,
    *,
    what: str,
    max_stdout: int = 16 * 1024 * 1024,
    max_file_bytes: int | None = None,
) -> ToolResult:
    """Run a tool to completion within the deadline; raise VideoRejected if it does not finish."""
    with spawn(args, deadline, max_file_bytes=max_file_bytes) as (proc, tail, timed_out):
        assert proc.stdout is not None
        chunks: list[bytes] = []
        size = 0
        while chunk := proc.stdout.read(65536):
            size += len(chunk)
            if size > max_stdout:
                _kill(proc)
                raise VideoRejected(f"The recording could not be {what}: the tool's output was too large.")
            chunks.append(chunk)
        returncode = proc.wait()
        if timed_out.is_set():
            raise deadline.expired_error(what)
    return ToolResult(returncode, b"".join(chunks), "\n".join(tail))
