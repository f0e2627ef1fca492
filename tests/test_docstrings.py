"""Every public docstring of course_lib names the notebook section that explains it.

The form is ``notebook NN, section "Title"`` (or ``notebooks NN-MM`` where several explain it),
and a named section must begin a heading of that notebook (its number may be left out), so a renamed section breaks this test
instead of leaving a dangling pointer.
"""

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import course_lib

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r'notebooks? (\d\d)(?:[-–](\d\d))?(?:,? (?:section|sections) "([^"]+)")?',
                       re.IGNORECASE)
# validate, threads and selfcheck are the library's plumbing (CONTRIBUTING.md): no lesson teaches them
MODULES = sorted(info.name for info in pkgutil.walk_packages(course_lib.__path__, "course_lib.")
                 if info.name not in ("course_lib.validate", "course_lib.threads",
                                      "course_lib.selfcheck"))


def _headings(number: str) -> set[str]:
    [path] = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    titles = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    titles.add(re.sub(r"^\d+(\.\d+)*\.?\s+", "", line.lstrip("#").strip()))
    return titles


def _public_objects(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


@pytest.mark.parametrize("module_name", MODULES)
def test_public_docstrings_name_their_notebook_section(module_name):
    module = importlib.import_module(module_name)
    missing, dangling = [], []
    for name, obj in [("module", module), *_public_objects(module)]:
        references = REFERENCE.findall(inspect.getdoc(obj) or "")
        if not any(section for _, _, section in references):
            missing.append(name)
        for number, _, section in references:
            section = re.sub(r"^\d+(\.\d+)*\.?\s+", "", section)
            if section and not any(title.startswith(section) for title in _headings(number)):
                dangling.append(f"{name}: notebook {number} has no section {section!r}")
    assert not missing, f"{module_name}: docstrings that name no notebook section: {missing}"
    assert not dangling, f"{module_name}: {dangling}"
