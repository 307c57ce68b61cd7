"""Both artifact stores keep the same contract: the folder (the default) and PostgreSQL (a throwaway
cluster), with uploads streamed in, artifacts streamed out in pieces, whole-artifact replacement and
a size cap."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from replicator.errors import InputTooLarge
from replicator.jobs.artifacts import CHUNK_BYTES, RECORDING_MARK, ArtifactSpace, FolderArtifactSpace
from replicator.jobs.pg_store import migrate


@pytest.fixture(params=["folder", "postgresql"])
def space(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "folder":
        made: ArtifactSpace = FolderArtifactSpace(tmp_path / "data")
    else:
        from replicator.jobs.pg_artifacts import PgArtifactSpace

        url = request.getfixturevalue("pg_url")
        migrate(url)
        made = PgArtifactSpace(url, max_bytes=8 * CHUNK_BYTES)
    yield made
    made.close()


def test_both_artifact_stores_keep_the_same_contract(space: ArtifactSpace, tmp_path: Path) -> None:
    job = space.job("a" * 32)
    assert job.load("page.html") is None and not job.exists("page.html") and job.size("page.html") is None
    assert job.chunks("page.html") is None
    job.save("page.html", b"<html>old</html>")
    job.save("page.html", b"<html>new</html>")  # replaced as a whole
    assert job.load("page.html") == b"<html>new</html>" and job.size("page.html") == 16
    job.save("empty.txt", b"")
    assert job.exists("empty.txt") and job.load("empty.txt") == b"" and job.size("empty.txt") == 0
    job.save_json("result.json", {"score": {"overall": 91.5}})
    assert job.load_json("result.json") == {"score": {"overall": 91.5}}

    # An upload of several pieces is taken over (the local file is gone), streamed out in pieces
    # and copied back out whole.
    big = os.urandom(2 * CHUNK_BYTES + 12345)
    upload = tmp_path / "incoming"
    upload.write_bytes(big)
    job.adopt("upload", upload)
    assert not upload.exists()
    assert job.size("upload") == len(big)
    pieces = list(job.chunks("upload") or [])
    assert len(pieces) == 3 and all(len(p) <= CHUNK_BYTES for p in pieces) and b"".join(pieces) == big
    copy = tmp_path / "copy"
    assert job.export("upload", copy) and copy.read_bytes() == big
    assert not job.export("missing", tmp_path / "nothing") and not (tmp_path / "nothing").exists()

    with pytest.raises(ValueError):
        job.save("../escape", b"x")  # names are ours: no separators

    # Jobs do not see each other's artifacts; the recording marks of every job are found.
    other = space.job("b" * 32)
    assert other.load("page.html") is None
    other.save(RECORDING_MARK, b"f" * 64)
    job.save(RECORDING_MARK, b"e" * 64)
    assert sorted(space.all_named(RECORDING_MARK)) == [b"e" * 64, b"f" * 64]
    job.remove()
    assert job.load("upload") is None and job.load("page.html") is None
    assert other.load(RECORDING_MARK) == b"f" * 64

    # Design checks live apart from jobs and are pruned by age.
    check = space.check("c" * 32)
    check.save("heatmap.png", b"png")
    assert space.job("c" * 32).load("heatmap.png") is None
    assert space.prune_checks(time.time() - 3600) == 0 and check.load("heatmap.png") == b"png"
    assert space.prune_checks(time.time() + 1) == 1 and check.load("heatmap.png") is None


def test_the_database_store_refuses_an_artifact_over_its_cap(pg_url: str, tmp_path: Path) -> None:
    from replicator.jobs.pg_artifacts import PgArtifactSpace

    migrate(pg_url)
    space = PgArtifactSpace(pg_url, max_bytes=CHUNK_BYTES)
    try:
        job = space.job("d" * 32)
        job.save("page.html", b"kept")
        with pytest.raises(InputTooLarge, match="MiB"):
            job.save("page.html", b"x" * (CHUNK_BYTES + 1))
        assert job.load("page.html") == b"kept"  # the failed save changed nothing
        upload = tmp_path / "upload"
        upload.write_bytes(b"y" * (CHUNK_BYTES + 1))
        with pytest.raises(InputTooLarge):
            job.adopt("upload", upload)
        assert job.load("upload") is None
    finally:
        space.close()
