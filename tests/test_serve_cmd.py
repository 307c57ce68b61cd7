"""`replicator serve` binds before it says where it serves, and a port in use is a clear error."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from replicator.cli.serve_cmd import bind
from replicator.errors import ConfigurationError
from tests.service_helpers import serve_argv, service_env


def test_port_in_use_is_reported_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_argv(port),
            cwd=tmp_path,
            env=service_env(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr
    assert "serving on" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_bind_gives_a_bound_socket_on_a_free_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sock = bind("127.0.0.1", port)
    try:
        assert sock.getsockname() == ("127.0.0.1", port)
    finally:
        sock.close()


def test_unknown_host_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="--host"):
        bind("no-such-host.invalid", 8000)
