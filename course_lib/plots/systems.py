"""Figures of notebook 11, "The map of real systems": every system's budget against duration,
on log axes, with text tokens as the reference line.

Explained in notebook 11, section "Budgets for any duration".
"""

from __future__ import annotations

from matplotlib.figure import Figure

SYSTEM_COLORS = {"Ultravox": "#4e79a7", "Qwen-Audio": "#f28e2b", "SALMONN": "#e15759",
                 "SpeechVerse": "#76b7b2", "VALL-E": "#59a14f", "MusicGen": "#edc948",
                 "SoundStorm": "#b07aa1", "GPT-4o": "#ff9da7", "Spirit LM": "#9c755f",
                 "Moshi": "#bab0ac"}
TEXT_COLOR = "black"


def draw_budget_curves(ax, durations, curves: dict, text_tokens, title: str,
                       duration_s: float | None = None) -> None:
    """On ``ax``: one line per system (``curves``: system -> counts over ``durations``), the
    text tokens as a dashed black reference line, log axes, and a vertical mark with each
    system's count at ``duration_s`` if given.
    Explained in notebook 11, section "Budgets for any duration"."""
    for name, counts in curves.items():
        ax.plot(durations, counts, color=SYSTEM_COLORS.get(name, "grey"), label=name, lw=1.6)
    ax.plot(durations, text_tokens, color=TEXT_COLOR, ls="--", lw=1.4, label="text tokens")
    if duration_s is not None:
        ax.axvline(duration_s, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("seconds of audio (log)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)


def plot_budgets(curves: dict, duration_s: float | None = None, at_duration=()) -> Figure:
    """Two panels side by side: tokens into the LM, and sequential output steps, against
    duration (``curves`` from ``course_lib.systems.budget_curves``); ``at_duration`` rows
    (``systems.budgets(duration_s)``) are printed beside the figure's title.
    Explained in notebook 11, section "Budgets for any duration"."""
    figure = Figure(figsize=(11, 4.4), layout="constrained")
    left, right = figure.subplots(1, 2)
    draw_budget_curves(left, curves["durations"], curves["tokens_in"], curves["text_tokens"],
                       "tokens into the LM", duration_s)
    draw_budget_curves(right, curves["durations"], curves["steps_out"], curves["text_tokens"],
                       "sequential output steps (large model)", duration_s)
    left.set_ylabel("count (log)")
    right.legend(fontsize=7, loc="upper left", ncol=2)
    if duration_s is not None:
        known = [f"{row['system']} {row['tokens_in'] or '-'}/{row['steps_out'] or '-'}"
                 for row in at_duration]
        figure.suptitle(f"at {duration_s:g} s (in/steps): " + ", ".join(known), fontsize=8)
    return figure
