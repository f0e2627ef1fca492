"""The figure of notebook 00's "Your own voice": a recording's spectrogram, the phones the
recognizer hears in it (each at its CTC spike) and, given the sentence, eSpeak's phones for it
placed in time by the aligner. Imports no torch (the analysis it draws does the model work).

Explained in notebook 00, section "Your own voice".
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure

from course_lib import validate
from course_lib.plots.common import draw_phones, draw_spectrogram, name_row
from course_lib.voice import RecordingAnalysis, transcription_line

SPIKE_COLOR = "#c44e52"


def draw_spikes(ax, times, labels) -> None:
    """Each label in ``labels`` written at its time in ``times`` (seconds, (n_labels,)) with a
    thin vertical line: a recognizer's phones at their CTC spikes, on an axis with no y scale.

    Explained in notebook 00, section "Your own voice".
    """
    for time, label in zip(times, labels):
        ax.axvline(time, color=SPIKE_COLOR, lw=0.8, alpha=0.5)
        ax.text(time, 0.5, label, ha="center", va="center", fontsize=10)
    ax.set_yticks([])


def plot_recording(analysis: RecordingAnalysis, title: str = "your recording") -> Figure:
    """Spectrogram of the recording, the recognizer's phones at their CTC spikes, and (given
    the sentence) the aligner's phones, on one time axis; the transcription line above.

    ``analysis`` comes from :func:`course_lib.voice.analyze_recording`. Three rows::

        spectrogram   (frequency against time)
        recognizer    phones at their spikes
        aligner       eSpeak's phones for the sentence, as spans (or why there are none)

    Explained in notebook 00, section "Your own voice".
    """
    if not isinstance(analysis, RecordingAnalysis):
        raise TypeError(f"analysis must be a RecordingAnalysis (from analyze_recording), got "
                        f"{validate.describe(analysis)}")
    title = validate.text(title, "title", non_empty=False)
    figure = Figure(figsize=(11, 5.4), layout="constrained")
    spectrum_ax, recognized_ax, aligned_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2.4, 0.6, 0.7]))
    draw_spectrogram(spectrum_ax, analysis.waveform, analysis.sample_rate)
    spectrum_ax.set_ylabel("frequency (Hz)")
    header = f"{title}: {analysis.duration:.1f} s"
    if analysis.text:
        header += f' of "{analysis.text}"'
    spectrum_ax.set_title(header, loc="left")

    draw_spikes(recognized_ax, analysis.spike_times, analysis.recognized)
    name_row(recognized_ax, "recognizer\n(CTC spikes)")
    if analysis.aligned:
        draw_phones(aligned_ax, analysis.aligned)
    else:
        message = analysis.note or "type the sentence you said to see the aligner's phones"
        aligned_ax.text(0.5, 0.5, message, transform=aligned_ax.transAxes, ha="center",
                        va="center", color="#555555")
        aligned_ax.set_yticks([])
    name_row(aligned_ax, "aligner\n(your sentence)")
    aligned_ax.set_xlabel("time (s)")
    aligned_ax.set_xlim(0, analysis.duration)
    figure.suptitle("\n".join(textwrap.wrap(transcription_line(analysis), 130)), fontsize=9,
                    x=0.01, ha="left")
    return figure
