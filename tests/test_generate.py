"""Tests of course_lib.generate: the phone-to-code generator's shapes, input checks, training
contexts (checked against serialize's own orders), the RQ split into a temporal model and a
depth block, and the shipped generators' baseline criteria."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import codec, generate, phones, rates, serialize
from course_lib.serialize import MASK, PATTERNS
from course_lib.synth import Phone


def _timed(labels, seconds_each=0.05):
    return [Phone(label, i * seconds_each, (i + 1) * seconds_each, 0)
            for i, label in enumerate(labels)]


@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    return generate.CodeGenerator().eval()


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
    assert generate.frame_phones(_timed(["æ", "s"], seconds_each=0.04), n_frames=5).tolist() \
        == phones.phones_to_indices(["æ", "æ", "s", "s", "s"])


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
def test_the_decode_loop_calls_the_generator_once_per_step_of_rates(untrained, pattern):
    n_frames, n_levels = 7, 3
    calls = []
    score = generate.model_function(untrained, np.zeros(n_frames, dtype=np.int64))

    def counted(step):
        calls.append(step.index)
        return score(step)

    serialize.decode(counted, pattern, n_frames, n_levels)
    assert len(calls) == rates.serialization_steps(pattern, n_frames, n_levels)


def test_rq_runs_the_temporal_model_once_per_frame_step(untrained, monkeypatch):
    n_frames = 6
    encoded = []
    original = untrained.encode
    monkeypatch.setattr(untrained, "encode", lambda *a, **k: encoded.append(1) or original(*a, **k))
    serialize.decode(generate.model_function(untrained, np.zeros(n_frames, dtype=np.int64)),
                     "rq", n_frames, generate.N_LEVELS)
    assert len(encoded) == rates.rq_temporal_steps(n_frames, generate.N_LEVELS)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), level=st.integers(0, generate.N_LEVELS - 1))
def test_the_depth_block_reads_only_the_levels_below(untrained, seed, level):
    rng = np.random.default_rng(seed)
    hidden = torch.as_tensor(rng.normal(size=(1, 3, generate.D_MODEL)), dtype=torch.float32)
    depth_codes = torch.as_tensor(rng.integers(0, 256, size=(1, 3, generate.N_LEVELS)))
    changed = depth_codes.clone()
    changed[:, :, level:] = torch.as_tensor(rng.integers(0, 256, size=changed[:, :, level:].shape))
    with torch.no_grad():
        before = untrained.depth(hidden, depth_codes)[:, :, :level + 1]
        after = untrained.depth(hidden, changed)[:, :, :level + 1]
    torch.testing.assert_close(before, after)


def test_a_padded_batch_equals_its_items_one_by_one(untrained):
    rng = np.random.default_rng(0)
    lengths = [5, 9]
    phones_ = [torch.as_tensor(rng.integers(0, len(phones.LABELS), size=n)) for n in lengths]
    codes = [torch.as_tensor(rng.integers(-2, 256, size=(n, generate.N_LEVELS)).clip(-2))
             for n in lengths]
    codes = [torch.where(c == -1, MASK, c) for c in codes]
    batch_phones = torch.zeros(2, 9, dtype=torch.int64)
    batch_codes = torch.full((2, 9, generate.N_LEVELS), MASK)
    padding = torch.ones(2, 9, dtype=torch.bool)
    for i, n in enumerate(lengths):
        batch_phones[i, :n], batch_codes[i, :n], padding[i, :n] = phones_[i], codes[i], False
    with torch.no_grad():
        together = untrained(batch_phones, batch_codes, padding=padding)
        for i, n in enumerate(lengths):
            alone = untrained(phones_[i][None], codes[i][None])[0]
            torch.testing.assert_close(together[i, :n], alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pattern", ["flattening", "valle", "delay"])
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n_frames=st.integers(1, 9))
def test_a_context_shows_exactly_the_codes_fixed_before_one_step(pattern, seed, n_frames):
    codes = np.random.default_rng(seed).integers(0, 256, size=(n_frames, generate.N_LEVELS))
    inputs, depth_codes, hidden = generate.training_context(codes, pattern,
                                                            np.random.default_rng(seed))
    step_of = serialize.generation_order(pattern, n_frames, generate.N_LEVELS)
    first_hidden = step_of[hidden].min()
    np.testing.assert_array_equal(hidden, step_of >= first_hidden)
    np.testing.assert_array_equal(inputs, np.where(hidden, MASK, codes))
    assert (depth_codes == MASK).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_frames=st.integers(1, 9))
def test_a_masked_context_hides_part_of_one_level_and_all_above(seed, n_frames):
    codes = np.random.default_rng(seed).integers(0, 256, size=(n_frames, generate.N_LEVELS))
    inputs, _, hidden = generate.training_context(codes, "masked", np.random.default_rng(seed))
    partial = [level for level in range(generate.N_LEVELS) if 0 < hidden[:, level].sum()]
    level = partial[0]
    assert not hidden[:, :level].any() and hidden[:, level + 1:].all()
    np.testing.assert_array_equal(inputs[~hidden], codes[~hidden])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_frames=st.integers(1, 9))
def test_an_rq_context_gives_the_depth_block_the_hidden_codes(seed, n_frames):
    codes = np.random.default_rng(seed).integers(0, 256, size=(n_frames, generate.N_LEVELS))
    inputs, depth_codes, hidden = generate.training_context(codes, "rq",
                                                            np.random.default_rng(seed))
    temporal = serialize.decode(lambda step: np.zeros((len(step.targets), 2)), "rq",
                                n_frames, generate.N_LEVELS)  # which call fixed each code
    assert hidden.any()
    np.testing.assert_array_equal(depth_codes, np.where(hidden, codes, MASK))
    np.testing.assert_array_equal(inputs, np.where(hidden, MASK, codes))
    # hidden codes are those of a frame step and after: in decode order, a suffix
    order = np.argsort(temporal.step_of, axis=None)
    flags = hidden.ravel()[order]
    assert not (flags[:-1] & ~flags[1:]).any()


def test_training_context_rejects_the_wrong_number_of_levels():
    with pytest.raises(ValueError, match="codes must have shape"):
        generate.training_context(np.zeros((5, 8), dtype=np.int64), "delay",
                                  np.random.default_rng(0))


def test_a_few_optimizer_steps_fit_one_context():
    torch.manual_seed(0)
    generator = generate.CodeGenerator()
    rng = np.random.default_rng(0)
    codes = rng.integers(0, codec.CODEBOOK_SIZE, size=(10, generate.N_LEVELS))
    inputs, depth_codes, hidden = generate.training_context(codes, "valle", rng)
    phones_per_frame = torch.full((1, 10), 5, dtype=torch.int64)
    tensors = [torch.as_tensor(x)[None] for x in (inputs, depth_codes, codes, hidden)]
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-3)
    losses = []
    for _ in range(40):
        loss = generate.context_loss(generator, phones_per_frame, *tensors)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > np.log(codec.CODEBOOK_SIZE) - 1.0  # untrained: about uniform
    assert losses[-1] < 0.5 * losses[0]


def test_shuffled_phones_keep_the_segments_and_lose_the_order():
    sequence = _timed(["h", "ə", "l", "oʊ", "w", "ɜː", "l", "d"])
    shuffled = generate.shuffled_phones(sequence, seed=1)
    assert [(p.start, p.end) for p in shuffled] == [(p.start, p.end) for p in sequence]
    assert sorted(p.label for p in shuffled) == sorted(p.label for p in sequence)
    assert [p.label for p in shuffled] != [p.label for p in sequence]


# --- the shipped generators --------------------------------------------------------------------

N_FIXED = 10  # the first 10 held-out sentences: a fixed set, small enough for make test


@pytest.fixture(scope="module")
def fixed_held_out_per():
    """PER of every shipped generator on the first N_FIXED held-out sentences."""
    from course_lib.recognizer import load_recognizer
    recognizer, codec_model = load_recognizer(), codec.load_codec()
    utterances = generate.evaluation_utterances("held-out sentences", N_FIXED)
    per = {}
    for name in generate.GENERATORS:
        pattern = generate.BASELINE_ORDER if name == generate.PHONE_BLIND else name
        per[name] = generate.score(generate.load_generator(name), pattern, utterances,
                                   recognizer, codec_model,
                                   phone_blind=name == generate.PHONE_BLIND)["per"]
    return per


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_shipped_order_beats_the_phone_blind_generator_by_20_points(fixed_held_out_per,
                                                                          pattern):
    assert fixed_held_out_per[pattern] <= fixed_held_out_per[generate.PHONE_BLIND] - 0.20


def test_the_best_shipped_order_reaches_40_percent_per_on_held_out(fixed_held_out_per):
    assert min(fixed_held_out_per[p] for p in PATTERNS) <= 0.40


def test_the_stored_bake_off_covers_every_generator_on_both_sets():
    _, rows = generate.shipped_records()
    pairs = {(row["generator"], row["set"]) for row in rows}
    for name in generate.GENERATORS:
        for which in generate.EVALUATION_SETS:
            assert (name, which) in pairs
    assert all(0 <= row["per"] <= 2 and row["log_mel"] > 0 for row in rows)
