"""A batch's records and reports: per-item ``NAME.json`` and the whole batch's ``report.json`` and
``report.html``, every file written atomically (temp file + rename) so a reader or an interrupted
run never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..models import SUBSCORES

if TYPE_CHECKING:
    import jinja2

REPORT_VERSION = 1
ITEM_OUTPUTS = ("html", "render.png", "diff.png")  # NAME.<suffix>; NAME.json is written last
ItemStatus = Literal["pending", "running", "ok", "failed", "cancelled"]
_UMASK_LOCK = threading.Lock()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the path holds either the old or the new file, never part.

    The file gets the permissions a plain ``open(path, "w")`` would give it, 0o666 less the umask
    (``rw-r--r--`` under the usual 022), not the owner-only ``rw-------`` of a temporary file.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~current_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """This process's umask, read without setting it where the system tells (Linux's /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere the only way to read it is to set it: briefly, under a lock, to a safe value.
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ItemRecord:
    """What the report says about one item."""

    name: str
    source: str
    status: ItemStatus = "pending"
    score: dict[str, float] | None = None
    below_fail_under: bool = False
    error: dict[str, str] | None = None  # {"code", "message"}
    stage: str | None = None  # the stage it was in when it failed or was interrupted
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, float] | None = None
    elapsed_s: float | None = None
    resumed: bool = False  # complete from an earlier run; not converted again
    outputs: dict[str, str] = field(default_factory=dict)
    source_thumb: str | None = None  # path of the source relative to the output folder (images only)
    # Recordings: the replay's verdict and its failing steps ("step 2 (any order): 'X' did not appear").
    interactions: dict[str, Any] | None = None
    variants: list[float] = field(default_factory=list)  # round 0's candidates' scores (when > 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchReport:
    """The whole batch, rewritten to disk after every item."""

    out_dir: Path
    options: dict[str, Any]
    items: list[ItemRecord]
    fail_under: float | None = None
    started_at: str = field(default_factory=now_iso)
    finished: bool = False
    interrupted: bool = False
    _started: float = field(default_factory=time.monotonic, repr=False)

    def summary(self) -> dict[str, Any]:
        by_status = {s: 0 for s in ("ok", "failed", "cancelled", "pending", "running")}
        for item in self.items:
            by_status[item.status] += 1
        scores = [i.score["overall"] for i in self.items if i.status == "ok" and i.score]
        return {
            "total": len(self.items),
            "succeeded": by_status["ok"],
            "failed": by_status["failed"],
            "cancelled": by_status["cancelled"],
            "pending": by_status["pending"] + by_status["running"],
            "resumed": sum(1 for i in self.items if i.resumed),
            "below_fail_under": sum(1 for i in self.items if i.below_fail_under),
            "fail_under": self.fail_under,
            "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
            "min_score": round(min(scores), 2) if scores else None,
            "elapsed_s": round(time.monotonic() - self._started, 1),
        }

    @property
    def all_succeeded(self) -> bool:
        return all(i.status == "ok" and not i.below_fail_under for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "started_at": self.started_at,
            "updated_at": now_iso(),
            "finished": self.finished,
            "interrupted": self.interrupted,
            "options": self.options,
            "summary": self.summary(),
            "items": [item.to_dict() for item in self.items],
        }

    def write(self) -> None:
        """Rewrite report.json and report.html (each atomically)."""
        data = self.to_dict()
        write_atomic(self.out_dir / "report.json", (json.dumps(data, indent=2) + "\n").encode())
        html = _template().render(report=data, columns=SUBSCORES)
        write_atomic(self.out_dir / "report.html", html.encode())


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("replicator.batch", "templates"),
        autoescape=True,  # names and error messages come from users' files
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")
