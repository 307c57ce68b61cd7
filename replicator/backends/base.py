"""The one small interface every model backend implements (the generate and refine stages).

A backend turns a Source into HTML and streams typed events while it works. It knows nothing of
jobs, storage or HTTP routes: the pipeline consumes its events.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from ..errors import RefinementUnsupported
from ..models import RenderResult, Score, Source, Usage

if TYPE_CHECKING:
    from ..grounding.brief import Brief, BriefText

# The attribute a backend may put on a candidate's page to say which variant it is (the local backend
# does, so a later round refines that variant's layout); pages that differ only in it are one page.
VARIANT_ATTR = "data-replicator-variant"

FinishReason = Literal["stop", "length", "sensitive", "network_error", "tool_calls", "error"]


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of the model's reasoning (shown live, never fed back to the model)."""

    text: str


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of the model's answer text, from which extract later pulls the HTML."""

    text: str


@dataclass(frozen=True)
class UsageReport:
    """Tokens used (and estimated cost) by one model call."""

    usage: Usage


@dataclass(frozen=True)
class BriefReport:
    """What the prompt carried of the brief (its estimated tokens, lines listed and dropped)."""

    brief: BriefText


@dataclass(frozen=True)
class Finished:
    """The answer is complete; ``reason`` is the provider's finish_reason (``length`` = truncated)."""

    reason: FinishReason


BackendEvent = ThinkingDelta | AnswerDelta | UsageReport | BriefReport | Finished


@dataclass(frozen=True)
class GenerateOptions:
    thinking: bool = True
    temperature: float | None = None  # None: the backend's configured default
    max_tokens: int | None = None
    stack: str = "html-css"  # "html-css" or "html-tailwind": what the generated page may use
    mode: Literal["static", "interactive"] = "interactive"
    # 0: the backend's first choice; 1-3: another candidate of the same page (variants), made with
    # other choices (a model's sampling and emphasis, the local backend's grouping).
    variant: int = 0
    # What the local analysis measured in the source, for a grounded backend (None: not grounded).
    brief: Brief | None = None


@dataclass(frozen=True)
class RefineRequest:
    """Everything a refinement round sees: source, current render, its score, the current HTML."""

    source: Source
    render: RenderResult
    score: Score  # carries the heatmap PNG and the ranked discrepancies
    current_html: str
    round: int  # 1 for the first refinement round
    # For recordings: the key state to concentrate on (the worst-scoring one), or None.
    focus_state: int | None = None
    # Source text (exact paragraphs) the current page lacks, found when its answer was repaired.
    missing_text: tuple[str, ...] = ()
    # For recordings: the replayed steps that failed on the current page, in words ("clicking
    # 'Billing' selects it and shows its content; on the current page: 'Billing' is not on the page").
    failed_steps: tuple[str, ...] = ()
    # A person's instruction for this revision ("make the header sticky"), or "" for a round that
    # only closes the gap to the source.
    instruction: str = ""


class Backend(abc.ABC):
    """A model backend. Implementations: ``local`` (embedded default) and ``glm`` (GLM-4.5V)."""

    name: ClassVar[str]
    can_refine: ClassVar[bool] = False
    # Whether the backend can take a recording's video itself (else it gets key states as images).
    accepts_video: ClassVar[bool] = False
    # Whether a refinement round can fix interactions that fail on replay (a model reads what failed;
    # the local backend's wiring comes from the recording and a new round would build the same).
    fixes_interactions: ClassVar[bool] = False
    # Whether a person's instruction can revise a page (a model reads it; the local backend has no
    # one to read it, and answers with a clear error).
    follows_instructions: ClassVar[bool] = False

    @property
    def grounded(self) -> bool:
        """Whether the backend wants the brief of the local analysis and its answers repaired."""
        return False

    @abc.abstractmethod
    def generate(self, source: Source, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        """Stream the events of one generation. Ends with a ``Finished`` event."""

    def refine(self, request: RefineRequest, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        """Stream a revised page's events. Backends that cannot refine keep this default."""
        raise RefinementUnsupported(f"The {self.name} backend cannot refine a page.")

    async def check(self) -> str:
        """Raise a ReplicatorError if the backend cannot work now; else a one-line status."""
        return "ok"

    async def aclose(self) -> None:  # noqa: B027 - optional hook: most backends hold nothing
        """Release what the backend holds (HTTP clients, model sessions)."""
