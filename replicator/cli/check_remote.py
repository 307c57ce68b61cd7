"""``replicator check --server URL``: the same design check through a running service's API."""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ..check import CheckTarget, inline_local_assets
from ..errors import ConfigurationError, InputError, ReplicatorError
from ..intake import sniff_media_type

if TYPE_CHECKING:
    from .check_cmd import CheckPair

log = logging.getLogger(__name__)

CHECKS_PATH = "/api/v1/checks"


class RemoteCheckFailed(ReplicatorError):
    """The service failed the check (5xx); its own message is kept."""

    code = "remote_check_failed"


class RemoteTokenRejected(ConfigurationError):
    """The service wants a (different) bearer token: a set-up problem of this run (exit 2)."""

    code = "unauthorized"


class RemoteChecker:
    """POSTs design/implementation pairs to ``{base_url}/api/v1/checks``; use as ``async with``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        fetch_heatmaps: bool = True,
        timeout_s: float = 300.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"--server needs an http:// or https:// URL, not {base_url!r}.")
        self.base_url = base_url.rstrip("/")
        self.fetch_heatmaps = fetch_heatmaps
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # A check renders and scores on the server: generous read timeout, short connect timeout.
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0)
        )

    async def __aenter__(self) -> RemoteChecker:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def check(self, pair: CheckPair) -> tuple[dict[str, Any], bytes]:
        """The service's verdict on one pair (CheckResult.to_dict() plus heatmap_url) and the heatmap."""
        files = {
            "design": (pair.design.name, _read(pair.design), _media_type(pair.design)),
            "implementation": _implementation_part(pair.implementation),
        }
        data = {"threshold": f"{pair.threshold:g}"}
        if pair.min_subscores:
            data["min_subscores"] = ",".join(f"{k}={v:g}" for k, v in pair.min_subscores.items())
        if pair.viewport is not None:
            data["viewport_width"] = str(pair.viewport.width)
            data["viewport_height"] = str(pair.viewport.height)
        response = await self._send("POST", CHECKS_PATH, files=files, data=data)
        try:
            result = response.json()
            result["score"]["overall"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteCheckFailed(
                f"The service at {self.base_url} answered with something unexpected."
            ) from exc
        heatmap = b""
        if self.fetch_heatmaps and result.get("heatmap_url"):
            heatmap = (await self._send("GET", str(result["heatmap_url"]))).content
        return result, heatmap

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise RemoteCheckFailed(f"The service at {self.base_url} did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ConfigurationError(f"Cannot reach the service at {self.base_url}: {exc}.") from exc
        if response.status_code < 400:
            return response
        message = _error_message(response)
        if response.status_code == 401:
            raise RemoteTokenRejected(f"The service refused the request: {message} (pass --token).")
        if response.status_code < 500:
            raise InputError(f"The service refused the check: {message}")
        raise RemoteCheckFailed(f"The service failed the check ({response.status_code}): {message}")


def _error_message(response: httpx.Response) -> str:
    """The message of the service's error body ({"error": {...}}, {"code", "message"} or FastAPI's)."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if "detail" in body:
            detail = body["detail"]
            if isinstance(detail, list):
                return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
            return str(detail)
    return str(body)[:300]


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    return path.read_bytes()


def _media_type(path: Path) -> str:
    with path.open("rb") as fh:
        return sniff_media_type(fh.read(64)) or "application/octet-stream"


def _implementation_part(path: Path) -> tuple[str, bytes, str]:
    """The upload for the implementation, judged exactly as the local check judges it.

    The service takes one file, so an HTML page's own stylesheets, images and fonts (from its
    folder, by the renderer's rule of what is local) are inlined before it is sent: the remote
    check then scores what the local check scores.
    """
    target = CheckTarget.from_path(path)
    if target.kind == "screenshot":
        return (path.name, target.image, _media_type(path))
    html = inline_local_assets(target.html, target.base_dir) if target.base_dir else target.html
    name = "index.html" if path.is_dir() else path.name
    return (name, html.encode("utf-8"), "text/html")
