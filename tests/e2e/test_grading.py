"""Homework graded end to end: a temporary nbgrader course, two simulated students, exact scores.

Every course notebook becomes an assignment of a course made by `make grade` in a temporary
folder, with its own gradebook.db and exchange. The instructor generates and releases the
assignments; two students fetch them, answer and submit; the instructor collects, autogrades
(`nbgrader autograde`, one process per student, so two notebooks run at a time), reads the
scores from the gradebook and generates feedback (`make grade` again).

* "solver" types the instructor's solutions: full marks on every notebook.
* "library-caller" answers every exercise whose answer cell carries a ``library_call`` marker
  with that code (the course_lib function the exercise asks to write, called), and the other
  exercises with the solution: exactly 0 on the marked exercises, full marks on the others,
  and each marked test cell fails on its library check, after all its value checks passed.

Slow (every notebook runs twice): marked e2e, run by `make e2e` (pytest --e2e); `make test` skips it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.exercises import COURSE_NOTEBOOKS, ROOT, exercises, solution_source

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
COURSE_ID = "llm-audio-course"
SOLVER, LIBRARY_CALLER = "solver", "library-caller"
ASSIGNMENTS = [path.stem for path in COURSE_NOTEBOOKS]
EXERCISES = {path.stem: exercises(path) for path in COURSE_NOTEBOOKS}


def run(command, cwd, env, timeout=1800):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, \
        f"{' '.join(map(str, command))} failed in {cwd}:\n{_what_went_wrong(result)}"
    return result


def _what_went_wrong(result, context=40):
    """The lines around each traceback or error of a failed command (nbgrader logs every
    notebook it processes, so the tail alone may not hold the first failure), then its tail."""
    lines = (result.stdout + result.stderr).splitlines()
    marks = [i for i, line in enumerate(lines) if "Traceback" in line or "ERROR" in line
             or "Error" in line]
    shown = sorted({j for i in marks[:6] for j in range(max(0, i - 5), min(len(lines), i + context))})
    excerpt = "\n".join(lines[j] for j in shown)
    return f"{excerpt}\n[...]\n" + "\n".join(lines[-30:])


def in_parallel(function, items):
    """Two at a time (the machines this runs on have two cores), the first alone: it creates
    the folders that the others share, which nbgrader does not create race-free."""
    items = list(items)
    first = function(items[0])
    with ThreadPoolExecutor(max_workers=2) as pool:
        return [first, *pool.map(function, items[1:])]


def answer(notebook_path, answers_by_grade_id):
    """Replace the answer cells of a fetched notebook, as a student typing in them would."""
    notebook = json.loads(notebook_path.read_text())
    replaced = set()
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers_by_grade_id:
            cell["source"] = answers_by_grade_id[grade_id]
            replaced.add(grade_id)
    assert replaced == set(answers_by_grade_id), "every answer cell was found"
    notebook_path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def answers_of(student, assignment):
    answers = {}
    for exercise in EXERCISES[assignment]:
        for grade_id, cell in exercise.answers.items():
            answers[grade_id] = solution_source(cell)
        if student == LIBRARY_CALLER:
            answers.update(exercise.library_calls)
    return answers


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Run the whole homework cycle once; return the course folder."""
    base = tmp_path_factory.mktemp("nbgrader")
    course_dir, exchange = base / "course", base / "exchange"
    course_dir.mkdir()
    exchange.mkdir()
    # kernels import this checkout's course_lib; nbgrader runs `alembic` from PATH
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    shutil.copy(ROOT / "tools" / "nbgrader_config.py", course_dir)
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\n"
                     "c.CollectApp.check_owner = False  # every file here belongs to one user\n"
                     # two autograders share the gradebook: wait for its lock up to a minute
                     f"c.CourseDirectory.db_url = 'sqlite:///{course_dir}/gradebook.db?timeout=60'\n")

    started = time.monotonic()
    seconds = {}

    def lap(phase):
        seconds[phase] = time.monotonic() - started - sum(seconds.values())

    # instructor: copy the notebooks in and generate the assignments (nothing submitted yet)
    setup = run(["make", "grade", f"COURSE_DIR={course_dir}"], ROOT, env)
    assert "no submissions" in setup.stdout
    in_parallel(lambda name: run([BIN / "nbgrader", "release_assignment", name], course_dir, env),
                ASSIGNMENTS)
    lap("make grade (generate) and release")

    # students: fetch everything, answer, submit each assignment
    def fetch_and_answer(student):
        home = base / student
        home.mkdir()
        run([BIN / "nbgrader", "fetch_assignment", *ASSIGNMENTS, "--course", COURSE_ID,
             f"--Exchange.root={exchange}"], home, env)
        for name in ASSIGNMENTS:
            answer(home / name / f"{name}.ipynb", answers_of(student, name))
        return home

    homes = dict(zip((SOLVER, LIBRARY_CALLER), in_parallel(fetch_and_answer,
                                                           (SOLVER, LIBRARY_CALLER))))
    in_parallel(lambda job: run([BIN / "nbgrader", "submit", job[1], "--course", COURSE_ID,
                                 "--student", job[0], f"--Exchange.root={exchange}"],
                                homes[job[0]], env),
                [(student, name) for student in homes for name in ASSIGNMENTS])
    lap("fetch, answer, submit")

    # instructor: collect, autograde one student per process, then feedback and grades.csv
    in_parallel(lambda name: run([BIN / "nbgrader", "collect", name], course_dir, env),
                ASSIGNMENTS)
    lap("collect")
    with ThreadPoolExecutor(max_workers=2) as pool:  # both students at once
        list(pool.map(lambda student: run([BIN / "nbgrader", "autograde", "*", "--student",
                                           student], course_dir, env), (SOLVER, LIBRARY_CALLER)))
    lap("autograde")
    run(["make", "grade", f"COURSE_DIR={course_dir}"], ROOT, env)
    lap("make grade (feedback, grades.csv)")
    print("\nwall time per phase:", ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))
    return course_dir


@pytest.fixture(scope="module")
def scores(course):
    """(student, assignment) -> {grade_id of a test cell: (score, max_score)}, from the gradebook."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student in (SOLVER, LIBRARY_CALLER):
            for name in ASSIGNMENTS:
                found[student, name] = {
                    exercise.test_id: (gradebook.find_grade(exercise.test_id, name, name,
                                                            student).score, exercise.points)
                    for exercise in EXERCISES[name]}
    print("\nscores read from the gradebook (score / max per exercise):")
    for (student, name), grades in found.items():
        print(f"  {student:15s} {name:40s} "
              + "  ".join(f"{score:g}/{top:g}" for score, top in grades.values()))
    return found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solver_gets_full_marks(scores, name):
    assert scores[SOLVER, name] == {e.test_id: (e.points, e.points) for e in EXERCISES[name]}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_library_caller_gets_zero_exactly_where_it_called_the_library(scores, name):
    expected = {e.test_id: (0 if e.library_calls else e.points, e.points)
                for e in EXERCISES[name]}
    assert scores[LIBRARY_CALLER, name] == expected


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_library_check_is_what_fails(course, name):
    """Each marked test cell fails on its last assert, the library check, so every value check
    before it passed: the library call was a working answer, caught only by that check."""
    graded = json.loads((course / "autograded" / LIBRARY_CALLER / name / f"{name}.ipynb")
                        .read_text())
    outputs = {cell["metadata"]["nbgrader"]["grade_id"]: cell.get("outputs", [])
               for cell in graded["cells"] if cell["metadata"].get("nbgrader", {}).get("grade")}
    for exercise in EXERCISES[name]:
        if not exercise.library_calls:
            continue
        errors = [o for o in outputs[exercise.test_id] if o["output_type"] == "error"]
        functions = re.findall(r"^def (\w+)", "\n".join(exercise.library_calls.values()), re.M)
        assert len(errors) == 1 and errors[0]["ename"] == "AssertionError", \
            f"{exercise.test_id}: {errors}"
        assert any(errors[0]["evalue"].startswith(f"{function} calls ") for function in functions), \
            f"{exercise.test_id} failed before its library check: {errors[0]['evalue']}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_and_grades_are_written(course, scores, name):
    for student in (SOLVER, LIBRARY_CALLER):
        total = sum(score for score, _ in scores[student, name].values())
        top = sum(e.points for e in EXERCISES[name])
        feedback = (course / "feedback" / student / name / f"{name}.html").read_text()
        assert f"(Score: {float(total)} / {float(top)})" in feedback
    grades = (course / "grades.csv").read_text()
    assert grades.count(f"{name},") >= 2  # one row per student and assignment
