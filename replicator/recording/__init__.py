"""Screen recordings: intake (probe, key states, a normalized MP4), the composite interactive page
the local backend builds from the states, and replay of the recording's clicks on a generated page.

``load_recording`` is blocking (it runs ffprobe/ffmpeg in subprocesses); callers use a thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from ..config import Settings
from ..errors import UnsupportedMedia
from ..intake import sniff_media_type
from ..models import Source
from ._process import Deadline
from .keystates import extract_key_states
from .probe import VideoInfo, check_size, probe_video
from .transcode import transcode_to_mp4

__all__ = ["VideoInfo", "load_recording"]

log = logging.getLogger(__name__)

VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")


def load_recording(path: Path, settings: Settings, *, media_type: str) -> Source:
    """Probe, cap and decode the recording at ``path`` into a Source with its key states.

    Raises an InputError subclass (UnsupportedMedia, CorruptInput, InputTooLarge, VideoRejected)
    with a message for the user when the file cannot be used.
    """
    check_size(path, settings)
    with path.open("rb") as fh:
        sniffed = sniff_media_type(fh.read(64))
    if sniffed is not None and sniffed.startswith("image/"):
        raise UnsupportedMedia(
            f"This file is an image ({sniffed}), not a recording; upload it as a screenshot instead."
        )
    if sniffed not in VIDEO_TYPES or media_type not in VIDEO_TYPES:
        raise UnsupportedMedia("This file is not a recording we take; use MP4, MOV or WebM.")
    media_type = sniffed  # the content decides, whatever the caller was told
    started = time.perf_counter()
    deadline = Deadline(settings.video_decode_timeout_s)
    info = probe_video(path, settings, deadline)
    result = extract_key_states(path, info, settings, deadline)
    decoded = time.perf_counter()
    sha256 = _sha256(path)
    video_path = transcode_to_mp4(path, info, settings, sha256)
    log.info(
        "recording %s: %dx%d %s, %.1f s, %d key states; decode %.2f s, transcode %.2f s",
        path.name,
        info.width,
        info.height,
        info.codec,
        result.duration_s,
        len(result.states),
        decoded - started,
        time.perf_counter() - decoded,
    )
    first = result.states[0]
    return Source(
        kind="recording",
        png=first.png,
        width=info.width,
        height=info.height,
        media_type=media_type,
        sha256=sha256,
        states=result.states,
        video_path=video_path,
        duration_s=round(result.duration_s, 3),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
