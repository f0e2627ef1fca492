"""Interactive explorers: thin ipywidgets layers over the figures of ``course_lib.plots``, one
module per notebook topic (the same names as ``course_lib.plots``).

============== ======== ======================================
module         notebook explorer
============== ======== ======================================
``mismatches`` 00       ``rate_explorer``
``voice``      00       ``voice_explorer`` (a microphone recorder)
``features``   01       ``mfcc_explorer``, ``room_and_noise_explorer``
``hmm``        02       ``self_loop_explorer``
``ctc``        03       ``ctc_explorer``
``alignment``  04       ``alignment_explorer``
``tokens``     05       ``unit_explorer``
``rvq``        06       ``codec_level_explorer``
``continuous`` 07       ``snap_explorer``
``adapters``   08       ``adapter_explorer``
``pipelines``  09       ``latency_explorer``
``serialize``  10       ``serialization_explorer``
``systems``    11       ``budget_explorer``
============== ======== ======================================

Each explorer only maps sliders to the keyword arguments of a function that returns a figure;
the tests call those functions directly, and drive the sliders through ``widget.children``.
Every explorer is importable from here (``from course_lib.widgets import rate_explorer``); the
modules load on first use, so notebook 00's explorer loads no torch.

The first explorer is :func:`rate_explorer`, in notebook 00, section "Explore the rate mismatch";
each module's docstring names the section of its explorer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_MODULE_OF = {
    "adapter_explorer": "adapters", "adapter_view": "adapters",
    "rate_explorer": "mismatches", "mfcc_explorer": "features",
    "room_and_noise_explorer": "features",
    "self_loop_explorer": "hmm", "ctc_explorer": "ctc", "alignment_explorer": "alignment",
    "unit_explorer": "tokens", "codec_level_explorer": "rvq", "snap_explorer": "continuous",
    "voice_explorer": "voice", "VoiceExplorer": "voice", "MicrophoneRecorder": "voice",
    "serialization_explorer": "serialize",
    "latency_explorer": "pipelines", "latency_view": "pipelines",
    "budget_explorer": "systems", "budget_view": "systems",
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
    from course_lib.widgets.adapters import adapter_explorer, adapter_view
    from course_lib.widgets.alignment import alignment_explorer
    from course_lib.widgets.continuous import snap_explorer
    from course_lib.widgets.ctc import ctc_explorer
    from course_lib.widgets.features import mfcc_explorer, room_and_noise_explorer
    from course_lib.widgets.hmm import self_loop_explorer
    from course_lib.widgets.mismatches import rate_explorer
    from course_lib.widgets.pipelines import latency_explorer, latency_view
    from course_lib.widgets.rvq import codec_level_explorer
    from course_lib.widgets.serialize import serialization_explorer
    from course_lib.widgets.systems import budget_explorer, budget_view
    from course_lib.widgets.tokens import unit_explorer
    from course_lib.widgets.voice import MicrophoneRecorder, VoiceExplorer, voice_explorer
