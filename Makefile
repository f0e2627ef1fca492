# The course's two commands:  make lab  (open the notebooks)  and  make test  (run everything).
# Both create the environment in .venv on first use. Slower targets: make site (the course
# website in build/site/) and make e2e (the website and every notebook in a real browser).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
LAB_FLAGS ?=
# JupyterLab refuses to run as root unless told it may (containers, Binder-like machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test fuzz bench mutate student grade clean executed site e2e

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

# Mutation testing of the algorithm modules (optional; about 40 min on 2 cores): change one
# operator or number at a time and count how many changes the tests catch (tools/mutate.py).
MUTATE_MODULES ?= hmm ctc features quantize rates augment serialize
mutate: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python tools/mutate.py $(MUTATE_MODULES) --report build/mutation-report.txt

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
	cp tools/nbclient_replies.py $(COURSE_DIR)/
	for notebook in notebooks/[0-9][0-9]_*.ipynb; do \
	  name=$$(basename $$notebook .ipynb); mkdir -p $(COURSE_DIR)/source/$$name; \
	  cp -n $$notebook $(COURSE_DIR)/source/$$name/; done
	cd $(COURSE_DIR) && $(NBGRADER) generate_assignment '*'
	cd $(COURSE_DIR) && if ls -d submitted/*/* >/dev/null 2>&1; then \
	  $(NBGRADER) autograde '*' && $(NBGRADER) generate_feedback '*' && $(NBGRADER) export; \
	  else echo "no submissions in $(COURSE_DIR)/submitted/ yet"; fi

# --- the website and the end-to-end tests ---
# Each notebook is executed once into build/executed/ (outputs, cell times, widget states);
# the site and the browser tests reuse these copies. A copy is redone when its notebook, the
# library or the shipped weights change. `make -j2 ...` executes two notebooks at a time.
SITE_STAMP := $(VENV)/.installed-site
NOTEBOOKS  := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
EXECUTED   := $(NOTEBOOKS:notebooks/%=build/executed/%)
LIBRARY    := $(wildcard course_lib/*.py data/*.pt data/*.npz)
JS_STAMP   := build/js/.fetched

$(SITE_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --editable ".[dev,site]"
	touch $(SITE_STAMP)

executed: $(EXECUTED)

# Notebook 00 runs first: it builds the corpus cache that the others load, so that two
# notebooks executed at once never both write it.
$(filter-out $(firstword $(EXECUTED)),$(EXECUTED)): | $(firstword $(EXECUTED))

build/executed/%.ipynb: notebooks/%.ipynb $(LIBRARY) tools/execute_notebooks.py | $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $< build/executed

# MathJax, the widget manager and RequireJS from the npm registry, checked against pinned
# digests, so that the site's pages load nothing from elsewhere (needs npm; see site/).
$(JS_STAMP): site/js-assets.json tools/vendor_js.py | $(STAMP)
	$(BIN)/python tools/vendor_js.py build/js
	touch $(JS_STAMP)

site: $(SITE_STAMP) $(EXECUTED) $(JS_STAMP)
	$(BIN)/python tools/build_site.py

# The slow tests, deselected from `make test`: the website and every notebook in JupyterLab,
# driven in headless Chromium (screenshots in build/screenshots/).
e2e: site
	$(BIN)/python -m pytest tests/e2e --e2e --durations=20

clean:
	rm -rf $(VENV) build data/cache
