"""The library-call marker, run: for exercises whose test cell needs only a few names from the
notebook, execute the test cell against three answers, without executing the notebook.

* the solution passes;
* the marker's answer (a student who calls the library) passes every value check and fails
  on the library check alone, the test cell's last assert;
* the student version's empty answer fails.

The `make e2e` grading test does the same for every marked exercise through nbgrader; this
one runs in `make test`, in a second or two.
"""

import pytest

from tests.exercises import ROOT, exercises, solution_source

# notebook -> (grade_id of the test cell, the notebook's names that the test cell uses)
STANDALONE = {
    "03_ctc.ipynb": ("test_exercise_1", """
import itertools, warnings
import numpy as np
import torchaudio
from course_lib import ctc
cat_paths = [p for p in itertools.product(range(4), repeat=6) if ctc.collapse(p) == [1, 2, 3]]
"""),
    "04_three_alignment_mechanisms.ipynb": ("test_exercise_3", """
import numpy as np
from course_lib import ctc, rates
"""),
}


def exercise_of(notebook, test_id):
    found = [e for e in exercises(ROOT / "notebooks" / notebook) if e.test_id == test_id]
    assert len(found) == 1, f"{notebook} has no single graded cell {test_id}"
    return found[0]


def run_test_cell(exercise, names, answer_source):
    namespace = {}
    exec(names, namespace)
    exec(answer_source, namespace)
    exec(exercise.test_source, namespace)


@pytest.mark.parametrize("notebook", sorted(STANDALONE))
def test_the_solution_passes(notebook):
    test_id, names = STANDALONE[notebook]
    exercise = exercise_of(notebook, test_id)
    (answer,) = exercise.answers.values()
    run_test_cell(exercise, names, solution_source(answer))


@pytest.mark.parametrize("notebook", sorted(STANDALONE))
def test_a_library_calling_answer_fails_on_the_library_check_alone(notebook):
    test_id, names = STANDALONE[notebook]
    exercise = exercise_of(notebook, test_id)
    (replacement,) = exercise.library_calls.values()
    (answer,) = exercise.answers.values()
    function_name = solution_source(answer).split("def ", 1)[1].split("(", 1)[0]
    with pytest.raises(AssertionError, match=rf"^{function_name} calls course_lib\.ctc\."):
        run_test_cell(exercise, names, replacement)


@pytest.mark.parametrize("notebook", sorted(STANDALONE))
def test_the_student_version_fails(notebook):
    test_id, names = STANDALONE[notebook]
    exercise = exercise_of(notebook, test_id)
    (answer,) = exercise.answers.values()
    source = "".join(answer["source"])
    empty = source.split("### BEGIN SOLUTION")[0] + "    raise NotImplementedError()\n"
    with pytest.raises(NotImplementedError):
        run_test_cell(exercise, names, empty)


# answers that memorize the visible checks' values and return 0 for anything else
HARD_CODED = {
    "03_ctc.ipynb": """
def count_paths(target, n_frames):
    seen = {((1, 2, 3), 6): 84, ((1,), 4): 10, ((1, 1), 4): 5, ((2, 1, 2), 5): 28, ((1, 1), 2): 0,
            ((1, 2), 5): 35}
    return seen.get((tuple(target), n_frames), 0)
""",
    "04_three_alignment_mechanisms.ipynb": """
def forced_alignment_cells(duration_s, phones_per_second=12, frames_per_second=50):
    seen = {(1.0, 12): 1250, (10.0, 12): 500 * 241, (20.0, 12): 1000 * 481, (20.0, 6): 1000 * 241}
    return seen.get((duration_s, phones_per_second), 0)
""",
}


@pytest.mark.parametrize("notebook", sorted(STANDALONE))
def test_an_answer_that_memorizes_the_visible_checks_fails_the_hidden_ones(notebook):
    test_id, names = STANDALONE[notebook]
    exercise = exercise_of(notebook, test_id)
    run_test_cell_visible = exercise.visible_test_source.rsplit("assert not library.called", 1)[0]
    namespace = {}
    exec(names, namespace)
    exec(HARD_CODED[notebook], namespace)
    exec(run_test_cell_visible, namespace)          # it passes what the learner sees ...
    with pytest.raises(AssertionError):
        run_test_cell(exercise, names, HARD_CODED[notebook])   # ... and not the hidden tests


def test_every_standalone_exercise_is_marked():
    for notebook, (test_id, _) in STANDALONE.items():
        assert exercise_of(notebook, test_id).library_calls, f"{notebook} {test_id} lost its marker"
