# make run   - set up .venv, migrate the SQLite database under var/, serve on http://127.0.0.1:8000
# make test  - set up .venv and run the whole test suite
# make lock  - refresh requirements-lock.txt after a change to pyproject.toml's dependencies (keeps the other pins)
# make lock-upgrade - move every pin of requirements-lock.txt to the newest release pyproject.toml allows
# make test-lowest - the tests of the libraries' APIs in a venv of pyproject.toml's lower bounds (requirements-lowest.txt)
# make lock-lowest - refresh requirements-lowest.txt after a change to a lower bound in pyproject.toml
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every Python dependency of the app and its tests, exact versions with their hashes (pip-tools). .venv gets
# exactly these; the wheel keeps pyproject.toml's ranges for people who install it into their own environment.
LOCK   := requirements-lock.txt
PIP_VERSION := 26.3
# The lock tool lives in a venv of its own, so that it never enters the app's.
LOCK_VENV := .venv-lock
PIP_TOOLS_VERSION := 7.7.0
LOCK_INDEX ?= https://pypi.org/simple

.PHONY: setup run test test-lowest demo lint vendor bench lock lock-upgrade lock-lowest clean sample-report

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	  echo "pyproject.toml asks for something $(LOCK) does not hold: run make lock"; exit 1; }
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/thrive-workshop serve

test: setup
	$(BIN)/python -m pytest -q

demo: setup
	$(BIN)/python -m server.demo

# make sample-report - the demo workshop run to the end and its Phase 1 report in every format, in var/sample-report
#                      (docs/report.md); with Chromium installed, the printable page printed to PDF as well.
#                      A draft; make sample-report FINAL=1 marks it final.
sample-report: setup
	$(BIN)/python -m server.sample_report var/sample-report $(if $(FINAL),--final)
	@if command -v chromium >/dev/null 2>&1; then \
	  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
	    --print-to-pdf=var/sample-report/report-printed.pdf "file://$(CURDIR)/var/sample-report/report.html" 2>/dev/null \
	  && echo var/sample-report/report-printed.pdf; fi

lint: setup
	$(BIN)/ruff check .

vendor:
	scripts/vendor.sh

# make bench - the load benchmark, app against floor (docs/performance.md); size it with BENCH_ARGS, e.g.
#              make bench BENCH_ARGS="--workshops 10 --duration 10". Its plotting library is bench-only.
bench: setup
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench --plot bench/latency-vs-load.png $(BENCH_ARGS)

$(LOCK_VENV)/.installed-stamp:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION)
	@touch $@

# Resolved against PyPI itself (no local mirrors or find-links from pip's configuration) for Python 3.11, with
# the hashes of every file of each pinned release, so the same lock installs on other platforms too.
lock: $(LOCK_VENV)/.installed-stamp
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	  $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra test \
	  --no-emit-index-url --no-emit-find-links --index-url $(LOCK_INDEX) $(LOCK_ARGS) -o $(LOCK) pyproject.toml

lock-upgrade: LOCK_ARGS = --upgrade
lock-upgrade: lock

# The lower bounds: every `>=` of pyproject.toml pinned exactly (scripts/lowest-constraints), what they need
# resolved as for the lock, with hashes. CI installs it into a venv of its own and runs the tests below with it, so
# a lower bound in pyproject.toml is one the tests have passed on, not a guess.
LOWEST := requirements-lowest.txt
LOWEST_VENV := .venv-lowest
lock-lowest: $(LOCK_VENV)/.installed-stamp
	scripts/lowest-constraints > $(LOCK_VENV)/lowest-constraints.txt
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	  $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra test \
	  --no-emit-index-url --no-emit-find-links --index-url $(LOCK_INDEX) \
	  --constraint $(LOCK_VENV)/lowest-constraints.txt -o $(LOWEST) pyproject.toml

$(LOWEST_VENV)/.installed-stamp: pyproject.toml $(LOWEST)
	scripts/lowest-constraints --check $(LOWEST)
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet pip==$(PIP_VERSION)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --require-hashes -r $(LOWEST)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(LOWEST_VENV)/bin/python -m pip check
	scripts/check-lock $(LOWEST_VENV)/bin/python $(LOWEST)
	@touch $@

# The tests that call the libraries' APIs the most, a few minutes' worth rather than the whole suite (the lock's
# venv runs that): storage on SQLAlchemy, aiosqlite, asyncpg and alembic (the SQLite driver, statements, the
# command path, locks, database errors, the pool's checkout check, migrations on both databases); the transport on python-socketio,
# python-engineio, uvicorn, aiohttp and starlette (connecting, the token re-checks, the public API, a live
# workshop, the web routes with uploads on python-multipart and pages on jinja2); the relay on redis; the
# reports on python-docx and openpyxl, worksheets on pycrdt, catalogue files on openpyxl, python-docx and
# defusedxml. The test tools' bounds too: the tally's property tests (hypothesis), one Chromium test (playwright)
# and the lint (ruff). Left out: the rest of the pure domain logic and of the browser tests (no other library
# calls), and the long multi-process cluster, fuzz and limit tests.
LOWEST_TESTS ?= tests/test_startup_imports.py tests/test_sqlite_driver.py tests/test_statements.py tests/test_db.py tests/test_pg_driver.py \
  tests/services/test_commands.py tests/services/test_locks.py tests/services/test_database_errors.py \
  tests/scaleout/test_migrations.py \
  tests/realtime/test_access_live.py tests/realtime/test_token_rechecks.py tests/realtime/test_public_api.py \
  tests/realtime/test_live_workshop.py tests/web \
  tests/scaleout/test_relay.py tests/scaleout/test_services.py \
  tests/services/test_reports.py tests/services/test_gap_analysis.py tests/catalogue/test_formats.py \
  tests/domain/test_tally.py tests/e2e/test_phone_gestures.py
test-lowest: $(LOWEST_VENV)/.installed-stamp
	$(LOWEST_VENV)/bin/ruff check .
	$(LOWEST_VENV)/bin/python -m pytest -q -p no:cacheprovider $(LOWEST_TESTS)

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(LOWEST_VENV) var build dist *.egg-info
