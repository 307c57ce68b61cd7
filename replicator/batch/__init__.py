"""Batch conversion: discover inputs, run them through the one pipeline, write outputs and reports.

``inputs`` finds what to convert, ``runner`` drives the pipeline with bounded concurrency and
resume, ``report`` writes per-item records and the batch's ``report.json``/``report.html``.
"""

from __future__ import annotations

from .inputs import BatchItem, ItemOptions, discover_inputs, parse_viewport, read_manifest, safe_name
from .report import BatchReport, ItemRecord, write_atomic

__all__ = [
    "BatchItem",
    "BatchReport",
    "ItemOptions",
    "ItemRecord",
    "discover_inputs",
    "parse_viewport",
    "read_manifest",
    "safe_name",
    "write_atomic",
]
