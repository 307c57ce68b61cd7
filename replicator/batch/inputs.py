"""Which files a batch converts: explicit files, folders (walked for images and videos), glob
patterns and manifests (CSV or JSON Lines with per-item options), each with a unique output name.

A file or folder named on the command line (or in a manifest) is taken even if it is a symbolic link:
that is the user's choice. What is *found* by walking a folder or expanding a pattern is taken only
if it stays inside that folder (the pattern's folder): a link leading out of it is skipped with a
warning that names it, so that a folder from someone else cannot make a batch read, convert and
publish in its report a file from elsewhere on the machine. Linked folders inside are not walked
(what they lead to is walked under its own name, and no link loop can be followed).
"""

from __future__ import annotations

import csv
import errno
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..intake import sniff_media_type
from ..models import Viewport

log = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")
# Files in a folder are taken when their content says image or video; these names are taken too even
# when the content does not, so that a damaged screenshot is reported rather than silently skipped.
MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".mp4", ".mov", ".m4v", ".webm")
# Output names the batch itself uses (report.json, report.html).
RESERVED_NAMES = frozenset({"report"})
MANIFEST_KEYS = frozenset(
    {
        "source",
        "path",
        "input",
        "name",
        "viewport",
        "width",
        "height",
        "mode",
        "refine_rounds",
        "target_score",
    }
)
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ItemOptions:
    """Per-item overrides of the batch's options (from a manifest); None keeps the batch's value."""

    viewport: Viewport | None = None
    mode: str | None = None
    refine_rounds: int | None = None
    target_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.viewport:
            out["viewport"] = f"{self.viewport.width}x{self.viewport.height}"
        for key in ("mode", "refine_rounds", "target_score"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class BatchItem:
    """One input to convert and the name its outputs get (``NAME.html``, ``NAME.json``, ...)."""

    path: Path
    name: str
    options: ItemOptions = field(default_factory=ItemOptions)


@dataclass(frozen=True)
class _Found:
    path: Path
    name: str | None = None  # a name the manifest asked for
    options: ItemOptions = field(default_factory=ItemOptions)


def discover_inputs(inputs: Iterable[str], *, exclude: Path | None = None) -> list[BatchItem]:
    """Every item named by ``inputs``, in a stable order, with unique output names.

    Raises InputError for a path that does not exist, a malformed manifest or when nothing is found.
    ``exclude`` (the output folder) is never walked, so a batch does not convert its own outputs.
    """
    excluded = exclude.resolve() if exclude else None
    links = _LinkGuard()
    found: list[_Found] = []
    for arg in inputs:
        path = Path(arg).expanduser()
        if path.exists():
            found.extend(_from_path(path, excluded, links, explicit=True))
        elif _GLOB_CHARS.search(arg):
            base, matches = _expand(path)
            if not matches:
                log.warning("no files match %s", arg)
            for match in matches:
                if links.stays_inside(match, base):
                    found.extend(_from_path(match, excluded, links, explicit=False))
        else:
            raise InputError(f"{arg} does not exist.")

    seen: set[Path] = set()
    unique: list[_Found] = []
    for item in found:
        key = item.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    if not unique:
        raise InputError(
            "No inputs found: give screenshots, recordings, folders, glob patterns or a manifest."
        )
    return _assign_names(unique)


def _from_path(path: Path, excluded: Path | None, links: _LinkGuard, *, explicit: bool) -> Iterator[_Found]:
    if path.is_dir():
        yield from _walk(path, excluded, links)
    elif path.suffix.lower() in MANIFEST_SUFFIXES:
        yield from read_manifest(path)
    elif explicit or _is_media(path):
        # A file named on the command line is always taken: if it is not an image or a video, its
        # item fails with the reason instead of the file vanishing from the batch unnoticed.
        yield _Found(path)


def _walk(folder: Path, excluded: Path | None, links: _LinkGuard) -> Iterator[_Found]:
    # rglob lists linked folders but does not descend into them (Python 3.11 to 3.13's default).
    for path in sorted(folder.rglob("*")):
        if _hidden(path.relative_to(folder)):
            continue
        if path.is_symlink() and not links.stays_inside(path, folder):
            continue
        if excluded and (path.resolve() == excluded or excluded in path.resolve().parents):
            continue
        if path.is_file() and _is_media(path):
            yield _Found(path)


class _LinkGuard:
    """Tells whether a path found under a folder stays inside it; warns once about each link that does not."""

    def __init__(self) -> None:
        self._warned: set[tuple[Path, str]] = set()

    def stays_inside(self, path: Path, folder: Path) -> bool:
        """False if ``path`` is reached through a linked folder under ``folder`` (not walked), or is a
        link that leads out of ``folder`` or loops; ``folder`` itself may be a link, the user named it."""
        root = folder.resolve()
        step = folder
        parts = path.relative_to(folder).parts
        for depth, part in enumerate(parts, start=1):
            step = step / part
            if not step.is_symlink():
                continue
            through = depth < len(parts)
            try:
                target = step.resolve(strict=True)
            except (OSError, RuntimeError) as exc:  # a loop is a RuntimeError before Python 3.13
                if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
                    self._warn(step, "it is a link that loops")
                    return False
                continue  # a dangling link: nothing to read, dropped like any other non-file
            if target != root and root not in target.parents:
                self._warn(step, f"it is a link to {target}, outside {folder}")
                return False
            if through:
                return False  # what the linked folder leads to is found under its own name
        return True

    def _warn(self, link: Path, why: str) -> None:
        # A pattern's ** reaches the same link along many paths (through linked folders): once each.
        key = (link.parent.resolve(), link.name)
        if key not in self._warned:
            self._warned.add(key)
            log.warning("skipped %s: %s (name it on the command line to convert it)", link, why)


def _expand(pattern: Path) -> tuple[Path, list[Path]]:
    """The folder a glob pattern searches (its leading parts without wildcards: ``shots`` for
    ``shots/**/*.png``) and what matches under it, in order.

    ``**`` does not descend into linked folders (``glob.glob``'s does, through every link loop).
    As with the shell's globs and ``glob.glob``, a wildcard matches no hidden name unless the
    pattern itself spells one.
    """
    parts = pattern.parts
    literal = next((n for n, part in enumerate(parts) if _GLOB_CHARS.search(part)), len(parts))
    base = Path(*parts[:literal]) if literal else Path()
    # Inside a name, ``**`` is ``*`` (as in glob.glob); pathlib refuses it there before Python 3.13.
    rest = Path(*(part if part == "**" else re.sub(r"\*+", "*", part) for part in parts[literal:]))
    try:
        matches = sorted(base.glob(str(rest)))
    except OSError:
        return base, []
    if not _hidden(rest):
        matches = [m for m in matches if not _hidden(m.relative_to(base))]
    return base, matches


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _is_media(path: Path) -> bool:
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            return sniff_media_type(fh.read(64)) is not None
    except OSError:
        return False


# --- manifests ----------------------------------------------------------------------------------


def read_manifest(path: Path) -> list[_Found]:
    """Items of a CSV (header row) or JSON Lines manifest; relative paths start at its folder."""
    rows = list(manifest_rows(path))
    if not rows:
        raise InputError(f"The manifest {path} lists no items.")
    items = []
    for line_no, row in rows:
        items.append(_manifest_item(path, line_no, row))
    return items


def manifest_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of a CSV manifest with a header row, or of a JSON Lines manifest."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"The manifest {path} cannot be read: {exc}") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise InputError(f"The manifest {path} has no header row.")
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {line_no}: not valid JSON ({exc.msg}).") from exc
        if isinstance(value, str):
            value = {"source": value}
        if not isinstance(value, dict):
            raise InputError(f"{path}, line {line_no}: each line must be a JSON object.")
        yield line_no, value


def _manifest_item(manifest: Path, line_no: int, row: dict[str, Any]) -> _Found:
    where = f"{manifest}, line {line_no}"
    unknown = sorted(set(row) - MANIFEST_KEYS)
    if unknown:
        raise InputError(
            f"{where}: unknown column {', '.join(unknown)} (known: {', '.join(sorted(MANIFEST_KEYS))})."
        )
    source = next((row[k] for k in ("source", "path", "input") if row.get(k)), None)
    if not source:
        raise InputError(f"{where}: no source path (column 'source').")
    path = Path(str(source)).expanduser()
    if not path.is_absolute():
        path = manifest.parent / path
    if not path.exists():
        raise InputError(f"{where}: {source} does not exist.")
    if path.is_dir():
        raise InputError(f"{where}: {source} is a folder; a manifest lists files.")
    name = str(row["name"]).strip() if row.get("name") not in (None, "") else None
    if name is not None and (safe_name(name) != name or name.lower() in RESERVED_NAMES):
        raise InputError(f"{where}: the output name {name!r} may use only letters, digits, '.', '_' and '-'.")
    return _Found(path, name, _item_options(where, row))


def _item_options(where: str, row: dict[str, Any]) -> ItemOptions:
    viewport = None
    if row.get("viewport"):
        viewport = parse_viewport(str(row["viewport"]), where=where)
    elif row.get("width") or row.get("height"):
        if not (row.get("width") and row.get("height")):
            raise InputError(f"{where}: give both width and height, or a viewport like 1280x800.")
        viewport = parse_viewport(f"{row['width']}x{row['height']}", where=where)
    mode = row.get("mode") or None
    if mode is not None and mode not in ("static", "interactive"):
        raise InputError(f"{where}: mode must be 'static' or 'interactive', not {mode!r}.")
    try:
        rounds = int(row["refine_rounds"]) if row.get("refine_rounds") not in (None, "") else None
        target = float(row["target_score"]) if row.get("target_score") not in (None, "") else None
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: refine_rounds must be a whole number and target_score a number.") from exc
    if rounds is not None and not 0 <= rounds <= 10:
        raise InputError(f"{where}: refine_rounds must be between 0 and 10.")
    if target is not None and not 0 <= target <= 100:
        raise InputError(f"{where}: target_score must be between 0 and 100.")
    return ItemOptions(viewport=viewport, mode=mode, refine_rounds=rounds, target_score=target)


def parse_viewport(text: str, *, where: str = "viewport") -> Viewport:
    """``1280x800`` -> Viewport(1280, 800), within the sizes the renderer accepts."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise InputError(f"{where}: a viewport is WIDTHxHEIGHT, like 1280x800, not {text!r}.")
    width, height = int(match[1]), int(match[2])
    if not (200 <= width <= 4096 and 200 <= height <= 4096):
        raise InputError(f"{where}: viewport sides must be between 200 and 4096 pixels, not {text}.")
    return Viewport(width, height)


# --- output names -------------------------------------------------------------------------------


def safe_name(text: str) -> str:
    """A file-name stem made of portable characters only."""
    return _UNSAFE.sub("-", text).strip("-.") or "item"


def _assign_names(found: list[_Found]) -> list[BatchItem]:
    # Names compare case-insensitively: two outputs differing only in case collide on macOS/Windows.
    taken: set[str] = set(RESERVED_NAMES)
    for item in found:
        if item.name is not None:
            if item.name.lower() in taken:
                raise InputError(f"Two manifest items ask for the output name {item.name!r}.")
            taken.add(item.name.lower())
    items = []
    for item in found:
        name = item.name
        if name is None:
            stem = safe_name(item.path.stem)
            name, n = stem, 1
            while name.lower() in taken:
                n += 1
                name = f"{stem}-{n}"
            taken.add(name.lower())
        items.append(BatchItem(path=item.path, name=name, options=item.options))
    return items
