"""A helper process for a CPU worker that owns more than one core: ``split_map`` hands it half a map.

A page converted alone gets a worker with every core (``CpuPool`` shares the cores out among its
workers). OCR's models use them all, but the layout analysis after OCR is Python that holds the
GIL, so one of the two cores of the dev machine idled through most of a page's analysis (1.1-2.2 s
of its 2-3 s). Its per-line work (cutting, fitting fonts) is independent line by line: with a
helper, ``split_map`` runs about half of such a map there while the worker does the other half.

A worker allows a helper (``enable``); its first ``split_map`` starts one, which dies with the
worker and takes work only once it has loaded what the work needs (``warm``): until then, and in
any process without one (threads of the main process, tests), ``split_map`` maps in place.
Started with the worker instead, the helper's warm-up competed with the worker's own start and,
in a fresh data directory, built the icon index a second time beside the worker's first page. A
helper that dies, or work that does not pickle, costs only time: that half is done in place, and
a dead helper is replaced.

The helper is a plain process on a pipe, not a ProcessPoolExecutor: an executor's queues are
semaphores registered with multiprocessing's resource tracker, and a worker is ended with SIGKILL
(``CpuPool`` stops its lanes that way), which left them to the tracker's "leaked semaphore"
warning at every exit.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class _Helper:
    """The helper process and this side of its pipe. One request at a time (``busy``)."""

    def __init__(self, warm: Callable[[], None] | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        # Daemonic: a worker that exits normally ends it (a killed one, by the parent-death signal).
        self.process: BaseProcess = context.Process(
            target=_serve, args=(theirs, os.getpid(), warm), name="replicator-cpu-helper", daemon=True
        )
        self.process.start()
        theirs.close()
        self.ready = False
        self.busy = threading.Lock()

    def poll_ready(self) -> bool:
        """Whether the helper has warmed up (it says so once, first thing on the pipe)."""
        if not self.ready:
            try:
                if self.conn.poll():
                    self.ready = self.conn.recv() == "ready"
            except (EOFError, OSError):
                return False
        return self.ready

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


_lock = threading.Lock()
_helper: _Helper | None = None
_warm: Callable[[], None] | None = None
_enabled = False


def enable(warm: Callable[[], None] | None = None) -> None:
    """Let this process have a helper, started by the first ``split_map`` on its main thread (the
    helper is killed when that thread ends). ``warm``: run in the helper before it takes work
    (imports, models), a module-level function."""
    global _warm, _enabled
    with _lock:
        _warm, _enabled = warm, True


def start(warm: Callable[[], None] | None = None) -> None:
    """Start this process's helper now (from the main thread)."""
    global _helper
    enable(warm)
    with _lock:
        if _helper is None:
            _helper = _Helper(warm)


def stop() -> None:
    """End the helper and allow none again (tests; a worker's helper ends with the worker)."""
    global _helper, _enabled
    with _lock:
        helper, _helper, _enabled = _helper, None, False
    if helper is not None:
        helper.stop()


def helper_pid() -> int | None:
    """The helper's process id (None: no helper)."""
    with _lock:
        return _helper.process.pid if _helper is not None else None


def ready() -> bool:
    """Whether ``split_map`` will hand work to a helper now."""
    with _lock:
        return _helper is not None and _helper.poll_ready()


def split_map(fn: Callable[[T], R], items: Sequence[T], *, weights: Sequence[float] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, the helper mapping about half of ``weights`` (default: one
    per item) while this process maps the rest. ``fn`` must be a module-level function; ``fn``,
    the items and the results must pickle. Items that share objects (a whole screenshot) send
    them once: a half is pickled in one piece."""
    helper = _take() if len(items) >= 2 else None
    if helper is None:
        return [fn(item) for item in items]
    try:
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
            helper.conn.send((fn, [items[i] for i in theirs]))
        except (OSError, EOFError) as exc:
            _lost(helper, exc)
            return [fn(item) for item in items]
        except Exception as exc:  # pickling: the whole map in place
            log.debug("helper could not take %s (%s); mapping in place", _name(fn), exc)
            return [fn(item) for item in items]
        results: list[Any] = [None] * len(items)
        try:
            for i in mine:
                results[i] = fn(items[i])
        finally:
            # Read the helper's answer even when fn failed here: the next request must not find it.
            try:
                status, payload = helper.conn.recv()
            except (OSError, EOFError) as exc:
                _lost(helper, exc)
                status, payload = "lost", None
        if status == "ok":
            done = payload
        else:
            # fn failed there (it fails here the same way), or the results did not pickle.
            if status == "error":
                log.debug("helper could not map %s (%s); mapping in place", _name(fn), payload)
            done = [fn(items[i]) for i in theirs]
        for i, result in zip(theirs, done, strict=True):
            results[i] = result
        return results
    finally:
        helper.busy.release()


def _take() -> _Helper | None:
    """The helper, warm and reserved for one request (None: none, not warm yet, or busy). The
    first call on an enabled process's main thread starts it."""
    global _helper
    with _lock:
        if _helper is None and _enabled and threading.current_thread() is threading.main_thread():
            _helper = _Helper(_warm)
        helper = _helper
        if helper is None or not helper.poll_ready() or not helper.busy.acquire(blocking=False):
            return None
        return helper


def _lost(helper: _Helper, exc: BaseException) -> None:
    """The helper died: this map is done in place, and a new helper takes the next (once warm)."""
    global _helper
    log.warning("CPU helper process died (%s); starting a new one", exc)
    with _lock:
        if _helper is not helper:
            return  # replaced already
        helper.stop()
        _helper = _Helper(_warm)


def _serve(conn: Connection, parent: int, warm: Callable[[], None] | None) -> None:
    """The helper's loop: warm up, say so, then map what comes until the pipe closes."""
    from .cpu_pool import _start_worker

    _start_worker(1, 0, parent, False)  # dies with its worker; leaves Ctrl-C to the parent
    if warm is not None:
        warm()
    conn.send("ready")
    while True:
        try:
            fn, items = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # what was sent does not unpickle here
            conn.send(("error", repr(exc)))
            continue
        try:
            conn.send(("ok", [fn(item) for item in items]))
        except Exception as exc:  # fn failed, or its results do not pickle
            conn.send(("error", repr(exc)))


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))
