"""The explorer of notebook 03, "CTC". Imports no torch.

Explained in notebook 03, section "Explore the recognizer on the test split".
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.ctc import plot_ctc_posteriors
from course_lib.synth import Utterance
from course_lib.widgets.common import index_slider


def ctc_explorer(utterances: list[Utterance], log_probs: list, label_names,
                 aligned_paths: list | None = None) -> widgets.interactive:
    """A slider over utterances showing :func:`course_lib.plots.plot_ctc_posteriors` for each
    (notebook 03). ``log_probs`` (and ``aligned_paths`` if given) are precomputed, one per
    utterance, so the figure redraws at once. Children: utterance index, then the output.

    Explained in notebook 03, section "Explore the recognizer on the test split".
    """
    if len(log_probs) != len(utterances):
        raise ValueError(f"log_probs must hold one array per utterance: got {len(log_probs)} "
                         f"for {len(utterances)} utterances")

    def draw(index):
        path = None if aligned_paths is None else aligned_paths[index]
        return plot_ctc_posteriors(utterances[index], log_probs[index], label_names,
                                   aligned_path=path)

    return widgets.interactive(draw, {"auto_display": True}, index=index_slider(len(utterances)))
