"""tools/teaching_minutes.py turns cell times and word counts into minutes; TEACHING.md keeps
its tables for every notebook (regenerate them when a notebook is added)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("teaching_minutes",
                                              ROOT / "tools" / "teaching_minutes.py")
teaching_minutes = importlib.util.module_from_spec(spec)
sys.modules["teaching_minutes"] = teaching_minutes  # dataclasses look their module up there
spec.loader.exec_module(teaching_minutes)


def cell(kind, source, seconds=None):
    made = {"cell_type": kind, "source": source, "metadata": {}, "outputs": []}
    if seconds is not None:  # the kernel's timestamps, as nbclient records them
        made["metadata"]["execution"] = {
            "iopub.execute_input": "2026-01-01T10:00:00.000000Z",
            "shell.execute_reply": f"2026-01-01T10:00:{seconds:04.1f}00000Z"}
    return made


def test_sections_count_words_tokens_and_seconds():
    executed = {"cells": [
        cell("markdown", "# Title\n\n**Learning goals** four words"),     # 6 words
        cell("code", "import numpy as np", seconds=1.5),                    # 4 tokens
        cell("markdown", "text\n## 1. First step\n\nten " + "word " * 5),  # 1 + 10 words
        cell("code", "x = 1\ny = 2", seconds=3.5),                         # 6 tokens
        cell("markdown", "## Exercises\n\nsolve"),
        cell("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
    ]}
    intro, first, exercises = teaching_minutes.measure(executed)
    assert (intro.title, intro.prose_words, intro.code_tokens, intro.run_seconds) == \
        ("Introduction and set-up", 7, 4, 1.5)
    assert (first.title, first.prose_words, first.code_tokens, first.run_seconds) == \
        ("1. First step", 10, 6, 3.5)
    assert exercises.code_tokens == 2, "the solution is not read: 'def f():' only"
    assert exercises.run_seconds == 0, "a cell that did not run takes no time"
    expected = (10 / teaching_minutes.PROSE_RATE + 6 / teaching_minutes.CODE_RATE + 3.5 / 60)
    assert first.minutes == pytest.approx(expected)


def test_teaching_md_has_a_measured_row_for_every_notebook():
    text = (ROOT / "TEACHING.md").read_text()
    begin, end = teaching_minutes.BEGIN, teaching_minutes.END
    assert begin in text and end in text
    table = text.split(begin, 1)[1].split(end, 1)[0]
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert re.search(rf"^\| {path.stem} \|", table, re.M), \
            f"TEACHING.md has no minutes for {path.stem}: run python tools/teaching_minutes.py --write TEACHING.md"
