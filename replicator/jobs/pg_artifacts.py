"""Artifacts in PostgreSQL, for workers on machines that share the database but no file system.

Each artifact is a run of ``bytea`` rows of at most ``CHUNK_BYTES`` (table ``replicator_artifacts``,
schema version 3), so that an upload is streamed in and a download streamed out piece by piece,
never held whole in memory on either side. A save replaces every piece in one transaction and a
read is one statement, so a reader sees the old artifact or the new one, never a mix.

Blocking (the job manager calls it from threads), on a small connection pool whose connections are
checked before use: a database restart costs the calls made while it is down, not the process.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InputTooLarge
from .artifacts import CHUNK_BYTES, ArtifactSpace, ArtifactStore, checked_name
from .pg_store import keep_trying, redacted

log = logging.getLogger(__name__)
T = TypeVar("T")

_JOBS = "jobs/"
_CHECKS = "checks/"


class PgArtifactSpace(ArtifactSpace):
    """Every job's and design check's artifacts in the database at ``url``."""

    def __init__(self, url: str, *, max_bytes: int, max_connections: int = 8) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.url = url
        self.max_bytes = max_bytes
        self.pool: Any = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row},
            check=ConnectionPool.check_connection,
            timeout=10,
            open=True,
            name="replicator-artifacts",
        )

    def close(self) -> None:
        self.pool.close()

    def job(self, job_id: str) -> PgArtifactStore:
        return PgArtifactStore(self, _JOBS + job_id)

    def check(self, check_id: str) -> PgArtifactStore:
        return PgArtifactStore(self, _CHECKS + check_id)

    def run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)``, done again on a new connection when the database went away under
        it (a restart), for up to ``RECONNECT_S`` seconds. Every ``work`` here can be repeated."""
        import psycopg

        def attempt() -> T:
            with self.pool.connection() as db:
                return work(db)

        return keep_trying(attempt, psycopg.OperationalError, "artifact store")

    def all_named(self, name: str) -> list[bytes]:
        rows = self.run(
            lambda db: db.execute(
                "SELECT data FROM replicator_artifacts WHERE name = %s AND namespace LIKE 'jobs/%%'"
                " AND part = 0 AND octet_length(data) <= %s",
                (checked_name(name), CHUNK_BYTES),
            ).fetchall()
        )
        return [bytes(r["data"]) for r in rows]

    def prune_checks(self, before: float) -> int:
        rows = self.run(
            lambda db: db.execute(
                "DELETE FROM replicator_artifacts WHERE namespace IN (SELECT namespace FROM"
                " replicator_artifacts WHERE namespace LIKE 'checks/%%' GROUP BY namespace"
                " HAVING max(saved_at) < %s) RETURNING namespace",
                (before,),
            ).fetchall()
        )
        return len({r["namespace"] for r in rows})

    def describe(self) -> str:
        return f"PostgreSQL {redacted(self.url)}"


class PgArtifactStore(ArtifactStore):
    """The artifacts of one job (namespace ``jobs/<id>``) or design check (``checks/<id>``)."""

    def __init__(self, space: PgArtifactSpace, namespace: str) -> None:
        self.space = space
        self.namespace = namespace

    def exists(self, name: str) -> bool:
        return self.size(name) is not None

    def size(self, name: str) -> int | None:
        row = self.space.run(
            lambda db: db.execute(
                "SELECT count(*) AS parts, sum(octet_length(data)) AS n FROM replicator_artifacts"
                " WHERE namespace = %s AND name = %s",
                (self.namespace, checked_name(name)),
            ).fetchone()
        )
        return int(row["n"]) if row["parts"] else None

    def load(self, name: str) -> bytes | None:
        rows = self.space.run(
            lambda db: db.execute(
                "SELECT data FROM replicator_artifacts WHERE namespace = %s AND name = %s ORDER BY part",
                (self.namespace, checked_name(name)),
            ).fetchall()
        )
        return b"".join(bytes(r["data"]) for r in rows) if rows else None

    def save(self, name: str, data: bytes) -> None:
        self._check_size(len(data))
        self._write(
            name, lambda: (data[at : at + CHUNK_BYTES] for at in range(0, max(len(data), 1), CHUNK_BYTES))
        )

    def adopt(self, name: str, path: Path) -> None:
        self._check_size(path.stat().st_size)

        def pieces() -> Iterator[bytes]:
            with path.open("rb") as fh:
                first = True
                while (block := fh.read(CHUNK_BYTES)) or first:
                    first = False
                    yield block

        self._write(name, pieces)
        path.unlink(missing_ok=True)

    def export(self, name: str, path: Path) -> bool:
        def work(db: Any) -> bool:
            found = False
            with path.open("wb") as fh:  # from the start again on a retry
                for block in self._read(db, name):
                    found = True
                    fh.write(block)
            return found

        found = self.space.run(work)
        if not found:
            path.unlink(missing_ok=True)
        return found

    def chunks(self, name: str) -> Iterator[bytes] | None:
        if not self.exists(name):
            return None
        return self._pieces(name)

    def remove(self) -> None:
        self.space.run(
            lambda db: db.execute("DELETE FROM replicator_artifacts WHERE namespace = %s", (self.namespace,))
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _check_size(self, size: int) -> None:
        if size > self.space.max_bytes:
            raise InputTooLarge(
                f"An artifact of {size / 1048576:.1f} MiB is over the {self.space.max_bytes / 1048576:.0f} MiB "
                "the job store keeps (REPLICATOR_MAX_UPLOAD_MB)."
            )

    def _write(self, name: str, pieces: Callable[[], Iterator[bytes]]) -> None:
        """Replace the artifact by ``pieces()`` in one transaction (all again on a retry)."""
        checked_name(name)

        def work(db: Any) -> None:
            now = time.time()
            total = 0
            with db.transaction():
                db.execute(
                    "DELETE FROM replicator_artifacts WHERE namespace = %s AND name = %s",
                    (self.namespace, name),
                )
                for part, block in enumerate(pieces()):
                    total += len(block)
                    self._check_size(total)  # a file that grew while it was read
                    db.execute(
                        "INSERT INTO replicator_artifacts (namespace, name, part, data, saved_at)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        (self.namespace, name, part, block, now),
                    )

        self.space.run(work)

    def _read(self, db: Any, name: str, first_part: int = 0) -> Iterator[bytes]:
        """Each stored piece from ``first_part`` on, through a server-side cursor: one statement (one
        snapshot), a piece at a time in memory."""
        with db.transaction():
            cursor = db.cursor(name=f"artifact_{id(self):x}")
            with contextlib.closing(cursor):
                cursor.itersize = 1
                cursor.execute(
                    "SELECT data FROM replicator_artifacts WHERE namespace = %s AND name = %s AND part >= %s"
                    " ORDER BY part",
                    (self.namespace, checked_name(name), first_part),
                )
                for row in cursor:
                    yield bytes(row["data"])

    def _pieces(self, name: str) -> Iterator[bytes]:
        """The pieces for serving: when the database goes away mid-way, the rest is read on a new
        connection (once), from the next piece on."""
        import psycopg

        sent = 0
        for attempt in (1, 2):
            try:
                with self.space.pool.connection() as db:
                    for block in self._read(db, name, sent):
                        yield block
                        sent += 1
                return
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                time.sleep(1.0)
