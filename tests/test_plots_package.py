"""The layout of course_lib.plots and course_lib.widgets: one module per notebook topic, every
public name re-exported by the package, loaded lazily so notebook 00 never imports torch, and
every public function's docstring naming its notebook."""

import importlib
import inspect
import re
import subprocess
import sys

import pytest

import course_lib.plots
import course_lib.widgets

PACKAGES = [course_lib.plots, course_lib.widgets]


def test_importing_what_notebook_00_imports_loads_no_torch():
    # the imports of notebook 00's first code cell, plus the two packages whole
    code = (
        "import sys\n"
        "import course_lib.plots, course_lib.widgets\n"
        "from course_lib import rates\n"
        "from course_lib.data import build_corpus, load_audio\n"
        "from course_lib.plots import plot_alignments, plot_token_rows, plot_utterance\n"
        "from course_lib.synth import SILENCE, synthesize\n"
        "from course_lib.widgets import rate_explorer\n"
        "loaded = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "assert not loaded, loaded[:5]\n"
        "from course_lib.plots import plot_snap_vs_project\n"  # the check can see torch
        "assert 'torch' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_public_name_comes_from_its_topic_module(package):
    for name in package.__all__:
        value = getattr(package, name)
        module = importlib.import_module(f"{package.__name__}.{package._MODULE_OF[name]}")
        assert getattr(module, name) is value, name
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'plot_everything'"):
        getattr(package, "plot_everything")


def public_functions():
    for package in PACKAGES:
        for name in sorted(set(package._MODULE_OF.values())):
            module = importlib.import_module(f"{package.__name__}.{name}")
            for attribute, value in vars(module).items():
                if (inspect.isfunction(value) and not attribute.startswith("_")
                        and value.__module__ == module.__name__):
                    yield pytest.param(value, id=f"{module.__name__}.{attribute}")


@pytest.mark.parametrize("function", list(public_functions()))
def test_public_docstrings_name_their_notebook(function):
    assert re.search(r"notebook \d\d", function.__doc__ or ""), function.__qualname__


def test_every_public_drawing_helper_takes_the_axes_first():
    drawers = [value for value in (getattr(course_lib.plots, name)
                                   for name in course_lib.plots.__all__)
               if inspect.isfunction(value) and value.__name__.startswith("draw_")]
    assert len(drawers) >= 10
    for draw in drawers:
        assert next(iter(inspect.signature(draw).parameters)) == "ax", draw.__name__


def test_no_figure_module_computes_its_own_spectrogram():
    for name in sorted(set(course_lib.plots._MODULE_OF.values())):
        source = inspect.getsource(importlib.import_module(f"course_lib.plots.{name}"))
        assert not re.search(r"\bstft\b|scipy\.signal|np\.fft|rfft", source), name
