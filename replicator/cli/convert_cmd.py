"""``replicator convert INPUT... -o OUT_DIR``: batch conversion through the one pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..batch import BatchItem, ItemRecord, discover_inputs, parse_viewport
from ..config import Settings, usable_cores
from ..errors import InputError
from . import EXIT_FAILED, app
from ._common import concurrency_option, load_settings, stdout_console

if TYPE_CHECKING:
    from ..pipeline import RunOptions

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a run stopped by Ctrl-C


@app.command("convert")
def convert(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT",
        help="Screenshots, recordings, folders (walked recursively), glob patterns or manifests (.csv/.jsonl).",
        show_default=False,
    ),
    out_dir: Path = typer.Option(
        ..., "--out", "-o", metavar="OUT_DIR", help="Folder for the outputs and the report."
    ),
    backend: str | None = typer.Option(None, "--backend", "-b", help="Model backend: local or glm."),
    refine_rounds: int | None = typer.Option(
        None, "--refine-rounds", min=0, max=10, help="Refinement rounds at most."
    ),
    target_score: float | None = typer.Option(
        None, "--target-score", min=0, max=100, help="Stop refining once a candidate scores this."
    ),
    mode: str | None = typer.Option(
        None, "--mode", help="static (scripts removed) or interactive (scripts kept, sandboxed)."
    ),
    viewport: str | None = typer.Option(
        None, "--viewport", help="Render at WIDTHxHEIGHT instead of each source's own size."
    ),
    concurrency: int | None = concurrency_option("Items converted"),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Skip items whose outputs are complete (same file, same options); redo the rest.",
    ),
    fail_under: float | None = typer.Option(
        None, "--fail-under", min=0, max=100, help="Exit 1 if any item's score is below this."
    ),
) -> None:
    """Convert many screenshots or recordings to HTML; writes NAME.html/.render.png/.diff.png/.json and a report."""
    if mode is not None and mode not in ("static", "interactive"):
        raise typer.BadParameter("must be 'static' or 'interactive'", param_hint="--mode")
    if backend is not None and backend not in ("local", "glm"):
        raise typer.BadParameter("must be 'local' or 'glm'", param_hint="--backend")
    size = parse_viewport(viewport, where="--viewport") if viewport else None
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder.")
    settings = load_settings(
        backend=backend, refine_rounds=refine_rounds, target_score=target_score, output_mode=mode
    )
    items = discover_inputs(inputs, exclude=out_dir)

    from ..pipeline import RunOptions

    run = RunOptions(
        refine_rounds=settings.refine_rounds,
        target_score=settings.target_score,
        mode=settings.output_mode,
        viewport=size,
    )
    console = stdout_console()
    # An item keeps about one core busy (OCR, layout analysis and scoring in a worker process,
    # Chromium beside it), so one item per core keeps the machine busy; the model provider's
    # own limit (REPLICATOR_GLM_CONCURRENCY) still bounds the requests in flight.
    jobs = concurrency or usable_cores()
    code = asyncio.run(_convert(settings, items, out_dir, run, jobs, resume, fail_under, console))
    raise typer.Exit(code)


async def _convert(
    settings: Settings,
    items: list[BatchItem],
    out_dir: Path,
    run: RunOptions,
    concurrency: int,
    resume: bool,
    fail_under: float | None,
    console: Console,
) -> int:
    from ..batch.runner import BatchOptions, BatchRunner
    from ..runtime import Runtime

    options = BatchOptions(
        out_dir=out_dir,
        backend=settings.backend,
        run=run,
        concurrency=concurrency,
        resume=resume,
        fail_under=fail_under,
    )
    display = RichProgress(console) if console.is_terminal else PlainProgress(console)
    async with Runtime(settings, parallelism=concurrency) as runtime:
        runner = BatchRunner(runtime, items, options, observer=display)
        loop = asyncio.get_running_loop()
        # Ctrl-C: stop taking items, finish running ones; again: cancel them. SIGTERM cancels at once.
        # Either way the runner writes a valid report before it returns.
        loop.add_signal_handler(signal.SIGINT, runner.request_stop)
        loop.add_signal_handler(signal.SIGTERM, lambda: runner.request_stop(cancel_running=True))
        try:
            with display:
                report = await runner.run()
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)

    summary = report.summary()
    parts = [f"{summary['succeeded']} succeeded", f"{summary['failed']} failed"]
    if summary["resumed"]:
        parts.append(f"{summary['resumed']} from an earlier run")
    if summary["pending"] or summary["cancelled"]:
        parts.append(f"{summary['pending'] + summary['cancelled']} not done")
    if summary["mean_score"] is not None:
        parts.append(f"mean score {summary['mean_score']:.1f}")
    if fail_under is not None and summary["below_fail_under"]:
        parts.append(f"{summary['below_fail_under']} under --fail-under {fail_under:g}")
    console.print(", ".join(parts) + f". Report: {out_dir / 'report.html'}", highlight=False, soft_wrap=True)
    if runner.fatal is not None:
        console.print("Stopped early: every remaining item would fail the same way.", highlight=False)
        raise runner.fatal  # the CLI's error boundary prints it with its exit code
    if report.interrupted:
        console.print("Interrupted: run the same command with --resume to finish.", highlight=False)
        return EXIT_INTERRUPTED
    return 0 if report.all_succeeded else EXIT_FAILED


def _describe(record: ItemRecord) -> str:
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

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
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
        self._line(f"[{self.done}/{self.total}] {word} {item.name}: {_describe(record)}")

    def stopping(self, message: str) -> None:
        self._line(message)


class RichProgress:
    """A live progress bar: done/failed, what each running item is doing, rate and ETA."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stages]}", style="dim"),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("Converting", total=None, failed=0, rate="", stages="")
        self.stages: dict[str, str] = {}
        self.failed = 0
        self.converted = 0
        self.started = time.monotonic()

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _refresh(self) -> None:
        minutes = (time.monotonic() - self.started) / 60
        rate = f"{self.converted / minutes:.1f}/min" if self.converted and minutes > 0 else ""
        stages = "  ".join(f"{name}: {stage}" for name, stage in list(self.stages.items())[:4])
        self.progress.update(self.task, failed=self.failed, rate=rate, stages=stages)

    def batch_started(self, total: int, resumed: int) -> None:
        self.progress.update(self.task, total=total, completed=resumed)
        self.started = time.monotonic()

    def item_started(self, item: BatchItem) -> None:
        self.stages[item.name] = "intake"
        self._refresh()

    def item_stage(self, item: BatchItem, stage: str) -> None:
        self.stages[item.name] = stage
        self._refresh()

    def item_finished(self, item: BatchItem, record: ItemRecord) -> None:
        self.stages.pop(item.name, None)
        self.converted += 1
        if record.status != "ok":
            self.failed += 1
            self.progress.console.print(
                f"[red]FAILED[/] {escape(item.name)}: {escape(_describe(record))}",
                highlight=False,
                soft_wrap=True,
            )
        self.progress.advance(self.task)
        self._refresh()

    def stopping(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{escape(message)}[/]")
        with contextlib.suppress(KeyError):
            self.progress.update(self.task, description="Stopping")
