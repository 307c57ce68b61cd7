"""pytest fixtures: a throwaway PostgreSQL cluster (Debian's ``postgresql`` package, installed by
``make``), started in a temporary directory for the test session and removed after it.

PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` system user the
package creates, and its commands run through ``runuser``. The server listens on loopback only,
on a free port, with fsync off (a test cluster holds nothing worth a disk flush).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    url: str  # its ``postgres`` database, as user ``replicator`` (trusted)
    restart: Callable[[], None]  # stop (immediately, as a crash would) and start again, same port


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A running cluster, stopped and removed afterwards."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="replicator-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(
        str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "replicator", "-E", "UTF8", "--no-sync"
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    start = [
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(root / "server.log"),
        "-w",
        "start",
    ]
    run(*start)

    def restart() -> None:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        run(*start)

    try:
        yield Cluster(f"postgresql://replicator@127.0.0.1:{port}/postgres", restart)
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    with throwaway_cluster() as cluster:
        yield cluster.url


@pytest.fixture
def pg_url(pg_cluster: str) -> Iterator[str]:
    """A new, empty database in the session's cluster, dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield pg_cluster.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(pg_cluster, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
