"""Images and videos made fit for GLM-4.5V's limits (size, pixels, formats, tiling of tall pages)."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replicator.backends.glm_media import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_VIDEO_BYTES,
    encode_within_limit,
    pick_evenly,
    prepare_image,
    sendable_video,
    video_part,
)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _bands(width: int, colors: list[tuple[int, int, int]], band_height: int) -> Image.Image:
    """A tall image of horizontal color bands, top to bottom in the order given."""
    image = Image.new("RGB", (width, band_height * len(colors)))
    for index, color in enumerate(colors):
        image.paste(color, (0, index * band_height, width, (index + 1) * band_height))
    return image


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def test_small_screenshot_is_sent_as_one_lossless_png_of_the_same_size() -> None:
    source = Image.new("RGB", (1280, 800), (250, 250, 250))
    prepared = prepare_image(_png(source))
    assert len(prepared.tiles) == 1 and not prepared.tiled
    tile = prepared.tiles[0]
    assert (tile.media_type, tile.width, tile.height) == ("image/png", 1280, 800)
    assert np.array_equal(np.asarray(_decode(tile.data)), np.asarray(source))
    assert prepared.scale == 1.0


def test_very_wide_image_is_downscaled_keeping_its_aspect() -> None:
    prepared = prepare_image(_png(Image.new("RGB", (9000, 1500), (10, 120, 30))))
    tile = prepared.tiles[0]
    assert tile.width == MAX_IMAGE_SIDE and tile.height == 1000
    assert _decode(tile.data).size == (6000, 1000)
    assert prepared.scale == pytest.approx(6000 / 9000)


def test_tall_page_is_cut_into_tiles_in_reading_order_without_scaling() -> None:
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    page = _bands(1280, colors, 5000)  # 1280 x 15000
    prepared = prepare_image(_png(page))
    assert prepared.tiled and len(prepared.tiles) == 3
    assert all(t.width == 1280 and t.height <= MAX_IMAGE_SIDE for t in prepared.tiles)
    assert sum(t.height for t in prepared.tiles) == 15000
    first, last = _decode(prepared.tiles[0].data), _decode(prepared.tiles[-1].data)
    assert first.getpixel((10, 0)) == colors[0]
    assert last.getpixel((10, last.height - 1)) == colors[-1]
    assert prepared.scale == 1.0


def test_extremely_tall_page_is_scaled_to_fit_four_tiles() -> None:
    page = _bands(1000, [(200, 200, 200), (20, 20, 20)], 15000)  # 1000 x 30000
    prepared = prepare_image(_png(page))
    assert len(prepared.tiles) == 4
    assert all(t.height <= MAX_IMAGE_SIDE for t in prepared.tiles)
    assert prepared.tiles[0].width == 800  # 4 x 6000 = 24000 of 30000 -> 0.8
    assert sum(t.height for t in prepared.tiles) == 24000


def test_image_over_five_megabytes_as_png_becomes_jpeg_under_the_limit() -> None:
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 255, (2200, 2600, 3), dtype=np.uint8))
    assert len(_png(noise)) > MAX_IMAGE_BYTES
    encoded = encode_within_limit(noise)
    assert encoded.media_type == "image/jpeg"
    assert len(encoded.data) < MAX_IMAGE_BYTES
    assert encoded.data.startswith(b"\xff\xd8\xff")
    assert _decode(encoded.data).size == (encoded.width, encoded.height)


def test_byte_limit_forces_downscaling_when_jpeg_alone_is_not_enough() -> None:
    rng = np.random.default_rng(3)
    noise = Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8))
    encoded = encode_within_limit(noise, max_bytes=60_000)
    assert len(encoded.data) < 60_000
    assert encoded.width < 800 and encoded.width / encoded.height == pytest.approx(800 / 600, rel=0.02)


def test_image_url_is_bare_base64_or_a_data_url() -> None:
    tile = prepare_image(_png(Image.new("RGB", (32, 32), "white"))).tiles[0]
    bare = tile.url("base64")
    assert not bare.startswith("data:") and base64.b64decode(bare) == tile.data
    data_url = tile.url("data_url")
    assert data_url.startswith("data:image/png;base64,")
    assert base64.b64decode(data_url.partition(",")[2]) == tile.data
    assert tile.part("base64") == {"type": "image_url", "image_url": {"url": bare}}


def test_only_mp4_mov_mkv_under_200_mb_are_sent_as_video(tmp_path: Path) -> None:
    mp4 = tmp_path / "clip.mp4"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    assert sendable_video(mp4) == mp4
    webm = tmp_path / "clip.webm"
    webm.write_bytes(b"\x1a\x45\xdf\xa3webm")
    assert sendable_video(webm) is None
    assert sendable_video(tmp_path / "missing.mp4") is None
    assert sendable_video(None) is None
    huge = tmp_path / "huge.mov"
    with huge.open("wb") as fh:  # sparse: no 200 MB written to disk
        fh.truncate(MAX_VIDEO_BYTES + 1)
    assert os.path.getsize(huge) > MAX_VIDEO_BYTES
    assert sendable_video(huge) is None


def test_video_part_is_a_base64_data_url_of_the_file(tmp_path: Path) -> None:
    mov = tmp_path / "clip.MOV"
    mov.write_bytes(b"\x00\x00\x00\x14ftypqt  ")
    part = video_part(mov)
    assert part["type"] == "video_url"
    prefix, _, encoded = part["video_url"]["url"].partition(",")
    assert prefix == "data:video/quicktime;base64"
    assert base64.b64decode(encoded) == mov.read_bytes()


def test_pick_evenly_keeps_first_last_and_order() -> None:
    items = list(range(120))
    picked = pick_evenly(items, 50)
    assert len(picked) == 50 and picked[0] == 0 and picked[-1] == 119
    assert picked == sorted(set(picked))
    assert pick_evenly([1, 2, 3], 50) == [1, 2, 3]
    assert pick_evenly([1, 2, 3], 1) == [1]
