"""Normalize a recording to an MP4 a model API takes (H.264 video only, moov first).

GLM-4.5V takes mp4, mkv and mov but not WebM, and at most 200 MB. H.264 in MP4/MOV is only
re-muxed (no quality loss, fast); anything else is encoded with libx264. The result is kept in the
data directory under the upload's hash, so a second job on the same recording reuses it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..config import Settings
from ..errors import ReplicatorError
from ._process import Deadline, decode_first_video_stream, run_tool
from .probe import VideoInfo

log = logging.getLogger(__name__)

MAX_VIDEO_BYTES = 200 * 1024 * 1024  # the API's limit for one video
MAX_ENCODED_WIDTH = 1920  # the model samples a few frames a second; more pixels only cost bytes


def normalized_mp4_path(settings: Settings, sha256: str) -> Path:
    return settings.data_path("recordings", f"{sha256}.mp4")


def transcode_to_mp4(path: Path, info: VideoInfo, settings: Settings, sha256: str) -> Path | None:
    """The recording as a normalized MP4 in the data directory, or None if that failed.

    Failing is not an error for the job: a backend without the video sends key states instead.
    """
    target = normalized_mp4_path(settings, sha256)
    if target.is_file() and target.stat().st_size > 0:
        return target
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    remux = info.codec == "h264" and info.is_mp4_family
    codec_args = (
        ["-c:v", "copy"]
        if remux
        else [
            "-vf",
            f"scale='min({MAX_ENCODED_WIDTH},iw)':-2:flags=bicubic,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
        ]
    )
    args = [
        *decode_first_video_stream(path, seconds=settings.max_video_seconds),
        "-map_metadata",
        "-1",
        *codec_args,
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-y",
        str(partial),
    ]
    try:
        result = run_tool(
            args,
            Deadline(settings.video_decode_timeout_s),
            what="converted to MP4",
            max_file_bytes=MAX_VIDEO_BYTES + 1,
        )
        if result.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            log.warning("transcoding %s failed (exit %s): %s", path.name, result.returncode, result.stderr)
            return None
        if partial.stat().st_size > MAX_VIDEO_BYTES:
            log.info("normalized MP4 of %s is over the API's video limit; key states only", path.name)
            return None
        partial.replace(target)
        return target
    except ReplicatorError as exc:
        log.warning("transcoding %s gave up: %s", path.name, exc)
        return None
    finally:
        partial.unlink(missing_ok=True)
