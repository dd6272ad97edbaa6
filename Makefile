# Territoire — two commands: `make run` and `make test`. Works on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
DATASETTE_VENV := bench/.venv-datasette
PY := $(VENV)/bin/python
PORT ?= $(or $(TERRITOIRE_PORT),8501)
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test venv dev warehouse browser-deps lint fmt bench bench-loading bench-datasette screenshots clean

run: venv warehouse ## Install, build the warehouse from the embedded data, serve on 127.0.0.1:$(PORT)
	$(PY) serve.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

# Two pytest-xdist workers: the real-browser tests in order on one of them (tests/conftest.py groups them), every
# other test on whichever worker is free; most of a browser test is waiting for Chromium and the server, which the
# other worker's CPU work fills. (A plain `pytest` runs the same suite in one process.)
test: dev browser-deps lint ## Everything the tests need, the lint checks, then the whole suite (browser tests included)
	$(PY) -m pytest -n 2 --dist loadgroup

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "venv indisponible : installation du paquet Debian python3-venv"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv && \
		$(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	@touch $@

dev: $(VENV)/.dev-installed
$(VENV)/.dev-installed: requirements.txt requirements-dev.txt constraints.txt $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	@touch $@

warehouse: venv ## Load every manifest entry (skips unchanged sources)
	$(PY) -m loaders build

browser-deps: ## Debian chromium for the browser tests (no `playwright install`: no download outside the registries)
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-dejavu-core; \
	fi

# Application code only: tests and bench may repeat setup lines on purpose.
APP_CODE := app.py serve.py asgi.py config.py atomic.py warehouse.py pages ui geo api queries indicators exports reuses dashboards catalogue loaders

lint: dev ## ruff, the import layers (import-linter) and the duplicate-code check (pylint)
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports
	$(VENV)/bin/pylint $(APP_CODE)

fmt: dev
	$(VENV)/bin/ruff format .

bench: dev warehouse $(DATASETTE_VENV)/.installed ## Benchmarks; writes docs/PERFORMANCE.md
	$(PY) bench/run_all.py

COMPARE_VENV := bench/.venv-compare

bench-loading: dev $(COMPARE_VENV)/.installed ## The loader vs csv-detective, frictionless, clevercsv, pandas, DuckDB, GDAL on tests/fixtures/messy/; writes docs/LOADING.md
	$(PY) bench/loading_comparison.py

# Their own venv: csv-detective pins python-dateutil<3, the portal 4.0.
$(COMPARE_VENV)/.installed: bench/requirements-compare.txt
	@test -x $(COMPARE_VENV)/bin/python || $(PYTHON) -m venv $(COMPARE_VENV)
	$(COMPARE_VENV)/bin/python -m pip install --disable-pip-version-check -q -r bench/requirements-compare.txt
	@touch $@

bench-datasette: dev warehouse $(DATASETTE_VENV)/.installed ## The portal vs Datasette (SQLite, indexed) on 10M rows, 1/5/20 sessions; writes docs/PERFORMANCE.md
	$(PY) bench/run_all.py --only datasette_compare

# Its own venv: the peer's dependencies must not move the portal's pins.
$(DATASETTE_VENV)/.installed: bench/requirements-datasette.txt
	@test -x $(DATASETTE_VENV)/bin/python || $(PYTHON) -m venv $(DATASETTE_VENV)
	$(DATASETTE_VENV)/bin/python -m pip install --disable-pip-version-check -q -r bench/requirements-datasette.txt
	@touch $@

screenshots: dev warehouse browser-deps ## docs/screenshots/: commune page, map and board, desktop and 390 px wide
	$(PY) bench/screenshots.py

clean:
	rm -rf var .pytest_cache .ruff_cache
