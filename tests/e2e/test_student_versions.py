"""The student versions (`make student`) run top to bottom and pass none of their graded tests.

Validation executes every student notebook (two at a time, one per core), so it is slow:
marked e2e, run by `make e2e`; `make test` checks only that solutions and hidden tests are
stripped (tests/test_notebooks.py).
"""

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.exercises import COURSE_NOTEBOOKS, ROOT

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def test_student_version_fails_every_graded_test(tmp_path):
    subprocess.run(["make", "student", f"STUDENT_DIR={tmp_path}"], cwd=ROOT, check=True,
                   capture_output=True)
    # the course's nbgrader configuration: a cell may take nbval's 120 s, and nbclient polls
    # for each reply every second (tools/nbclient_replies.py: without it an explorer's cell can
    # stall until its timeout)
    for tool in ("nbgrader_config.py", "nbclient_replies.py"):
        shutil.copy(ROOT / "tools" / tool, tmp_path)

    def validate(path):
        return subprocess.run([BIN / "nbgrader", "validate", "--invert", "--Execute.timeout=120",
                               path.name], cwd=tmp_path, capture_output=True, text=True,
                              timeout=900)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(COURSE_NOTEBOOKS, pool.map(validate, COURSE_NOTEBOOKS)))
    for path, result in results.items():
        assert "Success! The notebook does not pass any tests." in result.stdout, \
            f"{path.name}:\n{result.stdout}{result.stderr}"
