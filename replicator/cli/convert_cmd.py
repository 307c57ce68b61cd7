"""``replicator convert INPUT... -o OUT_DIR``: batch conversion through the one pipeline."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import InputError
from . import EXIT_FAILED, command
from ._common import concurrency_option, load_settings, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from ..batch import BatchItem
    from ..batch.runner import BatchOptions
    from ..config import Settings

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a run stopped by Ctrl-C


@command("convert")
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
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        metavar="local|glm",
        help="Model backend.",
        show_default="REPLICATOR_BACKEND, else local",
    ),
    refine_rounds: int | None = typer.Option(
        None,
        "--refine-rounds",
        min=0,
        max=10,
        metavar="N",
        help="Refinement rounds at most.",
        show_default="REPLICATOR_REFINE_ROUNDS, else 1",
    ),
    target_score: float | None = typer.Option(
        None,
        "--target-score",
        min=0,
        max=100,
        metavar="SCORE",
        help="Stop refining once a candidate scores this.",
        show_default="REPLICATOR_TARGET_SCORE, else 90",
    ),
    mode: str | None = typer.Option(
        None,
        "--mode",
        metavar="static|interactive",
        help="static: scripts removed; interactive: scripts kept, sandboxed.",
        show_default="REPLICATOR_OUTPUT_MODE, else interactive",
    ),
    viewport: str | None = typer.Option(
        None,
        "--viewport",
        metavar="WxH",
        help="Render at this size (e.g. 1280x800).",
        show_default="each source's own size",
    ),
    stack: str = typer.Option(
        "html-css",
        "--stack",
        "-s",
        metavar="STACK",
        help="The code to write: html-css, html-tailwind, bootstrap, react-tailwind (NAME.jsx) "
        "or vue-tailwind (NAME.vue). NAME.html is always the self-contained preview.",
    ),
    variants: int = typer.Option(
        1,
        "--variants",
        min=1,
        max=4,
        metavar="N",
        help="Candidates per item (1-4), each rendered and scored; the best is refined and written.",
    ),
    concurrency: int | None = concurrency_option("Items converted"),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Skip items whose outputs are complete (same file, same options); redo the rest.",
    ),
    fail_under: float | None = typer.Option(
        None,
        "--fail-under",
        min=0,
        max=100,
        metavar="SCORE",
        help="Exit 1 if any item's score is below this.",
    ),
) -> None:
    """Convert screenshots and recordings to HTML, with a report.

    Writes NAME.html, NAME.render.png, NAME.diff.png and NAME.json per item (and the code in the
    chosen stack: NAME.jsx, NAME.vue, NAME.tailwind.html or NAME.bootstrap.html), and report.json and
    report.html for the batch.
    """
    from ..batch import discover_inputs, parse_viewport
    from ..config import usable_cores

    if mode is not None and mode not in ("static", "interactive"):
        raise typer.BadParameter("must be 'static' or 'interactive'", param_hint="--mode")
    from ..stacks import STACK_NAMES

    if stack not in STACK_NAMES:
        raise typer.BadParameter(f"must be one of {', '.join(STACK_NAMES)}", param_hint="--stack")
    if backend is not None and backend not in ("local", "glm"):
        raise typer.BadParameter("must be 'local' or 'glm'", param_hint="--backend")
    size = parse_viewport(viewport, where="--viewport") if viewport else None
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder.")
    settings = load_settings(
        backend=backend, refine_rounds=refine_rounds, target_score=target_score, output_mode=mode
    )
    items = discover_inputs(inputs, exclude=out_dir)
    settings.resolve_chromium()  # no browser: say so now, not after the first item

    from ..batch.runner import BatchOptions

    # An item keeps about one core busy (OCR, layout analysis and scoring in a worker process,
    # Chromium beside it), so one item per core keeps the machine busy; the model provider's
    # own limit (REPLICATOR_GLM_CONCURRENCY) still bounds the requests in flight.
    jobs = concurrency or usable_cores()
    options = BatchOptions(
        out_dir=out_dir,
        backend=settings.backend,
        mode=settings.output_mode,
        refine_rounds=settings.refine_rounds,
        target_score=settings.target_score,
        viewport=size,
        concurrency=jobs,
        resume=resume,
        fail_under=fail_under,
        stack=stack,
        variants=variants,
    )
    code = asyncio.run(_convert(_for_items(settings, len(items)), items, options, stdout_console()))
    raise typer.Exit(code)


def _for_items(settings: Settings, count: int) -> Settings:
    """The settings for converting ``count`` items.

    A single item runs the CPU stages in threads of this process: a worker process would first
    have to start and load its own copy of the models (about 1.5 s of a 5 s item), which pays only
    over many items. REPLICATOR_CPU_WORKERS or REPLICATOR_OCR_THREADS, when set, keep the workers
    they describe.
    """
    if count == 1 and settings.cpu_workers is None and settings.ocr_threads is None:
        return settings.model_copy(update={"cpu_workers": 0})
    return settings


async def _convert(
    settings: Settings, items: list[BatchItem], options: BatchOptions, console: Console
) -> int:
    from ..batch.runner import BatchRunner
    from ..runtime import Runtime
    from .convert_progress import PlainProgress, RichProgress

    display = RichProgress(console, len(items)) if console.is_terminal else PlainProgress(console, len(items))
    # Not ``async with``: that would wait for the browser; the runner starts it beside the first item.
    runtime = Runtime(settings, parallelism=min(options.concurrency, len(items)))
    try:
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
    finally:
        await runtime.close()

    summary = report.summary()
    parts = [f"{summary['succeeded']} succeeded", f"{summary['failed']} failed"]
    if summary["resumed"]:
        parts.append(f"{summary['resumed']} from an earlier run")
    if summary["pending"] or summary["cancelled"]:
        parts.append(f"{summary['pending'] + summary['cancelled']} not done")
    if summary["mean_score"] is not None:
        parts.append(f"mean score {summary['mean_score']:.1f}")
    fail_under = options.fail_under
    if fail_under is not None and summary["below_fail_under"]:
        parts.append(f"{summary['below_fail_under']} under --fail-under {fail_under:g}")
    console.print(
        ", ".join(parts) + f". Report: {options.out_dir / 'report.html'}", highlight=False, soft_wrap=True
    )
    if runner.fatal is not None:
        console.print("Stopped early: every remaining item would fail the same way.", highlight=False)
        raise runner.fatal  # the CLI's error boundary prints it with its exit code
    if report.interrupted:
        console.print("Interrupted: run the same command with --resume to finish.", highlight=False)
        return EXIT_INTERRUPTED
    return 0 if report.all_succeeded else EXIT_FAILED
