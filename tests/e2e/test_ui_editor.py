"""The job page's code editor in real Chromium against `replicator serve` (local backend): edit the
code in CodeMirror, "Render & score" makes a revision shown beside the one before it; instructions
on the local backend get its clear refusal; a React job's editor holds its JSX."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser

from tests.e2e.test_ui import wait_until
from tests.service_helpers import SCREENSHOT, launched_chromium, running_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("editor-service")
    with running_service(workdir, REPLICATOR_BACKEND="local", REPLICATOR_REFINE_ROUNDS="0") as (_, base):
        yield base


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


def _finished_job(base: str, **fields: str) -> str:
    with SCREENSHOT.open("rb") as fh:
        response = httpx.post(
            f"{base}/api/v1/replications?wait=120",
            files={"file": ("shot.png", fh, "image/png")},
            data={"refine_rounds": "0", **fields},
            timeout=150,
        )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def test_edit_the_code_render_and_score_it_as_a_revision(server: str, browser: Browser) -> None:
    job_id = _finished_job(server)
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_default_timeout(60_000)
    await page.goto(f"{server}/jobs/{job_id}")
    editor = page.locator("#editor .cm-content")
    await editor.wait_for()
    assert "<html" in (await editor.inner_text()).lower()  # CodeMirror holds the page's code
    await editor.click()
    await page.keyboard.press("Control+End")  # the empty line after </html>
    for _ in range(2):
        await page.keyboard.press("ArrowUp")  # to the line of </body>
    await page.keyboard.press("Home")
    await page.keyboard.type('<p style="font-size:48px">Typed in the editor</p>')
    await page.keyboard.press("Enter")
    await page.click("#render-score")
    await wait_until(page, "document.querySelectorAll('#revisions tr').length === 2", timeout=60)
    status = await page.locator("#revise-status").inner_text()
    assert status.startswith("Revision #1 scores")
    rows = await page.locator("#revisions tr").all_inner_texts()
    assert "your edit" in rows[1]
    # The new render beside the one before it, and its heatmap.
    await wait_until(
        page, "['cmp-old','cmp-new','cmp-diff'].every(id => document.getElementById(id).naturalWidth > 0)"
    )
    kept = httpx.get(f"{server}/api/v1/replications/{job_id}/revisions/1/code").text
    assert "Typed in the editor" in kept
    # Instructions need a model: the local backend's refusal is shown, nothing is lost.
    await page.fill("#instruction", "Make the title red")
    await page.click("#instruct-submit")
    await page.locator("#revise-error").wait_for(state="visible")
    assert "needs a model backend" in await page.locator("#revise-error").inner_text()
    assert await page.locator("#revisions tr").count() == 2
    # Going back to the result puts its code in the editor again.
    await page.locator("#revisions tr").first.get_by_role("button", name="Open").click()
    await wait_until(
        page,
        "!document.getElementById('editor').shadowRoot.querySelector('.cm-content')"
        ".innerText.includes('Typed in the editor')",
    )
    assert problems == []


async def test_a_react_jobs_editor_holds_its_component(server: str, browser: Browser) -> None:
    job_id = _finished_job(server, stack="react-tailwind")
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{server}/jobs/{job_id}")
    editor = page.locator("#editor .cm-content")
    await editor.wait_for()
    assert "export default function Page()" in await editor.inner_text()
    assert await page.locator("#download").inner_text() == "Download Page.jsx"
    assert "(React + Tailwind)" in await page.locator("#code-stack").inner_text()


async def test_a_checked_page_can_be_revised_from_the_check_page(server: str, browser: Browser) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    await page.goto(f"{server}/check")
    await page.set_input_files("input[name=design]", str(root / "fixtures" / "cli" / "pricing.png"))
    changed = root / "docs" / "examples" / "pricing-changed" / "index.html"
    await page.set_input_files("input[name=implementation]", str(changed))
    await page.click("#check-form button[type=submit]")
    await page.locator("#iterate-button").wait_for(state="visible")
    await page.click("#iterate-button")
    await page.wait_for_url("**/jobs/*")
    editor = page.locator("#editor .cm-content")
    await editor.wait_for(timeout=120_000)
    assert "Pricing" in await editor.inner_text() or "pricing" in (await editor.inner_text()).lower()
    job_id = page.url.rsplit("/", 1)[-1]
    job = httpx.get(f"{server}/api/v1/replications/{job_id}").json()
    assert job["options"]["imported"] is True and job["result"]["backend"] == "imported"
    assert job["score"] is not None
