"""The job store on PostgreSQL: the same records and events as the SQLite store, for a deployment
whose API and workers run as several processes on several machines (``REPLICATOR_DATABASE_URL``).

Blocking like the SQLite store (the job manager calls it from worker threads): one psycopg
connection in autocommit mode behind a lock. A connection lost to a database restart is opened
again (retried for up to half a minute) and the call made once more, so a restart costs a wait,
never a dead process.

The schema is versioned: ``migrate`` (``replicator db migrate``) applies what is missing, under an
advisory lock so that two processes migrating at once do not collide; a store refuses to open on a
database whose schema is older than this code's, with the command that fixes it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from ..errors import ConfigurationError, JobNotFound
from .records import Job, JobOptions, StoredEvent

log = logging.getLogger(__name__)

T = TypeVar("T")

# Each migration once, in order; a database records the last one it has (replicator_schema.version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS replicator_jobs (
        id            TEXT PRIMARY KEY,
        state         TEXT NOT NULL,
        stage         TEXT,
        created_at    DOUBLE PRECISION NOT NULL,
        updated_at    DOUBLE PRECISION NOT NULL,
        started_at    DOUBLE PRECISION,
        finished_at   DOUBLE PRECISION,
        options       TEXT NOT NULL,
        kind          TEXT,
        media_type    TEXT,
        filename      TEXT NOT NULL DEFAULT '',
        error_code    TEXT,
        error_message TEXT,
        score         DOUBLE PRECISION,
        summary       JSONB NOT NULL DEFAULT '{}',
        attempts      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS replicator_jobs_by_created ON replicator_jobs (created_at DESC);
    CREATE INDEX IF NOT EXISTS replicator_jobs_by_state ON replicator_jobs (state);
    CREATE TABLE IF NOT EXISTS replicator_events (
        job_id TEXT NOT NULL REFERENCES replicator_jobs (id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        ts     DOUBLE PRECISION NOT NULL,
        kind   TEXT NOT NULL,
        data   JSONB NOT NULL,
        PRIMARY KEY (job_id, seq)
    );
    """,
    # A cancellation asked for in one process (the API) and carried out by another (the worker).
    "ALTER TABLE replicator_jobs ADD COLUMN IF NOT EXISTS cancel_requested DOUBLE PRECISION;",
    # Artifacts for workers that share no file system (pg_artifacts): pieces of at most 1 MiB,
    # stored uncompressed (PNG, MP4 and the like are compressed already).
    """
    CREATE TABLE IF NOT EXISTS replicator_artifacts (
        namespace TEXT NOT NULL,
        name      TEXT NOT NULL,
        part      INTEGER NOT NULL,
        data      BYTEA NOT NULL,
        saved_at  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (namespace, name, part)
    );
    ALTER TABLE replicator_artifacts ALTER COLUMN data SET STORAGE EXTERNAL;
    CREATE INDEX IF NOT EXISTS replicator_artifacts_by_name ON replicator_artifacts (name);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# Events written by any process are announced on this channel (payload: the job id), so that an
# API process streaming a job's progress learns of them at once (LISTEN).
EVENTS_CHANNEL = "replicator_events"
CANCEL_CHANNEL = "replicator_cancel"  # payload: the id of a job someone asked to cancel
RECONNECT_S = 30.0  # how long a store keeps trying to reach a database that went away
_MIGRATION_LOCK = 7_316_845_001  # pg_advisory_xact_lock key: one migrating process at a time

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


def _connect(url: str) -> Any:
    import psycopg
    from psycopg.rows import dict_row

    try:
        return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise ConfigurationError(
            f"Cannot reach the database at {redacted(url)}: {str(exc).strip().splitlines()[0]}"
        ) from exc


def keep_trying(attempt: Callable[[], T], errors: type[Exception], what: str | None = None) -> T:
    """``attempt()``, made again after growing pauses while it fails with ``errors``, for up to
    ``RECONNECT_S`` seconds (a database restarting); ``what`` names it in a warning per retry."""
    deadline = time.monotonic() + RECONNECT_S
    pause = 0.2
    while True:
        try:
            return attempt()
        except errors as exc:
            if time.monotonic() + pause > deadline:
                raise
            if what:
                log.warning("%s: lost the database (%s); trying again", what, str(exc).strip()[:120])
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def schema_version(url: str) -> int:
    """The schema version the database at ``url`` has (0: none)."""
    with _connect(url) as db:
        return _version(db)


def _version(db: Any) -> int:
    row = db.execute("SELECT to_regclass('replicator_schema') AS t").fetchone()
    if row["t"] is None:
        return 0
    row = db.execute("SELECT max(version) AS v FROM replicator_schema").fetchone()
    return int(row["v"] or 0)


def migrate(url: str) -> tuple[int, int]:
    """Apply the migrations the database lacks, and create the job queue's tables (Procrastinate)
    when they are missing; (version before, version after) of replicator's own schema."""
    from .queue import apply_queue_schema

    result = _migrate(url)
    apply_queue_schema(url)
    return result


def _migrate(url: str) -> tuple[int, int]:
    with _connect(url) as db, db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        db.execute(
            "CREATE TABLE IF NOT EXISTS replicator_schema (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        before = _version(db)
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version > before:
                db.execute(sql)
                db.execute(
                    "INSERT INTO replicator_schema (version, applied_at) VALUES (%s, %s)",
                    (version, time.time()),
                )
        return before, max(before, SCHEMA_VERSION)


class PgJobStore:
    """Job records and events in PostgreSQL. Thread-safe; every method blocks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._db = _connect(url)
        version = _version(self._db)
        queue = self._db.execute("SELECT to_regclass('procrastinate_jobs') AS t").fetchone()["t"]
        if version < SCHEMA_VERSION or queue is None:
            self._db.close()
            raise ConfigurationError(
                f"The database at {redacted(url)} has replicator schema version {version}"
                f"{'' if queue else ' and no job queue'}, this version needs {SCHEMA_VERSION}:"
                " run `replicator db migrate` (with the same REPLICATOR_DATABASE_URL)."
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)`` under the lock; once more on a fresh connection if the old one died
        (a database restart), so the processes reconnect by themselves."""
        import psycopg

        with self._lock:
            try:
                return work(self._db)
            except psycopg.OperationalError:
                if not self._db.closed and not self._db.broken:
                    raise
                log.warning("lost the database connection; reconnecting to %s", redacted(self.url))
                self._db = self._reconnect()
                return work(self._db)

    def _reconnect(self) -> Any:
        """A new connection: a restarting server refuses connections for a moment before it takes
        them again."""
        return keep_trying(lambda: _connect(self.url), ConfigurationError)

    def ping(self) -> str:
        """A round trip to the database, described (for ``/readyz``)."""

        def work(db: Any) -> str:
            jobs = int(db.execute("SELECT COUNT(*) AS n FROM replicator_jobs").fetchone()["n"])
            return f"PostgreSQL {redacted(self.url)}: schema version {_version(db)}, {jobs} job(s)"

        return self._run(work)

    # --- jobs ------------------------------------------------------------------------------------

    def create(self, job: Job) -> Job:
        self._run(
            lambda db: db.execute(
                "INSERT INTO replicator_jobs (id, state, stage, created_at, updated_at, options, kind, media_type,"
                " filename, summary, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
        )
        return job

    def get(self, job_id: str) -> Job:
        row = self._run(
            lambda db: db.execute("SELECT * FROM replicator_jobs WHERE id = %s", (job_id,)).fetchone()
        )
        if row is None:
            raise JobNotFound(f"No replication with id {job_id!r}.")
        return _job_from_row(row)

    def list_jobs(
        self, *, limit: int = 50, offset: int = 0, state: str | None = None, name: str | None = None
    ) -> list[Job]:
        where, params = _filters(state, name)
        query = f"SELECT * FROM replicator_jobs{where} ORDER BY created_at DESC, id LIMIT %s OFFSET %s"
        rows = self._run(lambda db: db.execute(query, [*params, limit, offset]).fetchall())
        return [_job_from_row(r) for r in rows]

    def count(self, *, state: str | None = None, name: str | None = None) -> int:
        where, params = _filters(state, name)
        row = self._run(
            lambda db: db.execute(f"SELECT COUNT(*) AS n FROM replicator_jobs{where}", params).fetchone()
        )
        return int(row["n"])

    def queued_ahead(self, job: Job) -> int:
        row = self._run(
            lambda db: db.execute(
                "SELECT COUNT(*) AS n FROM replicator_jobs WHERE state = 'queued'"
                " AND (created_at < %s OR (created_at = %s AND id < %s))",
                (job.created_at, job.created_at, job.id),
            ).fetchone()
        )
        return int(row["n"])

    def update(self, job_id: str, **fields: Any) -> Job:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        fields["updated_at"] = time.time()
        if "summary" in fields:
            fields["summary"] = json.dumps(fields["summary"])
        assignments = ", ".join(f"{name} = %s" for name in fields)
        row = self._run(
            lambda db: db.execute(
                f"UPDATE replicator_jobs SET {assignments} WHERE id = %s RETURNING *",
                (*fields.values(), job_id),
            ).fetchone()
        )
        if row is None:
            raise JobNotFound(f"No replication with id {job_id!r}.")
        return _job_from_row(row)

    def unfinished(self) -> list[Job]:
        rows = self._run(
            lambda db: db.execute(
                "SELECT * FROM replicator_jobs WHERE state IN ('queued', 'running') ORDER BY created_at"
            ).fetchall()
        )
        return [_job_from_row(r) for r in rows]

    def finished_before(self, cutoff: float) -> list[str]:
        rows = self._run(
            lambda db: db.execute(
                "SELECT id FROM replicator_jobs WHERE state IN ('succeeded', 'failed', 'cancelled')"
                " AND COALESCE(finished_at, updated_at) < %s",
                (cutoff,),
            ).fetchall()
        )
        return [str(r["id"]) for r in rows]

    def delete(self, job_ids: Sequence[str]) -> int:
        if not job_ids:
            return 0

        def work(db: Any) -> int:
            with db.transaction():
                db.execute("DELETE FROM replicator_events WHERE job_id = ANY(%s)", (list(job_ids),))
                return int(
                    db.execute("DELETE FROM replicator_jobs WHERE id = ANY(%s)", (list(job_ids),)).rowcount
                )

        return self._run(work)

    def request_cancel(self, job_id: str) -> None:
        """Ask the process running the job to stop it."""
        self._run(
            lambda db: db.execute(
                "UPDATE replicator_jobs SET cancel_requested = %s WHERE id = %s AND cancel_requested IS NULL",
                (time.time(), job_id),
            )
        )
        self._run(lambda db: db.execute("SELECT pg_notify(%s, %s)", (CANCEL_CHANNEL, job_id)))

    def cancel_requested(self, job_id: str) -> bool:
        row = self._run(
            lambda db: db.execute(
                "SELECT cancel_requested FROM replicator_jobs WHERE id = %s", (job_id,)
            ).fetchone()
        )
        return row is not None and row["cancel_requested"] is not None

    def queue_status(self, queue: str, alive_s: float) -> dict[str, int]:
        """The job queue as Procrastinate keeps it: jobs waiting and being done in ``queue``, and
        workers that sent a heartbeat in the last ``alive_s`` seconds."""

        def work(db: Any) -> dict[str, int]:
            jobs = db.execute(
                "SELECT count(*) FILTER (WHERE status = 'todo') AS waiting,"
                " count(*) FILTER (WHERE status = 'doing') AS doing"
                " FROM procrastinate_jobs WHERE queue_name = %s",
                (queue,),
            ).fetchone()
            workers = db.execute(
                "SELECT count(*) AS n FROM procrastinate_workers"
                " WHERE last_heartbeat > now() - make_interval(secs => %s)",
                (alive_s,),
            ).fetchone()
            return {
                "waiting": int(jobs["waiting"]),
                "doing": int(jobs["doing"]),
                "workers": int(workers["n"]),
            }

        return self._run(work)

    # --- events ----------------------------------------------------------------------------------

    def add_events(self, job_id: str, events: Iterable[StoredEvent]) -> None:
        rows = [(job_id, e.seq, e.ts, e.kind, json.dumps(e.data)) for e in events]
        if not rows:
            return

        def work(db: Any) -> None:
            with db.transaction():
                with db.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO replicator_events (job_id, seq, ts, kind, data) VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        rows,
                    )
                db.execute("SELECT pg_notify(%s, %s)", (EVENTS_CHANNEL, job_id))

        self._run(work)

    def events(self, job_id: str, *, after: int = 0, before: int | None = None) -> list[StoredEvent]:
        query = "SELECT seq, ts, kind, data FROM replicator_events WHERE job_id = %s AND seq > %s"
        params: list[Any] = [job_id, after]
        if before is not None:
            query += " AND seq < %s"
            params.append(before)
        query += " ORDER BY seq"
        rows = self._run(lambda db: db.execute(query, params).fetchall())
        return [StoredEvent(int(r["seq"]), float(r["ts"]), str(r["kind"]), r["data"]) for r in rows]

    def last_seq(self, job_id: str) -> int:
        row = self._run(
            lambda db: db.execute(
                "SELECT MAX(seq) AS m FROM replicator_events WHERE job_id = %s", (job_id,)
            ).fetchone()
        )
        return int(row["m"] or 0)


def _job_from_row(row: dict[str, Any]) -> Job:
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
    return replace(job, summary=row["summary"] or {})


def _filters(state: str | None, name: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if state:
        clauses.append("state = %s")
        params.append(state)
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("filename ILIKE %s ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
