"""Figures of notebook 09, "How audio comes out": where the time to first audio goes in each
pipeline, what of the prompt survives into the reply, and a full-duplex timeline.

Explained in notebook 09, section "Time to first audio".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

STAGE_COLORS = {"recognizer": "#4e79a7", "decoder": "#a0cbe8", "text model": "#f28e2b",
                "speech synthesis": "#59a14f", "phones and durations": "#8cd17d",
                "generator": "#e15759", "audio tokenizer": "#b6992d",
                "native model": "#ff9d9a", "codec decoder": "#79706e"}


def draw_first_audio(ax, breakdowns: dict[str, dict[str, float]], reported=()) -> None:
    """Stacked horizontal bars on ``ax``, one per pipeline: the seconds each stage adds before
    the first audio chunk (``breakdowns``: pipeline -> {stage: seconds}, in stage order), in
    milliseconds on a log axis; ``reported`` rows (dicts with ``system`` and ``seconds``) are
    drawn as grey marks below them. Explained in notebook 09, section "Time to first audio"."""
    names = list(breakdowns)
    for row, name in enumerate(names):
        left = 0.0
        for stage, seconds in breakdowns[name].items():
            width = 1000 * seconds
            ax.barh(row, width, left=left, color=STAGE_COLORS.get(stage, "#bab0ac"),
                    edgecolor="white", label=stage)
            left += width
        ax.text(left * 1.05, row, f"{left:,.0f} ms", va="center", fontsize=8)
    for offset, entry in enumerate(reported, start=len(names)):
        ax.plot([1000 * entry["seconds"]], [offset], marker="|", markersize=14, color="grey")
        ax.text(1000 * entry["seconds"] * 1.08, offset, f"{entry['system']}: "
                f"{1000 * entry['seconds']:,.0f} ms", va="center", fontsize=8, color="dimgrey")
    ax.set_yticks(range(len(names) + len(reported)),
                  names + ["reported"] * len(reported))
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("time to first audio (ms, log scale)")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))


def plot_first_audio(breakdowns: dict[str, dict[str, float]], reported=(), title: str = ""
                     ) -> Figure:
    """One panel of :func:`draw_first_audio`, titled.
    Explained in notebook 09, section "Time to first audio"."""
    figure = Figure(figsize=(10, 2.2 + 0.35 * (len(breakdowns) + len(reported))),
                    layout="constrained")
    ax = figure.add_subplot()
    draw_first_audio(ax, breakdowns, reported)
    ax.set_title(title, fontsize=9)
    return figure


def plot_what_survives(rows: list[dict]) -> Figure:
    """Two panels: the reply's speaking rate against the prompt's, and the reply's median
    pitch against the prompt's, one line per pipeline. ``rows``: dicts with ``pipeline``,
    ``prompt wpm``, ``reply wpm``, ``prompt pitch``, ``reply pitch`` (Hz).
    Explained in notebook 09, section "What survives the text boundary"."""
    figure = Figure(figsize=(10, 3.6), layout="constrained")
    panels = figure.subplots(1, 2)
    for ax, key, unit in zip(panels, ("wpm", "pitch"), ("words per minute", "Hz")):
        for pipeline in dict.fromkeys(row["pipeline"] for row in rows):
            mine = sorted((row[f"prompt {key}"], row[f"reply {key}"]) for row in rows
                          if row["pipeline"] == pipeline)
            ax.plot(*zip(*mine), marker="o", label=pipeline)
        values = [row[f"prompt {key}"] for row in rows]
        ax.plot([min(values), max(values)], [min(values), max(values)], ls=":", color="grey",
                label="reply = prompt")
        ax.set_xlabel(f"prompt ({unit})")
        ax.set_ylabel(f"reply ({unit})")
        ax.set_title("speaking rate" if key == "wpm" else "median pitch", fontsize=9)
    panels[0].legend(fontsize=8)
    return figure


def plot_duplex_timeline(user_words, model_words, monologue=(), frames_per_second: float = 12.5,
                         duration: float | None = None) -> Figure:
    """A full-duplex sketch in Moshi's manner: the user's stream and the model's stream on one
    time axis, cut into frames (12.5 per second, Mimi's rate), both running all the time; the
    model's inner-monologue text row sits above its audio. ``user_words``, ``model_words``:
    (word, start, end) in seconds; ``monologue``: (word, frame) pairs of the text stream.
    Explained in notebook 09, section "Full duplex"."""
    spans = list(user_words) + list(model_words)
    duration = duration or max(end for _, _, end in spans) + 0.3
    figure = Figure(figsize=(11, 2.8), layout="constrained")
    ax = figure.add_subplot()
    rows = {"user audio": 0, "model audio": 1, "model text": 2}
    for stream, words, color in (("user audio", user_words, "#4e79a7"),
                                 ("model audio", model_words, "#e15759")):
        for word, start, end in words:
            ax.barh(rows[stream], end - start, left=start, color=color, alpha=0.8)
            ax.text((start + end) / 2, rows[stream], word, ha="center", va="center",
                    fontsize=7, color="white")
    for word, frame in monologue:
        ax.text(frame / frames_per_second, rows["model text"], word, fontsize=7, va="center")
    for edge in np.arange(0, duration, 1 / frames_per_second):
        ax.axvline(edge, color="lightgrey", lw=0.5, zorder=0)
    ax.set_yticks(list(rows.values()), list(rows))
    ax.set_ylim(-0.6, 2.6)
    ax.set_xlim(0, duration)
    ax.set_xlabel(f"time (s); grey lines: frames at {frames_per_second:g} per second")
    ax.set_title("both streams advance every frame: the model keeps listening while it speaks",
                 fontsize=9)
    return figure
