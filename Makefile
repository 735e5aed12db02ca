# Two commands do all set-up on a machine with only Python 3:
#   make lab    opens JupyterLab at the facilitator notebook
#   make test   runs every test
# Both create and fill .venv when it is missing or pyproject.toml has changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WORKSHOP ?=
HOST   ?= 127.0.0.1
PORT   ?= 8866
# make test runs on two workers: each test file stays on one, the browser tests share one.
TEST_WORKERS ?= 2
# Jupyter refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab console test lint live demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# jupyter-config/ adds a save hook that keeps the kit's notebooks as committed (no outputs or
# widget state written into them; see assured_kit/notebookfiles.py).
LAB_CONFIG := JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}"

lab: $(STAMP)
	$(LAB_CONFIG) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(ROOT_FLAG) notebooks/facilitator.ipynb

# The facilitator console as a page of its own (no JupyterLab menus or code on the projector;
# the notebook file is never changed by using it). Opens the last workshop where it stopped.
console: $(STAMP)
	$(BIN)/voila notebooks/facilitator.ipynb --Voila.ip=127.0.0.1 --port=8867

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .

live: $(STAMP)
	@test -n "$(WORKSHOP)" || (echo "usage: make live WORKSHOP=path/to/file.workshop.sqlite [HOST=127.0.0.1 PORT=8866]"; exit 2)
	$(BIN)/assured-kit live "$(WORKSHOP)" --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/assured-kit demo demo-workshops

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache test-artifacts
