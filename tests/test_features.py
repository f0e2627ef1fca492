"""course_lib.features against librosa, torchaudio and scipy, plus property tests."""

import librosa
import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch
import torchaudio
from hypothesis import given
from hypothesis import strategies as st

from course_lib import features
from course_lib.synth import synthesize

torch.set_num_threads(1)

# The settings under which the three implementations compute the same MFCCs (notebook 01).
LIBROSA_SETTINGS = dict(n_fft=400, win_length=400, hop_length=160, window="hann", center=False,
                        n_mels=40, htk=True, mel_norm=None, power=2.0)
TORCHAUDIO_MELKWARGS = dict(n_fft=400, win_length=400, hop_length=160, n_mels=40, center=False,
                            mel_scale="htk", norm=None)


@pytest.fixture(scope="module")
def speech():
    return synthesize("The cat sat on the mat.").waveform.astype(np.float64)


def noise(seed, n_samples):
    return np.random.default_rng(seed).normal(size=n_samples)


# --- framing and windowing ---

@given(st.integers(400, 3000), st.integers(1, 400), st.integers(0, 10**6))
def test_frame_signal_rows_are_hops_apart(n_samples, hop_length, seed):
    waveform = noise(seed, n_samples)
    frames = features.frame_signal(waveform, 400, hop_length)
    assert frames.shape == (1 + (n_samples - 400) // hop_length, 400)
    for i in (0, len(frames) // 2, len(frames) - 1):
        np.testing.assert_array_equal(frames[i], waveform[i * hop_length: i * hop_length + 400])


def test_frame_signal_matches_librosa_frames(speech):
    reference = librosa.util.frame(speech, frame_length=400, hop_length=160, axis=0)
    np.testing.assert_array_equal(features.frame_signal(speech, 400, 160), reference)


def test_frame_times_are_frame_centres():
    np.testing.assert_allclose(features.frame_times(3), [0.0125, 0.0225, 0.0325])


def test_hann_window_is_the_periodic_one_of_scipy_and_torch():
    for n in (2, 3, 400, 512):
        np.testing.assert_allclose(features.hann_window(n), scipy.signal.get_window("hann", n),
                                   atol=1e-12)
        np.testing.assert_allclose(features.hann_window(n),
                                   torch.hann_window(n, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("n_fft", [400, 512])
def test_power_spectrum_matches_librosa_stft(speech, n_fft):
    # librosa centres the 400-sample window inside each n_fft-sample frame; a circular shift
    # changes only the phase, so its frame i matches ours starting `offset` samples later.
    offset = (n_fft - 400) // 2
    reference = np.abs(librosa.stft(speech, n_fft=n_fft, hop_length=160, win_length=400,
                                    window="hann", center=False)).T ** 2
    mine = features.power_spectrum(features.frame_signal(speech[offset:], 400, 160), n_fft)
    n = min(len(mine), reference.shape[1])
    np.testing.assert_allclose(mine[:n], reference[:n], rtol=1e-6, atol=1e-9 * mine.max())


# --- mel filterbank and DCT ---

@given(st.sampled_from([8000, 16000, 22050]), st.sampled_from([256, 400, 512, 1024]),
       st.integers(1, 40), st.floats(0, 300))
def test_mel_filterbank_matches_librosa_and_torchaudio(sample_rate, n_fft, n_mels, fmin):
    mine = features.mel_filterbank(sample_rate, n_fft, n_mels, fmin=fmin)
    assert mine.shape == (n_mels, n_fft // 2 + 1)
    reference = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                                    htk=True, norm=None, dtype=np.float64)
    np.testing.assert_allclose(mine, reference, atol=1e-10)
    torch_reference = torchaudio.functional.melscale_fbanks(
        n_fft // 2 + 1, fmin, sample_rate / 2, n_mels, sample_rate, norm=None, mel_scale="htk")
    np.testing.assert_allclose(mine, torch_reference.numpy().T, atol=1e-5)


def test_mel_scale_round_trip_and_1000_hz_anchor():
    hertz = np.linspace(0, 8000, 101)
    np.testing.assert_allclose(features.mel_to_hz(features.hz_to_mel(hertz)), hertz, atol=1e-9)
    assert abs(features.hz_to_mel(1000.0) - 1000.0) < 0.1  # the scale is anchored at 1 kHz


@given(st.integers(1, 40), st.integers(0, 20), st.integers(0, 10**6))
def test_dct_matrix_matches_scipy_ortho_dct(n_inputs, extra, seed):
    n_coefficients = max(1, n_inputs - extra)
    x = noise(seed, (5, n_inputs))
    np.testing.assert_allclose(x @ features.dct_matrix(n_coefficients, n_inputs).T,
                               scipy.fft.dct(x, type=2, norm="ortho", axis=1)[:, :n_coefficients],
                               atol=1e-10)


def test_dct_matrix_is_orthonormal():
    basis = features.dct_matrix(40, 40)
    np.testing.assert_allclose(basis @ basis.T, np.eye(40), atol=1e-12)


# --- MFCCs against librosa and torchaudio ---

def librosa_mfcc(waveform, n_mfcc=13):
    return librosa.feature.mfcc(y=waveform, sr=16000, n_mfcc=n_mfcc, **LIBROSA_SETTINGS).T


def torchaudio_mfcc(waveform, n_mfcc=13):
    transform = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=n_mfcc,
                                           melkwargs=TORCHAUDIO_MELKWARGS).double()
    return transform(torch.from_numpy(waveform)).numpy().T


def test_mfcc_matches_librosa_and_torchaudio_on_speech(speech):
    mine = features.mfcc(speech)
    assert mine.shape == (1 + (len(speech) - 400) // 160, 13)
    scale = np.abs(mine).max()
    assert np.abs(mine - librosa_mfcc(speech)).max() < 1e-6 * scale
    assert np.abs(mine - torchaudio_mfcc(speech)).max() < 1e-5 * scale


@given(st.integers(400, 8000), st.integers(1, 40), st.integers(0, 10**6))
def test_mfcc_matches_librosa_on_random_signals(n_samples, n_mfcc, seed):
    waveform = noise(seed, n_samples) * 10.0 ** (seed % 5 - 2)
    mine = features.mfcc(waveform, n_mfcc=n_mfcc)
    reference = librosa_mfcc(waveform, n_mfcc)
    assert np.abs(mine - reference).max() < 1e-6 * np.abs(mine).max() + 1e-9


def test_mfcc_depends_only_on_the_samples_of_each_frame(speech):
    """A fixed, frame-local transform: delaying the audio by two hops delays the coefficients
    by two frames; a louder copy changes only coefficient 0 (a constant dB offset in every
    band, which the orthonormal DCT puts into c0 times sqrt(n_mels)); other audio differs."""
    coefficients = features.mfcc(speech)
    delayed = features.mfcc(np.concatenate([np.zeros(2 * 160), speech]))
    assert len(delayed) == len(coefficients) + 2
    np.testing.assert_allclose(delayed[2:], coefficients, rtol=0, atol=1e-9)

    louder = features.mfcc(2.0 * speech)
    np.testing.assert_allclose(louder[:, 0] - coefficients[:, 0],
                               10 * np.log10(4.0) * np.sqrt(40), rtol=0, atol=1e-9)
    np.testing.assert_allclose(louder[:, 1:], coefficients[:, 1:], rtol=0, atol=1e-9)

    other = synthesize("The dog sat on the mat.").waveform.astype(np.float64)
    n_frames = min(len(coefficients), len(features.mfcc(other)))
    assert np.abs(features.mfcc(other)[:n_frames] - coefficients[:n_frames]).mean() > 1.0


def test_mfcc_chains_the_steps_with_their_documented_settings(speech):
    frames = features.frame_signal(speech, 400, 160)  # 25 ms and 10 ms at 16 kHz
    band_power = features.power_spectrum(frames) @ features.mel_filterbank(16_000, 400, 40).T
    by_hand = features.power_to_db(band_power, top_db=80.0) @ features.dct_matrix(13, 40).T
    np.testing.assert_allclose(features.mfcc(speech), by_hand, rtol=0, atol=1e-9)


@pytest.mark.parametrize("milliseconds, sample_rate, n_samples", [
    (25, 16_000, 400), (10, 16_000, 160),
    (0.16875, 16_000, 3),   # 2.7 samples: the nearest, not the floor
    (0.14375, 16_000, 2),   # 2.3 samples: the nearest, not the ceiling
    (10, 22_050, 220),      # 220.5: a tie goes to the even neighbour (Python's round) ...
    (30, 22_050, 662),      # 661.5: ... up or down
    (25, 22_050, 551),      # 551.25
    (25, 44_100, 1102),     # 1102.5
    (0.0625, 16_000, 1),    # exactly one sample is enough
    (0.04, 16_000, 1),      # 0.64 samples: rounds up to one
])
def test_ms_to_samples_rounds_to_the_nearest_sample_ties_to_even(milliseconds, sample_rate,
                                                                  n_samples):
    assert features.ms_to_samples(milliseconds, sample_rate) == n_samples


def test_log_mel_spectrogram_floor_is_top_db_below_the_peak(speech):
    silent_start = np.concatenate([np.zeros(4000), speech])
    log_mel = features.log_mel_spectrogram(silent_start)
    assert log_mel.shape[1] == 40
    assert log_mel.min() == pytest.approx(log_mel.max() - 80.0)
    assert features.log_mel_spectrogram(np.zeros(800), top_db=None).min() == pytest.approx(-100.0)


# --- deltas ---

def test_deltas_match_librosa_regression_deltas(speech):
    coefficients = features.mfcc(speech)
    for n_context in (1, 2, 3):
        reference = librosa.feature.delta(coefficients, width=2 * n_context + 1, axis=0,
                                          mode="nearest")
        np.testing.assert_allclose(features.deltas(coefficients, n_context), reference,
                                   atol=1e-9)


@given(st.integers(1, 60), st.integers(1, 5), st.floats(-10, 10), st.floats(-10, 10))
def test_deltas_of_a_ramp_are_its_slope_away_from_the_edges(n_frames, n_dims, slope, offset):
    ramp = offset + slope * np.arange(n_frames)[:, None] * np.ones(n_dims)
    velocity = features.deltas(ramp)
    np.testing.assert_allclose(velocity[2:-2], slope, atol=1e-9)
    np.testing.assert_allclose(features.deltas(np.full((n_frames, n_dims), offset)), 0.0)


def test_add_deltas_gives_the_classical_39_dimensions(speech):
    stacked = features.add_deltas(features.mfcc(speech))
    assert stacked.shape[1] == 39
    np.testing.assert_array_equal(stacked[:, :13], features.mfcc(speech))
    np.testing.assert_allclose(stacked[:, 26:], features.deltas(features.deltas(stacked[:, :13])))


# --- bad input ---

@pytest.mark.parametrize("call, message", [
    (lambda: features.frame_signal(np.zeros((2, 400)), 400, 160), "waveform must be a 1-D array"),
    (lambda: features.frame_signal(np.zeros(399), 400, 160), "fewer than one frame"),
    (lambda: features.frame_signal(np.zeros(500), 400, 0), "hop_length"),
    (lambda: features.power_spectrum(np.zeros((3, 400)), 256), "n_fft"),
    (lambda: features.power_spectrum(np.zeros(400)), "frames"),
    (lambda: features.mel_filterbank(16000, 400, 40, fmax=9000), "fmax"),
    (lambda: features.mel_filterbank(16000, 400, 0), "n_mels"),
    (lambda: features.mfcc(np.zeros(1000), n_mfcc=41), "n_mfcc"),
    (lambda: features.dct_matrix(5, 4), "n_coefficients"),
    (lambda: features.deltas(np.zeros(10)), "features"),
    (lambda: features.deltas(np.zeros((0, 13))), "features"),
    (lambda: features.power_to_db(np.ones(3), top_db=0), "top_db"),
    (lambda: features.ms_to_samples(0.01), "less than one sample"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- issue 9: scalars and arrays checked by course_lib.validate ---

@pytest.mark.parametrize("call, error, name", [
    (lambda: features.mfcc(np.ones(1000), top_db=np.nan), ValueError, "top_db"),
    (lambda: features.power_to_db(np.ones(3), top_db="80"), TypeError, "top_db"),
    (lambda: features.mfcc(np.ones(1000), sample_rate=None), TypeError, "sample_rate"),
    (lambda: features.mfcc(np.ones(1000), window_ms=np.nan), ValueError, "window_ms"),
    (lambda: features.ms_to_samples("25"), TypeError, "milliseconds"),
    (lambda: features.mel_filterbank(16000, 400, 40, fmin=np.nan), ValueError, "fmin"),
    (lambda: features.power_spectrum(np.ones((3, 4)) + 1j), TypeError, "frames"),
    (lambda: features.power_spectrum(np.full((3, 4), np.inf)), ValueError, "frames"),
    (lambda: features.deltas(np.ones((3, 4)) + 1j), TypeError, "features"),
    (lambda: features.deltas(np.full((3, 4), np.nan)), ValueError, "features"),
    (lambda: features.frame_signal(np.ones(500) + 1j, 400, 160), TypeError, "waveform"),
    (lambda: features.power_to_db(np.array([1.0, np.nan])), ValueError, "power"),
    (lambda: features.hz_to_mel("440"), TypeError, "hertz"),
    (lambda: features.frame_signal(np.array([0.0, np.nan] * 300), 400, 160), ValueError,
     "waveform"),
    (lambda: features.frame_signal(np.array(["a"] * 500), 400, 160), TypeError, "waveform"),
    (lambda: features.frame_signal(np.zeros(500), 400.0, 160), TypeError, "frame_length"),
])
def test_bad_scalars_and_arrays_are_refused_by_name(call, error, name):
    with pytest.raises(error, match=f"{name} must"):
        call()


def test_numpy_and_torch_inputs_are_accepted():
    waveform = np.random.default_rng(0).normal(size=2000)
    expected = features.mfcc(waveform)
    np.testing.assert_array_equal(features.mfcc(torch.tensor(waveform)), expected)
    np.testing.assert_array_equal(
        features.mfcc(waveform.tolist(), sample_rate=np.int64(16_000), n_mfcc=np.int32(13),
                      window_ms=np.float32(25.0), top_db=np.float64(80)), expected)


# --- the explorer of notebook 01 ---

def test_mfcc_settings_figure_and_explorer(speech):
    from matplotlib.figure import Figure

    from course_lib.plots import plot_mfcc_settings
    from course_lib.synth import synthesize
    from course_lib.widgets import mfcc_explorer

    figure = plot_mfcc_settings(speech, n_mels=40, n_mfcc=13)
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    n_frames = 1 + (len(speech) - 400) // 160
    assert f"{n_frames} frames x 40 bands" in figure.axes[0].get_title(loc="left")
    explorer = mfcc_explorer(synthesize("The cat sat on the mat."))
    explorer.children[2].value = 20  # mel bands
    explorer.children[3].value = 30  # more coefficients than bands: clipped to 20
    assert "20 MFCCs" in explorer.result.axes[1].get_title(loc="left")
    explorer.children[1].value = 20.0  # hop
    assert "50 frames/s" in explorer.result.axes[0].get_title(loc="left")
    explorer.children[3].value = 20  # all coefficients: the DCT is inverted exactly
    assert "rms error 0.0 dB" in explorer.result.axes[2].get_title(loc="left")
