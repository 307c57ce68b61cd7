"""The interaction model of a recording: what each click did, as a pattern bound to what was clicked.

For each transition between key states this finds

- the **trigger**: the text under the click point (as a person would name what they clicked), with
  its box, or the line just above an opened panel when the cursor was not visible;
- the **change**: the text lines that appeared and disappeared, and the bands of rows that were
  inserted, removed or replaced (a row alignment of the two frames, so a panel that pushes the rest
  of the page down is one insertion, not a changed half page);
- the **pattern**: ``disclosure`` (a panel opened or closed below its trigger: accordion, collapse),
  ``select`` (the trigger itself changed with the content: tabs, segmented controls, steppers),
  ``overlay`` (content appeared over or beside the page without moving it: dropdowns, modals,
  toasts), ``navigate`` (the whole view changed: another page), and whether the state reached is
  one seen before (a tab switched back, a modal closed, a page navigated back).

The local backend builds its interactive page from this model and replay verifies any page against
it. No library infers UI interaction patterns from video frames; the row alignment uses difflib's
sequence matcher on quantized rows, and text matching uses RapidFuzz.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from rapidfuzz import fuzz

from ..models import Box, KeyState, Source
from ..ocr import OcrEngine, OcrLine

StepKind = Literal["disclosure", "select", "overlay", "swap", "navigate", "type", "focus", "toggle", "change"]

ROW_COLUMNS = 96  # a frame's rows are compared at this many columns (area-averaged)
ROW_LEVELS = 24  # grey levels per quantization step: above codec noise, below any real edge
MIN_BAND_PX = 10  # inserted or removed rows fewer than this are noise (anti-aliasing, a caret)
SAME_TEXT = 85.0  # RapidFuzz ratio at which two OCR readings are the same line
NAVIGATE_SHARE = 0.5  # share of the viewport changed, with most text gone, that makes another page
_CACHE_SIZE = 16


@dataclass(frozen=True)
class Line:
    text: str
    box: Box

    @classmethod
    def of(cls, line: OcrLine) -> Line:
        return cls(" ".join(line.text.split()), line.box)


@dataclass(frozen=True)
class Band:
    """Rows ``start``..``end`` (source px) of one frame."""

    start: float
    end: float

    @property
    def height(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Step:
    """One recorded click and what it did. ``before``/``after`` are key-state indices."""

    number: int  # 1-based, in recorded order
    before: int
    after: int
    kind: StepKind
    trigger: str | None  # the clicked thing's text, None when it has none we could read
    trigger_box: Box | None  # in the ``before`` frame (source px)
    click: tuple[float, float] | None
    changed: Box | None
    appeared: tuple[str, ...] = ()
    disappeared: tuple[str, ...] = ()
    returns_to: int | None = None  # the state reached looks like this earlier one
    opens: bool = True  # disclosure: a panel opened (False: one closed)
    anchor: str | None = None  # disclosure: the first line below the panel that both frames show
    typed: str | None = None  # type: the text typed into the field
    exclusive: bool = False  # disclosure: opening it closed another open panel (one-open accordion)

    @property
    def expected(self) -> str:
        """What a person replaying the recording expects this click to do, in words."""
        where = f"clicking {self.trigger!r}" if self.trigger else "the click"
        shown = f" ({', '.join(repr(t) for t in self.appeared[:2])})" if self.appeared else ""
        if self.kind == "disclosure":
            return f"{where} {'opens' if self.opens else 'closes'} the panel below it{shown if self.opens else ''}"
        if self.kind == "navigate":
            return f"{where} goes to {'the earlier page' if self.returns_to is not None else 'another page'}{shown}"
        if self.kind == "select":
            return f"{where} selects it and shows its content{shown}"
        if self.kind == "swap":
            return f"{where} shows other content in place{shown}"
        if self.kind == "type":
            return (
                f"typing {self.typed!r} into {repr(self.trigger) if self.trigger else 'the field'} shows it"
            )
        if self.kind == "focus":
            return f"{where} focuses the field"
        if self.kind == "toggle":
            return f"{where} flips its switch{'' if self.opens else ' back'}"
        if self.kind == "overlay":
            return f"{where} {'closes the overlay' if self.returns_to is not None else 'shows'}{shown}"
        return f"{where} changes the page{shown}"

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.number,
            "from_state": self.before,
            "to_state": self.after,
            "kind": self.kind,
            "trigger": self.trigger,
            "trigger_box": _box(self.trigger_box),
            "click": list(self.click) if self.click else None,
            "changed": _box(self.changed),
            "appeared": list(self.appeared),
            "disappeared": list(self.disappeared),
            "returns_to": self.returns_to,
            "opens": self.opens,
            "anchor": self.anchor,
            "typed": self.typed,
            "expected": self.expected,
        }


def _box(box: Box | None) -> list[float] | None:
    return [round(v, 1) for v in (box.x, box.y, box.width, box.height)] if box else None


# --- frames ---------------------------------------------------------------------------------------


def _grey(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError("a key state is not a decodable image")
    return image


def _row_keys(grey: np.ndarray) -> list[bytes]:
    small = cv2.resize(grey, (ROW_COLUMNS, grey.shape[0]), interpolation=cv2.INTER_AREA)
    return [row.tobytes() for row in (small // ROW_LEVELS).astype(np.uint8)]


def alike(left: np.ndarray, right: np.ndarray) -> bool:
    """Two grey frames show the same screen (a cursor or a caret aside)."""
    if left.shape != right.shape:
        return False
    scale = 256 / max(left.shape)
    size = (max(8, round(left.shape[1] * scale)), max(8, round(left.shape[0] * scale)))
    diff = cv2.absdiff(
        cv2.resize(left, size, interpolation=cv2.INTER_AREA),
        cv2.resize(right, size, interpolation=cv2.INTER_AREA),
    )
    return float(np.mean(diff > 24)) < 0.001


@dataclass(frozen=True)
class _Alignment:
    inserted: tuple[Band, ...]  # in the after frame
    removed: tuple[Band, ...]  # in the before frame (not counting rows pushed off the bottom)
    replaced: tuple[tuple[Band, Band], ...]  # (before, after) bands whose content changed in place
    shift: float  # net rows pushed down (inserted minus removed)


def align_rows(before: np.ndarray, after: np.ndarray) -> _Alignment:
    """Bands inserted, removed and replaced from ``before`` to ``after`` (same size frames)."""
    a, b = _row_keys(before), _row_keys(after)
    height = before.shape[0]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    inserted: list[Band] = []
    removed: list[Band] = []
    replaced: list[tuple[Band, Band]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and abs((i2 - i1) - (j2 - j1)) < MIN_BAND_PX:
            if _narrow(before[i1:i2], after[j1 : j1 + (i2 - i1)]):
                continue  # a cursor or a small glyph change in rows otherwise alike
            replaced.append((Band(i1, i2), Band(j1, j2)))
            continue
        grown, shrunk = (j2 - j1) - (i2 - i1), (i2 - i1) - (j2 - j1)
        if grown >= MIN_BAND_PX:
            inserted.append(Band(j1, j2))
        elif shrunk >= MIN_BAND_PX and i2 < height - 1:
            removed.append(Band(i1, i2))
        elif op == "replace":
            replaced.append((Band(i1, i2), Band(j1, j2)))
    inserted = _merge(inserted)
    removed = _merge(removed)
    shift = sum(x.height for x in inserted) - sum(x.height for x in removed)
    return _Alignment(tuple(inserted), tuple(removed), tuple(replaced), shift)


def _narrow(a: np.ndarray, b: np.ndarray) -> bool:
    """Rows that differ only within a cursor-wide column span."""
    if a.shape != b.shape or a.size == 0:
        return False
    cols = np.nonzero((cv2.absdiff(a, b) > 24).any(axis=0))[0]
    return cols.size == 0 or (cols.max() - cols.min()) < max(48, 0.05 * a.shape[1])


def _merge(bands: list[Band]) -> list[Band]:
    out: list[Band] = []
    for band in sorted(bands, key=lambda x: x.start):
        if out and band.start - out[-1].end <= MIN_BAND_PX:
            out[-1] = Band(out[-1].start, max(out[-1].end, band.end))
        else:
            out.append(band)
    return out


# --- text -----------------------------------------------------------------------------------------


def same_text(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b) >= SAME_TEXT


def _unmatched(lines: Sequence[Line], others: Sequence[Line]) -> list[Line]:
    return [line for line in lines if not any(same_text(line.text, o.text) for o in others)]


def _line_at(lines: Sequence[Line], point: tuple[float, float]) -> Line | None:
    x, y = point
    inside = [line for line in lines if line.box.contains(Box(x, y, 0, 0), slack=8)]
    if inside:
        return min(inside, key=lambda line: line.box.area)
    # The click may land beside the label (a chevron, the padding of a button): same row, near.
    row = [line for line in lines if abs(line.box.center[1] - y) <= max(12.0, line.box.height)]
    near = [(min(abs(line.box.x - x), abs(line.box.right - x)), line) for line in row]
    near = [(d, line) for d, line in near if d <= 160]
    return min(near, key=lambda t: t[0])[1] if near else None


# --- the model ------------------------------------------------------------------------------------


def infer_steps(source: Source, lines: Sequence[Sequence[Line]]) -> tuple[Step, ...]:
    """The recording's steps, from its key states and the text lines read in each."""
    states = source.states
    if len(states) < 2:
        return ()
    greys = [_grey(s.png) for s in states]
    steps: list[Step] = []
    for k in range(1, len(states)):
        steps.append(_step(source, k, greys, lines, steps))
    return tuple(steps)


def _step(
    source: Source, k: int, greys: list[np.ndarray], lines: Sequence[Sequence[Line]], earlier: list[Step]
) -> Step:
    state = source.states[k]
    before_lines, after_lines = lines[k - 1], lines[k]
    returns_to = next((j for j in range(k - 1) if alike(greys[j], greys[k])), None)
    alignment = align_rows(greys[k - 1], greys[k]) if greys[k - 1].shape == greys[k].shape else None
    height = source.height
    appeared = _unmatched(after_lines, before_lines)
    disappeared = _unmatched(before_lines, after_lines)
    trigger_line = _line_at(before_lines, state.click_point) if state.click_point else None
    previous = earlier[-1] if earlier else None
    kind: StepKind = "change"
    opens = True
    anchor: str | None = None
    changed = state.changed_region
    typed: str | None = None
    panel = _text_disclosure(before_lines, after_lines, trigger_line, appeared, disappeared, height)
    if (
        panel is None
        and alignment is not None
        and _is_disclosure(
            alignment, trigger_line, state.click_point, _not_pushed(disappeared, alignment, height), height
        )
    ):
        bands = alignment.inserted or alignment.removed
        panel = (bool(alignment.inserted), bands[0].start, bands[0].height)
    if panel is None and disappeared and trigger_line is None:
        # The pointer was not seen on a label, but the text that went is a panel opened earlier:
        # that panel's trigger closed it.
        panel, trigger_line = _reclosed(earlier, before_lines, disappeared)
    if panel is not None:
        kind = "disclosure"
        opens, top, size = panel
        if trigger_line is None:
            above = [
                line for line in before_lines if line.box.bottom <= top + 2 and top - line.box.bottom < 80
            ]
            trigger_line = max(above, key=lambda line: line.box.bottom) if above else None
        if opens:
            below = [line for line in before_lines if line.box.y >= top - 2 and line not in disappeared]
            anchor = min(below, key=lambda line: (line.box.y, line.box.x)).text if below else None
            # What the panel pushed off the bottom of the screen is not gone.
            disappeared = [line for line in disappeared if line.box.bottom <= height - size - 2]
        else:
            appeared = [line for line in appeared if line.box.y < height - size - 4]
    elif (typed := _typed(state, previous, trigger_line, appeared, changed)) is not None:
        kind = "type"
    elif _toggled(state, greys[k - 1], greys[k], appeared, disappeared, changed, source):
        # A switch or a checkbox: its label is the text on its row.
        kind = "toggle"
        trigger_line = _row_label(before_lines, changed) or trigger_line  # type: ignore[arg-type]
        opens = _toggles_so_far(earlier, trigger_line) % 2 == 0  # flipped back when odd
    elif _focus_only(state, appeared, disappeared, changed, source):
        kind = "focus"
    elif (
        _changed_share(changed, source) >= NAVIGATE_SHARE and _kept_share(before_lines, after_lines) < 0.5
    ) or _new_address(before_lines, after_lines, height):
        kind = "navigate"
    elif returns_to is not None and previous is not None and previous.kind in ("overlay", "navigate", "swap"):
        # Back to a state seen before: the way out of an overlay (its close button, its trigger
        # again), a link back, a step back.
        kind = previous.kind
    elif _changed_share(changed, source) >= 0.85 and _kept_share(before_lines, after_lines) >= 0.5:
        kind = "overlay"  # a dialog over a dimmed page: everything changed, nothing moved
    elif trigger_line is not None and changed is not None and _touches(trigger_line.box, changed):
        kind = "select"
    elif changed is not None:
        # Content shown beside or over the page (a menu, a toast) or content swapped in place by a
        # control outside it (a stepper's Next, "load more").
        kind = "overlay" if len(disappeared) <= 1 else "swap"
    exclusive = False
    if kind == "disclosure" and opens and disappeared:
        gone = [line.text for line in disappeared]
        exclusive = any(
            s.kind == "disclosure"
            and s.opens
            and char_share(gone, [any(same_text(g, a) for a in s.appeared) for g in gone]) >= 0.6
            for s in earlier
        )
    return Step(
        number=k,
        before=k - 1,
        after=k,
        kind=kind,
        trigger=trigger_line.text if trigger_line else None,
        trigger_box=trigger_line.box if trigger_line else None,
        click=state.click_point,
        changed=changed,
        appeared=tuple(line.text for line in appeared),
        disappeared=tuple(line.text for line in disappeared),
        returns_to=returns_to if kind not in ("type", "focus") else None,
        opens=opens,
        anchor=anchor,
        typed=typed,
        exclusive=exclusive,
    )


def _match(line: Line, others: Sequence[Line]) -> Line | None:
    """The same text in ``others``, the nearest one when it is there several times."""
    same = [o for o in others if same_text(line.text, o.text)]
    return min(same, key=lambda o: abs(o.box.y - line.box.y) + abs(o.box.x - line.box.x)) if same else None


def _text_disclosure(
    before: Sequence[Line],
    after: Sequence[Line],
    trigger: Line | None,
    appeared: Sequence[Line],
    disappeared: Sequence[Line],
    height: float,
) -> tuple[bool, float, float] | None:
    """(opens, top, height) when the text says a panel opened or closed right below the trigger:
    everything above it stayed, everything below moved by one amount (or off the screen), and the
    new (or vanished) text is in between. Works where rows cannot tell (a panel on the page's own
    background colour, the last item of a list)."""
    if trigger is None:
        return None
    top = trigger.box.bottom
    moves: list[float] = []
    for line in before:
        other = _match(line, after)
        if line.box.bottom <= top + 2:
            if other is None or abs(other.box.y - line.box.y) > 4:
                return None  # something above the trigger moved or went: not a panel below it
        elif other is not None:
            moves.append(other.box.y - line.box.y)
    if appeared and all(d.box.y > height - 60 for d in disappeared):
        span = max(line.box.bottom for line in appeared) - top
        if any(line.box.y < top - 2 for line in appeared):
            return None
        if moves:
            shift = float(np.median(moves))
            if shift < MIN_BAND_PX or any(abs(m - shift) > 6 for m in moves):
                return None
            if span > shift + 6:
                return None
            return (True, top, shift)
        return (True, top, span + 8)
    if disappeared and not [line for line in appeared if line.box.y < height - 120]:
        if any(line.box.y < top - 2 for line in disappeared):
            return None
        span = max(line.box.bottom for line in disappeared) - top
        if moves:
            shift = float(np.median(moves))
            if shift > -MIN_BAND_PX or any(abs(m - shift) > 6 for m in moves):
                return None
            return (False, top, -shift)
        return (False, top, span + 8)
    return None


def _reclosed(
    earlier: Sequence[Step], before: Sequence[Line], disappeared: Sequence[Line]
) -> tuple[tuple[bool, float, float] | None, Line | None]:
    gone = [line.text for line in disappeared]
    for step in reversed(earlier):
        if step.kind != "disclosure" or not step.opens or not step.trigger:
            continue
        hits = [any(same_text(g, a) for a in step.appeared) for g in gone]
        if char_share(gone, hits) < 0.6:
            continue
        trigger = _match(Line(step.trigger, step.trigger_box or Box(0, 0, 0, 0)), before)
        if trigger is None:
            continue
        span = max(line.box.bottom for line in disappeared) - trigger.box.bottom
        return (False, trigger.box.bottom, max(span, MIN_BAND_PX)), trigger
    return None, None


def char_share(lines: Sequence[str], hits: Sequence[bool], *, empty: float = 0.0) -> float:
    """The share of ``lines``' characters in the lines that ``hits`` marks (``empty`` for none)."""
    total = sum(len(line) for line in lines)
    return sum(len(line) for line, hit in zip(lines, hits, strict=True) if hit) / total if total else empty


def _typed(
    state: KeyState,
    previous: Step | None,
    trigger: Line | None,
    appeared: Sequence[Line],
    changed: Box | None,
) -> str | None:
    """The text typed into a field, when this step is typing: the pointer stayed where the field was
    clicked, and the only new text is one line where the click was."""
    if state.click_point is None or changed is None or len(appeared) != 1 or previous is None:
        return None
    if previous.kind not in ("focus", "type") or previous.click is None:
        return None
    line = appeared[0]
    row = max(24.0, line.box.height)
    same_field = abs(previous.click[1] - line.box.center[1]) <= row
    if not same_field or changed.height > 4 * max(line.box.height, 12):
        return None
    return line.text


def _focus_only(
    state: KeyState,
    appeared: Sequence[Line],
    disappeared: Sequence[Line],
    changed: Box | None,
    source: Source,
) -> bool:
    """A click that only put a focus ring around what it clicked (a field)."""
    if appeared or disappeared or changed is None or state.click_point is None:
        return False
    x, y = state.click_point
    inside = changed.contains(Box(x, y, 0, 0), slack=6)
    return inside and _changed_share(changed, source) < 0.15


# An address as a browser's toolbar shows it: a host name with a dot (or localhost), maybe a scheme,
# a port and a path. Only read in the top band of the screen, where a recorded window has its toolbar.
_ADDRESS = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:localhost|(?:[\w-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?$", re.IGNORECASE
)
ADDRESS_BAND = 0.15  # share of the screen's height, from the top, where an address bar may be


def address(lines: Sequence[Line], height: float) -> str | None:
    """The address the recorded browser window's toolbar shows, if it shows one."""
    found = [
        line.text.strip()
        for line in lines
        if line.box.bottom <= ADDRESS_BAND * height and _ADDRESS.match(line.text.strip().replace(" ", ""))
    ]
    return found[0].replace(" ", "") if found else None


def _new_address(before: Sequence[Line], after: Sequence[Line], height: float) -> bool:
    """The address bar shows another address: the click went to another page, however alike."""
    was, now = address(before, height), address(after, height)
    return was is not None and now is not None and was.lower() != now.lower()


TOGGLE_MAX_PX = (120, 80)  # the largest box a switch, checkbox or radio toggling changes
TOGGLE_FILL = 0.35  # share of that box whose pixels changed: a fill, not a focus ring's outline


def _toggled(
    state: KeyState,
    before: np.ndarray,
    after: np.ndarray,
    appeared: Sequence[Line],
    disappeared: Sequence[Line],
    changed: Box | None,
    source: Source,
) -> bool:
    """A click that flipped a small control under the pointer and changed nothing else."""
    if appeared or disappeared or changed is None or state.click_point is None:
        return False
    if changed.width > TOGGLE_MAX_PX[0] or changed.height > TOGGLE_MAX_PX[1]:
        return False
    if not changed.contains(Box(*state.click_point, 0, 0), slack=8) or before.shape != after.shape:
        return False
    x0, y0 = max(int(changed.x), 0), max(int(changed.y), 0)
    x1, y1 = int(changed.right) + 1, int(changed.bottom) + 1
    diff = cv2.absdiff(before[y0:y1, x0:x1], after[y0:y1, x0:x1]) > 24
    return diff.size > 0 and float(diff.mean()) >= TOGGLE_FILL


def _row_label(lines: Sequence[Line], control: Box | None) -> Line | None:
    """The text on a control's row that names it: of the lines level with the control, on either
    side (a switch at the row's end, a checkbox before its label), the first (a label above its
    description)."""
    if control is None:
        return None
    row = [
        line
        for line in lines
        if line.box.y <= control.bottom + 4
        and line.box.bottom >= control.y - 4
        and not line.box.contains(control)
    ]
    if not row:
        return None
    return min(row, key=lambda line: (line.box.y, abs(line.box.center[0] - control.center[0])))


def _toggles_so_far(earlier: Sequence[Step], label: Line | None) -> int:
    return sum(1 for s in earlier if s.kind == "toggle" and label is not None and s.trigger == label.text)


def _not_pushed(lines: Sequence[Line], alignment: _Alignment, height: float) -> list[Line]:
    return [line for line in lines if line.box.bottom <= height - max(alignment.shift, 0) - 2]


def _is_disclosure(
    alignment: _Alignment,
    trigger: Line | None,
    click: tuple[float, float] | None,
    disappeared: Sequence[Line],
    height: float,
) -> bool:
    """One panel opened (rows inserted just below what was clicked) or closed (rows removed), and
    nothing else changed in place beyond the trigger's own row (a chevron turning, "+" to "-").

    An exclusive accordion closes one panel as it opens another: one band removed elsewhere, and
    the only text that went is in it."""
    inserted, removed = alignment.inserted, alignment.removed
    if len(inserted) > 1 or len(removed) > 1 or not (inserted or removed):
        return False
    band = inserted[0] if inserted else removed[0]
    if trigger is not None:
        if not (trigger.box.y - 4 <= band.start <= trigger.box.bottom + 120):
            return False
    elif click is not None and not (click[1] - 40 <= band.start <= click[1] + 120):
        return False
    allowed = (trigger.box.height * 2.5) if trigger else 48.0
    for old, new in alignment.replaced:
        if old.height > allowed and new.height > allowed:
            return False
    if inserted:
        gone = removed[0] if removed else None
        shift = alignment.shift
        for line in disappeared:
            pushed = line.box.bottom > height - max(shift, 0) - 2
            if not pushed and not (gone and gone.start - 4 <= line.box.y and line.box.bottom <= gone.end + 4):
                return False
    return True


def _changed_share(changed: Box | None, source: Source) -> float:
    if changed is None or not source.width or not source.height:
        return 0.0
    return changed.area / (source.width * source.height)


def _kept_share(before: Sequence[Line], after: Sequence[Line]) -> float:
    """Share of the earlier frame's text still there, at about the same place."""
    if not before:
        return 1.0
    kept = sum(
        1
        for line in before
        if any(same_text(line.text, o.text) and abs(o.box.y - line.box.y) < 24 for o in after)
    )
    return kept / len(before)


def _touches(a: Box, b: Box, slack: float = 6.0) -> bool:
    return a.intersection(Box(b.x - slack, b.y - slack, b.width + 2 * slack, b.height + 2 * slack)) > 0


# --- a cache, so the backend and the replay read each recording once ----------------------------

_steps: OrderedDict[str, tuple[tuple[Step, ...], tuple[tuple[Line, ...], ...]]] = OrderedDict()
_steps_lock = threading.Lock()


def steps_for(source: Source, ocr: OcrEngine) -> tuple[Step, ...]:
    """``infer_steps`` with each key state read by ``ocr``, remembered per recording."""
    return model_for(source, ocr)[0]


def model_for(source: Source, ocr: OcrEngine) -> tuple[tuple[Step, ...], tuple[tuple[Line, ...], ...]]:
    """The steps and the lines read in each key state (blocking: OCR)."""
    key = hashlib.sha256(b"".join(hashlib.sha256(s.png).digest() for s in source.states)).hexdigest()
    with _steps_lock:
        if key in _steps:
            _steps.move_to_end(key)
            return _steps[key]
    lines = tuple(tuple(Line.of(line) for line in ocr.read(state.png)) for state in source.states)
    model = (infer_steps(source, lines), lines)
    with _steps_lock:
        _steps[key] = model
        while len(_steps) > _CACHE_SIZE:
            _steps.popitem(last=False)
    return model
