"""Figures of notebook 04, "Three alignment mechanisms": one utterance aligned by an HMM, by
CTC spikes and by attention, against its true phones. Imports no torch.

Explained in notebook 04, section "One utterance, three alignments".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib import features
from course_lib.plots.common import draw_phones, frame_cells, hop_length_of, name_row
from course_lib.synth import Utterance


def plot_three_alignments(
    utterance: Utterance,
    hmm_phone_of_frame: np.ndarray,
    ctc_spike_frames: list[int] | np.ndarray,
    attention_weights: np.ndarray,
    hmm_frames_per_second: float = 100,
    ctc_frames_per_second: float = 50,
    *,
    hmm_window_ms: float = features.DEFAULT_WINDOW_MS,
) -> Figure:
    """One utterance aligned three ways, against its true phones (notebook 04).

    Every frame is drawn at its time from :func:`course_lib.features.frame_times`: the HMM's
    frames are the aligner's uncentred ``hmm_window_ms`` windows (frame i at
    ``i / hmm_frames_per_second + hmm_window_ms / 2000`` s, 12.5 ms for the first), the CTC
    and attention frames the recognizer's centred ones (frame i at
    ``i / ctc_frames_per_second``).

    Args:
        hmm_phone_of_frame: (n_hmm_frames,) phone index of every HMM frame (Viterbi).
        ctc_spike_frames: (n_phones,) the frame of each phone's CTC spike (forced alignment).
        attention_weights: (n_phones, n_frames) one row of attention weights per phone, at
            ``ctc_frames_per_second``.

    Explained in notebook 04, section "One utterance, three alignments".
    """
    rate = utterance.sample_rate
    figure = Figure(figsize=(11, 8.5), layout="constrained")
    axes = figure.subplots(4, 1, sharex=True, gridspec_kw=dict(height_ratios=[0.5, 1.6, 1.6, 2.4]))
    draw_phones(axes[0], utterance.phones)
    name_row(axes[0], "true")
    hmm_times = features.frame_times(
        len(hmm_phone_of_frame), hop_length=hop_length_of(hmm_frames_per_second, rate),
        frame_length=features.ms_to_samples(hmm_window_ms, rate), sample_rate=rate)
    axes[1].step(hmm_times, hmm_phone_of_frame, where="mid", color="#4c72b0")
    axes[1].set_ylabel("HMM:\nphone of frame")
    spikes = np.asarray(ctc_spike_frames, dtype=int)
    n_phones, n_frames = attention_weights.shape
    n_ctc_frames = max(n_frames, spikes.max() + 1 if len(spikes) else 0)
    ctc_cells = frame_cells(n_ctc_frames, ctc_frames_per_second, sample_rate=rate, center=True)
    axes[2].plot(ctc_cells[spikes].mean(axis=1), np.arange(len(spikes)), "o", color="#c44e52",
                 ms=4)
    axes[2].set_ylabel("CTC:\nspike of phone")
    axes[3].imshow(attention_weights, aspect="auto", origin="lower", cmap="Greys",
                   extent=[ctc_cells[0, 0], ctc_cells[n_frames - 1, 1], -0.5, n_phones - 0.5])
    axes[3].set_ylabel("attention:\nquery phone")
    centres = [(p.start + p.end) / 2 for p in utterance.phones]
    for ax in axes[1:]:
        ax.plot(centres, np.arange(len(centres)), "x", color="#dd8452", ms=5,
                label="true phone centre")
    axes[1].legend(loc="upper left", fontsize=8)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, utterance.duration)
    figure.suptitle(f"\u201c{utterance.text}\u201d: three alignments against the truth")
    return figure
