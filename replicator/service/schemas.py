"""The API's request options and response shapes (they document themselves in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ..config import BackendName, OutputMode, Settings
from ..jobs import JobOptions
from ..stacks import StackName


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `unsupported_media`.")
    message: str = Field(description="What went wrong, written for a person.")
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ScoreBreakdown(BaseModel):
    overall: float
    block: float
    text: float
    position: float
    color: float
    typography: float
    edges: float
    graphics: float = Field(
        100.0, description="Icons, images, charts and illustrations of the source reproduced."
    )
    visual: float


class Discrepancy(BaseModel):
    kind: str
    message: str
    weight: float


class ReplicationOptions(BaseModel):
    """The form fields that go with the uploaded ``file``; unset fields take the server's settings."""

    model_config = {"extra": "ignore"}

    backend: BackendName | None = Field(
        None, description="`local` (offline, the embedded default) or `glm` (GLM-4.5V; needs an API key)."
    )
    refine_rounds: int | None = Field(
        None, ge=0, le=10, description="Refinement rounds at most (0-10), while below the target score."
    )
    target_score: float | None = Field(
        None, ge=0, le=100, description="Stop refining once a candidate scores this (0-100)."
    )
    mode: OutputMode | None = Field(
        None, description="`interactive` keeps the page's scripts (sandboxed); `static` removes them."
    )
    viewport_width: int | None = Field(
        None, ge=200, le=4096, description="Render width in px (default: the screenshot's width)."
    )
    variants: int | None = Field(
        None,
        ge=1,
        le=4,
        description="Candidates to make (1-4), each rendered and scored; the best is the result.",
    )
    stack: StackName | None = Field(
        None,
        description="The code you get: `html-css` (default), `html-tailwind`, `bootstrap` (Bootstrap 5), "
        "`react-tailwind` (a JSX function component) or `vue-tailwind` (a single-file component).",
    )
    viewport_height: int | None = Field(
        None, ge=200, le=4096, description="Render viewport height in px (default: from the screenshot)."
    )

    def job_options(self, settings: Settings) -> JobOptions:
        return JobOptions(
            backend=self.backend or settings.backend,
            refine_rounds=settings.refine_rounds if self.refine_rounds is None else self.refine_rounds,
            target_score=settings.target_score if self.target_score is None else self.target_score,
            mode=self.mode or settings.output_mode,
            viewport_width=self.viewport_width,
            viewport_height=self.viewport_height,
            stack=self.stack or "html-css",
            variants=self.variants or 1,
        )


class Replication(BaseModel):
    """A replication job. ``result`` is filled in once it has succeeded."""

    id: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    stage: str | None = Field(None, description="The stage running now (or the last one reached).")
    created_at: float
    updated_at: float
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    elapsed_s: float | None = Field(
        None,
        description="Seconds since the job started (running) or was submitted (queued), as of this response.",
    )
    queue_position: int | None = Field(None, description="While queued: 1 when it is the next job to start.")
    kind: str | None = Field(None, description="`image` or `recording`, once intake has run.")
    media_type: str | None = None
    filename: str = ""
    options: dict[str, Any]
    attempts: int = 0
    score: float | None = Field(None, description="Overall score (0-100) of the best candidate.")
    summary: dict[str, Any] = Field(default_factory=dict)
    error: ErrorBody | None = Field(None, description="Why the job failed or was cancelled.")
    urls: dict[str, str] = Field(
        description="Links: self, events, cancel, retry, source, thumbnail, and when done html, preview, "
        "render, render_thumbnail, diff, result."
    )
    result: dict[str, Any] | None = Field(
        None,
        description="Score breakdown per round, discrepancies, timings, usage and cost, per-state scores.",
    )


class ReplicationList(BaseModel):
    items: list[Replication]
    total: int
    limit: int
    offset: int


class CheckResponse(BaseModel):
    id: str
    passed: bool
    threshold: float
    min_subscores: dict[str, float] = Field(
        default_factory=dict, description="The sub-score gates the check was asked to apply."
    )
    failures: list[str] = Field(
        default_factory=list, description="Why the check failed, one reason per unmet gate (empty: passed)."
    )
    score: ScoreBreakdown
    discrepancies: list[Discrepancy]
    heatmap_url: str
    render_url: str
    design_url: str = Field("", description="The design as it was compared (normalized PNG).")
    viewport: dict[str, int]
    elapsed_ms: float


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class ReadinessCheck(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, ReadinessCheck]
    jobs: dict[str, int]


class RevisionRequest(BaseModel):
    """A new revision: the person's own ``code``, or an ``instruction`` for the job's model backend."""

    model_config = {"extra": "forbid"}

    instruction: str | None = Field(
        None, min_length=1, max_length=4000, description="What to change, in words (needs a model backend)."
    )
    code: str | None = Field(
        None, min_length=1, max_length=2_000_000, description="The edited code, in the job's stack."
    )
    base: int | None = Field(
        None, ge=0, description="The revision to start from (default: the newest); `code` needs none."
    )

    @model_validator(mode="after")
    def _one_of(self) -> RevisionRequest:
        if (self.instruction is None) == (self.code is None):
            raise ValueError("send either instruction or code")
        return self


class Revision(BaseModel):
    number: int
    kind: Literal["generated", "instruction", "edit", "imported"]
    parent: int | None = None
    instruction: str = ""
    stack: str = "html-css"
    score: dict[str, float] | None = None
    discrepancies: list[dict[str, Any]] = Field(default_factory=list)
    created_at: float | None = None
    urls: dict[str, str] = Field(default_factory=dict)


class RevisionList(BaseModel):
    revisions: list[Revision]
