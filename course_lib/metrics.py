"""Every score the course reports, in one place.

* sequences: :func:`edit_distance` and :func:`phone_error_rate`
  (notebook 03, section "Phone error rate on the test split");
* alignments: :func:`boundary_errors` (notebook 02, section "Scored against the truth"), and
  for alignments whose phones differ a little :func:`edit_alignment` and
  :func:`matched_boundary_errors` (notebook 03, section "Human speech: what transfers");
* small samples: :func:`wilson_interval`, an interval for an error rate measured on a few
  dozen phones (same section);
* audio: :func:`snr_db`, :func:`log_mel_distance` and :func:`stoi`
  (notebook 06, section "Measure, level by level", which reports the first two);
* what a spoken reply keeps of its prompt: :func:`speech_span`, :func:`words_per_minute`
  and :func:`median_pitch` (notebook 09, section "What survives the text boundary");
* discrete units against phones: :func:`purity` and
  :func:`phone_normalized_mutual_information` (notebook 05, section "How pure are the units?").

Notebooks may derive a score by hand to teach it, then check it against the function here;
modules (``recognizer``, ``aligner``, ``codec``) score only through this module. Each function
is tested in ``tests/test_metrics.py`` against an independent reference.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib import features, validate


# --- sequences -------------------------------------------------------------------------------

def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions that turn
    ``hypothesis`` into ``reference`` (two sequences of labels or integers).

    Dynamic programming over the table ``D[i][j]`` = distance between the first i reference and
    the first j hypothesis symbols::

                  ""  k  æ  t     <- hypothesis
            ""     0  1  2  3
            k      1  0  1  2
            æ      2  1  0  1     D[i][j] = min(D[i-1][j] + 1, D[i][j-1] + 1,
            d      3  2  1  1                   D[i-1][j-1] + (ref_i != hyp_j))

    Explained in notebook 03, section "Phone error rate on the test split".
    """
    reference, hypothesis = _sequence(reference, "reference"), _sequence(hypothesis, "hypothesis")
    return _edit_table(reference, hypothesis)[-1][-1]


def _edit_table(reference: list, hypothesis: list) -> list[list[int]]:
    """The whole table ``D`` of :func:`edit_distance` as rows: ``len(reference) + 1`` lists of
    ``len(hypothesis) + 1`` ints (plain lists: far faster than NumPy element by element)."""
    table = [list(range(len(hypothesis) + 1))]
    for i, ref in enumerate(reference, start=1):
        previous, current = table[-1], [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref != hyp)))
        table.append(current)
    return table


def phone_error_rate(references, hypotheses) -> float:
    """Summed edit distances divided by the number of reference phones.

    Args:
        references: one sequence of true labels per utterance (pauses included if scored).
        hypotheses: one sequence of recognized labels per utterance, in the same order.

    Returns:
        The error rate (0 is perfect; it can exceed 1 when the hypotheses insert a lot).
        Explained in notebook 03, section "Phone error rate on the test split".
    """
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(f"hypotheses must hold one sequence per reference ({len(references)}),"
                         f" got {len(hypotheses)}")
    n_phones = sum(len(_sequence(r, "references")) for r in references)
    if n_phones == 0:
        raise ValueError("references must hold at least one phone, got none")
    return sum(edit_distance(r, h) for r, h in zip(references, hypotheses)) / n_phones


def character_error_rate(references, hypotheses) -> float:
    """Summed character edit distances over the number of reference characters (spaces
    count): the content score of the audio-LLM's transcripts.

    ``references`` and ``hypotheses`` are lists of strings, one per utterance, compared as
    given (normalize them first, e.g. with ``lm.normalize``).
    Explained in notebook 08, section "The bake-off".
    """
    references, hypotheses = _strings(references, "references"), _strings(hypotheses,
                                                                           "hypotheses")
    return phone_error_rate([list(r) for r in references], [list(h) for h in _paired(
        references, hypotheses)])


def word_error_rate(references, hypotheses) -> float:
    """Summed word edit distances (words split at white space) over the number of reference
    words. Explained in notebook 08, section "The bake-off"."""
    references, hypotheses = _strings(references, "references"), _strings(hypotheses,
                                                                           "hypotheses")
    return phone_error_rate([r.split() for r in references], [h.split() for h in _paired(
        references, hypotheses)])


def _strings(value, name: str) -> list[str]:
    if isinstance(value, str) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of strings (one per utterance), got "
                        f"{validate.describe(value)}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a list of strings (one per utterance), got an item "
                            f"{validate.describe(item)}")
    return list(value)


def _paired(references: list[str], hypotheses: list[str]) -> list[str]:
    if len(references) != len(hypotheses):
        raise ValueError(f"hypotheses must hold one string per reference ({len(references)}), "
                         f"got {len(hypotheses)}")
    return hypotheses


def _sequence(value, name: str) -> list:
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of labels (a list, not a single string), "
                        f"got {validate.describe(value)}")
    if hasattr(value, "tolist"):
        value = value.tolist()
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of labels, got "
                        f"{validate.describe(value)}") from None
    if any(isinstance(item, (list, tuple, np.ndarray)) for item in items):
        raise ValueError(f"{name} must be a 1-D sequence of labels, got nested sequences in "
                         f"{validate.describe(value)}")
    return items


# --- alignments ------------------------------------------------------------------------------

def boundary_errors(predicted, reference) -> np.ndarray:
    """Absolute error in seconds of every boundary between two phones, shape (n_phones - 1,).

    Both alignments are sequences of :class:`course_lib.synth.Phone` holding the same labels in
    the same order; the boundary before phone i is its ``start``.
    Explained in notebook 02, section "Scored against the truth".
    """
    if [p.label for p in predicted] != [p.label for p in reference]:
        raise ValueError("predicted and reference must hold the same phones in the same order")
    return np.abs(np.array([p.start for p in predicted[1:]], dtype=np.float64)
                  - np.array([p.start for p in reference[1:]], dtype=np.float64))


# --- audio -----------------------------------------------------------------------------------

def _audio_pair(reference, estimate) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 1-D arrays; the estimate, at least as long, cut to the reference."""
    reference = validate.waveform(reference, "reference", min_samples=1)
    estimate = validate.waveform(estimate, "estimate", min_samples=1)
    if len(estimate) < len(reference):
        raise ValueError(f"estimate must be at least as long as reference ({len(reference)} "
                         f"samples), got {len(estimate)}")
    return reference, estimate[: len(reference)]


def snr_db(reference, estimate) -> float:
    """Signal-to-noise ratio ``10 log10(|x|^2 / |x - y|^2)`` in dB over the reference's length.

    ``estimate`` may be longer (a decoder's padding); its tail is ignored.
    Explained in notebook 06, section "Measure, level by level".
    """
    reference, estimate = _audio_pair(reference, estimate)
    if not np.any(reference):
        raise ValueError("reference must not be all zeros (its energy is the signal of the SNR)")
    error = reference - estimate
    return float(10 * np.log10((reference ** 2).sum() / max((error ** 2).sum(), 1e-20)))


LOG_MEL_BANDS = 64
_LOG_MEL_FLOOR = 1e-5


def log_mel_distance(reference, estimate, sample_rate: int = features.SAMPLE_RATE) -> float:
    """Mean absolute difference of log10 mel spectrograms (25 ms / 10 ms, 64 bands), in bels.

    0 for identical audio; 1 means the mel energies are off by a factor of ten on average.
    The spectrograms are ``features.log_mel_spectrogram_torch`` (centred, floor 1e-5).
    Explained in notebook 06, section "Measure, level by level".
    """
    import torch

    reference, estimate = _audio_pair(reference, estimate)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    n_fft, hop = features.ms_to_samples(25, sample_rate), features.ms_to_samples(10, sample_rate)
    if len(reference) <= n_fft // 2:
        raise ValueError(f"reference must be longer than {n_fft // 2} samples (half a 25 ms "
                         f"window), got {len(reference)}")
    pair = torch.from_numpy(np.stack([reference, estimate]).astype(np.float32))
    log_mels = features.log_mel_spectrogram_torch(pair, sample_rate=sample_rate, n_fft=n_fft,
                                                  hop_length=hop, n_mels=LOG_MEL_BANDS,
                                                  floor=_LOG_MEL_FLOOR)
    return float((log_mels[0] - log_mels[1]).abs().mean()) / math.log(10)


def stoi(reference, estimate, sample_rate: int = features.SAMPLE_RATE) -> float:
    """Short-Time Objective Intelligibility (Taal et al. 2011), via ``pystoi``: roughly 0 to 1,
    higher is more intelligible; it looks at band envelopes, so a wrong phase costs little.

    No notebook computes it yet; it belongs beside the SNR and log-mel distance of
    notebook 06, section "Measure, level by level".
    """
    from pystoi import stoi as pystoi_stoi

    reference, estimate = _audio_pair(reference, estimate)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    return float(pystoi_stoi(reference, estimate, sample_rate, extended=False))


# --- what a spoken reply keeps of its prompt ------------------------------------------------

SPEECH_TOP_DB = 35.0  # frames within this many dB of the loudest frame count as speech


def speech_span(waveform, sample_rate: int = features.SAMPLE_RATE) -> tuple[float, float]:
    """Start and end in seconds of the speech in ``waveform``: from the first to the last
    25 ms frame (10 ms hop) whose RMS is within :data:`SPEECH_TOP_DB` dB of the loudest one,
    as ``librosa.effects.trim`` finds it.
    Explained in notebook 09, section "What survives the text boundary"."""
    waveform = validate.waveform(waveform, "waveform")
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    n_fft, hop = features.ms_to_samples(25, sample_rate), features.ms_to_samples(10, sample_rate)
    padded = np.pad(waveform.astype(np.float64), n_fft // 2)   # frames centred on i * hop
    frames = features.frame_signal(padded, n_fft, hop)
    level_db = 20 * np.log10(np.maximum(np.sqrt((frames ** 2).mean(axis=1)), 1e-10))
    loud = np.flatnonzero(level_db > level_db.max() - SPEECH_TOP_DB)
    return (float(loud[0] * hop / sample_rate),
            float(min((loud[-1] + 1) * hop, len(waveform)) / sample_rate))


def words_per_minute(waveform, n_words: int, sample_rate: int = features.SAMPLE_RATE) -> float:
    """Speaking rate: ``n_words`` over the duration of :func:`speech_span`, per minute.
    Explained in notebook 09, section "What survives the text boundary"."""
    n_words = validate.integer(n_words, "n_words", minimum=1)
    start, end = speech_span(waveform, sample_rate)
    return 60.0 * n_words / max(end - start, 1e-3)


def median_pitch(waveform, sample_rate: int = features.SAMPLE_RATE) -> float:
    """Median fundamental frequency in Hz of the speech frames of ``waveform``: YIN
    (``librosa.yin``, 60-500 Hz, 64 ms frames) on the frames :func:`speech_span` keeps.
    Explained in notebook 09, section "What survives the text boundary"."""
    import librosa

    waveform = validate.waveform(waveform, "waveform")
    start, end = speech_span(waveform, sample_rate)
    speech = waveform[int(start * sample_rate):int(end * sample_rate)]
    frame_length = 2 ** int(np.ceil(np.log2(0.064 * sample_rate)))
    if len(speech) < frame_length:
        raise ValueError(f"waveform must hold at least {frame_length / sample_rate:.3f} s of "
                         f"speech, got {len(speech) / sample_rate:.3f} s")
    f0 = librosa.yin(speech.astype(np.float64), fmin=60, fmax=500, sr=sample_rate,
                     frame_length=frame_length)
    return float(np.median(f0))


# --- discrete units against phones -----------------------------------------------------------

def purity(units, phones) -> float:
    """Share of frames whose phone is the most common phone of their unit (1 = pure units).

    ``units`` and ``phones``: one entry per frame, shape (n_frames,).
    Explained in notebook 05, section "How pure are the units?".
    """
    table = _contingency(units, phones)
    return float(table.max(axis=1).sum() / table.sum())


def phone_normalized_mutual_information(units, phones) -> float:
    """PNMI = I(phone; unit) / H(phone): the share of phone uncertainty a unit removes (0 to 1).

    The measure HuBERT reports for its units, from the joint counts (a contingency table,
    units down, phones across)::

                 phone: sil   k   æ
            unit 0  [  12   0   1 ]      joint = table / n_frames
            unit 1  [   0   5   0 ]      I = sum joint * log(joint / (p_unit p_phone))
            unit 2  [   1   0   9 ]

    0 when every phone is equally likely in every unit (or there is one phone).
    Explained in notebook 05, section "How pure are the units?".
    """
    table = _contingency(units, phones)
    joint = table / table.sum()
    p_unit, p_phone = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nonzero = joint > 0
    mutual = float((joint[nonzero] * (np.log(joint[nonzero])
                                      - np.log((p_unit @ p_phone)[nonzero]))).sum())
    p = p_phone[p_phone > 0]
    entropy = float(-(p * np.log(p)).sum())
    return mutual / entropy if entropy > 0 else 0.0


def _contingency(units, phones) -> np.ndarray:
    units, phones = np.asarray(units), np.asarray(phones)
    if units.ndim != 1 or units.shape != phones.shape or len(units) == 0:
        raise ValueError(f"units and phones must be 1-D of the same non-zero length, "
                         f"got {units.shape} and {phones.shape}")
    for name, values in (("units", units), ("phones", phones)):
        if values.dtype.kind not in "iubUSf":
            raise TypeError(f"{name} must hold integers or string labels, got "
                            f"{validate.describe(values)}")
        if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must hold finite values, got {validate.describe(values)}")
    _, unit_ids = np.unique(units, return_inverse=True)
    _, phone_ids = np.unique(phones, return_inverse=True)
    table = np.zeros((unit_ids.max() + 1, phone_ids.max() + 1))
    np.add.at(table, (unit_ids, phone_ids), 1)
    return table


# --- alignments whose phones differ a little, and small samples ------------------------------

def edit_alignment(reference, hypothesis) -> list[tuple[int, int]]:
    """The pairs ``(i, j)`` with ``reference[i] == hypothesis[j]`` that one cheapest edit
    script keeps unchanged, in increasing order of both indices.

    The table is :func:`edit_distance`'s; the trace back from its last cell prefers a match,
    then a substitution, then a deletion (a reference symbol dropped), then an insertion::

        reference    sil  h  iː  t  ɜː  n        pairs: (0,0) (1,1) (3,2) (4,3) (5,4)
        hypothesis   sil  h      t  ɜː  n        (iː was deleted)

    The number of substitutions, deletions and insertions around the pairs is
    :func:`edit_distance`. Explained in notebook 03, section "Human speech: what transfers".
    """
    reference, hypothesis = _sequence(reference, "reference"), _sequence(hypothesis, "hypothesis")
    table = _edit_table(reference, hypothesis)
    pairs, i, j = [], len(reference), len(hypothesis)
    while i > 0 and j > 0:
        same = reference[i - 1] == hypothesis[j - 1]
        if table[i][j] == table[i - 1][j - 1] + (not same):
            if same:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i][j] == table[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def matched_boundary_errors(predicted, reference) -> np.ndarray:
    """Absolute errors in seconds of the boundaries that two alignments with slightly
    different phones share, shape (n_matched_boundaries,).

    ``predicted`` and ``reference`` are sequences of :class:`course_lib.synth.Phone`; their
    labels may differ (the aligner places eSpeak's phones for the text, the reference is a
    mapped ARPAbet alignment). The label sequences are matched by :func:`edit_alignment`; the
    boundary before reference phone i and before predicted phone j is scored only when the
    phones on **both sides** match: ``(i-1, j-1)`` and ``(i, j)`` are both matched pairs.
    Every other boundary is left out, so compare ``len(result)`` with ``len(reference) - 1``
    to see how many were scored::

        reference   ... s | t | ɡ ...      s|t and t|ɡ are left out (t and d differ);
        predicted   ... s | d | ɡ ...      boundaries between matching runs are scored

    With identical label sequences it equals :func:`boundary_errors`.
    Explained in notebook 03, section "Human speech: what transfers".
    """
    predicted, reference = _phones(predicted, "predicted"), _phones(reference, "reference")
    pairs = edit_alignment([p.label for p in reference], [p.label for p in predicted])
    errors = [abs(predicted[j].start - reference[i].start)
              for (i0, j0), (i, j) in zip(pairs, pairs[1:]) if i == i0 + 1 and j == j0 + 1]
    return np.array(errors, dtype=np.float64)


def _phones(value, name: str) -> list:
    """``value`` as a non-empty list of objects with ``label`` and ``start`` (Phones)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a sequence of Phone, got {validate.describe(value)}")
    phones = list(value)
    if not phones:
        raise ValueError(f"{name} must hold at least one Phone, got none")
    if not all(hasattr(p, "label") and hasattr(p, "start") for p in phones):
        raise TypeError(f"{name} must be a sequence of Phone (label, start, end, stress), got "
                        f"{validate.describe(value)}")
    return phones


def wilson_interval(n_errors: int, n_trials: int, confidence: float = 0.95
                    ) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` for an error rate ``n_errors / n_trials``.

    The bounds are the rates p at which the observed rate sits exactly ``z`` standard errors
    away, ``(p_hat - p)^2 = z^2 p (1 - p) / n``, with z the normal quantile of ``confidence``
    (1.96 for 95%)::

        centre     = (p_hat + z^2 / 2n) / (1 + z^2 / n)
        half-width = z / (1 + z^2 / n) * sqrt(p_hat (1 - p_hat) / n + z^2 / 4n^2)

    Why Wilson: on a few dozen phones the plain ``p_hat +- z sqrt(p_hat(1-p_hat)/n)`` breaks
    down near 0 and 1 (width 0 at 0 errors, bounds below 0 or above 1), while Wilson stays
    inside [0, 1] and keeps close to its nominal coverage for small n. What it assumes: the
    phones are independent trials, each wrong with the same probability. Errors of one speaker
    in one sentence cluster, so read it as the least uncertainty there is; and a phone error
    rate counts insertions too, so it only applies while the edit distance is at most the
    number of reference phones (``ValueError`` otherwise).

    Explained in notebook 03, section "Human speech: what transfers".
    """
    from scipy.stats import norm

    n_trials = validate.integer(n_trials, "n_trials", minimum=1)
    n_errors = validate.integer(n_errors, "n_errors", minimum=0, maximum=n_trials)
    confidence = validate.real(confidence, "confidence", above=0, below=1)
    z = float(norm.ppf(0.5 + confidence / 2))
    rate, z2n = n_errors / n_trials, z * z / n_trials
    centre = (rate + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(rate * (1 - rate) / n_trials + z2n / (4 * n_trials))
    # at 0 errors (or all wrong) the bound is exactly 0 (or 1); rounding must not move it
    low = 0.0 if n_errors == 0 else max(0.0, centre - half)
    high = 1.0 if n_errors == n_trials else min(1.0, centre + half)
    return low, high
