"""Probe a recording with ffprobe and hold it to the caps in settings before anything decodes it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import CorruptInput, InputTooLarge, UnsupportedMedia, VideoRejected
from ._process import Deadline, input_args, run_tool, tool_path

log = logging.getLogger(__name__)

# Decoders we let loose on uploads: what screen recorders and browsers actually produce.
VIDEO_CODECS = {
    "h264": "H.264",
    "hevc": "HEVC",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "mpeg4": "MPEG-4",
    "prores": "ProRes",
    "qtrle": "QuickTime Animation",
    "mjpeg": "Motion JPEG",
}
# ISO-BMFF brands of still images (AVIF, HEIF): an ftyp box does not make a file a video.
IMAGE_BRANDS = {"avif", "avis", "heic", "heix", "heim", "heis", "hevc", "mif1", "msf1"}
MIN_SIDE = 16
# A declared duration the decoded frames must cover: less means the file was cut short.
COVERAGE = 0.9


@dataclass(frozen=True)
class VideoInfo:
    """What ffprobe says about a recording, after the caps were checked."""

    container: str  # ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"
    codec: str  # the video stream's codec_name
    width: int  # as displayed (rotation applied)
    height: int
    duration_s: float | None  # None when the container does not say (some WebM files)
    frame_rate: float | None
    streams: int
    has_audio: bool
    size_bytes: int

    @property
    def is_mp4_family(self) -> bool:
        return self.container.startswith("mov")


def check_size(path: Path, settings: Settings) -> int:
    """The file's size in bytes, or CorruptInput/InputTooLarge (the same rule as every upload)."""
    from ..intake import check_file_size  # intake imports this package lazily; no cycle at import

    return check_file_size(path, settings)


def probe_video(path: Path, settings: Settings, deadline: Deadline) -> VideoInfo:
    """Run ffprobe on ``path`` (local file only, within the deadline) and enforce every cap."""
    size = check_size(path, settings)
    args = [
        tool_path("ffprobe"),
        "-v",
        "error",
        "-hide_banner",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *input_args(path),
    ]
    result = run_tool(args, deadline, what="read")
    if result.returncode != 0:
        log.info("ffprobe rejected %s: %s", path.name, result.stderr)
        raise CorruptInput(
            "The recording could not be read: the file is damaged, cut short or not really an MP4, MOV "
            "or WebM video."
        )
    try:
        data = json.loads(result.stdout or b"{}")
    except ValueError as exc:
        raise CorruptInput("The recording could not be read: its metadata is unreadable.") from exc
    return video_info(data, settings, size)


def video_info(data: dict[str, Any], settings: Settings, size: int) -> VideoInfo:
    """Check ffprobe's JSON against the caps and distil it into a VideoInfo."""
    fmt = data.get("format") or {}
    streams: list[dict[str, Any]] = data.get("streams") or []
    container = str(fmt.get("format_name", ""))
    brand = str((fmt.get("tags") or {}).get("major_brand", "")).strip().lower()
    if brand in IMAGE_BRANDS:
        raise UnsupportedMedia(
            f"This is a still image ({brand.upper()}), not a recording. Upload it as PNG, JPEG or WebP."
        )
    if not streams:
        raise CorruptInput("The recording holds no readable streams; the file is damaged or empty.")
    if len(streams) > settings.max_video_streams:
        raise VideoRejected(
            f"The recording has {len(streams)} streams; at most {settings.max_video_streams} are accepted "
            "(REPLICATOR_MAX_VIDEO_STREAMS).",
        )
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        kinds = sorted({str(s.get("codec_type", "unknown")) for s in streams})
        raise VideoRejected(
            f"The file has no video stream (only {', '.join(kinds)}); upload a screen recording with picture.",
        )
    video = videos[0]
    codec = str(video.get("codec_name", ""))
    if codec not in VIDEO_CODECS:
        raise UnsupportedMedia(
            f"The recording's video codec ({codec or 'unknown'}) is not supported; use "
            f"{', '.join(VIDEO_CODECS.values())}.",
        )
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width < MIN_SIDE or height < MIN_SIDE:
        raise CorruptInput(f"The recording's picture is {width}x{height} pixels; nothing to replicate.")
    if width * height > settings.max_video_pixels:
        raise InputTooLarge(
            f"The recording is {width}x{height} pixels; the limit is {settings.max_video_pixels:,} pixels "
            "per frame (REPLICATOR_MAX_VIDEO_PIXELS).",
        )
    if abs(_rotation(video)) % 180 == 90:
        width, height = height, width
    duration = _duration(fmt, video)
    if duration is not None and duration > settings.max_video_seconds:
        raise InputTooLarge(
            f"The recording lasts {duration:.1f} s; the limit is {settings.max_video_seconds:g} s "
            "(REPLICATOR_MAX_VIDEO_SECONDS).",
        )
    return VideoInfo(
        container=container,
        codec=codec,
        width=width,
        height=height,
        duration_s=duration,
        frame_rate=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        streams=len(streams),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        size_bytes=size,
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _duration(fmt: dict[str, Any], video: dict[str, Any]) -> float | None:
    for value in (video.get("duration"), fmt.get("duration")):
        number = _number(value)
        if number is not None and number > 0:
            return number
    return None


def _rate(value: Any) -> float | None:
    if not isinstance(value, str) or "/" not in value:
        return None
    num, _, den = value.partition("/")
    n, d = _number(num), _number(den)
    if n is None or not d:
        return None
    return n / d if n > 0 else None


def _rotation(video: dict[str, Any]) -> int:
    """Degrees the player rotates the picture (display matrix side data, or the old `rotate` tag)."""
    for side in video.get("side_data_list") or []:
        rotation = _number(side.get("rotation"))
        if rotation is not None:
            return int(rotation)
    rotate = _number((video.get("tags") or {}).get("rotate"))
    return int(rotate) if rotate is not None else 0
