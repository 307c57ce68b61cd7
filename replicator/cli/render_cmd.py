"""replicator render (issue 2)."""

from __future__ import annotations

from . import app  # noqa: F401
