"""Figures of notebook 08, "Adapters": which frames each adapter token reads, and the
bake-off. Imports ``course_lib.adapters``, hence torch.

Explained in notebook 08, section "Explore: which frames each token reads".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib import rates


def draw_coverage(ax, weights: np.ndarray, frames_per_second: float = 50) -> None:
    """A (T', n_frames) coverage matrix (``adapters.coverage``) on ``ax``: one row per token,
    time in seconds across.
    Explained in notebook 08, section "Explore: which frames each token reads"."""
    weights = np.asarray(weights, dtype=float)
    n_tokens, n_frames = weights.shape
    ax.imshow(weights, aspect="auto", origin="lower", cmap="Blues", interpolation="nearest",
              extent=(0, n_frames / frames_per_second, -0.5, n_tokens - 0.5))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("output token")


def plot_coverage(weights: np.ndarray, family: str, n_text_tokens: int = 40) -> Figure:
    """Coverage of one adapter on one utterance, titled with T', tokens per second and the
    attention pairs of one LM layer over T' + ``n_text_tokens``.
    Explained in notebook 08, section "Explore: which frames each token reads"."""
    weights = np.asarray(weights, dtype=float)
    n_tokens, n_frames = weights.shape
    figure = Figure(figsize=(10, 4), layout="constrained")
    ax = figure.add_subplot()
    draw_coverage(ax, weights)
    duration = n_frames / 50
    ax.set_title(f"{family}: {n_frames} frames ({duration:.2f} s) -> T' = {n_tokens} tokens "
                 f"({n_tokens / duration:.1f}/s); attention pairs with {n_text_tokens} text "
                 f"tokens: {rates.attention_pairs(n_tokens, n_text_tokens):,}", fontsize=9)
    return figure


def plot_bake_off(rows: list[dict]) -> Figure:
    """The bake-off in three panels: character error on the two unseen sets against tokens
    per second (with the shuffled-audio baseline), character error on fast and slow speech,
    and the onset probe's F1. ``rows`` as ``audio_llm.bake_off`` returns them.
    Explained in notebook 08, section "The bake-off"."""
    families = [row["family"] for row in rows]
    x = np.arange(len(rows))
    figure = Figure(figsize=(12, 4), layout="constrained")
    content, speed, timing = figure.subplots(1, 3)
    for offset, key, label in ((-0.3, "cer test split", "test split"),
                               (-0.1, "cer held-out sentences", "held-out sentences"),
                               (0.1, "cer shuffled held-out sentences", "shuffled audio (prior)")):
        content.bar(x + offset, [100 * row[key] for row in rows], 0.2, label=label)
    content.set_title("character error (%)")
    for offset, key in ((-0.15, "cer fast"), (0.15, "cer slow")):
        speed.bar(x + offset, [100 * row[key] for row in rows], 0.3,
                  label=f"{key[4:]} ({rows[0]['n ' + key[4:]]} utterances)")
    speed.set_title("character error (%) by speaking rate")
    timing.bar(x, [row["onset f1"] for row in rows], 0.6, color="#55a868")
    timing.set_title("timing: F1 of word onsets (0.1 s bins)")
    for ax in (content, speed, timing):
        ax.set_xticks(x, [f"{f}\n{row['tokens_per_second']:.1f}/s" for f, row in
                          zip(families, rows)], fontsize=7, rotation=45)
    content.legend(fontsize=7)
    speed.legend(fontsize=7)
    return figure
