"""What a job is: its state, the options it was submitted with, and its stored record."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..models import Viewport
from ..pipeline import RunOptions

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class JobOptions:
    """What the submitter chose; turned into the pipeline's RunOptions when the job runs."""

    backend: str = "local"
    refine_rounds: int = 1
    target_score: float = 90.0
    mode: Literal["static", "interactive"] = "interactive"
    viewport_width: int | None = None  # None: from the source
    viewport_height: int | None = None
    stack: str = "html-css"
    variants: int = 1  # candidates made in round 0
    # Started from a person's code and a design screenshot (scored, not generated).
    imported: bool = False

    def run_options(self) -> RunOptions:
        viewport = None
        if self.viewport_width or self.viewport_height:
            viewport = Viewport(self.viewport_width or 1280, self.viewport_height or 800)
        return RunOptions(
            refine_rounds=self.refine_rounds,
            target_score=self.target_score,
            mode=self.mode,
            viewport=viewport,
            stack=self.stack,
            variants=self.variants,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobOptions:
        data = json.loads(text or "{}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Job:
    """One stored job record (a row of the ``jobs`` table)."""

    id: str
    state: JobState
    created_at: float
    updated_at: float
    options: JobOptions = field(default_factory=JobOptions)
    stage: str | None = None
    kind: str | None = None  # image | recording, once known
    media_type: str | None = None
    filename: str = ""  # for display only: never used as a path
    started_at: float | None = None
    finished_at: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    score: float | None = None  # overall score of the best candidate
    summary: dict[str, Any] = field(default_factory=dict)  # compact result: breakdown, rounds, usage
    attempts: int = 0  # times a worker started it (restart recovery gives up after a few)

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else self.updated_at
        return round(max(end - self.started_at, 0.0), 3)


@dataclass(frozen=True)
class StoredEvent:
    """A progress event as kept in the ``events`` table; ``seq`` counts from 1 per job."""

    seq: int
    ts: float
    kind: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "kind": self.kind, "data": self.data}
