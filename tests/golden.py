"""Golden files: expected outputs kept in fixtures/, rewritten only when UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def check_golden_text(path: Path, actual: str) -> None:
    """Assert ``actual`` equals the golden file at ``path`` (or rewrite it under UPDATE_GOLDEN=1)."""
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {path} is missing; run with UPDATE_GOLDEN=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from golden file {path} (UPDATE_GOLDEN=1 rewrites it)"


def check_golden_json(path: Path, actual: Any) -> None:
    check_golden_text(path, json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
