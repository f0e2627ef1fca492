"""Drawing pieces shared by the figures of several notebooks.

Each ``draw_*`` function draws on the matplotlib ``Axes`` it is given and returns nothing (or
the artist a colour bar needs), in the style of Müller's libfmp; the ``plot_*`` functions of
the other modules build whole figures from them.

First used in notebook 00, section "One sentence, with its ground truth".
"""

from __future__ import annotations

import numpy as np

from course_lib import features, validate
from course_lib.phones import SILENCE, phone_class
from course_lib.synth import Phone

CLASS_COLORS = {"consonant": "#4c72b0", "vowel": "#dd8452", "silence": "#d9d9d9"}
UNALIGNED_COLOR = "#8c6bb1"


def draw_waveform(ax, waveform: np.ndarray, sample_rate: int) -> None:
    """The samples ``waveform`` (n_samples,) against time in seconds, on ``ax``.

    The top row of :func:`course_lib.plots.plot_utterance`, notebook 00.

    First used in notebook 00, section "One sentence, with its ground truth".
    """
    waveform = np.asarray(waveform)
    ax.plot(np.arange(len(waveform)) / sample_rate, waveform, lw=0.5, color="#333333")
    ax.set_ylabel("amplitude")


def draw_spectrogram(ax, waveform: np.ndarray, sample_rate: int = features.SAMPLE_RATE,
                     *, window_ms: float = features.DEFAULT_WINDOW_MS,
                     hop_ms: float = features.DEFAULT_HOP_MS, top_db: float = 80.0,
                     max_hz: float = 8000.0) -> None:
    """The power spectrogram of ``waveform`` (n_samples,) in dB on ``ax``: the top ``top_db``
    dB, up to ``max_hz`` (or the Nyquist frequency, if lower).

    Computed by :mod:`course_lib.features` (25 ms Hann windows every 10 ms by default, the
    framing notebook 01 builds by hand); each column is drawn at its frame's centre,
    :func:`course_lib.features.frame_times`. First drawn in notebook 00; again in 02, 03 and 06.

    First used in notebook 00, section "One sentence, with its ground truth".
    """
    frame_length = features.ms_to_samples(window_ms, sample_rate)
    hop_length = features.ms_to_samples(hop_ms, sample_rate)
    frames = features.frame_signal(waveform, frame_length, hop_length)
    power_db = features.power_to_db(features.power_spectrum(frames), top_db=top_db)
    times = features.frame_times(len(frames), hop_length=hop_length, frame_length=frame_length,
                                 sample_rate=sample_rate)
    frequencies = np.arange(power_db.shape[1]) * sample_rate / frame_length
    ax.pcolormesh(times, frequencies, power_db.T, shading="nearest", cmap="magma",
                  vmin=power_db.max() - top_db, vmax=power_db.max(), rasterized=True)
    ax.set_ylim(0, min(max_hz, sample_rate / 2))


def draw_phones(ax, phones: tuple[Phone, ...] | list[Phone]) -> None:
    """Phones as spans coloured by class (consonant, vowel, silence) with their labels, on an
    axis with no y scale. The phone rows of notebooks 00 to 06 (first in notebook 00).

    First used in notebook 00, section "One sentence, with its ground truth".
    """
    for phone in phones:
        ax.axvspan(phone.start, phone.end, color=CLASS_COLORS[phone_class(phone.label)],
                   alpha=0.85, lw=0)
        ax.axvline(phone.start, color="white", lw=1)
        if phone.label != SILENCE:
            color = "white" if phone_class(phone.label) == "consonant" else "black"
            ax.text((phone.start + phone.end) / 2, 0.5, phone.label, ha="center", va="center",
                    fontsize=11, color=color)
    ax.set_yticks([])


def name_row(ax, name: str) -> None:
    """Write ``name`` horizontally left of a row of a stacked figure (from notebook 00 on).

    First used in notebook 00, section "One sentence, with its ground truth".
    """
    ax.set_ylabel(name, rotation=0, ha="right", va="center")


def hop_length_of(frames_per_second: float, sample_rate: int) -> int:
    """Samples between frames at ``frames_per_second``: 160 for 100 frames/s at 16 kHz.

    Refuses a rate that does not divide the sample rate into whole samples. The frame rates
    of the figures from notebook 03 on pass through it on their way to :func:`features.frame_times`.

    First used in notebook 03, section "Peaky posteriors".
    """
    frames_per_second = validate.real(frames_per_second, "frames_per_second", above=0)
    hop = sample_rate / frames_per_second
    if abs(hop - round(hop)) > 1e-9:
        raise ValueError(f"frames_per_second must divide sample_rate={sample_rate} into whole "
                         f"samples, got {frames_per_second!r}")
    return int(round(hop))


def frame_cells(n_frames: int, frames_per_second: float, *, sample_rate: int,
                frame_length: int | None = None, center: bool = False) -> np.ndarray:
    """(n_frames, 2) start and end in seconds of the cell that draws each frame: one hop wide,
    centred on the frame's centre from :func:`course_lib.features.frame_times`.

    ``frame_length`` is the analysis window in samples (default: one hop, blocks side by
    side, like the codec's frames); ``center`` as in ``frame_times`` (True for the
    recognizer's centred STFT). Rows of frames from notebook 03 on.

    First used in notebook 03, section "Peaky posteriors".
    """
    hop_length = hop_length_of(frames_per_second, sample_rate)
    centres = features.frame_times(n_frames, hop_length=hop_length,
                                   frame_length=frame_length or hop_length,
                                   sample_rate=sample_rate, center=center)
    half = hop_length / sample_rate / 2
    return np.column_stack([centres - half, centres + half])
