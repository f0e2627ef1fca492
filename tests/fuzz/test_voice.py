"""Fuzz your own voice (course_lib.voice): random recordings at a browser's rates, and bad input.

The analysis runs the two models, so the recordings are kept under a second.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.features import SAMPLE_RATE
from course_lib.voice import MIN_SECONDS, analyze_recording, to_model_rate
from tests.fuzz.common import CORRUPTIONS, NOT_NUMBERS, assert_refused, bad_integers, corrupt

RATES = st.sampled_from([8_000, 16_000, 22_050, 44_100, 48_000])


@given(st.floats(MIN_SECONDS + 0.01, 0.9), RATES, st.floats(1e-3, 1.0), st.integers(0, 10_000),
       st.sampled_from(["", "a cat", "hello there"]))
def test_any_audible_recording_is_analysed(seconds, sample_rate, level, seed, text):
    n_samples = round(seconds * sample_rate)
    waveform = level * np.random.default_rng(seed).uniform(-1, 1, n_samples)
    analysis = analyze_recording(waveform, sample_rate, text)
    assert analysis.waveform.dtype == np.float32
    assert abs(len(analysis.waveform) - n_samples * SAMPLE_RATE / sample_rate) <= 1
    assert len(analysis.spike_times) == len(analysis.recognized)
    assert np.all(np.diff(analysis.spike_times) > 0)
    assert np.all((0 <= analysis.spike_times) & (analysis.spike_times <= analysis.duration))
    if text:
        assert analysis.expected and np.isfinite(analysis.phone_error_rate)
        assert analysis.aligned == () or [p.label for p in analysis.aligned] == list(
            analysis.expected)
        assert bool(analysis.aligned) != bool(analysis.note)
    else:
        assert analysis.phone_error_rate is None and analysis.expected == ()


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_corrupt_waveforms_are_refused_by_name(how):
    waveform = 0.1 * np.sin(np.arange(8_000) / 5.0)
    assert_refused(lambda: to_model_rate(corrupt(waveform, how), 16_000), "waveform")


@given(st.one_of(bad_integers(minimum=1_000), st.integers(192_001, 10**9)))
def test_bad_sample_rates_are_refused_by_name(sample_rate):
    assert_refused(lambda: to_model_rate(0.1 * np.ones(16_000), sample_rate), "sample_rate")


@given(st.sampled_from(NOT_NUMBERS[:1] + (3, 2.5, ["a cat"], b"a cat")))
def test_bad_text_is_refused_by_name(text):
    assert_refused(lambda: analyze_recording(0.1 * np.ones(8_000), 16_000, text), "text")


@given(st.integers(1, round(MIN_SECONDS * SAMPLE_RATE) - 1), st.floats(0, 1e-5))
def test_short_or_silent_recordings_are_refused_by_name(n_samples, level):
    assert_refused(lambda: to_model_rate(0.1 * np.ones(n_samples), SAMPLE_RATE), "waveform")
    assert_refused(lambda: to_model_rate(np.full(8_000, level), SAMPLE_RATE), "waveform")
