"""course_lib.augment against torchaudio and measured room and noise figures, plus properties."""

import numpy as np
import pytest
import scipy.signal
import torch
import torchaudio
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import augment, features, metrics


def speechlike(n_samples, seed=0):
    """A stand-in for speech, peak about 0.5: a sum of tones under a slow envelope."""
    times = np.arange(n_samples) / 16_000
    rng = np.random.default_rng(seed)
    tones = sum(np.sin(2 * np.pi * f * times + rng.uniform(0, 2 * np.pi))
                for f in rng.uniform(100, 3_000, size=5))
    return (0.1 * tones * (1.2 + np.sin(2 * np.pi * 3 * times))).astype(np.float32)


def schroeder_rt60(response, sample_rate=16_000, top_db=-5.0, bottom_db=-35.0):
    """RT60 from the energy decay curve (Schroeder backward integration): the line fitted to
    the curve between ``top_db`` and ``bottom_db``, extrapolated to -60 dB."""
    energy = np.cumsum(np.asarray(response, np.float64)[::-1] ** 2)[::-1]
    decay_db = 10 * np.log10(energy / energy[0])
    inside = (decay_db <= top_db) & (decay_db >= bottom_db)
    times = np.arange(len(response))[inside] / sample_rate
    slope, _ = np.polyfit(times, decay_db[inside], 1)
    return -60.0 / slope


# --- noise at a given SNR ---

@pytest.mark.parametrize("color", augment.NOISE_COLORS)
@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 5.5, 20.0, 40.0])
@pytest.mark.parametrize("n_samples", [1_600, 16_000, 48_001])
def test_add_noise_hits_the_requested_snr(color, snr_db, n_samples):
    clean = speechlike(n_samples)
    noisy = augment.add_noise(clean, snr_db, color=color, seed=3)
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    measured = metrics.snr_db(clean.astype(np.float64), noisy.astype(np.float64))
    assert measured == pytest.approx(snr_db, abs=1e-6)


@pytest.mark.parametrize("color", augment.NOISE_COLORS)
def test_add_noise_matches_torchaudio_with_the_same_noise(color):
    clean = speechlike(8_000, seed=1)
    noise = augment.make_noise(len(clean), color=color, seed=7)
    for snr_db in (-3.0, 10.0, 30.0):
        ours = augment.add_noise(clean, snr_db, color=color, seed=7)
        theirs = torchaudio.functional.add_noise(
            torch.from_numpy(clean.astype(np.float64))[None], torch.from_numpy(noise)[None],
            torch.tensor([snr_db], dtype=torch.float64))[0].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_pink_noise_has_3_db_less_power_per_octave_and_white_is_flat():
    def octave_steps(noise):
        """dB between the mean power density of each octave from 125 Hz and the next (Welch)."""
        frequencies, density = scipy.signal.welch(noise, fs=16_000, nperseg=4_096)
        band = [density[(frequencies >= low) & (frequencies < 2 * low)].mean()
                for low in (125, 250, 500, 1_000, 2_000)]
        return 10 * np.log10(np.array(band[:-1]) / np.array(band[1:]))

    pink = augment.make_noise(320_000, color="pink", seed=0)
    white = augment.make_noise(320_000, color="white", seed=0)
    steps = octave_steps(pink)  # 1/f: 3.01 dB an octave, up to the filter's ripple
    np.testing.assert_allclose(steps, 10 * np.log10(2), atol=0.75)
    assert steps.sum() == pytest.approx(4 * 10 * np.log10(2), abs=1.0)
    np.testing.assert_allclose(octave_steps(white), 0.0, atol=0.4)  # estimation error
    assert np.mean(pink ** 2) == pytest.approx(1.0) and np.mean(white ** 2) == pytest.approx(1.0)


def test_the_seed_chooses_the_noise():
    clean = speechlike(4_000)
    np.testing.assert_array_equal(augment.add_noise(clean, 10, seed=5),
                                  augment.add_noise(clean, 10, seed=5))
    assert not np.array_equal(augment.add_noise(clean, 10, seed=5),
                              augment.add_noise(clean, 10, seed=6))


# --- rooms ---

@pytest.mark.parametrize("rt60", [0.15, 0.3, 0.5, 0.8, 1.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_room_impulse_response_decays_60_db_in_rt60(rt60, seed):
    response = augment.room_impulse_response(rt60, seed=seed)
    assert response.dtype == np.float32 and len(response) == round(rt60 * 16_000)
    assert np.sum(response.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-5)
    assert np.argmax(np.abs(response)) == 0  # the direct path comes first and is the loudest
    assert schroeder_rt60(response) == pytest.approx(rt60, rel=0.10)


def test_room_impulse_response_rt60_is_unbiased_over_seeds():
    for rt60 in (0.3, 0.8):  # each response within 10%; their mean much closer
        estimates = [schroeder_rt60(augment.room_impulse_response(rt60, seed=seed))
                     for seed in range(10)]
        assert np.mean(estimates) == pytest.approx(rt60, rel=0.02)


def test_the_shortest_room_is_the_direct_path_and_one_echo_sample():
    response = augment.room_impulse_response(1e-6)
    assert len(response) == 2 and response[0] > 0  # the direct path, and an echo as loud
    np.testing.assert_allclose(np.abs(response), np.sqrt(0.5), rtol=1e-6)
    assert np.isfinite(augment.room_impulse_response(1e-3, sample_rate=1)).all()
    assert len(augment.room_impulse_response(augment.MAX_RT60, sample_rate=100)) == 1_000
    with pytest.raises(ValueError, match="rt60"):
        augment.room_impulse_response(augment.MAX_RT60 + 0.01)


def test_the_default_seed_is_zero_and_one_sample_of_noise_works():
    clean = speechlike(1_000)
    assert np.array_equal(augment.add_noise(clean, 5), augment.add_noise(clean, 5, seed=0))
    assert np.array_equal(augment.noise_at_snr(clean, 5), augment.noise_at_snr(clean, 5, seed=0))
    assert np.array_equal(augment.make_noise(10), augment.make_noise(10, seed=0))
    assert np.array_equal(augment.add_reverb(clean, 0.2), augment.add_reverb(clean, 0.2, seed=0))
    assert np.array_equal(augment.room_impulse_response(0.2),
                          augment.room_impulse_response(0.2, seed=0))
    for color in augment.NOISE_COLORS:  # one sample of mean power 1
        np.testing.assert_allclose(np.abs(augment.make_noise(1, color=color)), 1.0)


def test_room_impulse_response_scales_with_the_sample_rate():
    response = augment.room_impulse_response(0.4, sample_rate=8_000, seed=4)
    assert len(response) == 3_200
    assert schroeder_rt60(response, sample_rate=8_000) == pytest.approx(0.4, rel=0.10)


def test_add_reverb_is_the_truncated_convolution_of_torchaudio():
    quiet = speechlike(6_000, seed=2) * 0.5
    response = torch.from_numpy(augment.room_impulse_response(0.3, seed=9).astype(np.float64))
    theirs = torchaudio.functional.fftconvolve(torch.from_numpy(quiet.astype(np.float64)),
                                               response)[:len(quiet)].numpy()
    assert np.abs(theirs).max() <= 1  # no rescaling happens: the convolution itself comes back
    ours = augment.add_reverb(quiet, 0.3, seed=9)
    assert ours.dtype == np.float32 and ours.shape == quiet.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_add_reverb_divides_a_loud_result_by_its_peak():
    loud = speechlike(6_000, seed=2) * 4
    response = torch.from_numpy(augment.room_impulse_response(0.8, seed=1).astype(np.float64))
    theirs = torchaudio.functional.fftconvolve(torch.from_numpy(loud.astype(np.float64)),
                                               response)[:len(loud)].numpy()
    assert np.abs(theirs).max() > 1
    ours = augment.add_reverb(loud, 0.8, seed=1)
    assert np.abs(ours).max() == pytest.approx(1.0)
    np.testing.assert_allclose(ours, theirs / np.abs(theirs).max(), rtol=0, atol=1e-6)


def test_more_reverb_smears_more_energy_past_the_end_of_a_click():
    click = np.zeros(16_000)
    click[100:110] = 0.5
    after = [np.sum(augment.add_reverb(click, rt60)[2_000:] ** 2) for rt60 in (0.2, 0.5, 0.9)]
    assert after[0] < after[1] < after[2]


def test_room_and_noise_is_reverb_then_noise_and_zero_or_none_leave_each_out():
    clean = speechlike(5_000, seed=4)
    far = augment.room_and_noise(clean, snr_db=5.0, rt60=0.4, color="white", seed=2)
    reverberant = augment.add_reverb(clean, 0.4, seed=2)
    np.testing.assert_array_equal(far, augment.add_noise(reverberant, 5.0, seed=2, color="white"))
    np.testing.assert_array_equal(augment.room_and_noise(clean, snr_db=None, rt60=0.4, seed=2),
                                  reverberant)
    np.testing.assert_array_equal(augment.room_and_noise(clean, snr_db=5.0, rt60=0, seed=2),
                                  augment.add_noise(clean, 5.0, seed=2, color="pink"))
    np.testing.assert_array_equal(augment.room_and_noise(clean, snr_db=None, rt60=0.0), clean)


def test_room_and_noise_figure_and_explorer():
    from course_lib.plots import plot_room_and_noise
    from course_lib.synth import synthesize
    from course_lib.widgets import room_and_noise_explorer

    clean = speechlike(8_000)
    figure = plot_room_and_noise(clean, snr_db=0.0, rt60=0.5, color="white")
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    assert titles == ["clean", "room RT60 0.5 s, white noise at 0 dB SNR"]
    shown = figure.axes[1].images[0].get_array().T
    far = augment.room_and_noise(clean, snr_db=0.0, rt60=0.5, color="white")
    np.testing.assert_allclose(shown, features.log_mel_spectrogram(far, top_db=None))
    explorer = room_and_noise_explorer(synthesize("The cat sat."))
    assert "pink noise at 10 dB SNR" in explorer.result.axes[1].get_title(loc="left")
    explorer.children[0].value = -5.0  # SNR
    explorer.children[1].value = 0.8   # RT60
    explorer.children[2].value = "white"
    assert explorer.result.axes[1].get_title(loc="left") == \
        "room RT60 0.8 s, white noise at -5 dB SNR"


# --- speed ---

@pytest.mark.parametrize("factor", [0.5, 0.9, 0.95, 1.05, 1.1, 1.333, 2.0])
@pytest.mark.parametrize("n_samples", [2, 1_001, 16_000])
def test_perturb_speed_length_is_round_n_over_factor(factor, n_samples):
    faster = augment.perturb_speed(speechlike(n_samples), factor)
    assert faster.dtype == np.float32 and len(faster) == round(n_samples / factor)


def test_perturb_speed_by_one_is_the_identity():
    clean = speechlike(5_000)
    np.testing.assert_array_equal(augment.perturb_speed(clean, 1.0), clean)
    np.testing.assert_array_equal(augment.perturb_speed(clean.astype(np.float64), 1), clean)


def test_perturb_speed_moves_a_tone_by_the_factor():
    times = np.arange(16_000) / 16_000
    tone = np.sin(2 * np.pi * 500 * times)
    for factor in (0.9, 1.1):
        shifted = augment.perturb_speed(tone, factor)
        spectrum = np.abs(np.fft.rfft(shifted * np.hanning(len(shifted))))
        peak_hz = np.argmax(spectrum) * 16_000 / len(shifted)
        assert peak_hz == pytest.approx(500 * factor, abs=2)


# --- SpecAugment ---

def masked_spans(masked, fill):
    """Which bands and which frames are entirely ``fill`` (boolean vectors)."""
    equal = masked == fill
    return equal.all(dim=0).numpy(), equal.all(dim=1).numpy()


@pytest.mark.parametrize("seed", range(6))
def test_spec_augment_masks_exactly_the_drawn_bands_and_frames(seed):
    log_mels = torch.randn(120, 40, generator=torch.Generator().manual_seed(seed))
    masked = augment.spec_augment(log_mels, n_freq_masks=2, max_freq_width=10, n_time_masks=3,
                                  max_time_width=15, generator=np.random.default_rng(seed))
    # the documented draws, made again: width, then start; the frequency masks first
    rng, expected_bands, expected_frames = np.random.default_rng(seed), np.zeros(40, bool), np.zeros(120, bool)
    for expected, n_masks, max_width, size in ((expected_bands, 2, 10, 40),
                                               (expected_frames, 3, 15, 120)):
        for _ in range(n_masks):
            width = rng.integers(0, max_width + 1)
            start = rng.integers(0, size - width + 1)
            expected[start:start + width] = True
    bands, frames = masked_spans(masked, log_mels.mean())
    np.testing.assert_array_equal(bands, expected_bands)
    np.testing.assert_array_equal(frames, expected_frames)
    unmasked = ~torch.from_numpy(expected_frames)[:, None] & ~torch.from_numpy(expected_bands)[None]
    assert torch.equal(masked[unmasked], log_mels[unmasked])
    assert int((masked != log_mels).sum()) == int((~unmasked).sum())  # random values: no tie


def test_spec_augment_returns_a_new_float32_tensor_and_applies_one_mask_to_a_batch():
    batch = torch.randn(3, 50, 20, dtype=torch.float64)
    before = batch.clone()
    masked = augment.spec_augment(batch, n_freq_masks=1, max_freq_width=5, n_time_masks=1,
                                  max_time_width=5, generator=np.random.default_rng(1))
    assert torch.equal(batch, before) and masked.dtype == torch.float32
    changed = masked != batch.float()
    assert torch.equal(changed[0], changed[1]) and torch.equal(changed[1], changed[2])


def test_spec_augment_with_no_masks_or_zero_widths_changes_nothing():
    log_mels = torch.randn(30, 16)
    for counts in ((0, 9, 0, 9), (3, 0, 3, 0)):
        kwargs = dict(zip(("n_freq_masks", "max_freq_width", "n_time_masks", "max_time_width"),
                          counts))
        same = augment.spec_augment(log_mels, generator=np.random.default_rng(0), **kwargs)
        assert torch.equal(same, log_mels)


def test_spec_augment_widths_larger_than_the_input_are_cut_to_it():
    log_mels = torch.randn(4, 3)
    masked = augment.spec_augment(log_mels, n_freq_masks=5, max_freq_width=100, n_time_masks=5,
                                  max_time_width=100, generator=np.random.default_rng(0))
    assert masked.shape == log_mels.shape and torch.isfinite(masked).all()


# --- properties ---

waveforms = arrays(np.float64, st.integers(2, 3_000), elements=st.floats(-1, 1, width=32))


@given(waveforms, st.floats(-20, 60), st.integers(0, 2**32), st.sampled_from(augment.NOISE_COLORS))
def test_noise_at_snr_is_exact_for_random_input(waveform, snr_db, seed, color):
    if not np.any(waveform):
        with pytest.raises(ValueError, match="waveform must have non-zero energy"):
            augment.noise_at_snr(waveform, snr_db, seed=seed, color=color)
        return
    noise = augment.noise_at_snr(waveform, snr_db, seed=seed, color=color)
    assert np.isfinite(noise).all() and noise.shape == waveform.shape
    assert 10 * np.log10(np.sum(waveform ** 2) / np.sum(noise ** 2)) == pytest.approx(snr_db, abs=1e-6)


@given(waveforms.filter(np.any), st.floats(-20, 60), st.floats(0.01, 2.0), st.floats(0.5, 2.0),
       st.integers(0, 2**32))
def test_every_augmentation_is_deterministic_and_finite(waveform, snr_db, rt60, factor, seed):
    calls = [lambda: augment.add_noise(waveform, snr_db, seed=seed, color="pink"),
             lambda: augment.add_reverb(waveform, rt60, seed=seed),
             lambda: augment.room_impulse_response(rt60, seed=seed),
             lambda: augment.perturb_speed(waveform, factor)]
    for call in calls:
        first, second = call(), call()
        assert first.dtype == np.float32 and np.isfinite(first).all()
        np.testing.assert_array_equal(first, second)
    assert np.abs(augment.add_reverb(waveform, rt60, seed=seed)).max() <= 1


@given(st.integers(1, 60), st.integers(1, 30), st.integers(0, 4), st.integers(0, 40),
       st.integers(0, 2**32))
def test_spec_augment_is_deterministic_for_a_seed(n_frames, n_mels, n_masks, max_width, seed):
    log_mels = torch.randn(n_frames, n_mels, generator=torch.Generator().manual_seed(seed % 1000))
    runs = [augment.spec_augment(log_mels, n_freq_masks=n_masks, max_freq_width=max_width,
                                 n_time_masks=n_masks, max_time_width=max_width,
                                 generator=np.random.default_rng(seed)) for _ in range(2)]
    assert torch.equal(runs[0], runs[1]) and torch.isfinite(runs[0]).all()


# --- refusals ---

CLEAN = np.full(100, 0.1)
BAD_CALLS = [
    (lambda: augment.add_noise([0.1, np.nan, 0.2], 10), ValueError, "waveform"),
    (lambda: augment.add_noise(np.zeros(50), 10), ValueError, "waveform"),
    (lambda: augment.add_noise(CLEAN, float("inf")), ValueError, "snr_db"),
    (lambda: augment.add_noise(CLEAN, "10"), TypeError, "snr_db"),
    (lambda: augment.add_noise(CLEAN, 1e300), ValueError, "snr_db"),
    (lambda: augment.add_noise(CLEAN, 10, color="blue"), ValueError, "color"),
    (lambda: augment.add_noise(CLEAN, 10, seed=-1), ValueError, "seed"),
    (lambda: augment.add_noise(CLEAN, 10, seed=1.0), TypeError, "seed"),
    (lambda: augment.add_noise(CLEAN + 1j, 10), TypeError, "waveform"),
    (lambda: augment.add_noise(np.ones((2, 50)), 10), ValueError, "waveform"),
    (lambda: augment.make_noise(0), ValueError, "n_samples"),
    (lambda: augment.room_impulse_response(-0.3), ValueError, "rt60"),
    (lambda: augment.room_impulse_response(0), ValueError, "rt60"),
    (lambda: augment.room_impulse_response(60), ValueError, "rt60"),
    (lambda: augment.room_impulse_response(None), TypeError, "rt60"),
    (lambda: augment.room_impulse_response(0.3, sample_rate=0), ValueError, "sample_rate"),
    (lambda: augment.add_reverb([], 0.3), ValueError, "waveform"),
    (lambda: augment.add_reverb(CLEAN, np.nan), ValueError, "rt60"),
    (lambda: augment.add_reverb("abc", 0.3), TypeError, "waveform"),
    (lambda: augment.room_and_noise(CLEAN, snr_db=None, rt60=-1), ValueError, "rt60"),
    (lambda: augment.room_and_noise(CLEAN, snr_db=None, rt60=0, color="red"), ValueError, "color"),
    (lambda: augment.room_and_noise(CLEAN, snr_db="5", rt60=0), TypeError, "snr_db"),
    (lambda: augment.perturb_speed(CLEAN, 0), ValueError, "factor"),
    (lambda: augment.perturb_speed(CLEAN, 3.0), ValueError, "factor"),
    (lambda: augment.perturb_speed(CLEAN, True), TypeError, "factor"),
    (lambda: augment.perturb_speed([0.5], 1.1), ValueError, "waveform"),
    (lambda: augment.spec_augment(torch.ones(5), n_freq_masks=1, max_freq_width=1,
                                  n_time_masks=1, max_time_width=1,
                                  generator=np.random.default_rng()), ValueError, "log_mels"),
    (lambda: augment.spec_augment(torch.full((5, 4), np.nan), n_freq_masks=1, max_freq_width=1,
                                  n_time_masks=1, max_time_width=1,
                                  generator=np.random.default_rng()), ValueError, "log_mels"),
    (lambda: augment.spec_augment(torch.ones(5, 4), n_freq_masks=-1, max_freq_width=1,
                                  n_time_masks=1, max_time_width=1,
                                  generator=np.random.default_rng()), ValueError, "n_freq_masks"),
    (lambda: augment.spec_augment(torch.ones(5, 4), n_freq_masks=1, max_freq_width=2.0,
                                  n_time_masks=1, max_time_width=1,
                                  generator=np.random.default_rng()), TypeError, "max_freq_width"),
    (lambda: augment.spec_augment(torch.ones(5, 4), n_freq_masks=1, max_freq_width=1,
                                  n_time_masks=1, max_time_width=1, generator=0),
     TypeError, "generator"),
]


@pytest.mark.parametrize("call, error, name", BAD_CALLS)
def test_bad_input_is_refused_with_an_error_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
