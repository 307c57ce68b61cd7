"""What is computed once per source screenshot and reused for every candidate scored against it."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import CorruptInput, InputTooLarge
from ..models import Box
from ..ocr import OcrEngine
from .blocks import TextBlock
from .color import dominant_color, ink_color
from .edges import edge_map, edge_strength
from .graphics import Graphic, find_graphics, flat_boxes, text_boxes

log = logging.getLogger(__name__)

# The whole-image terms work on screenshots shrunk by this factor: a 1280 px page becomes 320 px,
# where a 32 px grid cell is 8x8 pixels. Fine enough for layout and color, and ~16x cheaper.
SCALE = 4
_FORMAT = 2  # 2 added the graphics; archives of format 1 are read, their graphics found anew
_MAX_PIXELS = 60_000_000


def decode_png(data: bytes) -> np.ndarray:
    """An RGB uint8 array from PNG/JPEG/WebP bytes; a clear error for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except (UnidentifiedImageError, OSError) as exc:
        raise CorruptInput("The screenshot could not be read as an image.") from exc
    if width * height > _MAX_PIXELS:
        raise InputTooLarge(f"The screenshot is too large to score ({width}x{height} pixels).")
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise CorruptInput("The screenshot could not be decoded.")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def shrink(rgb: np.ndarray) -> np.ndarray:
    """The screenshot at 1/SCALE size (area averaging), for the whole-image terms."""
    h, w = rgb.shape[:2]
    size = (max(w // SCALE, 1), max(h // SCALE, 1))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def ocr_blocks(rgb: np.ndarray, ocr: OcrEngine) -> tuple[TextBlock, ...]:
    """Every text line OCR reads in the screenshot, with its measured ink and background colors."""
    blocks = []
    for line in ocr.read(rgb):
        measured = ink_color(rgb, line.box)
        color, background = measured if measured else (None, None)
        blocks.append(TextBlock(text=line.text, box=line.box, color=color, background=background))
    return tuple(blocks)


@dataclass(frozen=True)
class ReferenceAnalysis:
    """A source screenshot's OCR lines, page background and shrunken image (for the grid terms).

    Serialises to an .npz archive (arrays plus a JSON header, no pickle) with ``to_bytes``.
    """

    width: int
    height: int
    background: tuple[int, int, int]
    lines: tuple[TextBlock, ...]
    small: np.ndarray = field(repr=False, compare=False)
    png: bytes = field(repr=False, compare=False)
    # The icons, images and charts (graphics.py); None when read from an archive that lacks them.
    found_graphics: tuple[Graphic, ...] | None = field(default=None, repr=False, compare=False)
    # Derived arrays computed on first use and kept for later candidates (not serialised).
    _derived: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    # Second looks at the source by the recognizer (exact.py, readback.py), by box and scale: kept
    # for later candidates.
    second_looks: dict[tuple[float, float, float, float, float], str] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def rgb(self) -> np.ndarray:
        """The full-size source pixels, decoded on first use and kept."""
        if "rgb" not in self._derived:
            self._derived["rgb"] = decode_png(self.png)
        return self._derived["rgb"]

    @property
    def dimmed(self) -> np.ndarray:
        """The source washed out to gray (uint8, full size): the heatmap's base layer."""
        if "dimmed" not in self._derived:
            gray = cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)
            self._derived["dimmed"] = cv2.convertScaleAbs(gray, alpha=0.45, beta=120.0)
        return self._derived["dimmed"]

    @property
    def edges(self) -> np.ndarray:
        """Where the source has edges (bool, full size): the edges term's source side."""
        if "edges" not in self._derived:
            self._derived["edges"] = edge_map(self.rgb)
        return self._derived["edges"]

    @property
    def graphics(self) -> tuple[Graphic, ...]:
        """The source's non-text visual components: the graphics term's source side."""
        if self.found_graphics is not None:
            return self.found_graphics
        if "graphics" not in self._derived:
            boxes = text_boxes(self.rgb, self.lines, None)
            self._derived["graphics"] = find_graphics(self.rgb, self.edges, boxes)  # type: ignore[assignment]
        return self._derived["graphics"]  # type: ignore[return-value]

    @property
    def boxes(self) -> list[Box]:
        """The source's flat boxes (cards, buttons, panels): what the depth check looks at."""
        if "boxes" not in self._derived:
            self._derived["boxes"] = flat_boxes(self.edges)[1]  # type: ignore[assignment]
        return self._derived["boxes"]  # type: ignore[return-value]

    @property
    def edge_strength(self) -> np.ndarray:
        """How strong the source's edges are (gradient magnitude, full size)."""
        if "strength" not in self._derived:
            self._derived["strength"] = edge_strength(self.rgb)
        return self._derived["strength"]

    def to_bytes(self) -> bytes:
        header: dict[str, Any] = {
            "format": _FORMAT,
            "width": self.width,
            "height": self.height,
            "background": list(self.background),
            "lines": [
                {
                    "text": b.text,
                    "box": [b.box.x, b.box.y, b.box.width, b.box.height],
                    "color": list(b.color) if b.color else None,
                    "background": list(b.background) if b.background else None,
                }
                for b in self.lines
            ],
            "graphics": [
                {"box": [g.box.x, g.box.y, g.box.width, g.box.height], "kind": g.kind, "salience": g.salience}
                for g in self.graphics
            ],
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            small=self.small,
            png=np.frombuffer(self.png, dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceAnalysis:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                header = json.loads(archive["header"].tobytes())
                small = archive["small"]
                png = archive["png"].tobytes()
            if header.get("format") not in (1, _FORMAT):
                raise ValueError(f"format {header.get('format')}")
            lines = tuple(
                TextBlock(
                    text=item["text"],
                    box=Box(*item["box"]),
                    color=tuple(item["color"]) if item["color"] else None,  # type: ignore[arg-type]
                    background=tuple(item["background"]) if item["background"] else None,  # type: ignore[arg-type]
                )
                for item in header["lines"]
            )
            graphics = (
                tuple(
                    Graphic(Box(*item["box"]), str(item["kind"]), float(item["salience"]))
                    for item in header["graphics"]
                )
                if "graphics" in header
                else None
            )
            return cls(
                width=int(header["width"]),
                height=int(header["height"]),
                background=tuple(header["background"]),  # type: ignore[arg-type]
                lines=lines,
                small=small,
                png=png,
                found_graphics=graphics,
            )
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise CorruptInput(
                "The stored reference analysis is unreadable; analyse the source again."
            ) from exc


def analyze_reference(png: bytes, *, ocr: OcrEngine) -> ReferenceAnalysis:
    """OCR, background color and shrunken grid image of a source screenshot (blocking; OCR-bound)."""
    rgb = decode_png(png)
    height, width = rgb.shape[:2]
    lines = ocr_blocks(rgb, ocr)
    small = shrink(rgb)
    edges = edge_map(rgb)
    graphics = find_graphics(rgb, edges, text_boxes(rgb, lines, ocr))
    log.debug("reference %dx%d: %d OCR lines, %d graphics", width, height, len(lines), len(graphics))
    return ReferenceAnalysis(
        width=width,
        height=height,
        background=dominant_color(small),
        lines=lines,
        small=small,
        png=png,
        found_graphics=graphics,
        _derived={"rgb": rgb, "edges": edges},
    )
