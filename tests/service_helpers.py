"""Helpers shared by the job, API and UI tests: wrappers that count or hold real backends and renderers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from replicator.backends.base import Backend, BackendEvent, GenerateOptions, RefineRequest
from replicator.models import RenderResult, Source, Viewport
from tests.plugins.data_dirs import warmed, without_product_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCREENSHOT = FIXTURES / "cli" / "welcome.png"
PAGE = FIXTURES / "cli" / "welcome.html"


def serve_argv(port: int) -> list[str]:
    """The command line of `replicator serve` on loopback at ``port``, from this virtualenv."""
    return [
        str(Path(sys.executable).with_name("replicator")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def service_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any replicator setting or API key, plus ``settings``; its
    data directory ``data_dir`` holds the caches a first conversion builds (``warmed``)."""
    return {**without_product_settings(), "REPLICATOR_DATA_DIR": str(warmed(data_dir)), **settings}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_service(workdir: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`replicator serve` in a child process on an ephemeral loopback port, data in
    ``workdir/data``, its output in ``workdir/serve.log``: (process, base URL) once /healthz answers;
    stopped (terminate, then kill) when the block ends."""
    port = free_port()
    env = service_env(workdir / "data", **settings)
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            serve_argv(port), cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the service did not start:\n" + (workdir / "serve.log").read_text())
                time.sleep(0.2)
            yield process, base
        finally:
            stop_processes([process], timeout=20)


def stop_processes(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Ask every process to stop (SIGTERM, all at once), and kill those still there ``timeout``
    seconds later."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def upload_copy(tmp_path: Path, source: Path = SCREENSHOT, name: str = "upload.png") -> Path:
    """A copy of a fixture to hand to the job manager (which takes ownership of the file)."""
    target = tmp_path / name
    shutil.copyfile(source, target)
    return target


class CountingBackend(Backend):
    """A real backend, counted: how many model calls (generate + refine) went through it."""

    def __init__(self, inner: Backend, *, gate: asyncio.Event | None = None) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.can_refine = inner.can_refine  # type: ignore[misc]
        self.calls = 0
        self.gate = gate  # when set, every call waits for it before reaching the real backend

    def generate(self, source: Source, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        self.calls += 1
        return self._held(self.inner.generate(source, options))

    def refine(self, request: RefineRequest, options: GenerateOptions) -> AsyncIterator[BackendEvent]:
        self.calls += 1
        return self._held(self.inner.refine(request, options))

    async def _held(self, stream: AsyncIterator[BackendEvent]) -> AsyncIterator[BackendEvent]:
        if self.gate is not None:
            await self.gate.wait()
        async for event in stream:
            yield event

    async def check(self) -> str:
        return await self.inner.check()

    async def aclose(self) -> None:
        await self.inner.aclose()


class GatedRenderer:
    """The real browser pool, but each render first waits for ``gate`` (to stop a job mid-way)."""

    def __init__(self, inner: Any, gate: asyncio.Event) -> None:
        self.inner = inner
        self.gate = gate
        self.entered = asyncio.Event()

    async def render(self, html: str, viewport: Viewport, **kwargs: Any) -> RenderResult:
        self.entered.set()
        await self.gate.wait()
        result: RenderResult = await self.inner.render(html, viewport, **kwargs)
        return result

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.open(*args, **kwargs)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


@contextlib.asynccontextmanager
async def launched_chromium(path: str | Path | None = None) -> AsyncIterator[Any]:
    """A Playwright browser on Debian's Chromium (``path``, else the one the settings resolve), with
    the switches that keep it off the closed network; closed on exit."""
    from playwright.async_api import async_playwright

    from replicator.config import Settings

    executable = path or Settings(_env_file=None).resolve_chromium()  # type: ignore[call-arg]
    args = ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable), args=args)
        try:
            yield browser
        finally:
            await browser.close()


async def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not path.exists():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        await asyncio.sleep(0.05)
