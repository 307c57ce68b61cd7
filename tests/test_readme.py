"""The README stays true: its settings table is generated from the settings object, and every
command, make target, setting and relative link it names exists.

``UPDATE_GOLDEN=1 pytest tests/test_readme.py`` rewrites the settings table between its markers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import typer

from replicator.cli import app
from replicator.cli.settings_cmd import settings_markdown
from replicator.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, contents) of every fenced code block."""
    return re.findall(r"^```([\w-]*)[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def command_lines(text: str) -> list[str]:
    """Lines a reader would type: all of a sh/bash/yaml block, the ``$ `` lines of a console block."""
    lines: list[str] = []
    for language, block in code_blocks(text):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if language in ("sh", "bash", "shell", "yaml", "yml"):
                lines.append(line)
            elif language == "console" and line.startswith("$ "):
                lines.append(line[2:])
    return lines


def registered_commands() -> set[str]:
    """The command names the CLI really answers to (as Typer builds them)."""
    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))


def test_settings_table_is_generated_from_the_settings_object() -> None:
    text = readme()
    assert text.count(START) == 1 and text.count(END) == 1, "the settings-table markers must appear once"
    before, rest = text.split(START)
    current, after = rest.split(END)
    expected = "\n" + settings_markdown()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        README.write_text(before + START + expected + END + after, encoding="utf-8")
        return
    assert current == expected, (
        "README's settings table is out of date: run UPDATE_GOLDEN=1 pytest tests/test_readme.py"
    )


def test_settings_table_names_every_setting() -> None:
    table = readme().split(START)[1].split(END)[0]
    for name in Settings.model_fields:
        assert f"`REPLICATOR_{name.upper()}`" in table


def test_every_replicator_command_in_code_blocks_is_registered() -> None:
    commands = registered_commands()
    named: set[str] = set()
    for line in command_lines(readme()):
        # `replicator X`, `.venv/bin/replicator X`, and `docker run ... replicator replicator X`
        # (the image's name, then the command: the lookahead lets both be seen).
        for word in re.findall(r"(?:^|[\s/])replicator(?=[ \t]+([a-z][a-z-]*))", line):
            if word != "replicator":
                named.add(word)
    unknown = named - commands
    assert not unknown, f"README code blocks use unknown commands: {sorted(unknown)}"
    for needed in ("convert", "check", "render", "score", "serve", "fake-glm", "settings", "doctor"):
        assert needed in named, f"the README shows no example of `replicator {needed}`"


def test_every_make_target_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", makefile, flags=re.MULTILINE))
    text = readme()
    # In commands and inline code only: prose may say "make sure".
    places = [*command_lines(text), *re.findall(r"`([^`\n]+)`", text)]
    named = {m for place in places for m in re.findall(r"\bmake\s+([a-z][\w-]*)", place)}
    assert {"run", "test"} <= named
    missing = named - targets
    assert not missing, f"README names make targets the Makefile lacks: {sorted(missing)}"


def test_every_replicator_setting_named_in_the_readme_is_real() -> None:
    fields = {f"REPLICATOR_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"\bREPLICATOR_[A-Z0-9_]*[A-Z0-9]\b", readme()))
    unknown = named - fields
    assert not unknown, f"README names settings that do not exist: {sorted(unknown)}"


def test_relative_links_and_images_point_at_existing_files() -> None:
    text = readme()
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)
    targets += re.findall(r"<img[^>]+src=\"([^\"]+)\"", text)
    relative = [t for t in targets if not urlsplit(t).scheme and not t.startswith("#")]
    assert relative, "the README links no local files (the screenshot at least)"
    for target in relative:
        path = unquote(urlsplit(target).path)
        assert (ROOT / path).exists(), f"README links {target}, which does not exist"


def test_anchor_links_point_at_headings() -> None:
    text = readme()
    outside_code = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    slugs = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", outside_code, flags=re.MULTILINE):
        # GitHub's slugs: lower case, punctuation dropped, spaces to hyphens.
        slugs.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    anchors = re.findall(r"\]\(#([^)]+)\)", outside_code)
    assert anchors, "the README has no table of contents"
    missing = [a for a in anchors if a not in slugs]
    assert not missing, f"README links to headings that do not exist: {missing}"


def test_the_screenshot_is_a_real_png_of_the_ui() -> None:
    image = ROOT / "docs" / "images" / "ui-side-by-side.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "docs/images/ui-side-by-side.png" in readme()


def test_the_installed_cli_runs() -> None:
    replicator = Path(sys.executable).with_name("replicator")
    proc = subprocess.run(
        [str(replicator), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("convert", "check", "serve"):
        assert command in proc.stdout
