"""The values that flow forward through the pipeline, stage to stage.

source (Source) -> generate (BackendEvent stream) -> extract (Extraction) -> sanitize (Page)
-> render (RenderResult) -> score (Score) -> refine (more candidates) -> Result.

All are frozen dataclasses: a stage never mutates what an earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

RGB = tuple[int, int, int]
SourceKind = Literal["image", "recording"]


# The widest or tallest window the renderer opens: no real screen is larger, and a bigger one would
# only make screenshots of hundreds of megabytes. A source wider than this cannot be replicated.
MAX_VIEWPORT_SIDE = 8192
# The tallest source accepted: the largest side a JPEG can have; full-page screenshots stay far below.
MAX_SOURCE_HEIGHT = 65_535


@dataclass(frozen=True)
class Viewport:
    width: int = 1280
    height: int = 800


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in CSS pixels of the page (or pixels of a screenshot)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)

    def intersection(self, other: Box) -> float:
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return w * h if w > 0 and h > 0 else 0.0

    def contains(self, other: Box, slack: float = 0.0) -> bool:
        """Whether ``other`` lies inside this box, allowing ``slack`` px past each side."""
        return (
            other.x >= self.x - slack
            and other.y >= self.y - slack
            and other.right <= self.right + slack
            and other.bottom <= self.bottom + slack
        )

    def union(self, other: Box) -> Box:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)


# --- intake -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyState:
    """One distinct screen state of a recording."""

    index: int
    timestamp_s: float
    png: bytes
    # What changed from the previous state, and where the user clicked to get here, when visible.
    changed_region: Box | None = None
    click_point: tuple[float, float] | None = None


@dataclass(frozen=True)
class Source:
    """A validated, normalized input. ``png`` is the screenshot (for a recording: its first state)."""

    kind: SourceKind
    png: bytes
    width: int
    height: int
    media_type: str  # what the upload really was, judged by content: image/png, video/webm, ...
    sha256: str
    states: tuple[KeyState, ...] = ()
    video_path: Path | None = None  # normalized MP4 of a recording, when one was kept
    duration_s: float | None = None

    @property
    def viewport(self) -> Viewport:
        """The viewport to render at: the source's width; its height up to a typical screen's.

        A tall full-page screenshot was taken in a shorter window; rendering at its full height would
        stretch `100vh` sections, so the render is a full-page screenshot of a 1080 px window instead.
        """
        return Viewport(self.width, min(self.height, 1080))


# --- extract and sanitize -----------------------------------------------------------------------


@dataclass(frozen=True)
class Extraction:
    """The HTML document pulled out of a model answer."""

    html: str
    truncated: bool = False  # the answer was cut off (finish_reason=length or an unclosed document)
    notes: tuple[str, ...] = ()  # what extract had to do: "stripped box markers", "merged 2 CSS blocks"


@dataclass(frozen=True)
class Page:
    """A sanitized, self-contained document, ready to render or deliver."""

    html: str
    mode: Literal["static", "interactive"]
    csp: str  # the Content-Security-Policy that is also embedded in the document
    removed: tuple[str, ...] = ()  # what the output policy removed or replaced, in words


# --- render -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextBox:
    """A run of text as the browser laid it out (one box per line fragment of a text node)."""

    text: str
    box: Box
    color: RGB
    font_size: float
    font_weight: int = 400
    tag: str = ""  # nearest element's tag name


@dataclass(frozen=True)
class ElementBox:
    """A visible element's box, with its own background color if it paints one."""

    tag: str
    box: Box
    background: RGB | None = None
    border_color: RGB | None = None
    border_radius: float = 0.0


@dataclass(frozen=True)
class RenderResult:
    """A screenshot of a rendered page plus the DOM's own text and element boxes."""

    png: bytes
    width: int
    height: int  # of the screenshot (after clamping)
    full_height: int  # the page's own scroll height
    clamped: bool
    text_boxes: tuple[TextBox, ...] = ()
    element_boxes: tuple[ElementBox, ...] = ()
    elapsed_ms: float = 0.0


# --- score --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """One difference between source and render, in words a person or a model can act on."""

    kind: str  # missing_text, extra_text, moved_block, text_color, size, background, ...
    message: str
    weight: float  # how much it costs the score; the list is sorted by it
    box: Box | None = None  # where, in source coordinates


@dataclass(frozen=True)
class Score:
    """The visual-diff score: overall and sub-scores on 0-100, a heatmap and ranked discrepancies."""

    overall: float
    block: float
    text: float
    position: float
    color: float
    typography: float
    edges: float
    visual: float
    graphics: float = 100.0
    heatmap_png: bytes = b""
    discrepancies: tuple[Discrepancy, ...] = ()

    def breakdown(self) -> dict[str, float]:
        return {name: round(getattr(self, name), 2) for name in SCORE_FIELDS}


# The score's parts in the order every report shows them: overall, then the sub-scores.
SUBSCORES = ("block", "text", "position", "color", "typography", "edges", "graphics", "visual")
SCORE_FIELDS = ("overall", *SUBSCORES)


# --- model usage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class StateScore:
    """A recording's key state: reached by replaying the transitions on the generated page?"""

    index: int
    timestamp_s: float
    reached: bool
    score: Score | None
    png: bytes = b""  # screenshot of the state reached on the generated page


@dataclass(frozen=True)
class StepCheck:
    """One recorded click replayed on a page: what was clicked, what should and did change."""

    step: int  # the step's number (1-based, recorded order)
    phase: str  # "recorded" (in the recording's order), "any order" (from a fresh page), "back"
    kind: str  # the pattern: disclosure, select, overlay, navigate, change
    trigger: str | None  # the text clicked (None: found by place)
    expected: str  # in words
    observed: str  # in words
    ok: bool
    reason: str = ""  # why it failed
    score: float | None = None  # the state reached against its key frame

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "phase": self.phase,
            "kind": self.kind,
            "clicked": self.trigger,
            "expected": self.expected,
            "observed": self.observed,
            "ok": self.ok,
            "reason": self.reason,
            "score": round(self.score, 2) if self.score is not None else None,
        }


@dataclass(frozen=True)
class InteractionReport:
    states: tuple[StateScore, ...]
    transitions_total: int
    transitions_worked: int
    score: float  # 0-100
    steps: tuple[StepCheck, ...] = ()

    @property
    def passed(self) -> bool:
        """Every step worked, in the recorded order and in the others tried."""
        return self.transitions_worked == self.transitions_total and all(s.ok for s in self.steps)

    @property
    def failures(self) -> tuple[StepCheck, ...]:
        return tuple(s for s in self.steps if not s.ok)

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 2),
            "passed": self.passed,
            "transitions_total": self.transitions_total,
            "transitions_worked": self.transitions_worked,
            "steps": [s.to_dict() for s in self.steps],
            "states": [
                {
                    "index": s.index,
                    "timestamp_s": s.timestamp_s,
                    "reached": s.reached,
                    "score": s.score.breakdown() if s.score else None,
                }
                for s in self.states
            ],
        }


@dataclass(frozen=True)
class GroundingReport:
    """A grounded round: what its prompt carried of the brief and what repairing its page did."""

    brief: dict[str, object] | None  # tokens (estimated), lines_listed, lines_total, detail; None: none sent
    repairs: tuple[dict[str, str], ...] = ()  # kind, before, after, why
    missing: tuple[str, ...] = ()  # source paragraphs the page lacks (exact text)

    def counts(self) -> dict[str, int]:
        """Repairs by kind, in the order first made."""
        counts: dict[str, int] = {}
        for repair in self.repairs:
            counts[repair["kind"]] = counts.get(repair["kind"], 0) + 1
        return counts

    def to_dict(self) -> dict[str, object]:
        return {
            "brief": self.brief,
            "repaired": self.counts(),
            "repairs": list(self.repairs),
            "missing_text": list(self.missing),
        }


@dataclass(frozen=True)
class Candidate:
    """One generated version of the page (round 0 is the first generation)."""

    round: int
    extraction: Extraction
    page: Page
    render: RenderResult
    score: Score
    interactions: InteractionReport | None = None
    grounding: GroundingReport | None = None
    # The code in the job's stack, as a developer takes it away: the page before sanitizing (Tailwind
    # classes and CDN links as written) or the component's source (JSX, a Vue SFC).
    code: str = ""
    stack: str = "html-css"
    variant: int = 0  # which of round 0's candidates this one is, or descends from (0: the first)


@dataclass(frozen=True)
class Result:
    """What the pipeline hands back: the best candidate, every candidate, timings and usage."""

    source: Source
    best: Candidate
    candidates: tuple[Candidate, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: Usage = Usage()
    backend: str = ""
    refinement: str = ""  # why refinement ran as it did (not asked, not needed, limit reached, failed)
