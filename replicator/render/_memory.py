"""A memory budget for Chromium's renderers (one per page).

V8's heap flags do not cover typed arrays and other buffers outside the JavaScript heap, so a page
can take gigabytes (measured: 4 GB of typed arrays took the process tree to 5.5 GB). No Chromium
switch caps a renderer's memory, and an address-space rlimit breaks V8 (it reserves terabytes of
virtual space up front), so a watchdog samples the renderers' resident memory while pages are being
rendered and kills one over budget; the render then fails as a crash (see ``unless_crashed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable

import psutil

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 0.1


def renderers_over(limit_bytes: int) -> list[int]:
    """Kill the renderers of this process tree whose resident memory is over ``limit_bytes``;
    their pids. Blocking (reads /proc)."""
    killed = []
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error, OSError):
            if process.memory_info().rss <= limit_bytes:
                continue
            if "--type=renderer" not in process.cmdline():
                continue
            os.kill(process.pid, signal.SIGKILL)
            killed.append(process.pid)
            log.warning(
                "killed a Chromium renderer using over %d MiB (pid %d)", limit_bytes // 1048576, process.pid
            )
    return killed


async def watch_renderers(limit_bytes: int, busy: Callable[[], bool]) -> None:
    """Sample while ``busy()`` says pages are open or being rendered; runs until cancelled."""
    while True:
        if busy():
            await asyncio.to_thread(renderers_over, limit_bytes)
        await asyncio.sleep(SAMPLE_EVERY_S)
