"""replicator settings (README settings table)."""

from __future__ import annotations

from . import app  # noqa: F401
