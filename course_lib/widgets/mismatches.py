"""The explorer of notebook 00, "The four mismatches". Imports no torch.

Explained in notebook 00, section "Explore the rate mismatch".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.mismatches import plot_token_rows
from course_lib.synth import Utterance
from course_lib.widgets.common import slider_style


def rate_explorer(utterance: Utterance) -> widgets.interactive:
    """Sliders over :func:`course_lib.plots.plot_token_rows` for one utterance (notebook 00).

    Children, in order: duration (s), encoder frame rate, pooling factor, Q-Former queries,
    codec levels, codec frame rate; the last child shows the figure.

    Explained in notebook 00, section "Explore the rate mismatch".
    """
    def draw(duration_s, frames_per_second, pool_factor, n_queries, n_codebooks,
             codec_frames_per_second):
        return plot_token_rows(
            utterance.text, utterance.phones, duration_s,
            frames_per_second=frames_per_second, pool_factor=pool_factor, n_queries=n_queries,
            n_codebooks=n_codebooks, codec_frames_per_second=codec_frames_per_second,
        )

    style = slider_style(480, 150)
    return widgets.interactive(
        draw,
        {"auto_display": True},  # show the returned figure (interactive only stores it otherwise)
        duration_s=widgets.FloatSlider(value=5.0, min=0.5, max=30.0, step=0.5,
                                       description="duration (s)", **style),
        frames_per_second=widgets.SelectionSlider(options=[12.5, 25, 50, 75, 100], value=50,
                                                  description="encoder frames/s", **style),
        pool_factor=widgets.IntSlider(value=5, min=1, max=10, description="pooling factor k",
                                      **style),
        n_queries=widgets.IntSlider(value=32, min=1, max=64, description="Q-Former queries",
                                    **style),
        n_codebooks=widgets.IntSlider(value=4, min=1, max=8, description="codec levels",
                                      **style),
        codec_frames_per_second=widgets.SelectionSlider(options=[12.5, 25, 50, 75], value=25,
                                                        description="codec frames/s", **style),
    )
