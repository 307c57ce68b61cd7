"""``replicator score``: a page or a screenshot against a source screenshot, as a table or JSON."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from typer.testing import CliRunner

from replicator.cli import app
from replicator.models import SCORE_FIELDS, Viewport
from replicator.render import SealedBrowserPool
from tests.conftest import FIXTURES

PAGE = FIXTURES / "score" / "landing.html"
RECOLOR = "<style>#lead { color: #777777 !important; }</style></head>"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shots(browser_pool: SealedBrowserPool, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("score-cli")
    html = PAGE.read_text(encoding="utf-8")
    paths = {}
    for name, page in (("source", html), ("recolored", html.replace("</head>", RECOLOR))):
        render = await browser_pool.render(page, Viewport(1280, 1080))
        paths[name] = folder / f"{name}.png"
        paths[name].write_bytes(render.png)
    recolored_page = folder / "recolored.html"
    recolored_page.write_text(html.replace("</head>", RECOLOR), encoding="utf-8")
    paths["recolored_page"] = recolored_page
    return paths


def test_scoring_a_page_renders_it_and_prints_json_with_a_heatmap(
    shots: dict[str, Path], tmp_path: Path
) -> None:
    diff = tmp_path / "out" / "diff.png"
    result = CliRunner().invoke(
        app, ["score", str(shots["source"]), str(shots["recolored_page"]), "--json", "--diff", str(diff)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["mode"] == "page"
    assert set(document["score"]) == set(SCORE_FIELDS)
    assert document["score"]["text"] == 100.0 and document["score"]["color"] < 97
    # The overall is 100 less what the differences cost (near the top: their points add up).
    assert 100 - document["score"]["overall"] >= 0.9 * sum(d["weight"] for d in document["discrepancies"])
    first = document["discrepancies"][0]
    assert first["kind"] == "text_color" and "#777777" in first["message"]
    assert set(first["box"]) == {"x", "y", "width", "height"}
    assert document["diff"] == str(diff)
    with Image.open(io.BytesIO(diff.read_bytes())) as heat:
        source = Image.open(shots["source"])
        assert heat.size == source.size


def test_scoring_two_screenshots_prints_a_table(shots: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["score", str(shots["source"]), str(shots["recolored"])], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Score" in result.output and "position" in result.output and "visual" in result.output
    # Both sides are pixels here: the render's color is measured too (a little lighter than CSS).
    assert re.search(r"text_color .*text color #[0-9a-f]{6} vs #[0-9a-f]{6} in the source", result.output), (
        result.output
    )


def test_identical_screenshots_score_100(shots: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["score", str(shots["source"]), str(shots["source"]), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["score"]["overall"] == 100.0


def test_a_source_that_is_not_an_image_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "source.png"
    bogus.write_text("<html>not an image</html>", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(bogus), str(PAGE)])
    assert result.exit_code == 2
    assert "not a PNG, JPEG or WebP image" in result.output
    assert "Traceback" not in result.output


def test_a_truncated_png_is_a_clear_error(tmp_path: Path, shots: dict[str, Path]) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(shots["source"].read_bytes()[:200])
    result = CliRunner().invoke(app, ["score", str(broken), str(shots["source"])])
    assert result.exit_code == 2
    assert "corrupt_input" in result.output
