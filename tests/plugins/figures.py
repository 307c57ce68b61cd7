"""pytest plugin: figures a suite measured (the adversarial suite's canary hits, peaks, latencies),
printed in the terminal summary.

Under pytest-xdist the tests run in worker processes and the summary is the controller's: each
worker hands its figures over when it finishes, and the controller prints them all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

FIGURES: dict[str, str] = {}
_KEY = "replicator_figures"


@pytest.fixture(scope="session")
def figures() -> dict[str, str]:
    """What the suite measured, by name: printed in the terminal summary."""
    return FIGURES


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput[_KEY] = json.dumps(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: a worker finished; keep its figures."""
    FIGURES.update(json.loads(getattr(node, "workeroutput", {}).get(_KEY, "{}")))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("adversarial figures")
    width = max(len(name) for name in FIGURES)
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name.ljust(width)}  {FIGURES[name]}")
