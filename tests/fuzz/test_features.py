"""Fuzzing course_lib.features (the NumPy functions): shapes, references and refusals."""

import numpy as np
import scipy.fft
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import features
from tests.fuzz.common import CORRUPTIONS, assert_refused, bad_integers, bad_reals, corrupt

samples = st.floats(-1.0, 1.0, width=32)


@st.composite
def waveforms(draw, min_samples=400, max_samples=2_000):
    """float32 or float64 waveforms (lists now and then) of at least one 25 ms frame."""
    n_samples = draw(st.integers(min_samples, max_samples))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    waveform = draw(arrays(dtype, n_samples, elements=samples))
    return waveform.tolist() if draw(st.booleans()) else waveform


@given(st.integers(1, 600), st.integers(1, 50), st.integers(1, 200), st.data())
def test_frame_signal_rows_are_the_slices(n_samples, frame_length, hop_length, data):
    if n_samples < frame_length:
        assert_refused(lambda: features.frame_signal(np.zeros(n_samples), frame_length,
                                                     hop_length), "waveform", "frame_length")
        return
    waveform = data.draw(arrays(np.float64, n_samples, elements=samples))
    frames = features.frame_signal(waveform, np.int64(frame_length), hop_length)
    assert frames.shape == (1 + (n_samples - frame_length) // hop_length, frame_length)
    for i in (0, len(frames) - 1):
        np.testing.assert_array_equal(frames[i], waveform[i * hop_length:][:frame_length])


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 64)), elements=samples),
       st.integers(0, 64))
def test_power_spectrum_is_the_squared_fft_of_the_windowed_frame(frames, extra):
    n_fft = frames.shape[1] + extra
    power = features.power_spectrum(frames, n_fft)
    window = features.hann_window(frames.shape[1])
    expected = np.abs(scipy.fft.rfft(frames * window, n=n_fft, axis=1)) ** 2
    np.testing.assert_allclose(power, expected, atol=1e-9)


@given(waveforms(), st.integers(1, 13), st.sampled_from([None, 40.0, 80.0]))
def test_mfcc_is_finite_and_shaped(waveform, n_mfcc, top_db):
    coefficients = features.mfcc(waveform, n_mfcc=n_mfcc, top_db=top_db)
    n_frames = 1 + (len(waveform) - 400) // 160
    assert coefficients.shape == (n_frames, n_mfcc)
    assert np.isfinite(coefficients).all()


@given(arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 4)),
              elements=st.floats(-100, 100)), st.integers(1, 3))
def test_deltas_of_a_constant_are_zero_and_of_a_ramp_its_slope(values, n_context):
    constant = np.broadcast_to(values[:1], values.shape)
    np.testing.assert_array_equal(features.deltas(constant, n_context), 0.0)
    ramp = np.arange(len(values))[:, None] * values[:1]
    inner = features.deltas(ramp, n_context)[n_context:len(values) - n_context]
    np.testing.assert_allclose(inner, np.broadcast_to(values[:1], inner.shape), atol=1e-9)
    assert features.add_deltas(values, n_context).shape == (len(values), 3 * values.shape[1])


@given(st.integers(1, 64), st.integers(1, 64))
def test_dct_matrix_rows_are_orthonormal(n_coefficients, n_inputs):
    if n_coefficients > n_inputs:
        assert_refused(lambda: features.dct_matrix(n_coefficients, n_inputs), "n_coefficients")
        return
    basis = features.dct_matrix(n_coefficients, n_inputs)
    np.testing.assert_allclose(basis @ basis.T, np.eye(n_coefficients), atol=1e-9)


@given(st.sampled_from(CORRUPTIONS), st.sampled_from(["frame_signal", "mfcc", "log_mel"]))
def test_corrupted_waveforms_are_refused_by_name(how, function):
    waveform = corrupt(np.linspace(-0.5, 0.5, 800), how)
    call = {"frame_signal": lambda: features.frame_signal(waveform, 400, 160),
            "mfcc": lambda: features.mfcc(waveform),
            "log_mel": lambda: features.log_mel_spectrogram(waveform)}[function]
    assert_refused(call, "waveform")


@given(st.sampled_from(CORRUPTIONS))
def test_corrupted_frames_and_features_are_refused_by_name(how):
    values = corrupt(np.ones((4, 6)), how)
    assert_refused(lambda: features.power_spectrum(values), "frames")
    assert_refused(lambda: features.deltas(values), "features")
    assert_refused(lambda: features.add_deltas(values), "features")


@given(st.data())
def test_bad_sizes_are_refused_by_name(data):
    name = data.draw(st.sampled_from(["sample_rate", "n_mfcc", "n_mels", "n_fft"]))
    bad = data.draw(bad_integers(minimum=1))
    if name == "n_fft" and bad is None:
        return  # n_fft=None is valid: the frame length
    assert_refused(lambda: features.mfcc(np.zeros(1_000), **{name: bad}), name)


@given(st.data())
def test_bad_measurements_are_refused_by_name(data):
    name = data.draw(st.sampled_from(["window_ms", "hop_ms", "top_db"]))
    bad = data.draw(bad_reals(above=0))
    if name == "top_db" and bad is None:
        return  # top_db=None is valid: no relative floor
    assert_refused(lambda: features.mfcc(np.zeros(1_000), **{name: bad}), name)


@given(bad_reals())
def test_bad_filterbank_edges_are_refused_by_name(bad):
    assert_refused(lambda: features.mel_filterbank(16_000, 400, 40, fmin=bad), "fmin")
    if bad is not None:
        assert_refused(lambda: features.mel_filterbank(16_000, 400, 40, fmax=bad), "fmax")


def test_minimum_sizes():
    assert features.frame_signal(np.zeros(1), 1, 1).shape == (1, 1)
    assert features.power_spectrum(np.ones((1, 1))).shape == (1, 1)
    assert features.mfcc(np.zeros(400), n_mfcc=1, n_mels=1).shape == (1, 1)
    assert features.deltas(np.ones((1, 1))).shape == (1, 1)
