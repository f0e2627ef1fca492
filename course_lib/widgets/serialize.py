"""The explorer of notebook 10, "Codebook serialization". Imports no torch.

Explained in notebook 10, section "Explore: steps and context".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.serialize import plot_serialization
from course_lib.serialize import PATTERNS


def serialization_explorer(max_frames: int = 24, max_codebooks: int = 8) -> widgets.interactive:
    """The pattern, T, K and one code (frame, level) to ask about: shows
    :func:`course_lib.plots.plot_serialization`, the step of every code and which codes the
    chosen one may condition on, beside every pattern's step count. Children: the pattern
    dropdown, the T, K, frame and level sliders (frame and level clipped to the matrix), the
    masked level-1 passes, the RQ acoustic delay, then the output.

    Explained in notebook 10, section "Explore: steps and context".
    """

    def slider(description, low, high, value):
        return widgets.IntSlider(value=value, min=low, max=high, description=description,
                                 continuous_update=False)

    return widgets.interactive(
        plot_serialization, {"auto_display": True},
        pattern=widgets.Dropdown(options=PATTERNS, value="delay", description="pattern"),
        n_frames=slider("T frames", 1, max_frames, 8),
        n_codebooks=slider("K levels", 1, max_codebooks, 4),
        frame=slider("frame", 0, max_frames - 1, 4),
        level=slider("level - 1", 0, max_codebooks - 1, 2),
        first_passes=slider("passes L1", 1, 16, 4),
        acoustic_delay=slider("RQ delay", 0, 2, 1),
    )
