"""The central object: settings plus the long-lived resources every entry point shares.

Built once at the edge (the CLI command, the app's lifespan) and handed to everything else:
the sealed browser pool, the sanitizer with its local asset library, the OCR engine, the worker
processes for CPU-heavy stages (``CpuPool``) and the model backends (created on first use, closed on
the way out).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from .backends import Backend, create_backend
from .config import Settings
from .cpu_pool import CpuPool
from .ocr import OcrEngine
from .pipeline import Pipeline
from .render import SealedBrowserPool
from .sanitize import Sanitizer


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
        self.cpu = CpuPool.from_settings(settings, parallelism=parallelism, nice=cpu_nice)
        self._owns_renderer = renderer is None
        self.renderer = renderer or SealedBrowserPool(settings, nice=cpu_nice)
        self.sanitizer = Sanitizer.from_settings(settings)
        self._ocr = ocr
        self._backends: dict[str, Backend] = dict(backends or {})
        self._injected = set(self._backends)
        self._lock = asyncio.Lock()

    @property
    def ocr(self) -> OcrEngine:
        if self._ocr is None:
            self._ocr = OcrEngine.shared()
        return self._ocr

    async def backend(self, name: str | None = None) -> Backend:
        """The backend called ``name`` (default: the configured one), created on first use."""
        name = name or self.settings.backend
        async with self._lock:
            if name not in self._backends:
                backend = create_backend(name, self.settings)
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

    async def close(self) -> None:
        try:
            for name, backend in list(self._backends.items()):
                if name not in self._injected:
                    await backend.aclose()
            if self._owns_renderer:
                await self.renderer.close()
        finally:
            if self.cpu is not None:
                await self.cpu.close()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
