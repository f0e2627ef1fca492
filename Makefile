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

.PHONY: lab test fuzz bench student clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.port=$(PORT) $(ROOT_FLAG) $(LAB_FLAGS)

test: $(STAMP)
	$(BIN)/python -m pytest

# The fuzz suite with the long hypothesis profile: 1,000 random inputs a test and the extreme
# sizes (100,000-frame HMMs, 20,000-frame CTC); minutes. `make test` runs it with the short profile.
fuzz: $(STAMP)
	COURSE_FUZZ_PROFILE=long $(BIN)/python -m pytest tests/fuzz

# Speed against the reference libraries, each timed in the same run (see benchmarks/README.md).
bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

# Student versions of the notebooks (solutions and hidden tests removed), for instructors.
STUDENT_DIR ?= build/student
student: $(STAMP)
	mkdir -p $(STUDENT_DIR)
	$(BIN)/jupyter nbconvert --to notebook --output-dir=$(STUDENT_DIR) \
	  --Exporter.preprocessors='["nbgrader.preprocessors.ClearSolutions","nbgrader.preprocessors.ClearHiddenTests","nbgrader.preprocessors.ClearOutput"]' \
	  notebooks/[0-9][0-9]_*.ipynb

clean:
	rm -rf $(VENV) build data/cache
