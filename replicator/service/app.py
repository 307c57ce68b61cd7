"""The service: ``create_app(settings)`` builds the FastAPI app (REST API, web UI, offline docs).

The app's lifespan owns the Runtime (browser pool, OCR, backends) unless a test injects one, and the
JobManager (SQLite store, workers), which resumes interrupted jobs at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from ..config import Settings
from ..errors import ReplicatorError
from ..jobs import JobManager
from ..runtime import Runtime
from .errors import install_error_handlers
from .readiness import VERSION
from .routes_api import build_api_router
from .routes_web import WebPages, build_web_router, mount_static
from .security import RequestOriginGuard, SecurityHeaders, TokenGuard, allowed_host_names

log = logging.getLogger(__name__)

# The jobs' CPU workers run at a lower priority than the process that answers requests: when both
# want a core, the event loop gets it at once, and the workers still have every idle cycle.
SERVICE_CPU_NICE = 5

DESCRIPTION = """
Turn screenshots and screen recordings of web UIs into faithful, self-contained HTML, scored
against the source.

* `POST /api/v1/replications` uploads a screenshot or recording and starts a job (`?wait=N` waits
  for the result); follow it with `GET /api/v1/replications/{id}/events` (Server-Sent Events).
* `POST /api/v1/checks` is a synchronous design check for CI.
* Errors are JSON: `{"error": {"code": "...", "message": "..."}}`.
* When the server sets `REPLICATOR_API_TOKEN`, send `Authorization: Bearer <token>` on every API
  call but `/api/v1/healthz`.
"""


async def _warm_up(runtime: Runtime) -> None:
    """Load what the first job would otherwise load on the event loop (OCR models, backend modules)."""
    if runtime.cpu is not None:
        await runtime.cpu.start()
    else:
        await asyncio.to_thread(lambda: runtime.ocr)
    try:
        await runtime.backend()
    except ReplicatorError as exc:  # e.g. no API key: /readyz says so; jobs fail with the reason
        log.warning("the configured backend is not usable yet: %s", exc.message)


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. ``runtime``: an already built Runtime to use (tests); else the lifespan owns one."""
    token = settings.api_token.get_secret_value() if settings.api_token else None
    guard = TokenGuard(token or None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        rt = runtime or Runtime(settings, parallelism=settings.workers, cpu_nice=SERVICE_CPU_NICE)
        if own:
            await rt.start()
        jobs = JobManager(settings, rt)
        try:
            await _warm_up(rt)
            await jobs.start()
            app.state.runtime = rt
            app.state.jobs = jobs
            log.info("replicator service ready (data in %s, %d workers)", settings.data_dir, settings.workers)
            yield
        finally:
            await jobs.close()
            if own:
                await rt.close()

    app = FastAPI(
        title="replicator",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own docs pages load their JavaScript from a CDN; ours are served offline.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.guard = guard
    install_error_handlers(app)
    api_router = build_api_router(guard)
    app.include_router(api_router)
    # Load balancers and container health checks probe the root path by convention.
    app.add_api_route(
        "/healthz", _health_route(api_router), methods=["GET"], include_in_schema=False, name="root_healthz"
    )
    pages = WebPages(settings)
    app.state.pages = pages
    app.include_router(build_web_router(settings, pages))
    mount_static(app, settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        RequestOriginGuard,
        allowed_hosts=allowed_host_names(settings.allowed_hosts, settings.host, token_set=token is not None),
    )
    return app


def _health_route(api_router: APIRouter) -> Any:
    """The endpoint behind ``/api/v1/healthz``, reused for the root ``/healthz`` alias."""
    for route in api_router.routes:
        if isinstance(route, APIRoute) and route.path == "/api/v1/healthz":
            return route.endpoint
    raise LookupError("the API router has no /api/v1/healthz route")
