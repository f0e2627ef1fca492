"""The graded exercises of a notebook, read from its nbgrader metadata (see CONTRIBUTING.md).

An exercise is one graded test cell together with the answer cells that come after the
previous graded cell: the cells a learner fills in, then the cell that scores them.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)
SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass
class Exercise:
    notebook: str           # file name, e.g. "01_classical_features.ipynb"
    test_id: str            # grade_id of the graded test cell
    points: float
    test_source: str        # the whole test cell, hidden tests included
    answers: dict           # grade_id of each answer cell -> its cell (a dict)

    @property
    def visible_test_source(self) -> str:
        """The test cell as the student version shows it: hidden tests removed."""
        return HIDDEN_TESTS.sub("", self.test_source)

    @property
    def library_calls(self) -> dict:
        """grade_id -> the marker's replacement source, for answer cells that carry one."""
        return {grade_id: cell["metadata"]["course"]["library_call"]
                for grade_id, cell in self.answers.items()
                if "library_call" in cell["metadata"].get("course", {})}


def source(cell) -> str:
    return "".join(cell["source"])


def solution_source(cell) -> str:
    """An answer cell as a student who knows the solution types it: markers removed."""
    return SOLUTION_MARKER.sub("", source(cell))


def exercises(path: Path) -> list[Exercise]:
    """The graded exercises of the notebook at ``path``, in order."""
    found, pending = [], {}
    for cell in json.loads(path.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            pending[meta["grade_id"]] = cell
        elif meta.get("grade"):
            found.append(Exercise(path.name, meta["grade_id"], meta["points"], source(cell),
                                  pending))
            pending = {}
    return found
