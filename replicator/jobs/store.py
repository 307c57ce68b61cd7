"""The job store: job records and their progress events in SQLite (WAL mode).

Blocking, like every SQLite call: the job manager calls it from worker threads
(``asyncio.to_thread``). One connection guarded by a lock is plenty for an in-process service and
keeps writes ordered; WAL lets readers run while a write is in flight.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import JobNotFound
from .records import Job, JobOptions, StoredEvent

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    stage         TEXT,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    started_at    REAL,
    finished_at   REAL,
    options       TEXT NOT NULL,
    kind          TEXT,
    media_type    TEXT,
    filename      TEXT NOT NULL DEFAULT '',
    error_code    TEXT,
    error_message TEXT,
    score         REAL,
    summary       TEXT NOT NULL DEFAULT '{}',
    attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at DESC);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    ts     REAL NOT NULL,
    kind   TEXT NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
"""

# Columns a caller may change with ``update``; anything else is a programming error.
_UPDATABLE = frozenset(
    {
        "state",
        "stage",
        "started_at",
        "finished_at",
        "kind",
        "media_type",
        "error_code",
        "error_message",
        "score",
        "summary",
        "attempts",
    }
)


class JobStore:
    """Job records and events in one SQLite file. Thread-safe; every method blocks."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode (only a power cut can lose
            # the last transactions), at a fraction of FULL's fsync cost.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def ping(self) -> str:
        """A round trip to the database, described (for ``/readyz``)."""
        with self._lock:
            jobs = int(self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
        return f"SQLite {self.path}: {jobs} job(s)"

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # --- jobs ------------------------------------------------------------------------------------

    def create(self, job: Job) -> Job:
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, state, stage, created_at, updated_at, options, kind, media_type,"
                " filename, summary, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.state,
                    job.stage,
                    job.created_at,
                    job.updated_at,
                    job.options.to_json(),
                    job.kind,
                    job.media_type,
                    job.filename,
                    json.dumps(job.summary),
                    job.attempts,
                ),
            )
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"No replication with id {job_id!r}.")
        return _job_from_row(row)

    def list_jobs(
        self, *, limit: int = 50, offset: int = 0, state: str | None = None, name: str | None = None
    ) -> list[Job]:
        where, params = _filters(state, name)
        query = f"SELECT * FROM jobs{where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(query, [*params, limit, offset]).fetchall()
        return [_job_from_row(r) for r in rows]

    def count(self, *, state: str | None = None, name: str | None = None) -> int:
        where, params = _filters(state, name)
        with self._lock:
            row = self._db.execute(f"SELECT COUNT(*) FROM jobs{where}", params).fetchone()
        return int(row[0])

    def queued_ahead(self, job: Job) -> int:
        """How many queued jobs were submitted before ``job`` (workers take them oldest first)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (created_at < ? OR (created_at = ? AND id < ?))",
                (job.created_at, job.created_at, job.id),
            ).fetchone()
        return int(row[0])

    def update(self, job_id: str, **fields: Any) -> Job:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        fields["updated_at"] = time.time()
        if "summary" in fields:
            fields["summary"] = json.dumps(fields["summary"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), job_id)
            )
            if cursor.rowcount == 0:
                raise JobNotFound(f"No replication with id {job_id!r}.")
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job_from_row(row)

    def unfinished(self) -> list[Job]:
        """Jobs a previous process left queued or running, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at"
            ).fetchall()
        return [_job_from_row(r) for r in rows]

    def finished_before(self, cutoff: float) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled')"
                " AND COALESCE(finished_at, updated_at) < ?",
                (cutoff,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def delete(self, job_ids: Sequence[str]) -> int:
        if not job_ids:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            try:
                marks = ",".join("?" * len(job_ids))
                self._db.execute(f"DELETE FROM events WHERE job_id IN ({marks})", tuple(job_ids))
                cursor = self._db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", tuple(job_ids))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cursor.rowcount

    # --- events ----------------------------------------------------------------------------------

    def add_events(self, job_id: str, events: Iterable[StoredEvent]) -> None:
        rows = [(job_id, e.seq, e.ts, e.kind, json.dumps(e.data)) for e in events]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO events (job_id, seq, ts, kind, data) VALUES (?, ?, ?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def events(self, job_id: str, *, after: int = 0, before: int | None = None) -> list[StoredEvent]:
        query = "SELECT seq, ts, kind, data FROM events WHERE job_id = ? AND seq > ?"
        params: list[Any] = [job_id, after]
        if before is not None:
            query += " AND seq < ?"
            params.append(before)
        query += " ORDER BY seq"
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [StoredEvent(int(r[0]), float(r[1]), str(r[2]), json.loads(r[3])) for r in rows]

    def last_seq(self, job_id: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM events WHERE job_id = ?", (job_id,)).fetchone()
        return int(row[0] or 0)


def _job_from_row(row: sqlite3.Row) -> Job:
    job = Job(
        id=row["id"],
        state=row["state"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        options=JobOptions.from_json(row["options"]),
        stage=row["stage"],
        kind=row["kind"],
        media_type=row["media_type"],
        filename=row["filename"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        score=row["score"],
        attempts=row["attempts"],
    )
    return replace(job, summary=json.loads(row["summary"] or "{}"))


def _filters(state: str | None, name: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause of a job listing: by state, and by a part of the file name (any case)."""
    clauses, params = [], []
    if state:
        clauses.append("state = ?")
        params.append(state)
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("filename LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
