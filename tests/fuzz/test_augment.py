"""Fuzzing course_lib.augment: valid input of any size gives finite audio of the promised
length; every corrupted argument is refused with an error that names it."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import augment
from tests.fuzz.common import CORRUPTIONS, assert_refused, bad_integers, bad_reals, corrupt

CLEAN = np.linspace(-0.5, 0.5, 64)


@given(arrays(np.float32, st.integers(2, 4_000), elements=st.floats(-1, 1, width=32)),
       st.floats(-30, 80), st.floats(1e-3, 3.0), st.floats(0.5, 2.0), st.integers(0, 2**40))
def test_valid_input_gives_finite_float32_audio_of_the_promised_length(waveform, snr_db, rt60,
                                                                       factor, seed):
    reverberant = augment.add_reverb(waveform, rt60, seed=seed)
    faster = augment.perturb_speed(waveform, factor)
    assert reverberant.shape == waveform.shape and np.abs(reverberant).max() <= 1
    assert len(faster) == round(len(waveform) / factor)
    results = [reverberant, faster]
    if np.any(waveform):
        results.append(augment.add_noise(waveform, snr_db, seed=seed, color="pink"))
    for result in results:
        assert result.dtype == np.float32 and np.isfinite(result).all()


@given(st.sampled_from(CORRUPTIONS))
def test_corrupted_waveforms_are_refused(how):
    bad = corrupt(CLEAN, how)
    for call in (lambda: augment.add_noise(bad, 10), lambda: augment.add_reverb(bad, 0.3),
                 lambda: augment.perturb_speed(bad, 1.1)):
        assert_refused(call, "waveform")


@given(bad_reals())
def test_bad_numbers_are_refused(value):
    assert_refused(lambda: augment.add_noise(CLEAN, value), "snr_db")
    assert_refused(lambda: augment.add_reverb(CLEAN, value), "rt60")
    assert_refused(lambda: augment.perturb_speed(CLEAN, value), "factor")


@given(bad_integers(minimum=0))
def test_bad_seeds_and_counts_are_refused(value):
    assert_refused(lambda: augment.add_noise(CLEAN, 10, seed=value), "seed")
    assert_refused(lambda: augment.room_impulse_response(0.3, seed=value), "seed")
    assert_refused(lambda: augment.spec_augment(
        torch.zeros(8, 4), n_freq_masks=1, max_freq_width=2, n_time_masks=value,
        max_time_width=2, generator=np.random.default_rng(0)), "n_time_masks")


@given(st.sampled_from([how for how in CORRUPTIONS if how != "more dims"]))  # a batch is valid
def test_corrupted_spectrograms_are_refused(how):
    bad = corrupt(np.ones((6, 4)), how)
    assert_refused(lambda: augment.spec_augment(
        bad, n_freq_masks=1, max_freq_width=2, n_time_masks=1, max_time_width=2,
        generator=np.random.default_rng(0)), "log_mels")
