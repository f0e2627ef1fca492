"""Fuzzing course_lib.rates: token counts against plain arithmetic, bad numbers refused by name."""

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from course_lib import rates
from course_lib.synth import Phone
from tests.fuzz.common import assert_refused, bad_integers, bad_reals

durations = st.floats(min_value=1e-3, max_value=3600)
rates_per_second = st.floats(min_value=0.5, max_value=200)
python_or_numpy_int = st.one_of(st.integers(1, 64), st.integers(1, 64).map(np.int64))


@given(durations, rates_per_second)
def test_encoder_frames_cover_the_duration_with_no_spare_frame(duration_s, frames_per_second):
    n_frames = rates.encoder_frames(duration_s, frames_per_second)
    assert isinstance(n_frames, int) and n_frames >= 1
    slack = 1e-9 * max(1.0, duration_s * frames_per_second)
    assert n_frames >= duration_s * frames_per_second - slack       # every instant covered
    assert n_frames - 1 < duration_s * frames_per_second + slack    # and no frame to spare


@given(st.integers(0, 10**6), python_or_numpy_int)
def test_pooled_tokens_count_the_groups(n_frames, pool_factor):
    assert rates.pooled_tokens(n_frames, pool_factor) == len(range(0, n_frames, pool_factor))


@given(durations, python_or_numpy_int, rates_per_second)
def test_codec_tokens_are_levels_times_frames(duration_s, n_codebooks, frames_per_second):
    assert rates.codec_tokens(duration_s, n_codebooks, frames_per_second) == (
        n_codebooks * rates.encoder_frames(duration_s, frames_per_second))


@given(st.lists(st.sampled_from(["sil", "k", "æ", "t"]), max_size=30))
def test_merged_segments_is_groupby(labels):
    assert rates.merged_segments(labels) == [label for label, _ in itertools.groupby(labels)]


@given(st.text(max_size=60))
def test_text_tokens_are_pieces_of_the_text(text):
    tokens = rates.text_tokens(text)
    assert all(token and not any(ch.isspace() for ch in token) for token in tokens)
    assert "".join(tokens) == "".join(text.split())  # every other character, once, in order


@st.composite
def phone_lists(draw):
    lengths = draw(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=12))
    ends = np.cumsum(lengths)
    return [Phone(draw(st.sampled_from(["sil", "k", "æ"])), float(end - length), float(end))
            for end, length in zip(ends, lengths)]


@given(phone_lists(), durations, python_or_numpy_int, python_or_numpy_int)
def test_token_rows_agree_with_the_counting_functions(phones, duration_s, pool_factor,
                                                     n_codebooks):
    rows = rates.token_rows("the cat sat.", phones, duration_s, pool_factor=pool_factor,
                            n_codebooks=n_codebooks)
    n_frames = rates.encoder_frames(duration_s, 50)
    assert [row.n_tokens for row in rows] == [
        4, n_frames, rates.pooled_tokens(n_frames, pool_factor),
        len(rates.merged_segments([p.label for p in phones])), 32,
        rates.codec_tokens(duration_s, n_codebooks, 25)]
    for row in rows:
        if row.cells is not None:
            assert np.isfinite(row.cells).all() and (row.cells[:, 1] >= row.cells[:, 0]).all()


@given(st.data())
def test_bad_numbers_are_refused_by_name(data):
    call, name = data.draw(st.sampled_from([
        (lambda bad: rates.encoder_frames(bad, 50), "duration_s"),
        (lambda bad: rates.encoder_frames(5.0, bad), "frames_per_second"),
        (lambda bad: rates.codec_tokens(bad, 4, 25), "duration_s"),
        (lambda bad: rates.token_rows("a", [Phone("a", 0, 1)], bad), "duration_s"),
    ]))
    assert_refused(lambda: call(data.draw(bad_reals(above=0))), name)


@given(st.data())
def test_bad_counts_are_refused_by_name(data):
    call, name, minimum = data.draw(st.sampled_from([
        (lambda bad: rates.pooled_tokens(bad, 2), "n_frames", 0),
        (lambda bad: rates.pooled_tokens(10, bad), "pool_factor", 1),
        (lambda bad: rates.codec_tokens(5.0, bad, 25), "n_codebooks", 1),
        (lambda bad: rates.token_rows("a", [Phone("a", 0, 1)], 5.0, n_queries=bad),
         "n_queries", 1),
    ]))
    assert_refused(lambda: call(data.draw(bad_integers(minimum))), name)


@given(st.sampled_from([None, 3, b"text", ["a"], 2.5]))
def test_text_that_is_not_a_string_is_refused(bad):
    assert_refused(lambda: rates.text_tokens(bad), "text")


@given(st.sampled_from(["sil", None, 3, [1, 2], [["a"]]]))
def test_labels_that_are_not_a_list_of_strings_are_refused(bad):
    assert_refused(lambda: rates.merged_segments(bad), "labels")


def test_minimum_sizes():
    assert rates.pooled_tokens(0, 1) == 0
    assert rates.merged_segments([]) == []
    assert rates.text_tokens("") == []
    assert rates.encoder_frames(1e-12, 50) == 1  # any duration > 0 starts a first frame
