# ruff: noqa: F811 - the API fixtures are imported from test_api and used as parameters
"""Revisions over the API: a person's own edit, an instruction for the model, a chain of them, and
a job started from imported code. Real service, real browser, the fake GLM for the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.service_helpers import SCREENSHOT
from tests.test_api import Service, api, error_of, make_service, upload  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
GLM_PAGE = (ROOT / "fixtures" / "glm" / "page.html").read_text()


async def _finished(api: Service, **fields: str) -> dict[str, Any]:
    response = await api.client.post("/api/v1/replications?wait=90", **upload(**fields))
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["state"] == "succeeded"
    return job  # type: ignore[no-any-return]


async def test_an_edit_is_rendered_scored_and_kept_beside_the_result(api: Service) -> None:
    job = await _finished(api, backend="local")
    listing = (await api.client.get(job["urls"]["revisions"])).json()["revisions"]
    assert [(r["number"], r["kind"], r["parent"]) for r in listing] == [(0, "generated", None)]
    original = (await api.client.get(listing[0]["urls"]["code"])).text
    assert "<html" in original.lower()

    edited = original.replace("</body>", '<p style="font-size:40px">An added line</p></body>')
    made = await api.client.post(job["urls"]["revisions"], json={"code": edited})
    assert made.status_code == 201, made.text
    revision = made.json()
    assert (revision["number"], revision["kind"], revision["parent"]) == (1, "edit", 0)
    assert 0 < revision["score"]["overall"] <= 100
    assert (await api.client.get(revision["urls"]["code"])).text == edited
    page = await api.client.get(revision["urls"]["html"])
    assert "An added line" in page.text and "Content-Security-Policy" in page.headers
    render = await api.client.get(revision["urls"]["render.png"])
    assert render.headers["content-type"] == "image/png" and render.content.startswith(b"\x89PNG")
    # The result itself is untouched: revisions are kept beside it, and any can be taken up again.
    assert (await api.client.get(job["urls"]["code"])).text == original
    again = await api.client.post(job["urls"]["revisions"], json={"code": original, "base": 0})
    assert again.json()["number"] == 2
    assert abs(again.json()["score"]["overall"] - job["score"]) < 0.5  # the same code scores the same
    numbers = [r["number"] for r in (await api.client.get(job["urls"]["revisions"])).json()["revisions"]]
    assert numbers == [0, 1, 2]


async def test_instructions_need_a_model_backend(api: Service) -> None:
    job = await _finished(api, backend="local")
    refused = await api.client.post(job["urls"]["revisions"], json={"instruction": "Make the title red"})
    assert refused.status_code == 422
    error = error_of(refused)
    assert error["code"] == "needs_model_backend" and "model backend" in error["message"]
    both = await api.client.post(job["urls"]["revisions"], json={"instruction": "x", "code": "<p>x</p>"})
    assert both.status_code == 422 and "either instruction or code" in error_of(both)["message"]
    nothing = await api.client.post(job["urls"]["revisions"], json={"base": 7, "code": "<p>x</p>"})
    assert nothing.status_code == 400 and "There is no revision 7" in error_of(nothing)["message"]
    missing = await api.client.post(job["urls"]["revisions"], json={"base": 9, "instruction": "x"})
    assert missing.status_code == 400 and "There is no revision 9" in error_of(missing)["message"]


async def test_a_chain_of_instructions_reaches_the_model_with_the_current_code(
    api: Service, fake_glm: Any
) -> None:
    job = await _finished(api)
    first = await api.client.post(job["urls"]["revisions"], json={"instruction": "Make the header sticky"})
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "instruction" and first.json()["parent"] == 0
    request = fake_glm.fake.requests[-1]
    prompt = request.text()
    assert "The person asks for this change" in prompt and "Make the header sticky" in prompt
    assert "Northwind Analytics" in prompt  # the current page's code travels with the instruction
    assert len(request.image_urls()) >= 2  # the source and the current render
    second = await api.client.post(
        job["urls"]["revisions"], json={"instruction": "Use a darker orange", "base": 1}
    )
    assert second.json()["parent"] == 1 and second.json()["number"] == 2
    assert "Use a darker orange" in fake_glm.fake.requests[-1].text()
    assert len(fake_glm.fake.requests) == 3  # one generation, two revisions


async def test_a_job_can_start_from_imported_code(api: Service) -> None:
    files = {
        "design": ("design.png", SCREENSHOT.read_bytes(), "image/png"),
        "code": (
            "Page.jsx",
            b"export default function Page() { return <h1 className='p-4'>Welcome</h1>; }",
            "text/plain",
        ),
    }
    made = await api.client.post(
        "/api/v1/replications/import?wait=60",
        files=files,
        data={"stack": "react-tailwind", "backend": "local"},
    )
    assert made.status_code == 200, made.text
    job = made.json()
    assert job["state"] == "succeeded" and job["result"]["backend"] == "imported"
    assert job["options"]["imported"] is True and job["options"]["stack"] == "react-tailwind"
    assert "Welcome" in (await api.client.get(job["urls"]["html"])).text and job["score"] is not None
    revisions = (await api.client.get(job["urls"]["revisions"])).json()["revisions"]
    assert revisions[0]["kind"] == "imported"
    edit = "export default function Page() { return <h1 className='p-8 text-3xl'>Welcome back</h1>; }"
    revised = await api.client.post(job["urls"]["revisions"], json={"code": edit})
    assert revised.status_code == 201 and revised.json()["stack"] == "react-tailwind"
    assert (await api.client.get(revised.json()["urls"]["code"])).text.strip() == edit
    broken = await api.client.post(job["urls"]["revisions"], json={"code": "export default function ("})
    assert broken.status_code == 502
    assert error_of(broken)["code"] == "component_does_not_compile"
    assert len((await api.client.get(job["urls"]["revisions"])).json()["revisions"]) == 2  # nothing lost


async def test_an_import_that_fails_within_wait_answers_with_its_error(api: Service) -> None:
    files = {
        "design": ("design.png", SCREENSHOT.read_bytes(), "image/png"),
        "code": ("Page.jsx", b"export default function Page() { return <h1>; }", "text/plain"),
    }
    made = await api.client.post(
        "/api/v1/replications/import?wait=60",
        files=files,
        data={"stack": "react-tailwind", "backend": "local"},
    )
    assert made.status_code == 502, made.text  # as an upload whose job fails within wait
    error = error_of(made)
    assert error["code"] == "component_does_not_compile"
    assert error["details"]["replication"]["state"] == "failed"


async def test_a_job_without_a_result_has_no_revisions(api: Service) -> None:
    stored = json.dumps({"code": "<p>x</p>"})
    response = await api.client.post(
        "/api/v1/replications/0123456789abcdef0123456789abcdef/revisions",
        content=stored,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 404
