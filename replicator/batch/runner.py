"""The batch runner: many inputs through the one pipeline, a bounded number at a time.

Per item it writes ``NAME.html``, ``NAME.render.png``, ``NAME.diff.png`` and, last, ``NAME.json``;
``NAME.json`` is the mark of a complete item, so ``resume`` skips exactly the items whose outputs
are all there and were made from the same file with the same options. The model's raw answer is
kept in ``.work/NAME/`` until the item completes, so redoing a partial item never pays for a second
generation. The report is rewritten after every item.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigurationError, ProviderAccountError, ProviderAuthError, ReplicatorError
from ..intake import load_source
from .inputs import BatchItem
from .report import ITEM_OUTPUTS, BatchReport, ItemRecord, now_iso, write_atomic

if TYPE_CHECKING:
    from ..models import Result, Viewport
    from ..pipeline import PipelineEvent, RunOptions
    from ..runtime import Runtime

log = logging.getLogger(__name__)

ITEM_VERSION = 1
WORK_DIR = ".work"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
# Errors that every later item would hit too (a bad key, a locked account, a broken set-up): the
# batch stops taking items instead of failing each one the same way.
BATCH_FATAL = (ConfigurationError, ProviderAuthError, ProviderAccountError)


@dataclass(frozen=True)
class BatchOptions:
    """The batch's options; a manifest may override ``mode``, ``refine_rounds``, ``target_score`` and
    ``viewport`` per item."""

    out_dir: Path
    backend: str
    mode: str = "interactive"
    refine_rounds: int = 1
    target_score: float = 90.0
    viewport: Viewport | None = None  # None: each source's own size
    concurrency: int = 1
    resume: bool = False
    fail_under: float | None = None
    stack: str = "html-css"
    variants: int = 1


class BatchObserver(Protocol):
    """What a progress display hears from the runner."""

    def batch_started(self, total: int, resumed: int) -> None: ...

    def item_started(self, item: BatchItem) -> None: ...

    def item_stage(self, item: BatchItem, stage: str) -> None: ...

    def item_finished(self, item: BatchItem, record: ItemRecord) -> None: ...

    def stopping(self, message: str) -> None: ...


class _Silent:
    def batch_started(self, total: int, resumed: int) -> None: ...

    def item_started(self, item: BatchItem) -> None: ...

    def item_stage(self, item: BatchItem, stage: str) -> None: ...

    def item_finished(self, item: BatchItem, record: ItemRecord) -> None: ...

    def stopping(self, message: str) -> None: ...


class FolderStore:
    """A StageStore in a folder: the pipeline's stage outputs for one item, kept across runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None

    def save(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / name, data)


class BatchRunner:
    """Runs ``items`` through ``runtime``'s pipeline; ``request_stop`` is what Ctrl-C calls."""

    def __init__(
        self,
        runtime: Runtime,
        items: list[BatchItem],
        options: BatchOptions,
        *,
        observer: BatchObserver | None = None,
    ) -> None:
        self.runtime = runtime
        self.items = items
        self.options = options
        self.observer: BatchObserver = observer or _Silent()
        self.records = {item.name: _pending_record(item, options.out_dir) for item in items}
        self.report = BatchReport(
            out_dir=options.out_dir,
            options=_batch_options(options),
            items=list(self.records.values()),
            fail_under=options.fail_under,
        )
        self._stop_requested = 0
        self.fatal: ReplicatorError | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._report_lock = asyncio.Lock()

    @property
    def stopping(self) -> bool:
        return self._stop_requested > 0

    def request_stop(self, *, cancel_running: bool = False) -> None:
        """First call: take no new items, let running ones finish. Second call: cancel them too."""
        self._stop_requested += 1
        if cancel_running or self._stop_requested > 1:
            if self._running:
                self.observer.stopping(f"Cancelling {len(self._running)} running item(s).")
            for task in self._running.values():
                task.cancel()
        else:
            self.observer.stopping(
                f"Stopping: finishing {len(self._running)} running item(s); press Ctrl-C again to cancel them."
            )

    async def run(self) -> BatchReport:
        out_dir = self.options.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        # The browser, OCR (or the CPU workers) and the backend get ready while the first items are
        # read; an item waits for each only where it needs it. A backend that cannot be built fails
        # the first item with a batch-fatal error, which stops the batch.
        self.runtime.prepare(self.options.backend)
        todo: list[BatchItem] = []
        for item in self.items:
            done = await asyncio.to_thread(self._completed_record, item) if self.options.resume else None
            if done is not None:
                self.records[item.name] = done
            else:
                todo.append(item)
        self._sync_report()
        await self._write_report()
        self.observer.batch_started(len(self.items), len(self.items) - len(todo))

        queue: asyncio.Queue[BatchItem] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        workers = [
            asyncio.create_task(self._worker(queue))
            for _ in range(max(1, min(self.options.concurrency, len(todo))))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            self.report.interrupted = (self.stopping and self.fatal is None) or any(
                r.status in ("pending", "running", "cancelled") for r in self.records.values()
            )
            self.report.finished = not self.report.interrupted
            for record in self.records.values():
                if record.status == "running":
                    record.status = "cancelled"
            await self._write_report()
            with contextlib.suppress(OSError):
                (out_dir / WORK_DIR).rmdir()  # only when no partial item keeps its stage outputs there
        return self.report

    async def _worker(self, queue: asyncio.Queue[BatchItem]) -> None:
        while not self.stopping:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            task = asyncio.create_task(self._convert(item))
            self._running[item.name] = task
            try:
                await asyncio.wait([task])
            finally:
                self._running.pop(item.name, None)
            record = self.records[item.name]
            if task.cancelled():
                record.status = "cancelled"
                record.error = {"code": "cancelled", "message": "Interrupted before it finished."}
            self.observer.item_finished(item, record)
            await self._write_report()

    async def _convert(self, item: BatchItem) -> None:
        record = self.records[item.name]
        record.status, record.stage, record.error = "running", "intake", None
        self.observer.item_started(item)
        started = time.perf_counter()
        out_dir = self.options.out_dir
        try:
            # The completion mark goes first: from here until it is rewritten, the item is partial.
            (out_dir / f"{item.name}.json").unlink(missing_ok=True)
            self.observer.item_stage(item, "intake")
            t0 = time.perf_counter()
            sha = await asyncio.to_thread(_file_sha256, item.path)
            source = await asyncio.to_thread(load_source, item.path, self.runtime.settings)
            intake_ms = (time.perf_counter() - t0) * 1000
            store = self._work_store(item, sha)

            def on_event(event: PipelineEvent) -> None:
                if event.kind == "stage":
                    record.stage = str(event.data.get("stage"))
                    self.observer.item_stage(item, record.stage)

            pipeline = await self.runtime.pipeline(self.options.backend)
            result = await pipeline.run(source, self._run_options(item), events=on_event, store=store)
            record.stage = "write"
            self.observer.item_stage(item, "write")
            elapsed = time.perf_counter() - started
            await asyncio.to_thread(self._write_outputs, item, sha, result, intake_ms, elapsed)
            shutil.rmtree(store.folder, ignore_errors=True)
        except ReplicatorError as exc:
            record.status, record.error = "failed", {"code": exc.code, "message": exc.message}
            log.info("%s failed during %s: %s", item.path, record.stage, exc.message)
            if isinstance(exc, BATCH_FATAL) and self.fatal is None:
                self.fatal = exc
                self._stop_requested += 1
        except OSError as exc:
            record.status = "failed"
            record.error = {
                "code": "unreadable",
                "message": f"The file cannot be read: {exc.strerror or exc}.",
            }
        except Exception as exc:
            # The item's error boundary: an unexpected failure in one input must not cost the rest of
            # a long batch. It is named in the report; the traceback is logged for -v.
            log.warning("%s failed unexpectedly during %s (-v shows the traceback)", item.path, record.stage)
            log.info("traceback of %s", item.path, exc_info=True)
            record.status = "failed"
            record.error = {
                "code": "internal_error",
                "message": f"Unexpected error: {type(exc).__name__}: {exc}",
            }
        record.elapsed_s = round(time.perf_counter() - started, 2)

    def _run_options(self, item: BatchItem) -> RunOptions:
        from ..pipeline import RunOptions  # imported by now: the item has its pipeline

        base, o = self.options, item.options
        return RunOptions(
            viewport=o.viewport or base.viewport,
            mode=o.mode or base.mode,  # type: ignore[arg-type]
            refine_rounds=base.refine_rounds if o.refine_rounds is None else o.refine_rounds,
            target_score=base.target_score if o.target_score is None else o.target_score,
            stack=base.stack,
            variants=base.variants,
        )

    def _fingerprint(self, item: BatchItem) -> dict[str, Any]:
        """The options an item's outputs depend on; resume redoes an item made with other ones."""
        base, o = self.options, item.options
        viewport = o.viewport or base.viewport
        return {
            "backend": base.backend,
            "mode": o.mode or base.mode,
            "refine_rounds": base.refine_rounds if o.refine_rounds is None else o.refine_rounds,
            "target_score": base.target_score if o.target_score is None else o.target_score,
            "viewport": f"{viewport.width}x{viewport.height}" if viewport else None,
            "stack": base.stack,
            "variants": base.variants,
        }

    def _work_store(self, item: BatchItem, sha: str) -> FolderStore:
        folder = self.options.out_dir / WORK_DIR / item.name
        stamp = folder / "source.sha256"
        if folder.exists() and (not stamp.is_file() or stamp.read_text() != sha):
            shutil.rmtree(folder, ignore_errors=True)  # kept for another file: nothing to reuse
        store = FolderStore(folder)
        store.save("source.sha256", sha.encode())
        return store

    def _write_outputs(
        self, item: BatchItem, sha: str, result: Result, intake_ms: float, elapsed: float
    ) -> None:
        out_dir, best = self.options.out_dir, result.best
        write_atomic(out_dir / f"{item.name}.html", best.page.html.encode())
        write_atomic(out_dir / f"{item.name}.render.png", best.render.png)
        write_atomic(out_dir / f"{item.name}.diff.png", best.score.heatmap_png)
        code_name = code_file(item.name, best.stack)
        if code_name:
            write_atomic(out_dir / code_name, best.code.encode())
        usage = {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "cost_usd": round(result.usage.cost_usd, 6),
        }
        data = {
            "version": ITEM_VERSION,
            "name": item.name,
            "source": {
                "path": str(item.path),
                "sha256": sha,
                "kind": result.source.kind,
                "media_type": result.source.media_type,
                "width": result.source.width,
                "height": result.source.height,
            },
            "options": self._fingerprint(item),
            "backend": result.backend,
            "score": best.score.breakdown(),
            "discrepancies": [
                {"kind": d.kind, "message": d.message, "weight": round(d.weight, 3)}
                for d in best.score.discrepancies[:10]
            ],
            "best_round": best.round,
            "candidates": [
                {"round": c.round, "variant": c.variant, "score": c.score.breakdown()}
                for c in result.candidates
            ],
            # Round 0's candidates' overall scores, in order, when more than one was made.
            "variants": [
                c.score.overall for c in sorted(result.candidates, key=lambda c: c.variant) if c.round == 0
            ]
            if sum(1 for c in result.candidates if c.round == 0) > 1
            else [],
            "interactions": best.interactions.to_dict() if best.interactions else None,
            "grounding": best.grounding.to_dict() if best.grounding else None,
            "removed_by_sanitizer": list(best.page.removed),
            "truncated": best.extraction.truncated,
            "timings_ms": {"intake": round(intake_ms, 1), **result.timings_ms},
            "usage": usage,
            "elapsed_s": round(elapsed, 2),
            "outputs": _outputs(item.name, best.stack),
            "stack": best.stack,
            "finished_at": now_iso(),
        }
        write_atomic(out_dir / f"{item.name}.json", (json.dumps(data, indent=2) + "\n").encode())
        record = self.records[item.name]
        _fill_record(record, data, self.options.fail_under)

    def _completed_record(self, item: BatchItem) -> ItemRecord | None:
        """The record of an item a previous run completed with the same file and options, else None."""
        out_dir = self.options.out_dir
        try:
            data = json.loads((out_dir / f"{item.name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != ITEM_VERSION:
            return None
        for suffix in ITEM_OUTPUTS:
            path = out_dir / f"{item.name}.{suffix}"
            if not path.is_file() or path.stat().st_size == 0:
                return None
        try:
            if data["source"]["sha256"] != _file_sha256(item.path) or data["options"] != self._fingerprint(
                item
            ):
                log.info("%s changed since its outputs were made: converting it again", item.path)
                return None
        except (KeyError, TypeError, OSError):
            return None
        record = _pending_record(item, out_dir)
        _fill_record(record, data, self.options.fail_under)
        record.resumed = True
        return record

    def _sync_report(self) -> None:
        self.report.items = [self.records[item.name] for item in self.items]

    async def _write_report(self) -> None:
        async with self._report_lock:
            await asyncio.to_thread(self.report.write)


def _fill_record(record: ItemRecord, data: dict[str, Any], fail_under: float | None) -> None:
    record.status = "ok"
    record.stage = None
    record.error = None
    record.score = data["score"]
    record.timings_ms = data.get("timings_ms", {})
    record.usage = data.get("usage")
    record.elapsed_s = data.get("elapsed_s")
    record.outputs = data.get("outputs", _outputs(record.name))
    record.variants = list(data.get("variants") or [])
    record.below_fail_under = fail_under is not None and float(data["score"]["overall"]) < fail_under
    report = data.get("interactions")
    record.interactions = (
        {
            "passed": report.get("passed", False),
            "score": report.get("score"),
            "worked": f"{report.get('transitions_worked', 0)}/{report.get('transitions_total', 0)}",
            "failures": [
                f"step {s['step']}{'' if s['phase'] == 'recorded' else ' (' + s['phase'] + ')'}: {s['reason']}"
                for s in report.get("steps", [])
                if not s.get("ok")
            ],
        }
        if report
        else None
    )


def _outputs(name: str, stack: str = "html-css") -> dict[str, str]:
    out = {suffix: urllib.parse.quote(f"{name}.{suffix}") for suffix in (*ITEM_OUTPUTS, "json")}
    code = code_file(name, stack)
    if code:
        out["code"] = urllib.parse.quote(code)
    return out


# The file an item's code goes to beside NAME.html (the self-contained preview), per stack.
_CODE_SUFFIXES = {
    "html-tailwind": "tailwind.html",
    "bootstrap": "bootstrap.html",
    "react-tailwind": "jsx",
    "vue-tailwind": "vue",
}


def code_file(name: str, stack: str) -> str | None:
    """``NAME.jsx``, ``NAME.vue``, ``NAME.tailwind.html``...; None for html-css (NAME.html is it)."""
    suffix = _CODE_SUFFIXES.get(stack)
    return f"{name}.{suffix}" if suffix else None


def _pending_record(item: BatchItem, out_dir: Path) -> ItemRecord:
    thumb = None
    if item.path.suffix.lower() in _IMAGE_SUFFIXES:
        thumb = urllib.parse.quote(Path(os.path.relpath(item.path.resolve(), out_dir.resolve())).as_posix())
    return ItemRecord(name=item.name, source=str(item.path), source_thumb=thumb)


def _batch_options(options: BatchOptions) -> dict[str, Any]:
    return {
        "backend": options.backend,
        "mode": options.mode,
        "refine_rounds": options.refine_rounds,
        "target_score": options.target_score,
        "viewport": f"{options.viewport.width}x{options.viewport.height}" if options.viewport else None,
        "concurrency": options.concurrency,
        "fail_under": options.fail_under,
        "stack": options.stack,
        "variants": options.variants,
    }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
