"""Figures of notebook 00, "The four mismatches": an utterance, its phones at several rates,
and the rate mismatch as rows of tokens. Imports no torch.

Explained in notebook 00, sections "One sentence, with its ground truth", "The same words at
three speaking rates" and "The essay's numbers, computed".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib.plots.common import (CLASS_COLORS, UNALIGNED_COLOR, draw_phones,
                                     draw_spectrogram, draw_waveform, name_row)
from course_lib.rates import TokenRow, token_rows
from course_lib.phones import SILENCE, phone_class
from course_lib.synth import Phone, Utterance


def plot_utterance(utterance: Utterance, title: str | None = None) -> Figure:
    """Waveform, spectrogram and phone alignment of one utterance on a shared time axis.

    The spectrogram uses 25 ms Hann windows every 10 ms (notebook 01 builds the same framing
    by hand) and shows power in dB up to 8 kHz. Shown in notebook 00.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """
    figure = Figure(figsize=(11, 5.2), layout="constrained")
    wave_ax, spec_ax, phone_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[1.2, 2.2, 0.7])
    )
    draw_waveform(wave_ax, utterance.waveform, utterance.sample_rate)
    draw_spectrogram(spec_ax, utterance.waveform, utterance.sample_rate)
    spec_ax.set_ylabel("frequency (Hz)")
    draw_phones(phone_ax, utterance.phones)
    name_row(phone_ax, "phones")
    phone_ax.set_xlabel("time (s)")
    phone_ax.set_xlim(0, utterance.duration)
    figure.suptitle(title or f"\u201c{utterance.text}\u201d ({utterance.duration:.2f} s)")
    return figure


def plot_alignments(utterances: list[Utterance], names: list[str]) -> Figure:
    """Phone alignments of several utterances stacked on one time axis, one row each.

    Made for the same sentence at different speaking rates: the phones stay, their durations
    change (notebook 00).

    Explained in notebook 00, section "The same words at three speaking rates".
    """
    if len(utterances) != len(names):
        raise ValueError(f"names must name each utterance: got {len(names)} names "
                         f"for {len(utterances)} utterances")
    figure = Figure(figsize=(11, 0.8 * len(utterances) + 0.8), layout="constrained")
    axes = figure.subplots(len(utterances), 1, sharex=True, squeeze=False)[:, 0]
    for ax, utterance, name in zip(axes, utterances, names):
        draw_phones(ax, utterance.phones)
        name_row(ax, name)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, max(u.duration for u in utterances))
    return figure


def plot_token_rows(
    text: str,
    phones: tuple[Phone, ...] | list[Phone],
    duration_s: float,
    **strategy,
) -> Figure:
    """The rate mismatch as rows of cells: one utterance, six ways of handing it to an LLM.

    Each row is one strategy of :func:`course_lib.rates.token_rows` (``strategy`` takes its
    keyword arguments), drawn by :func:`draw_token_rows`. Shown in notebook 00.

    Explained in notebook 00, section "The essay's numbers, computed".
    """
    rows = token_rows(text, phones, duration_s, **strategy)
    figure = Figure(figsize=(11, 0.55 * sum(row.n_lanes for row in rows) + 1.4),
                    layout="constrained")
    ax = figure.subplots()
    draw_token_rows(ax, rows, phones, duration_s)
    ax.set_title(f"\u201c{text}\u201d stretched to {duration_s:g} s", loc="left")
    return figure


def draw_token_rows(ax, rows: list[TokenRow], phones: tuple[Phone, ...] | list[Phone],
                    duration_s: float) -> None:
    """Draw ``rows`` from :func:`course_lib.rates.token_rows` on ``ax``, the first at the top.

    Time-aligned cells are coloured by the phone under their centre (consonant, vowel,
    silence), with ``phones`` stretched to ``duration_s``; text tokens and Q-Former queries are
    not tied to time and are drawn evenly spaced in purple. Each row is named with its token
    count and its ratio to the first row (the text tokens).
    Explained in notebook 00, section "The essay's numbers, computed".
    """
    scale = duration_s / phones[-1].end
    phone_ends = np.array([p.end * scale for p in phones])
    classes = [phone_class(p.label) for p in phones]
    n_text = rows[0].n_tokens
    y = 0.0
    for row in reversed(rows):
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
            ax.broken_barh(spans, (y + lane + 0.1, 0.8), facecolors=colors,
                           edgecolors="white", linewidth=edge)
        if row.labels and len(spans) <= 60:
            for (start, width), label in zip(spans, row.labels):
                if label != SILENCE:
                    ax.text(start + width / 2, y + 0.5, label, ha="center", va="center",
                            color=label_color, fontsize=9)
        ratio = f" = {row.n_tokens / n_text:.1f}x text" if row is not rows[0] else ""
        ax.text(-0.01 * duration_s, y + row.n_lanes / 2,
                f"{row.name}\n{row.n_tokens} tokens{ratio}", ha="right", va="center", fontsize=9)
        y += row.n_lanes + 0.4
    ax.set_xlim(0, duration_s)
    ax.set_ylim(-0.2, y)
    ax.set_yticks([])
    ax.set_xlabel("time (s)  -  purple rows are not tied to time: their cells are evenly spaced")
    for name, color in CLASS_COLORS.items():
        ax.bar(0, 0, color=color, label=name)
    ax.legend(loc="upper right", bbox_to_anchor=(1, 1.12), ncol=3, frameon=False, fontsize=9)
