# replicator: the service in a container, with Debian's Chromium, ffmpeg and CJK/Latin fonts.
#
#   docker build -t replicator .
#   docker run --rm -p 8000:8000 -v replicator-data:/data replicator
#
# Chromium's sandbox needs user namespaces, which Docker's default seccomp profile usually denies.
# The image therefore runs Chromium with --no-sandbox by default (REPLICATOR_CHROMIUM_SANDBOX=false);
# where the host allows it (e.g. `--security-opt seccomp=unconfined`, or a profile that permits
# clone/unshare of user namespaces) set REPLICATOR_CHROMIUM_SANDBOX=true to turn the sandbox on.
# Generated pages are sealed from the network either way (request routing + a resolver that
# resolves nothing, and a strict CSP).

# ---- build stage: front-end assets from the npm registry, the Python package into a venv ----------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY pyproject.toml README.md ./
COPY replicator ./replicator
COPY web ./web
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install .
# The job page's code editor (CodeMirror 6), bundled with esbuild into node_modules.
RUN /opt/venv/bin/python -c "from pathlib import Path; from replicator.assets import build_editor_bundle; \
build_editor_bundle(Path('node_modules'), Path('web/static/editor-entry.js'))"

# ---- runtime stage ------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV DEBIAN_FRONTEND=noninteractive
# nodejs: the sanitizer compiles Tailwind classes to static CSS with the npm tailwindcss package.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      chromium-headless-shell ffmpeg nodejs \
      fonts-noto-core fonts-noto-cjk fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin replicator \
 && mkdir -p /data && chown replicator:replicator /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/web /app/web

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    REPLICATOR_DATA_DIR=/data \
    REPLICATOR_HOST=0.0.0.0 \
    REPLICATOR_PORT=8000 \
    REPLICATOR_WEB_DIR=/app/web \
    REPLICATOR_ASSETS_DIR=/app/node_modules \
    REPLICATOR_CHROMIUM_PATH=/usr/lib/chromium/chromium-headless-shell \
    REPLICATOR_CHROMIUM_SANDBOX=false

USER replicator
WORKDIR /home/replicator
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["replicator", "serve"]
