"""The CPU pool: stages run in worker processes, crashes fail one task, shutdown leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import psutil
import pytest
import pytest_asyncio
from PIL import Image

from replicator.backends.local import TOKEN_ATTR, LocalBackend
from replicator.config import Settings, usable_cores
from replicator.cpu_pool import CpuPool, TextReplay
from replicator.errors import WorkerCrashed, WorkerTimeout
from replicator.models import Box, Source
from replicator.ocr import OcrEngine, OcrLine
from replicator.pipeline import Pipeline, RunOptions
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime
from replicator.sanitize import Sanitizer


def image_source(png: bytes) -> Source:
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    return Source(
        kind="image",
        png=png,
        width=width,
        height=height,
        media_type="image/png",
        sha256=hashlib.sha256(png).hexdigest(),
    )


def without_token(html: str) -> str:
    return re.sub(rf'{TOKEN_ATTR}="[0-9a-f]+"', f'{TOKEN_ATTR}=""', html)


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[CpuPool]:
    cpu = CpuPool(1)
    try:
        yield cpu
    finally:
        await cpu.close()


async def wait_for_worker(cpu: CpuPool) -> int:
    await cpu.start()
    (pid,) = cpu.pids()
    return pid


async def test_a_task_runs_in_another_process(pool: CpuPool) -> None:
    pid = await pool.run(os.getpid)
    assert pid != os.getpid()
    assert pid in pool.pids()
    assert psutil.Process(pid).ppid() == os.getpid()


async def test_a_killed_worker_fails_its_task_clearly_and_the_next_task_runs(pool: CpuPool) -> None:
    first = await wait_for_worker(pool)
    task = asyncio.create_task(pool.run(time.sleep, 60))
    await asyncio.sleep(0.3)  # the sleep is running in the worker
    os.kill(first, signal.SIGKILL)
    with pytest.raises(WorkerCrashed) as caught:
        await asyncio.wait_for(task, 20)
    assert caught.value.code == "worker_crashed"
    assert "other items are not affected" in caught.value.message
    second = await asyncio.wait_for(pool.run(os.getpid), 60)
    assert second != first and second != os.getpid()


async def test_a_worker_that_died_while_idle_is_replaced_without_failing_anyone(pool: CpuPool) -> None:
    first = await wait_for_worker(pool)
    os.kill(first, signal.SIGKILL)
    psutil.Process(first).wait(10) if psutil.pid_exists(first) else None
    await asyncio.sleep(0.5)  # the executor notices the death
    assert await asyncio.wait_for(pool.run(os.getpid), 60) not in (first, os.getpid())


def raise_own_timeout() -> None:
    raise TimeoutError("the task's own, not the pool's deadline")


async def test_a_task_past_its_deadline_is_stopped_and_its_worker_replaced(pool: CpuPool) -> None:
    first = await wait_for_worker(pool)
    started = time.monotonic()
    with pytest.raises(WorkerTimeout) as caught:
        await asyncio.wait_for(pool.run(time.sleep, 60, deadline_s=0.5), 20)
    assert time.monotonic() - started < 3
    assert caught.value.code == "worker_timeout" and "more than 0.5 s" in caught.value.message
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    # The lane is usable again at once, with a new worker; a deadline counts the task, not its start.
    second = await asyncio.wait_for(pool.run(os.getpid, deadline_s=0.5), 60)
    assert second not in (first, os.getpid())


async def test_a_deadline_stops_only_its_own_lane() -> None:
    cpu = CpuPool(2)
    try:
        await cpu.start()
        slow = asyncio.create_task(cpu.run(time.sleep, 1.5))  # no deadline: must finish normally
        await asyncio.sleep(0.1)
        with pytest.raises(WorkerTimeout):
            await cpu.run(time.sleep, 60, deadline_s=0.3)
        await asyncio.wait_for(slow, 20)
        # Both lanes take work again (the replaced one with a new worker).
        pids = await asyncio.wait_for(asyncio.gather(cpu.run(os.getpid), cpu.run(os.getpid)), 60)
        assert len(set(pids)) == 2 and set(pids) == set(cpu.pids())
    finally:
        await cpu.close()


async def test_a_tasks_own_timeout_error_is_not_taken_for_the_deadline(pool: CpuPool) -> None:
    pid = await wait_for_worker(pool)
    with pytest.raises(TimeoutError, match="the task's own"):
        await pool.run(raise_own_timeout, deadline_s=60)
    assert await pool.run(os.getpid) == pid


async def test_cancelling_a_caller_returns_at_once_and_close_does_not_wait_for_the_task() -> None:
    cpu = CpuPool(1)
    pid = await wait_for_worker(cpu)
    task = asyncio.create_task(cpu.run(time.sleep, 60))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(cpu.close(), 15)
    assert time.monotonic() - started < 15
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_closing_the_runtime_leaves_no_worker_processes(settings: Settings) -> None:
    runtime = Runtime(settings.model_copy(update={"cpu_workers": 2}), renderer=SealedBrowserPool(settings))
    assert runtime.cpu is not None
    await runtime.warm_up()
    pids = runtime.cpu.pids()
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
    await runtime.close()
    children = {p.pid for p in psutil.Process().children(recursive=True)}
    assert not children & set(pids)


SERVICE_LIKE_POOL = """
import asyncio
from pathlib import Path

from replicator.config import Settings
from replicator.runtime import Runtime
from replicator.service.app import SERVICE_CPU_NICE


async def main() -> None:
    settings = Settings(_env_file=None, data_dir=Path({data!r}), backend="local", cpu_workers=2)
    runtime = Runtime(settings, parallelism=2, cpu_nice=SERVICE_CPU_NICE)  # as the service's lifespan
    await runtime.warm_up()
    print(*runtime.cpu.pids(), flush=True)
    await asyncio.sleep(600)


if __name__ == "__main__":
    asyncio.run(main())
"""


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # dead, waiting for init to reap it
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in processes):
        time.sleep(0.1)
    return [p for p in processes if not gone(p)]


def test_workers_and_resource_tracker_die_when_the_server_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVICE_LIKE_POOL.format(data=str(tmp_path / "data")))
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    descendants: list[psutil.Process] = []
    try:
        assert server.stdout is not None
        workers = {int(pid) for pid in server.stdout.readline().split()}
        assert len(workers) == 2, "the workers did not start"
        descendants = psutil.Process(server.pid).children(recursive=True)
        assert workers <= {p.pid for p in descendants}
        trackers = [p for p in descendants if "resource_tracker" in " ".join(p.cmdline())]
        assert trackers, "expected multiprocessing's resource tracker among the server's children"

        server.kill()
        server.wait(5)

        left = wait_until_gone(descendants, 5)
        assert not left, f"still running after the server was killed: {[p.cmdline()[-2:] for p in left]}"
    finally:
        server.kill()
        for process in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_the_watchdog_ends_a_worker_whose_parent_is_gone(tmp_path: Path) -> None:
    """Where there is no parent-death signal (not Linux), a thread in the worker watches its parent."""
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent("""
            import os, subprocess, sys, time
            watcher = f"from replicator.cpu_pool import _watch_parent; _watch_parent({os.getpid()})"
            child = subprocess.Popen([sys.executable, "-c", watcher])
            print(child.pid, flush=True)
            time.sleep(600)
        """)
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = psutil.Process(int(parent.stdout.readline()))
    try:
        time.sleep(1.5)  # the watchdog has looked at least once and found its parent there
        assert not gone(child)
        parent.kill()
        parent.wait(5)
        assert not wait_until_gone([child], 5)
    finally:
        parent.kill()
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


async def test_workers_run_at_the_requested_lower_priority() -> None:
    cpu = CpuPool(1, nice=5)
    try:
        pid = await wait_for_worker(cpu)
        assert psutil.Process(pid).nice() == min(19, psutil.Process().nice() + 5)
    finally:
        await cpu.close()


def test_pool_size_follows_the_settings_and_the_callers_parallelism(settings: Settings) -> None:
    cores = usable_cores()
    assert CpuPool.from_settings(settings.model_copy(update={"cpu_workers": 0})) is None
    one = CpuPool.from_settings(settings, parallelism=1)
    assert one is not None and one.workers == 1
    assert one.ocr_threads == cores  # a lone worker keeps every core for OCR
    default = CpuPool.from_settings(settings)
    assert default is not None and default.workers == cores and default.ocr_threads == 1
    assert Runtime(settings.model_copy(update={"cpu_workers": 0})).cpu is None


def test_ocr_threads_setting_overrides_the_share_of_cores(settings: Settings) -> None:
    pinned = CpuPool.from_settings(settings.model_copy(update={"ocr_threads": 1}), parallelism=1)
    assert pinned is not None and pinned.workers == 1 and pinned.ocr_threads == 1
    assert Settings(_env_file=None, ocr_threads="3").ocr_threads == 3  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Settings(_env_file=None, ocr_threads="0")  # type: ignore[call-arg]


def test_usable_cores_counts_this_process_affinity_not_the_host() -> None:
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(allowed)})
        assert usable_cores() == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert 1 <= usable_cores() <= len(allowed)


def test_usable_cores_honours_a_container_cpu_quota(tmp_path: Path) -> None:
    allowed = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("50000 100000\n")  # docker run --cpus=0.5
    assert usable_cores(cpu_max) == 1
    cpu_max.write_text("max 100000\n")  # no quota
    assert usable_cores(cpu_max) == allowed
    cpu_max.write_text("garbage\n")
    assert usable_cores(cpu_max) == allowed


def test_text_replay_answers_from_known_lines_without_reading() -> None:
    class Unreadable(OcrEngine):
        def __init__(self) -> None:
            pass

        def read(self, image: object, *, min_confidence: float = 0.5) -> list[OcrLine]:
            raise AssertionError("OCR ran although the lines were known")

    known = (OcrLine("Sign in", Box(10, 10, 80, 20), 0.99), OcrLine("faint", Box(10, 40, 50, 20), 0.6))
    replay = TextReplay(Unreadable(), known)
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    assert replay.read(image) == list(known)
    assert replay.read(image, min_confidence=0.9) == [known[0]]


def test_text_replay_reads_any_other_image_for_real() -> None:
    # The local backend enlarges a crop to read a glyph in a box: it must get the crop's text, not
    # the whole screenshot's lines (which made worker and in-process pages differ).
    crop_line = OcrLine("?", Box(3, 4, 10, 12), 0.95)

    class CropReader(OcrEngine):
        def __init__(self) -> None:
            self.reads: list[tuple[int, ...]] = []

        def read(self, image: object, *, min_confidence: float = 0.5) -> list[OcrLine]:
            assert isinstance(image, np.ndarray)
            self.reads.append(image.shape)
            return [crop_line]

    known = (OcrLine("Sign in", Box(10, 10, 80, 20), 0.99),)
    engine = CropReader()
    replay = TextReplay(engine, known)
    page = np.zeros((100, 200, 3), dtype=np.uint8)
    crop = np.full((30, 60, 3), 255, dtype=np.uint8)
    assert replay.read(page) == list(known)
    assert replay.read(crop) == [crop_line]
    assert replay.read(page.copy()) == list(known)  # the same pixels: still replayed
    assert engine.reads == [(30, 60, 3)]
    assert replay.lines == known


def test_text_replay_records_what_it_reads(dev_reference: Callable[[str], bytes]) -> None:
    png = dev_reference("login")
    replay = TextReplay(OcrEngine.shared())
    lines = replay.read(png)
    assert lines and replay.lines == tuple(lines)


@pytest.mark.slow
async def test_pool_and_threads_give_the_same_page_and_score(
    settings: Settings, browser_pool: SealedBrowserPool, dev_reference: Callable[[str], bytes]
) -> None:
    source = image_source(dev_reference("dashboard"))
    options = RunOptions(refine_rounds=1, target_score=100.0, mode="static")
    sanitizer = Sanitizer.from_settings(settings)
    # Same OCR threading on both sides (onnxruntime's default), so the only difference is where it runs.
    in_threads = await Pipeline(
        backend=LocalBackend(settings), renderer=browser_pool, sanitizer=sanitizer
    ).run(source, options)
    cpu = CpuPool(1)
    try:
        backend = LocalBackend(settings, cpu=cpu)
        pipeline = Pipeline(backend=backend, renderer=browser_pool, sanitizer=sanitizer, cpu=cpu)
        in_workers = await pipeline.run(source, options)
        # The worker read the screenshot's text once; the backend's analysis replayed it.
        assert cpu.known_text(source.png) is not None
    finally:
        await cpu.close()
    assert [c.round for c in in_workers.candidates] == [c.round for c in in_threads.candidates] == [0, 1]
    for a, b in zip(in_workers.candidates, in_threads.candidates, strict=True):
        # Equal but for the random token that keys a refined page's corrections.
        assert without_token(a.page.html) == without_token(b.page.html)
        assert a.score.breakdown() == b.score.breakdown()


@pytest.mark.slow
async def test_after_a_worker_crash_the_next_item_converts(
    settings: Settings, browser_pool: SealedBrowserPool, dev_reference: Callable[[str], bytes]
) -> None:
    runtime = Runtime(settings.model_copy(update={"cpu_workers": 1}), renderer=browser_pool)
    assert runtime.cpu is not None
    try:
        await runtime.warm_up()
        (pid,) = runtime.cpu.pids()
        doomed = asyncio.create_task(runtime.cpu.run(time.sleep, 60))
        await asyncio.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerCrashed):
            await asyncio.wait_for(doomed, 20)
        pipeline = await runtime.pipeline("local")
        result = await asyncio.wait_for(
            pipeline.run(image_source(dev_reference("login")), RunOptions(refine_rounds=0)), 180
        )
        assert result.best.score.overall > 80
        assert "Sign in" in result.best.page.html
        assert pid not in runtime.cpu.pids()
    finally:
        await runtime.close()
