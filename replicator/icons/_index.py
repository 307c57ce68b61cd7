"""The icon index: every icon's ink as a small normalised descriptor, queried in one matrix product.

Matching works on *ink coverage* (0..1 per pixel, measured against the crop's own background), so
it is blind to colour, and on the ink's tight box rescaled to a fixed square, so it is blind to
size. A query is one product of the query's descriptor with the index's descriptor matrix; the best
few candidates are then checked precisely: each icon's high-resolution mask is shrunk to the
query's own pixel size (so thin strokes blur as the browser's antialiasing blurs them) and
correlated with the query's ink at the best one-pixel shift.

The index is built once per installed version of the sets and kept on disk (``cache_dir``); a
warm load reads two files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from ._ink import ink_alpha, is_plain, one_ink, ring_background, subpixel_bounds, tight, without_neighbours
from ._sets import Icon, load_icons, versions
from ._svg import rasterize

log = logging.getLogger(__name__)

FORMAT = 3  # bump when the descriptor or the cached layout changes
DESCRIPTOR_SIDE = 24
MASK_SIDE = 64
CANDIDATES = 12
_SUPERSAMPLE = 4
VERIFY_BLUR = 0.5
# Verified correlation at or above which a match is trusted. Calibrated by bench/icons.py: icons
# Chromium draws from the web fonts at 12-48 px score >= 0.97 against their own entry in 95% of
# cases (98% right at this threshold); of letters, photo patches, avatars and boxes only letters
# that spell an icon (X, B, @, o) reach it, and the text check keeps those as text.
CONFIDENT = 0.9
# The smallest ink box worth matching (px): below this, a dot or a dash is as much an icon as a glyph.
MIN_SIDE = 7


@dataclass(frozen=True)
class IconMatch:
    """The icon that draws a crop's ink, and how sure the match is (verified correlation, 0..1)."""

    icon: Icon
    score: float
    runner_up: float  # the best verified score of any other icon


def _fit_square(mask: np.ndarray, side: int) -> np.ndarray:
    """``mask`` scaled to fit a ``side`` square (aspect kept), centred."""
    h, w = mask.shape
    scale = side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(mask.astype(np.float32), (nw, nh), interpolation=interpolation)
    canvas = np.zeros((side, side), dtype=np.float32)
    oy, ox = (side - nh) // 2, (side - nw) // 2
    canvas[oy : oy + nh, ox : ox + nw] = scaled
    return canvas


def descriptor(ink: np.ndarray) -> np.ndarray:
    """The scale-free descriptor of a tight ink crop: zero mean, unit length."""
    canvas = cv2.GaussianBlur(_fit_square(ink, DESCRIPTOR_SIDE), (3, 3), 0.8).ravel()
    canvas -= canvas.mean()
    norm = float(np.linalg.norm(canvas))
    return canvas / norm if norm > 0 else canvas


class IconIndex:
    """Descriptors and masks of every icon in the installed sets (see the module docstring)."""

    _loaded: ClassVar[dict[tuple[Path, Path | None], IconIndex]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self, icons: list[Icon], descriptors: np.ndarray, masks: np.ndarray, sizes: np.ndarray
    ) -> None:
        self.icons = icons
        self.descriptors = descriptors  # (n, DESCRIPTOR_SIDE**2) float32
        self.masks = masks  # (n, MASK_SIDE, MASK_SIDE) uint8, each icon's ink at the top left
        self.sizes = sizes  # (n, 2) int: width, height of each mask's ink
        self.log_aspects = np.log(np.array([icon.aspect for icon in icons], dtype=np.float32))
        self._by_name = {(icon.family, icon.name): i for i, icon in enumerate(icons)}
        self._source: tuple[Path, Path | None] | None = None  # what load() loaded it from

    def __len__(self) -> int:
        return len(self.icons)

    # --- loading ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, node_modules: Path, cache_dir: Path | None = None) -> IconIndex:
        """The index of the sets in ``node_modules``, from ``cache_dir`` when built before (one per
        process and location)."""
        key = (Path(node_modules), Path(cache_dir) if cache_dir is not None else None)
        with cls._lock:
            found = cls._loaded.get(key)
            if found is None:
                found = cls._load(*key)
                found._source = key
                cls._loaded[key] = found
            return found

    def __reduce__(self) -> str | tuple[Any, ...]:
        # An index loaded from its sets travels to another process as where it came from (that
        # process loads its own, from the disk cache); a built one as its arrays.
        if self._source is not None:
            return (IconIndex.load, self._source)
        return (IconIndex, (self.icons, self.descriptors, self.masks, self.sizes))

    @classmethod
    def _load(cls, node_modules: Path, cache_dir: Path | None) -> IconIndex:
        stamp = json.dumps({"format": FORMAT, "sets": versions(node_modules)}, sort_keys=True)
        digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
        if cache_dir is not None:
            cached = cls._read_cache(cache_dir, digest)
            if cached is not None:
                return cached
        started = time.perf_counter()
        index = cls.build(node_modules)
        log.info("icon index: %d icons built in %.1f s", len(index), time.perf_counter() - started)
        if cache_dir is not None:
            index._write_cache(cache_dir, digest)
        return index

    @classmethod
    def build(cls, node_modules: Path) -> IconIndex:
        """Rasterise every icon of the installed sets (a few seconds; ``load`` caches the result)."""
        icons: list[Icon] = []
        masks: list[np.ndarray] = []
        sizes: list[tuple[int, int]] = []
        for icon, outlines in load_icons(node_modules):
            x0, y0, x1, y1 = icon.bounds
            scale = MASK_SIDE / max(x1 - x0, y1 - y0)
            w = min(MASK_SIDE, max(1, round((x1 - x0) * scale)))
            h = min(MASK_SIDE, max(1, round((y1 - y0) * scale)))
            mask = rasterize(outlines, icon.bounds, (w, h))
            # A plain shape (a dot, a bar, a square or circle, filled or outlined) explains any dot or
            # box equally well: those stay the page's boxes and shapes, never an icon.
            if is_plain(mask):
                continue
            padded = np.zeros((MASK_SIDE, MASK_SIDE), dtype=np.uint8)
            padded[:h, :w] = np.round(mask * 255).astype(np.uint8)
            icons.append(icon)
            masks.append(padded)
            sizes.append((w, h))
        stacked = np.stack(masks) if masks else np.zeros((0, MASK_SIDE, MASK_SIDE), np.uint8)
        descriptors = (
            np.stack(
                [
                    descriptor(m[:h, :w].astype(np.float32) / 255)
                    for m, (w, h) in zip(masks, sizes, strict=True)
                ]
            )
            if masks
            else np.zeros((0, DESCRIPTOR_SIDE**2), np.float32)
        )
        return cls(
            icons, descriptors.astype(np.float32), stacked, np.array(sizes, dtype=np.int32).reshape(-1, 2)
        )

    @classmethod
    def _read_cache(cls, cache_dir: Path, digest: str) -> IconIndex | None:
        try:
            meta = json.loads((cache_dir / f"icons-{digest}.json").read_text(encoding="utf-8"))
            with np.load(cache_dir / f"icons-{digest}.npz") as arrays:
                descriptors, masks, sizes = arrays["descriptors"], arrays["masks"], arrays["sizes"]
        except (OSError, ValueError, KeyError):
            return None
        icons = [
            Icon(m["family"], m["name"], tuple(m["view_box"]), tuple(m["bounds"]), m["body"])  # type: ignore[arg-type]
            for m in meta
        ]
        if not (len(icons) == len(descriptors) == len(masks) == len(sizes)):
            return None
        return cls(icons, descriptors, masks, sizes)

    def _write_cache(self, cache_dir: Path, digest: str) -> None:
        meta = [
            {"family": i.family, "name": i.name, "view_box": i.view_box, "bounds": i.bounds, "body": i.body}
            for i in self.icons
        ]
        suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            arrays = cache_dir / f"icons-{digest}.npz{suffix}"
            with arrays.open("wb") as handle:
                np.savez_compressed(handle, descriptors=self.descriptors, masks=self.masks, sizes=self.sizes)
            arrays.replace(cache_dir / f"icons-{digest}.npz")
            listing = cache_dir / f"icons-{digest}.json{suffix}"
            listing.write_text(json.dumps(meta), encoding="utf-8")
            listing.replace(cache_dir / f"icons-{digest}.json")
        except OSError as exc:
            log.warning("could not cache the icon index in %s: %s", cache_dir, exc)

    # --- queries ----------------------------------------------------------------------------------

    def get(self, family: str, name: str) -> Icon | None:
        found = self._by_name.get((family, name))
        return self.icons[found] if found is not None else None

    def mask(self, position: int) -> np.ndarray:
        """The icon's ink at MASK_SIDE resolution (float32, 0..1)."""
        w, h = self.sizes[position]
        return self.masks[position, :h, :w].astype(np.float32) / 255

    def match(self, alpha: np.ndarray) -> IconMatch | None:
        """The icon whose ink is ``alpha`` (coverage 0..1, a margin of background around it), if any."""
        return self.match_many([alpha])[0]

    def match_crops(
        self, crops: list[np.ndarray], backgrounds: list[tuple[int, int, int] | None] | None = None
    ) -> list[IconMatch | None]:
        """``match_many`` for RGB crops (each with a margin of its background around the ink).

        Two vetoes first: a plain box, pill or disc (filled or outlined) is the page's box, not an
        icon; ink of more than one colour (a photograph, an avatar, a logo of several colours) is
        a picture. (A two-colour drawing, a bell under a badge, is matched colour by colour by the
        caller.)
        """
        alphas: list[np.ndarray] = []
        for k, crop in enumerate(crops):
            given = backgrounds[k] if backgrounds else None
            background = ring_background(crop) if given is None else np.array(given, dtype=np.float64)
            alpha = without_neighbours(ink_alpha(crop, given))
            # (a thin antialiased ring breaks up at half coverage: looked at faint too)
            if is_plain(alpha) or is_plain(alpha > 0.25) or not one_ink(crop, alpha, background):
                alpha = np.zeros_like(alpha)
            alphas.append(alpha)
        return self.match_many(alphas)

    def match_many(
        self, alphas: list[np.ndarray], hidden: list[np.ndarray | None] | None = None
    ) -> list[IconMatch | None]:
        """``match`` for many crops: one matrix product ranks the whole index for all of them.

        ``hidden``: per crop, pixels something else covers (a badge over a bell), or None; they
        take no part in the verification.
        """
        results: list[IconMatch | None] = [None] * len(alphas)
        inks: list[tuple[np.ndarray, np.ndarray, tuple[float, float, float, float], np.ndarray | None]] = []
        where: list[int] = []
        for k, alpha in enumerate(alphas):
            found = tight(alpha)
            if found is None:
                continue
            ink, box = found
            if min(ink.shape) < 2 or max(ink.shape) < MIN_SIDE:
                continue
            x0, y0, x1, y1 = box
            left, top, right, bottom = subpixel_bounds(alpha, box)
            # The window verified: the ink and a pixel of background all round.
            window = np.pad(alpha, 1)[y0 : y1 + 2, x0 : x1 + 2]
            covered = hidden[k] if hidden is not None else None
            if covered is not None:
                covered = np.pad(covered, 1)[y0 : y1 + 2, x0 : x1 + 2]
            bounds = (left - x0 + 1, top - y0 + 1, right - x0 + 1, bottom - y0 + 1)
            inks.append((ink, window, bounds, covered))
            where.append(k)
        if not inks or not len(self):
            return results
        queries = np.stack([descriptor(ink) for ink, _w, _b, _h in inks])
        # (queries, icons): correlation of the descriptors, in one product. NumPy's own loops, not
        # BLAS: its thread pool wakes for every product and stalls for tens of milliseconds on a
        # busy machine (measured: 8-26 ms a query under load, against 0.5-2 ms here).
        coarse = np.einsum("ij,kj->ki", self.descriptors, queries)
        aspects = np.log(
            np.array([(b[2] - b[0]) / (b[3] - b[1]) for _i, _w, b, _h in inks], dtype=np.float32)
        )
        # A stretched icon is another icon: beyond a tenth, aspect mismatch costs correlation.
        coarse -= 1.5 * np.maximum(np.abs(aspects[:, None] - self.log_aspects[None, :]) - 0.1, 0.0)
        k_best = min(CANDIDATES, len(self))
        tops = np.argpartition(-coarse, k_best - 1, axis=1)[:, :k_best]
        for row, ((_ink, window, bounds, covered), k) in enumerate(zip(inks, where, strict=True)):
            scored = sorted(
                ((self._verify(window, bounds, int(i), covered), int(i)) for i in tops[row]), reverse=True
            )
            best, position = scored[0]
            name = self.icons[position].name
            runner_up = next((score for score, i in scored[1:] if self.icons[i].name != name), 0.0)
            results[k] = IconMatch(self.icons[position], best, runner_up)
        return results

    def draw(
        self, position: int, bounds: tuple[float, float, float, float], size: tuple[int, int]
    ) -> np.ndarray:
        """Icon ``position``'s coverage on a canvas of ``size`` (w, h), its ink filling ``bounds``
        (x0, y0, x1, y1, sub-pixel), antialiased as a browser would draw it."""
        w, h = size
        x0, y0, x1, y1 = bounds
        mask = self.mask(position)
        mh, mw = mask.shape
        scale = _SUPERSAMPLE
        matrix = np.array(
            [[(x1 - x0) * scale / mw, 0.0, x0 * scale], [0.0, (y1 - y0) * scale / mh, y0 * scale]],
            dtype=np.float64,
        )
        # Pixel centres: cv2 maps the mask's pixel centre (i) to matrix @ (i); shift by half a pixel
        # on both sides so edges, not centres, line up.
        matrix[:, 2] += matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
        big = cv2.warpAffine(mask, matrix, (w * scale, h * scale), flags=cv2.INTER_LINEAR)
        return cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)

    def _verify(
        self,
        window: np.ndarray,
        bounds: tuple[float, float, float, float],
        position: int,
        covered: np.ndarray | None = None,
    ) -> float:
        """Correlation of the ink in ``window`` with the icon drawn on its sub-pixel bounds (over
        the pixels not ``covered``); a light blur of both forgives the half pixel by which browsers
        snap small glyphs' stems (hinting)."""
        h, w = window.shape
        drawn = self.draw(position, bounds, (w, h))
        a = cv2.GaussianBlur(window, (0, 0), VERIFY_BLUR).ravel()
        b = cv2.GaussianBlur(drawn, (0, 0), VERIFY_BLUR).ravel()
        if covered is not None:
            seen = ~cv2.dilate(covered.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool).ravel()
            if seen.sum() < 0.5 * seen.size:
                return 0.0  # mostly hidden: too little to tell
            a, b = a[seen], b[seen]
        a = a - a.mean()
        b = b - b.mean()
        denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
        return float((a * b).sum()) / denominator if denominator > 0 else 0.0
