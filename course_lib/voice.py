"""Your own voice: what the course's two speech models make of one recording.

:func:`analyze_recording` takes any mono waveform and its sample rate, and optionally the
sentence that was said, and returns a :class:`RecordingAnalysis`: the recognizer's greedy phones
(notebook 03) with the time of each one's CTC spike, and, given the sentence, eSpeak NG's phones
for it forced-aligned to the recording by the HMM aligner (notebook 02)::

    time (s)     0.0       0.5       1.0
    recognizer         h    i    t   ɜː    (each phone at its CTC spike)
    aligner      |sil| h |iː | t  | ɜː |   (eSpeak's phones for the text, placed in time)

The figure is ``course_lib.plots.plot_recording`` and the microphone recorder
``course_lib.widgets.voice_explorer``.

The honest caveat: both models were trained only on eSpeak NG's synthesized voices. On human
speech they do much worse: on the CMU ARCTIC recording in ``data/real-speech`` the recognizer
gets most of the phones wrong (notebook 00 measures it). Read the result as what a model trained
on one synthesizer makes of a new voice, not as a transcription.

Explained in notebook 00, section "Your own voice".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course_lib import validate
from course_lib.aligner import STATES_PER_PHONE, aligner_features, load_phone_aligner
from course_lib.ctc import BLANK, ctc_segments
from course_lib.data import REAL_SPEECH_DIR, check_audible  # noqa: F401 (notebook 00)
from course_lib.features import SAMPLE_RATE, frame_times, prepare_waveform
from course_lib.metrics import phone_error_rate
from course_lib.phones import indices_to_phones
from course_lib.synth import Phone, synthesize

MIN_SECONDS = 0.25  # shorter than this holds too few frames for either model
CAVEAT = ("These models learned from eSpeak's synthesized voices only; on human speech they do "
          "much worse (most of the phones wrong on a CMU ARCTIC recording).")


@dataclass(frozen=True, eq=False)
class RecordingAnalysis:
    """What the course's models make of one recording (see :func:`analyze_recording`).

    Attributes:
        waveform: the recording at 16 kHz, float32, shape (n_samples,).
        recognized: the recognizer's greedy transcription, phone labels.
        spike_times: time in seconds of the CTC spike of each recognized phone, (n_recognized,).
        text: the sentence typed by the learner ('' if none).
        expected: eSpeak NG's phones for ``text`` (empty without text).
        aligned: ``expected`` forced-aligned to the recording (empty without text, or when the
            aligner cannot align it; ``note`` then says why).
        phone_error_rate: edit distance between ``expected`` and ``recognized`` divided by the
            number of expected phones (``metrics.phone_error_rate``); ``None`` without text.
        note: why there is no alignment, or ''.

    Explained in notebook 00, section "Your own voice".
    """

    waveform: np.ndarray
    recognized: list[str]
    spike_times: np.ndarray
    text: str = ""
    expected: tuple[str, ...] = ()
    aligned: tuple[Phone, ...] = ()
    phone_error_rate: float | None = None
    note: str = ""

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.waveform) / SAMPLE_RATE


@lru_cache(maxsize=1)
def _models():
    """The shipped recognizer and aligner, loaded once per process (torch only from here)."""
    from course_lib.recognizer import load_recognizer
    return load_recognizer(), load_phone_aligner()


def to_model_rate(waveform, sample_rate: int) -> np.ndarray:
    """Check a recording and resample it to the models' 16 kHz: float32, shape (n_samples,).

    ``features.prepare_waveform`` checks and resamples; on top, a learner's recording must last
    at least :data:`MIN_SECONDS` and not be silent (``data.check_audible``).

    Raises:
        TypeError: if ``sample_rate`` is not an integer, or ``waveform`` not an array of numbers.
        ValueError: if ``sample_rate`` is outside 1,000-192,000 Hz, or the waveform is not 1-D,
            holds non-finite values, lasts under 0.25 s or is silent.

    Explained in notebook 00, section "Your own voice".
    """
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1_000, maximum=192_000)
    samples = prepare_waveform(waveform, sample_rate, min_samples=round(MIN_SECONDS * SAMPLE_RATE))
    return check_audible(samples, "waveform")


def recognize(waveform_16k: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Greedy CTC phones of a 16 kHz waveform (n_samples,) and the time (s) of each one's spike.

    The spike of a phone is the middle of the run of frames in which the greedy path (the
    most likely label of each frame) emits it; frame ``i`` of the recognizer (50 per second,
    centred) sits at ``features.frame_times(..., hop_length=320, center=True)[i]``. Returns
    ``(labels, times)``, ``times`` of shape (n_labels,).

    Explained in notebook 00, section "Your own voice" (the spikes: notebook 03, section
    "A small CTC phone recognizer").
    """
    from course_lib.recognizer import FRAMES_PER_SECOND
    recognizer, _ = _models()
    _, log_probs = recognizer.encode(waveform_16k)
    centres = frame_times(len(log_probs), hop_length=SAMPLE_RATE // FRAMES_PER_SECOND,
                          center=True)
    runs = [(symbol, start, end) for symbol, start, end in ctc_segments(log_probs)
            if symbol != BLANK]
    labels = indices_to_phones([symbol for symbol, _, _ in runs])
    times = np.array([(centres[start] + centres[end - 1]) / 2 for _, start, end in runs],
                     dtype=float)
    return labels, times


def align_text(waveform_16k: np.ndarray, text: str) -> tuple[tuple[str, ...], tuple[Phone, ...],
                                                              str]:
    """eSpeak's phones for ``text`` and their forced alignment to the 16 kHz waveform.

    Returns ``(expected, aligned, note)``; ``aligned`` is empty and ``note`` says why when the
    aligner has no model for some phone or the recording is too short for that many phones.

    Explained in notebook 00, section "Your own voice" (the aligner: notebook 02).
    """
    _, aligner = _models()
    expected = tuple(synthesize(text).phone_labels)
    unknown = sorted(set(expected) - set(aligner.phones))
    if unknown:
        return expected, (), f"the aligner has no model of the phones {unknown}"
    n_frames = len(aligner_features(waveform_16k))
    if n_frames < STATES_PER_PHONE * len(expected):
        return expected, (), (f"{len(expected)} phones need at least "
                              f"{STATES_PER_PHONE * len(expected)} frames of 10 ms; the "
                              f"recording has {n_frames}")
    return expected, tuple(aligner.align(waveform_16k, list(expected))), ""


def analyze_recording(waveform, sample_rate: int, text: str = "") -> RecordingAnalysis:
    """Run a recording through the course's recognizer and, given its sentence, the aligner.

    Args:
        waveform: mono samples at ``sample_rate``, shape (n_samples,), at least 0.25 s.
        sample_rate: of ``waveform`` in Hz (a browser records at 44,100 or 48,000); the models
            get it resampled to 16 kHz.
        text: what was said, in English words ('' to skip the alignment). eSpeak NG turns it
            into the phones that the aligner places in time.

    Returns:
        A :class:`RecordingAnalysis`. The same arguments always give the same result.

    Explained in notebook 00, section "Your own voice".
    """
    text = validate.text(text, "text", non_empty=False).strip()
    waveform_16k = to_model_rate(waveform, sample_rate)
    recognized, spike_times = recognize(waveform_16k)
    if not text:
        return RecordingAnalysis(waveform_16k, recognized, spike_times)
    expected, aligned, note = align_text(waveform_16k, text)
    error_rate = phone_error_rate([expected], [recognized])
    return RecordingAnalysis(waveform_16k, recognized, spike_times, text, expected, aligned,
                             error_rate, note)


def transcription_line(analysis: RecordingAnalysis) -> str:
    """One line of text: the recognized phones, and the error rate against eSpeak's phones.

    Explained in notebook 00, section "Your own voice".
    """
    if not isinstance(analysis, RecordingAnalysis):
        raise TypeError(f"analysis must be a RecordingAnalysis (from analyze_recording), got "
                        f"{validate.describe(analysis)}")
    line = "recognized phones: " + (" ".join(analysis.recognized) or "(none)")
    if analysis.phone_error_rate is not None:
        line += (f"  |  eSpeak says: {' '.join(analysis.expected)}  |  phone error rate "
                 f"{analysis.phone_error_rate:.0%}")
    return line
