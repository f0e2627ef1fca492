"""course_lib.metrics: every score against an independent reference."""

import numpy as np
import pytest
import torch
import torchaudio
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from course_lib import metrics
from course_lib.synth import Phone


def _brute_force_edit_distance(reference, hypothesis):
    """The fewest edits, by trying every alignment recursively (tiny inputs only)."""
    if not reference or not hypothesis:
        return len(reference) + len(hypothesis)
    return min(_brute_force_edit_distance(reference[1:], hypothesis) + 1,
               _brute_force_edit_distance(reference, hypothesis[1:]) + 1,
               _brute_force_edit_distance(reference[1:], hypothesis[1:])
               + (reference[0] != hypothesis[0]))


@given(st.lists(st.integers(0, 2), max_size=5), st.lists(st.integers(0, 2), max_size=5))
def test_edit_distance_matches_brute_force_and_torchaudio(reference, hypothesis):
    distance = metrics.edit_distance(reference, hypothesis)
    assert distance == _brute_force_edit_distance(tuple(reference), tuple(hypothesis))
    assert distance == torchaudio.functional.edit_distance(reference, hypothesis)


def test_edit_distance_takes_labels_and_arrays_but_not_a_string():
    assert metrics.edit_distance(["k", "æ", "t"], ["k", "æ", "d"]) == 1
    assert metrics.edit_distance(np.array([1, 2, 3]), [1, 3]) == 1
    with pytest.raises(TypeError, match="reference"):
        metrics.edit_distance("kat", ["k"])


def test_phone_error_rate_sums_errors_over_reference_phones():
    references = [["sil", "k", "æ", "t"], ["d", "ɑː"]]
    hypotheses = [["sil", "k", "t"], ["d", "ɑː", "ɡ"]]
    assert metrics.phone_error_rate(references, hypotheses) == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="references"):
        metrics.phone_error_rate([], [])
    with pytest.raises(ValueError, match="hypotheses"):
        metrics.phone_error_rate(references, hypotheses[:1])


def test_boundary_errors_by_hand():
    truth = [Phone("a", 0, 0.1), Phone("b", 0.1, 0.25), Phone("c", 0.25, 0.4)]
    guess = [Phone("a", 0, 0.12), Phone("b", 0.12, 0.22), Phone("c", 0.22, 0.4)]
    np.testing.assert_allclose(metrics.boundary_errors(guess, truth), [0.02, 0.03])
    with pytest.raises(ValueError, match="same phones"):
        metrics.boundary_errors(guess[:2], truth)


def test_snr_and_log_mel_distance_on_known_cases():
    signal = np.random.default_rng(0).normal(size=16_000).astype(np.float32)
    assert metrics.snr_db(signal, signal + 0.1 * signal) == pytest.approx(20.0)
    assert metrics.snr_db(signal, np.r_[signal + 0.01 * signal, np.ones(50)]) == \
        pytest.approx(40.0)
    assert metrics.log_mel_distance(signal, signal) == 0.0
    # 10x the amplitude is 100x the power: every band is 2 bels higher (up to the 1e-5 floor)
    assert metrics.log_mel_distance(signal, 10 * signal) == pytest.approx(2.0, abs=0.01)
    with pytest.raises(ValueError, match="estimate"):
        metrics.snr_db(signal, signal[:100])
    with pytest.raises(ValueError, match="reference"):
        metrics.snr_db(np.zeros(100), np.ones(100))
    with pytest.raises(ValueError, match="reference"):
        metrics.log_mel_distance([np.nan] * 1000, np.zeros(1000))


def test_log_mel_distance_matches_torchaudio_mel_spectrogram():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=8_000).astype(np.float32)
    estimate = (reference + 0.3 * rng.normal(size=8_000)).astype(np.float32)
    mel = torchaudio.transforms.MelSpectrogram(16_000, n_fft=400, hop_length=160, n_mels=64)
    expected = (torch.log10(mel(torch.from_numpy(reference)) + 1e-5)
                - torch.log10(mel(torch.from_numpy(estimate)) + 1e-5)).abs().mean()
    assert metrics.log_mel_distance(reference, estimate) == pytest.approx(float(expected),
                                                                          rel=1e-5)


def test_stoi_is_one_for_identical_speech_and_falls_with_noise():
    from course_lib.synth import synthesize
    speech = synthesize("The cat sat on the mat.").waveform.astype(np.float64)
    noise = np.random.default_rng(0).normal(size=len(speech)) * np.std(speech)
    clean = metrics.stoi(speech, speech)
    assert clean == pytest.approx(1.0, abs=1e-6)
    noisy = [metrics.stoi(speech, speech + level * noise) for level in (0.3, 1.0, 3.0)]
    assert clean > noisy[0] > noisy[1] > noisy[2]


def test_purity_and_pnmi_on_hand_made_cases():
    phones = np.array(list("aabbcc"))
    assert metrics.purity(np.array([0, 0, 1, 1, 2, 2]), phones) == 1.0
    assert metrics.phone_normalized_mutual_information([0, 0, 1, 1, 2, 2], phones) == \
        pytest.approx(1.0)
    assert metrics.purity(np.zeros(6, int), phones) == pytest.approx(1 / 3)
    assert metrics.phone_normalized_mutual_information(np.zeros(6, int), phones) == \
        pytest.approx(0.0)


@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from("abc")), min_size=1, max_size=50))
def test_pnmi_matches_scikit_learn_and_purity_a_brute_force_count(pairs):
    units = np.array([u for u, _ in pairs])
    phones = np.array([p for _, p in pairs])
    _, counts = np.unique(phones, return_counts=True)
    entropy = -(counts / counts.sum() * np.log(counts / counts.sum())).sum()
    expected = mutual_info_score(phones, units) / entropy if entropy > 0 else 0.0
    assert metrics.phone_normalized_mutual_information(units, phones) == \
        pytest.approx(expected, abs=1e-9)
    majority = sum(max(sum(1 for u, p in pairs if u == unit and p == phone) for phone in "abc")
                   for unit in set(units.tolist()))
    assert metrics.purity(units, phones) == pytest.approx(majority / len(pairs))


def test_unit_scores_refuse_mismatched_or_complex_input():
    with pytest.raises(ValueError, match="units and phones"):
        metrics.purity([0, 1], ["a"])
    with pytest.raises(TypeError, match="units"):
        metrics.purity(np.array([1j, 2j]), ["a", "b"])
    with pytest.raises(ValueError, match="units"):
        metrics.phone_normalized_mutual_information([np.nan, 1.0], ["a", "b"])


def test_no_other_module_defines_a_score():
    """One home per score: metrics defines them; other modules only import them."""
    from pathlib import Path
    names = ["edit_distance", "phone_error_rate", "boundary_errors", "snr_db",
             "log_mel_distance", "stoi", "purity", "phone_normalized_mutual_information"]
    package = Path(metrics.__file__).parent
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in names:
            if f"def {name}(" in text and path.name != "metrics.py":
                # the recognizer's phone_error_rate(model, utterances) scores through metrics
                assert path.name == "recognizer.py" and name == "phone_error_rate", (path, name)
                assert "metrics.phone_error_rate(" in text


def test_character_and_word_error_rates_by_hand():
    from course_lib.metrics import character_error_rate, word_error_rate

    # "the cat" -> "the bat": one substitution in 7 characters; one word of 2
    assert character_error_rate(["the cat"], ["the bat"]) == pytest.approx(1 / 7)
    assert word_error_rate(["the cat"], ["the bat"]) == pytest.approx(1 / 2)
    # summed over utterances, divided by all reference symbols
    assert character_error_rate(["ab", "cd"], ["ab", ""]) == pytest.approx(2 / 4)
    assert word_error_rate(["a b c", "d"], ["a c", "d e"]) == pytest.approx(2 / 4)
    with pytest.raises(TypeError, match="references must be a list of strings"):
        character_error_rate("the cat", ["the cat"])
    with pytest.raises(ValueError, match="hypotheses must hold one string per reference"):
        word_error_rate(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="hypotheses"):
        character_error_rate(["a"], [3])


# --- what a spoken reply keeps of its prompt ------------------------------------------------

@pytest.mark.parametrize("words_per_minute, pitch", [(120, 20), (230, 80)])
def test_speech_span_is_where_librosa_trims(words_per_minute, pitch):
    import librosa

    from course_lib import synth
    spoken = synth.synthesize("The red box is behind the house.",
                              words_per_minute=words_per_minute, pitch=pitch).waveform
    padded = np.concatenate([np.zeros(4000, np.float32), spoken, np.zeros(8000, np.float32)])
    _, (start, end) = librosa.effects.trim(padded, top_db=metrics.SPEECH_TOP_DB,
                                           frame_length=400, hop_length=160)
    assert metrics.speech_span(padded) == pytest.approx((start / 16000, end / 16000))


def test_speaking_rate_and_pitch_follow_the_synthesizer_settings():
    from course_lib import synth
    sentence = "The red box is behind the house."
    slow, fast = (synth.synthesize(sentence, words_per_minute=r).waveform for r in (120, 230))
    ratio = metrics.words_per_minute(fast, 7) / metrics.words_per_minute(slow, 7)
    assert 230 / 120 * 0.8 < ratio < 230 / 120 * 1.2
    low, high = (synth.synthesize(sentence, pitch=p).waveform for p in (10, 90))
    assert metrics.median_pitch(high) > 1.4 * metrics.median_pitch(low)


def test_median_pitch_of_a_tone_and_against_pyin():
    import librosa

    from course_lib import synth
    time = np.arange(16000) / 16000
    assert metrics.median_pitch(0.3 * np.sin(2 * np.pi * 180 * time)) == pytest.approx(180, rel=0.01)
    speech = synth.synthesize("The red box is behind the house.", variant="f3").waveform
    f0, voiced, _ = librosa.pyin(speech.astype(np.float64), fmin=60, fmax=500, sr=16000,
                                 frame_length=1024)
    assert metrics.median_pitch(speech) == pytest.approx(np.median(f0[voiced]), rel=0.1)


def test_rate_and_pitch_refuse_bad_input():
    with pytest.raises(ValueError, match="n_words"):
        metrics.words_per_minute(np.ones(1600, np.float32), 0)
    with pytest.raises(ValueError, match="waveform"):
        metrics.median_pitch(np.zeros(0, np.float32))
    click = np.zeros(16000, np.float32)
    click[100] = 1.0
    with pytest.raises(ValueError, match="at least"):
        metrics.median_pitch(click)
