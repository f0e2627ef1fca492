"""The explorer of notebook 07, "Discrete vs continuous". Imports ``course_lib.quantize``
(through its figure), hence torch.

Explained in notebook 07, section "Explore: codebook size".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.plots.continuous import plot_snap_vs_project


def snap_explorer(points: np.ndarray, codebooks_by_size: dict[int, np.ndarray],
                  projection: np.ndarray) -> widgets.interactive:
    """A slider over codebook sizes for :func:`course_lib.plots.plot_snap_vs_project`
    (notebook 07). Children: the codebook-size slider, then the output.

    Explained in notebook 07, section "Explore: codebook size".
    """

    def draw(codebook_size):
        return plot_snap_vs_project(points, codebooks_by_size[codebook_size], projection)

    return widgets.interactive(
        draw, {"auto_display": True},
        codebook_size=widgets.SelectionSlider(options=sorted(codebooks_by_size),
                                              value=sorted(codebooks_by_size)[0],
                                              description="codewords", continuous_update=False),
    )
