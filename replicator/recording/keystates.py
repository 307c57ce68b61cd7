"""Key states: the distinct, settled screens of a recording, the region each transition changed and
where the cursor was when it happened.

Pass 1 streams small grey frames from ffmpeg at a fixed sampling rate and splits them into *stable
segments*: runs of frames that differ from the run's first frame by nothing larger than a cursor.
A cursor moving over a still page therefore stays one segment; a click that opens a section ends it.
Segments too short to be settled (animations, page loads) are dropped; a segment that looks like
the state before it (a transient, a hover flicker that went back) is merged into it. Pass 2 decodes
the chosen settled frames at full resolution as PNG.

No library segments screen recordings into UI states, so this is written here with OpenCV's
difference, dilation and connected-component primitives.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ..config import Settings
from ..errors import CorruptInput, InputTooLarge
from ..models import Box, KeyState
from ._process import Deadline, decode_first_video_stream, run_tool, spawn
from .cursor import clean_states
from .probe import COVERAGE, VideoInfo

log = logging.getLogger(__name__)

Gray = NDArray[np.uint8]

ANALYSIS_LONG_SIDE = 512  # px of the grey frames pass 1 compares
MAX_SAMPLE_FPS = 10.0
MIN_SAMPLE_FPS = 2.0
MAX_SAMPLES = 1800  # a 180 s recording at 10 fps
DIFF_THRESHOLD = 24  # grey levels: above H.264/VP9 noise on flat UI, below any real edge change
MIN_CHANGED_PIXELS = 4  # a component with fewer changed pixels is compression noise
SOLID_FILL = 0.7  # share of a change's box that must have changed for it to be a solid block
SOLID_SHARE_OF_CURSOR = 0.3  # ... and its changed pixels, as a share of the cursor limit squared
MAX_SMALL_CHANGES = 4  # more cursor-sized changes than this at once is a content change
MIN_STATE_SECONDS = 0.3  # a screen must hold this long to count as settled
KEPT_FRAMES = 64  # frames of the current segment kept for the cursor and the representative frame


@dataclass(frozen=True)
class Geometry:
    """Sizes of the analysis frames and the yardsticks derived from the video's size."""

    width: int
    height: int
    analysis_width: int
    analysis_height: int
    fps: float

    @property
    def scale(self) -> float:
        return self.analysis_width / self.width

    @property
    def kernel(self) -> int:
        # Joins the glyphs of a line of text into one change; ~5 px of a 512 px frame.
        return max(3, round(self.analysis_width / 100))

    @property
    def cursor_limit(self) -> float:
        """Largest change, in analysis pixels, that may be a cursor (big cursors on big screens)."""
        cursor_px = max(40.0, 0.045 * max(self.width, self.height))
        return cursor_px * self.scale + self.kernel

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        return (x / self.scale, y / self.scale)


def geometry_for(info: VideoInfo, settings: Settings) -> Geometry:
    scale = min(1.0, ANALYSIS_LONG_SIDE / max(info.width, info.height))
    duration = info.duration_s or settings.max_video_seconds
    fps = min(MAX_SAMPLE_FPS, max(MIN_SAMPLE_FPS, MAX_SAMPLES / max(duration, 0.1)))
    return Geometry(
        width=info.width,
        height=info.height,
        analysis_width=max(8, round(info.width * scale)),
        analysis_height=max(8, round(info.height * scale)),
        fps=round(fps, 3),
    )


@dataclass(frozen=True)
class Change:
    x: int
    y: int
    width: int
    height: int
    pixels: int = 0  # changed pixels in it (before the glyph-joining dilation)

    @property
    def solid(self) -> bool:
        """Mostly filled: a control's fill changing (a switch, a checkbox), not an arrow's outline."""
        return self.pixels >= SOLID_FILL * self.width * self.height


def changes(a: Gray, b: Gray, geom: Geometry) -> list[Change]:
    """Regions where two frames differ, glyphs of a line joined into one region."""
    mask = np.asarray(cv2.absdiff(a, b) > DIFF_THRESHOLD, np.uint8)
    if not mask.any():
        return []
    kernel = np.ones((geom.kernel, geom.kernel), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, kernel), connectivity=8)
    changed = np.bincount(labels[mask > 0], minlength=count)
    margin = geom.kernel // 2
    found = []
    for label in range(1, count):
        if changed[label] < MIN_CHANGED_PIXELS:
            continue
        x, y, w, h = (int(v) for v in stats[label, :4])
        found.append(
            Change(
                x + margin, y + margin, max(w - 2 * margin, 1), max(h - 2 * margin, 1), int(changed[label])
            )
        )
    return found


def is_significant(found: list[Change], geom: Geometry) -> bool:
    """True if the changes are more than a cursor moving (or a caret blinking)."""
    limit = geom.cursor_limit
    small = 0
    for change in found:
        if change.width > limit or change.height > limit:
            return True
        small += 1
    return small > MAX_SMALL_CHANGES


def _toggled(found: list[Change], geom: Geometry) -> bool:
    """A cursor-sized change that is a solid block of changed pixels, as many as a third of the
    largest cursor's box: a control toggled under the pointer (a switch, a checkbox). An arrow or a
    hand changes at most 62% of its box and far fewer pixels (measured on the fixture recordings)."""
    limit = geom.cursor_limit
    return any(c.solid and c.pixels >= SOLID_SHARE_OF_CURSOR * limit * limit for c in found)


def changed_region(a: Gray, b: Gray, geom: Geometry) -> Box | None:
    """The box (source pixels) around what changed between two states, cursor-sized bits aside."""
    found = changes(a, b, geom)
    limit = geom.cursor_limit
    large = (
        [c for c in found if c.width > limit or c.height > limit]
        # More changed pixels than a pointer has: a control flipped (the pointer over it, maybe).
        or [c for c in found if c.pixels >= SOLID_SHARE_OF_CURSOR * limit * limit]
        or found
    )
    if not large:
        return None
    x0 = min(c.x for c in large)
    y0 = min(c.y for c in large)
    x1 = max(c.x + c.width for c in large)
    y1 = max(c.y + c.height for c in large)
    sx, sy = geom.to_source(x0, y0)
    ex, ey = geom.to_source(x1, y1)
    ex, ey = min(ex, geom.width), min(ey, geom.height)
    return Box(round(sx, 1), round(sy, 1), round(ex - sx, 1), round(ey - sy, 1))


def locate_cursor(frames: list[tuple[int, Gray]], geom: Geometry) -> tuple[float, float] | None:
    """Where the cursor is in the last of ``frames`` (source pixels), or None if it never moved.

    The last frame differs from each earlier frame where the cursor is now and where it was then;
    only the place where it is now differs from (nearly) all of them, so it collects the most votes.
    """
    if len(frames) < 2:
        return None
    last = frames[-1][1]
    votes = np.zeros(last.shape, np.float32)
    for _, frame in frames[:-1]:
        votes += np.asarray(cv2.absdiff(last, frame) > DIFF_THRESHOLD, np.float32)
    peak = float(votes.max())
    if peak < 1:
        return None
    mask = (votes >= max(1.0, 0.5 * peak)).astype(np.uint8)
    kernel = np.ones((geom.kernel, geom.kernel), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, kernel), connectivity=8)
    limit = geom.cursor_limit
    # Rank by the most votes any pixel got (not their sum: a cursor on a low-contrast background
    # shows fewer changed pixels, yet each of them differs from every earlier frame).
    best, best_rank = 0, (0.0, 0.0)
    for label in range(1, count):
        w, h = int(stats[label, 2]), int(stats[label, 3])
        if w > limit or h > limit:
            continue
        inside = votes[(labels == label) & (mask > 0)]
        rank = (float(inside.max()), float(inside.sum()))
        if rank > best_rank:
            best, best_rank = label, rank
    if not best:
        return None
    ys, xs = np.nonzero((labels == best) & (mask > 0))
    top = int(ys.min())
    # The hotspot of an arrow or a pointing hand is its topmost pixel.
    tip_x = float(xs[ys == top].min())
    x, y = geom.to_source(tip_x + 0.5, top + 0.5)
    nudge = 2.0  # into the element under the tip rather than on its edge
    return (round(min(x + nudge, geom.width - 1), 1), round(min(y + nudge, geom.height - 1), 1))


@dataclass
class _Segment:
    """A run of samples that all look like its first (cursor aside)."""

    start: int
    anchor: Gray
    frames: list[tuple[int, Gray]] = field(default_factory=list)
    end: int = 0
    toggled: bool = False  # began with a control toggled under the pointer (see _toggled)

    def add(self, index: int, frame: Gray) -> None:
        self.frames.append((index, frame))
        self.end = index
        if len(self.frames) > KEPT_FRAMES:
            # Thin the older frames but keep the recent ones: the cursor's last moves matter most.
            self.frames = self.frames[:-16][::2] + self.frames[-16:]

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def representative(self) -> tuple[int, Gray]:
        """The kept frame closest to the segment's per-pixel median: the cursor least in the way."""
        stack = np.stack([f for _, f in self.frames])
        median = np.median(stack, axis=0).astype(np.uint8)
        costs = [int(cv2.absdiff(f, median).sum()) for _, f in self.frames]
        best = min(range(len(costs)), key=lambda i: (costs[i], -i))
        return self.frames[best]


@dataclass
class _State:
    start: int  # sample where the screen began to change into this state
    rep_index: int
    rep: Gray
    rep_length: int  # length of the segment the representative came from
    frames: int  # settled samples, over all merged segments
    click_point: tuple[float, float] | None
    samples: tuple[int, ...] = ()  # samples to decode for a cursor-free frame (the representative first)
    left_at: tuple[float, float] | None = None  # where the cursor was when the screen changed again


FRAMES_PER_STATE = 5  # frames decoded per key state for its cursor-free median


def _spread(segment: _Segment, rep_index: int) -> tuple[int, ...]:
    """The representative and up to FRAMES_PER_STATE - 1 other kept samples, spread over the segment."""
    others = [i for i, _ in segment.frames if i != rep_index]
    if len(others) > FRAMES_PER_STATE - 1:
        step = len(others) / (FRAMES_PER_STATE - 1)
        others = [others[int(k * step)] for k in range(FRAMES_PER_STATE - 1)]
    return (rep_index, *others)


class _Tracker:
    """Consumes samples one by one and keeps the distinct settled states."""

    def __init__(self, geom: Geometry, max_states: int) -> None:
        self.geom = geom
        self.max_states = max_states
        self.min_length = max(2, round(MIN_STATE_SECONDS * geom.fps))
        self.states: list[_State] = []
        self.segment: _Segment | None = None
        self.last_stable_end = -1
        self.cursor: tuple[float, float] | None = None  # at the end of the last stable segment
        self.longest: _Segment | None = None  # fallback when nothing ever settles
        self.previous: Gray | None = None  # the last sample fed
        self.samples = 0

    def feed(self, index: int, frame: Gray) -> None:
        self.samples += 1
        segment = self.segment
        previous, self.previous = self.previous, frame
        toggled = False
        if segment is not None and not is_significant(changes(segment.anchor, frame, self.geom), self.geom):
            # Against the segment's first frame a small control toggled under the pointer merges with
            # the pointer's moves; against the frame before, with the pointer at rest, it stands alone.
            toggled = previous is not None and _toggled(changes(previous, frame, self.geom), self.geom)
            if not toggled:
                segment.add(index, frame)
                return
        if segment is not None:
            self._close(segment)
        self.segment = _Segment(start=index, anchor=frame, toggled=toggled)
        self.segment.add(index, frame)

    def finish(self) -> list[_State]:
        if self.segment is not None:
            self._close(self.segment, last=True)
            self.segment = None
        if not self.states and self.longest is not None:
            self._add(self.longest, start=0)
        return self.states

    def _close(self, segment: _Segment, *, last: bool = False) -> None:
        if self.longest is None or segment.length > self.longest.length:
            self.longest = segment
        settled = segment.length >= self.min_length or (last and segment.length >= 2)
        if not settled:
            return
        cursor = locate_cursor(segment.frames, self.geom)
        if self.states and cursor is not None:
            self.states[-1].left_at = cursor
        start = 0 if not self.states else self.last_stable_end + 1
        previous = self.states[-1] if self.states else None
        rep_index, rep = segment.representative()
        if (
            previous is not None
            and not segment.toggled
            and not is_significant(changes(previous.rep, rep, self.geom), self.geom)
        ):
            previous.frames += segment.length  # the same screen again: one state
            if segment.length > previous.rep_length:
                previous.rep_index, previous.rep, previous.rep_length = rep_index, rep, segment.length
                previous.samples = _spread(segment, rep_index)
        else:
            self._add(segment, start=start, click_point=self.cursor)
        self.last_stable_end = segment.end
        # A cursor that did not move in this segment is still where the last one left it.
        self.cursor = cursor or self.cursor

    def _add(self, segment: _Segment, *, start: int, click_point: tuple[float, float] | None = None) -> None:
        rep_index, rep = segment.representative()
        self.states.append(
            _State(
                start,
                rep_index,
                rep,
                segment.length,
                segment.length,
                click_point,
                _spread(segment, rep_index),
            )
        )
        if len(self.states) > 2 * self.max_states + 1:
            self._drop_shortest()

    def _drop_shortest(self) -> None:
        self.states = cap_states(self.states, self.geom, len(self.states) - 1)


def cap_states(states: list[_State], geom: Geometry, max_states: int) -> list[_State]:
    """At most ``max_states``: the briefest state goes first (the first state always stays), and
    when that leaves two alike states side by side (A B A -> A A) they become one."""
    states = list(states)
    while len(states) > max_states:
        victim = min(range(1, len(states)), key=lambda i: states[i].frames)
        del states[victim]
        if victim < len(states) and _alike(states[victim - 1], states[victim], geom):
            states[victim - 1].frames += states[victim].frames
            del states[victim]
    return states


def _alike(a: _State, b: _State, geom: Geometry) -> bool:
    return not is_significant(changes(a.rep, b.rep, geom), geom)


def sample_frames(path: Path, geom: Geometry, settings: Settings, deadline: Deadline) -> _Tracker:
    """Pass 1: stream grey analysis frames from ffmpeg into a tracker."""
    tracker = _Tracker(geom, settings.max_key_states)
    frame_bytes = geom.analysis_width * geom.analysis_height
    args = [
        *decode_first_video_stream(
            path, seconds=settings.max_video_seconds + 1, max_pixels=settings.max_video_pixels
        ),
        "-vf",
        f"fps={geom.fps},scale={geom.analysis_width}:{geom.analysis_height}:flags=area",
        "-pix_fmt",
        "gray",
        "-f",
        "rawvideo",
        "pipe:1",
    ]
    count = 0
    with spawn(args, deadline, max_file_bytes=0) as (proc, tail, timed_out):
        assert proc.stdout is not None
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            frame = np.frombuffer(data, np.uint8).reshape(geom.analysis_height, geom.analysis_width)
            tracker.feed(count, frame)
            count += 1
        returncode = proc.wait()
        if timed_out.is_set():
            raise deadline.expired_error("decoded")
    if returncode != 0 or count == 0:
        log.info("ffmpeg could not decode %s (exit %s): %s", path.name, returncode, "\n".join(tail))
        raise CorruptInput("The recording could not be decoded: the file is damaged or cut short.")
    return tracker


def check_coverage(samples: int, info: VideoInfo, geom: Geometry, settings: Settings) -> float:
    """The decoded length; CorruptInput if much shorter than declared, InputTooLarge if over the cap."""
    decoded = samples / geom.fps
    if decoded > settings.max_video_seconds + 0.5 / geom.fps:
        raise InputTooLarge(
            f"The recording lasts more than {settings.max_video_seconds:g} s, the limit "
            "(REPLICATOR_MAX_VIDEO_SECONDS).",
        )
    declared = info.duration_s
    if declared is not None and decoded < COVERAGE * declared - 2 / geom.fps:
        raise CorruptInput(
            f"The recording is cut short: it declares {declared:.1f} s but only {decoded:.1f} s could be "
            "decoded. Upload the complete file.",
        )
    return declared if declared is not None else decoded


def extract_frames(
    path: Path, geom: Geometry, indices: list[int], settings: Settings, deadline: Deadline
) -> list[bytes]:
    """Pass 2: the samples at ``indices`` as full-resolution RGB PNGs."""
    select = "+".join(f"eq(n\\,{i})" for i in indices)
    with tempfile.TemporaryDirectory(prefix="replicator-states-") as tmp:
        args = [
            *decode_first_video_stream(
                path, seconds=settings.max_video_seconds + 1, max_pixels=settings.max_video_pixels
            ),
            "-vf",
            f"fps={geom.fps},select={select}",
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "rgb24",
            "-c:v",
            "png",
            "-f",
            "image2",
            str(Path(tmp) / "state-%03d.png"),
        ]
        frame_limit = geom.width * geom.height * 4 + (1 << 20)
        result = run_tool(args, deadline, what="decoded", max_file_bytes=frame_limit)
        files = sorted(Path(tmp).glob("state-*.png"))
        if result.returncode != 0 or len(files) != len(indices):
            log.info("frame extraction gave %d of %d frames: %s", len(files), len(indices), result.stderr)
            raise CorruptInput("The recording could not be decoded completely: the file is damaged.")
        return [f.read_bytes() for f in files]


@dataclass(frozen=True)
class KeyStateResult:
    states: tuple[KeyState, ...]
    duration_s: float
    fps: float
    samples: int


def _cursor_free(
    path: Path, geom: Geometry, states: list[_State], settings: Settings, deadline: Deadline
) -> list[bytes]:
    """Each state's frame without the pointer (cursor.py), as PNG."""
    wanted = [s.samples or (s.rep_index,) for s in states]
    indices = sorted({i for group in wanted for i in group})
    decoded = dict(zip(indices, extract_frames(path, geom, indices, settings, deadline), strict=True))
    frames = [[_rgb(decoded[i]) for i in group] for group in wanted]
    points = [[p for p in (s.click_point, s.left_at) if p is not None] for s in states]
    max_pointer = round(1.3 * max(40.0, 0.045 * max(geom.width, geom.height)))
    cleaned = clean_states(frames, points, max_pointer)
    out = []
    for image in cleaned:
        ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise CorruptInput("A key state of the recording could not be encoded.")
        out.append(data.tobytes())
    return out


def _rgb(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise CorruptInput("The recording could not be decoded completely: the file is damaged.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def extract_key_states(path: Path, info: VideoInfo, settings: Settings, deadline: Deadline) -> KeyStateResult:
    """The recording's distinct settled screens, in order, with their transitions."""
    geom = geometry_for(info, settings)
    tracker = sample_frames(path, geom, settings, deadline)
    samples = tracker.samples
    duration = check_coverage(samples, info, geom, settings)
    states = cap_states(tracker.finish(), geom, settings.max_key_states)
    pngs = _cursor_free(path, geom, states, settings, deadline)
    key_states = []
    for i, (state, png) in enumerate(zip(states, pngs, strict=True)):
        region = changed_region(states[i - 1].rep, state.rep, geom) if i else None
        key_states.append(
            KeyState(
                index=i,
                timestamp_s=round(state.start / geom.fps, 3),
                png=png,
                changed_region=region,
                click_point=state.click_point if i else None,
            )
        )
    log.info("%s: %d samples at %g fps -> %d key states", path.name, samples, geom.fps, len(key_states))
    return KeyStateResult(tuple(key_states), duration, geom.fps, samples)
