"""A helper process for a CPU worker that owns more than one core: ``split_map`` hands it half a map.

A page converted alone gets a worker with every core (``CpuPool`` shares the cores out among its
workers). OCR's models use them all, but the layout analysis after OCR is Python that holds the
GIL, so one of the two cores of the dev machine idled through most of a page's analysis (1.1-2.2 s
of its 2-3 s). Its per-line work (cutting, fitting fonts) is independent line by line: with a
helper, ``split_map`` runs about half of such a map there while the worker does the other half.

The helper is started with the worker (``start``), dies with it, and takes work only once it has
loaded what the work needs (``warm``): until then, and in any process without one (threads of the
main process, tests), ``split_map`` maps in place. A helper that dies, or work that does not
pickle, costs only time: that half is done in place, and a dead helper is replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_warmed: Future[None] | None = None
_warm: Callable[[], None] | None = None


def start(warm: Callable[[], None] | None = None) -> None:
    """Start this process's helper (in a worker's initializer, on its main thread: the helper is
    killed when that thread ends). ``warm``: run in the helper before it takes work (imports,
    models), a module-level function."""
    global _warm
    with _lock:
        _warm = warm
        _spawn()


def stop() -> None:
    """End the helper (tests; a worker's helper ends with the worker)."""
    global _executor, _warmed
    with _lock:
        executor, _executor, _warmed = _executor, None, None
    if executor is not None:
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
            process.join(timeout=5)


def helper_pid() -> int | None:
    """The helper's process id, once it has started (None: no helper)."""
    with _lock:
        processes = getattr(_executor, "_processes", None) or {}
    return next((p.pid for p in processes.values() if p.pid is not None), None)


def ready() -> bool:
    """Whether ``split_map`` will hand work to a helper now."""
    return _ready_executor() is not None


def split_map(fn: Callable[[T], R], items: Sequence[T], *, weights: Sequence[float] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, the helper mapping about half of ``weights`` (default: one
    per item) while this process maps the rest. ``fn`` must be a module-level function; ``fn``,
    the items and the results must pickle. Items that share objects (a whole screenshot) send
    them once: a half is pickled in one piece."""
    executor = _ready_executor() if len(items) >= 2 else None
    if executor is None:
        return [fn(item) for item in items]
    costs = list(weights) if weights is not None else [1.0] * len(items)
    # Heaviest first, each to the lighter side (a greedy split within one item of even).
    mine: list[int] = []
    theirs: list[int] = []
    load = [0.0, 0.0]
    for i in sorted(range(len(items)), key=lambda i: -costs[i]):
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(i)
        load[side] += costs[i]
    mine.sort()
    theirs.sort()
    try:
        future = executor.submit(_map, fn, [items[i] for i in theirs])
    except (BrokenProcessPool, RuntimeError) as exc:
        _lost(executor, exc)
        return [fn(item) for item in items]
    results: list[R | None] = [None] * len(items)
    for i in mine:
        results[i] = fn(items[i])
    try:
        done = future.result()
    except BrokenProcessPool as exc:
        _lost(executor, exc)
        done = [fn(items[i]) for i in theirs]
    except Exception as exc:  # pickling, or fn itself: in place, fn fails as it would have
        log.debug("helper could not map %s (%s); mapping in place", getattr(fn, "__qualname__", fn), exc)
        done = [fn(items[i]) for i in theirs]
    for i, result in zip(theirs, done, strict=True):
        results[i] = result
    return results  # type: ignore[return-value]  # every slot filled above


def _map(fn: Callable[[T], R], items: list[T]) -> list[R]:
    return [fn(item) for item in items]


def _ready_executor() -> ProcessPoolExecutor | None:
    with _lock:
        if _executor is None or _warmed is None or not _warmed.done():
            return None
        if _warmed.cancelled() or _warmed.exception() is not None:
            return None
        return _executor


def _spawn() -> None:
    """A new helper (with ``_lock`` held)."""
    global _executor, _warmed
    from .cpu_pool import _start_worker

    _executor = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        # No OCR model: the helper's work is image and font work after OCR.
        initargs=(1, 0, os.getpid(), False),
    )
    _warmed = _executor.submit(_warm) if _warm is not None else _executor.submit(_noop)


def _noop() -> None:
    return None


def _lost(executor: ProcessPoolExecutor, exc: BaseException) -> None:
    """The helper died: map in place this time, with a new helper for the next (once warm)."""
    log.warning("CPU helper process died (%s); starting a new one", exc)
    with _lock:
        if _executor is not executor:
            return  # replaced already
        executor.shutdown(wait=False, cancel_futures=True)
        _spawn()
