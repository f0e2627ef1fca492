"""The explorer of notebook 05, "Discrete tokens". Imports ``course_lib.quantize``, hence
torch.

Explained in notebook 05, section "Explore: units against phones".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.plots.tokens import plot_unit_rows
from course_lib.quantize import deduplicate


def unit_explorer(phones, units_by_k: dict[int, np.ndarray], frames_per_second: float,
                  **framing) -> widgets.interactive:
    """A slider over precomputed k-means units of one utterance (notebook 05).

    ``units_by_k`` maps k to the ``(n_frames,)`` units; the figure is
    :func:`course_lib.plots.plot_unit_rows` (``framing`` goes to it: ``frame_length``,
    ``center``, ``sample_rate``) with the units before and after run-length de-duplication
    counted in the title. Children: the k slider, then the output.

    Explained in notebook 05, section "Explore: units against phones".
    """

    def draw(k):
        units = units_by_k[k]
        title = (f"k = {k}: {len(units)} frames -> {len(deduplicate(units))} units after "
                 "removing repeats")
        return plot_unit_rows(phones, {f"units (k={k})": units}, frames_per_second, title,
                              **framing)

    return widgets.interactive(
        draw, {"auto_display": True},
        k=widgets.SelectionSlider(options=sorted(units_by_k), value=sorted(units_by_k)[0],
                                  description="units k", continuous_update=False),
    )
