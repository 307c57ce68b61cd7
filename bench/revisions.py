"""How long "Render & score" takes: a revision made from edited code, through the job manager.

For each development page a job is run once on the local backend (refine rounds 0); then an edit of
its code (a paragraph added before </body>) is made into a revision three times, the way the job
page's editor does it (JobManager.revise with code: sanitize, render, score against the stored
reference). Prints the time per revision (the first and the median of the warm ones) per stack.

Target (issue 19): under 1 s for a typical page (render + warm score).

    .venv/bin/python bench/revisions.py [--pages landing login ...] [--stacks html-css react-tailwind]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replicator.config import Settings  # noqa: E402
from replicator.jobs import JobManager  # noqa: E402
from replicator.jobs.records import JobOptions  # noqa: E402
from replicator.runtime import Runtime  # noqa: E402

EDIT = '<p style="font-size:20px;margin:8px">Edited in the editor</p>'


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", default=["landing", "login", "pricing", "dashboard", "docs"])
    parser.add_argument("--stacks", nargs="*", default=["html-css", "react-tailwind"])
    parser.add_argument("--quick", action="store_true", help="two pages only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.quick:
        args.pages = args.pages[:2]
    work = Path(tempfile.mkdtemp(prefix="bench-revisions-"))
    settings = Settings(_env_file=None, data_dir=work / "data", backend="local", refine_rounds=0)  # type: ignore[call-arg]
    rows = []
    try:
        async with Runtime(settings) as runtime:
            jobs = JobManager(settings, runtime)
            await jobs.start()
            try:
                for stack in args.stacks:
                    for page in args.pages:
                        upload = work / f"{page}.png"
                        shutil.copyfile(ROOT / "fixtures" / "references" / f"{page}.png", upload)
                        job = await jobs.submit(upload, options=JobOptions(stack=stack, refine_rounds=0))
                        job = await jobs.wait(job.id, 300)
                        assert job.state == "succeeded", job.error_message
                        code = (await jobs.revisions(job.id))[0]["files"]["code"]
                        text = jobs.artifacts(job.id).load(code).decode()  # type: ignore[union-attr]
                        edited = _edited(text, stack)
                        times = []
                        for _ in range(3):
                            start = time.perf_counter()
                            await jobs.revise(job.id, code=edited)
                            times.append(time.perf_counter() - start)
                        rows.append((stack, page, times[0], statistics.median(times[1:])))
            finally:
                await jobs.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        summary = {
            f"render & score warm s, {s}": round(statistics.median(r[3] for r in rows if r[0] == s), 2)
            for s in args.stacks
        }
        print(json.dumps({"summary": summary}))
        return
    table = Table(title='"Render & score": a revision from edited code (local backend)')
    for column in ("stack", "page", "first s", "warm s (median)"):
        table.add_column(
            column, justify="right" if column.endswith("s)") or column.endswith(" s") else "left"
        )
    for stack, page, first, warm in rows:
        table.add_row(stack, page, f"{first:.2f}", f"{warm:.2f}")
    for stack in args.stacks:
        warm = [r[3] for r in rows if r[0] == stack]
        table.add_row(stack, "median", "", f"{statistics.median(warm):.2f}")
    Console().print(table)


def _edited(code: str, stack: str) -> str:
    if stack == "react-tailwind":
        return code.replace("</main>", '<p className="text-[20px] m-2">Edited in the editor</p></main>', 1)
    if stack == "vue-tailwind":
        return code.replace("</main>", '<p class="text-[20px] m-2">Edited in the editor</p></main>', 1)
    return code.replace("</body>", EDIT + "</body>", 1)


if __name__ == "__main__":
    asyncio.run(main())
