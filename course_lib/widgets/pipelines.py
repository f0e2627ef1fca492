"""The explorer of notebook 09, "How audio comes out": scale the measured stage costs and
watch which stage dominates each pipeline's time to first audio.

Explained in notebook 09, section "Explore: which knob dominates".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib import pipelines, validate
from course_lib.plots.pipelines import plot_first_audio

CHARACTERS_PER_WORD = 5  # a word of the world's replies and the space after it, roughly


def latency_view(costs: dict, units: dict[str, dict], model_scale: float, hardware_speed: float,
                 chunk_frames: int, words_before_audio: int, reported=()):
    """The explorer's pure function: the predicted breakdown of every pipeline
    (:func:`course_lib.pipelines.first_audio_breakdown`) for the measured ``units`` of one run
    each (pipeline -> units), with the chunk size and the words the cascade waits for set by
    the sliders. Returns the figure.
    Explained in notebook 09, section "Explore: which knob dominates"."""
    chunk_frames = validate.integer(chunk_frames, "chunk_frames", minimum=1)
    words_before_audio = validate.integer(words_before_audio, "words_before_audio", minimum=1)
    breakdowns = {}
    for pipeline, measured in units.items():
        changed = dict(measured)
        if "chunk_frames" in changed:
            changed["chunk_frames"] = min(chunk_frames, changed.get("reply_frames", chunk_frames))
        if pipeline == "cascade":
            changed["words_before_audio"] = words_before_audio
            changed["characters_before_audio"] = CHARACTERS_PER_WORD * words_before_audio + 1
        breakdowns[pipeline] = pipelines.first_audio_breakdown(
            costs, pipeline, changed, model_scale=model_scale, hardware_speed=hardware_speed)
    return plot_first_audio(breakdowns, reported,
                            f"models x{model_scale:,.0f} in compute, hardware x"
                            f"{hardware_speed:,.0f} faster, {chunk_frames} frames per chunk, "
                            f"the cascade speaks after {words_before_audio} words")


def latency_explorer(costs: dict, units: dict[str, dict], reported=()) -> widgets.interactive:
    """Sliders for model scale, hardware speed, chunk size and words before audio over
    :func:`latency_view`. Children: the four sliders, then the output.
    Explained in notebook 09, section "Explore: which knob dominates"."""

    def draw(model_scale, hardware_speed, chunk_frames, words_before_audio):
        return latency_view(costs, units, model_scale, hardware_speed, chunk_frames,
                            words_before_audio, reported)

    return widgets.interactive(
        draw, {"auto_display": True},
        model_scale=widgets.FloatLogSlider(value=1, base=10, min=0, max=5, step=0.25,
                                           description="model x", continuous_update=False),
        hardware_speed=widgets.FloatLogSlider(value=1, base=10, min=0, max=3, step=0.25,
                                              description="hardware x", continuous_update=False),
        chunk_frames=widgets.IntSlider(value=pipelines.CHUNK_FRAMES, min=1, max=50,
                                       description="chunk frames", continuous_update=False),
        words_before_audio=widgets.IntSlider(value=pipelines.WORDS_PER_CHUNK, min=1, max=7,
                                             description="words first", continuous_update=False),
    )
