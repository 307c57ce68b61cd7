"""Grounding a model backend in what the embedded analysis measured.

``brief_for(png)`` runs the local backend's analysis of a screenshot and keeps what a model gets
wrong most (exact text, fonts, icons, pictures) as a ``Brief``; the model's prompt carries it
(``Brief.prompt``) and ``repair_page`` puts the same facts back into the model's answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from .brief import Brief, BriefText, brief_from_analysis, estimate_tokens
from .repair import Repair, Repaired, repair_page

if TYPE_CHECKING:
    from ..cpu_pool import CpuPool
    from ..ocr import OcrEngine, OcrLine

__all__ = [
    "Brief",
    "BriefText",
    "Repair",
    "Repaired",
    "brief_for",
    "brief_from_analysis",
    "estimate_tokens",
    "repair_page",
]


# Briefs of recent screenshots, by content: the same design resubmitted (a CI check on every push,
# a retried job) is measured once. A brief is small beside its screenshot (its crops, compressed).
_RECENT = 32
_recent: OrderedDict[str, Brief] = OrderedDict()
_recent_lock = threading.Lock()


async def brief_for(png: bytes, *, cpu: CpuPool | None = None, ocr: OcrEngine | None = None) -> Brief:
    """The brief of the screenshot ``png``: in a CPU worker when there is a pool (reusing the text
    the pool already read from it), else in a thread of this process."""
    digest = hashlib.sha256(png).hexdigest()
    with _recent_lock:
        if digest in _recent:
            _recent.move_to_end(digest)
            return _recent[digest]
    if cpu is not None:
        brief, lines = await cpu.run(_brief_task, png, cpu.known_text(png))
        cpu.remember_text(png, lines)
    else:
        brief = await asyncio.to_thread(_brief, png, ocr)
    with _recent_lock:
        _recent[digest] = brief
        while len(_recent) > _RECENT:
            _recent.popitem(last=False)
    return brief


def _brief(png: bytes, ocr: OcrEngine | None) -> Brief:
    from ..backends.local.page import analyze

    return brief_from_analysis(analyze(png, ocr=ocr))


def _brief_task(png: bytes, known: tuple[OcrLine, ...] | None) -> tuple[Brief, tuple[OcrLine, ...] | None]:
    """In a CPU worker: the brief, and the OCR lines read (or replayed) for it."""
    from ..cpu_pool import TextReplay, worker_ocr

    ocr = TextReplay(worker_ocr(), known)
    return _brief(png, ocr), ocr.lines  # type: ignore[arg-type]
