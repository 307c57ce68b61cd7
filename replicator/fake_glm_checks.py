"""What the fake GLM server checks in every request, as the real API would refuse it.

A client bug (wrong auth header, model, message shape, image encoding, mixed media, thinking switch
in the wrong style) becomes a 4xx answer with the provider's business code, so a test fails.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from .fake_glm import FakeGlm

MAX_IMAGE_BYTES = 5_000_000
MAX_IMAGE_SIDE = 6000
MAX_IMAGES = 50
MAX_VIDEO_BYTES = 200 * 1000 * 1000
MAX_TOKENS = 65536
_PART_TYPES = {"text", "image_url", "video_url", "file_url"}
_IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class RequestProblem(Exception):
    """A request the provider would refuse: HTTP status, business code and message."""

    def __init__(self, message: str, *, status: int = 400, code: int = 1214) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def check_request(fake: FakeGlm, headers: Mapping[str, str], body: Any) -> None:
    """Raise RequestProblem for the first thing wrong with this request."""
    _check_auth(fake, headers)
    if not isinstance(body, dict):
        raise RequestProblem("The request body is not a JSON object.")
    if body.get("model") != fake.model:
        raise RequestProblem(f"Model {body.get('model')!r} does not exist.", code=1211)
    if not isinstance(body.get("stream", False), bool):
        raise RequestProblem("stream must be a boolean.")
    _check_sampling(body)
    _check_thinking(fake, body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestProblem("messages must be a non-empty list.")
    kinds: set[str] = set()
    images = videos = 0
    prompt_tokens = 0
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            raise RequestProblem("Each message needs a role of system, user or assistant.")
        if "reasoning_content" in message:
            raise RequestProblem("Earlier reasoning must not be sent back in messages.")
        content = message.get("content")
        if isinstance(content, str):
            _check_text(content)
            continue
        if not isinstance(content, list) or not content:
            raise RequestProblem("content must be a string or a non-empty list of parts.")
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in _PART_TYPES:
                raise RequestProblem(f"Unknown content part type {kind!r}.")
            assert isinstance(part, dict)
            if kind == "text":
                if not isinstance(part.get("text"), str) or not part["text"].strip():
                    raise RequestProblem("A text part needs non-empty text.")
                _check_text(part["text"])
                prompt_tokens += len(part["text"]) // 4
                continue
            kinds.add(kind)
            url = (part.get(kind) or {}).get("url") if isinstance(part.get(kind), dict) else None
            if not isinstance(url, str) or not url:
                raise RequestProblem(f"A {kind} part needs {kind}.url.")
            if kind == "image_url":
                images += 1
                width, height = _check_image(fake, url)
                prompt_tokens += -(-width // 28) * -(-height // 28)
            elif kind == "video_url":
                videos += 1
                _check_video(url)
    if len(kinds) > 1:
        raise RequestProblem(
            f"Images, videos and files cannot be mixed in one request (got {sorted(kinds)})."
        )
    if videos > 1:
        raise RequestProblem("At most one video per request.")
    if images > MAX_IMAGES:
        raise RequestProblem(f"At most {MAX_IMAGES} images per request (got {images}).")
    # The context window holds the prompt and the whole answer budget (thinking included). Text is
    # counted at 4 characters a token and images at one token per 28 x 28 px: a lenient count, so a
    # client that overflows it would overflow the real tokenizer's too.
    if prompt_tokens + int(body.get("max_tokens", 1024)) > MAX_TOKENS:
        raise RequestProblem(
            f"Prompt exceeds max length: about {prompt_tokens} prompt tokens plus max_tokens "
            f"{body.get('max_tokens')} is over the {MAX_TOKENS}-token context.",
            code=1261,
        )


def _check_auth(fake: FakeGlm, headers: Mapping[str, str]) -> None:
    if fake.api_key is None:
        return
    header = headers.get("authorization")
    if not header:
        raise RequestProblem("Authentication parameter not received in Header", status=401, code=1001)
    if header != f"Bearer {fake.api_key}":
        raise RequestProblem("Invalid Authentication Token", status=401, code=1002)


def _check_sampling(body: dict[str, Any]) -> None:
    temperature, top_p, max_tokens = (
        body.get("temperature", 0.3),
        body.get("top_p", 0.6),
        body.get("max_tokens", 1024),
    )
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
        raise RequestProblem(f"temperature must be within [0, 1] (got {temperature!r}).")
    if not isinstance(top_p, int | float) or not 0 < top_p <= 1:
        raise RequestProblem(f"top_p must be within (0, 1] (got {top_p!r}).")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= MAX_TOKENS:
        raise RequestProblem(f"max_tokens must be an integer within [1, {MAX_TOKENS}] (got {max_tokens!r}).")


def _check_thinking(fake: FakeGlm, body: dict[str, Any]) -> None:
    if fake.thinking_style == "thinking":
        if "chat_template_kwargs" in body:
            raise RequestProblem("chat_template_kwargs is not a parameter of this API; use thinking.")
        thinking = body.get("thinking", {"type": "enabled"})
        if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled"):
            raise RequestProblem('thinking must be {"type": "enabled" | "disabled"}.')
    else:
        if "thinking" in body:
            raise RequestProblem("This server takes chat_template_kwargs.enable_thinking, not thinking.")
        kwargs = body.get("chat_template_kwargs", {})
        if not isinstance(kwargs, dict) or not isinstance(kwargs.get("enable_thinking", True), bool):
            raise RequestProblem("chat_template_kwargs.enable_thinking must be a boolean.")


def _check_text(text: str) -> None:
    if "<think>" in text:
        raise RequestProblem("Earlier reasoning (<think>) must not be sent back to the model.")


def _check_image(fake: FakeGlm, url: str) -> tuple[int, int]:
    if url.startswith(("http://", "https://")):
        raise RequestProblem("This fake cannot fetch image URLs; send the image inline.")
    declared = None
    if fake.image_encoding == "data_url":
        prefix, sep, encoded = url.partition(",")
        if not sep or not prefix.startswith("data:") or not prefix.endswith(";base64"):
            raise RequestProblem("Images must be data URLs (data:image/png;base64,...) on this server.")
        declared = prefix.removeprefix("data:").removesuffix(";base64")
    else:
        if url.startswith("data:"):
            raise RequestProblem("Images must be bare base64 strings, without a data: prefix, on this API.")
        encoded = url
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestProblem("The image is not valid base64.") from exc
    actual = next((t for t, magic in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if actual is None:
        raise RequestProblem("Images must be PNG or JPEG.")
    if declared is not None and declared != actual:
        raise RequestProblem(f"The data URL says {declared} but the image is {actual}.")
    if len(data) >= MAX_IMAGE_BYTES:
        raise RequestProblem(f"Image is {len(data)} bytes; the limit is under 5 MB.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise RequestProblem("The image cannot be decoded.") from exc
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise RequestProblem(f"Image is {width}x{height}; at most {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} pixels.")
    return width, height


def _check_video(url: str) -> None:
    prefix, sep, encoded = url.partition(",")
    if not sep or prefix not in (
        "data:video/mp4;base64",
        "data:video/quicktime;base64",
        "data:video/x-matroska;base64",
    ):
        raise RequestProblem("Videos must be MP4, MOV or MKV data URLs.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestProblem("The video is not valid base64.") from exc
    if len(data) > MAX_VIDEO_BYTES:
        raise RequestProblem("Videos may be at most 200 MB.")
    if data[4:8] != b"ftyp" and not data.startswith(b"\x1a\x45\xdf\xa3"):
        raise RequestProblem("The video is not an MP4, MOV or MKV file.")
