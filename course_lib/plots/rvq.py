"""Figures of notebook 06, "Residual vector quantization": what the codec's decodings sound
like, as spectrograms. Imports no torch.

Explained in notebook 06, section "Explore: spectrograms per level".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib.plots.common import draw_spectrogram, name_row


def plot_level_spectrograms(waveforms: dict[str, np.ndarray], sample_rate: int = 16_000) -> Figure:
    """Log spectrograms (25 ms / 10 ms, :func:`course_lib.plots.draw_spectrogram`) of several
    waveforms stacked on one time axis, one row per name (notebook 06).

    Explained in notebook 06, section "Explore: spectrograms per level".
    """
    figure = Figure(figsize=(11, 1.6 * len(waveforms) + 0.6), layout="constrained")
    axes = figure.subplots(len(waveforms), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, waveform) in zip(axes, waveforms.items()):
        draw_spectrogram(ax, waveform, sample_rate)
        name_row(ax, name)
    axes[-1].set_xlabel("time (s)")
    return figure
