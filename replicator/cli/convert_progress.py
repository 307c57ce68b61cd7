"""What ``replicator convert`` shows while it works: a live bar in a terminal, log lines elsewhere."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from ..batch import BatchItem, ItemRecord


def describe(record: ItemRecord) -> str:
    """An item's outcome in a few words: its score and time, or its error."""
    if record.status == "ok" and record.score:
        return f"score {record.score['overall']:.1f}" + (
            f" ({record.elapsed_s:.1f}s)" if record.elapsed_s else ""
        )
    if record.error:
        during = f" during {record.stage}" if record.stage else ""
        return f"{record.error['message']} [{record.error['code']}]{during}"
    return record.status


class PlainProgress:
    """One log line per event worth a line: for CI logs and pipes."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.failed = 0

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def batch_started(self, total: int, resumed: int) -> None:
        self.total, self.done = total, resumed
        already = f" ({resumed} already complete)" if resumed else ""
        self._line(f"Converting {total - resumed} of {total} item(s){already}.")

    def item_started(self, item: BatchItem) -> None:
        self._line(f"[{self.done}/{self.total}] start {item.name} ({item.path})")

    def item_stage(self, item: BatchItem, stage: str) -> None:
        return None  # stage changes are too chatty for a log

    def item_finished(self, item: BatchItem, record: ItemRecord) -> None:
        self.done += 1
        if record.status != "ok":
            self.failed += 1
        word = {"ok": "ok", "failed": "FAILED", "cancelled": "cancelled"}.get(record.status, record.status)
        self._line(f"[{self.done}/{self.total}] {word} {item.name}: {describe(record)}")

    def stopping(self, message: str) -> None:
        self._line(message)


class RichProgress:
    """A live progress bar: items done of the total (known from the start), failures, what each
    running item is doing, and, once an item has been converted, the rate and the time left.

    The rate counts converted items only: a file refused in a millisecond says nothing about how
    long the next one takes, so failures and items resumed from an earlier run do not enter it.
    """

    def __init__(self, console: Console, total: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._now = clock
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[pace]}"),
            TextColumn("{task.fields[stages]}", style="dim"),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("Converting", total=total, failed="", pace="", stages="")
        self.total = total
        self.done = 0
        self.stages: dict[str, str] = {}
        self.failed = 0
        self.converted = 0
        self.started = self._now()

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def pace(self) -> str:
        """``12.0/min, ETA 0:45`` once an item has been converted in this run; empty before."""
        elapsed = self._now() - self.started
        if not self.converted or elapsed <= 0:
            return ""
        per_item = elapsed / self.converted
        left = max(0, self.total - self.done)
        eta = f", ETA {_clock(per_item * left)}" if left else ""
        return f"{60 / per_item:.1f}/min{eta}"

    def _refresh(self) -> None:
        stages = "  ".join(f"{name}: {stage}" for name, stage in list(self.stages.items())[:4])
        failed = f"{self.failed} failed" if self.failed else ""
        self.progress.update(self.task, failed=failed, pace=self.pace(), stages=stages)

    def batch_started(self, total: int, resumed: int) -> None:
        self.total, self.done = total, resumed
        self.progress.update(self.task, total=total, completed=resumed)
        self.started = self._now()

    def item_started(self, item: BatchItem) -> None:
        self.stages[item.name] = "intake"
        self._refresh()

    def item_stage(self, item: BatchItem, stage: str) -> None:
        self.stages[item.name] = stage
        self._refresh()

    def item_finished(self, item: BatchItem, record: ItemRecord) -> None:
        self.stages.pop(item.name, None)
        self.done += 1
        if record.status == "ok":
            self.converted += 1
        else:
            self.failed += 1
            self.progress.console.print(
                f"[red]FAILED[/] {escape(item.name)}: {escape(describe(record))}",
                highlight=False,
                soft_wrap=True,
            )
        self.progress.advance(self.task)
        self._refresh()

    def stopping(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{escape(message)}[/]")
        with contextlib.suppress(KeyError):
            self.progress.update(self.task, description="Stopping")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
