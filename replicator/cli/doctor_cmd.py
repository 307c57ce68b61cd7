"""replicator doctor (issue 4)."""

from __future__ import annotations

from . import app  # noqa: F401
