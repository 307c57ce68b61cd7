"""A job's artifacts: the pipeline's StageStore and the delivered files of a finished job, in a
folder (``FolderArtifactStore``, the default) or in PostgreSQL (``pg_artifacts``).

The artifacts of a job (``<data_dir>/jobs/<id>/`` in the folder store): ``upload`` (the original bytes, never named after the user's
file), ``source.png``, ``thumb.png``, the pipeline's stage outputs (``reference.bin``,
``answer-N.json``, ``page-N.html``, ``render-N.png``, ``diff-N.png``), and once the job succeeds
``page.html`` (the best candidate), ``render.png``, ``diff.png``, ``result.json`` and, for
recordings, ``state-source-N.png`` (key frames) and ``state-render-N.png`` (states reached).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from ..models import Candidate, Result, Source

# Artifact names are ours, never a user's: one flat folder, a fixed alphabet, no separators.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9]+)?$")
UPLOAD_NAME = "upload"
# An imported job's code (a person's page or component, scored against the uploaded design).
IMPORTED_CODE = "imported-code"
# The sha256 of a recording job's upload: the name of its normalized MP4 under ``recordings/``.
RECORDING_MARK = "recording.sha256"
THUMB_WIDTH = 360
CHUNK_BYTES = 1 << 20  # the piece size artifacts are streamed (and stored in PostgreSQL) in


class ArtifactStore(ABC):
    """The files of one job (or design check): the pipeline's ``StageStore`` (``load``/``save``) and
    what the API serves. Two implementations: a folder (the default, also right for workers that
    share a file system) and PostgreSQL (workers on machines that share only the database)."""

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def size(self, name: str) -> int | None:
        """Bytes in the artifact, or None when there is none."""

    @abstractmethod
    def load(self, name: str) -> bytes | None: ...

    @abstractmethod
    def save(self, name: str, data: bytes) -> None:
        """Replace the artifact as a whole: a reader sees the old bytes or the new ones, never a mix."""

    @abstractmethod
    def adopt(self, name: str, path: Path) -> None:
        """Take ownership of the local file at ``path`` (an upload) as this artifact; the file is
        moved or streamed in, and is gone afterwards."""

    @abstractmethod
    def export(self, name: str, path: Path) -> bool:
        """Copy the artifact to the local file ``path`` (streamed); False when there is none."""

    @abstractmethod
    def chunks(self, name: str) -> Iterator[bytes] | None:
        """The artifact's bytes in pieces, for serving it; None when there is none."""

    @abstractmethod
    def remove(self) -> None:
        """Delete every artifact of this job."""

    def save_json(self, name: str, data: Any) -> None:
        self.save(name, json.dumps(data, indent=2, sort_keys=True).encode())

    def load_json(self, name: str) -> Any:
        raw = self.load(name)
        return None if raw is None else json.loads(raw)


def checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not an artifact name: {name!r}")
    return name


class FolderArtifactStore(ArtifactStore):
    """Artifacts as files in one folder (``<data_dir>/jobs/<id>/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / checked_name(name)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int | None:
        try:
            return self.path(name).stat().st_size
        except FileNotFoundError:
            return None

    def load(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, name: str, data: bytes) -> None:
        """Write atomically: a reader (or a restart after a crash) sees the old file or the new one.

        No fsync: what we guard against is the process dying, not the machine losing power, and the
        pipeline calls this on the event loop, where an fsync could stall every request.
        """
        target = self.path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def adopt(self, name: str, path: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.replace(path, self.path(name))

    def export(self, name: str, path: Path) -> bool:
        try:
            shutil.copyfile(self.path(name), path)
        except FileNotFoundError:
            return False
        return True

    def chunks(self, name: str) -> Iterator[bytes] | None:
        try:
            fh = self.path(name).open("rb")
        except FileNotFoundError:
            return None

        def read() -> Iterator[bytes]:
            with fh:
                while block := fh.read(CHUNK_BYTES):
                    yield block

        return read()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ArtifactSpace(ABC):
    """Where every job's and design check's artifacts live: hands out one store per job or check."""

    @abstractmethod
    def job(self, job_id: str) -> ArtifactStore: ...

    @abstractmethod
    def check(self, check_id: str) -> ArtifactStore: ...

    @abstractmethod
    def all_named(self, name: str) -> list[bytes]:
        """The contents of the artifact ``name`` of every job that has one (small files only)."""

    @abstractmethod
    def prune_checks(self, before: float) -> int:
        """Delete design checks stored before the time ``before``; how many."""

    @abstractmethod
    def describe(self) -> str: ...

    def close(self) -> None:
        return None


class FolderArtifactSpace(ArtifactSpace):
    def __init__(self, data_dir: Path) -> None:
        self.jobs_dir = data_dir / "jobs"
        self.checks_dir = data_dir / "checks"  # design checks' heatmaps (pruned like jobs)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.checks_dir.mkdir(parents=True, exist_ok=True)

    def job(self, job_id: str) -> FolderArtifactStore:
        return FolderArtifactStore(self.jobs_dir / job_id)

    def check(self, check_id: str) -> FolderArtifactStore:
        return FolderArtifactStore(self.checks_dir / check_id)

    def all_named(self, name: str) -> list[bytes]:
        out = []
        for path in self.jobs_dir.glob(f"*/{checked_name(name)}"):
            with contextlib.suppress(OSError):
                out.append(path.read_bytes())
        return out

    def prune_checks(self, before: float) -> int:
        removed = 0
        for folder in self.checks_dir.glob("*"):
            with contextlib.suppress(OSError):
                if folder.stat().st_mtime < before:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
        return removed

    def describe(self) -> str:
        return f"folder {self.jobs_dir.parent}"


def write_source_artifacts(store: ArtifactStore, source: Source) -> None:
    """source.png, its thumbnail and, for recordings, each key frame and which normalized MP4 (in
    the data folder's ``recordings/``, shared by jobs on the same file) the job uses. Blocking."""
    if source.kind == "recording" and source.video_path is not None and not store.exists(RECORDING_MARK):
        store.save(RECORDING_MARK, source.sha256.encode())
    if not store.exists("source.png"):
        store.save("source.png", source.png)
    if not store.exists("thumb.png"):
        store.save("thumb.png", thumbnail(source.png))
    for state in source.states:
        name = f"state-source-{state.index}.png"
        if not store.exists(name):
            store.save(name, state.png)


def thumbnail(png: bytes, width: int = THUMB_WIDTH) -> bytes:
    """A small PNG of the top of a screenshot, for the history list."""
    with Image.open(io.BytesIO(png)) as opened:
        rgb = opened.convert("RGB")
    scale = width / rgb.width
    crop_height = min(rgb.height, int(width * 0.75 / scale))  # a 4:3 window from the top
    small = rgb.crop((0, 0, rgb.width, crop_height)).resize(
        (width, max(1, round(crop_height * scale))), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_result_artifacts(store: ArtifactStore, result: Result) -> dict[str, Any]:
    """Store the best candidate and result.json; return the result document. Blocking."""
    best = result.best
    store.save("page.html", best.page.html.encode())
    store.save(code_artifact(best.stack), (best.code or best.page.html).encode())
    for candidate in _variants(result):
        prefix = f"variant-{candidate.variant}"
        store.save(f"{prefix}-render.png", candidate.render.png)
        store.save(f"{prefix}-diff.png", candidate.score.heatmap_png)
        store.save(f"{prefix}-page.html", candidate.page.html.encode())
        suffix = code_artifact(candidate.stack).rsplit(".", 1)[-1]
        store.save(f"{prefix}-code.{suffix}", (candidate.code or candidate.page.html).encode())
    store.save("render.png", best.render.png)
    store.save("render-thumb.png", thumbnail(best.render.png))
    store.save("diff.png", best.score.heatmap_png)
    states = []
    if best.interactions:
        for state in best.interactions.states:
            reached_png = ""
            if state.png:
                reached_png = f"state-render-{state.index}.png"
                store.save(reached_png, state.png)
            states.append(
                {
                    "index": state.index,
                    "timestamp_s": state.timestamp_s,
                    "reached": state.reached,
                    "score": state.score.breakdown() if state.score else None,
                    "source_png": f"state-source-{state.index}.png",
                    "render_png": reached_png or None,
                }
            )
    document = result_document(result, states)
    store.save_json("result.json", document)
    return document


def code_artifact(stack: str) -> str:
    """The artifact that keeps the best candidate's code in ``stack`` (``code.jsx``, ``code.vue``)."""
    from ..stacks import STACKS

    suffix = STACKS[stack].filename.rsplit(".", 1)[-1] if stack in STACKS else "html"
    return f"code.{suffix}"


def result_document(result: Result, states: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON that describes a finished replication (also served inside the job resource)."""
    best = result.best
    source = result.source
    return {
        "backend": result.backend,
        "source": {
            "kind": source.kind,
            "media_type": source.media_type,
            "width": source.width,
            "height": source.height,
            "sha256": source.sha256,
            "duration_s": source.duration_s,
            "key_states": len(source.states),
        },
        "best_round": best.round,
        "stack": _stack_info(best.stack),
        "score": best.score.breakdown(),
        "discrepancies": [
            {
                "kind": d.kind,
                "message": d.message,
                "weight": round(d.weight, 3),
                "box": None if d.box is None else [d.box.x, d.box.y, d.box.width, d.box.height],
            }
            for d in best.score.discrepancies[:20]
        ],
        "rounds": [_round(c) for c in result.candidates],
        # Round 0's candidates when more than one was made (the best was refined): each kept.
        "variants": [
            {
                "variant": c.variant,
                "score": c.score.breakdown(),
                "chosen": c.variant == best.variant,
                "files": {
                    "render": f"variant-{c.variant}-render.png",
                    "diff": f"variant-{c.variant}-diff.png",
                    "page": f"variant-{c.variant}-page.html",
                    "code": f"variant-{c.variant}-code.{code_artifact(c.stack).rsplit('.', 1)[-1]}",
                },
            }
            for c in _variants(result)
        ],
        "refinement": result.refinement,
        "page": {"mode": best.page.mode, "csp": best.page.csp, "removed": list(best.page.removed)},
        "render": {
            "width": best.render.width,
            "height": best.render.height,
            "full_height": best.render.full_height,
            "clamped": best.render.clamped,
        },
        "timings_ms": dict(result.timings_ms),
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "total_tokens": result.usage.total_tokens,
            "cost_usd": round(result.usage.cost_usd, 6),
        },
        "interactions": best.interactions.to_dict() if best.interactions else None,
        "grounding": best.grounding.to_dict() if best.grounding else None,
        "states": states,
    }


def _stack_info(name: str) -> dict[str, str]:
    from ..stacks import STACKS, stack_named

    stack = STACKS.get(name) or stack_named("html-css")
    return {
        "name": stack.name,
        "label": stack.label,
        "filename": stack.filename,
        "artifact": code_artifact(name),
    }


def _variants(result: Result) -> list[Candidate]:
    """Round 0's candidates, when the job asked for more than one."""
    first = [c for c in result.candidates if c.round == 0]
    return sorted(first, key=lambda c: c.variant) if len(first) > 1 else []


def _round(candidate: Candidate) -> dict[str, Any]:
    return {
        "round": candidate.round,
        "variant": candidate.variant,
        "score": candidate.score.breakdown(),
        "truncated": candidate.extraction.truncated,
        "notes": list(candidate.extraction.notes),
        "interactions": candidate.interactions.to_dict() if candidate.interactions else None,
        "grounding": candidate.grounding.to_dict() if candidate.grounding else None,
    }
