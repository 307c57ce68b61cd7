"""How Chromium is launched: the flags that keep it quiet, offline and deterministic."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings

# Every host name resolves to "not found", IP literals included (measured: a page's fetch to
# 127.0.0.1 fails with ERR_NAME_NOT_RESOLVED). This is the second seal, under request routing: it
# also covers what routing never sees (WebSocket handshakes, preconnects, prefetches made by the
# browser process). Playwright's Fetch interception fulfils the page's own document before any
# resolution happens, so routing still works.
HOST_RESOLVER_RULES = "MAP * ~NOTFOUND"

RENDERER_HEAP_MB = 512

# Playwright adds its own defaults (no first run, no default apps, --hide-scrollbars in headless,
# --force-color-profile=srgb, a --disable-features list that stops startup network queries). Chromium
# keeps only the last copy of a switch, so we do not pass --disable-features: it would replace
# Playwright's list instead of extending it.
BASE_ARGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--dns-prefetch-disable",
    "--metrics-recording-only",
    # WebRTC must not open UDP sockets on its own (it is not HTTP, so routing cannot stop it).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    # Same glyph rasterization on every run, whatever the machine's fontconfig says.
    "--font-render-hinting=none",
    "--disable-lcd-text",
    f"--host-resolver-rules={HOST_RESOLVER_RULES}",
    # A page that allocates JavaScript objects without end crashes its renderer at this heap size
    # (reported as a RenderError). It does not cover typed arrays and other buffers outside the
    # heap: the pool's memory watch (_memory.py) bounds those.
    f"--js-flags=--max-old-space-size={RENDERER_HEAP_MB}",
)


def use_sandbox(settings: Settings) -> bool:
    """Chromium's sandbox: as configured, else on unless we run as root (where it cannot start)."""
    configured = getattr(settings, "chromium_sandbox", None)
    if configured is not None:
        return bool(configured)
    return os.geteuid() != 0


def launch_args(settings: Settings) -> list[str]:
    """The command-line switches for the pool's Chromium (``--no-sandbox`` only without a sandbox)."""
    args = list(BASE_ARGS)
    if not use_sandbox(settings):
        args.insert(0, "--no-sandbox")
    return args


@contextlib.contextmanager
def driver_in_own_session(nice: int = 0) -> Iterator[None]:
    """While Playwright starts its Node.js driver, make it start in a session of its own.

    A terminal's Ctrl-C goes to the whole foreground process group. Node.js resets inherited signal
    dispositions, so the driver (and Chromium under it) would die on it, and a batch could not
    finish its running items. Playwright takes the Node.js executable from PLAYWRIGHT_NODEJS_PATH;
    we point it at a two-line wrapper that execs ``setsid`` (no fork: the driver is never a group
    leader) and the real Node.js. Without ``setsid`` (not Debian) nothing changes.

    ``nice``: niceness added to the driver, which Chromium and every renderer it starts inherit (the
    service lowers it so that its event loop gets a core at once while pages render).
    """
    setsid = shutil.which("setsid")
    renice = shutil.which("nice") if nice else None
    node = os.environ.get("PLAYWRIGHT_NODEJS_PATH") or _bundled_node()
    if (setsid is None and renice is None) or node is None:
        yield
        return
    prefix = f'"{setsid}" ' if setsid else ""
    if renice:
        # As root, Chromium raises its browser and GPU processes to -8 and resets others to 0: without
        # CAP_SYS_NICE it cannot, so the niceness holds for the whole tree.
        setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
        if setpriv:
            prefix += f'"{setpriv}" --bounding-set -sys_nice --inh-caps -sys_nice '
        prefix += f'"{renice}" -n {int(nice)} '
    with tempfile.TemporaryDirectory(prefix="replicator-driver-") as folder:
        wrapper = Path(folder) / "node"
        wrapper.write_text(f'#!/bin/sh\nexec {prefix}"{node}" "$@"\n')
        wrapper.chmod(stat.S_IRWXU)
        previous = os.environ.get("PLAYWRIGHT_NODEJS_PATH")
        os.environ["PLAYWRIGHT_NODEJS_PATH"] = str(wrapper)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("PLAYWRIGHT_NODEJS_PATH", None)
            else:
                os.environ["PLAYWRIGHT_NODEJS_PATH"] = previous


def _bundled_node() -> str | None:
    import playwright

    node = Path(playwright.__file__).parent / "driver" / "node"
    return str(node) if node.is_file() else None
