# mqsim: `make lab` (notebooks), `make test` (lint, then the tests CI runs), `make lint` (ruff and
# mypy), `make docs` (course website), `make demo` (capacity report).
# Each target creates .venv and installs the project into it on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
OUT    ?= out

.PHONY: lab lint test test-browser test-broker docs demo bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mqsim needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test,fast,dask,live]'
	touch $(STAMP)

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS  ?=

# Lab runs inside notebooks/: Jupyter resolves the file to open against the working directory,
# so the start notebook and the server's root must be named from the same place.
# Extra options: make lab LAB_ARGS="--no-browser --port=8899"
lab: $(STAMP)
	cd notebooks && $(abspath $(BIN))/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) 00_start_here.ipynb

# ruff (pycodestyle, pyflakes, bugbear, complexity <= 15) over the code and its tests, then mypy over
# mqsim; both are configured in pyproject.toml. Both always run; either failing fails `make lint`.
LINT_PATHS := mqsim tests benchmarks browser_tests broker_tests conftest.py
lint: $(STAMP)
	@rc=0; \
	$(BIN)/ruff check $(LINT_PATHS) || rc=1; \
	$(BIN)/mypy || rc=1; \
	if [ $$rc -ne 0 ]; then echo "make lint: ruff or mypy found problems (see above)" >&2; fi; exit $$rc

# Lint first (a finding fails `make test`), then the tests, the notebooks (nbval: outputs must match)
# and the examples in the docstrings of mqsim (--doctest-modules; conftest.py says which modules).
# pytest exits 5 when it collects nothing: that must fail CI, not pass silently.
test: lint
	@$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval --doctest-modules tests notebooks mqsim; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; exit 1; fi; exit $$rc

# The course website: committed notebooks (not re-executed) + docs/*.md + the API reference,
# built with Sphinx and MyST-NB, warnings as errors, into _build/html (open _build/html/index.html).
DOCS_STAMP := $(VENV)/.docs-installed
SPHINXOPTS ?=

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html $(SPHINXOPTS) docs _build/html
	@echo "make docs: open _build/html/index.html"

# JupyterLab (started by `make lab`) + the built site + headless Chromium (Debian's chromium, driven by Playwright); screenshots in artifacts/browser/
test-browser: $(STAMP) docs
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }; \
	  else echo "make test-browser: needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }
	$(BIN)/python -m pip install --quiet -e '.[browser]'
	$(BIN)/python -m pytest -q -p no:cacheprovider browser_tests

# A private RabbitMQ node on loopback (Debian's rabbitmq-server, started and stopped by the tests'
# fixtures; nothing is left running): the live player against the simulator. About 5 minutes.
test-broker: $(STAMP)
	@test -x /usr/lib/rabbitmq/bin/rabbitmq-server || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q rabbitmq-server >/dev/null || { apt-get update -q && apt-get install -y -q rabbitmq-server; }; \
	  else echo "make test-broker: needs Debian's rabbitmq-server: sudo apt-get install rabbitmq-server" >&2; exit 1; fi; }
	$(BIN)/python -m pip install --quiet -e '.[live]'
	@$(BIN)/python -m pytest -q -p no:cacheprovider broker_tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-broker: pytest collected no tests (exit 5)" >&2; exit 1; fi; exit $$rc

demo: $(STAMP)
	$(BIN)/python -m mqsim.demo examples/reference.yaml --plot $(OUT)/wait_vs_utilisation.png

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis .mypy_cache .ruff_cache _build docs/lectures docs/api
