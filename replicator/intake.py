"""Intake: decide what an upload is by its content, validate it and normalize it into a Source.

Images become an RGB PNG. Recordings are handed to ``replicator.recording`` (probe, key states).
Blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .config import Settings
from .errors import CorruptInput, InputTooLarge, UnsupportedMedia
from .models import MAX_SOURCE_HEIGHT, MAX_VIEWPORT_SIDE, Source

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
ACCEPTED = ", ".join(("PNG", "JPEG", "WebP", "MP4", "MOV", "WebM"))


def sniff_media_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes (at least 16), or None if it is none we take."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska or WebM; the DocType decides
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # old QuickTime files without ftyp
        return "video/quicktime"
    return None


def load_source(path: Path, settings: Settings) -> Source:
    """Validate the file at ``path`` and turn it into a Source, or raise an InputError."""
    check_file_size(path, settings)
    with path.open("rb") as fh:
        head = fh.read(64)
    media_type = sniff_media_type(head)
    if media_type in IMAGE_TYPES:
        return image_source(path.read_bytes(), settings, media_type=media_type)
    if media_type in VIDEO_TYPES:
        from .recording import load_recording

        return load_recording(path, settings, media_type=media_type)
    raise UnsupportedMedia(f"Unsupported file type. Upload a screenshot or a screen recording ({ACCEPTED}).")


def check_file_size(path: Path, settings: Settings) -> int:
    """The file's size in bytes, or CorruptInput (empty) / InputTooLarge (over the upload cap)."""
    size = path.stat().st_size
    if size == 0:
        raise CorruptInput("The file is empty.")
    if size > settings.max_upload_mb * 1024 * 1024:
        raise InputTooLarge(
            f"The file is {size / 1048576:.1f} MiB; the limit is {settings.max_upload_mb:g} MiB "
            "(REPLICATOR_MAX_UPLOAD_MB)."
        )
    return size


def image_source(data: bytes, settings: Settings, *, media_type: str | None = None) -> Source:
    """A Source from image bytes: decoded safely, flattened on white, stored as PNG."""
    media_type = media_type or sniff_media_type(data[:64])
    if media_type not in IMAGE_TYPES:
        raise UnsupportedMedia(
            "That is not a PNG, JPEG or WebP image; a screenshot in one of those is needed here."
        )
    image = decode_image(data, max_pixels=settings.max_image_pixels, replicable=True)
    png = encode_png(image)
    return Source(
        kind="image",
        png=png,
        width=image.width,
        height=image.height,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def decode_image(data: bytes, *, max_pixels: int, replicable: bool = False) -> Image.Image:
    """Decode image bytes into RGB, refusing decompression bombs before any pixel is decoded.

    ``replicable``: also refuse sides the renderer could never open (a source to replicate)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size  # read from the header; nothing decoded yet
            if width * height > max_pixels:
                raise InputTooLarge(
                    f"The image is {width}x{height} pixels; the limit is {max_pixels:,} pixels "
                    "(REPLICATOR_MAX_IMAGE_PIXELS)."
                )
            if width < 16 or height < 16:
                raise CorruptInput(f"The image is only {width}x{height} pixels; nothing to replicate.")
            # Checked here, from the header, so a source the renderer could never open is refused
            # at upload instead of after a minute of analysis.
            if replicable and width > MAX_VIEWPORT_SIDE:
                raise InputTooLarge(
                    f"The image is {width} pixels wide; at most {MAX_VIEWPORT_SIDE} can be replicated "
                    "(the widest window the renderer opens)."
                )
            if replicable and height > MAX_SOURCE_HEIGHT:
                raise InputTooLarge(
                    f"The image is {height} pixels tall; at most {MAX_SOURCE_HEIGHT} can be replicated."
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptInput(
            "The image could not be decoded: the file is damaged or not really an image."
        ) from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InputTooLarge(
            f"The image is far larger than the limit of {max_pixels:,} pixels (REPLICATOR_MAX_IMAGE_PIXELS); "
            "it was not decoded."
        ) from exc
    upright: Image.Image = ImageOps.exif_transpose(image) or image
    return flatten_to_rgb(upright)


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited on white (how a browser would show it)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
