# The course's two commands:  make lab  (open the notebooks)  and  make test  (run everything).
# Both create the environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
LAB_FLAGS ?=
# JupyterLab refuses to run as root unless told it may (containers, Binder-like machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test bench mutate student clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.port=$(PORT) $(ROOT_FLAG) $(LAB_FLAGS)

test: $(STAMP)
	$(BIN)/python -m pytest

# Speed against the reference libraries, each timed in the same run (see benchmarks/README.md).
bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

# Mutation testing of the algorithm modules (optional; about 30 min on 2 cores): change one
# operator or number at a time and count how many changes the tests catch (tools/mutate.py).
MUTATE_MODULES ?= hmm ctc features quantize rates
mutate: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python tools/mutate.py $(MUTATE_MODULES) --report build/mutation-report.txt

# Student versions of the notebooks (solutions and hidden tests removed), for instructors.
STUDENT_DIR ?= build/student
student: $(STAMP)
	mkdir -p $(STUDENT_DIR)
	$(BIN)/jupyter nbconvert --to notebook --output-dir=$(STUDENT_DIR) \
	  --Exporter.preprocessors='["nbgrader.preprocessors.ClearSolutions","nbgrader.preprocessors.ClearHiddenTests","nbgrader.preprocessors.ClearOutput"]' \
	  notebooks/[0-9][0-9]_*.ipynb

clean:
	rm -rf $(VENV) build data/cache
