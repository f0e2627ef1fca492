"""The explorer of notebook 02, "HMM alignment". Imports no torch.

Explained in notebook 02, section "Explore the self-loop".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.hmm import plot_self_loop_effect
from course_lib.synth import Utterance
from course_lib.widgets.common import slider_style


def self_loop_explorer(aligner, utterance: Utterance, real_phone_frames) -> widgets.interactive:
    """A self-loop slider over :func:`course_lib.plots.plot_self_loop_effect` (notebook 02).

    The figure shows the phone durations the self-loop implies against ``real_phone_frames``,
    and the phones that ``aligner.decode_phone_loop`` (a
    :class:`course_lib.aligner.PhoneAligner`) finds in ``utterance`` with that self-loop.
    Children: the self-loop slider, then the output.

    Explained in notebook 02, section "Explore the self-loop".
    """

    def draw(self_loop):
        decoded = aligner.decode_phone_loop(utterance.waveform, self_loop, utterance.sample_rate)
        return plot_self_loop_effect(self_loop, real_phone_frames, utterance, decoded)

    return widgets.interactive(
        draw,
        {"auto_display": True},
        self_loop=widgets.FloatSlider(value=0.6, min=0.05, max=0.95, step=0.05,
                                      description="self-loop", **slider_style(420, 80)),
    )
