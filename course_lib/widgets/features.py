"""The explorers of notebook 01, "Classical features": the MFCC settings, and room and noise.
Imports no torch.

Explained in notebook 01, sections "Explore the settings" and
"Content buried under speaker, room and noise".
"""

from __future__ import annotations

import ipywidgets as widgets
from IPython.display import Audio, display

from course_lib import augment
from course_lib.plots.features import plot_mfcc_settings, plot_room_and_noise
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


def room_and_noise_explorer(utterance: Utterance) -> widgets.interactive:
    """Sliders over :func:`course_lib.plots.plot_room_and_noise` for one utterance (notebook 01),
    with a player for the degraded sound.

    Children, in order: SNR (dB), RT60 (s, 0: no room), noise colour; the last child shows the
    player and the figure.

    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """

    def draw(snr_db, rt60, color):
        display(Audio(augment.room_and_noise(utterance.waveform, snr_db=snr_db, rt60=rt60,
                                              color=color, sample_rate=utterance.sample_rate),
                      rate=utterance.sample_rate))
        return plot_room_and_noise(utterance.waveform, utterance.sample_rate, snr_db=snr_db,
                                   rt60=rt60, color=color)

    style = slider_style(420, 120)
    return widgets.interactive(
        draw,
        {"auto_display": True},
        snr_db=widgets.FloatSlider(value=10.0, min=-10.0, max=40.0, step=5.0,
                                   description="SNR (dB)", **style),
        rt60=widgets.FloatSlider(value=0.0, min=0.0, max=1.5, step=0.1,
                                 description="RT60 (s)", **style),
        color=widgets.Dropdown(options=list(augment.NOISE_COLORS), value="pink",
                               description="noise"),
    )
