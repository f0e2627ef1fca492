"""The explorer of notebook 01, "Classical features". Imports no torch.

Explained in notebook 01, section "Explore the settings".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.features import plot_mfcc_settings
from course_lib.synth import Utterance
from course_lib.widgets.common import slider_style


def mfcc_explorer(utterance: Utterance) -> widgets.interactive:
    """Sliders over :func:`course_lib.plots.plot_mfcc_settings` for one utterance (notebook 01).

    Children, in order: window (ms), hop (ms), mel bands, MFCCs; the last child shows the figure.

    Explained in notebook 01, section "Explore the settings".
    """

    def draw(window_ms, hop_ms, n_mels, n_mfcc):
        return plot_mfcc_settings(utterance.waveform, utterance.sample_rate, window_ms, hop_ms,
                                  n_mels, n_mfcc)

    style = slider_style(420, 120)
    return widgets.interactive(
        draw,
        {"auto_display": True},
        window_ms=widgets.FloatSlider(value=25.0, min=5.0, max=100.0, step=5.0,
                                      description="window (ms)", **style),
        hop_ms=widgets.FloatSlider(value=10.0, min=5.0, max=50.0, step=5.0,
                                   description="hop (ms)", **style),
        n_mels=widgets.IntSlider(value=40, min=8, max=80, description="mel bands", **style),
        n_mfcc=widgets.IntSlider(value=13, min=1, max=40,
                                 description="MFCCs (<= bands)", **style),
    )
