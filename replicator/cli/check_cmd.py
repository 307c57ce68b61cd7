"""replicator check (issue 7)."""

from __future__ import annotations

from . import app  # noqa: F401
