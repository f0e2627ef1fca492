"""Fuzz the aligner's public API: random phone lists on random audio, file names, bad input."""

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.aligner import STATES_PER_PHONE, frame_to_seconds, load_phone_aligner


@lru_cache(maxsize=1)
def aligner():
    return load_phone_aligner()


@lru_cache(maxsize=1)
def known_phones():
    return aligner().phones


@given(st.integers(1, 6).flatmap(lambda n: st.lists(st.sampled_from(known_phones()),
                                                    min_size=n, max_size=n)),
       st.floats(0.05, 0.6), st.integers(0, 10_000), st.booleans())
def test_alignment_is_contiguous_or_refused_as_too_short(labels, seconds, seed, as_array):
    waveform = np.random.default_rng(seed).normal(size=round(seconds * 16_000)) * 0.1
    n_frames = 1 + (len(waveform) - 400) // 160
    given_labels = np.array(labels) if as_array else labels
    if n_frames < STATES_PER_PHONE * len(labels):
        with pytest.raises(ValueError, match="too short"):
            aligner().align(waveform, given_labels)
        return
    phones = aligner().align(waveform, given_labels)
    assert [p.label for p in phones] == labels
    assert phones[0].start == 0 and phones[-1].end == pytest.approx(len(waveform) / 16_000)
    assert all(a.end == b.start and a.start < a.end for a, b in zip(phones, phones[1:]))


@given(st.sampled_from(["sil", "", None, 3, ["sil", 3], ["no-such-phone"], [], [["sil"]]]))
def test_bad_phone_labels_are_refused_naming_them(labels):
    with pytest.raises((ValueError, TypeError), match="phone_labels"):
        aligner().align(np.zeros(16_000), labels)


@given(st.sampled_from([np.full(8000, np.nan), [], np.zeros((2, 8000)), "audio", None,
                        np.zeros(8000, complex)]))
def test_bad_audio_is_refused_naming_the_waveform(waveform):
    with pytest.raises((ValueError, TypeError), match="waveform"):
        aligner().align(waveform, ["sil"])


@given(st.lists(st.integers(0, 100_000), min_size=1, max_size=20))
def test_boundaries_are_half_a_hop_before_each_frame_centre(frames):
    times = frame_to_seconds(np.array(frames))
    np.testing.assert_allclose(times, (np.array(frames) * 10 + 7.5) / 1000, rtol=0, atol=1e-12)
    assert frame_to_seconds(frames[0]) == times[0]


@given(st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=12),
       st.booleans())
def test_save_and_load_round_trip_any_plain_name(tmp_path_factory, name, with_suffix):
    folder = tmp_path_factory.mktemp("aligners")
    path = folder / (name + ".npz" if with_suffix else name)
    written = aligner().save(path)
    loaded = load_phone_aligner(path)
    assert written.is_file() and written.suffix == ".npz"
    assert loaded.phones == aligner().phones
    np.testing.assert_array_equal(loaded.means, aligner().means)
