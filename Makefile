# urbanmgmt — `make run` serves the demo city, `make test` runs the whole suite on
# SpatiaLite and then on PostGIS. Both install what is missing first (as root on Debian).
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON_BASE ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= $(shell nproc)
# Four threads a worker (why: deploy/gunicorn.conf.py, which `make run` starts gunicorn with).
THREADS ?= 4
RUN_DEBS := libsqlite3-mod-spatialite gdal-bin python3-venv gettext
TEST_DEBS := $(RUN_DEBS) postgresql postgresql-15-postgis-3 chromium fonts-noto-cjk redis-server
PYTEST_ARGS ?=
# The suite runs in XDIST processes (pytest-xdist), a test file to each at a time: a file's
# tests share their process, in order (tests/test_process_caches.py needs it). Each process has
# its own test database and Chromium. XDIST=0 runs it in this process, one test after another.
XDIST ?= 2
PARALLEL := $(if $(filter-out 0,$(XDIST)),-n $(XDIST) --dist loadfile)
# Which benchmarks `make bench` and `make bench-compare` run (e.g. BENCHES=bench_core); all by default.
BENCHES ?=

.PHONY: run test test-fast test-spatialite test-postgis bench bench-compare setup system-run system-test migrate demo static lint clean hooks

# --- installing -------------------------------------------------------------------------
system-run:
	@scripts/debs.sh $(RUN_DEBS)
system-test:
	@scripts/debs.sh $(TEST_DEBS)

$(VENV)/.created:
	@test -x $(PYTHON_BASE) || { echo "$(PYTHON_BASE) is missing: install python3 (Debian) or set PYTHON_BASE"; exit 1; }
	$(PYTHON_BASE) -m venv $(VENV)
	@$(VENV)/bin/python -c "import sqlite3; c = sqlite3.connect(':memory:'); c.enable_load_extension(True); c.load_extension('mod_spatialite')" \
	  || { echo "ERROR: $(PYTHON_BASE)'s sqlite3 cannot load SpatiaLite (mod_spatialite)."; \
	       echo "Use Debian's /usr/bin/python3 (pyenv-built Pythons often lack extension loading), or set DATABASE_URL to PostGIS."; \
	       rm -rf $(VENV); exit 1; }
	$(VENV)/bin/pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.created
	$(VENV)/bin/pip install --quiet -r requirements.txt
	@touch $@

# The video worker's packages (torch, ultralytics, OpenVINO, OpenCV; ~6 GB). ultralytics pulls
# the GUI build of OpenCV (it needs libGL): swap it for the pinned headless build.
$(VENV)/.vision: requirements-vision.txt $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -r requirements-vision.txt
	$(VENV)/bin/pip uninstall --quiet -y opencv-python
	$(VENV)/bin/pip install --quiet --force-reinstall --no-deps $$(grep '^opencv-python-headless==' requirements-vision.txt)
	@touch $@

setup: system-run $(VENV)/.installed $(VENV)/.vision
	@$(PY) manage.py compilemessages --ignore=.venv -v0
	@$(PY) manage.py collectstatic --noinput -v0

migrate: setup
	$(PY) manage.py migrate --noinput -v1

demo: migrate
	$(PY) manage.py load_demo

# --- the two commands -----------------------------------------------------------------
# The task worker (12345 imports, KPI day storage) runs beside gunicorn on the same queue (the
# database, or Redis with REDIS_URL) and stops when gunicorn does.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: /admin/, API docs: /api/docs/)"
	@$(PY) manage.py tasks_worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	  HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) \
	    $(VENV)/bin/gunicorn urbanmgmt.wsgi:application --config deploy/gunicorn.conf.py

test: system-test setup
	$(MAKE) --no-print-directory test-spatialite
	$(MAKE) --no-print-directory test-postgis

# The unit tests on SpatiaLite, in under 3 minutes: no root, no PostGIS, no browser. The
# browser and slow tests (live servers, the video worker) are left to `make test`. Needs what
# `make system-run` installs (SpatiaLite, GDAL, gettext); makes the virtual environment if it
# is missing, never installs a Debian package.
test-fast: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore=$(VENV) -v0
	env -u DATABASE_URL $(PY) -m pytest -m "not browser and not slow" $(PARALLEL) $(PYTEST_ARGS)

test-spatialite:
	@echo "=== test suite on SpatiaLite ==="
	env -u DATABASE_URL $(PY) -m pytest $(PARALLEL) $(PYTEST_ARGS)

# A throw-away PostgreSQL/PostGIS cluster under var/ on a free port, unless DATABASE_URL is set.
test-postgis:
	@echo "=== test suite on PostGIS ==="
	@if [ -n "$$DATABASE_URL" ]; then \
	  $(PY) -m pytest $(PARALLEL) $(PYTEST_ARGS); \
	else \
	  url=$$(scripts/pgtest.sh start) || exit 1; \
	  trap 'scripts/pgtest.sh stop' EXIT; \
	  DATABASE_URL=$$url $(PY) -m pytest $(PARALLEL) $(PYTEST_ARGS); \
	fi

# Each figure is appended to bench/history.jsonl with the commit, the date and the machine.
bench: demo
	$(PY) bench/run.py record $(BENCHES)

# Today's figures beside the last recorded ones; with REF=<commit> also beside the same
# benchmarks run at that commit (a temporary git worktree), alternating, on this machine;
# ROUNDS=3 runs each three times and shows the medians.
bench-compare: setup
	$(PY) bench/run.py compare $(if $(REF),--ref $(REF)) --rounds $(or $(ROUNDS),1) $(BENCHES)

# The commit-msg hook that checks the house's commit convention (docs/CONTRIBUTING.md).
hooks:
	@dir=$$(git rev-parse --git-path hooks) && mkdir -p "$$dir" \
	  && printf '#!/bin/sh\n[ -f scripts/commit_subjects.py ] || exit 0\nexec python3 scripts/commit_subjects.py --file "$$1"\n' > "$$dir/commit-msg" \
	  && chmod +x "$$dir/commit-msg" && echo "installed $$dir/commit-msg"

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var/static var/test_*.sqlite3*
