"""The installed package (a wheel, not this checkout) carries and finds its templates and prompts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(ROOT),
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (built,) = out.glob("replicator-*.whl")
    return built


def test_wheel_carries_every_web_file_and_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "web").rglob("*"):
        if path.is_file():
            assert f"replicator/_web/{path.relative_to(ROOT / 'web').as_posix()}" in names
    for prompt in (ROOT / "replicator" / "prompts").glob("*.j2"):
        assert f"replicator/prompts/{prompt.name}" in names
    assert "replicator/batch/templates/report.html.j2" in names


def test_installed_package_resolves_web_dir_and_renders_prompts(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    probe = (
        "import json, replicator, replicator.config as c, replicator.prompts as p;"
        "s = c.Settings(_env_file=None);"
        "print(json.dumps({'pkg': replicator.__file__, 'web': str(s.web_dir),"
        " 'index': (s.web_dir / 'templates' / 'index.html').is_file(),"
        " 'prompts': sorted(x.name for x in (c.PACKAGE_DIR / 'prompts').glob('*.j2'))}))"
    )
    # PYTHONPATH: the installed copy first; the venv's site-packages still give the dependencies.
    # Run from an empty folder so the checkout is not importable by accident.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    env.pop("REPLICATOR_WEB_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["pkg"].startswith(str(target))
    assert found["web"].startswith(str(target))
    assert found["index"]
    assert "generate_from_screenshot.j2" in found["prompts"]
