"""The explorer of notebook 06, "Residual vector quantization". Imports no torch.

Explained in notebook 06, section "Explore: spectrograms per level".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.plots.rvq import plot_level_spectrograms


def codec_level_explorer(original: np.ndarray, decoded_by_levels: dict[int, np.ndarray],
                         sample_rate: int = 16_000) -> widgets.interactive:
    """A slider over precomputed codec reconstructions with 1..N levels (notebook 06).

    Shows :func:`course_lib.plots.plot_level_spectrograms` of the original and the decoding
    with the chosen number of levels. Children: the levels slider, then the output.

    Explained in notebook 06, section "Explore: spectrograms per level".
    """

    def draw(n_levels):
        return plot_level_spectrograms(
            {"original": original, f"{n_levels} level{'s' * (n_levels > 1)}":
             decoded_by_levels[n_levels]}, sample_rate)

    return widgets.interactive(
        draw, {"auto_display": True},
        n_levels=widgets.SelectionSlider(options=sorted(decoded_by_levels),
                                         value=sorted(decoded_by_levels)[0],
                                         description="RVQ levels", continuous_update=False),
    )
