"""Figures shared by the notebooks. Each function returns a matplotlib ``Figure``.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so a slider that redraws
one a hundred times leaks nothing and shows each exactly once.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from scipy.signal import stft

from course_lib.features import dct_matrix, log_mel_spectrogram
from course_lib.hmm import duration_distribution
from course_lib.quantize import nearest_code
from course_lib.rates import token_rows
from course_lib.synth import SILENCE, Phone, Utterance, phone_class

CLASS_COLORS = {"consonant": "#4c72b0", "vowel": "#dd8452", "silence": "#d9d9d9"}
UNALIGNED_COLOR = "#8c6bb1"


def plot_utterance(utterance: Utterance, title: str | None = None) -> Figure:
    """Waveform, spectrogram and phone alignment of one utterance on a shared time axis.

    The spectrogram uses 25 ms Hann windows every 10 ms (notebook 01 builds the same framing
    by hand) and shows power in dB up to 8 kHz.
    """
    figure = Figure(figsize=(11, 5.2), layout="constrained")
    wave_ax, spec_ax, phone_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[1.2, 2.2, 0.7])
    )
    rate = utterance.sample_rate
    times = np.arange(len(utterance.waveform)) / rate
    wave_ax.plot(times, utterance.waveform, lw=0.5, color="#333333")
    wave_ax.set_ylabel("amplitude")

    _draw_spectrogram(spec_ax, utterance.waveform, rate)
    spec_ax.set_ylabel("frequency (Hz)")

    _draw_phones(phone_ax, utterance.phones)
    phone_ax.set_ylabel("phones", rotation=0, ha="right", va="center")
    phone_ax.set_xlabel("time (s)")
    phone_ax.set_xlim(0, utterance.duration)
    figure.suptitle(title or f"\u201c{utterance.text}\u201d ({utterance.duration:.2f} s)")
    return figure


def plot_alignments(utterances: list[Utterance], names: list[str]) -> Figure:
    """Phone alignments of several utterances stacked on one time axis, one row each.

    Made for the same sentence at different speaking rates: the phones stay, their durations
    change.
    """
    if len(utterances) != len(names):
        raise ValueError(f"names must name each utterance: got {len(names)} names "
                         f"for {len(utterances)} utterances")
    figure = Figure(figsize=(11, 0.8 * len(utterances) + 0.8), layout="constrained")
    axes = figure.subplots(len(utterances), 1, sharex=True, squeeze=False)[:, 0]
    for ax, utterance, name in zip(axes, utterances, names):
        _draw_phones(ax, utterance.phones)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, max(u.duration for u in utterances))
    return figure


def _draw_spectrogram(ax, waveform: np.ndarray, sample_rate: int) -> None:
    """Draw the power spectrogram in dB on ``ax``: 25 ms windows every 10 ms, the top 80 dB,
    up to 8 kHz (or the Nyquist frequency, if lower)."""
    window = int(0.025 * sample_rate)
    frequencies, times, spectrum = stft(waveform, fs=sample_rate, nperseg=window,
                                        noverlap=window - int(0.010 * sample_rate))
    power_db = 10 * np.log10(np.abs(spectrum) ** 2 + 1e-10)
    ax.pcolormesh(times, frequencies, power_db, shading="auto", cmap="magma",
                  vmin=power_db.max() - 80, vmax=power_db.max(), rasterized=True)
    ax.set_ylim(0, min(8000, sample_rate / 2))


def _draw_phones(ax, phones: tuple[Phone, ...] | list[Phone]) -> None:
    """Phones as coloured spans with their labels, on an axis with no y scale."""
    for phone in phones:
        ax.axvspan(phone.start, phone.end, color=CLASS_COLORS[phone_class(phone.label)],
                   alpha=0.85, lw=0)
        ax.axvline(phone.start, color="white", lw=1)
        if phone.label != SILENCE:
            color = "white" if phone_class(phone.label) == "consonant" else "black"
            ax.text((phone.start + phone.end) / 2, 0.5, phone.label, ha="center", va="center",
                    fontsize=11, color=color)
    ax.set_yticks([])


def plot_token_rows(
    text: str,
    phones: tuple[Phone, ...] | list[Phone],
    duration_s: float,
    **strategy,
) -> Figure:
    """The rate mismatch as rows of cells: one utterance, six ways of handing it to an LLM.

    Each row is one strategy of :func:`course_lib.rates.token_rows` (``strategy`` takes its
    keyword arguments). Time-aligned cells are coloured by the phone under their centre
    (consonant, vowel, silence); text tokens and Q-Former queries are not tied to time and are
    drawn evenly spaced in purple.
    """
    rows = token_rows(text, phones, duration_s, **strategy)
    scale = duration_s / phones[-1].end
    phone_ends = np.array([p.end * scale for p in phones])
    classes = [phone_class(p.label) for p in phones]
    n_text = rows[0].n_tokens

    lane_height = 0.8
    heights = [row.n_lanes for row in rows]
    figure = Figure(figsize=(11, 0.55 * sum(heights) + 1.4), layout="constrained")
    ax = figure.subplots()
    y = 0.0
    for row, height in zip(reversed(rows), reversed(heights)):
        if row.cells is None:  # not tied to time: spread the tokens evenly
            width = duration_s / row.n_tokens
            spans = [(i * width, width) for i in range(row.n_tokens)]
            colors, label_color = UNALIGNED_COLOR, "white"
        else:
            centres = row.cells.mean(axis=1)
            phone_index = np.minimum(np.searchsorted(phone_ends, centres), len(phones) - 1)
            colors, label_color = [CLASS_COLORS[classes[i]] for i in phone_index], "black"
            spans = [(start, end - start) for start, end in row.cells]
        edge = 0.5 if len(spans) < 400 else 0.0
        for lane in range(row.n_lanes):
            ax.broken_barh(spans, (y + lane + 0.1, lane_height), facecolors=colors,
                           edgecolors="white", linewidth=edge)
        if row.labels and len(spans) <= 60:
            for (start, width), label in zip(spans, row.labels):
                if label != SILENCE:
                    ax.text(start + width / 2, y + 0.5, label, ha="center", va="center",
                            color=label_color, fontsize=9)
        ratio = f" = {row.n_tokens / n_text:.1f}x text" if row is not rows[0] else ""
        ax.text(-0.01 * duration_s, y + height / 2, f"{row.name}\n{row.n_tokens} tokens{ratio}",
                ha="right", va="center", fontsize=9)
        y += height + 0.4
    ax.set_xlim(0, duration_s)
    ax.set_ylim(-0.2, y)
    ax.set_yticks([])
    ax.set_xlabel("time (s)  -  purple rows are not tied to time: their cells are evenly spaced")
    for name, color in CLASS_COLORS.items():
        ax.bar(0, 0, color=color, label=name)
    ax.legend(loc="upper right", bbox_to_anchor=(1, 1.12), ncol=3, frameon=False, fontsize=9)
    ax.set_title(f"\u201c{text}\u201d stretched to {duration_s:g} s", loc="left")
    return figure


# --- notebook 01: classical features ---

def plot_mfcc_settings(waveform: np.ndarray, sample_rate: int = 16_000, window_ms: float = 25.0,
                       hop_ms: float = 10.0, n_mels: int = 40, n_mfcc: int = 13) -> Figure:
    """What the MFCC settings do to one utterance: log mel spectrogram, MFCCs, and the log mel
    spectrogram rebuilt from the MFCCs alone (the smooth envelope the kept coefficients describe).
    """

    n_mfcc = min(n_mfcc, n_mels)
    log_mel = log_mel_spectrogram(waveform, sample_rate, n_mels, window_ms, hop_ms)
    basis = dct_matrix(n_mfcc, n_mels)
    coefficients = log_mel @ basis.T
    rebuilt = coefficients @ basis
    seconds = len(log_mel) * hop_ms / 1000
    figure = Figure(figsize=(11, 7), layout="constrained")
    axes = figure.subplots(3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2, 1.4, 2]))
    extent = (0, seconds, 0, n_mels)
    shown = dict(aspect="auto", origin="lower", cmap="magma", vmin=log_mel.max() - 80,
                 vmax=log_mel.max(), interpolation="nearest")
    axes[0].imshow(log_mel.T, extent=extent, **shown)
    axes[0].set_ylabel("mel band")
    axes[0].set_title(f"log mel spectrogram: {len(log_mel)} frames x {n_mels} bands "
                      f"({1000 / hop_ms:.0f} frames/s, {window_ms:g} ms windows)", loc="left")
    limit = np.abs(coefficients[:, 1:]).max() if n_mfcc > 1 else 1.0
    axes[1].imshow(coefficients.T, extent=(0, seconds, 0, n_mfcc), aspect="auto", origin="lower",
                   cmap="coolwarm", vmin=-limit, vmax=limit, interpolation="nearest")
    axes[1].set_ylabel("coefficient")
    axes[1].set_title(f"{n_mfcc} MFCCs per frame (colour scale set by coefficients 1+)",
                      loc="left")
    axes[2].imshow(rebuilt.T, extent=extent, **shown)
    axes[2].set_ylabel("mel band")
    axes[2].set_xlabel("time (s)")
    error = np.sqrt(np.mean((rebuilt - log_mel) ** 2))
    axes[2].set_title(f"rebuilt from the {n_mfcc} MFCCs: rms error {error:.1f} dB", loc="left")
    return figure


# --- notebook 02: HMM alignment ---

def plot_trellis(posteriors: np.ndarray, path: np.ndarray, state_names: list[str],
                 title: str = "") -> Figure:
    """A trellis: one column per frame, one row per state, shaded by the state posterior, with
    the allowed left-to-right moves drawn faintly and the Viterbi path in bold.

    Args:
        posteriors: (n_frames, n_states), e.g. from :func:`course_lib.hmm.state_posteriors`.
        path: (n_frames,) state per frame, e.g. from :func:`course_lib.hmm.viterbi`.
        state_names: a label per state.
    """
    n_frames, n_states = posteriors.shape
    figure = Figure(figsize=(min(14, 2 + 0.35 * n_frames), 1.2 + 0.32 * n_states),
                    layout="constrained")
    ax = figure.subplots()
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
    figure.colorbar(dots, ax=ax, label="P(state | all frames)", pad=0.01)
    ax.set_title(title, loc="left")
    return figure


def plot_forced_alignment(utterance: Utterance, aligned: list[Phone],
                          name: str = "HMM") -> Figure:
    """Spectrogram of an utterance with the synthesizer's phones and an aligner's below it.

    Boundaries the aligner placed more than 20 ms from the truth are marked in red.
    """
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    spec_ax, true_ax, aligned_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2.4, 0.7, 0.7]))
    _draw_spectrogram(spec_ax, utterance.waveform, utterance.sample_rate)
    spec_ax.set_ylabel("frequency (Hz)")
    for boundary, truth in zip(aligned[1:], utterance.phones[1:]):
        far = abs(boundary.start - truth.start) > 0.020
        spec_ax.axvline(boundary.start, color="#e0301e" if far else "white", lw=1,
                        ls="-" if far else "--")
    _draw_phones(true_ax, utterance.phones)
    true_ax.set_ylabel("synthesizer", rotation=0, ha="right", va="center")
    _draw_phones(aligned_ax, aligned)
    aligned_ax.set_ylabel(name, rotation=0, ha="right", va="center")
    aligned_ax.set_xlabel("time (s)")
    aligned_ax.set_xlim(0, utterance.duration)
    figure.suptitle(f"\u201c{utterance.text}\u201d: dashed white = {name} boundary within 20 ms "
                    f"of the truth, red = further")
    return figure


def plot_self_loop_effect(self_loop: float, real_phone_frames: np.ndarray, utterance: Utterance,
                          decoded: list[Phone]) -> Figure:
    """Left: the phone durations a 3-state HMM with this self-loop implies, against real ones.
    Right: the synthesizer's phones above those a phone-loop decoder found with that self-loop.

    Args:
        self_loop: self-loop probability of every state.
        real_phone_frames: measured phone durations in frames (10 ms).
        utterance: the decoded utterance; decoded: the phones the decoder found.
    """

    max_frames = 40
    state = duration_distribution(self_loop, max_frames)
    phone = np.convolve(np.convolve(state, state), state)[:max_frames - 2]  # 3 states: d >= 3
    frames = np.arange(3, max_frames + 1)
    figure = Figure(figsize=(12, 3.6), layout="constrained")
    duration_ax, spans = figure.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.6]))
    duration_ax.hist(real_phone_frames, bins=np.arange(0.5, max_frames + 1.5), density=True,
                     color="#4c72b0", alpha=0.6, label="real phones (corpus)")
    duration_ax.plot(frames, phone, color="#dd8452", lw=2, marker=".",
                     label=f"3-state HMM, self-loop {self_loop:.2f}")
    duration_ax.set_xlabel("phone duration (frames of 10 ms)")
    duration_ax.set_ylabel("probability")
    duration_ax.legend(frameon=False)
    spans.remove()
    true_ax, decoded_ax = spans.get_subplotspec().subgridspec(2, 1).subplots(sharex=True)
    _draw_phones(true_ax, utterance.phones)
    true_ax.set_ylabel("truth", rotation=0, ha="right", va="center")
    _draw_phones(decoded_ax, decoded)
    decoded_ax.set_ylabel("decoded", rotation=0, ha="right", va="center")
    decoded_ax.set_xlim(0, utterance.duration)
    decoded_ax.set_xlabel("time (s)")
    true_ax.set_title(f"phone loop, no transcript: {len(decoded)} phones decoded, "
                      f"{len(utterance.phones)} spoken", loc="left")
    return figure


# --- notebook 03: CTC ---

def plot_ctc_lattice(
    labels: list[str],
    n_frames: int,
    log_alpha: np.ndarray | None = None,
    path_states: np.ndarray | None = None,
    blank_symbol: str = "-",
) -> Figure:
    """The 2L+1 extended label lattice of CTC: blanks between, before and after the labels on
    the vertical axis, frames on the horizontal one.

    Grey arrows are the allowed moves (stay, advance one state, or skip a blank between two
    different labels); nodes no complete path can visit are hollow. ``log_alpha`` (n_frames,
    2L+1) colours the nodes by their forward probability; ``path_states`` (n_frames,) of
    lattice state indices draws one path in red.
    """
    states = [blank_symbol]
    for label in labels:
        states += [label, blank_symbol]
    n_states = len(states)
    figure = Figure(figsize=(1.0 + 0.75 * n_frames, 0.9 + 0.45 * n_states), layout="constrained")
    ax = figure.subplots()
    def moves(s):  # stay, advance one state, or skip a blank between two different labels
        skip = s + 2 < n_states and states[s + 2] != blank_symbol and states[s + 2] != states[s]
        return [m for m in (s, s + 1, s + 2 if skip else n_states) if m < n_states]

    for t in range(n_frames - 1):
        for s in range(n_states):
            for target in moves(s):
                ax.plot([t, t + 1], [s, target], color="#cccccc", lw=0.8, zorder=1)
    # nodes on at least one complete path: reachable from a start state and able to finish
    from_start = np.zeros((n_frames, n_states), dtype=bool)
    from_start[0, :2] = True
    to_end = np.zeros((n_frames, n_states), dtype=bool)
    to_end[-1, -2:] = True
    for t in range(1, n_frames):
        for s in np.flatnonzero(from_start[t - 1]):
            from_start[t, moves(s)] = True
    for t in range(n_frames - 2, -1, -1):
        for s in range(n_states):
            to_end[t, s] = to_end[t + 1, moves(s)].any()
    reachable = from_start & to_end
    times, rows = np.meshgrid(np.arange(n_frames), np.arange(n_states), indexing="ij")
    if log_alpha is not None:
        shown = np.where(np.isfinite(log_alpha), np.exp(log_alpha), np.nan)
        scatter = ax.scatter(times, rows, c=shown, s=120, cmap="viridis", zorder=2,
                             edgecolors="black", linewidths=0.5)
        figure.colorbar(scatter, ax=ax, label="forward probability alpha", shrink=0.8)
    else:
        ax.scatter(times[reachable], rows[reachable], s=90, color="#4c72b0", zorder=2)
        ax.scatter(times[~reachable], rows[~reachable], s=90, facecolors="none",
                   edgecolors="#999999", zorder=2)
    if path_states is not None:
        ax.plot(np.arange(n_frames), path_states, color="#c44e52", lw=2.5, zorder=3)
    ax.set_yticks(range(n_states), states)
    ax.invert_yaxis()
    ax.set_xticks(range(n_frames))
    ax.set_xlabel("frame t")
    ax.set_ylabel("lattice state")
    ax.set_title(f"CTC lattice for \u201c{' '.join(labels)}\u201d: {n_states} states x "
                 f"{n_frames} frames", loc="left")
    return figure


def plot_ctc_posteriors(
    utterance: Utterance,
    log_probs: np.ndarray,
    label_names: tuple[str, ...] | list[str],
    frames_per_second: float = 50,
    aligned_path: np.ndarray | None = None,
) -> Figure:
    """A CTC model's output over one utterance: spectrogram, per-frame label probabilities
    (blank in grey, each phone's spike labelled), and the true phones beneath.

    ``log_probs`` is (n_frames, n_labels) with the blank at index 0 and ``label_names`` its
    label for each index. ``aligned_path`` (n_frames,) of label indices, e.g. a forced
    alignment, adds a row of its non-blank frames under the true phones.
    """
    n_rows = 4 if aligned_path is not None else 3
    ratios = [2.0, 2.0, 0.6] + ([0.6] if aligned_path is not None else [])
    figure = Figure(figsize=(11, 1.6 * n_rows + 0.8), layout="constrained")
    axes = figure.subplots(n_rows, 1, sharex=True, gridspec_kw=dict(height_ratios=ratios))
    _draw_spectrogram(axes[0], utterance.waveform, utterance.sample_rate)
    axes[0].set_ylabel("frequency (Hz)")

    probs = np.exp(log_probs)
    times = np.arange(len(probs)) / frames_per_second
    axes[1].fill_between(times, probs[:, 0], color="#d9d9d9", step="mid", label="blank")
    best = probs[:, 1:].argmax(axis=1) + 1
    for label in np.unique(best):
        if probs[best == label, label].max() < 0.5:
            continue
        color = CLASS_COLORS[phone_class(label_names[label])]
        axes[1].plot(times, probs[:, label], color=color, lw=1.2)
    for t in np.flatnonzero((probs[:, 1:].max(axis=1) > 0.5)):
        label = best[t]
        if t == 0 or best[t - 1] != label or probs[t - 1, label] <= 0.5:
            axes[1].text(times[t], 1.02, label_names[label], ha="center", va="bottom",
                         fontsize=8)
    axes[1].set_ylim(0, 1.15)
    axes[1].set_ylabel("P(label | frame)")
    axes[1].legend(loc="upper right", fontsize=8)

    _draw_phones(axes[2], utterance.phones)
    axes[2].set_ylabel("true", rotation=0, ha="right", va="center")
    if aligned_path is not None:
        for t in np.flatnonzero(aligned_path != 0):
            name = label_names[aligned_path[t]]
            axes[3].axvspan(t / frames_per_second, (t + 1) / frames_per_second,
                            color=CLASS_COLORS[phone_class(name)], lw=0)
            if t == 0 or aligned_path[t - 1] != aligned_path[t]:
                axes[3].text((t + 0.5) / frames_per_second, 0.5, name, ha="center",
                             va="center", fontsize=8)
        axes[3].set_yticks([])
        axes[3].set_ylabel("CTC", rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, utterance.duration)
    figure.suptitle(f"\u201c{utterance.text}\u201d")
    return figure


# --- notebook 04: three alignment mechanisms ---

def plot_three_alignments(
    utterance: Utterance,
    hmm_phone_of_frame: np.ndarray,
    ctc_spike_frames: list[int] | np.ndarray,
    attention_weights: np.ndarray,
    hmm_frames_per_second: float = 100,
    ctc_frames_per_second: float = 50,
) -> Figure:
    """One utterance aligned three ways, against its true phones (notebook 04).

    Args:
        hmm_phone_of_frame: (n_hmm_frames,) phone index of every HMM frame (Viterbi).
        ctc_spike_frames: (n_phones,) the frame of each phone's CTC spike (best path).
        attention_weights: (n_phones, n_frames) one row of attention weights per phone, at
            ``ctc_frames_per_second``.
    """
    figure = Figure(figsize=(11, 8.5), layout="constrained")
    axes = figure.subplots(4, 1, sharex=True, gridspec_kw=dict(height_ratios=[0.5, 1.6, 1.6, 2.4]))
    _draw_phones(axes[0], utterance.phones)
    axes[0].set_ylabel("true", rotation=0, ha="right", va="center")
    hmm_times = (np.arange(len(hmm_phone_of_frame)) + 0.5) / hmm_frames_per_second
    axes[1].step(hmm_times, hmm_phone_of_frame, where="mid", color="#4c72b0")
    axes[1].set_ylabel("HMM:\nphone of frame")
    spikes = np.asarray(ctc_spike_frames)
    axes[2].plot(spikes / ctc_frames_per_second, np.arange(len(spikes)), "o", color="#c44e52",
                 ms=4)
    axes[2].set_ylabel("CTC:\nspike of phone")
    n_phones, n_frames = attention_weights.shape
    axes[3].imshow(attention_weights, aspect="auto", origin="lower", cmap="Greys",
                   extent=[0, n_frames / ctc_frames_per_second, -0.5, n_phones - 0.5])
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


# --- notebook 05: discrete tokens ---

def plot_unit_rows(phones, unit_rows: dict[str, np.ndarray], frames_per_second: float,
                   title: str | None = None) -> Figure:
    """The true phones above rows of discrete units, one cell per frame (notebooks 05, 06).

    ``unit_rows`` maps a row name to ``(n_frames,)`` integer units; a unit's colour is its index
    in a 20-colour cycle, and its number is written in the cell while cells are wide enough.
    """

    figure = Figure(figsize=(11, 0.75 * (len(unit_rows) + 1) + 0.8), layout="constrained")
    axes = figure.subplots(len(unit_rows) + 1, 1, sharex=True, squeeze=False)[:, 0]
    _draw_phones(axes[0], phones)
    axes[0].set_ylabel("phones", rotation=0, ha="right", va="center")
    palette = list(colormaps["tab20"].colors)
    for ax, (name, units) in zip(axes[1:], unit_rows.items()):
        units = np.asarray(units)
        starts = np.arange(len(units)) / frames_per_second
        ax.broken_barh([(s, 1 / frames_per_second) for s in starts], (0, 1),
                       facecolors=[palette[u % 20] for u in units], edgecolors="white",
                       linewidth=0.3)
        if len(units) <= 80:
            for start, unit in zip(starts, units):
                ax.text(start + 0.5 / frames_per_second, 0.5, str(unit), ha="center",
                        va="center", fontsize=6, rotation=90)
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    axes[-1].set_xlim(0, phones[-1].end)
    axes[-1].set_xlabel("time (s)")
    if title:
        figure.suptitle(title)
    return figure


def plot_unit_purity(n_clusters: list[int], purities: list[float], pnmis: list[float]) -> Figure:
    """Purity and phone-normalized mutual information of k-means units against k (notebook 05)."""
    figure = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = figure.subplots()
    ax.plot(n_clusters, purities, "o-", label="purity")
    ax.plot(n_clusters, pnmis, "s-", label="phone-normalized MI")
    ax.set_xscale("log", base=2)
    ax.set_xticks(n_clusters, [str(k) for k in n_clusters])
    ax.set_xlabel("number of units k")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


# --- notebook 06: residual vector quantization ---

def plot_level_spectrograms(waveforms: dict[str, np.ndarray], sample_rate: int = 16_000) -> Figure:
    """Log spectrograms (25 ms / 10 ms) of several waveforms stacked on one time axis."""
    figure = Figure(figsize=(11, 1.6 * len(waveforms) + 0.6), layout="constrained")
    axes = figure.subplots(len(waveforms), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, waveform) in zip(axes, waveforms.items()):
        _draw_spectrogram(ax, waveform, sample_rate)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time (s)")
    return figure


# --- notebook 07: discrete vs continuous ---

def plot_snap_vs_project(points: np.ndarray, codebook: np.ndarray,
                         projection: np.ndarray) -> Figure:
    """Left: 2-D points snapped to the nearest of ``codebook`` (Voronoi cells shaded).
    Right: the same points under the linear map ``projection`` (2 x 2), which moves every point
    but merges none. Notebook 07."""

    figure = Figure(figsize=(11, 4.6), layout="constrained")
    snap_ax, project_ax = figure.subplots(1, 2)
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 300),
                                 np.linspace(low[1], high[1], 300))
    cells = nearest_code(np.column_stack([grid_x.ravel(), grid_y.ravel()]), codebook)
    snap_ax.imshow(cells.reshape(grid_x.shape), origin="lower", cmap="tab20", alpha=0.35,
                   extent=(low[0], high[0], low[1], high[1]), aspect="auto",
                   vmin=0, vmax=19, interpolation="nearest")
    snapped = codebook[nearest_code(points, codebook)]
    for point, code in zip(points, snapped):
        snap_ax.plot(*zip(point, code), color="#555555", lw=0.5)
    snap_ax.scatter(*points.T, s=10, color="#333333", label="input vectors")
    snap_ax.scatter(*codebook.T, s=90, marker="*", color="#c44e52", label="codewords")
    snap_ax.set_title(f"quantize: snap to 1 of {len(codebook)} codewords")
    snap_ax.legend(loc="upper left", fontsize=8)
    projected = points @ projection.T
    project_ax.scatter(*points.T, s=10, color="#bbbbbb", label="input vectors")
    project_ax.scatter(*projected.T, s=10, color="#4c72b0", label="projected")
    project_ax.set_title("project: a linear map, every point stays distinct")
    project_ax.legend(loc="upper left", fontsize=8)
    for ax in (snap_ax, project_ax):
        ax.set_aspect("equal", adjustable="datalim")
    return figure
