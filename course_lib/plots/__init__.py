"""Figures shared by the notebooks: one module per notebook topic, in the spirit of Müller's
libfmp (a module per chapter).

============== ======== ==============================================================
module         notebook figures
============== ======== ==============================================================
``common``     00-06    shared pieces: ``draw_spectrogram``, ``draw_phones``, colours
``mismatches`` 00       ``plot_utterance``, ``plot_alignments``, ``plot_token_rows``
``voice``      00       ``plot_recording`` (your own voice), ``draw_spikes``
``features``   01       ``plot_mfcc_settings``, ``plot_conditions``, ``plot_room_and_noise``
``hmm``        02       ``plot_trellis``, ``plot_forced_alignment``, ``plot_self_loop_effect``
``ctc``        03       ``plot_ctc_lattice``, ``plot_ctc_posteriors``,
                        ``plot_human_and_synthesized``
``alignment``  04       ``plot_three_alignments``
``tokens``     05, 06   ``plot_unit_rows``, ``plot_unit_purity``
``rvq``        06       ``plot_level_spectrograms``, ``plot_rate_distortion``,
                        ``plot_probe_accuracy``
``continuous`` 07       ``plot_snap_vs_project``
``adapters``   08       ``plot_coverage``, ``plot_bake_off``
``pipelines``  09       ``plot_first_audio``, ``plot_what_survives``,
                        ``plot_duplex_timeline``
``serialize``  10       ``plot_generation_orders``, ``plot_serialization``,
                        ``plot_training_contexts``, ``plot_generator_bake_off``
``systems``    11       ``plot_budgets``, ``draw_budget_curves``
============== ======== ==============================================================

``draw_*`` functions draw on the matplotlib ``Axes`` they are given (``draw_phones(ax,
phones)``); ``plot_*`` functions build a whole ``matplotlib.figure.Figure`` from them, without
pyplot, so a slider that redraws one a hundred times leaks nothing and shows each exactly once.

Every public name is importable from here (``from course_lib.plots import plot_utterance``).
The modules load on first use, so importing the figures of notebook 00 loads no torch; only
``continuous`` and ``adapters`` need it.

The first figure is :func:`plot_utterance`, in
notebook 00, section "One sentence, with its ground truth"; each module's docstring names the
sections its figures belong to.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_MODULE_OF = {
    "plot_coverage": "adapters", "draw_coverage": "adapters", "plot_bake_off": "adapters",
    "CLASS_COLORS": "common", "UNALIGNED_COLOR": "common", "draw_waveform": "common",
    "draw_spectrogram": "common", "draw_phones": "common", "name_row": "common",
    "frame_cells": "common",
    "plot_utterance": "mismatches", "plot_alignments": "mismatches",
    "plot_token_rows": "mismatches", "draw_token_rows": "mismatches",
    "plot_mfcc_settings": "features", "draw_frame_matrix": "features",
    "plot_conditions": "features", "draw_log_mel": "features",
    "plot_room_and_noise": "features",
    "plot_trellis": "hmm", "draw_trellis": "hmm", "plot_forced_alignment": "hmm",
    "plot_self_loop_effect": "hmm", "draw_duration_fit": "hmm",
    "plot_ctc_lattice": "ctc", "draw_ctc_lattice": "ctc", "plot_ctc_posteriors": "ctc",
    "draw_label_probabilities": "ctc", "draw_frame_labels": "ctc",
    "plot_human_and_synthesized": "ctc",
    "plot_three_alignments": "alignment",
    "plot_unit_rows": "tokens", "draw_unit_row": "tokens", "plot_unit_purity": "tokens",
    "plot_level_spectrograms": "rvq", "plot_rate_distortion": "rvq",
    "plot_probe_accuracy": "rvq",
    "plot_snap_vs_project": "continuous", "draw_snapping": "continuous",
    "plot_recording": "voice", "draw_spikes": "voice",
    "plot_generation_orders": "serialize", "draw_generation_order": "serialize",
    "plot_serialization": "serialize", "plot_training_contexts": "serialize",
    "draw_training_context": "serialize", "plot_generator_bake_off": "serialize",
    "plot_first_audio": "pipelines", "draw_first_audio": "pipelines",
    "plot_what_survives": "pipelines", "plot_duplex_timeline": "pipelines",
    "plot_budgets": "systems", "draw_budget_curves": "systems",
}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """Load the module that defines ``name`` on first access (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for editors and type checkers; at run time __getattr__ loads these
    from course_lib.plots.adapters import draw_coverage, plot_bake_off, plot_coverage
    from course_lib.plots.alignment import plot_three_alignments
    from course_lib.plots.common import (CLASS_COLORS, UNALIGNED_COLOR, draw_phones,
                                         draw_spectrogram, draw_waveform, frame_cells,
                                         name_row)
    from course_lib.plots.continuous import draw_snapping, plot_snap_vs_project
    from course_lib.plots.ctc import (draw_ctc_lattice, draw_frame_labels,
                                      draw_label_probabilities, plot_ctc_lattice,
                                      plot_ctc_posteriors, plot_human_and_synthesized)
    from course_lib.plots.features import (draw_frame_matrix, draw_log_mel,
                                           plot_conditions, plot_mfcc_settings,
                                           plot_room_and_noise)
    from course_lib.plots.hmm import (draw_duration_fit, draw_trellis, plot_forced_alignment,
                                      plot_self_loop_effect, plot_trellis)
    from course_lib.plots.mismatches import (draw_token_rows, plot_alignments, plot_token_rows,
                                             plot_utterance)
    from course_lib.plots.pipelines import (draw_first_audio, plot_duplex_timeline,
                                            plot_first_audio, plot_what_survives)
    from course_lib.plots.rvq import (plot_level_spectrograms, plot_probe_accuracy,
                                      plot_rate_distortion)
    from course_lib.plots.serialize import (draw_generation_order, draw_training_context,
                                            plot_generation_orders, plot_generator_bake_off,
                                            plot_serialization, plot_training_contexts)
    from course_lib.plots.systems import draw_budget_curves, plot_budgets
    from course_lib.plots.tokens import draw_unit_row, plot_unit_purity, plot_unit_rows
    from course_lib.plots.voice import draw_spikes, plot_recording
