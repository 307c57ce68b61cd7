"""Worker processes for the CPU-heavy stages: OCR, the local backend's layout analysis, scoring.

These stages are Python and numpy code that holds the GIL most of the time (RapidOCR's pre- and
post-processing included), so threads of one process cannot keep two cores busy, and the
service's event loop waits on the same GIL. ``CpuPool`` runs them in separate processes instead.

Each worker is its own single-process executor (a *lane*): a task waits for a free lane, so no
more tasks run than there are lanes, and a worker that dies (out of memory, a crash in native code)
breaks only its own lane. The task that was running there fails with ``WorkerCrashed``; the lane
is replaced before the next task. A caller may give a task a deadline: past it, the worker running
it is killed and its lane replaced the same way, and the task fails with ``WorkerTimeout`` (a thread
could not be stopped at all). Workers start with ``spawn`` (never ``fork``: the parent runs
Playwright's and asyncio's threads) and load the OCR models once, in their initializer.

Workers die with their parent, however it ends (``kill -9`` included): nothing else would end them,
since each holds both ends of its task queue. On Linux the kernel kills a worker whose parent dies
(``PR_SET_PDEATHSIG``); elsewhere a watchdog thread in the worker notices it was re-parented.
multiprocessing's resource tracker needs nothing of its own: it exits once its last client, the
parent or a worker, is gone.

The source screenshot is read by both the scorer (``analyze_reference``) and the local backend,
possibly in different workers: each task returns the OCR lines it read, the pool remembers them by
the image's digest, and the next task on the same image replays them instead of reading again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from . import cpu_split
from .config import Settings, usable_cores
from .errors import WorkerCrashed, WorkerTimeout
from .ocr import OcrEngine, OcrLine

log = logging.getLogger(__name__)
T = TypeVar("T")

# OCR lines are recorded at OcrEngine.read's default confidence floor; a stricter floor can be
# answered by filtering them, a looser one needs a real read.
_RECORDED_CONFIDENCE = 0.5
_KNOWN_TEXT_ENTRIES = 16

# Set in each worker process by its initializer (never at import, never in the parent).
_worker_ocr: OcrEngine | None = None


def worker_ocr() -> OcrEngine:
    """This process's OCR engine: the worker's own (its thread count set by the pool), else the shared one."""
    return _worker_ocr or OcrEngine.shared()


def _start_worker(ocr_threads: int | None, nice: int, parent: int, load_ocr: bool = True) -> None:
    global _worker_ocr
    _die_with(parent)
    if nice:
        os.nice(nice)
    # Ctrl-C reaches the whole process group; stopping workers is the parent's job (it cancels the
    # item and then ends the pool), so a worker must not die of it halfway through a task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if load_ocr:
        _worker_ocr = OcrEngine(threads=ocr_threads)
        if (ocr_threads or usable_cores()) >= 2:
            # A page's layout analysis is mostly Python on one core: a helper takes the other.
            cpu_split.enable(_warm_helper)


def _warm_helper() -> None:
    """In a worker's helper: load what the local backend's per-line work needs, before any work."""
    from .backends.local.page import warm

    warm()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCHDOG_INTERVAL = 1.0


def _die_with(parent: int) -> None:
    """End this worker as soon as ``parent`` (the process that started it) is gone."""
    if sys.platform.startswith("linux") and _set_parent_death_signal(signal.SIGKILL):
        # The signal is only armed from now on: a parent that died before this line sent none.
        if os.getppid() != parent:
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _set_parent_death_signal(signum: int) -> bool:
    # The kernel sends it when the *thread* that spawned this process ends: workers are spawned by
    # the thread that submits to them, the event loop's, which lives as long as the pool does.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCHDOG_INTERVAL)
    os._exit(1)


def _ready() -> int:
    """A no-op task: the worker is up and its models are loaded. Returns its pid."""
    return os.getpid()


class TextReplay(OcrEngine):
    """An OcrEngine for one image that answers with lines already read from it, else reads and keeps them.

    Built per task around the worker's engine; ``lines`` afterwards holds what the image's text is.
    The image is the first one read through it (every task reads its whole screenshot first); any
    other image, such as a crop the analysis enlarges to read a glyph, is read for real.
    """

    def __init__(self, engine: OcrEngine, lines: tuple[OcrLine, ...] | None = None) -> None:
        # No super().__init__(): this wrapper loads no model of its own.
        self._inner = engine
        self.lines = lines
        self._image: tuple[object, ...] | None = None

    def read(
        self, image: bytes | Image.Image | np.ndarray, *, min_confidence: float = _RECORDED_CONFIDENCE
    ) -> list[OcrLine]:
        identity = _identity(image)
        if self._image is None:
            self._image = identity
        elif identity != self._image:
            return self._inner.read(image, min_confidence=min_confidence)
        if self.lines is not None and min_confidence >= _RECORDED_CONFIDENCE:
            return [line for line in self.lines if line.confidence >= min_confidence]
        lines = self._inner.read(image, min_confidence=min_confidence)
        if self.lines is None and min_confidence == _RECORDED_CONFIDENCE:
            self.lines = tuple(lines)
        return lines

    def recognize(self, crops: list[np.ndarray], *, batch: bool = False) -> list[tuple[str, float]]:
        return self._inner.recognize(crops, batch=batch)


class _Lane:
    """One worker process behind its own executor; replaced whole when its process dies."""

    def __init__(self, index: int, ocr_threads: int | None, nice: int, load_ocr: bool) -> None:
        self.index = index
        self._ocr_threads = ocr_threads
        self._nice = nice
        self._load_ocr = load_ocr
        self._lock = threading.Lock()  # submit (event loop) vs replace (a thread, after a crash)
        self.executor = self._executor()

    def _executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._ocr_threads, self._nice, os.getpid(), self._load_ocr),
        )

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        with self._lock:
            try:
                return self.executor.submit(fn, *args)
            except BrokenProcessPool:
                # The process died while the lane was idle: nobody's task was lost; start afresh.
                log.warning("CPU worker %d had died while idle; starting a new one", self.index)
                self._replace()
                return self.executor.submit(fn, *args)

    def replace(self) -> None:
        with self._lock:
            self._replace()

    def _replace(self) -> None:
        self.stop()
        self.executor = self._executor()

    def pids(self) -> list[int]:
        # ProcessPoolExecutor has no public list of its processes (Python 3.14 adds kill_workers()).
        processes = getattr(self.executor, "_processes", None) or {}
        return [p.pid for p in processes.values() if p.pid is not None]

    def stop(self) -> None:
        """End the worker now, without waiting for a running task (it is cancelled or crashed)."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                process.join(timeout=5)


class CpuPool:
    """``workers`` processes for blocking CPU work; ``await run(fn, *args)`` runs ``fn`` in one of them.

    ``fn`` and its arguments must pickle (module-level functions, plain data). Start with
    ``await start()`` (spawns the workers and loads their models), end with ``await close()``.
    Workers are spawned, so a script that builds one needs the usual ``if __name__ == "__main__":``.
    """

    def __init__(
        self, workers: int, *, ocr_threads: int | None = None, nice: int = 0, load_ocr: bool = True
    ) -> None:
        """``nice``: added to the workers' scheduling niceness (a service lowers it so that its event
        loop, which answers every request, wins the CPU whenever it has something to do).
        ``load_ocr``: False for a pool that runs no OCR (a worker then starts in a tenth of the time;
        a task that does read text loads the model on first use)."""
        if workers < 1:
            raise ValueError("a CpuPool needs at least one worker")
        self.workers = workers
        self.ocr_threads = ocr_threads
        self._lanes = [_Lane(n, ocr_threads, nice, load_ocr) for n in range(workers)]
        self._idle: asyncio.Queue[_Lane] | None = None
        self._known_text: OrderedDict[str, tuple[OcrLine, ...]] = OrderedDict()
        self._started: asyncio.Future[list[int]] | None = None
        self._closed = False

    @classmethod
    def from_settings(
        cls, settings: Settings, *, parallelism: int | None = None, nice: int = 0
    ) -> CpuPool | None:
        """The pool the settings ask for, or None for in-process threads (``cpu_workers = 0``).

        ``parallelism``: most CPU tasks the caller has in flight at once (batch concurrency, service
        workers): a worker more than that would only sit idle.
        """
        cores = usable_cores()
        wanted = cores if settings.cpu_workers is None else settings.cpu_workers
        workers = min(wanted, parallelism) if parallelism else wanted
        if workers < 1:
            return None
        # onnxruntime gives every session one intra-op thread per core. With N workers busy at once
        # that is N x cores threads on the cores: they preempt each other and their spin-waits burn
        # CPU. Measured on the 2-core dev machine (20 dev pages, OCR alone): one thread 990 ms CPU
        # and wall a page, two threads 1,200 ms CPU for 620 ms wall (multi-threaded OCR costs ~20%
        # more CPU, for a much shorter wall time when it has the machine alone). So each worker gets
        # its share of the cores, and a lone worker (concurrency 1, its fastest set-up) keeps all.
        threads = settings.ocr_threads or max(1, cores // workers)
        return cls(workers, ocr_threads=threads, nice=nice)

    async def start(self) -> None:
        """Spawn the workers and load their OCR models, all at once (later calls wait for the first)."""
        self._ensure_queue()
        failed = (
            self._started is not None
            and self._started.done()
            and (self._started.cancelled() or self._started.exception() is not None)
        )
        if self._started is None or failed:
            self._started = asyncio.ensure_future(
                asyncio.gather(*(asyncio.wrap_future(lane.submit(_ready)) for lane in self._lanes))
            )
        await asyncio.shield(self._started)

    def _ensure_queue(self) -> asyncio.Queue[_Lane]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for lane in self._lanes:
                self._idle.put_nowait(lane)
        return self._idle

    async def run(self, fn: Callable[..., T], /, *args: Any, deadline_s: float | None = None) -> T:
        """``fn(*args)`` in a worker process. Cancelling the caller returns at once; the worker
        finishes that task in the background before it takes another.

        ``deadline_s``: seconds the task may run (a worker still starting up is waited for first, off
        the clock). Past them its worker is killed, the lane gets a new one, and ``WorkerTimeout`` is
        raised; tasks on other lanes run on undisturbed.
        """
        if self._closed:
            raise RuntimeError("the CPU pool is closed")
        idle = self._ensure_queue()
        lane = await idle.get()
        loop = asyncio.get_running_loop()
        released = False

        def release() -> None:
            # On the loop's thread; once per task (a timed-out task's lane is released on replacement,
            # and its old future completes later).
            nonlocal released
            if not released and not self._closed:
                released = True
                idle.put_nowait(lane)

        def release_when_done(_: Future[Any]) -> None:
            # The lane takes work again only once its process is done with this task.
            with contextlib.suppress(RuntimeError):  # the loop is gone: so is the pool's user
                loop.call_soon_threadsafe(release)

        in_flight: Future[Any] | None = None
        budget: asyncio.Timeout | None = None
        try:
            if deadline_s is not None:
                in_flight = lane.submit(_ready)
                await asyncio.wrap_future(in_flight)
            in_flight = lane.submit(fn, *args)
            async with asyncio.timeout(deadline_s) as budget:
                return await asyncio.wrap_future(in_flight)
        except BrokenProcessPool as exc:
            log.error("CPU worker %d died while running %s; starting a new one", lane.index, _name(fn))
            await asyncio.to_thread(lane.replace)
            raise WorkerCrashed(
                "A worker process died while processing this item (out of memory, or a crash in image "
                "or OCR code). The item failed; other items are not affected. Try it again."
            ) from exc
        except TimeoutError as exc:
            if budget is None or not budget.expired():
                raise  # the task's own TimeoutError, not our deadline
            log.warning(
                "CPU worker %d ran %s past its %g s deadline; killing it and starting a new one",
                lane.index,
                _name(fn),
                deadline_s,
            )
            await asyncio.to_thread(lane.replace)
            release()
            raise WorkerTimeout(
                f"This item took more than {deadline_s:g} s in a worker process and was stopped. "
                "The item failed; other items are not affected."
            ) from exc
        finally:
            if in_flight is None:
                release()  # nothing reached the worker
            else:
                in_flight.add_done_callback(release_when_done)

    def pids(self) -> list[int]:
        """The worker processes' ids (those started so far)."""
        return [pid for lane in self._lanes for pid in lane.pids()]

    async def close(self) -> None:
        """End every worker, running tasks included (their callers were cancelled or are gone)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(asyncio.to_thread(lane.stop) for lane in self._lanes))

    # --- OCR lines shared between tasks on the same image ------------------------------------------

    def known_text(self, png: bytes) -> tuple[OcrLine, ...] | None:
        """The OCR lines a task already read from ``png`` (None: not read yet)."""
        key = _digest(png)
        lines = self._known_text.get(key)
        if lines is not None:
            self._known_text.move_to_end(key)
        return lines

    def remember_text(self, png: bytes, lines: tuple[OcrLine, ...] | None) -> None:
        if lines is None:
            return
        self._known_text[_digest(png)] = lines
        while len(self._known_text) > _KNOWN_TEXT_ENTRIES:
            self._known_text.popitem(last=False)


def _identity(image: bytes | Image.Image | np.ndarray) -> tuple[object, ...]:
    """What tells one image from another: its size and a digest of its bytes or pixels."""
    if isinstance(image, bytes):
        return (len(image), hashlib.blake2b(image, digest_size=16).digest())
    if isinstance(image, Image.Image):
        return (image.size, image.mode, hashlib.blake2b(image.tobytes(), digest_size=16).digest())
    pixels = np.ascontiguousarray(image)
    return (pixels.shape, pixels.dtype.str, hashlib.blake2b(pixels.tobytes(), digest_size=16).digest())


def _digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))
