# PANTHER generator: every target sets up .venv by itself on first use (no root needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench verilog synth fpga study evaluate clean

demo: $(STAMP)
	$(BIN)/panther demo

# Warnings are errors through filterwarnings in pyproject.toml (a -W error here would
# override its one documented exception). --durations lists the slowest tests, so that a CI
# log shows where its time went.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --durations=30 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

study: $(STAMP)
	$(BIN)/panther study slicing --quick

# The paper's Figs. 1 and 11-14 from compiled MLP-L4 and VGG-16 (FC) kernels (docs/evaluation.md).
evaluate: $(STAMP)
	$(BIN)/panther evaluate --figures out/evaluation

verilog: $(STAMP)
	$(BIN)/panther verilog --config small -o build/verilog

synth: $(STAMP)
	$(BIN)/panther synth --config small

# The full FPGA build (tens of minutes on 2 cores): the small tile does not fit an ECP5-85F,
# so the board build uses a reduced tile. CI runs only a synthesis smoke test (tests/synth).
fpga: $(STAMP)
	$(BIN)/panther fpga --board ulx3s

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[synth,test]'
	touch $(STAMP)

clean:
	rm -rf build out .pytest_cache
