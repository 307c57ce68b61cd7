"""``replicator check DESIGN IMPLEMENTATION``: does the page still match the design? (CI gate)

Runs locally through ``replicator.check.run_check`` or, with ``--server``, through a running
service's ``POST /api/v1/checks``; the output and exit codes are the same either way.
"""

from __future__ import annotations

import asyncio
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import InputError, ReplicatorError, UnsupportedMedia
from ..models import SUBSCORES
from . import EXIT_FAILED, command
from ._common import concurrency_option, load_settings, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import Settings
    from ..models import Viewport

SHOWN_DISCREPANCIES = 5


@dataclass(frozen=True)
class CheckPair:
    name: str
    design: Path
    implementation: Path
    threshold: float
    viewport: Viewport | None = None
    min_subscores: dict[str, float] = field(default_factory=dict)


@dataclass
class PairOutcome:
    """One pair's verdict (``result`` as CheckResult.to_dict()) or the error that stopped it."""

    pair: CheckPair
    result: dict[str, Any] | None = None
    heatmap: bytes = b""
    error: dict[str, str] | None = None
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result is not None and bool(self.result["passed"])

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.pair.name,
            "design": str(self.pair.design),
            "implementation": str(self.pair.implementation),
        }
        if self.result is not None:
            body.update(self.result)
        else:
            body.update({"passed": False, "threshold": self.pair.threshold, "error": self.error})
        return body


@command("check")
def check(
    design: Path | None = typer.Argument(
        None,
        metavar="DESIGN",
        help="The design: a PNG, JPEG or WebP image (not a recording).",
        show_default=False,
    ),
    implementation: Path | None = typer.Argument(
        None,
        metavar="IMPLEMENTATION",
        help="An HTML file, a folder with an index.html, or a screenshot of the built page.",
        show_default=False,
    ),
    min_score: float = typer.Option(
        0.0,
        "--min-score",
        min=0,
        max=100,
        metavar="SCORE",
        help="Fail (exit 1) when the score is below this; 0 only reports.",
    ),
    min_subscore: list[str] = typer.Option(
        [],
        "--min-subscore",
        metavar="NAME=SCORE",
        help="Also fail when this sub-score is below SCORE (repeatable; e.g. typography=90).",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    junit: Path | None = typer.Option(None, "--junit", metavar="FILE", help="Write a JUnit XML report."),
    diff: Path | None = typer.Option(
        None, "--diff", metavar="FILE", help="Write the heatmap PNG (with --manifest: a folder of them)."
    ),
    manifest: Path | None = typer.Option(
        None, "--manifest", metavar="FILE", help="Check many pairs: CSV or JSONL with design, implementation."
    ),
    viewport: str | None = typer.Option(
        None,
        "--viewport",
        metavar="WxH",
        help="Render HTML at this size (e.g. 1280x800).",
        show_default="the design's size",
    ),
    concurrency: int | None = concurrency_option("Pairs of a manifest checked"),
    server: str | None = typer.Option(
        None, "--server", metavar="URL", help="Check through a running service instead of locally."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        metavar="TOKEN",
        envvar="REPLICATOR_API_TOKEN",
        help="Bearer token for --server.",
        show_envvar=True,
    ),
) -> None:
    """Check an implementation against its design image (a CI gate).

    The implementation is rendered at the design's size and scored against it; the exit code is 1
    when the score is below --min-score (or a sub-score below its --min-subscore).
    """
    from ..batch.inputs import parse_viewport
    from ..check import parse_subscore_gates
    from ..config import usable_cores

    size = parse_viewport(viewport, where="--viewport") if viewport else None
    try:
        gates = parse_subscore_gates(min_subscore)
    except InputError as exc:
        raise typer.BadParameter(exc.message, param_hint="--min-subscore") from exc
    if manifest is not None:
        if design is not None or implementation is not None:
            raise typer.BadParameter(
                "give DESIGN IMPLEMENTATION or --manifest, not both", param_hint="--manifest"
            )
        pairs = read_check_manifest(manifest, default_threshold=min_score, viewport=size, gates=gates)
    elif design is None or implementation is None:
        raise typer.BadParameter("give DESIGN and IMPLEMENTATION (or --manifest FILE)", param_hint="DESIGN")
    else:
        for path in (design, implementation):
            if not path.exists():
                raise InputError(f"{path} does not exist.")
        name = f"{design.name} vs {implementation.name}"
        pairs = [CheckPair(name, design, implementation, min_score, size, gates)]
        check_media(pairs[0])  # before anything starts
    settings = load_settings()
    single = manifest is None
    jobs = min(concurrency or usable_cores(), len(pairs))
    outcomes = asyncio.run(
        _run_pairs(
            settings,
            pairs,
            server=server,
            token=token,
            raise_errors=single,
            heatmaps=diff is not None,
            concurrency=jobs,
        )
    )

    console = stdout_console()
    if as_json:
        payload: Any = outcomes[0].to_dict() if single else _manifest_json(outcomes)
        typer.echo(json.dumps(payload, indent=2))
    else:
        for outcome in outcomes:
            print_outcome(console, outcome)
        if not single:
            passed = sum(o.passed for o in outcomes)
            console.print(f"{passed} of {len(outcomes)} checks passed.", highlight=False)
    if junit is not None:
        write_junit(junit, outcomes)
    if diff is not None:
        _write_heatmaps(diff, outcomes, single=single)
    raise typer.Exit(0 if all(o.passed for o in outcomes) else EXIT_FAILED)


def read_check_manifest(
    path: Path, *, default_threshold: float, viewport: Viewport | None, gates: dict[str, float] | None = None
) -> list[CheckPair]:
    """Pairs from a CSV/JSONL manifest: design, implementation, optional name, min_score, viewport."""
    from ..batch.inputs import manifest_rows, parse_viewport

    known = {"design", "implementation", "name", "min_score", "viewport"}
    pairs: list[CheckPair] = []
    for line_no, row in manifest_rows(path):
        where = f"{path}, line {line_no}"
        unknown = sorted(set(row) - known)
        if unknown:
            raise InputError(
                f"{where}: unknown column {', '.join(unknown)} (known: {', '.join(sorted(known))})."
            )
        if not row.get("design") or not row.get("implementation"):
            raise InputError(f"{where}: each line needs a design and an implementation.")
        design, impl = (_relative_to(path, str(row[k])) for k in ("design", "implementation"))
        try:
            threshold = (
                float(row["min_score"]) if row.get("min_score") not in (None, "") else default_threshold
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: min_score must be a number.") from exc
        if not 0 <= threshold <= 100:
            raise InputError(f"{where}: min_score must be between 0 and 100.")
        size = parse_viewport(str(row["viewport"]), where=where) if row.get("viewport") else viewport
        name = str(row.get("name") or f"{design.name} vs {impl.name}")
        pairs.append(CheckPair(name, design, impl, threshold, size, dict(gates or {})))
    if not pairs:
        raise InputError(f"The manifest {path} lists no pairs.")
    return pairs


def _relative_to(manifest: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else manifest.parent / path


async def _run_pairs(
    settings: Settings,
    pairs: list[CheckPair],
    *,
    server: str | None,
    token: str | None,
    raise_errors: bool,
    heatmaps: bool,
    concurrency: int = 1,
) -> list[PairOutcome]:
    """Every pair's outcome, in the pairs' order, ``concurrency`` of them in flight at once."""
    gate = asyncio.Semaphore(concurrency)

    async def each(checker: Any) -> list[PairOutcome]:
        async def bounded(pair: CheckPair) -> PairOutcome:
            async with gate:
                return await _one(pair, checker, raise_errors)

        return list(await asyncio.gather(*(bounded(pair) for pair in pairs)))

    if server is not None:
        from .check_remote import RemoteChecker

        async with RemoteChecker(server, token=token, fetch_heatmaps=heatmaps) as remote:
            return await each(remote.check)

    from ..check import CheckTarget, run_check
    from ..intake import image_source
    from ..runtime import Runtime

    async def local(pair: CheckPair) -> tuple[dict[str, Any], bytes]:
        data = await asyncio.to_thread(_read_file, pair.design)
        source = await asyncio.to_thread(image_source, data, settings)
        target = await asyncio.to_thread(CheckTarget.from_path, pair.implementation)
        result = await run_check(
            runtime,
            source,
            target,
            threshold=pair.threshold,
            viewport=pair.viewport,
            min_subscores=pair.min_subscores,
        )
        return result.to_dict(), result.score.heatmap_png

    if concurrency == 1:
        # One pair at a time: OCR in a thread of this process costs less than starting workers.
        settings = settings.model_copy(update={"cpu_workers": 0})
    async with Runtime(settings, parallelism=concurrency) as runtime:
        await runtime.warm_up()
        return await each(local)


def check_media(pair: CheckPair) -> None:
    """UnsupportedMedia unless the design is an image and the implementation no recording.

    A check compares a page with a picture of how it should look; a screen recording is neither
    (``replicator convert`` replicates recordings). Judged by content, as intake judges it.
    """
    from ..intake import IMAGE_TYPES, sniff_media_type

    for role, path in (("design", pair.design), ("implementation", pair.implementation)):
        if not path.is_file():
            continue  # a folder, or missing: judged where it is read
        with path.open("rb") as fh:
            kind = sniff_media_type(fh.read(64))
        if kind is not None and kind.startswith("video/"):
            raise UnsupportedMedia(
                f"{path} is a screen recording; replicator check compares a page with a design image "
                "(PNG, JPEG or WebP) and does not take recordings. Check against a screenshot of the "
                "design, or replicate the recording with replicator convert."
            )
        if role == "design" and kind not in IMAGE_TYPES:
            raise UnsupportedMedia(
                f"{path} is not a PNG, JPEG or WebP image; the design must be an image in one of those "
                "formats (judged by the file's content, not its name)."
            )


async def _one(pair: CheckPair, checker: Any, raise_errors: bool) -> PairOutcome:
    from ..check import gate_failures

    started = time.perf_counter()
    outcome = PairOutcome(pair)
    try:
        check_media(pair)
        outcome.result, outcome.heatmap = await checker(pair)
        # The verdict is this run's gates applied to the scores, wherever they were computed (a
        # service of an older version may not know sub-score gates).
        failures = gate_failures(outcome.result["score"], pair.threshold, pair.min_subscores)
        outcome.result.update(passed=not failures, failures=failures, min_subscores=dict(pair.min_subscores))
    except ReplicatorError as exc:
        if raise_errors:
            raise
        # In a manifest, one bad pair is that pair's error; the others are still checked.
        outcome.error = {"code": exc.code, "message": exc.message}
    outcome.elapsed_s = round(time.perf_counter() - started, 2)
    return outcome


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    return path.read_bytes()


# --- output -------------------------------------------------------------------------------------


def print_outcome(console: Console, outcome: PairOutcome) -> None:
    from rich.markup import escape
    from rich.table import Table

    title = escape(outcome.pair.name)
    if outcome.result is None:
        error = outcome.error or {}
        console.print(
            f"[bold red]ERROR[/] {title}: " + escape(f"{error.get('message', '')} [{error.get('code', '')}]")
        )
        return
    result = outcome.result
    score = result["score"]
    verdict = "[bold green]PASS[/]" if result["passed"] else "[bold red]FAIL[/]"
    gate = f" (min {result['threshold']:g})" if result["threshold"] else ""
    console.print(f"{verdict} {title}: score [bold]{score['overall']:.1f}[/]{gate}")
    unmet = [f for f in result.get("failures", []) if not f.startswith("overall ")]
    if unmet:
        console.print("Sub-score gates not met: " + escape("; ".join(unmet)), highlight=False)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    # A server of an older version may not report every sub-score: show what it sent.
    shown_keys = [k for k in SUBSCORES if k in score]
    for key in shown_keys:
        table.add_column(key.capitalize(), justify="right")
    table.add_row(*(f"{score[k]:.1f}" for k in shown_keys))
    console.print(table)
    shown = result.get("discrepancies", [])[:SHOWN_DISCREPANCIES]
    if shown:
        console.print("Top discrepancies:")
        for n, item in enumerate(shown, start=1):
            console.print(f"  {n}. " + escape(f"[{item['kind']}] {item['message']}"), highlight=False)


def _manifest_json(outcomes: list[PairOutcome]) -> dict[str, Any]:
    return {
        "passed": all(o.passed for o in outcomes),
        "total": len(outcomes),
        "failed": sum(not o.passed for o in outcomes),
        "results": [o.to_dict() for o in outcomes],
    }


def write_junit(path: Path, outcomes: list[PairOutcome]) -> None:
    """A JUnit XML report: one testcase per pair; a failure lists the discrepancies."""
    from ..batch import write_atomic

    failures = sum(1 for o in outcomes if o.result is not None and not o.passed)
    errors = sum(1 for o in outcomes if o.result is None)
    total_time = f"{sum(o.elapsed_s for o in outcomes):.3f}"
    counts = {
        "tests": str(len(outcomes)),
        "failures": str(failures),
        "errors": str(errors),
        "time": total_time,
    }
    root = ET.Element("testsuites", {"name": "replicator check", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "replicator check",
            **counts,
            "skipped": "0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": "replicator.check", "name": outcome.pair.name, "time": f"{outcome.elapsed_s:.3f}"},
        )
        result = outcome.result
        if result is None:
            error = outcome.error or {}
            ET.SubElement(case, "error", {"message": error.get("message", ""), "type": error.get("code", "")})
            continue
        score = result["score"]
        breakdown = ", ".join(f"{k} {v:.1f}" for k, v in score.items())
        lines = [
            f"{d['kind']}: {d['message']} (weight {d['weight']})" for d in result.get("discrepancies", [])
        ]
        if not result["passed"]:
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": "; ".join(result.get("failures") or [])
                    or f"score {score['overall']:.1f} is below {result['threshold']:g}",
                    "type": "below_threshold",
                },
            )
            failure.text = "\n".join([breakdown, *lines])
        ET.SubElement(case, "system-out").text = f"{breakdown}\n" + "\n".join(lines)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _write_heatmaps(target: Path, outcomes: list[PairOutcome], *, single: bool) -> None:
    from ..batch import safe_name, write_atomic

    if single:
        if outcomes[0].heatmap:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, outcomes[0].heatmap)
        return
    target.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for outcome in outcomes:
        if not outcome.heatmap:
            continue
        stem, n = safe_name(outcome.pair.name), 1
        name = stem
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        write_atomic(target / f"{name}.diff.png", outcome.heatmap)
