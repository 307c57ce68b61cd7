"""Streaming multipart uploads with hard caps.

FastAPI's ``UploadFile`` spools the whole body before a handler runs, so a size cap there comes too
late; and a chunked body has no Content-Length to check up front. This parser reads the request
stream itself, counts every byte as it arrives and stops at the cap. File parts go straight to a
temporary file with a name of our own (the client's filename is kept only as a display label);
the type is judged from the first bytes, never from the filename or the part's Content-Type.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from ..errors import InputError, InputTooLarge, UnsupportedMedia
from ..intake import sniff_media_type

MAX_FIELD_BYTES = 16 * 1024
MAX_PARTS = 32
_SNIFF_BYTES = 64


@dataclass
class UploadedFile:
    """A file part, on disk under a name of ours. ``media_type`` is sniffed from its content."""

    field: str
    path: Path
    size: int = 0
    head: bytes = b""
    filename: str = ""  # display label only

    @property
    def media_type(self) -> str | None:
        return sniff_media_type(self.head) if self.head else None


@dataclass
class UploadedForm:
    files: dict[str, UploadedFile] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete every file still on disk (those handed on were moved away already)."""
        for upload in self.files.values():
            with contextlib.suppress(OSError):
                upload.path.unlink(missing_ok=True)


def display_name(raw: str) -> str:
    """A filename fit to show: last path component, no control characters, at most 120 chars."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:120]


async def read_multipart(
    request: Request,
    *,
    directory: Path,
    file_fields: frozenset[str],
    max_file_bytes: int,
) -> UploadedForm:
    """Parse a multipart/form-data request body, enforcing the caps while it streams in."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMedia("Send the upload as multipart/form-data (e.g. curl -F file=@screenshot.png).")
    max_total = max_file_bytes * len(file_fields) + MAX_PARTS * MAX_FIELD_BYTES
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_total:
        raise _too_large(max_file_bytes)

    form = UploadedForm()
    state = _PartState()
    limit_mb = max_file_bytes / 1048576

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        state.headers[state.header_field.lower()] = state.header_value
        state.header_field = state.header_value = b""

    def on_headers_finished() -> None:
        state.parts += 1
        if state.parts > MAX_PARTS:
            raise InputError(f"Too many form fields (at most {MAX_PARTS}).")
        _, options = parse_options_header(state.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        state.name = name
        state.value = bytearray()
        state.file = None
        if name in file_fields and name not in form.files:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix="upload-")
            state.file = os.fdopen(fd, "wb")
            raw_name = options.get(b"filename", b"").decode("utf-8", "replace")
            form.files[name] = UploadedFile(field=name, path=Path(tmp), filename=display_name(raw_name))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if state.file is not None:
            upload = form.files[state.name]
            upload.size += len(chunk)
            if upload.size > max_file_bytes:
                raise InputTooLarge(
                    f"The file is larger than the limit of {limit_mb:g} MiB (REPLICATOR_MAX_UPLOAD_MB)."
                )
            if len(upload.head) < _SNIFF_BYTES:
                upload.head += chunk[: _SNIFF_BYTES - len(upload.head)]
            # A plain write: the parser hands over at most a network chunk, which lands in the page
            # cache in microseconds; a thread hop per chunk would cost more than it saves.
            state.file.write(chunk)
        else:
            state.value += chunk
            if len(state.value) > MAX_FIELD_BYTES:
                raise InputError(f"The form field {state.name!r} is too long.")

    def on_part_end() -> None:
        if state.file is not None:
            state.file.close()
            state.file = None
        elif state.name and state.name not in file_fields:
            form.fields[state.name] = state.value.decode("utf-8", "replace")
        state.headers = {}

    def on_end() -> None:
        state.complete = True

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_total:
                raise _too_large(max_file_bytes)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        form.discard()
        raise InputError("The multipart upload is malformed.") from exc
    except BaseException:
        form.discard()
        raise
    finally:
        if state.file is not None:
            state.file.close()
    if not state.complete:
        form.discard()
        raise InputError("The upload ended before it was complete.")
    return form


@dataclass
class _PartState:
    header_field: bytes = b""
    header_value: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    value: bytearray = field(default_factory=bytearray)
    file: IO[bytes] | None = None
    parts: int = 0
    complete: bool = False


def _too_large(max_file_bytes: int) -> InputTooLarge:
    return InputTooLarge(
        f"The upload is larger than the limit of {max_file_bytes / 1048576:g} MiB (REPLICATOR_MAX_UPLOAD_MB)."
    )
