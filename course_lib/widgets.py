"""Interactive explorers: thin ipywidgets layers over pure functions of ``course_lib``.

Each explorer only maps sliders to the keyword arguments of a function that returns a figure;
the tests call those functions directly, and drive the sliders through ``widget.children``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.plots import (plot_ctc_posteriors, plot_level_spectrograms, plot_mfcc_settings,
                              plot_self_loop_effect, plot_snap_vs_project, plot_three_alignments,
                              plot_token_rows, plot_unit_rows)
from course_lib.quantize import deduplicate
from course_lib.synth import Utterance


def rate_explorer(utterance: Utterance) -> widgets.interactive:
    """Sliders over :func:`course_lib.plots.plot_token_rows` for one utterance (notebook 00).

    Children, in order: duration (s), encoder frame rate, pooling factor, Q-Former queries,
    codec levels, codec frame rate; the last child shows the figure.
    """
    def draw(duration_s, frames_per_second, pool_factor, n_queries, n_codebooks,
             codec_frames_per_second):
        return plot_token_rows(
            utterance.text, utterance.phones, duration_s,
            frames_per_second=frames_per_second, pool_factor=pool_factor, n_queries=n_queries,
            n_codebooks=n_codebooks, codec_frames_per_second=codec_frames_per_second,
        )

    style = dict(continuous_update=False, style={"description_width": "150px"},
                 layout=widgets.Layout(width="480px"))
    return widgets.interactive(
        draw,
        {"auto_display": True},  # show the returned figure (interactive only stores it otherwise)
        duration_s=widgets.FloatSlider(value=5.0, min=0.5, max=30.0, step=0.5,
                                       description="duration (s)", **style),
        frames_per_second=widgets.SelectionSlider(options=[12.5, 25, 50, 75, 100], value=50,
                                                  description="encoder frames/s", **style),
        pool_factor=widgets.IntSlider(value=5, min=1, max=10, description="pooling factor k",
                                      **style),
        n_queries=widgets.IntSlider(value=32, min=1, max=64, description="Q-Former queries",
                                    **style),
        n_codebooks=widgets.IntSlider(value=4, min=1, max=8, description="codec levels",
                                      **style),
        codec_frames_per_second=widgets.SelectionSlider(options=[12.5, 25, 50, 75], value=25,
                                                        description="codec frames/s", **style),
    )


# --- notebook 01: classical features ---

def mfcc_explorer(utterance: Utterance) -> widgets.interactive:
    """Sliders over :func:`course_lib.plots.plot_mfcc_settings` for one utterance (notebook 01).

    Children, in order: window (ms), hop (ms), mel bands, MFCCs; the last child shows the figure.
    """

    def draw(window_ms, hop_ms, n_mels, n_mfcc):
        return plot_mfcc_settings(utterance.waveform, utterance.sample_rate, window_ms, hop_ms,
                                  n_mels, n_mfcc)

    style = dict(continuous_update=False, style={"description_width": "120px"},
                 layout=widgets.Layout(width="420px"))
    return widgets.interactive(
        draw,
        {"auto_display": True},
        window_ms=widgets.FloatSlider(value=25.0, min=5.0, max=100.0, step=5.0,
                                      description="window (ms)", **style),
        hop_ms=widgets.FloatSlider(value=10.0, min=5.0, max=50.0, step=5.0,
                                   description="hop (ms)", **style),
        n_mels=widgets.IntSlider(value=40, min=8, max=80, description="mel bands", **style),
        n_mfcc=widgets.IntSlider(value=13, min=1, max=40,
                                 description="MFCCs (<= bands)", **style),
    )


# --- notebook 02: HMM alignment ---

def self_loop_explorer(aligner, utterance: Utterance, real_phone_frames) -> widgets.interactive:
    """A self-loop slider over :func:`course_lib.plots.plot_self_loop_effect` (notebook 02).

    The figure shows the phone durations the self-loop implies against ``real_phone_frames``,
    and the phones that ``aligner.decode_phone_loop`` (a
    :class:`course_lib.aligner.PhoneAligner`) finds in ``utterance`` with that self-loop.
    Children: the self-loop slider, then the output.
    """

    def draw(self_loop):
        decoded = aligner.decode_phone_loop(utterance.waveform, self_loop, utterance.sample_rate)
        return plot_self_loop_effect(self_loop, real_phone_frames, utterance, decoded)

    return widgets.interactive(
        draw,
        {"auto_display": True},
        self_loop=widgets.FloatSlider(value=0.6, min=0.05, max=0.95, step=0.05,
                                      description="self-loop", continuous_update=False,
                                      style={"description_width": "80px"},
                                      layout=widgets.Layout(width="420px")),
    )


# --- notebook 03: CTC ---



def ctc_explorer(utterances: list[Utterance], log_probs: list, label_names,
                 aligned_paths: list | None = None) -> widgets.interactive:
    """A slider over utterances showing :func:`course_lib.plots.plot_ctc_posteriors` for each
    (notebook 03). ``log_probs`` (and ``aligned_paths`` if given) are precomputed, one per
    utterance, so the figure redraws at once. Children: utterance index, then the output."""
    if len(log_probs) != len(utterances):
        raise ValueError(f"log_probs must hold one array per utterance: got {len(log_probs)} "
                         f"for {len(utterances)} utterances")

    def draw(index):
        path = None if aligned_paths is None else aligned_paths[index]
        return plot_ctc_posteriors(utterances[index], log_probs[index], label_names,
                                   aligned_path=path)

    return widgets.interactive(
        draw, {"auto_display": True},
        index=widgets.IntSlider(value=0, min=0, max=len(utterances) - 1,
                                description="utterance", continuous_update=False),
    )


# --- notebook 04: three alignment mechanisms ---



def alignment_explorer(utterances: list[Utterance], hmm_phone_of_frame: list,
                       ctc_spike_frames: list, attention_weights: list) -> widgets.interactive:
    """A slider over utterances showing :func:`course_lib.plots.plot_three_alignments`, from
    alignments precomputed per utterance (notebook 04). Children: utterance index, output."""
    if not len(utterances) == len(hmm_phone_of_frame) == len(ctc_spike_frames) == len(
            attention_weights):
        raise ValueError("give one HMM path, CTC spike list and attention matrix per utterance")

    def draw(index):
        return plot_three_alignments(utterances[index], hmm_phone_of_frame[index],
                                     ctc_spike_frames[index], attention_weights[index])

    return widgets.interactive(
        draw, {"auto_display": True},
        index=widgets.IntSlider(value=0, min=0, max=len(utterances) - 1,
                                description="utterance", continuous_update=False),
    )


# --- notebook 05: discrete tokens ---

def unit_explorer(phones, units_by_k: dict[int, np.ndarray], frames_per_second: float
                  ) -> widgets.interactive:
    """A slider over precomputed k-means units of one utterance (notebook 05).

    ``units_by_k`` maps k to the ``(n_frames,)`` units; the figure is
    :func:`course_lib.plots.plot_unit_rows` with the units before and after run-length
    de-duplication counted in the title. Children: the k slider, then the output.
    """

    def draw(k):
        units = units_by_k[k]
        title = (f"k = {k}: {len(units)} frames -> {len(deduplicate(units))} units after "
                 "removing repeats")
        return plot_unit_rows(phones, {f"units (k={k})": units}, frames_per_second, title)

    return widgets.interactive(
        draw, {"auto_display": True},
        k=widgets.SelectionSlider(options=sorted(units_by_k), value=sorted(units_by_k)[0],
                                  description="units k", continuous_update=False),
    )


# --- notebook 06: residual vector quantization ---

def codec_level_explorer(original: np.ndarray, decoded_by_levels: dict[int, np.ndarray],
                         sample_rate: int = 16_000) -> widgets.interactive:
    """A slider over precomputed codec reconstructions with 1..N levels (notebook 06).

    Shows :func:`course_lib.plots.plot_level_spectrograms` of the original and the decoding
    with the chosen number of levels. Children: the levels slider, then the output.
    """

    def draw(n_levels):
        return plot_level_spectrograms(
            {"original": original, f"{n_levels} level{'s' * (n_levels > 1)}":
             decoded_by_levels[n_levels]}, sample_rate)

    return widgets.interactive(
        draw, {"auto_display": True},
        n_levels=widgets.SelectionSlider(options=sorted(decoded_by_levels),
                                         value=sorted(decoded_by_levels)[0],
                                         description="RVQ levels", continuous_update=False),
    )


# --- notebook 07: discrete vs continuous ---

def snap_explorer(points: np.ndarray, codebooks_by_size: dict[int, np.ndarray],
                  projection: np.ndarray) -> widgets.interactive:
    """A slider over codebook sizes for :func:`course_lib.plots.plot_snap_vs_project`
    (notebook 07). Children: the codebook-size slider, then the output."""

    def draw(codebook_size):
        return plot_snap_vs_project(points, codebooks_by_size[codebook_size], projection)

    return widgets.interactive(
        draw, {"auto_display": True},
        codebook_size=widgets.SelectionSlider(options=sorted(codebooks_by_size),
                                              value=sorted(codebooks_by_size)[0],
                                              description="codewords", continuous_update=False),
    )
