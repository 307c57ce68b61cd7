"""Batch inputs (files, folders, globs, manifests, names), reports and atomic writes."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from replicator.batch import (
    BatchReport,
    ItemRecord,
    discover_inputs,
    parse_viewport,
    safe_name,
    write_atomic,
)
from replicator.batch.report import current_umask
from replicator.errors import InputError
from replicator.models import Viewport


def _png(path: Path, color: tuple[int, int, int] = (200, 40, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_folder_is_walked_recursively_for_media_by_content(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    _png(shots / "home.png")
    _png(shots / "nested" / "deeper" / "pricing.png")
    _png(shots / "no_extension")  # a PNG by content, whatever its name
    (shots / "notes.txt").write_text("not an image")
    _png(shots / ".hidden" / "secret.png")
    (shots / "broken.png").write_bytes(b"garbage")  # named like an image: reported, not skipped

    items = discover_inputs([str(shots)])

    assert sorted(i.path.relative_to(shots).as_posix() for i in items) == [
        "broken.png",
        "home.png",
        "nested/deeper/pricing.png",
        "no_extension",
    ]


def test_output_folder_inside_an_input_folder_is_not_converted(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    _png(tmp_path / "out" / "a.render.png")

    items = discover_inputs([str(tmp_path)], exclude=tmp_path / "out")

    assert [i.path.name for i in items] == ["a.png"]


def test_glob_patterns_expand_and_duplicates_collapse(tmp_path: Path) -> None:
    _png(tmp_path / "x" / "one.png")
    _png(tmp_path / "x" / "two.png")
    (tmp_path / "x" / "skip.txt").write_text("text")

    items = discover_inputs([str(tmp_path / "x" / "*"), str(tmp_path / "x" / "one.png")])

    assert [i.name for i in items] == ["one", "two"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover_inputs([str(tmp_path / "nope.png")])


def test_nothing_found_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="No inputs found"):
        discover_inputs([str(tmp_path / "empty"), str(tmp_path / "*.png")])


def test_explicit_file_of_any_type_is_kept_so_its_failure_is_reported(tmp_path: Path) -> None:
    doc = tmp_path / "spec.pdf"
    doc.write_bytes(b"%PDF-1.4")
    assert [i.path for i in discover_inputs([str(doc)])] == [doc]


def _warnings(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_links_out_of_a_folder_are_skipped_with_a_warning_that_names_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = _png(tmp_path / "private" / "secret.png")
    shots = tmp_path / "shots"
    _png(shots / "home.png")
    (shots / "leak.png").symlink_to(private)
    (shots / "elsewhere").symlink_to(private.parent, target_is_directory=True)
    (shots / "again.png").symlink_to("home.png")  # stays inside: taken (once)
    (shots / "self").symlink_to(".", target_is_directory=True)  # a loop: not walked
    (shots / "a.png").symlink_to("b.png")
    (shots / "b.png").symlink_to("a.png")  # a loop of file links

    items = discover_inputs([str(shots)])

    assert [i.path for i in items] == [shots / "again.png"]
    warned = _warnings(caplog)
    assert f"skipped {shots / 'leak.png'}: it is a link to {private}" in warned
    assert f"skipped {shots / 'elsewhere'}: it is a link to {private.parent}" in warned
    assert f"skipped {shots / 'a.png'}: it is a link that loops" in warned
    assert "again.png" not in warned and "self" not in warned


@pytest.mark.timeout(30)  # two link loops: ** used to walk them 2^40 ways
def test_a_pattern_keeps_to_its_folder_and_does_not_walk_linked_folders(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = _png(tmp_path / "private" / "secret.png")
    shots = tmp_path / "shots"
    _png(shots / "nested" / "home.png")
    (shots / "nested" / "leak.png").symlink_to(private)
    (shots / "loop").symlink_to(".", target_is_directory=True)
    (shots / "nested" / "up").symlink_to("..", target_is_directory=True)
    (shots / "elsewhere").symlink_to(private.parent, target_is_directory=True)

    for pattern in ("shots/**/*.png", "shots/*/*.png"):
        caplog.clear()
        items = discover_inputs([str(tmp_path / pattern)])
        assert [i.path for i in items] == [shots / "nested" / "home.png"], pattern
        assert f"skipped {shots / 'nested' / 'leak.png'}: it is a link to {private}" in _warnings(caplog)
    assert f"skipped {shots / 'elsewhere'}: it is a link to {private.parent}" in _warnings(caplog)


def test_links_named_on_the_command_line_are_the_users_choice(tmp_path: Path) -> None:
    private = _png(tmp_path / "private" / "secret.png")
    link = tmp_path / "shots" / "leak.png"
    link.parent.mkdir()
    link.symlink_to(private)
    linked_folder = tmp_path / "linked"
    linked_folder.symlink_to(private.parent, target_is_directory=True)

    assert [i.path for i in discover_inputs([str(link)])] == [link]
    assert [i.path for i in discover_inputs([str(linked_folder)])] == [linked_folder / "secret.png"]


@pytest.mark.timeout(60)
def test_convert_skips_a_link_out_of_its_folder_and_says_so(tmp_path: Path) -> None:
    """Through the real CLI: the folder holds only a link out of it and two link loops (which a
    pattern's ** used to walk 2^40 ways); nothing is converted and the link is named."""
    private = _png(tmp_path / "private" / "secret.png")
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "leak.png").symlink_to(private)
    (shots / "a").symlink_to(".", target_is_directory=True)
    (shots / "b").symlink_to(".", target_is_directory=True)
    env = {**os.environ, "REPLICATOR_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "400"}
    cli = Path(sys.executable).parent / "replicator"

    for source in ("shots", "shots/**/*.png"):
        run = subprocess.run(
            [str(cli), "convert", source, "-o", "out"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert run.returncode == 2, run.stderr
        assert "No inputs found" in run.stderr
        assert f"skipped {Path('shots') / 'leak.png'}: it is a link to {private}" in run.stderr
        assert not (tmp_path / "out").exists()


def test_output_names_are_unique_safe_and_avoid_report(tmp_path: Path) -> None:
    _png(tmp_path / "a" / "home.png")
    _png(tmp_path / "b" / "home.png")
    _png(tmp_path / "c" / "Home.png")
    _png(tmp_path / "report.png")
    _png(tmp_path / "d" / "my page (1).png")

    names = [i.name for i in discover_inputs([str(tmp_path)])]

    assert names == ["home", "home-2", "Home-3", "my-page-1", "report-2"]
    assert safe_name("../../etc/passwd") == "etc-passwd"


def test_csv_manifest_with_per_item_options(tmp_path: Path) -> None:
    _png(tmp_path / "img" / "a.png")
    _png(tmp_path / "img" / "b.png")
    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        "source,name,viewport,mode,refine_rounds,target_score\n"
        "img/a.png,landing,375x812,static,0,80\n"
        "\n"
        "img/b.png,,,,,\n"
    )

    items = discover_inputs([str(manifest)])

    assert [(i.path, i.name) for i in items] == [
        (tmp_path / "img" / "a.png", "landing"),
        (tmp_path / "img" / "b.png", "b"),
    ]
    first = items[0].options
    assert (first.viewport, first.mode, first.refine_rounds, first.target_score) == (
        Viewport(375, 812),
        "static",
        0,
        80.0,
    )
    assert items[1].options.to_dict() == {}


def test_jsonl_manifest_and_its_errors_name_the_line(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    good = tmp_path / "good.jsonl"
    good.write_text('{"source": "a.png", "width": 640, "height": 480, "name": "first"}\n\n"a.png"\n')
    items = discover_inputs([str(good)])
    # The same file twice collapses into one item (the first mention wins).
    assert [(i.name, i.options.viewport) for i in items] == [("first", Viewport(640, 480))]

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"source": "a.png"}\n{"source": "a.png", "colour": "red"}\n')
    with pytest.raises(InputError, match=r"line 2: unknown column colour"):
        discover_inputs([str(bad)])
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"source": "a.png"\n')
    with pytest.raises(InputError, match="line 1: not valid JSON"):
        discover_inputs([str(broken)])
    missing = tmp_path / "missing.csv"
    missing.write_text("source\nghost.png\n")
    with pytest.raises(InputError, match=r"line 2: ghost.png does not exist"):
        discover_inputs([str(missing)])


def test_manifest_names_must_be_safe_and_distinct(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    _png(tmp_path / "b.png")
    unsafe = tmp_path / "unsafe.csv"
    unsafe.write_text("source,name\na.png,../escape\n")
    with pytest.raises(InputError, match="output name"):
        discover_inputs([str(unsafe)])
    twice = tmp_path / "twice.csv"
    twice.write_text("source,name\na.png,same\nb.png,SAME\n")
    with pytest.raises(InputError, match="Two manifest items"):
        discover_inputs([str(twice)])


@pytest.mark.parametrize("text", ["1280", "0x800", "1280x99999", "wide"])
def test_bad_viewports_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_viewport(text)


def test_viewport_parses() -> None:
    assert parse_viewport(" 375 x 667 ") == Viewport(375, 667)


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_write_atomic_gives_files_the_mode_the_umask_allows(tmp_path: Path, umask: int, mode: int) -> None:
    # A temporary file is made owner-only; the file it becomes is the user's, like any file they write.
    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "page.html", b"<html></html>")
        write_atomic(tmp_path / "page.html", b"<html>again</html>")  # and again when it is replaced
        assert current_umask() == umask
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "page.html").stat().st_mode) == mode


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self._cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if tag == "th" else self.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_report_json_and_html_describe_every_item(tmp_path: Path) -> None:
    ok = ItemRecord(
        name="home",
        source="shots/home.png",
        status="ok",
        score={"overall": 91.5, "block": 90, "text": 95, "position": 88, "color": 92, "visual": 93},
        elapsed_s=1.5,
        outputs={"html": "home.html", "render.png": "home.render.png", "diff.png": "home.diff.png"},
    )
    bad = ItemRecord(
        name="evil",
        source="shots/<script>alert(1)</script>.png",
        status="failed",
        error={"code": "corrupt_input", "message": "The image could not be decoded <b>now</b>."},
        stage="intake",
    )
    waiting = ItemRecord(name="later", source="shots/later.png")
    report = BatchReport(
        out_dir=tmp_path, options={"backend": "local"}, items=[ok, bad, waiting], fail_under=95
    )
    ok.below_fail_under = True

    report.write()

    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"]["total"] == 3
    assert data["summary"]["succeeded"] == 1
    assert data["summary"]["failed"] == 1
    assert data["summary"]["pending"] == 1
    assert data["summary"]["below_fail_under"] == 1
    assert data["summary"]["mean_score"] == 91.5
    assert data["items"][1]["error"]["code"] == "corrupt_input"
    assert data["finished"] is False
    assert report.all_succeeded is False

    html = (tmp_path / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html  # user-controlled text is escaped
    reader = _TableReader()
    reader.feed(html)
    assert reader.headers[:6] == ["Name", "Source", "Render", "Diff", "Status", "Score"]
    body = [row for row in reader.rows if row]
    assert len(body) == 3
    assert body[0][0].startswith("home") and "91.5" in body[0]
    # An item scored before typography and edges existed (resumed from an older run) shows them blank.
    columns = reader.headers[6:]
    assert "typography" in [c.lower() for c in columns] and "graphics" in [c.lower() for c in columns]
    assert body[0][6 + [c.lower() for c in columns].index("graphics")] == ""
    assert body[0][6 + [c.lower() for c in columns].index("typography")] == ""
    assert body[0][6 + [c.lower() for c in columns].index("visual")] == "93"
    assert "The image could not be decoded <b>now</b>. [corrupt_input] (during intake)" in body[1]
    assert 'src="home.render.png"' in html and 'src="home.diff.png"' in html
    assert reader.scripts == 1  # the sorter
