"""Fuzz the recognizer's public API: random short audio at random rates, and bad input.

Model calls are kept short (at most half a second of audio) so the file runs in seconds.
"""

import math
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.phones import LABELS, PHONES
from course_lib.recognizer import load_recognizer, log_mel_features

RATES = st.sampled_from([8_000, 11_025, 16_000, 22_050, 44_100, 48_000])


@lru_cache(maxsize=1)
def recognizer():
    return load_recognizer()


@given(st.floats(0.03, 0.5), RATES, st.sampled_from([np.float32, np.float64]),
       st.floats(1e-3, 1.0), st.integers(0, 10_000))
def test_valid_audio_gives_finite_outputs_at_50_frames_per_second(seconds, sample_rate, dtype,
                                                                  level, seed):
    n_samples = max(1, round(seconds * sample_rate))
    waveform = (level * np.random.default_rng(seed).uniform(-1, 1, n_samples)).astype(dtype)
    n_at_16k = math.ceil(n_samples * 16_000 / sample_rate)
    if n_at_16k < 400:
        with pytest.raises(ValueError, match="waveform"):
            recognizer().encode(waveform, sample_rate)
        return
    hidden, log_probs = recognizer().encode(waveform, sample_rate)
    n_frames = math.ceil((n_at_16k // 160 + 1) / 2)
    assert hidden.shape == (n_frames, 192) and log_probs.shape == (n_frames, len(LABELS))
    assert np.isfinite(hidden).all() and np.isfinite(log_probs).all()
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-4)
    assert set(recognizer().transcribe(waveform, sample_rate)) <= set(PHONES)


BAD_WAVEFORMS = st.sampled_from([
    [], np.zeros(100), np.full(4000, np.nan), np.r_[np.zeros(3999), np.inf], np.zeros((2, 800)),
    np.zeros(800, complex), "speech", None, np.ones(800) * 1e30, [[0.1] * 800],
])


@given(BAD_WAVEFORMS, st.sampled_from(["encode", "transcribe", "features"]))
def test_bad_audio_is_refused_naming_the_waveform(waveform, call):
    function = {"encode": recognizer().encode, "transcribe": recognizer().transcribe,
                "features": log_mel_features}[call]
    with pytest.raises((ValueError, TypeError), match="waveform") as raised:
        function(waveform)
    assert "log_probs" not in str(raised.value)


@given(st.sampled_from([0, -16_000, 1.5, 16_000.0, "16000", None, np.nan, True]))
def test_bad_sample_rates_are_refused_naming_the_argument(sample_rate):
    with pytest.raises((ValueError, TypeError), match="sample_rate"):
        recognizer().encode(np.zeros(1600), sample_rate)
