"""pytest fixtures: data directories for the CLI and the service, with the caches a first conversion
builds already in them.

A fresh data directory makes its first conversion build the icon index and the web fonts' glyph
metrics and TrueType copies (about 25 s of CPU, in every process that converts). A test of the
CLI or of the service gets them as a user's data directory holds them after that first run: built
once per test run, by a real conversion, and linked in. The cold build keeps its own tests
(test_icons.py builds and reloads the index in a directory of its own).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
_warm_root: list[Path] = []  # where this run keeps its warm data directory (set at session start)


@pytest.fixture(scope="session", autouse=True)
def _warm_data_dir_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    base = tmp_path_factory.getbasetemp()
    # Under pytest-xdist each worker's base is a folder of the run's own, which all workers share.
    _warm_root.append(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
    yield
    _warm_root.clear()


def without_product_settings() -> dict[str, str]:
    """This process's environment without any replicator setting or API key."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("REPLICATOR_", "ZAI_", "ZHIPUAI_"))}


def warmed(data_dir: Path) -> Path:
    """``data_dir`` (created if missing) with the run's warm caches linked into its ``cache/``.

    Hard links: the product replaces a cache file (written aside, then renamed), never rewrites
    one in place, so no test can change the shared copy.
    """
    warm = _warm_data_dir() / "cache"
    for source in sorted(warm.rglob("*")):
        if not source.is_file() or source.name.startswith("."):
            continue
        target = data_dir / "cache" / source.relative_to(warm)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    return data_dir


def _warm_data_dir() -> Path:
    """The run's warm data directory: filled by converting a fixture screenshot with the CLI, by the
    first process to need it (the others wait on its lock)."""
    if not _warm_root:
        raise RuntimeError("warmed() needs the test session (tests.plugins.data_dirs)")
    root = _warm_root[0]
    data_dir = root / "warm-data"
    ready = root / "warm-data.ready"
    with (root / "warm-data.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(data_dir, ignore_errors=True)
            env = without_product_settings()
            env.update(
                REPLICATOR_DATA_DIR=str(data_dir), REPLICATOR_BACKEND="local", REPLICATOR_REFINE_ROUNDS="0"
            )
            cli = Path(sys.executable).with_name("replicator")
            source, out = FIXTURES / "cli" / "welcome.png", root / "warm-data-out"
            done = subprocess.run(
                [str(cli), "convert", str(source), "-o", str(out)],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                raise RuntimeError(f"warming a data directory failed:\n{done.stdout}\n{done.stderr}")
            ready.touch()
    return data_dir
