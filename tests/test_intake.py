"""Intake: type decided by content, decompression bombs refused, images normalized to PNG."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from replicator.config import Settings
from replicator.errors import CorruptInput, InputTooLarge, UnsupportedMedia
from replicator.intake import load_source, sniff_media_type


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    color = (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_images_are_recognised_by_content_not_name(
    tmp_path: Path, settings: Settings, fmt: str, media_type: str
) -> None:
    path = write(tmp_path, "upload.txt", image_bytes(fmt))
    source = load_source(path, settings)
    assert source.kind == "image"
    assert source.media_type == media_type
    assert (source.width, source.height) == (64, 48)
    assert source.png.startswith(b"\x89PNG")


def test_transparency_is_flattened_on_white(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, "a.png", image_bytes("PNG", mode="RGBA"))
    source = load_source(path, settings)
    pixel = Image.open(io.BytesIO(source.png)).getpixel((5, 5))
    assert pixel == pytest.approx((132, 187, 227), abs=2)  # half-transparent blue over white


def test_text_file_named_png_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, "shot.png", b"<html><body>not an image</body></html>")
    with pytest.raises(UnsupportedMedia) as info:
        load_source(path, settings)
    assert "PNG" in info.value.message


def test_empty_file_is_refused(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(CorruptInput):
        load_source(write(tmp_path, "empty.png", b""), settings)


def test_truncated_png_is_refused_cleanly(tmp_path: Path, settings: Settings) -> None:
    data = image_bytes("PNG", size=(300, 300))
    with pytest.raises(CorruptInput):
        load_source(write(tmp_path, "cut.png", data[: len(data) // 2]), settings)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (the pixels compress to almost nothing)."""
    raw = zlib.compress(b"\x00" * (1 + width) * 16, 9)  # only 16 rows of data: never decoded anyway

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, "bomb.png", bomb_png(60_000, 60_000))
    assert path.stat().st_size < 10_000
    with pytest.raises(InputTooLarge) as info:
        load_source(path, settings)
    assert "pixels" in info.value.message and "REPLICATOR_MAX_IMAGE_PIXELS" in info.value.message


@pytest.mark.parametrize(
    ("size", "words"),
    [((40_000, 1_000), "40000 pixels wide; at most 8192"), ((16, 2_500_000), "2500000 pixels tall")],
)
def test_sides_the_renderer_cannot_open_are_refused_at_intake(
    tmp_path: Path, settings: Settings, size: tuple[int, int], words: str
) -> None:
    """Under the pixel cap, but a side no window (or decoder) takes: refused from the header, at
    once and in words, not after a minute of analysis or as "could not be decoded"."""
    path = write(tmp_path, "odd.png", bomb_png(*size))
    with pytest.raises(InputTooLarge) as info:
        load_source(path, settings)
    assert words in info.value.message


def test_upload_over_the_byte_cap_is_refused(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, max_upload_mb=0.001)  # type: ignore[call-arg]
    with pytest.raises(InputTooLarge):
        load_source(write(tmp_path, "big.png", image_bytes("PNG", size=(400, 400))), settings)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8, "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 8, "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"GIF89a" + b"\x00" * 10, None),
        (b"%PDF-1.7" + b"\x00" * 8, None),
    ],
)
def test_sniffing_by_magic_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_media_type(head) == expected
