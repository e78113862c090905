# make run   - set up .venv, migrate the SQLite database under var/, serve on http://127.0.0.1:8000
# make test  - set up .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run test demo lint vendor bench clean sample-report

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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
sample-report: setup
	$(BIN)/python -m server.sample_report var/sample-report
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

clean:
	rm -rf $(VENV) var build dist *.egg-info
