"""Figures of notebook 05, "Discrete tokens": rows of discrete units under the phones, and
how pure k-means units are. Imports no torch.

Explained in notebook 05, sections "How pure are the units?" and
"Explore: units against phones"; the unit rows return in notebook 06, section "A tiny neural codec".
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from course_lib import features
from course_lib.plots.common import draw_phones, frame_cells, name_row


def draw_unit_row(ax, units: np.ndarray, frames_per_second: float, *,
                  sample_rate: int = features.SAMPLE_RATE,
                  frame_length: int | None = None, center: bool = False) -> None:
    """``units`` (n_frames,) of integers as one row of cells on ``ax``, a cell per frame
    coloured by the unit's index in a 20-colour cycle, its number written while cells are
    wide enough. Cell i is one hop wide, centred at frame i's time from
    :func:`course_lib.features.frame_times` (``frame_length`` in samples: the analysis window,
    400 for 25 ms MFCC frames; None for blocks side by side, like the codec's; ``center`` for
    a centred STFT).
    Explained in notebook 05, section "Explore: units against phones", used again in 06.
    """
    units = np.asarray(units)
    cells = frame_cells(len(units), frames_per_second, sample_rate=sample_rate,
                        frame_length=frame_length, center=center)
    palette = list(colormaps["tab20"].colors)
    ax.broken_barh([(start, end - start) for start, end in cells], (0, 1),
                   facecolors=[palette[u % 20] for u in units], edgecolors="white",
                   linewidth=0.3)
    if len(units) <= 80:
        for middle, unit in zip(cells.mean(axis=1), units):
            ax.text(middle, 0.5, str(unit), ha="center", va="center", fontsize=6, rotation=90)
    ax.set_yticks([])


def plot_unit_rows(phones, unit_rows: dict[str, np.ndarray], frames_per_second: float,
                   title: str | None = None, **framing) -> Figure:
    """The true phones above rows of discrete units.

    ``unit_rows`` maps a row name to ``(n_frames,)`` integer units, each drawn by
    :func:`draw_unit_row`; ``framing`` (``sample_rate``, ``frame_length``, ``center``) says
    where the frames sit in time, as there.

    Explained in notebook 05, section "Explore: units against phones" (the explorer) and
    notebook 06, section "A tiny neural codec" (rows of codec codes).
    """
    figure = Figure(figsize=(11, 0.75 * (len(unit_rows) + 1) + 0.8), layout="constrained")
    axes = figure.subplots(len(unit_rows) + 1, 1, sharex=True, squeeze=False)[:, 0]
    draw_phones(axes[0], phones)
    name_row(axes[0], "phones")
    for ax, (name, units) in zip(axes[1:], unit_rows.items()):
        draw_unit_row(ax, units, frames_per_second, **framing)
        name_row(ax, name)
    axes[-1].set_xlim(0, phones[-1].end)
    axes[-1].set_xlabel("time (s)")
    if title:
        figure.suptitle(title)
    return figure


def plot_unit_purity(n_clusters: list[int], purities: list[float], pnmis: list[float]) -> Figure:
    """Purity and phone-normalized mutual information of k-means units against k (notebook 05).

    Explained in notebook 05, section "How pure are the units?".
    """
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
