"""Durable jobs: records and events (SQLite or PostgreSQL), artifacts (a folder or PostgreSQL), an
in-process worker pool or a queue shared by worker processes."""

from __future__ import annotations

from .artifacts import ArtifactSpace, ArtifactStore, FolderArtifactSpace, FolderArtifactStore
from .manager import JobManager
from .records import TERMINAL_STATES, Job, JobOptions, JobState, StoredEvent
from .store import JobStore

__all__ = [
    "TERMINAL_STATES",
    "ArtifactSpace",
    "ArtifactStore",
    "FolderArtifactSpace",
    "FolderArtifactStore",
    "Job",
    "JobManager",
    "JobOptions",
    "JobState",
    "JobStore",
    "StoredEvent",
]
