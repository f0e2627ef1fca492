"""Figures of notebook 07, "Discrete vs continuous": snapping to a codebook against a linear
projection. Imports ``course_lib.quantize``, hence torch.

Explained in notebook 07, section "Snapping versus projecting".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib.quantize import nearest_code


def draw_snapping(ax, points: np.ndarray, codebook: np.ndarray) -> None:
    """2-D ``points`` (n_points, 2) snapped to the nearest row of ``codebook`` (n_codes, 2) on
    ``ax``: the Voronoi cells shaded, a line from each point to its codeword.
    Explained in notebook 07, section "Snapping versus projecting"."""
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 300),
                                 np.linspace(low[1], high[1], 300))
    cells = nearest_code(np.column_stack([grid_x.ravel(), grid_y.ravel()]), codebook)
    ax.imshow(cells.reshape(grid_x.shape), origin="lower", cmap="tab20", alpha=0.35,
              extent=(low[0], high[0], low[1], high[1]), aspect="auto",
              vmin=0, vmax=19, interpolation="nearest")
    snapped = codebook[nearest_code(points, codebook)]
    for point, code in zip(points, snapped):
        ax.plot(*zip(point, code), color="#555555", lw=0.5)
    ax.scatter(*points.T, s=10, color="#333333", label="input vectors")
    ax.scatter(*codebook.T, s=90, marker="*", color="#c44e52", label="codewords")
    ax.set_title(f"quantize: snap to 1 of {len(codebook)} codewords")
    ax.legend(loc="upper left", fontsize=8)


def plot_snap_vs_project(points: np.ndarray, codebook: np.ndarray,
                         projection: np.ndarray) -> Figure:
    """Left: 2-D points snapped to the nearest of ``codebook`` (:func:`draw_snapping`).
    Right: the same points under the linear map ``projection`` (2 x 2), which moves every point
    but merges none. Explained in notebook 07, section "Snapping versus projecting"."""
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    snap_ax, project_ax = figure.subplots(1, 2)
    draw_snapping(snap_ax, points, codebook)
    projected = points @ projection.T
    project_ax.scatter(*points.T, s=10, color="#bbbbbb", label="input vectors")
    project_ax.scatter(*projected.T, s=10, color="#4c72b0", label="projected")
    project_ax.set_title("project: a linear map, every point stays distinct")
    project_ax.legend(loc="upper left", fontsize=8)
    for ax in (snap_ax, project_ax):
        ax.set_aspect("equal", adjustable="datalim")
    return figure
