"""Settings: one object, built once at the edge (CLI callback, ``create_app``) and passed down.

Every field can be set by an environment variable ``REPLICATOR_<FIELD>`` (upper case) or a ``.env``
file in the working directory. The README's settings table is generated from this class
(``replicator settings --markdown``) and a test checks that it is current.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import BrowserNotFound

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

OutputMode = Literal["static", "interactive"]
BackendName = Literal["local", "glm"]

# Looked up in this order when no browser path is configured. Debian's headless shell (the
# headless-only build of Chromium, package chromium-headless-shell) comes first: measured on the
# landing page with a warm pool, 139 ms and 280 CPU ms per render against 243 ms and 862 CPU ms for
# the full browser in headless mode, which starts a heavier renderer for every fresh context. Its
# binary is launched directly: Debian's /usr/bin wrapper is a shell that forks it and stays around.
CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
)


def usable_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup CPU quota if any.

    ``os.cpu_count()`` counts the host's cores, which overstates a container started with
    ``--cpus`` or ``--cpuset-cpus``; sizing worker pools by it oversubscribes the CPU.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "replicator"


def _default_web_dir() -> Path:
    # web/ sits beside the package in a checkout; an installed wheel carries it as replicator/_web.
    for candidate in (PROJECT_DIR / "web", PACKAGE_DIR / "_web"):
        if (candidate / "templates").is_dir():
            return candidate
    return PROJECT_DIR / "web"


class Settings(BaseSettings):
    """All of replicator's settings. Field descriptions become the README's settings table."""

    model_config = SettingsConfigDict(
        env_prefix="REPLICATOR_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- general -------------------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where job records (SQLite) and artifacts live.",
    )
    database_url: str | None = Field(
        None,
        description="`postgresql://user:password@host:port/db`: job records, events, the queue and (see "
        "`REPLICATOR_ARTIFACT_STORE`) artifacts in PostgreSQL; "
        "the API queues jobs and `replicator worker` processes run them (apply the schema with `replicator db "
        "migrate`); unset: SQLite in the data directory and in-process workers.",
    )
    artifact_store: Literal["auto", "folder", "database"] = Field(
        "auto",
        description="Where uploads, renders and pages are kept: `folder` (the data directory; give every "
        "process the same shared folder), `database` (PostgreSQL at `database_url`, for workers that share "
        "nothing else); `auto`: the database when `database_url` is set, else the folder.",
    )
    worker_heartbeat_s: float = Field(
        10.0, gt=0, le=600, description="How often a `replicator worker` tells the database it is alive."
    )
    worker_stalled_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="A worker silent this long is taken for dead: another worker retries its jobs "
        "(from the last stored stage).",
    )
    backend: BackendName = Field("local", description="Model backend: `local` (offline, default) or `glm`.")
    output_mode: OutputMode = Field(
        "interactive",
        description="`interactive` keeps the page's own scripts (sandboxed); `static` removes all scripts.",
    )
    fallback_backend: Literal["local", "none"] = Field(
        "local",
        description="When the model provider is down, times out or refuses (content filter), finish the job "
        "with this backend instead of failing (`none`: fail). Auth and billing errors always fail.",
    )
    refine_rounds: int = Field(1, ge=0, le=10, description="Refinement rounds at most, while below target.")
    target_score: float = Field(90.0, ge=0, le=100, description="Stop refining once a candidate scores this.")
    viewport_width: int = Field(1280, ge=200, le=4096, description="Default viewport width in CSS pixels.")
    viewport_height: int = Field(800, ge=200, le=4096, description="Default viewport height in CSS pixels.")
    web_dir: Path = Field(
        default_factory=_default_web_dir, description="Templates and static files of the UI."
    )
    assets_dir: Path = Field(
        PROJECT_DIR / "node_modules",
        description="npm-installed copies of well-known CDN assets (Tailwind, Font Awesome, ...).",
    )
    cpu_workers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Processes for the CPU-heavy stages (OCR, layout analysis, scoring), at most one per "
        "job or batch item in flight; unset: one per usable core; `0`: threads of the main process.",
    )
    ocr_threads: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Threads each OCR engine may use; unset: the usable cores shared out among the CPU "
        "workers (a lone worker gets them all).",
    )

    # --- intake --------------------------------------------------------------------------------
    max_upload_mb: float = Field(50.0, gt=0, description="Largest accepted upload, in MiB.")
    max_image_pixels: int = Field(40_000_000, gt=0, description="Largest accepted image, in pixels.")
    max_video_seconds: float = Field(180.0, gt=0, description="Longest accepted recording, in seconds.")
    max_video_pixels: int = Field(3840 * 2160, gt=0, description="Largest accepted video frame, in pixels.")
    max_video_streams: int = Field(
        4, ge=1, description="Most streams (video, audio, ...) a recording may carry."
    )
    max_key_states: int = Field(
        12, ge=1, le=50, description="Most distinct screen states kept per recording."
    )
    video_decode_timeout_s: float = Field(
        90.0, gt=0, description="Deadline for probing and decoding a video."
    )

    # --- render --------------------------------------------------------------------------------
    chromium_path: Path | None = Field(
        None,
        description="Chromium/Chrome executable; auto-detected (Debian's chromium-headless-shell, "
        "then chromium) when unset.",
    )
    chromium_sandbox: bool | None = Field(
        None,
        description="Chromium's own sandbox: unset means on, except when running as root (where it cannot run).",
    )
    render_timeout_s: float = Field(15.0, gt=0, description="Deadline for one render; a hung page is killed.")
    render_max_height: int = Field(10_000, ge=200, description="Screenshots are clamped to this height (px).")
    render_max_memory_mb: int = Field(
        2048,
        ge=128,
        description="A page (its renderer process) using more memory than this is killed; the render "
        "fails as `render_crashed`.",
    )
    render_concurrency: int = Field(2, ge=1, le=16, description="Renders in flight at once.")
    browser_recycle_after: int = Field(200, ge=1, description="Restart Chromium after this many renders.")

    # --- GLM-4.5V backend ----------------------------------------------------------------------
    glm_base_url: str = Field(
        "https://open.bigmodel.cn/api/paas/v4",
        description="Base URL before `/chat/completions` (BigModel, Z.ai, or a self-hosted server).",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("REPLICATOR_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "api_key"),
        description="API key (also read from `ZAI_API_KEY` or `ZHIPUAI_API_KEY`). Never logged.",
    )
    glm_model: str = Field("glm-4.5v", description="Model name sent to the provider.")
    glm_image_encoding: Literal["base64", "data_url"] = Field(
        "base64", description="`base64` (bare, as Zhipu's API takes it) or `data_url` (vLLM/SGLang)."
    )
    glm_thinking_style: Literal["thinking", "chat_template_kwargs"] = Field(
        "thinking",
        description="How thinking is switched: hosted `thinking` field or self-hosted `chat_template_kwargs`.",
    )
    glm_thinking: bool = Field(True, description="Let the model think before answering.")
    glm_temperature: float = Field(0.3, ge=0, le=2, description="Sampling temperature.")
    glm_top_p: float = Field(0.6, gt=0, le=1, description="Nucleus sampling top_p.")
    glm_max_tokens: int = Field(16384, ge=256, description="Most tokens per answer (thinking included).")
    glm_connect_timeout_s: float = Field(10.0, gt=0, description="Connect timeout to the provider.")
    glm_read_timeout_s: float = Field(120.0, gt=0, description="Longest silence between streamed bytes.")
    glm_deadline_s: float = Field(
        600.0, gt=0, description="Overall deadline for one model call, retries included."
    )
    glm_max_retries: int = Field(4, ge=0, le=10, description="Retries of retryable provider errors.")
    glm_concurrency: int = Field(2, ge=1, le=32, description="Model requests in flight at once.")
    glm_grounding: bool = Field(
        True,
        description="Send the model a brief of what the local analysis measured (exact text, fonts, icons, "
        "pictures as assets) and repair its page with it.",
    )
    glm_brief_max_tokens: int = Field(
        3000, ge=0, description="Most tokens (estimated) the brief may add to a prompt; 0 sends none."
    )
    glm_context_tokens: int = Field(
        65536, ge=4096, description="The model's context window: prompt, brief and answer budget fit in it."
    )
    glm_price_input_per_mtok: float = Field(0.6, ge=0, description="USD per million input tokens (estimate).")
    glm_price_output_per_mtok: float = Field(
        1.8, ge=0, description="USD per million output tokens (estimate)."
    )

    # --- service -------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `replicator serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `replicator serve` listens on.")
    workers: int = Field(2, ge=1, le=32, description="Jobs processed at once by the service.")
    retention_days: float = Field(30.0, ge=0, description="Jobs older than this are pruned (0 keeps all).")
    api_token: SecretStr | None = Field(
        None, description="When set, every API route but `/healthz` requires `Authorization: Bearer <token>`."
    )
    allowed_hosts: str = Field(
        "",
        description="Comma-separated host names the service answers to, besides loopback (`127.0.0.1`, "
        "`localhost`, `::1`) and `REPLICATOR_HOST`; `*` for any. Without an API token, any other "
        "`Host` is refused (DNS rebinding).",
    )

    @field_validator("api_key", "api_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        # `REPLICATOR_API_KEY=` (empty, as in a template .env) means "no key", not an empty key.
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        return value

    def data_path(self, *parts: str) -> Path:
        """A path inside the data directory, created on first use."""
        path = self.data_dir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def resolve_chromium(self) -> Path:
        """The browser executable to launch, or BrowserNotFound naming the fix."""
        if self.chromium_path is not None:
            if self.chromium_path.is_file() and os.access(self.chromium_path, os.X_OK):
                return self.chromium_path
            raise BrowserNotFound(
                f"REPLICATOR_CHROMIUM_PATH points at {self.chromium_path}, which is not an executable file. "
                "Fix the path, or unset it to use Debian's chromium-headless-shell or chromium."
            )
        for candidate in CHROMIUM_CANDIDATES:
            if Path(candidate).is_file() and os.access(candidate, os.X_OK):
                return Path(candidate)
        for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"):
            found = shutil.which(name)
            if found:
                return Path(found)
        raise BrowserNotFound(
            "No Chromium found. Install it with `sudo apt-get install chromium-headless-shell` (or run "
            "`make run`, which installs it), or point REPLICATOR_CHROMIUM_PATH at a Chromium or Chrome "
            "executable."
        )
