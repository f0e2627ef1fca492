"""tools/mutate.py, the mutation tester behind `make mutate`: which changes it makes, and that
each mutant differs from the original in exactly the one place it names."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "course_tools_mutate", Path(__file__).resolve().parent.parent / "tools" / "mutate.py")
mutate = sys.modules.setdefault("course_tools_mutate", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(mutate)

SOURCE = '''
def f(x: int | None = 1, y=None) -> int | None:
    """Docstring 2."""
    if x < 2 and not x:
        raise ValueError(f"bad {x + 1}")
    z = -x
    z += 3
    return max(x, 4) - y.detach() * z


if __name__ == "__main__":
    f(5 + 6)
'''


@pytest.fixture(scope="module")
def mutants():
    return mutate.list_mutants("example", SOURCE)


def test_every_kind_of_change_is_made_where_it_applies(mutants):
    made = sorted(m.description for m in mutants)
    assert made == sorted([
        "1 -> 2", "< -> <=", "2 -> 3", "and -> or", "drop not", "drop -", "+ -> -",
        "3 -> 4", "max -> min", "4 -> 5", "- -> +", "* -> /", "drop .detach()",
    ])


def test_annotations_messages_and_the_main_block_are_left_alone(mutants):
    lines = {m.line for m in mutants}
    assert 5 not in lines  # the f-string message
    assert not any(line >= 11 for line in lines)  # if __name__ == "__main__"
    assert not any("|" in m.description for m in mutants)  # int | None annotations


def test_each_mutant_changes_one_place_and_still_parses(mutants):
    original = ast.unparse(ast.parse(SOURCE)).splitlines()
    for mutant in mutants:
        changed = mutate.mutated_source(SOURCE, mutant).splitlines()
        assert len(changed) == len(original)
        differing = [i for i, (a, b) in enumerate(zip(original, changed)) if a != b]
        assert len(differing) == 1, mutant
        ast.parse("\n".join(changed))


def test_tests_are_chosen_by_the_lines_they_run():
    lines_by_test = {"<import>": {1, 2}, "t.py::a": {3, 4}, "t.py::b": {4, 5}}
    assert mutate._tests_for_line(4, lines_by_test) == ["t.py::a", "t.py::b"]
    assert mutate._tests_for_line(3, lines_by_test) == ["t.py::a"]
    assert mutate._tests_for_line(2, lines_by_test) is None  # run at import: every test
    assert mutate._tests_for_line(9, lines_by_test) is None  # run by no test: every test
