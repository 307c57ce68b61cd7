"""A finished job's revisions: versions of its code after it was generated, each rendered and scored.

Revision 0 is the job's own result. Each later one is made from an earlier one (its ``parent``),
either by a model following a person's instruction or by the person's own edit of the code, and is
kept with its files (``rev-N-code.EXT``, ``rev-N-page.html``, ``rev-N-render.png``, ``rev-N-diff.png``)
and an entry in ``revisions.json``, so any revision can be looked at again or revised further.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from ..models import Result
from .artifacts import ArtifactStore, code_artifact

RevisionKind = Literal["generated", "instruction", "edit", "imported"]
REVISIONS = "revisions.json"


def load_revisions(store: ArtifactStore) -> list[dict[str, Any]]:
    """The job's revisions, oldest first (revision 0, the result, when none was made yet)."""
    kept = store.load_json(REVISIONS)
    if kept:
        return list(kept["revisions"])
    result = store.load_json("result.json") or {}
    stack = (result.get("stack") or {}).get("name", "html-css")
    return [
        {
            "number": 0,
            "kind": "imported" if result.get("backend") == "imported" else "generated",
            "parent": None,
            "instruction": "",
            "stack": stack,
            "score": result.get("score"),
            "created_at": None,
            "files": {
                "code": code_artifact(stack),
                "page": "page.html",
                "render": "render.png",
                "diff": "diff.png",
            },
        }
    ]


def add_revision(
    store: ArtifactStore,
    revisions: list[dict[str, Any]],
    result: Result,
    *,
    kind: RevisionKind,
    parent: int,
    instruction: str = "",
) -> dict[str, Any]:
    """Keep ``result``'s page as the next revision (its files, then ``revisions.json``). Blocking."""
    best = result.best
    number = len(revisions)
    suffix = code_artifact(best.stack).rsplit(".", 1)[-1]
    files = {
        "code": f"rev-{number}-code.{suffix}",
        "page": f"rev-{number}-page.html",
        "render": f"rev-{number}-render.png",
        "diff": f"rev-{number}-diff.png",
    }
    store.save(files["code"], (best.code or best.page.html).encode())
    store.save(files["page"], best.page.html.encode())
    store.save(files["render"], best.render.png)
    store.save(files["diff"], best.score.heatmap_png)
    entry = {
        "number": number,
        "kind": kind,
        "parent": parent,
        "instruction": instruction,
        "stack": best.stack,
        "score": best.score.breakdown(),
        "discrepancies": [
            {"kind": d.kind, "message": d.message, "weight": round(d.weight, 3)}
            for d in best.score.discrepancies[:10]
        ],
        "timings_ms": dict(result.timings_ms),
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "cost_usd": round(result.usage.cost_usd, 6),
        },
        "created_at": time.time(),
        "files": files,
    }
    store.save_json(REVISIONS, {"revisions": [*revisions, entry]})
    return entry
