"""The REST API through the ASGI app (httpx, in process): every route, bad input, auth, cancel,
retention, and restart recovery counted on the fake GLM server. Rendering is real Chromium."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from PIL import Image
from pydantic import SecretStr

from replicator.backends import create_backend
from replicator.config import Settings
from replicator.jobs import JobManager
from replicator.models import SCORE_FIELDS
from replicator.runtime import Runtime
from replicator.service import create_app
from tests.service_helpers import PAGE, SCREENSHOT, CountingBackend, GatedRenderer, wait_for_file

TOKEN = "t0ken-for-tests-3b9d"
PNG = SCREENSHOT.read_bytes()


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    stack: AsyncExitStack

    @property
    def jobs(self) -> JobManager:
        return self.app.state.jobs  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self.stack.aclose()


MakeService = Callable[..., Awaitable[Service]]


@pytest_asyncio.fixture
async def make_service(browser_pool: Any) -> AsyncIterator[MakeService]:
    services: list[Service] = []

    async def make(settings: Settings, *, renderer: Any = None, backend: Any = None) -> Service:
        runtime = Runtime(
            settings, renderer=renderer or browser_pool, backends={"glm": backend} if backend else None
        )
        app = create_app(settings, runtime=runtime)
        stack = AsyncExitStack()
        stack.push_async_callback(runtime.close)
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")
        )
        service = Service(app, client, stack)
        services.append(service)
        return service

    yield make
    for service in services:
        await service.aclose()


@pytest_asyncio.fixture
async def api(make_service: MakeService, glm_settings: Settings) -> Service:
    return await make_service(glm_settings)


def upload(data: bytes = PNG, name: str = "welcome.png", **fields: Any) -> dict[str, Any]:
    return {"files": {"file": (name, data, "image/png")}, "data": {"refine_rounds": "0", **fields}}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":")
        )
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


# --- service routes ----------------------------------------------------------------------------------


async def test_healthz_and_readyz_report_browser_ocr_backend_database_and_queue(api: Service) -> None:
    health = await api.client.get("/api/v1/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await api.client.get("/api/v1/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"browser", "ocr", "backend", "database", "queue"}
    assert body["checks"]["database"]["detail"].startswith("SQLite ")
    assert body["checks"]["queue"]["detail"].startswith("in-process: ")
    assert body["jobs"] == {"queued": 0, "running": 0}
    assert all(check["ok"] for check in body["checks"].values())


async def test_readyz_is_503_when_the_backend_cannot_work(
    make_service: MakeService, glm_settings: Settings
) -> None:
    service = await make_service(glm_settings.model_copy(update={"api_key": None}))
    ready = await service.client.get("/api/v1/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["backend"]["ok"] is False


# --- replications ------------------------------------------------------------------------------------


async def test_upload_with_wait_returns_the_finished_result_and_every_artifact(
    api: Service, fake_glm: Any
) -> None:
    response = await api.client.post("/api/v1/replications?wait=90", **upload())
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["state"] == "succeeded" and job["filename"] == "welcome.png"
    result = job["result"]
    assert result["score"]["overall"] == job["score"]
    assert set(result["score"]) == set(SCORE_FIELDS)
    assert result["rounds"][0]["round"] == 0 and result["usage"]["total_tokens"] > 0
    assert {"generate", "render"} <= set(result["timings_ms"])
    urls = job["urls"]
    for key, media_type in [
        ("source", "image/png"),
        ("thumbnail", "image/png"),
        ("render", "image/png"),
        ("render_thumbnail", "image/png"),
        ("diff", "image/png"),
        ("result", "application/json"),
        ("html", "text/html"),
        ("preview", "text/html"),
    ]:
        artifact = await api.client.get(urls[key])
        assert artifact.status_code == 200, key
        assert artifact.headers["content-type"].startswith(media_type), key
    page = await api.client.get(urls["html"])
    assert "<html" in page.text.lower()
    assert page.headers["content-disposition"].startswith("attachment")
    assert "sandbox allow-scripts" in page.headers["content-security-policy"]
    listing = (await api.client.get("/api/v1/replications")).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == job["id"]
    assert listing["items"][0]["summary"]["score"]["overall"] == job["score"]
    assert len(fake_glm.fake.requests) == 1


async def test_a_react_job_delivers_its_component_and_a_preview_that_renders_it(
    api: Service, fake_glm: Any
) -> None:
    response = await api.client.post("/api/v1/replications?wait=90", **upload(stack="react-tailwind"))
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["options"]["stack"] == "react-tailwind"
    assert job["result"]["stack"] == {
        "name": "react-tailwind",
        "label": "React + Tailwind",
        "filename": "Page.jsx",
        "artifact": "code.jsx",
    }
    # The prompt asked for a component: the fake answers in the stack the output rules name.
    assert "Answer with one React function component" in fake_glm.fake.requests[-1].text()
    code = await api.client.get(job["urls"]["code"])
    assert code.status_code == 200
    assert code.headers["content-type"].startswith("text/plain")  # shown as text, never run
    assert code.headers["x-content-type-options"] == "nosniff"
    assert code.headers["content-disposition"] == 'attachment; filename="Page.jsx"'
    assert code.text.startswith('import { useState } from "react";')
    assert "export default function Page()" in code.text
    # The page is the compiled preview: React's runtime and the component inline, Tailwind built.
    page = (await api.client.get(job["urls"]["html"])).text
    assert '<div id="root">' in page and "export default" not in page and "Start free trial" in page
    assert "cdn.tailwindcss.com" not in page
    assert job["score"] is not None and job["result"]["page"]["mode"] == "interactive"


async def test_preview_is_served_sandboxed_with_a_strict_csp_and_no_referrer(api: Service) -> None:
    job = (await api.client.post("/api/v1/replications?wait=90", **upload())).json()
    preview = await api.client.get(job["urls"]["preview"])
    policies = preview.headers.get_list("content-security-policy")
    ours = policies[0]
    assert ours.startswith("sandbox allow-scripts;")
    assert "allow-same-origin" not in ours
    for directive in ("connect-src 'none'", "default-src 'none'", "form-action 'none'", "base-uri 'none'"):
        assert directive in ours
    page_csp = job["result"]["page"]["csp"]
    assert page_csp and page_csp in policies  # the page's own policy is enforced as well
    assert preview.headers["referrer-policy"] == "no-referrer"
    assert preview.headers["x-content-type-options"] == "nosniff"


async def test_upload_without_wait_is_202_and_the_event_stream_replays_then_ends(api: Service) -> None:
    response = await api.client.post("/api/v1/replications", **upload())
    assert response.status_code == 202
    job = response.json()
    assert job["state"] in ("queued", "running")
    assert response.headers["location"] == job["urls"]["self"]
    async with api.client.stream("GET", job["urls"]["events"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join([chunk async for chunk in stream.aiter_text()])
    events = sse_events(text)
    assert events[-1] == ("end", {})
    states = [data["data"]["state"] for kind, data in events if kind == "state"]
    assert states == ["queued", "running", "succeeded"]
    assert any(kind == "answer" for kind, _ in events) and any(kind == "candidate" for kind, _ in events)
    seqs = [data["seq"] for kind, data in events if kind != "end"]
    assert seqs == list(range(1, len(seqs) + 1))
    # A late subscriber resuming after event 3 gets the rest only.
    again = await api.client.get(job["urls"]["events"], headers={"Last-Event-ID": "3"})
    assert next(d["seq"] for k, d in sse_events(again.text) if k != "end") == 4


async def test_options_are_validated_and_applied(api: Service) -> None:
    bad = await api.client.post("/api/v1/replications", **upload(refine_rounds="99"))
    assert bad.status_code == 400 and "refine_rounds" in error_of(bad)["message"]
    unknown = await api.client.post("/api/v1/replications", **upload(backend="gpt"))
    assert unknown.status_code == 400
    no_stack = await api.client.post("/api/v1/replications", **upload(stack="angular"))
    assert no_stack.status_code == 400 and "stack" in error_of(no_stack)["message"]
    ok = await api.client.post(
        "/api/v1/replications",
        **upload(mode="static", target_score="75", viewport_width="800", viewport_height="600"),
    )
    assert ok.status_code == 202
    options = ok.json()["options"]
    assert options == {
        "backend": "glm",
        "refine_rounds": 0,
        "target_score": 75.0,
        "mode": "static",
        "viewport_width": 800,
        "viewport_height": 600,
        "stack": "html-css",
        "variants": 1,
        "imported": False,
    }


# --- bad uploads ---------------------------------------------------------------------------------------


async def test_upload_over_the_cap_is_refused_by_content_length(
    make_service: MakeService, glm_settings: Settings
) -> None:
    service = await make_service(glm_settings.model_copy(update={"max_upload_mb": 0.05}))
    big = PNG + b"\0" * 80_000
    response = await service.client.post("/api/v1/replications", **upload(big))
    assert response.status_code == 413
    assert error_of(response)["code"] == "input_too_large"
    assert list((glm_settings.data_dir / "uploads").iterdir()) == []


async def test_chunked_upload_without_content_length_is_cut_off_at_the_cap(
    make_service: MakeService, glm_settings: Settings
) -> None:
    service = await make_service(glm_settings.model_copy(update={"max_upload_mb": 0.05}))
    boundary = "xYzBoundary"
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        sent += len(head) + len(PNG)
        yield head + PNG
        for _ in range(10_000):  # ~640 MB if nobody stops reading
            sent += 65536
            yield b"\0" * 65536

    response = await service.client.post(
        "/api/v1/replications",
        content=endless(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "input_too_large"
    assert sent < 2 * 1048576  # reading stopped right after the cap, not at the end of the body
    assert list((glm_settings.data_dir / "uploads").iterdir()) == []


async def test_type_is_decided_by_content_not_by_name(api: Service) -> None:
    text = await api.client.post(
        "/api/v1/replications", **upload(b"hello, I am not a picture\n" * 20, "shot.png")
    )
    assert text.status_code == 415 and error_of(text)["code"] == "unsupported_media"
    html = await api.client.post("/api/v1/replications", **upload(b"<!doctype html><p>x</p>", "shot.png"))
    assert html.status_code == 415
    corrupt = await api.client.post("/api/v1/replications", **upload(PNG[:200], "cut.png"))
    assert corrupt.status_code == 422 and error_of(corrupt)["code"] == "corrupt_input"
    # A real PNG named like a text file is still a PNG.
    fine = await api.client.post("/api/v1/replications", **upload(PNG, "readme.txt"))
    assert fine.status_code == 202 and fine.json()["media_type"] == "image/png"


async def test_decompression_bomb_is_refused_before_decoding(api: Service) -> None:
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")  # 400 MP in a few dozen KB
    assert len(buffer.getvalue()) < 200_000
    response = await api.client.post("/api/v1/replications", **upload(buffer.getvalue(), "bomb.png"))
    assert response.status_code == 413
    assert "pixels" in error_of(response)["message"]


async def test_filenames_are_labels_never_paths(api: Service, glm_settings: Settings) -> None:
    response = await api.client.post("/api/v1/replications", **upload(name="../../..\\evil\u202ename.png"))
    assert response.status_code == 202
    assert response.json()["filename"] == "evilname.png"
    tree = [p.name for p in glm_settings.data_dir.parent.rglob("*")]
    assert not any("evil" in name for name in tree)


async def test_requests_without_a_usable_form_get_4xx(api: Service) -> None:
    no_file = await api.client.post(
        "/api/v1/replications", data={"refine_rounds": "0"}, files={"other": ("a", b"x")}
    )
    assert no_file.status_code == 400 and "'file'" in error_of(no_file)["message"]
    json_body = await api.client.post("/api/v1/replications", json={"file": "x"})
    assert json_body.status_code == 415
    truncated = await api.client.post(
        "/api/v1/replications",
        content=b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert truncated.status_code == 400
    bad_wait = await api.client.post("/api/v1/replications?wait=-1", **upload())
    assert bad_wait.status_code == 422 and error_of(bad_wait)["code"] == "invalid_request"


async def test_unknown_jobs_and_missing_artifacts_are_json_404s(api: Service) -> None:
    for path in (
        "/api/v1/replications/" + "0" * 32,
        "/api/v1/replications/not-an-id",
        "/api/v1/replications/..%2F..%2Fetc/render.png",
        "/api/v1/replications/" + "0" * 32 + "/render.png",
        "/api/v1/nothing-here",
    ):
        response = await api.client.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    queued = (await api.client.post("/api/v1/replications", **upload())).json()
    early = await api.client.get(f"/api/v1/replications/{queued['id']}/states/0/source.png")
    assert early.status_code == 404
    wrong_method = await api.client.put("/api/v1/replications")
    assert wrong_method.status_code == 405 and error_of(wrong_method)["code"] == "method_not_allowed"


# --- cancel, delete, retention -----------------------------------------------------------------------


async def test_cancel_and_delete_a_job(
    make_service: MakeService, glm_settings: Settings, fake_glm: Any
) -> None:
    gate = asyncio.Event()
    backend = CountingBackend(create_backend("glm", glm_settings), gate=gate)
    service = await make_service(glm_settings, backend=backend)
    job = (await service.client.post("/api/v1/replications", **upload())).json()
    while (await service.client.get(job["urls"]["self"])).json()["stage"] != "generate":
        await asyncio.sleep(0.05)
    cancelled = await service.client.post(job["urls"]["cancel"])
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["state"] == "cancelled" and body["error"]["code"] == "cancelled"
    events = sse_events((await service.client.get(job["urls"]["events"])).text)
    assert [d["data"]["state"] for k, d in events if k == "state"][-1] == "cancelled"
    deleted = await service.client.delete(job["urls"]["self"])
    assert deleted.status_code == 204
    assert (await service.client.get(job["urls"]["self"])).status_code == 404
    assert not (glm_settings.data_dir / "jobs" / job["id"]).exists()
    assert len(fake_glm.fake.requests) == 0


async def test_wait_on_a_failing_job_answers_with_its_error(api: Service, fake_glm: Any) -> None:
    # Billing errors never fall back to the local backend: the job fails with the provider's reason.
    fake_glm.fake.queue("error-1113")
    response = await api.client.post("/api/v1/replications?wait=60", **upload())
    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "provider_account"
    assert error["details"]["replication"]["state"] == "failed"


async def test_retry_runs_the_same_upload_again_with_another_backend(api: Service, fake_glm: Any) -> None:
    fake_glm.fake.queue("error-1001")  # the provider refuses the key: an auth failure never falls back
    failed = error_of(await api.client.post("/api/v1/replications?wait=60", **upload(name="mine.png")))
    job = failed["details"]["replication"]
    assert job["state"] == "failed" and job["urls"]["retry"].endswith(f"/{job['id']}/retry")
    retried = await api.client.post(job["urls"]["retry"], params={"backend": "local"})
    assert retried.status_code == 202, retried.text
    again = retried.json()
    assert again["id"] != job["id"] and again["filename"] == "mine.png"
    assert again["options"] == {**job["options"], "backend": "local"}
    done = (await api.client.get(again["urls"]["self"])).json()
    while done["state"] not in ("succeeded", "failed"):
        await asyncio.sleep(0.1)
        done = (await api.client.get(again["urls"]["self"])).json()
    assert done["state"] == "succeeded" and done["result"]["backend"].startswith("local")
    # The original is left as it was; an unknown job or backend is refused.
    assert (await api.client.get(job["urls"]["self"])).json()["state"] == "failed"
    assert (await api.client.post(f"/api/v1/replications/{'0' * 32}/retry")).status_code == 404
    assert (await api.client.post(job["urls"]["retry"], params={"backend": "gpt"})).status_code == 422


async def test_glm_without_a_key_is_refused_at_upload(
    make_service: MakeService, glm_settings: Settings
) -> None:
    hosted = glm_settings.model_copy(update={"api_key": None, "glm_base_url": "https://api.z.ai/api/paas/v4"})
    service = await make_service(hosted)
    response = await service.client.post("/api/v1/replications", **upload(backend="glm"))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "backend_unavailable" and "REPLICATOR_API_KEY" in error["message"]
    assert (await service.client.get("/api/v1/replications")).json()["total"] == 0
    page = await service.client.get("/")
    assert '<option value="glm" disabled>GLM-4.5V (needs an API key)</option>' in page.text


async def test_queued_and_running_jobs_report_their_place_and_elapsed_time(
    make_service: MakeService, glm_settings: Settings, fake_glm: Any
) -> None:
    gate = asyncio.Event()
    backend = CountingBackend(create_backend("glm", glm_settings), gate=gate)
    service = await make_service(glm_settings.model_copy(update={"workers": 1}), backend=backend)
    first = (await service.client.post("/api/v1/replications", **upload(name="a.png"))).json()
    second = (await service.client.post("/api/v1/replications", **upload(name="b.png"))).json()
    third = (await service.client.post("/api/v1/replications", **upload(name="c.png"))).json()
    while (await service.client.get(first["urls"]["self"])).json()["stage"] != "generate":
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    views = [(await service.client.get(j["urls"]["self"])).json() for j in (first, second, third)]
    assert [v["state"] for v in views] == ["running", "queued", "queued"]
    assert [v["queue_position"] for v in views] == [None, 1, 2]
    assert views[0]["elapsed_s"] >= 0.3 and views[1]["elapsed_s"] >= 0.3
    # The listing filters by a part of the name (any case) and by state.
    listed = (await service.client.get("/api/v1/replications", params={"q": "B.P"})).json()
    assert [j["id"] for j in listed["items"]] == [second["id"]] and listed["total"] == 1
    queued = (
        await service.client.get("/api/v1/replications", params={"state": "queued", "q": ".png"})
    ).json()
    assert queued["total"] == 2
    for job in (first, second, third):
        await service.client.post(job["urls"]["cancel"])
    gate.set()


async def test_retention_prunes_old_jobs_from_the_api(api: Service) -> None:
    job = (await api.client.post("/api/v1/replications?wait=90", **upload())).json()
    assert api.jobs.store is not None
    await asyncio.to_thread(api.jobs.store.update, job["id"], finished_at=time.time() - 31 * 86400)
    assert await api.jobs.prune() == 1
    assert (await api.client.get(job["urls"]["self"])).status_code == 404
    assert (await api.client.get(job["urls"]["render"])).status_code == 404
    assert (await api.client.get("/api/v1/replications")).json()["total"] == 0


# --- restart recovery ---------------------------------------------------------------------------------


async def test_restart_finishes_an_interrupted_job_without_a_second_model_call(
    make_service: MakeService, glm_settings: Settings, fake_glm: Any, browser_pool: Any
) -> None:
    held = GatedRenderer(browser_pool, asyncio.Event())
    first = await make_service(glm_settings, renderer=held)
    job = (await first.client.post("/api/v1/replications", **upload())).json()
    await wait_for_file(glm_settings.data_dir / "jobs" / job["id"] / "answer-0.json")
    await asyncio.wait_for(held.entered.wait(), 30)
    await first.aclose()  # the service goes down while the job renders
    assert len(fake_glm.fake.requests) == 1

    second = await make_service(glm_settings)
    waited = await second.client.get(job["urls"]["self"])
    assert waited.json()["state"] in ("queued", "running", "succeeded")
    for _ in range(600):
        current = (await second.client.get(job["urls"]["self"])).json()
        if current["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert current["state"] == "succeeded", current["error"]
    assert current["attempts"] == 2
    assert len(fake_glm.fake.requests) == 1


# --- design checks ----------------------------------------------------------------------------------------


async def test_design_check_against_html_and_against_a_screenshot(api: Service) -> None:
    files = {
        "design": ("design.png", PNG, "image/png"),
        "implementation": ("index.html", PAGE.read_bytes(), "text/html"),
    }
    response = await api.client.post("/api/v1/checks", files=files, data={"threshold": "50"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] is True and body["threshold"] == 50
    assert set(body["score"]) == set(SCORE_FIELDS)
    assert body["score"]["overall"] >= 50
    for url in (body["heatmap_url"], body["render_url"], body["design_url"]):
        image = await api.client.get(url)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), url
    with Image.open(io.BytesIO((await api.client.get(body["design_url"])).content)) as design:
        assert design.size == Image.open(io.BytesIO(PNG)).size
    files = {
        "design": ("design.png", PNG, "image/png"),
        "implementation": ("index.html", PAGE.read_bytes(), "text/html"),
    }
    unset = (await api.client.post("/api/v1/checks", files=files)).json()
    assert unset["threshold"] == 85  # the default gate is the README's

    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 20, 20)).save(blank, format="PNG")
    files = {
        "design": ("design.png", PNG, "image/png"),
        "implementation": ("shot.png", blank.getvalue(), "image/png"),
    }
    failing = (await api.client.post("/api/v1/checks", files=files, data={"threshold": "90"})).json()
    assert failing["passed"] is False and failing["score"]["overall"] < 90
    assert failing["discrepancies"] and {"kind", "message", "weight"} <= set(failing["discrepancies"][0])
    assert failing["failures"] and failing["failures"][0].startswith("overall")


async def test_design_check_sub_score_gates(api: Service) -> None:
    files = {
        "design": ("design.png", PNG, "image/png"),
        "implementation": ("index.html", PAGE.read_bytes(), "text/html"),
    }
    loose = (await api.client.post("/api/v1/checks", files=files, data={"threshold": "10"})).json()
    edges = loose["score"]["edges"]
    assert loose["passed"] is True and loose["failures"] == [] and loose["min_subscores"] == {}
    # Every sub-score is in the response, graphics included (and gateable: see the CLI's tests).
    assert {"block", "text", "position", "color", "typography", "edges", "graphics", "visual"} <= set(
        loose["score"]
    )
    # The same page, gated a little above its own edges sub-score: the overall passes, the gate fails.
    gate = min(edges + 0.5, 100.0)
    data = {"threshold": "10", "min_subscores": f"edges={gate:g}, typography=0"}
    gated = (await api.client.post("/api/v1/checks", files=files, data=data)).json()
    assert gated["min_subscores"] == {"edges": gate, "typography": 0.0}
    if edges < 100.0:
        assert gated["passed"] is False
        assert gated["failures"] == [f"edges {edges:.1f} is below {gate:g}"]
    bad = await api.client.post("/api/v1/checks", files=files, data={"min_subscores": "fonts=90"})
    assert bad.status_code == 400 and "sub-score gate" in error_of(bad)["message"]


async def test_design_check_rejects_bad_input_with_4xx(api: Service) -> None:
    missing = await api.client.post("/api/v1/checks", files={"design": ("d.png", PNG, "image/png")})
    assert missing.status_code == 400 and "implementation" in error_of(missing)["message"]
    files = {"design": ("d.png", PNG, "image/png"), "implementation": ("i.html", b"<p>x</p>", "text/html")}
    threshold = await api.client.post("/api/v1/checks", files=files, data={"threshold": "150"})
    assert threshold.status_code == 400
    files = {
        "design": ("d.html", b"<p>x</p>", "text/html"),
        "implementation": ("i.html", b"<p>x</p>", "text/html"),
    }
    not_image = await api.client.post("/api/v1/checks", files=files)
    assert not_image.status_code == 415
    # Megabytes of CSS would take minutes to sanitize: over the cap, refused before parsing.
    css = "".join(f".c{i} {{ color: #{i % 4096:03x}; margin: {i % 97}px }}\n" for i in range(160_000))
    heavy = f"<html><head><style>{css}</style></head><body><p>x</p></body></html>".encode()
    assert len(heavy) > 5 * 1048576
    files = {"design": ("d.png", PNG, "image/png"), "implementation": ("i.html", heavy, "text/html")}
    too_big = await api.client.post("/api/v1/checks", files=files)
    assert too_big.status_code == 413 and error_of(too_big)["code"] == "input_too_large"
    assert "at most 5 MiB" in error_of(too_big)["message"]


# --- auth ----------------------------------------------------------------------------------------------------


async def test_bearer_token_guards_every_api_route_but_healthz(
    make_service: MakeService, glm_settings: Settings
) -> None:
    service = await make_service(glm_settings.model_copy(update={"api_token": SecretStr(TOKEN)}))
    client = service.client
    assert (await client.get("/api/v1/healthz")).status_code == 200
    for method, path in [
        ("GET", "/api/v1/readyz"),
        ("GET", "/api/v1/replications"),
        ("POST", "/api/v1/replications"),
        ("GET", "/api/v1/replications/" + "0" * 32),
        ("GET", "/api/v1/replications/" + "0" * 32 + "/events"),
        ("GET", "/api/v1/replications/" + "0" * 32 + "/render.png"),
        ("POST", "/api/v1/replications/" + "0" * 32 + "/cancel"),
        ("DELETE", "/api/v1/replications/" + "0" * 32),
        ("POST", "/api/v1/checks"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 401, path
        assert error_of(response)["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    wrong = await client.get("/api/v1/replications", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job = (await client.post("/api/v1/replications?wait=90", headers=auth, **upload())).json()
    assert job["state"] == "succeeded"
    # Artifact links carry a signature so <img>, <iframe> and EventSource can load them...
    signed = job["urls"]["render"]
    assert "sig=" in signed
    assert (await client.get(signed)).status_code == 200
    assert (await client.get(job["urls"]["events"])).status_code == 200
    # ...for that one path only, and not if tampered with.
    query = signed.split("?", 1)[1]
    assert (await client.get(f"/api/v1/replications/{job['id']}/source?{query}")).status_code == 401
    assert (await client.get(f"/api/v1/replications?{query}")).status_code == 401
    assert (await client.get(signed.replace("sig=", "sig=0"))).status_code == 401
    assert (await client.get(signed.split("?")[0])).status_code == 401
    # The UI's pages carry no data and load without the token.
    assert (await client.get("/")).status_code == 200


async def test_other_sites_cannot_change_anything(api: Service) -> None:
    """CSRF: a browser marks a page elsewhere by Sec-Fetch-Site or Origin; such a POST or DELETE is
    refused before it reaches a route. Clients that are not browsers send neither and go on."""
    hostile = [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a file: page
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"},  # another port
    ]
    for headers in hostile:
        refused = await api.client.post("/api/v1/replications", headers=headers, **upload())
        assert refused.status_code == 403, headers
        assert error_of(refused)["code"] == "cross_site_request"
    assert (await api.client.get("/api/v1/replications")).json()["total"] == 0
    job = (await api.client.post("/api/v1/replications", **upload())).json()  # curl, CLI, CI
    own = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}
    assert (await api.client.post(job["urls"]["cancel"], headers=own)).status_code == 200
    assert (
        await api.client.delete(job["urls"]["self"], headers={"Sec-Fetch-Site": "cross-site"})
    ).status_code == 403
    assert (await api.client.get(job["urls"]["self"])).status_code == 200  # still there
    assert (
        await api.client.get(job["urls"]["self"], headers={"Sec-Fetch-Site": "cross-site"})
    ).status_code == 200


async def test_only_the_preview_is_served_into_a_frame(api: Service) -> None:
    """A generated page may lead its preview frame to our own URLs (the parent allows frames from
    its origin): any framed request but the preview's is refused before a route runs."""
    job = (await api.client.post("/api/v1/replications?wait=90", **upload())).json()
    framed = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    for path in ("/api/v1/replications", job["urls"]["self"], job["urls"]["html"], "/", f"/jobs/{job['id']}"):
        for dest in ("iframe", "frame", "object", "embed"):
            refused = await api.client.get(path, headers={**framed, "Sec-Fetch-Dest": dest})
            assert refused.status_code == 403, (path, dest)
            assert error_of(refused)["code"] == "framed_request"
    preview = f"/api/v1/replications/{job['id']}/preview"
    shown = await api.client.get(preview, headers={**framed, "Sec-Fetch-Site": "same-origin"})
    assert shown.status_code == 200 and "sandbox" in shown.headers["content-security-policy"]
    # As a page of its own, or from a client that is not a browser, nothing changes.
    assert (
        await api.client.get(job["urls"]["self"], headers={"Sec-Fetch-Dest": "document"})
    ).status_code == 200
    assert (await api.client.get(job["urls"]["self"])).status_code == 200


async def test_without_a_token_only_known_host_names_are_answered(
    make_service: MakeService, glm_settings: Settings
) -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 still sends Host: evil.example."""
    service = await make_service(glm_settings.model_copy(update={"allowed_hosts": "replicator.internal"}))
    for host in ("evil.example", "evil.example:8000", "127.0.0.2"):
        refused = await service.client.get("/api/v1/replications", headers={"Host": host})
        assert refused.status_code == 421, host
        error = error_of(refused)
        assert error["code"] == "host_not_allowed" and "REPLICATOR_ALLOWED_HOSTS" in error["message"]
        assert "evil" not in refused.text or "evil.example" in error["message"]
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "replicator.internal:8000", "LOCALHOST"):
        assert (await service.client.get("/api/v1/healthz", headers={"Host": host})).status_code == 200, host
    # With a token the token guards (a rebound page cannot read it), so any name is answered.
    guarded = await make_service(glm_settings.model_copy(update={"api_token": SecretStr("t0ken")}))
    assert (await guarded.client.get("/api/v1/healthz", headers={"Host": "evil.example"})).status_code == 200


async def test_huge_or_odd_numbers_are_4xx_not_500(api: Service) -> None:
    job = (await api.client.post("/api/v1/replications?wait=90", **upload())).json()
    events = job["urls"]["events"]
    for response in [
        await api.client.get("/api/v1/replications", params={"offset": "10000000000000000000"}),
        await api.client.get(events, params={"after": "1" * 40}),
        await api.client.get(events, headers={"Last-Event-ID": "1" * 40}),
        await api.client.get(events, headers={"Last-Event-ID": b"\xb2"}),  # '²': isdigit() says yes
        await api.client.get(events, headers={"Last-Event-ID": "seven"}),
    ]:
        assert 400 <= response.status_code < 500, (response.request.url, response.status_code)
        error_of(response)
    # A sane Last-Event-ID resumes after that event.
    everything = sse_events((await api.client.get(events)).text)
    resumed = sse_events((await api.client.get(events, headers={"Last-Event-ID": "1"})).text)
    assert len(resumed) == len(everything) - 1


async def test_signed_links_work_for_head_and_never_outlive_themselves(
    make_service: MakeService, glm_settings: Settings
) -> None:
    service = await make_service(glm_settings.model_copy(update={"api_token": SecretStr("t0ken")}))
    bearer = {"Authorization": "Bearer t0ken"}
    job = (await service.client.post("/api/v1/replications?wait=90", headers=bearer, **upload())).json()
    render = job["urls"]["render"]
    head = await service.client.head(render)
    assert head.status_code == 200 and head.headers["content-type"] == "image/png" and head.content == b""
    # A signed self link answers with links that expire when it does, not twelve hours later.
    signed_self = job["urls"]["self"]
    expiry = int(httpx.URL(signed_self).params["exp"])
    again = (await service.client.get(signed_self)).json()
    assert {int(httpx.URL(u).params["exp"]) for k, u in again["urls"].items() if "exp=" in u} == {expiry}
    # Odd expiries are refused as unauthorised, not a crash.
    for exp in ("\u00b2", "9" * 4400):
        odd = str(httpx.URL(render).copy_merge_params({"exp": exp}))
        assert (await service.client.get(odd)).status_code == 401, exp


async def test_without_a_token_setting_the_api_is_open(api: Service) -> None:
    assert (await api.client.get("/api/v1/replications")).status_code == 200


# --- UI pages, docs, headers --------------------------------------------------------------------------------


async def test_pages_send_a_strict_csp_and_contain_no_inline_script(api: Service) -> None:
    job = (await api.client.post("/api/v1/replications", **upload())).json()
    for path in ("/", "/history", f"/jobs/{job['id']}", f"/jobs/{job['id']}/preview", "/check", "/docs"):
        page = await api.client.get(path)
        assert page.status_code == 200, path
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        html = page.text
        assert "<script>" not in html and '<script type="module">' not in html
        assert "http://" not in html.replace("http://127.0.0.1:8000", "") and "https://" not in html
    job_page = (await api.client.get(f"/jobs/{job['id']}")).text
    assert 'sandbox="allow-scripts"' in job_page and "allow-same-origin" not in job_page


async def test_static_files_and_highlight_js_are_served_locally(api: Service) -> None:
    for path in ("/static/app.js", "/static/job.js", "/static/index.js", "/static/app.css"):
        assert (await api.client.get(path)).status_code == 200, path
    core = await api.client.get("/vendor/hljs/core.js")
    assert core.status_code == 200 and core.headers["content-type"].startswith("text/javascript")
    assert core.text.rstrip().endswith("export default module.exports;")
    assert (await api.client.get("/vendor/hljs/languages/xml.js")).status_code == 200
    assert (await api.client.get("/vendor/hljs/styles/github.min.css")).status_code == 200
    assert (await api.client.get("/vendor/hljs/languages/..%2F..%2Fpackage.json")).status_code == 404


async def test_openapi_documents_every_route_and_docs_work_offline(api: Service) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/healthz",
        "/api/v1/readyz",
        "/api/v1/replications",
        "/api/v1/replications/{job_id}",
        "/api/v1/replications/{job_id}/events",
        "/api/v1/replications/{job_id}/cancel",
        "/api/v1/replications/{job_id}/source",
        "/api/v1/replications/{job_id}/html",
        "/api/v1/replications/{job_id}/preview",
        "/api/v1/replications/{job_id}/render.png",
        "/api/v1/replications/{job_id}/diff.png",
        "/api/v1/checks",
    ):
        assert path in paths, path
    form = paths["/api/v1/replications"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "backend", "refine_rounds", "target_score", "mode", "viewport_width"} <= set(
        form["properties"]
    )
    assert (
        "design"
        in paths["/api/v1/checks"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"][
            "properties"
        ]
    )
    docs = await api.client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/checks" in docs.text and "cdn" not in docs.text.lower()


# --- recordings -----------------------------------------------------------------------------------------------


async def test_a_recording_yields_key_frames_and_states_reached_with_scores(
    api: Service, fixtures_dir: Path
) -> None:
    video = (fixtures_dir / "recordings" / "accordion.webm").read_bytes()
    response = await api.client.post(
        "/api/v1/replications?wait=150",
        files={"file": ("accordion.webm", video, "video/webm")},
        data={"refine_rounds": "0"},
    )
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["kind"] == "recording" and job["media_type"] == "video/webm"
    result = job["result"]
    assert result["source"]["key_states"] >= 2
    states = result["states"]
    assert len(states) == result["source"]["key_states"]
    for state in states:
        frame = await api.client.get(state["source_url"])
        assert frame.status_code == 200 and frame.content.startswith(b"\x89PNG")
        if state["render_url"]:
            reached = await api.client.get(state["render_url"])
            assert reached.status_code == 200 and reached.content.startswith(b"\x89PNG")
    assert result["interactions"]["transitions_total"] >= 1
    # Per step: what was clicked, the change expected and observed, its score and its verdict.
    steps = result["interactions"]["steps"]
    assert [s["step"] for s in steps if s["phase"] == "recorded"] == [1, 2]
    assert steps[0]["clicked"] == "Do you use cookies?" and steps[0]["kind"] == "disclosure"
    assert all(s["expected"] and s["observed"] and isinstance(s["ok"], bool) for s in steps)
    assert result["interactions"]["passed"] == all(s["ok"] for s in steps)

    # The normalized MP4 kept for the model is shared by the jobs on that recording and goes with
    # the last of them.
    recordings = api.jobs.settings.data_dir / "recordings"
    assert [p.suffix for p in recordings.iterdir()] == [".mp4"]
    files = {"file": ("again.webm", video, "video/webm")}
    second = (
        await api.client.post("/api/v1/replications?wait=150", files=files, data={"refine_rounds": "0"})
    ).json()
    assert second["state"] == "succeeded" and len(list(recordings.iterdir())) == 1
    assert (await api.client.delete(job["urls"]["self"])).status_code == 204
    assert len(list(recordings.iterdir())) == 1  # still used by the second job
    assert (await api.client.delete(second["urls"]["self"])).status_code == 204
    assert list(recordings.iterdir()) == []
