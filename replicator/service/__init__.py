"""The HTTP service: REST API under ``/api/v1``, the web UI at ``/`` and offline API docs."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
