"""Errors become JSON responses here, and only here: ``{"error": {"code", "message"}}``.

One handler for every ReplicatorError (its class says the status), one for request validation, one
for Starlette's own HTTP errors (unknown route, wrong method) and a last one that turns an
unexpected exception into a plain 500 without a stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AuthenticationRequired, ReplicatorError
from .schemas import ErrorResponse

log = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorResponse, "description": "Bad input, unknown job, missing token"},
    "5XX": {"model": ErrorResponse, "description": "A failure on our side or the model provider's"},
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "input_too_large",
    415: "unsupported_media",
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def status_for_code(code: str) -> int:
    """The HTTP status of a ReplicatorError's code (for jobs, which keep only the code)."""
    pending: list[type[ReplicatorError]] = [ReplicatorError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls.http_status
        pending.extend(cls.__subclasses__())
    return 500


def _web_error(request: Request, status: int, message: str) -> Response | None:
    """The web UI's error page when a browser asked for a page (the API always answers JSON)."""
    pages = getattr(request.app.state, "pages", None)
    return None if pages is None else pages.error(request, status, message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReplicatorError)
    async def replicator_error(request: Request, exc: ReplicatorError) -> Response:
        if exc.http_status >= 500:
            log.warning("%s %s failed: %s [%s]", request.method, request.url.path, exc.message, exc.code)
        page = _web_error(request, exc.http_status, exc.message)
        if page is not None:
            return page
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationRequired) else None
        return error_response(
            exc.http_status, exc.code, exc.message, details=exc.details or None, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
            for err in exc.errors()
        ]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems) or "The request is invalid."
        return error_response(422, "invalid_request", message, details={"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        if exc.status_code == 404:
            message = "There is nothing at this address."
        page = _web_error(request, exc.status_code, message)
        if page is not None:
            return page
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s crashed", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")
