"""A design check of a pathologically deep page is refused quickly as the user's mistake (413), in a
CPU worker process as in the service and on a thread, instead of a RecursionError (a 500)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from replicator.check import CheckTarget, run_check
from replicator.config import Settings
from replicator.errors import InputTooLarge
from replicator.intake import image_source
from replicator.render import SealedBrowserPool
from replicator.runtime import Runtime

DESIGN = Path(__file__).resolve().parent.parent / "fixtures" / "cli" / "welcome.png"


@pytest.mark.parametrize("cpu_workers", [1, 0], ids=["in-a-worker-process", "on-a-thread"])
async def test_a_design_check_of_a_too_deep_page_is_refused_quickly(
    settings: Settings, browser_pool: SealedBrowserPool, cpu_workers: int
) -> None:
    page = "<!DOCTYPE html><body>" + "<div>" * 30_000 + "deep" + "</div>" * 30_000
    runtime = Runtime(settings.model_copy(update={"cpu_workers": cpu_workers}), renderer=browser_pool)
    try:
        await runtime.warm_up()  # the workers' start-up is not what is measured
        design = image_source(DESIGN.read_bytes(), runtime.settings)
        started = time.monotonic()
        with pytest.raises(InputTooLarge) as refused:
            await run_check(runtime, design, CheckTarget.from_html(page), threshold=85)
        assert time.monotonic() - started < 3
        assert refused.value.http_status == 413
        assert "more than 512 levels deep" in refused.value.message
    finally:
        await runtime.close()
