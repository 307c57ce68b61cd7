"""The popular web fonts we ship (``@fontsource`` packages from npm), for reading and for embedding.

Reading: FreeType (through Pillow) cannot open the packages' WOFF2 files here, so each file the font
fit needs is converted to TrueType once, with fontTools, and kept in the cache directory.
Embedding: a page that uses a web font carries only the glyphs it shows, subset by fontTools into a
WOFF2 ``data:`` URI (a few kB instead of the 20-70 kB of a whole Latin file), so it renders the same
with the network off and stays small.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Generic fallbacks per kind: what a front-end engineer writes after a web font's name.
FALLBACKS = {
    "sans": 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
    "serif": 'Georgia, Cambria, "Times New Roman", Times, serif',
    "mono": 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
}
_KINDS = {
    "sans-serif": "sans",
    "serif": "serif",
    "monospace": "mono",
    "display": "sans",
    "handwriting": "sans",
}
# Packages whose Latin glyphs we read and embed. Noto Sans SC is left to the system's Noto Sans CJK
# (the same design), which every page can use without embedding megabytes of Chinese glyphs.
_SKIP = {"noto-sans-sc"}


@dataclass(frozen=True)
class WebFamily:
    """One ``@fontsource`` package: its CSS family name, kind and WOFF2 files (Latin subset)."""

    family: str
    kind: str  # sans | serif | mono
    upright: tuple[tuple[int, Path], ...]  # (weight, woff2), ascending weight
    italic: tuple[tuple[int, Path], ...]

    @property
    def stack(self) -> str:
        return f'"{self.family}", {FALLBACKS[self.kind]}'


class WebFontLibrary:
    """The ``@fontsource`` families installed under ``node_modules``, converted on demand."""

    def __init__(self, node_modules: Path, cache_dir: Path) -> None:
        self.node_modules = Path(node_modules)
        self.cache_dir = Path(cache_dir)
        self._families: list[WebFamily] | None = None
        self._lock = threading.Lock()

    _shared: WebFontLibrary | None = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> WebFontLibrary:
        """The process-wide library: the project's ``node_modules``, the data directory's cache."""
        with cls._shared_lock:
            if cls._shared is None:
                from ...config import PROJECT_DIR, Settings

                try:
                    settings = Settings()  # type: ignore[call-arg]
                    node_modules, data_dir = settings.assets_dir, settings.data_dir
                except ValueError:  # a malformed environment: the defaults still serve
                    node_modules, data_dir = PROJECT_DIR / "node_modules", _fallback_dir()
                cls._shared = cls(node_modules, data_dir / "cache" / "fonts")
            return cls._shared

    @property
    def families(self) -> list[WebFamily]:
        with self._lock:
            if self._families is None:
                self._families = _discover(self.node_modules / "@fontsource")
            return self._families

    def truetype(self, woff2: Path) -> Path:
        """A TrueType copy of ``woff2`` (converted once, kept in the cache directory)."""
        return _truetype(woff2, self.cache_dir)

    def fingerprint(self) -> str:
        """Changes when the installed files change (keys the disk cache of derived tables)."""
        digest = hashlib.sha256()
        for family in self.families:
            for _weight, path in (*family.upright, *family.italic):
                stat = path.stat()
                digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
        return digest.hexdigest()[:16]


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"replicator-{os.getuid() if hasattr(os, 'getuid') else 0}"


def _discover(root: Path) -> list[WebFamily]:
    found: list[WebFamily] = []
    if not root.is_dir():
        return found
    for package in sorted(root.iterdir()):
        if package.name in _SKIP:
            continue
        try:
            meta = json.loads((package / "metadata.json").read_text())
        except (OSError, ValueError):
            continue
        kind = _KINDS.get(str(meta.get("category", "")), "sans")
        upright: list[tuple[int, Path]] = []
        italic: list[tuple[int, Path]] = []
        for weight in sorted(int(w) for w in meta.get("weights", [])):
            for style, into in (("normal", upright), ("italic", italic)):
                path = package / "files" / f"{meta['id']}-latin-{weight}-{style}.woff2"
                if path.is_file():
                    into.append((weight, path))
        if upright:
            found.append(WebFamily(str(meta["family"]), kind, tuple(upright), tuple(italic)))
    return found


_convert_lock = threading.Lock()


@functools.lru_cache(maxsize=512)
def _truetype(woff2: Path, cache_dir: Path) -> Path:
    from fontTools.ttLib import TTFont

    data = woff2.read_bytes()
    key = hashlib.sha256(data).hexdigest()[:16]
    target = cache_dir / f"{woff2.stem}-{key}.ttf"
    if target.is_file():
        return target
    with _convert_lock:
        if target.is_file():
            return target
        font = TTFont(io.BytesIO(data))
        font.flavor = None
        buffer = io.BytesIO()
        font.save(buffer)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(buffer.getvalue())
            tmp.replace(target)
        except OSError as exc:
            # An unwritable cache: convert into a private temporary directory instead.
            log.warning("could not cache a converted font in %s: %s", cache_dir, exc)
            fallback = _fallback_dir() / "fonts"
            fallback.mkdir(parents=True, exist_ok=True)
            target = fallback / target.name
            target.write_bytes(buffer.getvalue())
        return target


@functools.lru_cache(maxsize=64)
def subset_data_uri(woff2: Path, text: str) -> str:
    """A WOFF2 ``data:`` URI of ``woff2`` cut down to the characters of ``text``.

    Kerning and ligatures stay (the browser lays the page out as the source did); everything
    outside the text's characters goes.
    """
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk", "rlig", "clig"]
    options.name_IDs = [1, 2]
    options.notdef_outline = True
    options.desubroutinize = True
    # From the TrueType copy (converted once, cached): decoding WOFF2's transformed glyph table
    # again for every page cost as much as the subsetting itself.
    font = subset.load_font(str(WebFontLibrary.shared().truetype(woff2)), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " ")
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return "data:font/woff2;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
