# stance: `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STANCE := $(BIN)/stance
MODEL  := models/stance.joblib
DATA   := data/sentences.csv data/split.csv

.DEFAULT_GOAL := help
.PHONY: help demo test train data notebooks bench-quality bench-finetune bench-parse bench-serve clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# The model is retrained when the data, the code that shapes it or the dependencies change.
MODEL_INPUTS := $(DATA) pyproject.toml $(addprefix src/stance/,__init__.py data.py evaluate.py features.py labels.py model.py persist.py text.py train.py)
PY_OK := import sys; sys.exit(sys.version_info < (3, 11))

# A venv is made only with a Python the package supports, and removed again if making it fails
# (on Debian and Ubuntu `python3 -m venv` needs the python3-venv package), so that a failed
# attempt never leaves a .venv that later runs would take as ready.
$(BIN)/python:
	@$(PYTHON) -c '$(PY_OK)' 2>/dev/null || { echo "stance needs Python 3.11 or newer, and '$(PYTHON)' is older or cannot be run; choose another, e.g. make $(or $(MAKECMDGOALS),demo) PYTHON=python3.11" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) && $(VENV)/bin/python -m pip install --quiet --upgrade pip || { rm -rf $(VENV); echo "could not set up $(VENV) with $(PYTHON) (on Debian/Ubuntu: apt install python3-venv)" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml setup.py src/stance/_score.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py src/stance/_score.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml setup.py src/stance/_score.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

$(VENV)/.installed-parse: pyproject.toml setup.py src/stance/_score.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[parse]'
	@touch $@ $(VENV)/.installed

$(MODEL): $(MODEL_INPUTS) | $(VENV)/.installed
	$(STANCE) train --data data/sentences.csv --model $(MODEL)

train: $(VENV)/.installed  ## (re)train the default model
	$(STANCE) train --data data/sentences.csv --model $(MODEL)

data: $(VENV)/.installed  ## regenerate data/sentences.csv from data/reports (keeps labels)
	$(STANCE) data

demo: $(MODEL)  ## set up, train if needed, evaluate, classify the seed report
	$(STANCE) evaluate data/sentences.csv --split test --model $(MODEL)
	$(STANCE) predict --article --input data/reports/seed-nk-arms-denial.txt --model $(MODEL)

test: $(VENV)/.installed-dev  ## set up with the dev extra and run the whole test suite
	$(BIN)/python -m pytest

notebooks: $(MODEL) $(VENV)/.installed-dev  ## execute the notebooks against the default model into notebooks/_build
	$(BIN)/python notebooks/run.py --model $(MODEL) --out notebooks/_build

bench-quality: $(VENV)/.installed-bench  ## quality benchmark: every system on the test split and real news
	$(BIN)/python benchmarks/quality.py

bench-finetune: $(VENV)/.installed-bench  ## experiment: all-MiniLM-L6-v2 fine-tuned on the corpus (about 30 min)
	$(BIN)/python benchmarks/finetune.py

bench-parse: $(VENV)/.installed-parse  ## experiment: features from a dependency parse (spaCy en_core_web_sm)
	$(BIN)/python benchmarks/parse.py

$(VENV)/.installed-serve-bench: pyproject.toml setup.py src/stance/_score.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve-bench]'
	@touch $@ $(VENV)/.installed

bench-serve: $(MODEL) $(VENV)/.installed-serve-bench  ## HTTP serving benchmark against an echo route (needs wrk)
	$(BIN)/python benchmarks/serve.py --model $(MODEL)

clean:  ## remove the venv, the default model and its card, and build outputs (other models stay)
	rm -rf $(VENV) notebooks/_build $(MODEL) $(MODEL:.joblib=.json) src/stance/_score*.so src/*.egg-info build \
	  .pytest_cache .hypothesis
