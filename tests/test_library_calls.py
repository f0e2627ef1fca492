"""A library-calling answer passes every value check and fails the library check alone.

For the marked exercises whose test cells need nothing but the notebook's imports, this runs
in-process, without a kernel: the imports cell, then either the solution or the marker's
library-calling answer, then the whole test cell (hidden tests included). The solution must
pass; the marker's answer must fail, and on the library check (its message names the library
function that was called). `make e2e` does the same for every marked exercise through
nbgrader; this is its quick counterpart in `make test`, one or more exercises per notebook.
"""

import json

import pytest

from tests.exercises import COURSE_NOTEBOOKS, exercises, solution_source

SELF_CONTAINED = [  # (notebook prefix, graded test cell): tests that need only the imports
    ("05", "test_exercise_1"),
    ("05", "test_exercise_3"),
    ("07", "test_exercise_2"),
]


def imports_cell(path) -> str:
    """The notebook's first code cell without its IPython magics (``%matplotlib inline``)."""
    cells = json.loads(path.read_text())["cells"]
    first = next(cell for cell in cells if cell["cell_type"] == "code")
    return "\n".join(line for line in "".join(first["source"]).splitlines()
                     if not line.lstrip().startswith("%"))


def find_exercise(prefix, test_id):
    path = next(p for p in COURSE_NOTEBOOKS if p.name.startswith(prefix))
    exercise = next(e for e in exercises(path) if e.test_id == test_id)
    return path, exercise


def run(path, answers: dict, test_source: str) -> None:
    namespace = {"__name__": "exercise"}
    exec(compile(imports_cell(path), f"{path.name}:imports", "exec"), namespace)
    for grade_id, source in answers.items():
        exec(compile(source, f"{path.name}:{grade_id}", "exec"), namespace)
    exec(compile(test_source, f"{path.name}:test", "exec"), namespace)


@pytest.mark.parametrize("prefix, test_id", SELF_CONTAINED, ids=lambda value: value)
def test_the_solution_passes(prefix, test_id):
    path, exercise = find_exercise(prefix, test_id)
    run(path, {gid: solution_source(cell) for gid, cell in exercise.answers.items()},
        exercise.test_source)


@pytest.mark.parametrize("prefix, test_id", SELF_CONTAINED, ids=lambda value: value)
def test_a_library_calling_answer_fails_on_the_library_check(prefix, test_id):
    path, exercise = find_exercise(prefix, test_id)
    assert exercise.library_calls, f"{path.name} {test_id} has no library-call marker"
    answers = {gid: exercise.library_calls.get(gid, solution_source(cell))
               for gid, cell in exercise.answers.items()}
    with pytest.raises(AssertionError, match=r"calls course_lib\."):
        run(path, answers, exercise.test_source)


def test_every_notebook_listed_has_a_marked_exercise_checked_here():
    prefixes = {prefix for prefix, _ in SELF_CONTAINED}
    for path in COURSE_NOTEBOOKS:
        if path.name[:2] in prefixes:
            assert any(exercise.library_calls for exercise in exercises(path))
