"""The adversarial suite: hostile pages and abuse against the real parts (Debian's full Chromium as a
user's browser, the sealed renderer, `replicator serve` behind a logging proxy), with canaries that
count what reaches them. Its figures are printed at the end of the run (tests.plugins.figures)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class UdpCanary:
    """A UDP port on loopback counting the datagrams it receives (STUN binding requests)."""

    port: int = 0
    datagrams: int = 0
    _socket: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))

    def start(self) -> None:
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        while True:
            try:
                self._socket.recvfrom(65536)
            except OSError:
                return
            self.datagrams += 1

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def udp_canary() -> Iterator[UdpCanary]:
    canary = UdpCanary()
    canary.start()
    try:
        yield canary
    finally:
        canary.close()
