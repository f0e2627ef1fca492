"""Interactive explorers: thin ipywidgets layers over pure functions of ``course_lib``.

Each explorer only maps sliders to the keyword arguments of a function that returns a figure;
the tests call those functions directly, and drive the sliders through ``widget.children``.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots import plot_token_rows
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
    from course_lib.plots import plot_mfcc_settings

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
    from course_lib.plots import plot_self_loop_effect

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

from course_lib.plots import plot_ctc_posteriors  # noqa: E402 (kept in this section)


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

from course_lib.plots import plot_three_alignments  # noqa: E402 (kept in this section)


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
