"""Every error replicator raises on purpose, each with a stable ``code`` and a message for users.

Errors become responses in exactly two places: the API's exception handler (``api.py``) and the
CLI's entry point (``cli/__init__.py``). Adapters wrap library errors (``raise X(...) from exc``).

ReplicatorError
├── InputError                      the user's input cannot be used (HTTP 4xx, CLI exit 2 or item failed)
│   ├── UnsupportedMedia            not a PNG/JPEG/WebP image or MP4/MOV/WebM video, judged by content
│   ├── InputTooLarge               over a byte, pixel, duration or resolution cap
│   ├── InputTooComplex             HTML that takes longer than its deadline to parse and sanitize
│   ├── CorruptInput                looks like a known type but cannot be decoded
│   └── VideoRejected               a recording that cannot be used (no video stream, too long, ...)
├── ExtractionError                 the model's answer holds no HTML document
│   └── ComponentError              a component (React/Vue stack) its compiler cannot build
├── ConfigurationError              the installation or settings are wrong (e.g. no browser found)
│   └── BrowserNotFound
├── RenderError                     Chromium failed to render a page
│   └── RenderTimeout               the page did not yield within its deadline and was killed
├── ProviderError                   the model provider failed (generate/refine stage)
│   ├── ProviderAuthError           bad, missing or expired API key (1000-1004)
│   ├── ProviderAccountError        account locked or in arrears (1112, 1113, 1121)
│   ├── ProviderBadRequest          the provider refused our request (1210-1214, 1261, model missing)
│   ├── ContentFiltered             the provider's content filter blocked input or output (1301)
│   ├── ProviderRateLimited         retryable: concurrency or rate limit (1302, 1303, 1305)
│   ├── ProviderUnavailable         retryable: overloaded, 5xx, connection reset (1312, ...)
│   └── ProviderTimeout             no complete answer within the deadline
├── RefinementUnsupported           the backend cannot refine (the pipeline skips refinement)
├── RevisionUnsupported             an instruction for a backend with no model, or a recording's revision
├── JobNotFinished                  a revision of a job that has no result yet
├── WorkerCrashed                   a CPU worker process died mid-stage (that item fails; the pool recovers)
├── WorkerTimeout                   a CPU worker's task ran past its deadline (the worker is replaced)
├── JobNotFound                     no such job
├── JobCancelled                    the job was cancelled by a user
└── AuthenticationRequired          the API's bearer token is missing or wrong
"""

from __future__ import annotations

from typing import Any, ClassVar


class ReplicatorError(Exception):
    """Base of every deliberate error; ``code`` is stable, ``message`` is written for users."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InputError(ReplicatorError):
    code = "bad_input"
    http_status = 400


class BackendUnavailable(InputError):
    """The chosen backend cannot run on this server (e.g. GLM-4.5V with no API key)."""

    code = "backend_unavailable"
    http_status = 422


class UnsupportedMedia(InputError):
    code = "unsupported_media"
    http_status = 415


class InputTooLarge(InputError):
    code = "input_too_large"
    http_status = 413


class InputTooComplex(InputError):
    """Within the size caps, but too costly to parse: e.g. thousands of misnested tags, which make
    the HTML parser quadratic."""

    code = "input_too_complex"
    http_status = 422


class CorruptInput(InputError):
    code = "corrupt_input"
    http_status = 422


class VideoRejected(InputError):
    code = "video_rejected"
    http_status = 422


class ExtractionError(ReplicatorError):
    code = "no_html_in_answer"
    http_status = 502


class ComponentError(ExtractionError):
    """A component (React/Vue stack) that its framework's compiler cannot build into a preview."""

    code = "component_does_not_compile"


class ConfigurationError(ReplicatorError):
    code = "configuration"
    http_status = 500


class BrowserNotFound(ConfigurationError):
    code = "browser_not_found"


class RenderError(ReplicatorError):
    code = "render_failed"
    http_status = 500


class RenderTimeout(RenderError):
    code = "render_timeout"
    http_status = 504


class RenderCrashed(RenderError):
    """The page's renderer process died (out of memory, or killed) while the page was rendered."""

    code = "render_crashed"
    http_status = 422


class ProviderError(ReplicatorError):
    code = "provider_error"
    http_status = 502


class ProviderAuthError(ProviderError):
    code = "provider_auth"


class ProviderAccountError(ProviderError):
    code = "provider_account"


class ProviderBadRequest(ProviderError):
    code = "provider_bad_request"


class ContentFiltered(ProviderError):
    code = "content_filtered"
    http_status = 422


class ProviderRateLimited(ProviderError):
    code = "provider_rate_limited"
    http_status = 503
    retryable = True


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"
    http_status = 503
    retryable = True


class ProviderTimeout(ProviderError):
    code = "provider_timeout"
    http_status = 504


class RefinementUnsupported(ReplicatorError):
    code = "refinement_unsupported"
    http_status = 400


class RevisionUnsupported(ReplicatorError):
    """A revision this job cannot have: an instruction for a backend without a model, a recording."""

    code = "needs_model_backend"
    http_status = 422


class JobNotFinished(ReplicatorError):
    """A revision of a job that has no result yet."""

    code = "job_not_finished"
    http_status = 409


class WorkerCrashed(ReplicatorError):
    code = "worker_crashed"
    http_status = 500


class WorkerTimeout(ReplicatorError):
    """A task in a CPU worker ran past the deadline its caller gave; that worker was killed."""

    code = "worker_timeout"
    http_status = 504


class JobNotFound(ReplicatorError):
    code = "not_found"
    http_status = 404


class JobCancelled(ReplicatorError):
    code = "cancelled"
    http_status = 409


class AuthenticationRequired(ReplicatorError):
    code = "unauthorized"
    http_status = 401
