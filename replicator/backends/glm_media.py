"""Images and videos made fit for GLM-4.5V's documented input limits, and their content parts.

Limits (GLM-4.5V.md): an image under 5 MB, at most 6000x6000 pixels, PNG or JPEG, at most 50 per
request; a video MP4/MOV/MKV of at most 200 MB; never images and a video in one request.
Blocking (image encoding): the backend calls these from a worker thread.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from ..errors import InputTooLarge
from ..intake import decode_image

MAX_IMAGE_SIDE = 6000
# "Under 5 MB": read as the smaller of 5 MB and 5 MiB, so that neither reading is exceeded.
MAX_IMAGE_BYTES = 5_000_000
MAX_IMAGES = 50
MAX_VIDEO_BYTES = 200 * 1000 * 1000
# A page taller than this (at its sent width) is cut into this many tiles at most; beyond that it
# is scaled down too. Four tiles keep a 1280 px wide page legible up to 24,000 px tall.
MAX_TILES = 4
VIDEO_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska"}
_JPEG_QUALITIES = (90, 82, 74, 66)

ImageEncoding = Literal["base64", "data_url"]


@dataclass(frozen=True)
class EncodedImage:
    """One image as it will be sent: PNG or JPEG bytes within the limits."""

    data: bytes
    media_type: Literal["image/png", "image/jpeg"]
    width: int
    height: int

    def url(self, encoding: ImageEncoding) -> str:
        """The ``image_url.url`` value: bare base64 (Zhipu's hosted API) or a data URL (vLLM)."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return encoded if encoding == "base64" else f"data:{self.media_type};base64,{encoded}"

    def part(self, encoding: ImageEncoding) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url(encoding)}}


@dataclass(frozen=True)
class PreparedImage:
    """A source image ready to send: one picture, or several tiles of a very tall page, top first."""

    tiles: tuple[EncodedImage, ...]
    original_width: int
    original_height: int

    @property
    def tiled(self) -> bool:
        return len(self.tiles) > 1

    @property
    def scale(self) -> float:
        """Sent width over original width (1.0 when nothing was downscaled)."""
        return self.tiles[0].width / self.original_width


def prepare_image(
    png: bytes, *, max_side: int = MAX_IMAGE_SIDE, max_bytes: int = MAX_IMAGE_BYTES
) -> PreparedImage:
    """Re-encode an image within the limits: downscale keeping aspect, tile very tall pages.

    Decision for very tall pages (a full-page screenshot taller than 6000 px): scaling the whole
    page into 6000 px would shrink a 1280x15000 page to 512 px wide and make its text illegible to
    the model, so the page is cut into consecutive vertical tiles (no overlap), sent in reading
    order in one request, and the prompt says so. Only a page that would need more than MAX_TILES
    tiles is also scaled down, so that the request stays within the model's context.
    """
    image = decode_image(png, max_pixels=1 << 31)
    original_width, original_height = image.size
    scale = min(1.0, max_side / image.width, MAX_TILES * max_side / image.height)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    count = math.ceil(image.height / max_side)
    tile_height = math.ceil(image.height / count)
    tiles = []
    for index in range(count):
        top = index * tile_height
        tile = image.crop((0, top, image.width, min(image.height, top + tile_height)))
        tiles.append(encode_within_limit(tile, max_bytes=max_bytes))
    return PreparedImage(tuple(tiles), original_width, original_height)


def encode_within_limit(image: Image.Image, *, max_bytes: int = MAX_IMAGE_BYTES) -> EncodedImage:
    """PNG if small enough (lossless keeps text crisp), else JPEG, else JPEG of a smaller copy."""
    png = _save(image, "PNG")
    if len(png) < max_bytes:
        return EncodedImage(png, "image/png", image.width, image.height)
    current = image
    while True:
        for quality in _JPEG_QUALITIES:
            jpeg = _save(current, "JPEG", quality=quality)
            if len(jpeg) < max_bytes:
                return EncodedImage(jpeg, "image/jpeg", current.width, current.height)
        if current.width < 64 or current.height < 64:
            raise InputTooLarge("The image cannot be compressed under the provider's 5 MB limit.")
        size = (max(1, round(current.width * 0.8)), max(1, round(current.height * 0.8)))
        current = current.resize(size, Image.Resampling.LANCZOS)


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", optimize=True, **options)
    else:
        image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def sendable_video(path: Path | None) -> Path | None:
    """``path`` if the provider can take it as a video (existing MP4/MOV/MKV, at most 200 MB)."""
    if path is None or not path.is_file():
        return None
    if path.suffix.lower() not in VIDEO_TYPES:
        return None
    if path.stat().st_size > MAX_VIDEO_BYTES:
        return None
    return path


def video_part(path: Path) -> dict[str, Any]:
    """A ``video_url`` content part carrying the file as a base64 data URL."""
    media_type = VIDEO_TYPES[path.suffix.lower()]
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"type": "video_url", "video_url": {"url": f"data:{media_type};base64,{encoded}"}}


def pick_evenly(items: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` items spread evenly over ``items``, first and last kept, order kept."""
    if len(items) <= limit:
        return list(items)
    if limit == 1:
        return [items[0]]
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]
