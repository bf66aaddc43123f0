# PANTHER generator: every target sets up .venv by itself on first use (no root needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench synth fpga study clean

demo: $(STAMP)
	$(BIN)/panther demo

test: $(STAMP)
	$(BIN)/python -m pytest -W error -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

study: $(STAMP)
	$(BIN)/panther study slicing --quick

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[synth]'
	touch $(STAMP)

clean:
	rm -rf build out .pytest_cache
