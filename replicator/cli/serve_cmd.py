"""replicator serve (issue 6)."""

from __future__ import annotations

from . import app  # noqa: F401
