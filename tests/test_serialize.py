"""course_lib.serialize: exact round trips, hand-drawn layouts, decode loops that take the step
counts of course_lib.rates, and masked decoding that fills every code once."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import rates, serialize
from course_lib.serialize import MASK, PAD, PATTERNS

# T = K = 3 with codes 10*frame + level + 1: a0=1 b0=2 c0=3, a1=11 b1=12 c1=13, a2=21 ...
CODES_3x3 = np.array([[1, 2, 3], [11, 12, 13], [21, 22, 23]])
_ = PAD
EXPECTED_3x3 = {
    "flattening": np.array([1, 2, 3, 11, 12, 13, 21, 22, 23]),
    "valle": np.array([[1, 11, 21],
                       [2, 12, 22],
                       [3, 13, 23]]),
    "delay": np.array([[1, _, _],
                       [11, 2, _],
                       [21, 12, 3],
                       [_, 22, 13],
                       [_, _, 23]]),
    "masked": np.array([[1, 2, 3],
                        [11, 12, 13],
                        [21, 22, 23]]),
    "rq": np.array([[1, _, _],
                    [11, 2, 3],
                    [21, 12, 13],
                    [_, 22, 23]]),
}
# the step at which each code is fixed, T = K = 3 (masked: 2 passes on level 1, 1 later)
EXPECTED_ORDER_3x3 = {
    "flattening": [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
    "valle": [[0, 3, 4], [1, 3, 4], [2, 3, 4]],
    "delay": [[0, 1, 2], [1, 2, 3], [2, 3, 4]],
    # temporal step 0: a0; 1: a1 b0 c0; 2: a2 b1 c1; 3: b2 c2 (one depth step per code)
    "rq": [[0, 2, 3], [1, 5, 6], [4, 7, 8]],
}

code_matrices = st.tuples(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**31 - 1)).map(
    lambda size: np.random.default_rng(size[2]).integers(0, 1024, size=size[:2]))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_layout_at_three_frames_and_three_levels(pattern):
    layout = serialize.build(CODES_3x3, pattern)
    assert np.array_equal(layout, EXPECTED_3x3[pattern])
    assert np.array_equal(serialize.revert(layout, pattern, n_codebooks=3), CODES_3x3)


def test_rq_layout_with_an_acoustic_delay_of_two():
    layout = serialize.build(CODES_3x3, "rq", acoustic_delay=2)
    assert np.array_equal(layout, [[1, _, _], [11, _, _], [21, 2, 3], [_, 12, 13], [_, 22, 23]])
    assert np.array_equal(serialize.revert(layout, "rq", acoustic_delay=2), CODES_3x3)


@given(codes=code_matrices, pattern=st.sampled_from(PATTERNS), acoustic_delay=st.integers(0, 3))
def test_revert_undoes_build_exactly(codes, pattern, acoustic_delay):
    layout = serialize.build(codes, pattern, acoustic_delay=acoustic_delay)
    back = serialize.revert(layout, pattern, n_codebooks=codes.shape[1],
                            acoustic_delay=acoustic_delay)
    assert back.dtype == np.int64 and np.array_equal(back, codes)
    assert np.count_nonzero(layout != PAD) == codes.size  # every code once, padding aside


def test_build_copies_rather_than_views():
    codes = CODES_3x3.copy()
    for pattern in PATTERNS:
        serialize.build(codes, pattern)[...] = 0
    assert np.array_equal(codes, CODES_3x3)


class CountingModel:
    """A stub generator: counts its calls and the temporal steps it sees, checks that every
    target is still masked, and answers code (frame + level) % 5 with a random confidence."""

    def __init__(self, seed=0):
        self.calls, self.temporal_steps, self.fixed = 0, set(), []
        self.rng = np.random.default_rng(seed)
        self.previous = None

    def __call__(self, step):
        assert step.index == self.calls
        frames, levels = step.targets.T
        assert (step.codes[frames, levels] == MASK).all(), "a code was asked for twice"
        self.calls += 1
        self.temporal_steps.add(step.temporal_step)
        if self.previous is not None:  # a fixed code never changes, and each step fixes some
            was_fixed = self.previous != MASK
            assert np.array_equal(step.codes[was_fixed], self.previous[was_fixed])
            self.fixed.append(int((step.codes != MASK).sum() - was_fixed.sum()))
            assert self.fixed[-1] >= 1
        self.previous = step.codes
        log_probs = np.full((len(step.targets), 5), -50.0)
        log_probs[np.arange(len(frames)), (frames + levels) % 5] = np.log(
            self.rng.uniform(0.3, 1.0, size=len(frames)))
        return log_probs


@given(n_frames=st.integers(1, 40), n_codebooks=st.integers(1, 9),
       pattern=st.sampled_from(PATTERNS), first_passes=st.integers(1, 20),
       later_passes=st.integers(1, 4))
def test_decode_calls_the_model_as_often_as_the_formula_says(n_frames, n_codebooks, pattern,
                                                              first_passes, later_passes):
    model = CountingModel()
    decoded = serialize.decode(model, pattern, n_frames, n_codebooks,
                               first_passes=first_passes, later_passes=later_passes)
    expected = rates.serialization_steps(pattern, n_frames, n_codebooks,
                                         first_passes=first_passes, later_passes=later_passes)
    assert model.calls == decoded.n_steps == expected
    frames, levels = np.indices((n_frames, n_codebooks))
    assert np.array_equal(decoded.codes, (frames + levels) % 5)


@given(n_frames=st.integers(1, 30), n_codebooks=st.integers(2, 6), acoustic_delay=st.integers(0, 3))
def test_rq_runs_the_temporal_model_t_plus_delay_times(n_frames, n_codebooks, acoustic_delay):
    model = CountingModel()
    serialize.decode(model, "rq", n_frames, n_codebooks, acoustic_delay=acoustic_delay)
    # the last depth step belongs to temporal step T + delay - 1 (when the delay exceeds T, a
    # few temporal steps in between hold only padding and ask the model for nothing)
    assert max(model.temporal_steps) + 1 == rates.rq_temporal_steps(n_frames, n_codebooks,
                                                                     acoustic_delay)
    assert model.calls == rates.rq_steps(n_frames, n_codebooks)


@given(n_frames=st.integers(1, 60), n_codebooks=st.integers(1, 5), first_passes=st.integers(1, 20),
       later_passes=st.integers(1, 5), seed=st.integers(0, 1000))
def test_masked_decoding_fixes_every_code_exactly_once(n_frames, n_codebooks, first_passes,
                                                        later_passes, seed):
    model = CountingModel(seed)
    decoded = serialize.decode(model, "masked", n_frames, n_codebooks,
                               first_passes=first_passes, later_passes=later_passes)
    assert (decoded.step_of >= 0).all() and (decoded.codes != MASK).all()
    # what the steps fixed, one by one, adds up to every code, so none was fixed twice
    last = np.bincount(decoded.step_of.ravel(), minlength=decoded.n_steps)[-1]
    assert sum(model.fixed) + last == n_frames * n_codebooks
    per_level = [np.unique(decoded.step_of[:, level]) for level in range(n_codebooks)]
    # levels go coarse to fine: every step of level k comes before every step of level k+1
    assert all(a.max() < b.min() for a, b in zip(per_level, per_level[1:]))
    assert [len(steps) for steps in per_level] == (
        [min(first_passes, n_frames)] + [min(later_passes, n_frames)] * (n_codebooks - 1))


def test_masked_decoding_fixes_the_most_confident_codes_first():
    confidence = np.array([0.2, 0.9, 0.5, 0.95, 0.1, 0.6])

    def model(step):
        log_probs = np.full((len(step.targets), 3), -30.0)
        log_probs[:, 0] = np.log(confidence[step.targets[:, 0]])
        return log_probs

    decoded = serialize.decode(model, "masked", 6, 1, first_passes=3)
    # cosine schedule for 6 tokens in 3 passes: 6 -> 5 -> 3 -> 0 masked, so 1, 2, 3 fixed
    assert serialize.masked_schedule(6, 3).tolist() == [1, 2, 3]
    # pass 0: frame 3 (0.95); pass 1: frames 1 (0.9) and 5 (0.6); pass 2: the rest
    assert decoded.step_of[:, 0].tolist() == [2, 1, 2, 0, 2, 1]


@given(n_tokens=st.integers(1, 500), passes=st.integers(1, 40))
def test_masked_schedule_fixes_at_least_one_per_pass_and_all_in_the_end(n_tokens, passes):
    counts = serialize.masked_schedule(n_tokens, passes)
    assert len(counts) == min(passes, n_tokens) and counts.sum() == n_tokens
    assert (counts >= 1).all()


def test_masked_schedule_follows_the_cosine():
    # 10 tokens in 4 passes: 10 cos(pi/8) = 9.24, 10 cos(pi/4) = 7.07, 10 cos(3 pi/8) = 3.83
    assert serialize.masked_schedule(10, 4).tolist() == [1, 2, 4, 3]
    assert serialize.masked_schedule(3, 16).tolist() == [1, 1, 1]


def test_most_confident_breaks_ties_towards_the_earlier_row():
    log_probs = np.log([[0.5, 0.5], [0.1, 0.9], [0.9, 0.1], [0.7, 0.3]])
    assert serialize.most_confident(log_probs, 2).tolist() == [1, 2]
    assert serialize.most_confident(log_probs, 3).tolist() == [1, 2, 3]
    assert serialize.most_confident(log_probs, 0).tolist() == []


@pytest.mark.parametrize("pattern", sorted(EXPECTED_ORDER_3x3))
def test_generation_order_at_three_frames_and_three_levels(pattern):
    order = serialize.generation_order(pattern, 3, 3)
    assert np.array_equal(order, EXPECTED_ORDER_3x3[pattern])


def test_generation_order_of_rq_with_delay_two():
    # temporal step 0: a0; step 1: a1; step 2: a2 b0 c0; step 3: b1 c1; step 4: b2 c2
    order = serialize.generation_order("rq", 3, 3, acoustic_delay=2)
    assert np.array_equal(order, [[0, 3, 4], [1, 5, 6], [2, 7, 8]])


def test_context_is_what_came_at_an_earlier_step():
    delay = serialize.generation_order("delay", 3, 3)
    visible = serialize.context(delay, 1, 1)  # b1, fixed at step 2, sees steps 0 and 1
    assert np.array_equal(visible, [[True, True, False], [True, False, False],
                                    [False, False, False]])
    valle = serialize.generation_order("valle", 3, 3)
    assert np.array_equal(serialize.context(valle, 0, 2),  # c0 sees all of levels 1 and 2
                          [[True, True, False]] * 3)


def test_sampling_is_reproducible_with_a_seeded_generator():
    def model(step):
        return np.log(np.full((len(step.targets), 7), 1 / 7))

    first = serialize.decode(model, "delay", 20, 4, rng=np.random.default_rng(3)).codes
    again = serialize.decode(model, "delay", 20, 4, rng=np.random.default_rng(3)).codes
    assert np.array_equal(first, again) and len(np.unique(first)) > 1
    assert first.min() >= 0 and first.max() <= 6


def test_sampling_follows_the_distribution():
    def model(step):
        return np.log(np.tile([0.7, 0.2, 0.1], (len(step.targets), 1)))

    codes = serialize.decode(model, "masked", 3000, 1, first_passes=1,
                             rng=np.random.default_rng(0)).codes
    frequencies = np.bincount(codes[:, 0], minlength=3) / 3000
    assert np.allclose(frequencies, [0.7, 0.2, 0.1], atol=0.03)


def test_sampling_is_stable_when_log_probabilities_are_far_from_zero():
    # exp() of these alone is 0 / 0, and exp() of them minus the row's minimum overflows: the
    # row's maximum must be taken out first; then code 1 (e / (1 + e) = 73%) is drawn most
    def model(step):
        return np.tile([-1001.0, -1000.0, -2000.0], (len(step.targets), 1))

    codes = serialize.decode(model, "masked", 400, 1, first_passes=1,
                             rng=np.random.default_rng(0)).codes
    assert 0.65 < np.mean(codes == 1) < 0.81 and not np.any(codes == 2)


def test_the_model_is_told_its_temporal_step():
    """VALL-E: frames 0..T-1 of level 1 at temporal steps 0..T-1, then one pass per later
    level; RQ: T temporal steps when there is one level (no acoustic delay), T + delay else."""
    def recorder(seen):
        def model(step):
            seen.append(step.temporal_step)
            return np.zeros((len(step.targets), 2))
        return model

    seen = []
    serialize.decode(recorder(seen), "valle", 3, 3)
    assert seen == [0, 1, 2, 3, 4]
    seen = []
    serialize.decode(recorder(seen), "rq", 3, 1, acoustic_delay=2)
    assert seen == [0, 1, 2]
    seen = []
    serialize.decode(recorder(seen), "rq", 2, 2, acoustic_delay=1)
    assert seen == [0, 1, 1, 2]


@pytest.mark.parametrize("call, message", [
    (lambda: serialize.build([[1, 2]], "zigzag"), "pattern must be one of"),
    (lambda: serialize.build([[1, -3]], "delay"), "codes must hold codebook indices >= 0"),
    (lambda: serialize.build([1, 2, 3], "delay"), "codes must be a 2-D array"),
    (lambda: serialize.build(np.zeros((0, 3), int), "valle"), "at least 1 entries"),
    (lambda: serialize.build([[1, 2]], "rq", acoustic_delay=-1), "acoustic_delay must be"),
    (lambda: serialize.revert([1, 2, 3], "flattening", n_codebooks=2), "multiple of"),
    (lambda: serialize.revert([[1, 2], [3, 4]], "delay"), "is not a 'delay' layout"),
    (lambda: serialize.revert([[1, PAD]], "delay"), "more than 1 rows"),
    (lambda: serialize.decode(CountingModel(), "delay", 0, 3), "n_frames must be"),
    (lambda: serialize.decode(CountingModel(), "masked", 4, 2, first_passes=0), "first_passes"),
    (lambda: serialize.decode(lambda step: np.zeros((1, 4)), "valle", 3, 2),
     "one row per target"),
    (lambda: serialize.decode(lambda step: np.full((1, 4), np.nan), "flattening", 3, 2),
     "the model's output must hold"),
    (lambda: serialize.most_confident(np.zeros((3, 2)), 4), "n_fix must be"),
    (lambda: serialize.masked_schedule(0, 3), "n_tokens must be"),
    (lambda: serialize.context(np.zeros((3, 2), int), 3, 0), "frame must be"),
    (lambda: rates.serialization_steps("zigzag", 3, 2), "pattern must be one of"),
    (lambda: rates.delay_steps(3, 0), "n_codebooks must be"),
    (lambda: rates.rq_temporal_steps(3, 2, -1), "acoustic_delay must be"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda: serialize.build([[1.5, 2.0]], "delay"),
    lambda: serialize.revert([1, 2], "flattening"),
    lambda: serialize.decode("not a model", "delay", 3, 2),
    lambda: serialize.decode(CountingModel(), "delay", 3, 2, rng=0),
    lambda: rates.flattening_steps(3.0, 2),
])
def test_wrong_kinds_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


# --- the figures and the explorer of notebook 10 ---------------------------------------------

def test_plot_generation_orders_titles_every_pattern_with_its_steps():
    from course_lib.plots import plot_generation_orders

    figure = plot_generation_orders(8, 4, first_passes=4)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 5
    for title, pattern in zip(titles, PATTERNS):
        steps = rates.serialization_steps(pattern, 8, 4, first_passes=4)
        assert f"{steps} sequential steps" in title, (title, steps)


def test_serialization_explorer_redraws_for_each_pattern_and_code():
    from matplotlib.figure import Figure

    from course_lib.widgets import serialization_explorer

    explorer = serialization_explorer()
    pattern, n_frames, n_codebooks, frame, level = explorer.children[:5]
    assert isinstance(explorer.result, Figure) and explorer.auto_display
    n_frames.value, n_codebooks.value, frame.value, level.value = 3, 3, 1, 1
    assert "fixed at step 2 and may condition on 3 of 8" in explorer.result.axes[0].get_title()
    pattern.value = "valle"
    assert "fixed at step 3 and may condition on 3 of 8" in explorer.result.axes[0].get_title()
    frame.value = 20  # beyond T: clipped to the last frame
    assert "frame 2, level 2" in explorer.result.axes[0].get_title()
    bars = [patch.get_width() for patch in explorer.result.axes[1].patches]
    assert bars == [9, 5, 5, rates.masked_steps(3, 3, first_passes=4), 9]
