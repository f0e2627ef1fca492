"""The library-call marker, run in-process for one or more exercises per notebook.

A marked exercise (CONTRIBUTING.md, "The library-call marker") must tell apart an answer that
understands from one that calls the library. For exercises whose test cell needs only the
notebook's imports cell plus, at most, a few names listed here, this runs without a kernel:
the imports cell, the setup, an answer, then the whole test cell (hidden tests included).

* the solution passes;
* the marker's answer (a student who calls the library) fails, on the library check alone
  (its message names the library function that ran);
* the student version's empty answer fails;
* for some, an answer that memorizes the visible checks' values fails the hidden tests.

`make e2e` does the same for every marked exercise through nbgrader; this is its quick
counterpart in `make test`.
"""

import json

import pytest

from tests.exercises import COURSE_NOTEBOOKS, exercises, solution_source

# (notebook prefix, graded test cell, names its test cell needs beyond the imports cell)
CHECKED = [
    ("00", "test_exercise_2", """
cat = synthesize("The cat sat on the mat.")
spoken = {name: synthesize(cat.text, words_per_minute=wpm)
          for name, wpm in {"slow": 100, "normal": 175, "fast": 320}.items()}
from course_lib.data import build_corpus
corpus = build_corpus(400, seed=0)
"""),
    ("01", "test_exercise_2", """
cat = synthesize("The cat sat on the mat.")
waveform, sample_rate = cat.waveform.astype(np.float64), cat.sample_rate
log_mel = features.log_mel_spectrogram(waveform, sample_rate, n_mels=40)
mfccs = log_mel @ features.dct_matrix(13, 40).T
"""),
    ("02", "test_exercise_4", ""),
    ("03", "test_exercise_1", """
import itertools
cat_paths = [p for p in itertools.product(range(4), repeat=6) if ctc.collapse(p) == [1, 2, 3]]
"""),
    ("04", "test_exercise_3", ""),
    ("05", "test_exercise_1", ""),
    ("05", "test_exercise_3", ""),
    ("06", "test_exercise_3", """
codebooks = [np.random.default_rng(level).normal(size=(32, 39)) for level in range(6)]
"""),
    ("07", "test_exercise_2", ""),
    ("09", "test_exercise_1", ""),
    ("10", "test_exercise_4", ""),
    ("11", "test_exercise_1", ""),
    ("11", "test_exercise_3", ""),
]
IDS = [f"{prefix}-{test_id}" for prefix, test_id, _ in CHECKED]

HARD_CODED = {
    "03": """
def count_paths(target, n_frames):
    seen = {((1, 2, 3), 6): 84, ((1,), 4): 10, ((1, 1), 4): 5, ((2, 1, 2), 5): 28, ((1, 1), 2): 0,
            ((1, 2), 5): 35}
    return seen.get((tuple(target), n_frames), 0)
""",
    "04": """
def forced_alignment_cells(duration_s, phones_per_second=12, frames_per_second=50):
    seen = {(1.0, 12): 1250, (10.0, 12): 500 * 241, (20.0, 12): 1000 * 481, (20.0, 6): 1000 * 241}
    return seen.get((duration_s, phones_per_second), 0)
""",
    "09": """
def cascade_first_audio(costs, question_seconds, characters_before_audio, words_before_audio):
    seen = {(2.0, 11, 3): 0.387, (0.0, 1, 1): 0.077}
    return seen.get((question_seconds, characters_before_audio, words_before_audio), 0.0)
""",
    "10": """
def steps_per_order(n_frames, n_codebooks):
    seen = {(100, 4): {"flattening": 400, "valle": 103, "delay": 103, "masked": 19, "rq": 400},
            (5, 2): {"flattening": 10, "valle": 6, "delay": 6, "masked": 6, "rq": 10}}
    return seen.get((n_frames, n_codebooks), dict.fromkeys(serialize.PATTERNS, 0))
""",
    "11": """
def lm_tokens(family, duration_s, frames_per_second, factor):
    seen = {("stack", 10.0, 50, 8): 63, ("qformer", 30.0, 50, 32): 32, ("linear", 1.1, 50, 1): 55}
    return seen.get((family, duration_s, frames_per_second, factor), 0)
""",
}




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


def run(path, setup: str, answers: dict, test_source: str) -> None:
    namespace = {"__name__": "exercise"}
    exec(compile(imports_cell(path), f"{path.name}:imports", "exec"), namespace)
    exec(compile(setup, f"{path.name}:setup", "exec"), namespace)
    for grade_id, answer in answers.items():
        exec(compile(answer, f"{path.name}:{grade_id}", "exec"), namespace)
    exec(compile(test_source, f"{path.name}:test", "exec"), namespace)


def solutions(exercise) -> dict:
    return {grade_id: solution_source(cell) for grade_id, cell in exercise.answers.items()}


@pytest.mark.parametrize("prefix, test_id, setup", CHECKED, ids=IDS)
def test_the_solution_passes(prefix, test_id, setup):
    path, exercise = find_exercise(prefix, test_id)
    run(path, setup, solutions(exercise), exercise.test_source)


@pytest.mark.parametrize("prefix, test_id, setup", CHECKED, ids=IDS)
def test_a_library_calling_answer_fails_on_the_library_check(prefix, test_id, setup):
    path, exercise = find_exercise(prefix, test_id)
    assert exercise.library_calls, f"{path.name} {test_id} has no library-call marker"
    answers = {**solutions(exercise), **exercise.library_calls}
    with pytest.raises(AssertionError, match=r" calls [\w.]+\.\w"):
        run(path, setup, answers, exercise.test_source)


@pytest.mark.parametrize("prefix, test_id, setup", CHECKED, ids=IDS)
def test_the_student_version_fails(prefix, test_id, setup):
    path, exercise = find_exercise(prefix, test_id)
    empty = {grade_id: source.split("### BEGIN SOLUTION")[0] + "    raise NotImplementedError()\n"
             for grade_id, source in ((g, "".join(c["source"]))
                                      for g, c in exercise.answers.items())}
    with pytest.raises(NotImplementedError):
        run(path, setup, empty, exercise.test_source)


@pytest.mark.parametrize("prefix", sorted(HARD_CODED))
def test_an_answer_that_memorizes_the_visible_checks_fails_the_hidden_ones(prefix):
    test_id, setup = next((t, s) for p, t, s in CHECKED if p == prefix)
    path, exercise = find_exercise(prefix, test_id)
    visible = exercise.visible_test_source.rsplit("assert not library.called", 1)[0]
    run(path, setup, {"memorized": HARD_CODED[prefix]}, visible)  # passes what the learner sees
    with pytest.raises(AssertionError):  # ... and not the hidden tests
        run(path, setup, {"memorized": HARD_CODED[prefix]}, exercise.test_source)


def test_notebooks_00_to_07_each_have_an_exercise_checked_here():
    checked = {prefix for prefix, _, _ in CHECKED}
    expected = {path.name[:2] for path in COURSE_NOTEBOOKS if path.name[:2] <= "07"}
    assert expected <= checked, f"no exercise of {sorted(expected - checked)} is checked here"
