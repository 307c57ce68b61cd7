# Set-up is idempotent: each step checks what is already there and does only what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
BIN      := $(VENV)/bin
HOST     ?= 127.0.0.1
PORT     ?= 8000
PYTEST_ARGS ?=

# Debian packages the product needs at run time: the browser (its headless-only build renders ours,
# about twice as fast; the full chromium stays for headed debugging), ffmpeg for recordings, fonts
# that cover Latin and CJK text (no tofu), Node.js/npm to install front-end assets, venv for Python,
# PostgreSQL for a deployment on several machines (the tests start a throwaway cluster of their own).
APT_PACKAGES := chromium-headless-shell chromium ffmpeg fonts-noto-core fonts-noto-cjk fonts-liberation fonts-dejavu-core fonts-croscore \
                nodejs npm python3-venv ca-certificates postgresql

.PHONY: help setup system-deps python-deps node-deps run test lint format bench clean

help:
	@echo "make run    install what is missing, then start the service on the embedded default backend"
	@echo "make test   install what is missing, then run lint and the whole test suite"
	@echo "make bench  run every benchmark in bench/ and print one summary table"

setup: system-deps python-deps node-deps

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  case $$p in \
	    nodejs) command -v node >/dev/null 2>&1 && continue ;; \
	    npm) command -v npm >/dev/null 2>&1 && continue ;; \
	    python3-venv) python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && continue ;; \
	  esac; \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { echo "==> creating $(VENV)"; python3 -m venv $(VENV); }
	@echo "==> installing the package and its dependencies into $(VENV)"
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $@

node-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json web/static/editor-entry.js $(VENV)/.installed
	@echo "==> installing front-end assets from the npm registry (pinned by package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@echo "==> bundling the code editor (CodeMirror 6) with esbuild"
	@$(PY) -c 'from pathlib import Path; from replicator.assets import build_editor_bundle; build_editor_bundle(Path("node_modules"), Path("web/static/editor-entry.js"))'
	@touch $@

run: setup
	@echo "==> starting replicator on http://$(HOST):$(PORT)/ (backend: local, no API key needed)"
	@$(BIN)/replicator serve --host $(HOST) --port $(PORT)

lint: python-deps
	@$(BIN)/ruff check replicator tests bench
	@$(BIN)/ruff format --check replicator tests bench
	@$(BIN)/mypy

format: python-deps
	@$(BIN)/ruff format replicator tests bench
	@$(BIN)/ruff check --fix replicator tests bench

test: setup lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
