"""pytest fixtures: recordings (the committed fixture videos, their ground truth, ffmpeg helpers)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

RECORDINGS_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures" / "recordings"
MEDIA_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime"}


@dataclass(frozen=True)
class Recording:
    """A fixture video and what its recording script says happened in it."""

    path: Path
    truth: dict[str, Any]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.path.suffix]

    @property
    def state_times(self) -> list[float]:
        return [float(t) for t in self.truth["states"]]

    @property
    def clicks(self) -> list[tuple[float, float]]:
        return [(float(c["x"]), float(c["y"])) for c in self.truth["clicks"]]


def recording(name: str, suffix: str = ".mp4") -> Recording:
    return Recording(
        RECORDINGS_DIR / f"{name}{suffix}",
        json.loads((RECORDINGS_DIR / f"{name}.json").read_text()),
    )


def ffmpeg(*args: str) -> None:
    """Run ffmpeg to make a test input (quietly; fails the test if ffmpeg fails)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    return RECORDINGS_DIR
