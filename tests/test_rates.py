import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from course_lib.rates import (
    SERIALIZATIONS,
    codec_tokens,
    delay_steps,
    flattening_steps,
    masked_passes,
    masked_steps,
    rq_steps,
    rq_temporal_steps,
    serialization_steps,
    valle_steps,
    encoder_frames,
    merged_segments,
    pooled_tokens,
    text_tokens,
    token_rows,
)
from course_lib.synth import Phone, synthesize


def test_text_tokens_split_words_and_punctuation():
    assert text_tokens("The cat sat on the mat.") == ["The", "cat", "sat", "on", "the", "mat", "."]
    assert text_tokens("Don't stop, Bob!") == ["Don't", "stop", ",", "Bob", "!"]
    assert text_tokens("") == []


@given(n_frames=st.integers(0, 5_000), pool_factor=st.integers(1, 50))
def test_pooled_tokens_counts_groups(n_frames, pool_factor):
    groups = [list(range(n_frames))[i:i + pool_factor] for i in range(0, n_frames, pool_factor)]
    assert pooled_tokens(n_frames, pool_factor) == len(groups)


@given(st.lists(st.sampled_from(["sil", "k", "æ", "t"]), max_size=60))
def test_merged_segments_properties(labels):
    merged = merged_segments(labels)
    assert merged_segments(merged) == merged  # idempotent
    assert all(a != b for a, b in zip(merged, merged[1:]))  # no repeated neighbours
    # expanding each merged label back by its run length restores the input
    runs, i = [], 0
    for label in merged:
        j = i
        while j < len(labels) and labels[j] == label:
            j += 1
        runs.append(j - i)
        i = j
    assert sum(runs) == len(labels) and all(r > 0 for r in runs)


@given(duration=st.floats(0.1, 120), fps=st.sampled_from([12.5, 25, 50, 75]),
       levels=st.integers(1, 32))
def test_codec_tokens_are_levels_times_frames(duration, fps, levels):
    assert codec_tokens(duration, levels, fps) == levels * encoder_frames(duration, fps)
    # one frame per started hop; 1e-9 absorbs float products such as 0.56 * 12.5 = 7.000...01
    assert -1e-9 <= encoder_frames(duration, fps) - duration * fps < 1


@given(milliseconds=st.integers(1, 120_000), fps=st.sampled_from([12.5, 25, 50, 75, 100]))
@example(milliseconds=560, fps=12.5)   # 0.56 * 12.5 = 7.000000000000001 in float64
@example(milliseconds=1100, fps=50)    # 1.1 * 50 = 55.00000000000001
@example(milliseconds=70, fps=100)     # 0.07 * 100 = 7.000000000000001
@example(milliseconds=580, fps=50)     # 0.58 * 50 = 28.999999999999996 (just below)
def test_encoder_frames_is_the_ceiling_of_the_exact_product(milliseconds, fps):
    """Durations written in milliseconds, as a learner types them: the count must be that of
    exact decimal arithmetic, whatever the float product's last bit says."""
    duration = milliseconds / 1000
    exact = Fraction(milliseconds, 1000) * Fraction(fps)
    assert encoder_frames(duration, fps) == math.ceil(exact)


def test_a_float_product_just_above_an_integer_is_not_an_extra_frame():
    assert 1.1 * 50 > 55 and 0.56 * 12.5 > 7  # the float products this guards against
    assert encoder_frames(1.1, 50) == 55 and encoder_frames(0.56, 12.5) == 7
    assert encoder_frames(1.1001, 50) == 56  # a real partial hop still counts


def test_token_rows_are_consistent_with_their_cells():
    utterance = synthesize("The cat sat on the mat.")
    for duration in (utterance.duration, 5.0, 17.3):
        rows = token_rows(utterance.text, utterance.phones, duration, frames_per_second=50,
                          pool_factor=4, n_queries=16, n_codebooks=3, codec_frames_per_second=75)
        names = [row.name for row in rows]
        assert names[0] == "text tokens" and "Q-Former" in names[4] and "codec" in names[5]
        text, frames, pooled, merged, queries, codec = rows
        assert text.n_tokens == 7 and queries.n_tokens == 16
        assert frames.n_tokens == math.ceil(duration * 50 - 1e-9) == len(frames.cells)
        assert pooled.n_tokens == math.ceil(frames.n_tokens / 4) == len(pooled.cells)
        assert merged.n_tokens == len(merged.cells) == len(utterance.phones)
        assert codec.n_tokens == 3 * len(codec.cells) and codec.n_lanes == 3
        for row in (frames, pooled, merged, codec):  # cells tile [0, duration] in order
            assert row.cells[0, 0] == 0 and row.cells[-1, 1] == pytest.approx(duration)
            assert np.all(np.diff(row.cells[:, 0]) > 0)
            assert np.all(row.cells[:, 1] > row.cells[:, 0])
            assert np.allclose(row.cells[1:, 0], row.cells[:-1, 1])


@pytest.mark.parametrize("call, message", [
    (lambda: encoder_frames(0, 50), "duration_s"),
    (lambda: encoder_frames(5, -1), "frames_per_second"),
    (lambda: encoder_frames(float("nan"), 50), "duration_s"),
    (lambda: pooled_tokens(10, 0), "pool_factor"),
    (lambda: pooled_tokens(-1, 2), "n_frames"),
    (lambda: codec_tokens(5, 0, 25), "n_codebooks"),
    (lambda: token_rows("a", [], 5.0), "phones"),
    (lambda: token_rows("a", [Phone("a", 0, 1)], 5.0, n_queries=0), "n_queries"),
])
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- issue 9: NumPy numbers accepted wherever Python numbers are; others refused by name ---

def test_numpy_numbers_are_accepted_like_python_numbers():
    assert encoder_frames(np.int64(5), np.float32(50)) == 250
    assert pooled_tokens(np.int64(10), np.int64(3)) == 4
    assert codec_tokens(np.float64(2.0), np.int32(4), np.int64(25)) == 200
    rows = token_rows("a b", [Phone("a", 0.0, 1.0)], np.float64(2.0), n_queries=np.int64(8),
                      pool_factor=np.int64(2), n_codebooks=np.int16(2))
    assert [row.n_tokens for row in rows] == [2, 100, 50, 1, 8, 100]


@pytest.mark.parametrize("call, error, name", [
    (lambda: encoder_frames(None, 50), TypeError, "duration_s"),
    (lambda: encoder_frames("5", 50), TypeError, "duration_s"),
    (lambda: encoder_frames(5, float("inf")), ValueError, "frames_per_second"),
    (lambda: pooled_tokens(None, 2), TypeError, "n_frames"),
    (lambda: pooled_tokens(10.0, 2), TypeError, "n_frames"),
    (lambda: pooled_tokens(10, "2"), TypeError, "pool_factor"),
    (lambda: codec_tokens(5, None, 25), TypeError, "n_codebooks"),
    (lambda: codec_tokens(5, 4, float("nan")), ValueError, "frames_per_second"),
    (lambda: text_tokens(3), TypeError, "text"),
    (lambda: text_tokens(None), TypeError, "text"),
    (lambda: merged_segments("sil"), TypeError, "labels"),
    (lambda: merged_segments(None), TypeError, "labels"),
    (lambda: token_rows(None, [Phone("a", 0, 1)], 5.0), TypeError, "text"),
    (lambda: token_rows("a", [("a", 0, 1)], 5.0), TypeError, "phones"),
    (lambda: token_rows("a", [Phone("a", 0, 0)], 5.0), ValueError, "phones"),
    (lambda: token_rows("a", [Phone("a", 0, 1)], 5.0, n_queries=None), TypeError, "n_queries"),
])
def test_bad_arguments_are_refused_by_name(call, error, name):
    with pytest.raises(error, match=f"{name} must"):
        call()


# --- serialization steps (notebook 10) ---

@pytest.mark.parametrize("n_frames, n_codebooks, expected", [
    (1, 1, 1), (3, 3, 9), (50, 4, 200), (75, 8, 600)])
def test_flattening_steps_by_hand(n_frames, n_codebooks, expected):
    assert flattening_steps(n_frames, n_codebooks) == expected


def test_the_essay_and_source_counts():
    assert delay_steps(50, 4) == 53  # one second of MusicGen: 50 frames, 4 levels
    assert valle_steps(75, 8) == 82  # one second of VALL-E: 75 AR steps + 7 NAR passes
    assert masked_steps(50 * 30, 12) == 27  # SoundStorm: 16 + 11 passes, whatever T
    assert masked_steps(10, 12) == 10 + 11  # level 1 cannot take more passes than frames
    assert masked_steps(100, 3, first_passes=4, later_passes=2) == 8
    assert rq_steps(13, 8) == 104 and rq_temporal_steps(13, 8, 2) == 15
    assert rq_temporal_steps(13, 1, 2) == 13  # one level: nothing lags


@given(n_frames=st.integers(1, 300), n_codebooks=st.integers(1, 16))
def test_one_step_per_diagonal_in_the_delay_pattern(n_frames, n_codebooks):
    # the delay pattern emits frame t of level k at step t + k: count the distinct steps
    diagonals = {frame + level for frame in range(n_frames) for level in range(n_codebooks)}
    assert delay_steps(n_frames, n_codebooks) == len(diagonals)
    assert valle_steps(n_frames, n_codebooks) == n_frames + (n_codebooks - 1)
    assert flattening_steps(n_frames, n_codebooks) == rq_steps(n_frames, n_codebooks) \
        == len([(t, k) for t in range(n_frames) for k in range(n_codebooks)])


@given(n_frames=st.integers(1, 100), n_codebooks=st.integers(1, 12),
       first_passes=st.integers(1, 30), later_passes=st.integers(1, 5))
def test_masked_steps_add_the_passes_of_every_level(n_frames, n_codebooks, first_passes,
                                                    later_passes):
    per_level = [masked_passes(n_frames, first_passes)] + \
        [masked_passes(n_frames, later_passes)] * (n_codebooks - 1)
    assert masked_steps(n_frames, n_codebooks, first_passes, later_passes) == sum(per_level)
    assert masked_steps(n_frames, n_codebooks) <= flattening_steps(n_frames, n_codebooks)
    assert serialization_steps("masked", n_frames, n_codebooks, first_passes=first_passes,
                               later_passes=later_passes) == sum(per_level)


def test_serialization_steps_names_every_pattern():
    assert SERIALIZATIONS == ("flattening", "valle", "delay", "masked", "rq")
    assert [serialization_steps(name, 10, 4) for name in SERIALIZATIONS] == [40, 13, 13, 13, 40]
    with pytest.raises(ValueError, match="pattern must be one of"):
        serialization_steps("interleaved", 10, 4)
    with pytest.raises(ValueError, match="passes must be"):
        masked_passes(10, 0)
    with pytest.raises(TypeError, match="n_frames must be"):
        rq_temporal_steps("10", 4)


def test_text_tokens_for_duration_is_the_essays_rate_rounded_up():
    from course_lib import rates

    assert rates.TEXT_TOKENS_PER_SECOND == 4.0
    assert rates.text_tokens_for_duration(5.0) == 20
    assert rates.text_tokens_for_duration(2.6) == 11      # 10.4 -> 11
    assert rates.text_tokens_for_duration(1.1, 10) == 11  # no floating-point 12
    assert rates.text_tokens_for_duration(0.01) == 1
    with pytest.raises(ValueError, match="tokens_per_second"):
        rates.text_tokens_for_duration(1.0, 0)
