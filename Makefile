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

.PHONY: lab test bench student grade clean

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

# Student versions of the notebooks (solutions and hidden tests removed), for instructors.
STUDENT_DIR ?= build/student
student: $(STAMP)
	mkdir -p $(STUDENT_DIR)
	$(BIN)/jupyter nbconvert --to notebook --output-dir=$(STUDENT_DIR) \
	  --Exporter.preprocessors='["nbgrader.preprocessors.ClearSolutions","nbgrader.preprocessors.ClearHiddenTests","nbgrader.preprocessors.ClearOutput"]' \
	  notebooks/[0-9][0-9]_*.ipynb

# Homework graded by nbgrader (see TEACHING.md), one assignment per notebook, in COURSE_DIR.
# The first run copies the notebooks to source/ and generates release/ and gradebook.db; every
# run autogrades what is in submitted/<student>/<notebook name>/ (new submissions only), writes
# feedback/ and grades.csv.
COURSE_DIR ?= build/course
# (nbgrader runs the environment's `alembic` from PATH when it creates the gradebook)
NBGRADER := PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/nbgrader
grade: $(STAMP)
	mkdir -p $(COURSE_DIR)/source
	test -f $(COURSE_DIR)/nbgrader_config.py || cp tools/nbgrader_config.py $(COURSE_DIR)/
	for notebook in notebooks/[0-9][0-9]_*.ipynb; do \
	  name=$$(basename $$notebook .ipynb); mkdir -p $(COURSE_DIR)/source/$$name; \
	  cp -n $$notebook $(COURSE_DIR)/source/$$name/; done
	cd $(COURSE_DIR) && $(NBGRADER) generate_assignment '*'
	cd $(COURSE_DIR) && if ls -d submitted/*/* >/dev/null 2>&1; then \
	  $(NBGRADER) autograde '*' && $(NBGRADER) generate_feedback '*' && $(NBGRADER) export; \
	  else echo "no submissions in $(COURSE_DIR)/submitted/ yet"; fi

clean:
	rm -rf $(VENV) build data/cache
