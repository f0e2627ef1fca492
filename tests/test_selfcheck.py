"""Learners' self-checks: course_lib.selfcheck, and the conventions of the exercise test cells.

Every visible assert of a graded cell explains itself; every answer cell marked with a
``library_call`` (the answer a student writes by calling the library) has a test cell that
watches those calls and checks them last, after every value check (see CONTRIBUTING.md).
"""

import ast
import functools
import json
import math
import sys

import numpy as np
import pytest
import scipy.fft

from course_lib import features, selfcheck
from tests.exercises import COURSE_NOTEBOOKS, exercises, solution_source

EXERCISES = [exercise for path in COURSE_NOTEBOOKS for exercise in exercises(path)]
MARKED = [exercise for exercise in EXERCISES if exercise.library_calls]


def exercise_id(exercise):
    return f"{exercise.notebook[:2]}-{exercise.test_id}"


# --- course_lib.selfcheck ------------------------------------------------------------------

def helper_that_calls_the_library(n):
    return features.dct_matrix(n, n)


def test_a_call_is_recorded_under_any_name_and_at_any_depth():
    from course_lib.features import dct_matrix as renamed
    library = selfcheck.calls_to(features.dct_matrix)
    with library:
        renamed(3, 4)
    assert library.called == ["course_lib.features.dct_matrix"]
    other = selfcheck.calls_to(features.dct_matrix)
    with other:
        helper_that_calls_the_library(3)
    assert other.report() == "course_lib.features.dct_matrix"


def test_calls_outside_the_block_and_to_other_functions_are_not_recorded():
    library = selfcheck.calls_to(features.dct_matrix)
    features.dct_matrix(3, 4)
    with library:
        features.hann_window(4)
        np.cos(np.arange(3))
    assert library.called == [] and library.report() == "no watched function"


def test_builtins_methods_and_repeated_blocks():
    vectors = selfcheck.calls_to(math.sqrt, features.dct_matrix)
    with vectors:
        math.sqrt(2.0)
    with vectors:
        features.dct_matrix(2, 2)
        math.sqrt(3.0)
    assert vectors.called == ["math.sqrt", "course_lib.features.dct_matrix"]


def logged(function):
    @functools.wraps(function)
    def wrapper(*args):
        return function(*args)
    return wrapper


@logged
def first_decorated(x):
    return x


@logged
def second_decorated(x):
    return x


def test_a_decorated_function_is_told_apart_from_others_with_the_same_decorator():
    library = selfcheck.calls_to(first_decorated)
    with library:
        second_decorated(1)
    assert library.called == []
    with library:
        first_decorated(1)
    assert library.called == ["tests.test_selfcheck.first_decorated"]


def test_the_previous_profiler_is_restored_even_after_an_error():
    def outer_profiler(frame, event, arg):
        return None

    sys.setprofile(outer_profiler)
    try:
        with pytest.raises(ZeroDivisionError):
            with selfcheck.calls_to(math.sqrt):
                1 / 0
        assert sys.getprofile() is outer_profiler
    finally:
        sys.setprofile(None)


def test_blocks_do_not_nest():
    library = selfcheck.calls_to(math.sqrt)
    with library, pytest.raises(RuntimeError, match="already recording"):
        with library:
            pass


def test_what_cannot_be_watched_is_refused_clearly():
    with pytest.raises(ValueError, match="at least one function"):
        selfcheck.calls_to()
    with pytest.raises(TypeError, match="multimethod"):
        selfcheck.calls_to(scipy.fft.dct)  # dispatches by name: no code object to watch
    with pytest.raises(TypeError, match="int"):
        selfcheck.calls_to(3)


# --- the exercise cells ------------------------------------------------------------------------

def visible_asserts(exercise):
    tree = ast.parse(exercise.visible_test_source)
    return [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def test_every_notebook_has_exercises_to_check():
    assert len(COURSE_NOTEBOOKS) >= 8 and len(EXERCISES) >= 3 * len(COURSE_NOTEBOOKS)


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_id)
def test_every_visible_assert_says_what_was_expected(exercise):
    asserts = visible_asserts(exercise)
    assert asserts, f"{exercise.test_id} shows the learner no check at all"
    bare = [node.lineno for node in asserts if node.msg is None]
    assert not bare, (f"{exercise.notebook} {exercise.test_id}: the asserts on lines {bare} of "
                      "the visible test have no message; say what was expected, what came, "
                      "and give a hint")


def is_library_check(node):
    """``assert not <name>.called, ...``"""
    return (isinstance(node, ast.Assert) and isinstance(node.test, ast.UnaryOp)
            and isinstance(node.test.op, ast.Not) and isinstance(node.test.operand, ast.Attribute)
            and node.test.operand.attr == "called" and node.msg is not None)


@pytest.mark.parametrize("exercise", MARKED, ids=exercise_id)
def test_a_marked_exercise_checks_library_calls_last(exercise):
    """Value checks first, the library check last: a library-calling answer then fails on
    that check alone, which shows that it is the check that catches it."""
    visible = ast.parse(exercise.visible_test_source).body
    assert "selfcheck.calls_to(" in exercise.visible_test_source
    assert is_library_check(visible[-1]), \
        f"{exercise.test_id} must end with `assert not library.called, <message>`"
    assert is_library_check(ast.parse(exercise.test_source).body[-1]), \
        "the library check comes after the hidden tests"


@pytest.mark.parametrize("exercise", MARKED, ids=exercise_id)
def test_a_library_call_marker_replaces_its_answer_cell(exercise):
    for grade_id, replacement in exercise.library_calls.items():
        assert "SOLUTION" not in replacement and "NotImplementedError" not in replacement
        solution = ast.parse(solution_source(exercise.answers[grade_id]))
        cheat = ast.parse(replacement)
        defined = {node.name for node in solution.body if isinstance(node, ast.FunctionDef)}
        assert defined == {node.name for node in cheat.body if isinstance(node, ast.FunctionDef)}


def test_markers_sit_only_on_answer_cells():
    for path in COURSE_NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if "course" in cell["metadata"]:
                meta = cell["metadata"].get("nbgrader", {})
                assert meta.get("solution") and not meta.get("grade"), \
                    f"{path.name}: a 'course' marker on a cell that is not an answer cell"
