"""The explorer of notebook 04, "Three alignment mechanisms". Imports no torch.

Explained in notebook 04, section "Explore the three alignments".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.alignment import plot_three_alignments
from course_lib.synth import Utterance
from course_lib.widgets.common import index_slider


def alignment_explorer(utterances: list[Utterance], hmm_phone_of_frame: list,
                       ctc_spike_frames: list, attention_weights: list) -> widgets.interactive:
    """A slider over utterances showing :func:`course_lib.plots.plot_three_alignments`, from
    alignments precomputed per utterance (notebook 04). Children: utterance index, output.

    Explained in notebook 04, section "Explore the three alignments".
    """
    if not len(utterances) == len(hmm_phone_of_frame) == len(ctc_spike_frames) == len(
            attention_weights):
        raise ValueError("give one HMM path, CTC spike list and attention matrix per utterance")

    def draw(index):
        return plot_three_alignments(utterances[index], hmm_phone_of_frame[index],
                                     ctc_spike_frames[index], attention_weights[index])

    return widgets.interactive(draw, {"auto_display": True}, index=index_slider(len(utterances)))
