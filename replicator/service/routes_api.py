"""The REST API under ``/api/v1``: replications (jobs), their events and artifacts, design checks,
health and readiness."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from ..backends.glm import missing_key as glm_missing_key
from ..check import DEFAULT_THRESHOLD, CheckTarget, parse_subscore_gates, run_check
from ..config import BackendName
from ..errors import BackendUnavailable, InputError, JobNotFound, ReplicatorError, UnsupportedMedia
from ..intake import ACCEPTED, IMAGE_TYPES, VIDEO_TYPES, image_source, load_source
from ..jobs import ArtifactStore, Job, JobManager
from ..jobs.artifacts import UPLOAD_NAME, FolderArtifactStore, code_artifact
from ..models import Viewport
from ..runtime import Runtime
from ..stacks import stack_named
from .errors import ERROR_RESPONSES, error_response, status_for_code
from .readiness import VERSION, readiness
from .schemas import (
    CheckResponse,
    Health,
    Readiness,
    Replication,
    ReplicationList,
    ReplicationOptions,
    Revision,
    RevisionList,
    RevisionRequest,
)
from .security import PREVIEW_CSP, PREVIEW_HEADERS, TokenGuard, with_guard
from .uploads import UploadedForm, read_multipart

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_HEARTBEAT_S = 15.0
_MAX_COUNT = 1_000_000_000  # offsets and event numbers: far above any real one, far below SQLite's int64
JobId = Annotated[str, PathParam(description="The replication's id (32 hexadecimal digits).")]
CheckId = Annotated[str, PathParam(description="The design check's id (32 hexadecimal digits).")]
CheckImage = Annotated[str, PathParam(description="`design`, `render` or `heatmap`.")]
StateIndex = Annotated[int, PathParam(description="The key state's number, from 0.")]
StateSide = Annotated[str, PathParam(description="`source` (the key frame) or `render` (the state reached).")]
VariantNumber = Annotated[int, PathParam(description="The candidate's number (0 is the first).")]
RevisionNumber = Annotated[int, PathParam(description="The revision's number (0 is the job's result).")]
RevisionFile = Annotated[str, PathParam(description="`code`, `html`, `render.png` or `diff.png`.")]
_MAX_WAIT_S = 600.0


def _multipart_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a multipart form (FastAPI cannot infer ours: we parse it)."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_MULTIPART_DOC = _multipart_body(
    ["file"],
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": f"Screenshot or recording ({ACCEPTED}).",
        },
        **{
            name: {**schema, "nullable": True}
            for name, schema in ReplicationOptions.model_json_schema()["properties"].items()
        },
    },
)
_IMPORT_DOC = _multipart_body(
    ["design", "code"],
    {
        "design": {"type": "string", "format": "binary", "description": "The design screenshot."},
        "code": {
            "type": "string",
            "format": "binary",
            "description": "Your page or component (UTF-8), in `stack`.",
        },
        "stack": {"type": "string", "description": "The code's stack (default `html-css`)."},
        "backend": {"type": "string", "description": "The backend that revises it with instructions."},
    },
)
_CHECK_DOC = _multipart_body(
    ["design", "implementation"],
    {
        "design": {"type": "string", "format": "binary", "description": "The design screenshot."},
        "implementation": {
            "type": "string",
            "format": "binary",
            "description": "The implementation: an HTML file, or a screenshot of the built page.",
        },
        "threshold": {
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "default": DEFAULT_THRESHOLD,
            "description": "The overall score the implementation must reach to pass.",
        },
        "min_subscores": {
            "type": "string",
            "description": "Sub-score gates, comma-separated NAME=SCORE (e.g. `typography=90,edges=85`): "
            "the check also fails when a named sub-score is below its minimum.",
        },
        "viewport_width": {"type": "integer", "minimum": 200, "maximum": 4096},
        "viewport_height": {"type": "integer", "minimum": 200, "maximum": 4096},
    },
)


def build_api_router(guard: TokenGuard) -> APIRouter:
    """All ``/api/v1`` routes; every one but ``/healthz`` behind the token guard."""
    router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    protected = APIRouter(dependencies=[Depends(guard)])

    @router.get("/healthz", response_model=Health, tags=["service"], summary="The process is up")
    async def healthz() -> Health:
        return Health(version=VERSION)

    @protected.get(
        "/readyz",
        response_model=Readiness,
        tags=["service"],
        summary="Browser, OCR and backend usable",
        responses={503: {"model": Readiness, "description": "Not ready"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        report = await readiness(request.app.state.runtime, _jobs(request))
        return JSONResponse(report.model_dump(), status_code=200 if report.ready else 503)

    # --- replications ------------------------------------------------------------------------

    @protected.post(
        "/replications",
        status_code=202,
        response_model=Replication,
        tags=["replications"],
        summary="Upload a screenshot or recording to replicate",
        openapi_extra=_MULTIPART_DOC,
        responses={200: {"model": Replication, "description": "Finished within `wait` seconds"}},
    )
    async def create_replication(
        request: Request,
        wait: Annotated[
            float, Query(ge=0, le=_MAX_WAIT_S, description="Seconds to wait for the result.")
        ] = 0,
    ) -> JSONResponse:
        settings = request.app.state.settings
        jobs = _jobs(request)
        form = await read_multipart(
            request,
            directory=jobs.upload_dir,
            file_fields=frozenset({"file"}),
            max_file_bytes=int(settings.max_upload_mb * 1048576),
        )
        try:
            upload = _required_file(form, "file")
            options = _validated(ReplicationOptions, form.fields).job_options(settings)
            media_type = upload.media_type
            source = None
            if media_type in IMAGE_TYPES:
                # Images are checked (and normalized) now, so bad input is a 4xx, not a failed job.
                source = await asyncio.to_thread(load_source, upload.path, settings)
            elif media_type not in VIDEO_TYPES:
                raise UnsupportedMedia(
                    f"Unsupported file type. Upload a screenshot or a screen recording ({ACCEPTED})."
                )
            await _usable_backend(request, options.backend)  # an unusable backend fails now, not in the job
            job = await jobs.submit(
                upload.path, options=options, filename=upload.filename, media_type=media_type, source=source
            )
        finally:
            form.discard()
        return await _submitted(request, job, wait)

    @protected.get(
        "/replications",
        response_model=ReplicationList,
        tags=["replications"],
        summary="History, newest first",
    )
    async def list_replications(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=200, description="Jobs per page (1-200).")] = 50,
        offset: Annotated[
            int, Query(ge=0, le=_MAX_COUNT, description="Jobs to skip (for the next page).")
        ] = 0,
        state: Annotated[
            str | None,
            Query(
                pattern="^(queued|running|succeeded|failed|cancelled)$",
                description="Only jobs in this state.",
            ),
        ] = None,
        q: Annotated[
            str | None,
            Query(max_length=200, description="Only jobs whose file name contains this (any case)."),
        ] = None,
    ) -> ReplicationList:
        jobs = _jobs(request)
        items, total = await asyncio.gather(
            jobs.list_jobs(limit=limit, offset=offset, state=state, name=q or None),
            jobs.count(state=state, name=q or None),
        )
        views = [await _view(request, job, with_result=False) for job in items]
        return ReplicationList(items=views, total=total, limit=limit, offset=offset)

    @protected.get(
        "/replications/{job_id}",
        response_model=Replication,
        tags=["replications"],
        summary="One replication: state, stage, and its result once done",
    )
    async def get_replication(request: Request, job_id: JobId) -> Replication:
        job = await _jobs(request).get(_checked_id(job_id))
        return await _view(request, job, with_result=True)

    @protected.post(
        "/replications/{job_id}/cancel",
        response_model=Replication,
        tags=["replications"],
        summary="Cancel a queued or running replication",
    )
    async def cancel_replication(request: Request, job_id: JobId) -> Replication:
        job = await _jobs(request).cancel(_checked_id(job_id))
        return await _view(request, job, with_result=True)

    @protected.post(
        "/replications/{job_id}/retry",
        status_code=202,
        response_model=Replication,
        tags=["replications"],
        summary="Run a replication again from its upload (optionally with another backend)",
        description="A new job with the same upload and options; `backend` replaces the backend "
        "(e.g. `local` after GLM-4.5V failed). The original job is left as it is.",
    )
    async def retry_replication(
        request: Request,
        job_id: JobId,
        backend: Annotated[
            BackendName | None, Query(description="The backend for the new job (default: the same).")
        ] = None,
    ) -> JSONResponse:
        jobs = _jobs(request)
        old = await jobs.get(_checked_id(job_id))
        options = dataclasses.replace(old.options, backend=backend or old.options.backend)
        await _usable_backend(request, options.backend)
        copy = jobs.upload_dir / f"retry-{uuid.uuid4().hex}"
        try:
            kept = await asyncio.to_thread(jobs.artifacts(old.id).export, UPLOAD_NAME, copy)
        except OSError:
            kept = False
        if not kept:
            copy.unlink(missing_ok=True)
            raise JobNotFound("The upload of that replication is no longer kept; upload it again.")
        try:
            source = None
            if old.media_type in IMAGE_TYPES:
                source = await asyncio.to_thread(load_source, copy, request.app.state.settings)
            job = await jobs.submit(
                copy, options=options, filename=old.filename, media_type=old.media_type, source=source
            )
        finally:
            copy.unlink(missing_ok=True)  # submit moved it; left only when something failed
        view = await _view(request, job, with_result=False)
        return JSONResponse(view.model_dump(), status_code=202, headers={"Location": view.urls["self"]})

    @protected.delete(
        "/replications/{job_id}", status_code=204, tags=["replications"], summary="Cancel and delete"
    )
    async def delete_replication(request: Request, job_id: JobId) -> Response:
        await _jobs(request).delete(_checked_id(job_id))
        return Response(status_code=204)

    @protected.get(
        "/replications/{job_id}/events",
        tags=["replications"],
        summary="Progress as Server-Sent Events (past events replayed first)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
    )
    async def replication_events(
        request: Request,
        job_id: JobId,
        last_event_id: Annotated[
            str | None, Header(description="Resume after this event id (sent by EventSource on reconnect).")
        ] = None,
        after: Annotated[
            int, Query(ge=0, le=_MAX_COUNT, description="Only events after this sequence number.")
        ] = 0,
    ) -> StreamingResponse:
        jobs = _jobs(request)
        await jobs.get(_checked_id(job_id))
        if last_event_id:
            seq = last_event_id.strip()
            if not (seq.isascii() and seq.isdigit() and int(seq) <= _MAX_COUNT):
                raise InputError("Last-Event-ID must be the number of an event this stream sent.")
            after = max(after, int(seq))
        return StreamingResponse(
            _sse(jobs, job_id, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # --- artifacts -----------------------------------------------------------------------------

    def artifact(name: str, media_type: str, summary: str, *, download: bool = False, **headers: str) -> None:
        async def serve(request: Request, job_id: JobId) -> Response:
            store = _jobs(request).artifacts(_checked_id(job_id))
            # The download's name is ours (the job id), never the user's upload name.
            filename = f"replication-{job_id[:8]}.html" if download else None
            return await _artifact_response(
                request, store, name, media_type, headers=headers, filename=filename
            )

        path = {"source.png": "source", "page.html": "html"}.get(name, name)
        protected.add_api_route(
            f"/replications/{{job_id}}/{path}",
            serve,
            methods=["GET"],
            tags=["artifacts"],
            summary=summary,
            response_class=FileResponse,
            responses={200: {"content": {media_type: {}}}},
            name=f"artifact_{name}",
        )
        # HEAD too (link checkers, `curl -I`): the same answer without the body; not listed twice.
        protected.add_api_route(
            f"/replications/{{job_id}}/{path}",
            serve,
            methods=["HEAD"],
            include_in_schema=False,
            name=f"artifact_{name}_head",
        )

    artifact("source.png", "image/png", "The source screenshot (normalized PNG)")
    artifact("thumb.png", "image/png", "A thumbnail of the source")
    artifact("render.png", "image/png", "The best candidate as rendered")
    artifact("render-thumb.png", "image/png", "A thumbnail of the best candidate as rendered")
    artifact("diff.png", "image/png", "The diff heatmap of the best candidate")
    artifact("result.json", "application/json", "Score per round, discrepancies, timings, usage")
    artifact(
        "page.html",
        "text/html; charset=utf-8",
        "The best generated page (sanitized), as a download",
        download=True,
        **{**PREVIEW_HEADERS, "Content-Security-Policy": PREVIEW_CSP},
    )

    @protected.get(
        "/replications/{job_id}/code",
        tags=["artifacts"],
        summary="The best candidate's code in the job's stack (page.html, Page.jsx, Page.vue), as a download",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
    async def code(request: Request, job_id: JobId) -> Response:
        job = await _jobs(request).get(_checked_id(job_id))
        stack = stack_named(job.options.stack)
        store = _jobs(request).artifacts(job.id)
        filename = _code_filename(stack.name, job.id)
        return await _artifact_response(
            request,
            store,
            code_artifact(stack.name),
            "text/plain; charset=utf-8",  # shown as text, never run: it is the model's code
            headers={"X-Content-Type-Options": "nosniff"},
            filename=filename,
            missing="This replication has no code (yet): see its state.",
        )

    @protected.get(
        "/replications/{job_id}/preview",
        tags=["artifacts"],
        summary="The generated page for a sandboxed live preview",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}}},
    )
    async def preview(request: Request, job_id: JobId) -> Response:
        jobs = _jobs(request)
        dest = request.headers.get("sec-fetch-dest")
        if dest is not None and dest not in ("iframe", "frame"):
            # Opened as a page of its own, the generated page would run outside the frame's sandbox
            # (navigate anywhere, rewrite the address bar): a browser gets the page that frames it.
            return RedirectResponse(f"/jobs/{_checked_id(job_id)}/preview", status_code=303)
        store = jobs.artifacts(_checked_id(job_id))
        html, result = await asyncio.gather(
            asyncio.to_thread(store.load, "page.html"), asyncio.to_thread(store.load_json, "result.json")
        )
        if html is None:
            raise JobNotFound("This replication has no page.html (yet): see its state.")
        response = Response(with_guard(html), media_type="text/html; charset=utf-8", headers=PREVIEW_HEADERS)
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        page_csp = ((result or {}).get("page") or {}).get("csp")
        if page_csp:
            # Two policies are both enforced: the page's own can only narrow ours further.
            response.headers.append("Content-Security-Policy", page_csp)
        return response

    # --- revisions -------------------------------------------------------------------------------

    @protected.get(
        "/replications/{job_id}/revisions",
        response_model=RevisionList,
        tags=["revisions"],
        summary="A finished replication's revisions, oldest first (0 is its result)",
    )
    async def list_revisions(request: Request, job_id: JobId) -> RevisionList:
        job_id = _checked_id(job_id)
        kept = await _jobs(request).revisions(job_id)
        return RevisionList(revisions=[_revision_view(request, job_id, r) for r in kept])

    @protected.post(
        "/replications/{job_id}/revisions",
        response_model=Revision,
        status_code=201,
        tags=["revisions"],
        summary="Revise a finished replication: your own edited code, or an instruction for its model",
    )
    async def create_revision(request: Request, job_id: JobId, body: RevisionRequest) -> Revision:
        job_id = _checked_id(job_id)
        entry = await _jobs(request).revise(
            job_id, instruction=body.instruction or "", code=body.code, base=body.base
        )
        return _revision_view(request, job_id, entry)

    @protected.get(
        "/replications/{job_id}/revisions/{number}/{name}",
        tags=["revisions"],
        summary="A revision's file: `code` (a download), `render.png`, `diff.png` or `html` (the page)",
        response_class=Response,
    )
    async def revision_file(
        request: Request, job_id: JobId, number: RevisionNumber, name: RevisionFile
    ) -> Response:
        job_id = _checked_id(job_id)
        kept = await _jobs(request).revisions(job_id)
        if not 0 <= number < len(kept) or name not in _REVISION_FILES:
            raise JobNotFound("No such revision file.")
        entry = kept[number]
        stack = entry.get("stack") or "html-css"
        names = {
            "code": _code_filename(stack, job_id, f"-r{number}"),
            "html": f"replication-{job_id[:8]}-r{number}-preview.html",
        }
        store = _jobs(request).artifacts(job_id)
        return await _kept_file(request, store, entry["files"], name, filename=names.get(name))

    @protected.get(
        "/replications/{job_id}/variants/{number}/{name}",
        tags=["artifacts"],
        summary="One of round 0's candidates (`variants` > 1): `render.png`, `diff.png`, `code` or `html`",
        response_class=Response,
    )
    async def variant_file(
        request: Request, job_id: JobId, number: VariantNumber, name: RevisionFile
    ) -> Response:
        job_id = _checked_id(job_id)
        store = _jobs(request).artifacts(job_id)
        result = await asyncio.to_thread(store.load_json, "result.json")
        found = next((v for v in (result or {}).get("variants", []) if v["variant"] == number), None)
        if found is None or name not in _REVISION_FILES:
            raise JobNotFound("No such candidate file.")
        return await _kept_file(request, store, found["files"], name, filename=None)

    @protected.post(
        "/replications/import",
        tags=["revisions"],
        summary="Start from your own code and its design screenshot: rendered, scored, then revisable",
        openapi_extra=_IMPORT_DOC,
        status_code=202,
    )
    async def import_replication(
        request: Request,
        wait: Annotated[
            float, Query(ge=0, le=_MAX_WAIT_S, description="Seconds to wait for the result.")
        ] = 0,
    ) -> JSONResponse:
        settings = request.app.state.settings
        jobs = _jobs(request)
        form = await read_multipart(
            request,
            directory=jobs.upload_dir,
            file_fields=frozenset({"design", "code"}),
            max_file_bytes=int(settings.max_upload_mb * 1048576),
        )
        try:
            design = _required_file(form, "design")
            code_file = _required_file(form, "code")
            if design.media_type not in IMAGE_TYPES:
                raise UnsupportedMedia("The design must be a PNG, JPEG or WebP screenshot.")
            raw = await asyncio.to_thread(code_file.path.read_bytes)
            if len(raw) > _MAX_CODE_BYTES:
                raise InputError(
                    f"The code is over {_MAX_CODE_BYTES // 1_000_000} MB; import a smaller page."
                )
            try:
                code_text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError("The code is not UTF-8 text.") from exc
            fields = {
                k: v
                for k, v in form.fields.items()
                if k in ("backend", "stack", "viewport_width", "viewport_height")
            }
            options = replace(
                _validated(ReplicationOptions, fields).job_options(settings), refine_rounds=0, imported=True
            )
            source = await asyncio.to_thread(load_source, design.path, settings)
            job = await jobs.submit(
                design.path,
                options=options,
                filename=design.filename,
                media_type=design.media_type,
                source=source,
                imported_code=code_text,
            )
        finally:
            form.discard()
        return await _submitted(request, job, wait)

    @protected.get(
        "/replications/{job_id}/states/{index}/{side}.png",
        tags=["artifacts"],
        summary="A recording's key frame (`source`) or the state reached on the page (`render`)",
        response_class=FileResponse,
        responses={200: {"content": {"image/png": {}}}},
    )
    async def state_png(request: Request, job_id: JobId, index: StateIndex, side: StateSide) -> Response:
        if side not in ("source", "render") or not 0 <= index < 1000:
            raise JobNotFound("No such state image.")
        store = _jobs(request).artifacts(_checked_id(job_id))
        return await _artifact_response(request, store, f"state-{side}-{index}.png", "image/png")

    # --- design checks -------------------------------------------------------------------------

    @protected.post(
        "/checks",
        response_model=CheckResponse,
        tags=["checks"],
        summary="Design check for CI: does the implementation match the design?",
        openapi_extra=_CHECK_DOC,
    )
    async def create_check(request: Request) -> CheckResponse:
        settings = request.app.state.settings
        jobs = _jobs(request)
        form = await read_multipart(
            request,
            directory=jobs.upload_dir,
            file_fields=frozenset({"design", "implementation"}),
            max_file_bytes=int(settings.max_upload_mb * 1048576),
        )
        try:
            design_file = _required_file(form, "design")
            impl_file = _required_file(form, "implementation")
            threshold = _number(
                form.fields.get("threshold"), "threshold", default=DEFAULT_THRESHOLD, low=0, high=100
            )
            gates = parse_subscore_gates([form.fields.get("min_subscores") or ""])
            width = form.fields.get("viewport_width")
            height = form.fields.get("viewport_height")
            if design_file.media_type not in IMAGE_TYPES:
                raise UnsupportedMedia("The design must be a PNG, JPEG or WebP screenshot.")
            design = await asyncio.to_thread(image_source, design_file.path.read_bytes(), settings)
            target = await asyncio.to_thread(
                _check_target, impl_file.path, impl_file.media_type, impl_file.filename
            )
        finally:
            form.discard()
        viewport = None
        if width or height:
            viewport = Viewport(
                int(_number(width, "viewport_width", default=design.width, low=200, high=4096)),
                int(_number(height, "viewport_height", default=min(design.height, 1080), low=200, high=4096)),
            )
        runtime: Runtime = request.app.state.runtime
        result = await run_check(
            runtime, design, target, threshold=threshold, viewport=viewport, min_subscores=gates
        )
        check_id = uuid.uuid4().hex
        folder = jobs.check_artifacts(check_id)
        await asyncio.to_thread(folder.save, "heatmap.png", result.score.heatmap_png)
        await asyncio.to_thread(folder.save, "render.png", result.render_png)
        await asyncio.to_thread(folder.save, "design.png", design.png)
        guard: TokenGuard = request.app.state.guard
        base = str(request.base_url).rstrip("/")
        body = result.to_dict()
        return CheckResponse(
            id=check_id,
            heatmap_url=base + guard.sign(f"/api/v1/checks/{check_id}/heatmap.png"),
            render_url=base + guard.sign(f"/api/v1/checks/{check_id}/render.png"),
            design_url=base + guard.sign(f"/api/v1/checks/{check_id}/design.png"),
            viewport={"width": result.viewport.width, "height": result.viewport.height},
            elapsed_ms=result.elapsed_ms,
            **body,
        )

    @protected.get(
        "/checks/{check_id}/{name}.png",
        tags=["checks"],
        summary="A design check's heatmap (`heatmap`), the implementation's render (`render`) "
        "or the design (`design`)",
        response_class=FileResponse,
        responses={200: {"content": {"image/png": {}}}},
    )
    async def check_png(request: Request, check_id: CheckId, name: CheckImage) -> Response:
        if not _JOB_ID.match(check_id) or name not in ("heatmap", "render", "design"):
            raise JobNotFound("No such design check.")
        store = _jobs(request).check_artifacts(check_id)
        return await _artifact_response(
            request,
            store,
            f"{name}.png",
            "image/png",
            missing="No such design check (it may have been pruned).",
        )

    router.include_router(protected)
    return router


# --- helpers ---------------------------------------------------------------------------------------


def _jobs(request: Request) -> JobManager:
    return request.app.state.jobs  # type: ignore[no-any-return]


def _checked_id(job_id: str) -> str:
    if not _JOB_ID.match(job_id):
        raise JobNotFound(f"No replication with id {job_id[:64]!r}.")
    return job_id


async def _artifact_response(
    request: Request,
    store: ArtifactStore,
    name: str,
    media_type: str,
    *,
    headers: dict[str, str] | None = None,
    filename: str | None = None,
    missing: str | None = None,
) -> Response:
    """The artifact as the response: a file from a folder store (with ranges and validators), or
    streamed out of the database store piece by piece."""
    missing = missing or f"This replication has no {name} (yet): see its state."
    disposition = "attachment" if filename else "inline"
    if isinstance(store, FolderArtifactStore):
        path = store.path(name)
        if not await asyncio.to_thread(path.is_file):
            raise JobNotFound(missing)
        return FileResponse(
            path,
            media_type=media_type,
            headers=headers or None,
            filename=filename,
            content_disposition_type=disposition,
        )
    size = await asyncio.to_thread(store.size, name)
    if size is None:
        raise JobNotFound(missing)
    out = {**(headers or {}), "Content-Length": str(size)}
    if filename:
        out["Content-Disposition"] = f'attachment; filename="{filename}"'
    if request.method == "HEAD":  # the headers alone
        return Response(media_type=media_type, headers=out)
    chunks = await asyncio.to_thread(store.chunks, name)
    if chunks is None:  # removed in between
        raise JobNotFound(missing)
    return StreamingResponse(chunks, media_type=media_type, headers=out)


async def _usable_backend(request: Request, name: str) -> None:
    """Refuse a job its backend cannot run (GLM-4.5V at a hosted endpoint with no key) before it is
    queued: the submitter learns why at once instead of from a job that fails seconds later."""
    settings = request.app.state.settings
    if name == "glm":
        missing = glm_missing_key(settings)
        if missing:
            raise BackendUnavailable(
                f"GLM-4.5V is not available on this server: {missing} Use the local backend meanwhile.",
                backend="glm",
            )
    await request.app.state.runtime.backend(name)


def _required_file(form: UploadedForm, name: str) -> Any:
    upload = form.files.get(name)
    if upload is None or upload.size == 0:
        raise InputError(f"The form field {name!r} must carry a non-empty file.")
    return upload


def _validated(model: type[ReplicationOptions], fields: dict[str, str]) -> ReplicationOptions:
    values = {k: v for k, v in fields.items() if v != ""}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(_plain_problem(e) for e in exc.errors())
        raise InputError(f"Invalid options: {problems}.") from exc


def _plain_problem(error: Any) -> str:
    """One validation error as a person would say it: 'refine_rounds must be at most 10'."""
    field = ".".join(str(part) for part in error.get("loc", ())) or "a field"
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind in ("less_than_equal", "less_than"):
        return f"{field} must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{field} must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("int_parsing", "int_from_float"):
        return f"{field} must be a whole number"
    if kind == "float_parsing":
        return f"{field} must be a number"
    if kind == "literal_error":
        return f"{field} must be {ctx.get('expected', 'one of the listed values')}"
    return f"{field}: {error.get('msg', 'is invalid')}"


def _number(raw: str | None, name: str, *, default: float, low: float, high: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name} must be a number, not {raw[:40]!r}.") from None
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low:g} and {high:g}.")
    return value


def _check_target(path: Path, media_type: str | None, label: str) -> CheckTarget:
    data = path.read_bytes()
    if media_type in IMAGE_TYPES:
        return CheckTarget.from_screenshot(data, label=label)
    if media_type is not None:
        raise UnsupportedMedia("The implementation must be an HTML file or a PNG/JPEG/WebP screenshot.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "<" not in text[:4096]:
        raise UnsupportedMedia("The implementation must be an HTML file or a PNG/JPEG/WebP screenshot.")
    return CheckTarget.from_html(text, label=label)


_REVISION_FILES = {
    "code": ("code", "text/plain; charset=utf-8"),
    "render.png": ("render", "image/png"),
    "diff.png": ("diff", "image/png"),
    "html": ("page", "text/html; charset=utf-8"),
}
_MAX_CODE_BYTES = 2_000_000


async def _submitted(request: Request, job: Job, wait: float) -> JSONResponse:
    """The answer to a new job: 202 at once; with ``wait``, 200 and the result once it has finished,
    or its error (with the job under ``details``) when it failed or was cancelled meanwhile."""
    if wait > 0:
        job = await _jobs(request).wait(job.id, wait)
    view = await _view(request, job, with_result=job.finished)
    if job.state in ("failed", "cancelled") and wait > 0:
        return error_response(
            status_for_code(job.error_code or "error"),
            job.error_code or "error",
            job.error_message or "The job did not succeed.",
            details={"replication": view.model_dump()},
        )
    status = 200 if job.finished else 202
    return JSONResponse(view.model_dump(), status_code=status, headers={"Location": view.urls["self"]})


def _code_filename(stack: str, job_id: str, suffix: str = "") -> str:
    """The name a code download gets: ours, never the user's (the stack's file name for a
    component, the job id for a page)."""
    found = stack_named(stack)
    return found.filename if found.is_component else f"replication-{job_id[:8]}{suffix}.html"


async def _kept_file(
    request: Request, store: ArtifactStore, files: dict[str, str], name: str, *, filename: str | None
) -> Response:
    """One file of a kept version (a revision, a candidate): its code as text, never run; its page
    sandboxed as the live preview is; its images as they are."""
    key, media_type = _REVISION_FILES[name]
    headers = {"X-Content-Type-Options": "nosniff"}
    if name == "html":
        headers.update(PREVIEW_HEADERS)
        headers["Content-Security-Policy"] = PREVIEW_CSP
    return await _artifact_response(
        request, store, files[key], media_type, headers=headers, filename=filename
    )


def _linker(request: Request) -> Callable[[str], str]:
    """Absolute links to API paths, signed when the request came with a signed link's expiry."""
    guard: TokenGuard = request.app.state.guard
    base = str(request.base_url).rstrip("/")
    expires = guard.inherited_expiry(request)
    return lambda path: base + guard.sign(path, expires=expires)


def _revision_view(request: Request, job_id: str, entry: dict[str, Any]) -> Revision:
    link = _linker(request)
    root = f"/api/v1/replications/{job_id}/revisions/{entry['number']}"
    urls = {name: link(f"{root}/{name}") for name in _REVISION_FILES}
    fields = {k: v for k, v in entry.items() if k in Revision.model_fields and k != "urls"}
    return Revision(**fields, urls=urls)


async def _view(request: Request, job: Job, *, with_result: bool) -> Replication:
    base = str(request.base_url).rstrip("/")
    root = f"/api/v1/replications/{job.id}"
    link = _linker(request)

    urls = {
        "self": link(root),
        "events": link(f"{root}/events"),
        "cancel": base + f"{root}/cancel",
        "retry": base + f"{root}/retry",
        "source": link(f"{root}/source"),
        "thumbnail": link(f"{root}/thumb.png"),
        "page": f"{base}/jobs/{job.id}",
    }
    result = None
    if job.state == "succeeded":
        urls.update(
            html=link(f"{root}/html"),
            code=link(f"{root}/code"),
            revisions=link(f"{root}/revisions"),
            preview=link(f"{root}/preview"),
            render=link(f"{root}/render.png"),
            render_thumbnail=link(f"{root}/render-thumb.png"),
            diff=link(f"{root}/diff.png"),
            result=link(f"{root}/result.json"),
        )
        if with_result:
            result = await asyncio.to_thread(_jobs(request).artifacts(job.id).load_json, "result.json")
            for variant in (result or {}).get("variants", []):
                variant["urls"] = {
                    name: link(f"{root}/variants/{variant['variant']}/{name}") for name in _REVISION_FILES
                }
            for state in (result or {}).get("states", []):
                state["source_url"] = link(f"{root}/states/{state['index']}/source.png")
                state["render_url"] = (
                    link(f"{root}/states/{state['index']}/render.png") if state.get("render_png") else None
                )
    error = None
    if job.error_code:
        error = {"code": job.error_code, "message": job.error_message or ""}
    elapsed = job.duration_s
    if job.state == "running" and job.started_at is not None:
        elapsed = round(max(time.time() - job.started_at, 0.0), 3)
    elif job.state == "queued":
        elapsed = round(max(time.time() - job.created_at, 0.0), 3)
    return Replication(
        id=job.id,
        state=job.state,
        stage=job.stage,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        duration_s=job.duration_s,
        elapsed_s=elapsed,
        queue_position=await _jobs(request).queue_position(job),
        kind=job.kind,
        media_type=job.media_type,
        filename=job.filename,
        options=json.loads(job.options.to_json()),
        attempts=job.attempts,
        score=job.score,
        summary=job.summary,
        error=error,  # type: ignore[arg-type]
        urls=urls,
        result=result,
    )


async def _sse(jobs: JobManager, job_id: str, after: int) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    try:
        async for event in jobs.events(job_id, after=after, heartbeat_s=_HEARTBEAT_S):
            if event is None:
                yield ": keep-alive\n\n"
                continue
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {json.dumps(event.to_dict())}\n\n"
    except ReplicatorError as exc:  # e.g. the job was deleted while streaming
        yield f"event: error\ndata: {json.dumps({'error': exc.to_dict()})}\n\n"
    yield "event: end\ndata: {}\n\n"
