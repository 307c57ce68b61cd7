"""A worker's helper process: split_map hands it part of a map and gives the same results as mapping
in place, whether the helper is there, busy warming up, dead, or handed work that does not pickle."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from replicator import cpu_split
from replicator.backends.local.icons import icon_check
from replicator.backends.local.page import decode
from replicator.backends.local.text import read_lines
from replicator.cpu_pool import CpuPool, _warm_helper
from replicator.icons import icon_index
from replicator.ocr import OcrEngine

KANBAN = Path(__file__).resolve().parent.parent / "fixtures" / "realpages" / "references" / "tw_kanban.png"
READY_S = 90.0  # a helper loads the icon index and the faces before it takes work


def _square_where(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def wait_ready() -> None:
    deadline = time.monotonic() + READY_S
    while not cpu_split.ready():
        assert time.monotonic() < deadline, "the helper did not become ready"
        time.sleep(0.05)


@pytest.fixture
def helper() -> Iterator[None]:
    cpu_split.start()
    try:
        wait_ready()
        yield
    finally:
        cpu_split.stop()


def test_without_a_helper_the_map_runs_in_place() -> None:
    assert not cpu_split.ready()
    assert cpu_split.split_map(_square_where, [1, 2, 3]) == [
        (1, os.getpid()),
        (4, os.getpid()),
        (9, os.getpid()),
    ]


def test_the_helper_maps_about_half_by_weight_and_the_order_is_kept(helper: None) -> None:
    helper_pid = cpu_split.helper_pid()
    assert helper_pid is not None and helper_pid != os.getpid()
    out = cpu_split.split_map(_square_where, list(range(10)))
    assert [value for value, _ in out] == [i * i for i in range(10)]
    where = [pid for _, pid in out]
    assert where.count(helper_pid) == 5 and where.count(os.getpid()) == 5
    # One heavy item is a side's whole share.
    out = cpu_split.split_map(_square_where, [0, 1, 2, 3], weights=[3.0, 1.0, 1.0, 1.0])
    where = [pid for _, pid in out]
    assert where[1] == where[2] == where[3] != where[0]


def test_work_that_does_not_pickle_is_done_in_place(helper: None) -> None:
    offset = 7
    out = cpu_split.split_map(lambda x: (x + offset, os.getpid()), [1, 2, 3, 4])
    assert out == [(8, os.getpid()), (9, os.getpid()), (10, os.getpid()), (11, os.getpid())]


def test_an_error_in_the_work_is_raised_as_it_would_be_in_place(helper: None) -> None:
    # Whichever side maps the 3 (here, then there), and the next map gets its own answers.
    for items in ([3, 0, 1, 2], [0, 3, 1, 2]):
        with pytest.raises(ValueError, match="three"):
            cpu_split.split_map(_fails_on_three, items)
        assert cpu_split.split_map(_square_where, [5, 6]) == [(25, os.getpid()), (36, cpu_split.helper_pid())]


def test_a_dead_helper_costs_only_time_and_is_replaced(helper: None) -> None:
    first = cpu_split.helper_pid()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    psutil.Process(first).wait(10)
    out = cpu_split.split_map(_square_where, list(range(6)))
    assert [value for value, _ in out] == [i * i for i in range(6)]
    wait_ready()
    second = cpu_split.helper_pid()
    assert second not in (None, first)
    out = cpu_split.split_map(_square_where, list(range(6)))
    assert {pid for _, pid in out} == {os.getpid(), second}


def test_the_icon_index_travels_as_where_it_was_loaded_from() -> None:
    index = icon_index()
    data = pickle.dumps(icon_check(index))
    assert len(data) < 2000  # not its arrays (megabytes)
    assert pickle.loads(data).index is index


def test_a_real_page_reads_the_same_with_a_helper() -> None:
    rgb = decode(KANBAN.read_bytes())
    engine = OcrEngine.shared()
    ocr_lines = engine.read(rgb)

    def read() -> list[object]:
        return list(
            read_lines(rgb, ocr_lines, icon_check=icon_check(icon_index()), recognize=engine.recognize)
        )

    alone = read()
    cpu_split.start(_warm_helper)
    try:
        wait_ready()
        helper_pid = cpu_split.helper_pid()
        assert helper_pid is not None
        before = psutil.Process(helper_pid).cpu_times().user
        helped = read()
        assert psutil.Process(helper_pid).cpu_times().user > before + 0.2  # it did a share
    finally:
        cpu_split.stop()
    assert len(alone) > 30
    assert helped == alone


def _helper_of_this_worker() -> int | None:
    # The worker's first split_map starts its helper (mapping in place meanwhile).
    assert cpu_split.split_map(_square_where, [1, 2]) == [(1, os.getpid()), (4, os.getpid())]
    deadline = time.monotonic() + READY_S
    while cpu_split.helper_pid() is not None and not cpu_split.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    return cpu_split.helper_pid() if cpu_split.ready() else None


async def test_a_worker_with_two_cores_has_a_helper_that_ends_with_the_pool() -> None:
    cpu = CpuPool(1, ocr_threads=2)
    try:
        helper_pid = await cpu.run(_helper_of_this_worker)
        assert helper_pid is not None
        assert helper_pid in {p.pid for p in psutil.Process(cpu.pids()[0]).children()}
    finally:
        await cpu.close()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(helper_pid) and psutil.Process(helper_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the helper outlived its worker"
        await asyncio.sleep(0.1)


async def test_a_worker_with_one_core_has_no_helper() -> None:
    cpu = CpuPool(1, ocr_threads=1)
    try:
        assert await cpu.run(_helper_of_this_worker) is None
    finally:
        await cpu.close()
