"""Figures of notebook 02, "HMM alignment": the trellis, a forced alignment over its
spectrogram, and what the self-loop does to durations and decoding. Imports no torch.

Explained in notebook 02, sections "The trellis", "Scored against the truth" (the forced
alignment) and "Explore the self-loop".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib import hmm
from course_lib.plots.common import draw_phones, draw_spectrogram, name_row
from course_lib.synth import Phone, Utterance


def draw_trellis(ax, posteriors: np.ndarray, path: np.ndarray, state_names: list[str]):
    """A trellis on ``ax``: one column per frame, one row per state, shaded by the state
    posterior, with the allowed left-to-right moves drawn faintly and the Viterbi path in bold.

    Args:
        posteriors: (n_frames, n_states), e.g. from :func:`course_lib.hmm.state_posteriors`.
        path: (n_frames,) state per frame, e.g. from :func:`course_lib.hmm.viterbi`.
        state_names: a label per state.

    Returns:
        The posterior dots, for a colour bar. Explained in notebook 02, section "The trellis".
    """
    n_frames, n_states = posteriors.shape
    for t in range(n_frames - 1):
        for s in range(n_states):
            for target in (s, s + 1):
                if target < n_states:
                    ax.plot([t, t + 1], [s, target], color="#cccccc", lw=0.6, zorder=1)
    frames, states = np.meshgrid(np.arange(n_frames), np.arange(n_states), indexing="ij")
    dots = ax.scatter(frames.ravel(), states.ravel(), c=posteriors.ravel(), cmap="Greys",
                      vmin=0, vmax=1, s=60, edgecolors="#888888", linewidths=0.5, zorder=2)
    ax.plot(np.arange(n_frames), path, color="#dd8452", lw=2.5, marker="o", ms=5, zorder=3,
            label="Viterbi path")
    ax.set_yticks(range(n_states), state_names)
    ax.set_xlabel("frame")
    ax.set_xlim(-0.5, n_frames - 0.5)
    ax.legend(loc="upper left", frameon=False)
    return dots


def plot_trellis(posteriors: np.ndarray, path: np.ndarray, state_names: list[str],
                 title: str = "") -> Figure:
    """:func:`draw_trellis` with a colour bar for the posteriors: (n_frames, n_states)
    posteriors, (n_frames,) path, one name per state.
    Explained in notebook 02, section "The trellis"."""
    n_frames, n_states = posteriors.shape
    figure = Figure(figsize=(min(14, 2 + 0.35 * n_frames), 1.2 + 0.32 * n_states),
                    layout="constrained")
    ax = figure.subplots()
    dots = draw_trellis(ax, posteriors, path, state_names)
    figure.colorbar(dots, ax=ax, label="P(state | all frames)", pad=0.01)
    ax.set_title(title, loc="left")
    return figure


def plot_forced_alignment(utterance: Utterance, aligned: list[Phone],
                          name: str = "HMM") -> Figure:
    """Spectrogram of an utterance with the synthesizer's phones and an aligner's below it.

    Boundaries the aligner placed more than 20 ms from the truth are marked in red.
    Explained in notebook 02, section "Scored against the truth".
    """
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    spec_ax, true_ax, aligned_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2.4, 0.7, 0.7]))
    draw_spectrogram(spec_ax, utterance.waveform, utterance.sample_rate)
    spec_ax.set_ylabel("frequency (Hz)")
    for boundary, truth in zip(aligned[1:], utterance.phones[1:]):
        far = abs(boundary.start - truth.start) > 0.020
        spec_ax.axvline(boundary.start, color="#e0301e" if far else "white", lw=1,
                        ls="-" if far else "--")
    draw_phones(true_ax, utterance.phones)
    name_row(true_ax, "synthesizer")
    draw_phones(aligned_ax, aligned)
    name_row(aligned_ax, name)
    aligned_ax.set_xlabel("time (s)")
    aligned_ax.set_xlim(0, utterance.duration)
    figure.suptitle(f"\u201c{utterance.text}\u201d: dashed white = {name} boundary within 20 ms "
                    f"of the truth, red = further")
    return figure


def draw_duration_fit(ax, self_loop: float, real_phone_frames: np.ndarray,
                      max_frames: int = 40, n_states: int = 3) -> None:
    """On ``ax``: the histogram of ``real_phone_frames`` (measured phone durations in frames)
    against the durations an ``n_states``-state phone with this self-loop in every state
    implies, :func:`course_lib.hmm.chain_duration_distribution`.
    Explained in notebook 02, section "Explore the self-loop".
    """
    implied = hmm.chain_duration_distribution([self_loop] * n_states, max_frames)
    frames = np.arange(1, max_frames + 1)
    ax.hist(real_phone_frames, bins=np.arange(0.5, max_frames + 1.5), density=True,
            color="#4c72b0", alpha=0.6, label="real phones (corpus)")
    ax.plot(frames[n_states - 1:], implied[n_states - 1:], color="#dd8452", lw=2, marker=".",
            label=f"{n_states}-state HMM, self-loop {self_loop:.2f}")
    ax.set_xlabel("phone duration (frames of 10 ms)")
    ax.set_ylabel("probability")
    ax.legend(frameon=False)


def plot_self_loop_effect(self_loop: float, real_phone_frames: np.ndarray, utterance: Utterance,
                          decoded: list[Phone]) -> Figure:
    """Left: the phone durations a 3-state HMM with this self-loop implies, against real ones
    (:func:`draw_duration_fit`). Right: the synthesizer's phones above those a phone-loop
    decoder found with that self-loop. The figure of notebook 02's explorer.

    Args:
        self_loop: self-loop probability of every state.
        real_phone_frames: measured phone durations in frames (10 ms).
        utterance: the decoded utterance; decoded: the phones the decoder found.

    Explained in notebook 02, section "Explore the self-loop".
    """
    figure = Figure(figsize=(12, 3.6), layout="constrained")
    duration_ax, spans = figure.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.6]))
    draw_duration_fit(duration_ax, self_loop, real_phone_frames)
    spans.remove()
    true_ax, decoded_ax = spans.get_subplotspec().subgridspec(2, 1).subplots(sharex=True)
    draw_phones(true_ax, utterance.phones)
    name_row(true_ax, "truth")
    draw_phones(decoded_ax, decoded)
    name_row(decoded_ax, "decoded")
    decoded_ax.set_xlim(0, utterance.duration)
    decoded_ax.set_xlabel("time (s)")
    true_ax.set_title(f"phone loop, no transcript: {len(decoded)} phones decoded, "
                      f"{len(utterance.phones)} spoken", loc="left")
    return figure
