"""Recording intake: probing and caps, key-state extraction on the fixture videos, bad videos,
the subprocess deadline, and the normalized MP4."""

from __future__ import annotations

import io
import json
import random
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replicator.config import Settings
from replicator.errors import (
    CorruptInput,
    InputError,
    InputTooLarge,
    UnsupportedMedia,
    VideoRejected,
)
from replicator.intake import load_source
from replicator.models import Source
from replicator.recording import load_recording
from replicator.recording._process import MEMORY_LIMIT_BYTES, Deadline, run_tool, spawn
from replicator.recording.probe import probe_video
from replicator.recording.transcode import transcode_to_mp4
from tests.plugins.browser import Canary
from tests.plugins.recordings import RECORDINGS_DIR, ffmpeg, recording

SCENARIOS = ["tabs", "accordion", "navigation"]
TIME_TOLERANCE_S = 0.35  # the sampling interval (0.1 s) plus the time a click takes to show
CLICK_TOLERANCE_PX = 12.0


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, backend="local", **overrides)  # type: ignore[call-arg, arg-type]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Source]:
    """Each fixture recording loaded once (both containers)."""
    settings = make_settings(tmp_path_factory.mktemp("recording-data"))
    sources = {}
    for name in [*SCENARIOS, "static"]:
        for suffix in (".mp4", ".webm"):
            rec = recording(name, suffix)
            sources[(name, suffix)] = load_recording(rec.path, settings, media_type=rec.media_type)
    return sources


def png_array(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), np.int16)


def ffprobe_json(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return json.loads(out.stdout)


# --- key states -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_key_states_match_the_clicks_of_the_recording(
    loaded: dict[tuple[str, str], Source], name: str, suffix: str
) -> None:
    rec = recording(name, suffix)
    source = loaded[(name, suffix)]
    assert len(source.states) == len(rec.state_times), [s.timestamp_s for s in source.states]
    for state, expected in zip(source.states, rec.state_times, strict=True):
        assert abs(state.timestamp_s - expected) <= TIME_TOLERANCE_S, (
            state.index,
            state.timestamp_s,
            expected,
        )
    assert [s.index for s in source.states] == list(range(len(source.states)))


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_transition_has_its_click_point_and_changed_region(
    loaded: dict[tuple[str, str], Source], name: str
) -> None:
    rec = recording(name)
    source = loaded[(name, ".mp4")]
    first, *rest = source.states
    assert first.click_point is None and first.changed_region is None
    for state, (cx, cy) in zip(rest, rec.clicks, strict=True):
        assert state.click_point is not None
        x, y = state.click_point
        assert abs(x - cx) <= CLICK_TOLERANCE_PX and abs(y - cy) <= CLICK_TOLERANCE_PX, (
            state.click_point,
            (cx, cy),
        )
        region = state.changed_region
        assert region is not None
        assert region.x >= 0 and region.y >= 0 and region.right <= 800 and region.bottom <= 600
        assert region.area > 0.02 * 800 * 600  # a section, a panel, a page: not a cursor


def test_cursor_moving_over_a_still_page_is_one_state(loaded: dict[tuple[str, str], Source]) -> None:
    for suffix in (".mp4", ".webm"):
        source = loaded[("static", suffix)]
        assert len(source.states) == 1
        assert source.states[0].timestamp_s == 0.0


def test_key_state_pngs_are_full_resolution_settled_frames(loaded: dict[tuple[str, str], Source]) -> None:
    source = loaded[("tabs", ".mp4")]
    frames = [png_array(s.png) for s in source.states]
    assert all(f.shape == (600, 800) for f in frames)
    assert source.png == source.states[0].png
    # Overview, Pricing, Reviews, Overview again: the last state is the first screen once more, while
    # the tab switches in between changed the panel.
    same = np.mean(np.abs(frames[0] - frames[3]) > 24)
    different = np.mean(np.abs(frames[0] - frames[1]) > 24)
    assert same < 0.002 < 0.02 < different


def test_recording_source_fields(loaded: dict[tuple[str, str], Source]) -> None:
    for suffix, media_type in ((".mp4", "video/mp4"), (".webm", "video/webm")):
        rec = recording("tabs", suffix)
        source = loaded[("tabs", suffix)]
        assert source.kind == "recording"
        assert (source.width, source.height) == (800, 600)
        assert source.media_type == media_type
        assert source.duration_s is not None and abs(source.duration_s - rec.truth["duration_s"]) < 0.2
        assert len(source.sha256) == 64


def test_state_count_is_capped_keeping_the_first(tmp_path: Path) -> None:
    rec = recording("tabs")
    source = load_recording(rec.path, make_settings(tmp_path, max_key_states=2), media_type=rec.media_type)
    assert len(source.states) == 2
    assert source.states[0].timestamp_s == 0.0
    assert source.states[1].changed_region is not None


def test_mov_recording_goes_through_intake(tmp_path: Path) -> None:
    mov = tmp_path / "tabs.mov"
    ffmpeg("-i", str(recording("tabs").path), "-c", "copy", "-f", "mov", str(mov))
    source = load_source(mov, make_settings(tmp_path))
    assert source.kind == "recording" and source.media_type == "video/quicktime"
    assert len(source.states) == 4


# --- normalized MP4 ---------------------------------------------------------------------------------


def test_webm_is_transcoded_to_h264_mp4(loaded: dict[tuple[str, str], Source]) -> None:
    source = loaded[("tabs", ".webm")]
    assert source.video_path is not None and source.video_path.suffix == ".mp4"
    info = ffprobe_json(source.video_path)
    assert [s["codec_name"] for s in info["streams"]] == ["h264"]
    assert "mp4" in info["format"]["format_name"]
    assert abs(float(info["format"]["duration"]) - recording("tabs").truth["duration_s"]) < 0.2


def test_h264_mp4_is_remuxed_and_reused(tmp_path: Path) -> None:
    rec = recording("accordion")
    settings = make_settings(tmp_path)
    source = load_recording(rec.path, settings, media_type=rec.media_type)
    assert source.video_path is not None and source.video_path.is_relative_to(settings.data_dir)
    original = ffprobe_json(rec.path)["streams"][0]
    normalized = ffprobe_json(source.video_path)["streams"][0]
    assert normalized["codec_name"] == "h264"
    assert normalized["nb_frames"] == original["nb_frames"]  # copied, not re-encoded
    stamp = source.video_path.stat().st_mtime_ns
    again = load_recording(rec.path, settings, media_type=rec.media_type)
    assert again.video_path == source.video_path and source.video_path.stat().st_mtime_ns == stamp


def test_failed_transcode_leaves_no_video_instead_of_failing(tmp_path: Path) -> None:
    from replicator.recording.probe import VideoInfo

    broken = tmp_path / "broken.webm"
    broken.write_bytes(recording("tabs", ".webm").path.read_bytes()[:2000])
    info = VideoInfo("matroska,webm", "vp9", 800, 600, 6.0, 15.0, 1, False, 2000)
    assert transcode_to_mp4(broken, info, make_settings(tmp_path), "0" * 64) is None
    assert not list((tmp_path / "data" / "recordings").glob("*"))


# --- bad videos ---------------------------------------------------------------------------------------


def test_zero_length_file_is_corrupt(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(CorruptInput, match="empty"):
        load_recording(empty, make_settings(tmp_path), media_type="video/mp4")
    with pytest.raises(CorruptInput):
        load_source(empty, make_settings(tmp_path))


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_truncated_recording_is_corrupt(tmp_path: Path, suffix: str) -> None:
    data = recording("tabs", suffix).path.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: int(len(data) * 0.4)])
    with pytest.raises(CorruptInput, match=r"cut short|damaged"):
        load_source(cut, make_settings(tmp_path))


def test_truncated_mp4_without_faststart_is_corrupt(tmp_path: Path) -> None:
    tail_moov = tmp_path / "tail.mp4"
    ffmpeg("-i", str(recording("tabs").path), "-c", "copy", str(tail_moov))  # moov written at the end
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(tail_moov.read_bytes()[: tail_moov.stat().st_size // 2])
    with pytest.raises(CorruptInput):
        load_source(cut, make_settings(tmp_path))


def test_image_renamed_mp4_is_judged_by_content(tmp_path: Path) -> None:
    fake = tmp_path / "screenshot.mp4"
    Image.new("RGB", (320, 200), "white").save(fake, format="PNG")
    # Intake goes by content: it is an image, and loads as one.
    assert load_source(fake, make_settings(tmp_path)).kind == "image"
    # Handed to the recording loader as a video, it is refused with a clear error.
    with pytest.raises(UnsupportedMedia, match="image"):
        load_recording(fake, make_settings(tmp_path), media_type="video/mp4")


def test_still_avif_image_with_an_mp4_header_is_refused(tmp_path: Path) -> None:
    avif = tmp_path / "photo.mp4"
    Image.new("RGB", (320, 200), "red").save(avif, format="AVIF")
    assert avif.read_bytes()[4:8] == b"ftyp"  # what makes intake take it for an MP4
    with pytest.raises(UnsupportedMedia, match="still image"):
        load_source(avif, make_settings(tmp_path))


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    audio = tmp_path / "voice.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(audio))
    with pytest.raises(VideoRejected, match="no video stream"):
        load_source(audio, make_settings(tmp_path))


def test_recording_over_the_duration_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputTooLarge, match="REPLICATOR_MAX_VIDEO_SECONDS"):
        load_source(recording("tabs").path, make_settings(tmp_path, max_video_seconds=3))


def test_recording_without_a_declared_duration_is_still_capped(tmp_path: Path) -> None:
    # A live-style WebM (no duration in the header) gets past the probe; decoding stops at the cap.
    live = tmp_path / "live.webm"
    ffmpeg("-i", str(recording("tabs", ".webm").path), "-c", "copy", "-live", "1", "-f", "webm", str(live))
    assert "duration" not in ffprobe_json(live)["format"]
    with pytest.raises(InputTooLarge, match="REPLICATOR_MAX_VIDEO_SECONDS"):
        load_source(live, make_settings(tmp_path, max_video_seconds=3))
    assert len(load_source(live, make_settings(tmp_path)).states) == 4


def test_recording_over_the_resolution_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputTooLarge, match="800x600"):
        load_source(recording("tabs").path, make_settings(tmp_path, max_video_pixels=400 * 300))


def test_recording_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputTooLarge, match="REPLICATOR_MAX_UPLOAD_MB"):
        load_recording(
            recording("tabs").path, make_settings(tmp_path, max_upload_mb=0.01), media_type="video/mp4"
        )


def test_too_many_streams_are_refused(tmp_path: Path) -> None:
    with_audio = tmp_path / "with-audio.mp4"
    ffmpeg(
        "-i", str(recording("tabs").path), "-f", "lavfi", "-i", "sine=duration=6",
        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(with_audio),
    )  # fmt: skip
    with pytest.raises(VideoRejected, match="2 streams"):
        load_source(with_audio, make_settings(tmp_path, max_video_streams=1))
    assert len(load_source(with_audio, make_settings(tmp_path)).states) == 4  # audio is ignored


def test_unlisted_codec_is_refused_before_decoding(tmp_path: Path) -> None:
    odd = tmp_path / "odd.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=5", "-t", "1", "-c:v", "mpeg2video", str(odd))
    with pytest.raises(UnsupportedMedia, match="mpeg2video"):
        load_source(odd, make_settings(tmp_path))


def test_garbage_behind_a_video_header_is_corrupt(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + random.Random(7).randbytes(50_000))
    with pytest.raises(CorruptInput):
        load_source(junk, make_settings(tmp_path))


def test_playlist_posing_as_video_never_touches_the_network(tmp_path: Path, canary_server: Canary) -> None:
    playlist = tmp_path / "trap.mp4"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\n{canary_server.url}/segment.ts\n#EXT-X-ENDLIST\n"
    )
    with pytest.raises(InputError):
        load_recording(playlist, make_settings(tmp_path), media_type="video/mp4")
    concat = tmp_path / "concat.webm"
    concat.write_text(f"ffconcat version 1.0\nfile '{canary_server.url}/a.webm'\n")
    with pytest.raises(InputError):
        load_recording(concat, make_settings(tmp_path), media_type="video/webm")
    # The loader refuses both by their first bytes; ffprobe itself must refuse them too.
    for path in (playlist, concat):
        with pytest.raises(CorruptInput):
            probe_video(path, make_settings(tmp_path), Deadline(10))
    assert canary_server.hits == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_corrupted_recordings_end_in_a_source_or_a_clear_error(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    suffix = ".mp4" if seed % 2 else ".webm"
    data = bytearray(recording("tabs", suffix).path.read_bytes())
    for _ in range(rng.randint(5, 400)):  # scribble over the middle, where the frames are
        start = rng.randrange(64, len(data))
        data[start : start + rng.randint(1, 64)] = rng.randbytes(rng.randint(1, 64))
    damaged = tmp_path / f"damaged{suffix}"
    damaged.write_bytes(bytes(data))
    try:
        source = load_source(damaged, make_settings(tmp_path, video_decode_timeout_s=30))
    except InputError as exc:
        assert exc.message and "Traceback" not in exc.message
    else:
        assert source.kind == "recording" and 1 <= len(source.states) <= 12


# --- the subprocess guarantee -------------------------------------------------------------------------


def test_a_hung_tool_is_killed_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(VideoRejected, match="REPLICATOR_VIDEO_DECODE_TIMEOUT_S"):
        run_tool(["sleep", "30"], Deadline(0.5), what="decoded")
    assert time.monotonic() - started < 10


def test_decoding_past_the_deadline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VideoRejected, match="could not be"):
        load_recording(
            recording("tabs").path,
            make_settings(tmp_path, video_decode_timeout_s=0.01),
            media_type="video/mp4",
        )


def test_tools_run_with_memory_and_cpu_limits() -> None:
    with spawn(["sleep", "5"], Deadline(5)) as (proc, _, _):
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
    address_space = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert str(MEMORY_LIMIT_BYTES) in address_space
    assert "unlimited" not in next(line for line in limits.splitlines() if line.startswith("Max cpu time"))
    assert proc.poll() is not None  # gone when the context ends


# Recordings whose key states are the states the recording script photographed (truth/<name>-<k>.png,
# the screen without the pointer once settled). The pointer rests on the page in many of them.
POINTER_RECORDINGS = [
    "accordion",
    "faq",
    "dropdown",
    "modal",
    "stepper",
    "tabs",
    "navigation",
    "faq_wide",
    "switches",
    "docs",
]


def _blobs(a: bytes, truth: Path) -> list[tuple[int, ...]]:
    import cv2

    left = np.asarray(Image.open(io.BytesIO(a)).convert("L"), np.int16)
    right = np.asarray(Image.open(truth).convert("L"), np.int16)
    assert left.shape == right.shape
    mask = (np.abs(left - right) > 60).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [tuple(int(v) for v in stats[i]) for i in range(1, count) if stats[i][4] >= 80]


@pytest.mark.parametrize("name", POINTER_RECORDINGS)
def test_key_states_carry_no_pointer(tmp_path: Path, name: str) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    rec = recording(name)
    source = load_recording(rec.path, settings, media_type=rec.media_type)
    truths = sorted(RECORDINGS_DIR.glob(f"truth/{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert len(truths) == len(source.states)
    for state, truth in zip(source.states, truths, strict=True):
        # A pointer is a blob of 90-180 pixels that differ strongly from the clean screen.
        assert _blobs(state.png, truth) == [], (name, state.index)


def test_a_pointer_that_never_moves_is_painted_out_by_its_shape() -> None:
    from replicator.recording.cursor import clean_states

    rng = np.random.default_rng(3)
    page = np.full((200, 300, 3), 243, np.uint8)
    page[40:60, 30:270] = 30  # a dark bar: text-like ink the pointer must not take for itself
    arrow = np.zeros((20, 14), bool)
    for row in range(20):
        arrow[row, : max(1, min(14, row * 14 // 16))] = row < 16 or (row >= 16 and False)
    arrow[16:20, 4:8] = True

    def with_pointer(x: int, y: int) -> np.ndarray:
        frame = page.copy()
        frame[y : y + 20, x : x + 14][arrow] = 17
        return np.clip(frame.astype(np.int16) + rng.integers(-2, 3, frame.shape), 0, 255).astype(np.uint8)

    moving = [with_pointer(40 + 30 * k, 100 + 5 * k) for k in range(5)]  # state 0: the pointer moves
    resting = [with_pointer(200, 120) for _ in range(5)]  # state 1: it rests at its click point
    cleaned = clean_states([moving, resting], [[], [(201.0, 121.0)]], max_pointer=52)
    for image in cleaned:
        assert int(np.abs(image.astype(np.int16) - page).max()) < 20
