"""pytest fixtures: the development set (fixtures/pages/*.html and their rendered references)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
PAGES_DIR = FIXTURES / "pages"
REFERENCES_DIR = FIXTURES / "references"
REAL_REFERENCES_DIR = FIXTURES / "realpages" / "references"


def real_reference_crop(name: str, box: tuple[int, int, int, int]) -> bytes:
    """The PNG bytes of ``box`` (left, top, right, bottom) of a real-framework page's reference."""
    with Image.open(REAL_REFERENCES_DIR / f"{name}.png") as page:
        buffer = io.BytesIO()
        page.convert("RGB").crop(box).save(buffer, format="PNG")
    return buffer.getvalue()


def dev_page_names() -> list[str]:
    """Every development page that has a rendered reference, sorted."""
    return sorted(p.stem for p in PAGES_DIR.glob("*.html") if (REFERENCES_DIR / f"{p.stem}.png").is_file())


@pytest.fixture(scope="session")
def dev_pages() -> list[str]:
    names = dev_page_names()
    assert len(names) >= 15, "the development set needs at least 15 pages with references"
    return names


@pytest.fixture(scope="session")
def dev_reference() -> Callable[[str], bytes]:
    """``dev_reference("login")`` -> the PNG bytes of that page's reference screenshot."""

    def load(name: str) -> bytes:
        return (REFERENCES_DIR / f"{name}.png").read_bytes()

    return load


@pytest.fixture(scope="session")
def dev_page_html() -> Callable[[str], str]:
    """``dev_page_html("login")`` -> the development page's own HTML."""

    def load(name: str) -> str:
        return (PAGES_DIR / f"{name}.html").read_text(encoding="utf-8")

    return load
