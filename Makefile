# sandpit: `make run` sets up a fresh Debian machine and starts the server;
# `make test` sets it up and runs every test.

GO       ?= go
BIN      := bin/sandpit
PYODIDE  := page/node_modules/pyodide/pyodide.asm.wasm
# The playground's code editor, bundled from page/editor/ by esbuild; the
# binary embeds it, so it is built before anything Go.
EDITOR   := page/build/editor.js
SANDPIT_USER ?= sandpit
# Arguments for `sandpit serve` in `make run`, e.g. make run ARGS="--addr 0.0.0.0:8080".
ARGS     ?=
# Flags for `go test`, e.g. make test TESTFLAGS="-run TestSemantics -v".
TESTFLAGS ?=

.PHONY: all build run test test-python test-typescript cross-build deps system-deps fuzz bench screenshot clean packages

all: build

# Chromium and redis-server from Debian's packages, when missing, and the
# unprivileged account Chromium runs as when sandpit runs as root. The tests
# of Redis Cluster and Sentinel need no more: redis-server runs the
# sentinels too (--sentinel), and the Cluster is joined through its own
# commands, not redis-cli.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v unshare >/dev/null 2>&1 || missing="$$missing util-linux"; \
	command -v bzip2 >/dev/null 2>&1 || missing="$$missing bzip2"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing:$$missing; install them with apt-get (as root)"; exit 1; fi; \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing fonts-liberation; \
	fi
	@if [ "$$(id -u)" = 0 ] && ! id -u $(SANDPIT_USER) >/dev/null 2>&1; then \
		echo "creating the unprivileged user $(SANDPIT_USER) for Chromium"; \
		useradd --system --create-home --home-dir /var/lib/$(SANDPIT_USER) --shell /usr/sbin/nologin $(SANDPIT_USER); \
	fi

# Pyodide from the npm package pinned by page/package-lock.json.
$(PYODIDE): page/package.json page/package-lock.json
	cd page && npm ci --no-audit --no-fund
	@touch $@

# CodeMirror and its Python mode, from the npm packages page/package-lock.json
# pins, bundled into one module served as /web/editor.js.
$(EDITOR): $(PYODIDE) $(wildcard page/editor/*.js)
	cd page && npm run build

deps: system-deps $(EDITOR)

build: $(EDITOR)
	$(GO) build -o $(BIN) ./cmd/sandpit

run: deps build
	./$(BIN) serve $(ARGS)

test: deps cross-build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m $(TESTFLAGS) ./...
	$(MAKE) --no-print-directory -j2 --output-sync=target test-python test-typescript

# The Python client (clients/python), installed with pip into a venv that
# sees Debian's pytest and httpx, tested against a real `sandpit serve`.
# Debian's python3 on purpose: that is where apt-get puts the packages.
PYTHON   ?= /usr/bin/python3
PY_DEBS  := python3-venv python3-setuptools python3-wheel python3-pytest python3-pytest-asyncio python3-httpx
PY_VENV  := clients/python/.venv
test-python: deps build
	@missing=""; \
	for p in $(PY_DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing:$$missing; install them with apt-get (as root)"; exit 1; fi; \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv --system-site-packages $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --no-index --no-build-isolation ./clients/python
	cd clients/python && SANDPIT_BIN=$(CURDIR)/$(BIN) .venv/bin/python -m pytest -q -p no:cacheprovider tests

# The TypeScript client (clients/typescript): its locked dependencies, its
# build, and its tests against a real bin/sandpit serve.
test-typescript: deps build
	cd clients/typescript && npm ci --no-audit --no-fund && npm run build && npm test

# The whole module builds for macOS and Windows too: what is Linux's alone
# (cgroups, /proc, unshare, Pdeathsig) lives in _linux.go files with stubs.
# It is type-checked from source for both (internal/typecheck), which finds
# what their builds would refuse in sandpit's code without compiling the
# standard library and every dependency twice more.
cross-build: $(EDITOR)
	$(GO) run ./internal/typecheck darwin windows

# Longer fuzzing of the parsers of untrusted input (the seed corpus runs in `make test`).
fuzz: $(EDITOR)
	$(GO) test -run XXX -fuzz FuzzParseSpec -fuzztime 60s .

bench: deps
	$(GO) test -run XXX -bench . -benchtime 200x ./runner/ ./queue/

# docs/playground.png, the screenshot in README, taken of the real playground
# by its browser test.
screenshot: deps
	SANDPIT_SCREENSHOT=$(CURDIR)/docs/playground.png $(GO) test -count=1 -run 'TestPlayground$$' ./cmd/sandpit/

# A package repository for --packages-dir (PACKAGES_DIR, default packages/)
# from the full Pyodide release of the version page/package-lock.json pins:
# downloaded where the network allows, else given as
# PYODIDE_ARCHIVE=path/to/pyodide-VERSION.tar.bz2.
PYODIDE_VERSION := $(shell sed -n '/"node_modules\/pyodide": {/{n;s/.*"version": "\([^"]*\)".*/\1/p;}' page/package-lock.json)
PYODIDE_ARCHIVE ?=
PACKAGES_DIR ?= packages

packages: $(EDITOR)
	@archive="$(PYODIDE_ARCHIVE)"; \
	if [ -z "$$archive" ]; then \
		archive=.cache/pyodide-$(PYODIDE_VERSION).tar.bz2; \
		if [ ! -f "$$archive" ]; then \
			mkdir -p .cache; \
			curl -fL --retry 3 -o "$$archive.part" https://github.com/pyodide/pyodide/releases/download/$(PYODIDE_VERSION)/pyodide-$(PYODIDE_VERSION).tar.bz2 \
			&& mv "$$archive.part" "$$archive" \
			|| { rm -f "$$archive.part"; echo "cannot download the Pyodide $(PYODIDE_VERSION) release; give it as PYODIDE_ARCHIVE=path/to/pyodide-$(PYODIDE_VERSION).tar.bz2"; exit 1; }; \
		fi; \
	fi; \
	$(GO) run ./cmd/sandpit packages --archive "$$archive" --out $(PACKAGES_DIR)

clean:
	rm -rf bin page/node_modules page/build
