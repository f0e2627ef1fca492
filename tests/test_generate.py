"""Tests of course_lib.generate: the phone-to-code generator's shapes, input checks and
determinism (an untrained network; trained weights and the baseline criteria are to come)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import codec, generate, phones
from course_lib.serialize import PATTERNS
from course_lib.synth import Phone


def _timed(labels, seconds_each=0.05):
    return [Phone(label, i * seconds_each, (i + 1) * seconds_each, 0)
            for i, label in enumerate(labels)]


@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    return generate.CodeGenerator()


@settings(max_examples=10, deadline=None)
@given(labels=st.lists(st.sampled_from(phones.PHONES), min_size=1, max_size=6),
       pattern=st.sampled_from(PATTERNS))
def test_codes_have_one_row_per_frame_and_four_levels(untrained, labels, pattern):
    sequence = _timed(labels)
    codes = generate.generate(untrained, sequence, pattern)
    n_frames = int(np.ceil(len(labels) * 0.05 * codec.FRAMES_PER_SECOND - 1e-9))
    assert codes.shape == (n_frames, generate.N_LEVELS)
    assert codes.min() >= 0 and codes.max() < codec.CODEBOOK_SIZE


def test_frames_take_the_phone_at_their_centre():
    indices = generate.frame_phones(_timed(["æ", "s"], seconds_each=0.04))
    assert indices.tolist() == phones.phones_to_indices(["æ", "æ", "s", "s"])


def test_an_unknown_phone_is_a_value_error(untrained):
    with pytest.raises(ValueError, match="unknown phones"):
        generate.generate(untrained, _timed(["æ", "not-a-phone"]), "delay")


def test_an_empty_sequence_is_a_value_error(untrained):
    with pytest.raises(ValueError, match="empty"):
        generate.generate(untrained, [], "delay")


def test_an_unknown_pattern_is_a_value_error(untrained):
    with pytest.raises(ValueError, match="pattern"):
        generate.generate(untrained, _timed(["æ"]), "zigzag")


def test_sampling_with_one_seed_repeats(untrained):
    sequence = _timed(["æ", "s", "t"])
    first = generate.generate(untrained, sequence, "masked", seed=3)
    again = generate.generate(untrained, sequence, "masked", seed=3)
    np.testing.assert_array_equal(first, again)
