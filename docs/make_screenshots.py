"""Make the README's images from the real product, never by hand.

1. Starts ``replicator serve`` on 127.0.0.1 (an ephemeral port, the offline ``local`` backend, a
   temporary data folder), uploads a fixture screenshot through the UI in Debian's Chromium, waits
   for the job to finish, and saves the result card (source and render side by side) and the score
   and code cards below it.
2. Takes every main view (home, job, history, design check with a result) at 390, 768 and 1280 px
   wide as ``ui-<view>-<width>.png``, and fails when a page scrolls sideways at any of them.
3. Runs the README's design-check example (``replicator check`` of ``docs/examples/pricing-changed``
   against ``fixtures/cli/pricing.png``) and keeps its heatmap.

    .venv/bin/python docs/make_screenshots.py            # writes docs/images/*.png
    .venv/bin/python docs/make_screenshots.py --source fixtures/references/pricing.png
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

from replicator.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "fixtures" / "references" / "landing.png"
IMAGES = ROOT / "docs" / "images"
CHECK_DESIGN = ROOT / "fixtures" / "cli" / "pricing.png"
CHECK_IMPLEMENTATION = ROOT / "docs" / "examples" / "pricing-changed"
JOB_TIMEOUT_S = 300.0
VIEW_WIDTHS = (390, 768, 1280)

log = logging.getLogger("make_screenshots")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_service(data_dir: Path, *, refine_rounds: int) -> Iterator[str]:
    """``replicator serve`` in a child process on loopback; yields its base URL, stops it after."""
    port = free_port()
    # Only our own settings reach the child: a developer's GLM key or data folder must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPLICATOR_", "ZAI_", "ZHIPUAI_"))}
    env.update(
        REPLICATOR_DATA_DIR=str(data_dir),
        REPLICATOR_BACKEND="local",
        REPLICATOR_REFINE_ROUNDS=str(refine_rounds),
    )
    replicator = Path(sys.executable).with_name("replicator")
    logfile = data_dir.parent / "serve.log"
    with logfile.open("wb") as out:
        process = subprocess.Popen(
            [str(replicator), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the service did not start:\n" + logfile.read_text(errors="replace"))
                time.sleep(0.3)
            log.info("service up at %s", base)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def capture(base: str, source: Path, images: Path, *, refine_rounds: int, width: int) -> None:
    """Upload ``source`` through the UI; save the side-by-side result card and the score and code cards."""
    chromium = Settings(_env_file=None).resolve_chromium()  # type: ignore[call-arg]
    args = ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=args)
        try:
            context = await browser.new_context(viewport={"width": width, "height": 900})
            page = await context.new_page()
            await page.goto(base + "/")
            await page.set_input_files("#file-input", str(source))
            await page.wait_for_selector("#chosen-preview:not([hidden])")
            await page.fill("#refine-rounds", str(refine_rounds))
            await page.click("#submit")
            await page.wait_for_url("**/jobs/*")
            await page.wait_for_selector("#result:not([hidden])", timeout=JOB_TIMEOUT_S * 1000)
            state = await page.locator("#state").inner_text()
            if state != "succeeded":
                raise SystemExit(f"the job ended {state!r}: {await page.locator('#job-error').inner_text()}")
            # Polled through page.evaluate: wait_for_function's in-page polling uses eval, which the
            # app's CSP forbids.
            loaded = (
                "['img-source','img-render'].every(id => {"
                " const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; })"
            )
            while not await page.evaluate(loaded):
                await asyncio.sleep(0.05)
            await page.wait_for_selector("#code .hljs-tag")
            images.mkdir(parents=True, exist_ok=True)
            shots = {
                "ui-side-by-side.png": page.locator("#result > section.card").first,
                "ui-score-and-code.png": page.locator("#result > .grid-2"),
            }
            for name, element in shots.items():
                await element.scroll_into_view_if_needed()
                await element.screenshot(path=str(images / name), animations="disabled", caret="hide")
                log.info("wrote %s", images / name)
            log.info("the job scored %s", await page.locator("#overall").inner_text())
            job_url = page.url
            for view_width in VIEW_WIDTHS:
                await views(browser, base, job_url, images, view_width)
        finally:
            await browser.close()


async def views(browser: Any, base: str, job_url: str, images: Path, width: int) -> None:
    """Each main view at ``width`` px: a full-page PNG, and a check that nothing scrolls sideways."""
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(JOB_TIMEOUT_S * 1000)
    try:
        pages = {"home": base + "/", "job": job_url, "history": base + "/history", "check": base + "/check"}
        for view, url in pages.items():
            await page.goto(url)
            if view == "job":
                await page.wait_for_selector("#result:not([hidden])")
                await page.wait_for_selector("#code .hljs-tag")
            elif view in ("home", "history"):
                await page.wait_for_selector(".history-item img.thumb")
            elif view == "check":
                await page.set_input_files("input[name=design]", str(CHECK_DESIGN))
                await page.set_input_files("input[name=implementation]", str(CHECK_IMPLEMENTATION / "index.html"))
                await page.click("#check-form button[type=submit]")
                await page.wait_for_selector("#check-result:not([hidden])")
            await page.evaluate(IMAGES_LOADED)
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                raise SystemExit(f"the {view} page scrolls sideways by {overflow} px at {width} px wide")
            path = images / f"ui-{view}-{width}.png"
            await page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
            log.info("wrote %s", path)
    finally:
        await context.close()


# Resolves once every image of the page has loaded (or failed): the screenshot shows them all.
IMAGES_LOADED = (
    "Promise.all([...document.images].filter(i => i.getAttribute('src'))"
    ".map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })))"
)


def check_heatmap(images: Path) -> None:
    """The README's design-check example, run for real; its heatmap becomes an image of the README."""
    replicator = Path(sys.executable).with_name("replicator")
    out = images / "check-heatmap.png"
    command = [str(replicator), "check", str(CHECK_DESIGN), str(CHECK_IMPLEMENTATION)]
    proc = subprocess.run(
        [*command, "--min-score", "90", "--diff", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    # Exit 1 is the expected verdict (the example is a regression); anything else is a failure.
    if proc.returncode not in (0, 1) or not out.is_file():
        raise SystemExit(f"replicator check failed (exit {proc.returncode}):\n{proc.stderr}")
    log.info("%s\nwrote %s", proc.stdout.strip(), out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the screenshot to upload")
    parser.add_argument("--images", type=Path, default=IMAGES, help="folder to write the PNGs to")
    parser.add_argument("--refine-rounds", type=int, default=1, help="refinement rounds for the job")
    parser.add_argument("--width", type=int, default=1280, help="browser window width in CSS pixels")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.source.is_file():
        parser.error(f"{args.source} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix="replicator-shots-"))
    try:
        data_dir = workdir / "data"
        data_dir.mkdir()
        with running_service(data_dir, refine_rounds=args.refine_rounds) as base:
            asyncio.run(
                capture(
                    base,
                    args.source.resolve(),
                    args.images,
                    refine_rounds=args.refine_rounds,
                    width=args.width,
                )
            )
        check_heatmap(args.images)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
