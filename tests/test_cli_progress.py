"""What ``replicator convert`` shows while it works, drawn on a real Rich console."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from replicator.batch import BatchItem, ItemRecord
from replicator.cli.convert_progress import PlainProgress, RichProgress

ITEMS = [BatchItem(Path(f"shots/{name}.png"), name) for name in ("welcome", "pricing", "login")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=200, color_system=None, record=True)


def _screen(display: RichProgress) -> str:
    console = display.progress.console
    console.print(display.progress.get_renderable())
    return console.export_text(clear=True)


def _failed(item: BatchItem) -> ItemRecord:
    return ItemRecord(
        item.name,
        str(item.path),
        status="failed",
        error={"code": "corrupt_input", "message": "broken"},
        elapsed_s=0.01,
    )


def _ok(item: BatchItem, seconds: float) -> ItemRecord:
    return ItemRecord(item.name, str(item.path), status="ok", score={"overall": 97.0}, elapsed_s=seconds)


def test_the_bar_knows_the_total_before_the_batch_starts() -> None:
    display = RichProgress(_terminal(), total=3)
    screen = _screen(display)
    assert "0/3" in screen and "?" not in screen


def test_instant_failures_give_no_rate_and_a_converted_item_gives_a_sensible_one() -> None:
    clock = Clock()
    display = RichProgress(_terminal(), total=3, clock=clock)
    display.batch_started(3, 0)
    for item in ITEMS[:2]:
        display.item_started(item)
        clock.now += 0.01
        display.item_finished(item, _failed(item))
    screen = _screen(display)
    assert "2/3" in screen and "2 failed" in screen
    assert "/min" not in screen and "ETA" not in screen  # two refusals in 20 ms say nothing about speed

    display.item_started(ITEMS[2])
    clock.now += 6.0
    display.item_finished(ITEMS[2], _ok(ITEMS[2], 6.0))
    assert display.pace() == "10.0/min"  # one item converted in 6.02 s of work: about ten a minute
    assert "10.0/min" in _screen(display)


def test_the_time_left_counts_the_items_still_to_convert() -> None:
    clock = Clock()
    display = RichProgress(_terminal(), total=4, clock=clock)
    display.batch_started(4, 0)
    display.item_started(ITEMS[0])
    clock.now += 30.0
    display.item_finished(ITEMS[0], _ok(ITEMS[0], 30.0))
    assert display.pace() == "2.0/min, ETA 1:30"  # three more at 30 s each


def test_plain_lines_name_the_total_from_the_first_line() -> None:
    console = Console(file=io.StringIO(), width=200, record=True)
    display = PlainProgress(console, total=3)
    display.batch_started(3, 0)
    display.item_started(ITEMS[0])
    lines = console.export_text().splitlines()
    assert lines == ["Converting 3 of 3 item(s).", "[0/3] start welcome (shots/welcome.png)"]
