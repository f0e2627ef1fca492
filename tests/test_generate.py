"""Tests of course_lib.generate: the phone-to-code generator's shapes, input checks and
determinism (an untrained network; trained weights and the baseline criteria are to come)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import codec, generate, phones
from course_lib.serialize import MASK, PATTERNS
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


@pytest.mark.parametrize("pattern", PATTERNS)
def test_training_context_hides_the_step_and_what_follows(pattern):
    codes = np.arange(6 * generate.N_LEVELS).reshape(6, generate.N_LEVELS) % 256
    inputs, targets = generate.training_context(codes, pattern, np.random.default_rng(1))
    assert targets.any()
    assert (inputs[targets] == MASK).all()
    shown = inputs != MASK
    np.testing.assert_array_equal(inputs[shown], codes[shown])


def test_delay_context_targets_one_code_per_level_on_a_diagonal():
    codes = np.zeros((8, generate.N_LEVELS), dtype=np.int64)
    for seed in range(5):
        _, targets = generate.training_context(codes, "delay", np.random.default_rng(seed))
        frames, levels = np.nonzero(targets)
        assert len(set((frames + levels).tolist())) == 1  # frame t + level k = the step


def test_training_context_rejects_the_wrong_number_of_levels():
    with pytest.raises(ValueError, match="codes must have shape"):
        generate.training_context(np.zeros((5, 8), dtype=np.int64), "delay",
                                  np.random.default_rng(0))


def test_a_few_optimizer_steps_fit_one_context():
    torch.manual_seed(0)
    generator = generate.CodeGenerator()
    rng = np.random.default_rng(0)
    codes = rng.integers(0, codec.CODEBOOK_SIZE, size=(10, generate.N_LEVELS))
    inputs, targets = generate.training_context(codes, "valle", rng)
    phones_per_frame = torch.full((1, 10), 5, dtype=torch.int64)
    tensors = [torch.as_tensor(x)[None] for x in (inputs, codes, targets)]
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        loss = generate.context_loss(generator, phones_per_frame, *tensors)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > np.log(codec.CODEBOOK_SIZE) - 1.0  # untrained: about uniform
    assert losses[-1] < 0.5 * losses[0]
