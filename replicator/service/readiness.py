"""``/readyz``: can this process do its work now? Browser, OCR, the configured backend and the
job database."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from collections.abc import Awaitable

from ..errors import ReplicatorError
from ..jobs import JobManager
from ..models import Viewport
from ..runtime import Runtime
from .schemas import Readiness, ReadinessCheck

log = logging.getLogger(__name__)

try:
    VERSION = importlib.metadata.version("replicator")
except importlib.metadata.PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0+unknown"

_TIMEOUT_S = 20.0
_PROBE_PAGE = "<!doctype html><html><body><p>ready</p></body></html>"


async def readiness(runtime: Runtime, jobs: JobManager) -> Readiness:
    browser, ocr, backend, database, queue = await asyncio.gather(
        _probe("browser", _browser(runtime)),
        _probe("ocr", _ocr(runtime)),
        _probe("backend", _backend(runtime)),
        _probe("database", jobs.database()),
        _probe("queue", jobs.queue()),
    )
    checks = {"browser": browser, "ocr": ocr, "backend": backend, "database": database, "queue": queue}
    try:
        counts = await jobs.counts()
    except ReplicatorError:
        counts = {"queued": 0, "running": 0}
    return Readiness(ready=all(c.ok for c in checks.values()), checks=checks, jobs=counts)


async def _browser(runtime: Runtime) -> str:
    started = time.perf_counter()
    result = await runtime.renderer.render(_PROBE_PAGE, Viewport(320, 200))
    return f"rendered a probe page ({result.width}x{result.height}) in {(time.perf_counter() - started) * 1000:.0f} ms"


async def _ocr(runtime: Runtime) -> str:
    if runtime.cpu is not None:
        await runtime.cpu.start()  # the workers load the model (once; later probes return at once)
        return f"RapidOCR model loaded in {runtime.cpu.workers} worker process(es)"
    await asyncio.to_thread(lambda: runtime.ocr)  # loads the model on first use
    return "RapidOCR model loaded"


async def _backend(runtime: Runtime) -> str:
    backend = await runtime.backend()
    status = await backend.check()
    return f"{backend.name}: {status}"


async def _probe(name: str, work: Awaitable[str]) -> ReadinessCheck:
    try:
        detail = await asyncio.wait_for(work, _TIMEOUT_S)
        return ReadinessCheck(ok=True, detail=detail)
    except ReplicatorError as exc:
        return ReadinessCheck(ok=False, detail=f"{exc.message} [{exc.code}]")
    except TimeoutError:
        return ReadinessCheck(ok=False, detail=f"no answer within {_TIMEOUT_S:g} s")
    except Exception as exc:  # a probe reports any failure as not-ready rather than a 500
        log.warning("readiness probe %s failed", name, exc_info=exc)
        return ReadinessCheck(ok=False, detail=f"{type(exc).__name__}: {exc}")
