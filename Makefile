# deepmotif — the two commands: `make demo` and `make test` (`make install` is the set-up alone).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
# `make demo` re-runs the quickstart into the same folder, replacing the previous demo.
DEMO_ARGS ?= --force

.PHONY: install install-test demo test test-fast lint bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is installed first, pinned, so nothing below can pull a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --quiet --disable-pip-version-check -e .
	touch $@

# the Ray extra too: the suite tests the Ray engine of `deepmotif benchmark` on a local instance
$(TSTAMP): $(STAMP)
	$(BIN)/pip install --quiet --quiet --disable-pip-version-check -e '.[test,ray]'
	touch $@

install: $(STAMP)

install-test: $(TSTAMP)

demo: install
	$(BIN)/deepmotif quickstart $(DEMO_ARGS)

test: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# Rebuild every table of BENCHMARKS.md (hours; BENCH_ARGS="--only training,explain" for some).
bench: install-test
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# Every benchmark script at a tiny size, into a copy of BENCHMARKS.md (a smoke test).
bench-quick: install-test
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/python benchmarks/run_all.py --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
