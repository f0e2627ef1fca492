"""Figures of notebook 03, "CTC": the extended label lattice, and a CTC model's per-frame
label probabilities over an utterance. Imports no torch.

Explained in notebook 03, sections "The 2L+1 lattice" (the lattice), "Peaky posteriors"
(the label probabilities) and "Human speech: what transfers" (log-mel spectrograms of a human
recording and its synthesized twin).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib import ctc, features, validate
from course_lib.plots.features import draw_log_mel
from course_lib.plots.common import (CLASS_COLORS, draw_phones, draw_spectrogram, frame_cells,
                                     name_row)
from course_lib.phones import phone_class
from course_lib.synth import Utterance


def draw_ctc_lattice(
    ax,
    labels: list[str],
    n_frames: int,
    log_alpha: np.ndarray | None = None,
    path_states: np.ndarray | None = None,
    blank_symbol: str = "-",
):
    """The 2L+1 extended label lattice of CTC on ``ax``: blanks between, before and after the
    labels on the vertical axis (top to bottom), frames on the horizontal one. For ``k a`` in
    3 frames (``o`` on a complete path, ``.`` on none)::

               t=0  1  2
        -        o  .  .
        k        o  o  .        grey lines between columns are the allowed moves: stay,
        -        .  o  .        advance one state, or skip the blank between two different
        a        .  o  o        labels (:func:`course_lib.ctc.lattice_skips`)
        -        .  .  o

    Nodes no complete path can visit (:func:`course_lib.ctc.lattice_nodes_on_paths`) are
    hollow. ``log_alpha`` (n_frames, 2L+1) colours the nodes by their forward probability
    instead; ``path_states`` (n_frames,) of lattice state indices draws one path in red.

    Returns:
        The coloured nodes when ``log_alpha`` is given (for a colour bar), else None.
        Explained in notebook 03, section "The 2L+1 lattice".
    """
    label_index = {label: i + 1 for i, label in enumerate(dict.fromkeys(labels))}
    target = [label_index[label] for label in labels]  # the blank is index 0
    states = [blank_symbol]
    for label in labels:
        states += [label, blank_symbol]
    n_states = len(states)
    can_skip = ctc.lattice_skips(target, blank=0)
    for t in range(n_frames - 1):
        for s in range(n_states):
            moves = [s, s + 1] + ([s + 2] if s + 2 < n_states and can_skip[s + 2] else [])
            for following in moves:
                if following < n_states:
                    ax.plot([t, t + 1], [s, following], color="#cccccc", lw=0.8, zorder=1)
    on_a_path = ctc.lattice_nodes_on_paths(n_frames, target, blank=0)
    times, rows = np.meshgrid(np.arange(n_frames), np.arange(n_states), indexing="ij")
    coloured = None
    if log_alpha is not None:
        shown = np.where(np.isfinite(log_alpha), np.exp(log_alpha), np.nan)
        coloured = ax.scatter(times, rows, c=shown, s=120, cmap="viridis", zorder=2,
                              edgecolors="black", linewidths=0.5)
    else:
        ax.scatter(times[on_a_path], rows[on_a_path], s=90, color="#4c72b0", zorder=2)
        ax.scatter(times[~on_a_path], rows[~on_a_path], s=90, facecolors="none",
                   edgecolors="#999999", zorder=2)
    if path_states is not None:
        ax.plot(np.arange(n_frames), path_states, color="#c44e52", lw=2.5, zorder=3)
    ax.set_yticks(range(n_states), states)
    ax.invert_yaxis()
    ax.set_xticks(range(n_frames))
    ax.set_xlabel("frame t")
    ax.set_ylabel("lattice state")
    return coloured


def plot_ctc_lattice(
    labels: list[str],
    n_frames: int,
    log_alpha: np.ndarray | None = None,
    path_states: np.ndarray | None = None,
    blank_symbol: str = "-",
) -> Figure:
    """:func:`draw_ctc_lattice` for ``labels`` over ``n_frames`` frames, with a colour bar
    when ``log_alpha`` (n_frames, 2L+1) is given.
    Explained in notebook 03, section "The 2L+1 lattice"."""
    n_states = 2 * len(labels) + 1
    figure = Figure(figsize=(1.0 + 0.75 * n_frames, 0.9 + 0.45 * n_states), layout="constrained")
    ax = figure.subplots()
    coloured = draw_ctc_lattice(ax, labels, n_frames, log_alpha, path_states, blank_symbol)
    if coloured is not None:
        figure.colorbar(coloured, ax=ax, label="forward probability alpha", shrink=0.8)
    ax.set_title(f"CTC lattice for \u201c{' '.join(labels)}\u201d: {n_states} states x "
                 f"{n_frames} frames", loc="left")
    return figure


def draw_label_probabilities(ax, log_probs: np.ndarray, label_names, times: np.ndarray) -> None:
    """Per-frame label probabilities on ``ax``: the blank (index 0) filled in grey, and each
    label whose probability passes 0.5 somewhere as a line coloured by its phone class, named
    above its spikes. ``log_probs`` (n_frames, n_labels), ``times`` (n_frames,) in seconds.
    Explained in notebook 03, section "Peaky posteriors".
    """
    probs = np.exp(log_probs)
    ax.fill_between(times, probs[:, 0], color="#d9d9d9", step="mid", label="blank")
    best = probs[:, 1:].argmax(axis=1) + 1
    for label in np.unique(best):
        if probs[best == label, label].max() < 0.5:
            continue
        color = CLASS_COLORS[phone_class(label_names[label])]
        ax.plot(times, probs[:, label], color=color, lw=1.2)
    for t in np.flatnonzero((probs[:, 1:].max(axis=1) > 0.5)):
        label = best[t]
        if t == 0 or best[t - 1] != label or probs[t - 1, label] <= 0.5:
            ax.text(times[t], 1.02, label_names[label], ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("P(label | frame)")
    ax.legend(loc="upper right", fontsize=8)


def draw_frame_labels(ax, path: np.ndarray, label_names, cells: np.ndarray,
                      blank: int = ctc.BLANK) -> None:
    """The non-blank frames of ``path`` (n_frames,) of label indices as spans on ``ax``,
    coloured by phone class and named at the start of each run. ``cells`` (n_frames, 2) holds
    each frame's start and end in seconds (see ``course_lib.plots.common.frame_cells``).
    Explained in notebook 03, section "Peaky posteriors".
    """
    path = np.asarray(path)
    for t in np.flatnonzero(path != blank):
        name = label_names[path[t]]
        ax.axvspan(*cells[t], color=CLASS_COLORS[phone_class(name)], lw=0)
        if t == 0 or path[t - 1] != path[t]:
            ax.text(cells[t].mean(), 0.5, name, ha="center", va="center", fontsize=8)
    ax.set_yticks([])


def plot_ctc_posteriors(
    utterance: Utterance,
    log_probs: np.ndarray,
    label_names: tuple[str, ...] | list[str],
    frames_per_second: float = 50,
    aligned_path: np.ndarray | None = None,
    *,
    center: bool = True,
) -> Figure:
    """A CTC model's output over one utterance: spectrogram, per-frame label probabilities
    (blank in grey, each phone's spike labelled), and the true phones beneath.

    ``log_probs`` is (n_frames, n_labels) with the blank at index 0 and ``label_names`` its
    label for each index. ``aligned_path`` (n_frames,) of label indices, e.g. a forced
    alignment, adds a row of its non-blank frames under the true phones. Frame ``i`` is drawn
    at its time from :func:`course_lib.features.frame_times`, centred framing by default (the
    recognizer's: frame i at i / frames_per_second).
    Explained in notebook 03, section "Peaky posteriors".
    """
    n_rows = 4 if aligned_path is not None else 3
    ratios = [2.0, 2.0, 0.6] + ([0.6] if aligned_path is not None else [])
    figure = Figure(figsize=(11, 1.6 * n_rows + 0.8), layout="constrained")
    axes = figure.subplots(n_rows, 1, sharex=True, gridspec_kw=dict(height_ratios=ratios))
    draw_spectrogram(axes[0], utterance.waveform, utterance.sample_rate)
    axes[0].set_ylabel("frequency (Hz)")
    cells = frame_cells(len(log_probs), frames_per_second, sample_rate=utterance.sample_rate,
                        center=center)
    draw_label_probabilities(axes[1], log_probs, label_names, cells.mean(axis=1))
    draw_phones(axes[2], utterance.phones)
    name_row(axes[2], "true")
    if aligned_path is not None:
        draw_frame_labels(axes[3], aligned_path, label_names, cells)
        name_row(axes[3], "CTC")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, utterance.duration)
    figure.suptitle(f"\u201c{utterance.text}\u201d")
    return figure


def plot_human_and_synthesized(human: np.ndarray, synthesized: np.ndarray,
                               sample_rate: int = 16_000, *, human_rows=None,
                               synthesized_rows=None, title: str = "") -> Figure:
    """Log-mel spectrograms of a human recording and its synthesized twin, one above the
    other on one time axis, each followed by its named phone rows::

        human         log-mel (mel band against time)
          "reference"   phones          <- human_rows, in their order
          "aligner"     phones
        synthesized   log-mel
          "eSpeak"      phones          <- synthesized_rows

    ``human`` and ``synthesized`` are waveforms (n_samples,) at ``sample_rate``; each rows
    argument maps a row name to a sequence of :class:`course_lib.synth.Phone` (``None``: no
    rows). Drawn by :func:`course_lib.plots.draw_log_mel` and :func:`course_lib.plots.draw_phones`.

    Explained in notebook 03, section "Human speech: what transfers".
    """
    title = validate.text(title, "title", non_empty=False)
    blocks = [("human", human, dict(human_rows or {})),
              ("synthesized", synthesized, dict(synthesized_rows or {}))]
    heights = [h for _, _, rows in blocks for h in [2.0] + [0.45] * len(rows)]
    figure = Figure(figsize=(11, 1.0 + 1.1 * sum(heights)), layout="constrained")
    axes = list(figure.subplots(len(heights), 1, sharex=True,
                                gridspec_kw=dict(height_ratios=heights)))
    for name, waveform, rows in blocks:
        mel_ax = axes.pop(0)
        draw_log_mel(mel_ax, waveform, sample_rate)
        mel_ax.set_ylabel("mel band")
        mel_ax.set_title(f"{name}: {len(waveform) / sample_rate:.2f} s", loc="left", fontsize=10)
        for row_name, phones in rows.items():
            phone_ax = axes.pop(0)
            draw_phones(phone_ax, phones)
            name_row(phone_ax, row_name)
    figure.axes[-1].set_xlim(0, max(len(human), len(synthesized)) / sample_rate)
    figure.axes[-1].set_xlabel("time (s)")
    if title:
        figure.suptitle(title, x=0.01, ha="left")
    return figure
