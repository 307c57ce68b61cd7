"""The central object: settings plus the long-lived resources every entry point shares.

Built once at the edge (the CLI command, the app's lifespan) and handed to everything else:
the sealed browser pool, the sanitizer with its local asset library, the OCR engine, the worker
processes for CPU-heavy stages (``CpuPool``) and the model backends (created on first use, closed on
the way out). Untrusted HTML is parsed in a worker process even when the stages run on threads, since
only a process can be stopped at a deadline (``untrusted_html_pool``).

Nothing heavy is imported or started by building one: the CLI builds it before its first item, and
``prepare`` starts the browser, the OCR model (or the workers) and the backend side by side while
that item is read, instead of one after the other before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .backends import Backend, create_backend
from .config import Settings
from .render import SealedBrowserPool

if TYPE_CHECKING:
    from .cpu_pool import CpuPool
    from .ocr import OcrEngine
    from .pipeline import Pipeline
    from .sanitize import Sanitizer

log = logging.getLogger(__name__)


class Runtime:
    """Owns the browser pool, sanitizer, OCR engine and backends; use as ``async with``."""

    def __init__(
        self,
        settings: Settings,
        *,
        renderer: SealedBrowserPool | None = None,
        backends: dict[str, Backend] | None = None,
        ocr: OcrEngine | None = None,
        parallelism: int | None = None,
        cpu_nice: int = 0,
    ) -> None:
        """``parallelism``: most items the caller runs at once (batch concurrency, service workers);
        the CPU pool has no more workers than that (``settings.cpu_workers`` caps it). ``cpu_nice``:
        niceness added to the CPU workers and Chromium (the service's, so its event loop always gets a core)."""
        self.settings = settings
        self.cpu: CpuPool | None = None
        self._cpu_nice = cpu_nice
        self._html_pool: CpuPool | None = None
        if settings.cpu_workers != 0:
            from .cpu_pool import CpuPool

            self.cpu = CpuPool.from_settings(settings, parallelism=parallelism, nice=cpu_nice)
        self._owns_renderer = renderer is None
        self.renderer = renderer or SealedBrowserPool(settings, nice=cpu_nice)
        self._sanitizer: Sanitizer | None = None
        self._ocr = ocr
        self._backends: dict[str, Backend] = dict(backends or {})
        self._injected = set(self._backends)
        self._lock = asyncio.Lock()
        self._preparing: list[asyncio.Future[Any]] = []

    @property
    def ocr(self) -> OcrEngine:
        if self._ocr is None:
            from .ocr import OcrEngine

            self._ocr = OcrEngine.shared()
        return self._ocr

    @property
    def untrusted_html_pool(self) -> CpuPool:
        """Where HTML from users is parsed and sanitized under a deadline: the CPU pool, or without one
        (``cpu_workers = 0``) a lone worker of its own, without OCR models, started on first use."""
        if self.cpu is not None:
            return self.cpu
        if self._html_pool is None:
            from .cpu_pool import CpuPool

            self._html_pool = CpuPool(1, nice=self._cpu_nice, load_ocr=False)
        return self._html_pool

    @property
    def sanitizer(self) -> Sanitizer:
        if self._sanitizer is None:
            from .sanitize import Sanitizer

            self._sanitizer = Sanitizer.from_settings(self.settings)
        return self._sanitizer

    async def backend(self, name: str | None = None) -> Backend:
        """The backend called ``name`` (default: the configured one), created on first use."""
        name = name or self.settings.backend
        async with self._lock:
            if name not in self._backends:
                # Off the event loop: building one imports its modules (the local backend's take
                # a second), and the loop meanwhile drives the browser's start.
                backend = await asyncio.to_thread(create_backend, name, self.settings)
                if name == "local":
                    from .backends.local import LocalBackend

                    if isinstance(backend, LocalBackend):
                        backend.cpu = self.cpu
                self._backends[name] = backend
            return self._backends[name]

    async def pipeline(self, backend_name: str | None = None) -> Pipeline:
        backend = await self.backend(backend_name)
        fallback_name = self.settings.fallback_backend
        fallback = None
        if fallback_name != "none" and fallback_name != backend.name:
            fallback = await self.backend(fallback_name)
        # Its modules (the scorer's among them) take about a second to import: off the event loop.
        await asyncio.to_thread(importlib.import_module, "replicator.pipeline")
        from .pipeline import Pipeline

        # Built once, off the loop too (it indexes the local asset library).
        if self._sanitizer is None:
            await asyncio.to_thread(lambda: self.sanitizer)
        return Pipeline(
            backend=backend,
            renderer=self.renderer,
            sanitizer=self.sanitizer,
            ocr=self._ocr,
            fallback=fallback,
            cpu=self.cpu,
        )

    async def start(self) -> None:
        if self._owns_renderer:
            await self.renderer.start()

    async def warm_up(self) -> None:
        """Start the CPU workers and load their models now rather than on the first item.

        Not part of ``start``: commands that never run the pipeline (``check``) spawn no workers.
        """
        if self.cpu is not None:
            await self.cpu.start()

    def prepare(self, backend_name: str | None = None) -> None:
        """Begin, without waiting, everything a first item needs: the browser, the CPU workers (or
        this process's OCR model), the backend with the pipeline's modules.

        They start side by side, and alongside the caller's own work (reading its first input). Each
        is awaited where it is used, and a failure here is met again there (the browser is launched
        again by the first render, which raises the same error), so nothing is lost by not waiting.
        """
        self._preparing = [
            asyncio.ensure_future(work)
            for work in (
                self.start(),
                self.warm_up() if self.cpu is not None else asyncio.to_thread(lambda: self.ocr),
                self.pipeline(backend_name),  # builds the backend, imports the pipeline's modules
            )
        ]
        for future in self._preparing:
            future.add_done_callback(_note_failure)

    async def close(self) -> None:
        try:
            await _settle(self._preparing)
            for name, backend in list(self._backends.items()):
                if name not in self._injected:
                    await backend.aclose()
            if self._owns_renderer:
                await self.renderer.close()
        finally:
            for pool in (self.cpu, self._html_pool):
                if pool is not None:
                    await pool.close()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _note_failure(future: asyncio.Future[Any]) -> None:
    # Retrieved here so that it is not reported as lost; whoever needs the resource meets it again.
    if not future.cancelled() and future.exception() is not None:
        log.info("preparing failed (met again where it is used): %s", future.exception())


async def _settle(futures: list[asyncio.Future[Any]]) -> None:
    """Let started preparations finish (or cancel those still running) before resources close."""
    for future in futures:
        future.cancel()
    pending: list[Awaitable[Any]] = list(futures)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*pending, return_exceptions=True)
