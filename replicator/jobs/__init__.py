"""Durable jobs: SQLite records and events, artifact folders, an in-process worker pool."""

from __future__ import annotations

from .artifacts import ArtifactStore
from .manager import JobManager
from .records import TERMINAL_STATES, Job, JobOptions, JobState, StoredEvent
from .store import JobStore

__all__ = [
    "TERMINAL_STATES",
    "ArtifactStore",
    "Job",
    "JobManager",
    "JobOptions",
    "JobState",
    "JobStore",
    "StoredEvent",
]
