"""The explorer of notebook 11, "The map of real systems": move the duration and read every
system's tokens into the LM and sequential output steps against the text tokens.

Explained in notebook 11, section "Explore: the budget at any duration".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib import systems, validate
from course_lib.plots.systems import plot_budgets

DURATION_GRID = np.geomspace(0.5, 600.0, 60)  # half a second to ten minutes


def budget_view(duration_s: float):
    """The explorer's pure function: :func:`course_lib.plots.systems.plot_budgets` over
    :data:`DURATION_GRID`, marked at ``duration_s`` seconds. Returns the figure.
    Explained in notebook 11, section "Explore: the budget at any duration"."""
    duration_s = validate.real(duration_s, "duration_s", above=0)
    return plot_budgets(systems.budget_curves(DURATION_GRID), duration_s,
                        systems.budgets(duration_s))


def budget_explorer() -> widgets.interactive:
    """A duration slider (seconds, log scale) over :func:`budget_view`. Children: the slider,
    then the output. Explained in notebook 11, section "Explore: the budget at any duration"."""
    return widgets.interactive(
        budget_view, {"auto_display": True},
        duration_s=widgets.FloatLogSlider(value=10, base=10, min=-0.3, max=2.7, step=0.05,
                                          description="seconds", continuous_update=False))
