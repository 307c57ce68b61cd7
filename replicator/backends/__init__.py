"""Model backends: the generate and refine stages. ``create_backend`` picks one by name."""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigurationError
from .base import (
    AnswerDelta,
    Backend,
    BackendEvent,
    Finished,
    GenerateOptions,
    RefineRequest,
    ThinkingDelta,
    UsageReport,
)

__all__ = [
    "AnswerDelta",
    "Backend",
    "BackendEvent",
    "Finished",
    "GenerateOptions",
    "RefineRequest",
    "ThinkingDelta",
    "UsageReport",
    "create_backend",
]


def create_backend(name: str, settings: Settings) -> Backend:
    """Build the backend called ``name`` from settings (imported lazily: each has its own weight)."""
    if name == "local":
        from .local import LocalBackend

        return LocalBackend(settings)
    if name == "glm":
        from .glm import GlmBackend

        return GlmBackend(settings)
    raise ConfigurationError(f"Unknown backend {name!r}: choose 'local' or 'glm'.")
