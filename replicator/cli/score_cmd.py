"""replicator score (issue 3)."""

from __future__ import annotations

from . import app  # noqa: F401
