"""Figures of notebook 10, "Codebook serialization": the order in which each pattern fixes the
codes of a (T, K) matrix, which codes one code may condition on, the training contexts of the
generators of part 2 and their bake-off. Imports no torch.

Explained in notebook 10, sections "Five generation orders, drawn",
"Explore: steps and context", "A generator over the code matrix" and "The bake-off".
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib import rates, serialize

TITLES = {"flattening": "flattening", "valle": "VALL-E (AR level 1, NAR passes)",
          "delay": "delay (MusicGen)", "masked": "masked (SoundStorm)",
          "rq": "RQ-Transformer (Moshi)"}


def draw_generation_order(ax, step_of: np.ndarray, *, title: str = "",
                          query: tuple[int, int] | None = None) -> None:
    """``step_of`` (n_frames, n_codebooks) drawn on ``ax`` as a grid with frames across and
    level 1 at the top, each cell coloured and labelled by the step that fixes it (while cells
    are large enough to read). With ``query`` = (frame, level), that code is outlined in red,
    the codes it may condition on (:func:`course_lib.serialize.context`) carry a dot, and the
    rest are faded.
    Explained in notebook 10, section "Five generation orders, drawn".
    """
    step_of = np.asarray(step_of)
    n_frames, n_codebooks = step_of.shape
    shade = np.ones(step_of.shape)
    if query is not None:
        visible = serialize.context(step_of, *query)
        shade = np.where(visible, 1.0, 0.35)
        shade[query] = 1.0
    colours = colormaps["viridis"](step_of / max(step_of.max(), 1))
    colours[..., 3] = shade
    ax.imshow(colours.transpose(1, 0, 2), aspect="auto", interpolation="nearest",
              extent=(-0.5, n_frames - 0.5, n_codebooks - 0.5, -0.5))
    if n_frames * n_codebooks <= 160:
        for (frame, level), step in np.ndenumerate(step_of):
            ax.text(frame, level, str(step), ha="center", va="center", fontsize=7,
                    color="white" if step < 0.6 * step_of.max() else "black")
    if query is not None:
        frames, levels = np.nonzero(visible)
        ax.scatter(frames, levels + 0.3, s=6, color="#c44e52", marker="o")
        ax.add_patch(_outline(*query))
    ax.set_xticks(range(n_frames) if n_frames <= 24 else [])
    ax.set_yticks(range(n_codebooks), [f"level {level + 1}" for level in range(n_codebooks)],
                  fontsize=7)
    ax.set_xlabel("frame")
    ax.set_title(title, fontsize=9)


def _outline(frame: int, level: int) -> Rectangle:
    """A red frame around the cell of (``frame``, ``level``)."""
    return Rectangle((frame - 0.5, level - 0.5), 1, 1, fill=False, edgecolor="#c44e52",
                     linewidth=2.5)


def plot_generation_orders(n_frames: int = 8, n_codebooks: int = 4, **options) -> Figure:
    """The five patterns' generation orders for one (n_frames, n_codebooks) matrix, one panel
    each (:func:`draw_generation_order` of :func:`course_lib.serialize.generation_order`),
    titled with the number of sequential steps; ``options`` go to ``generation_order``
    (``first_passes``, ``later_passes``, ``acoustic_delay``, ``seed``).
    Explained in notebook 10, section "Five generation orders, drawn".
    """
    height = 1.3 + 1.05 * len(serialize.PATTERNS) * (0.6 + 0.1 * n_codebooks)
    figure = Figure(figsize=(11, height), layout="constrained")
    axes = figure.subplots(len(serialize.PATTERNS), 1)
    for ax, pattern in zip(axes, serialize.PATTERNS):
        step_of = serialize.generation_order(pattern, n_frames, n_codebooks, **options)
        draw_generation_order(ax, step_of, title=f"{TITLES[pattern]}: "
                              f"{step_of.max() + 1} sequential steps")
    figure.suptitle(f"The step that fixes each code, T = {n_frames} frames, "
                    f"K = {n_codebooks} levels (same number = same step, in parallel)")
    return figure


def plot_serialization(pattern: str, n_frames: int, n_codebooks: int, frame: int, level: int,
                       **options) -> Figure:
    """One pattern's order with the context of the code at (``frame``, ``level``) marked
    (:func:`draw_generation_order`), beside the sequential steps of all five patterns at this
    T and K (from :func:`course_lib.rates.serialization_steps`; for RQ the depth steps, with
    the temporal steps written on the bar). ``frame`` and ``level`` are clipped to the matrix.
    ``options``: ``first_passes``, ``later_passes``, ``acoustic_delay``, ``seed``.
    Explained in notebook 10, section "Explore: steps and context".
    """
    frame, level = min(frame, n_frames - 1), min(level, n_codebooks - 1)
    step_of = serialize.generation_order(pattern, n_frames, n_codebooks, **options)
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    order_ax, steps_ax = figure.subplots(1, 2, width_ratios=(2.6, 1))
    n_visible = int(serialize.context(step_of, frame, level).sum())
    draw_generation_order(order_ax, step_of, query=(frame, level), title=(
        f"{TITLES[pattern]}: frame {frame}, level {level + 1} is fixed at step "
        f"{step_of[frame, level]} and may condition on {n_visible} of "
        f"{step_of.size - 1} other codes (dots)"))
    passes = {key: options[key] for key in ("first_passes", "later_passes") if key in options}
    counts = [rates.serialization_steps(name, n_frames, n_codebooks, **passes)
              for name in serialize.PATTERNS]
    bars = steps_ax.barh(range(len(counts)), counts, color=[
        "#c44e52" if name == pattern else "#8c8c8c" for name in serialize.PATTERNS])
    steps_ax.bar_label(bars, fontsize=7)
    temporal = rates.rq_temporal_steps(n_frames, n_codebooks, options.get("acoustic_delay", 1))
    steps_ax.text(counts[-1], len(counts) - 1.45, f"{temporal} temporal", fontsize=7, ha="right")
    steps_ax.set_yticks(range(len(counts)), serialize.PATTERNS, fontsize=8)
    steps_ax.invert_yaxis()
    steps_ax.set_xlabel("sequential model calls")
    steps_ax.set_title(f"T = {n_frames}, K = {n_codebooks}", fontsize=9)
    return figure


def draw_training_context(ax, hidden: np.ndarray, depth_given: np.ndarray | None = None, *,
                          title: str = "") -> None:
    """One training context of a generator (:func:`course_lib.generate.training_context`) on
    ``ax``: frames across, level 1 at the top; known codes dark, hidden codes (the ones the
    loss scores) light, and with ``depth_given`` the hidden codes the RQ depth block is handed
    (those below a target's level in its frame) hatched. Arrays are (n_frames, n_codebooks).
    Explained in notebook 10, section "A generator over the code matrix".
    """
    hidden = np.asarray(hidden, dtype=bool)
    n_frames, n_codebooks = hidden.shape
    ax.imshow(np.where(hidden, 0.1, 0.8).T, cmap="Greys", vmin=0, vmax=1, aspect="auto",
              interpolation="nearest", extent=(-0.5, n_frames - 0.5, n_codebooks - 0.5, -0.5))
    if depth_given is not None:
        for frame, level in zip(*np.nonzero(np.asarray(depth_given, dtype=bool))):
            ax.add_patch(Rectangle((frame - 0.5, level - 0.5), 1, 1, fill=False, hatch="///",
                                   edgecolor="#4c72b0", linewidth=0))
    ax.set_xticks([])
    ax.set_yticks(range(n_codebooks), [f"level {level + 1}" for level in range(n_codebooks)],
                  fontsize=7)
    ax.set_title(title, fontsize=9)


def plot_training_contexts(contexts: dict) -> Figure:
    """One panel per order: ``contexts`` maps a pattern to ``(hidden, depth_given)``, two
    (n_frames, n_codebooks) bool arrays (``depth_given`` None where the order has no depth
    block), drawn by :func:`draw_training_context`.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    figure = Figure(figsize=(11, 1.1 + 1.0 * len(contexts)), layout="constrained")
    axes = np.atleast_1d(figure.subplots(len(contexts), 1))
    for ax, (pattern, (hidden, depth_given)) in zip(axes, contexts.items()):
        draw_training_context(ax, hidden, depth_given, title=TITLES.get(pattern, pattern))
    axes[-1].set_xlabel("frame")
    figure.suptitle("One drawn training context per order: dark = known, light = hidden and "
                    "scored, hatched = handed to the RQ depth block")
    return figure


def plot_generator_bake_off(rows: list[dict], n_frames: int = 50, n_codebooks: int = 4
                            ) -> Figure:
    """The generators' bake-off (``course_lib.generate.bake_off`` rows). Left: phone error
    rate of each order on each set, with the phone-blind generator and the codec's own true
    codes as lines. Right: PER on the held-out sentences against sequential steps per second
    of audio (``rates.serialization_steps`` for ``n_frames`` frames and ``n_codebooks``
    levels), log scale.
    Explained in notebook 10, section "The bake-off".
    """
    sets = list(dict.fromkeys(row["set"] for row in rows))
    per = {(row["generator"], row["set"]): 100 * row["per"] for row in rows}
    figure = Figure(figsize=(11, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    width = 0.8 / len(sets)
    for i, which in enumerate(sets):
        left.bar(np.arange(len(serialize.PATTERNS)) + (i - (len(sets) - 1) / 2) * width,
                 [per[(p, which)] for p in serialize.PATTERNS], width, label=which)
    for name, style in (("phone-blind", "--"), ("codec (true codes)", ":")):
        for i, which in enumerate(sets):
            if (name, which) in per:
                left.axhline(per[(name, which)], linestyle=style, color=f"C{i}",
                             linewidth=1, label=f"{name}, {which}")
    left.set_xticks(range(len(serialize.PATTERNS)), serialize.PATTERNS)
    left.set_ylabel("phone error rate (%)")
    left.legend(fontsize=7, loc="center right")
    left.set_title("Intelligibility: the recognizer's PER on generated speech", fontsize=9)
    held_out = sets[-1]
    for i, pattern in enumerate(serialize.PATTERNS):
        steps = rates.serialization_steps(pattern, n_frames, n_codebooks)
        right.scatter(steps, per[(pattern, held_out)], color=f"C{i + 2}", s=40)
        right.annotate(pattern, (steps, per[(pattern, held_out)]), fontsize=8,
                       xytext=(4, 4), textcoords="offset points")
    right.set_xscale("log")
    right.set_xlabel(f"sequential steps per second of audio ({n_frames} frames, "
                     f"{n_codebooks} levels)")
    right.set_ylabel(f"PER on the {held_out} (%)")
    right.set_title("What fewer steps cost", fontsize=9)
    return figure
