"""Figures of notebook 06, "Residual vector quantization": what the codec's decodings sound
like, as spectrograms, and what its bits buy, as rate-distortion curves. Imports no torch.

Explained in notebook 06, sections "Measure, level by level" and "Explore: spectrograms per
level".
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


def plot_rate_distortion(curves: dict[str, tuple], unquantized: dict[str, tuple] | None = None
                         ) -> Figure:
    """Quality against bitrate, one line per codec: STOI (higher is better) on the left,
    log-mel distance in bels (lower is better) on the right, bitrate on a log axis.

    Args:
        curves: name -> ``(bits_per_second, stoi, log_mel_distance)``, three equal-length
            sequences, one point per number of levels.
        unquantized: name -> ``(stoi, log_mel_distance)`` of the same codec decoding its latents
            without quantization, drawn as a dashed line of that codec's colour (the ceiling).

    Explained in notebook 06, section "Measure, level by level".
    """
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    stoi_ax, distance_ax = figure.subplots(1, 2)
    for index, (name, (bits, stoi, distance)) in enumerate(curves.items()):
        color = f"C{index}"
        if not len(bits) == len(stoi) == len(distance):
            raise ValueError(f"curves[{name!r}] must hold three sequences of equal length, got "
                             f"lengths {len(bits)}, {len(stoi)} and {len(distance)}")
        stoi_ax.plot(bits, stoi, "o-", color=color, label=name)
        distance_ax.plot(bits, distance, "o-", color=color, label=name)
        if unquantized and name in unquantized:
            ceiling_stoi, ceiling_distance = unquantized[name]
            stoi_ax.axhline(ceiling_stoi, color=color, ls="--", lw=1,
                            label=f"{name}, unquantized")
            distance_ax.axhline(ceiling_distance, color=color, ls="--", lw=1)
    for ax, what in ((stoi_ax, "STOI (higher is better)"),
                     (distance_ax, "log-mel distance, bels (lower is better)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bitrate (bits per second)")
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    stoi_ax.legend(fontsize=8)
    return figure


def plot_probe_accuracy(accuracy: dict[str, dict[str, list[float]]], chance: dict[str, float]
                        ) -> Figure:
    """What each RVQ level's code tells a probe: one panel per codec, one line per label
    (phone, voice, ...) over levels 1..N, and each label's chance level dashed.

    Args:
        accuracy: codec name -> label name -> probe accuracy at levels 1..N (a list of N).
        chance: label name -> accuracy of always guessing the most common label.

    Explained in notebook 06, section "Is codebook 1 content, 2 prosody, 3 timbre?".
    """
    figure = Figure(figsize=(11, 3.4), layout="constrained")
    axes = figure.subplots(1, len(accuracy), sharey=True, squeeze=False)[0]
    for ax, (codec_name, by_label) in zip(axes, accuracy.items()):
        for index, (label, values) in enumerate(by_label.items()):
            levels = np.arange(1, len(values) + 1)
            ax.plot(levels, values, "o-", color=f"C{index}", label=label)
            if label in chance:
                ax.axhline(chance[label], color=f"C{index}", ls="--", lw=1)
        ax.set_title(codec_name)
        ax.set_xlabel("RVQ level")
        ax.set_xticks(levels)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("probe accuracy (dashed: chance)")
    axes[0].legend(fontsize=8)
    return figure
