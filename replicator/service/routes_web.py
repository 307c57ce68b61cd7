"""The web UI's pages, its static files, highlight.js from node_modules, and the offline API docs.

Pages carry no data: the browser fetches everything from the API (with the token, when one is set),
so the pages themselves need no auth. No inline script anywhere: the app's CSP forbids it.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..assets import AssetUnavailable, build_editor_bundle
from ..backends.glm import missing_key
from ..check import DEFAULT_THRESHOLD
from ..config import Settings
from ..errors import JobNotFound
from ..intake import ACCEPTED
from ..stacks import STACKS

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
HLJS_LANGUAGES = ("xml", "css", "javascript")


class WebPages:
    """Renders the UI's templates with what every page needs (auth, defaults, what the server offers)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Jinja2Templates(directory=str(settings.web_dir / "templates"))

    def render(self, request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        settings = self.settings
        glm_missing = missing_key(settings)
        base = {
            "auth_required": settings.api_token is not None,
            "default_backend": "local" if glm_missing and settings.backend == "glm" else settings.backend,
            "default_rounds": settings.refine_rounds,
            "default_mode": settings.output_mode,
            "stacks": [(s.name, s.label) for s in STACKS.values()],
            "max_upload_mb": settings.max_upload_mb,
            "glm_missing": glm_missing,
            "check_threshold": DEFAULT_THRESHOLD,
            "accepted": ACCEPTED,
        }
        return self.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)

    def error(self, request: Request, status: int, message: str) -> HTMLResponse | None:
        """A person's error page for a browser asking for a web path (not the API), else None."""
        if request.url.path.startswith(("/api/", "/openapi.json", "/static/", "/vendor/")):
            return None
        if "text/html" not in request.headers.get("accept", ""):
            return None
        title = "Page not found" if status == 404 else "Something went wrong"
        return self.render(request, "error.html", status_code=status, title=title, message=message)


def build_web_router(settings: Settings, pages: WebPages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    hljs_dir = settings.assets_dir / "highlight.js"
    page = pages.render

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        return page(request, "index.html")

    @router.get("/history", response_class=HTMLResponse)
    async def history_page(request: Request) -> HTMLResponse:
        return page(request, "history.html")

    @router.get("/jobs/{job_id}", response_class=HTMLResponse)
    async def job_page(request: Request, job_id: str) -> HTMLResponse:
        if not _JOB_ID.match(job_id):
            raise JobNotFound("There is no replication with that address.")
        await request.app.state.jobs.get(job_id)  # an unknown job is a 404 page, not an empty one
        return page(request, "job.html", job_id=job_id)

    @router.get("/jobs/{job_id}/preview", response_class=HTMLResponse)
    async def preview_page(request: Request, job_id: str) -> HTMLResponse:
        if not _JOB_ID.match(job_id):
            raise JobNotFound("There is no replication with that address.")
        await request.app.state.jobs.get(job_id)
        return page(request, "preview.html", job_id=job_id)

    @router.get("/check", response_class=HTMLResponse)
    async def check_page(request: Request) -> HTMLResponse:
        return page(request, "check.html")

    @router.get("/favicon.ico")
    async def favicon() -> Response:
        icon = _read(settings.web_dir / "static" / "favicon.svg")
        return Response(icon, media_type="image/svg+xml", headers=_CACHE)

    @router.get("/docs", response_class=HTMLResponse)
    async def docs(request: Request) -> HTMLResponse:
        return page(request, "docs.html", operations=_operations(request.app.openapi()))

    @router.get("/vendor/editor.js")
    async def editor_bundle() -> Response:
        try:
            bundle = await asyncio.to_thread(
                build_editor_bundle, settings.assets_dir, settings.web_dir / "static" / "editor-entry.js"
            )
        except AssetUnavailable as exc:
            raise JobNotFound(f"The code editor is not installed ({exc}); run `make setup`.") from exc
        return Response(_read(bundle), media_type="text/javascript", headers=_CACHE)

    @router.get("/vendor/hljs/core.js")
    async def hljs_core() -> Response:
        return Response(_hljs_module(hljs_dir), media_type="text/javascript", headers=_CACHE)

    @router.get("/vendor/hljs/languages/{name}.js")
    async def hljs_language(name: str) -> Response:
        if name not in HLJS_LANGUAGES:
            raise JobNotFound("No such language module.")
        return Response(
            _read(hljs_dir / "es" / "languages" / f"{name}.js"), media_type="text/javascript", headers=_CACHE
        )

    @router.get("/vendor/hljs/styles/{name}")
    async def hljs_style(name: str) -> Response:
        if not _ASSET_NAME.match(name) or not name.endswith(".css"):
            raise JobNotFound("No such stylesheet.")
        return Response(_read(hljs_dir / "styles" / name), media_type="text/css", headers=_CACHE)

    return router


def mount_static(app: FastAPI, settings: Settings) -> None:
    app.mount("/static", StaticFiles(directory=str(settings.web_dir / "static")), name="static")


_CACHE = {"Cache-Control": "public, max-age=86400"}


@lru_cache(maxsize=64)
def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise JobNotFound("That asset is not installed (run `make setup` to install node_modules).") from exc


@lru_cache(maxsize=4)
def _hljs_module(hljs_dir: Path) -> bytes:
    """highlight.js's core as an ES module.

    The npm package ships its core only as CommonJS (its ``es/core.js`` re-exports ``lib/core.js``),
    and there is no build step here; the core has no imports of its own, so giving it a ``module``
    object and exporting what it assigns is all a browser needs.
    """
    core = _read(hljs_dir / "lib" / "core.js")
    return b"const module = { exports: {} };\n" + core + b"\nexport default module.exports;\n"


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI schema flattened for the docs page: one entry per operation."""
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = (op.get("requestBody") or {}).get("content", {})
            form = body.get("multipart/form-data", {}).get("schema", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["other"])[0],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "form": [
                        {
                            "name": name,
                            "required": name in form.get("required", []),
                            "description": prop.get("description", prop.get("type", "")),
                        }
                        for name, prop in form.get("properties", {}).items()
                    ],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return operations
