"""course_lib.hmm against hmmlearn and brute-force enumeration of paths, plus properties."""

import itertools

import numpy as np
import pytest
from hmmlearn import hmm as hmmlearn
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import norm

from course_lib import hmm


def log(x):
    with np.errstate(divide="ignore"):
        return np.log(x)


def random_model(seed, n_states, n_frames, left_to_right=False):
    """Random start, transitions and log emissions (Gaussian log densities, some positive)."""
    rng = np.random.default_rng(seed)
    if left_to_right:
        start = np.eye(n_states)[0]
        transition = hmm.left_to_right(rng.uniform(0.05, 0.95, n_states)).dense()
        transition = np.exp(transition)
    else:
        start = rng.dirichlet(np.ones(n_states))
        transition = rng.dirichlet(np.ones(n_states), size=n_states)
    log_emission = norm.logpdf(rng.normal(size=(n_frames, 1)),
                               loc=rng.normal(size=n_states), scale=rng.uniform(0.1, 2, n_states))
    return log(start), log(transition), log_emission


def hmmlearn_model(log_start, log_transition):
    """A hmmlearn HMM with our start and transitions, scoring frames 0..T-1 as categories."""
    model = hmmlearn.CategoricalHMM(n_components=len(log_start))
    model.startprob_, model.transmat_ = np.exp(log_start), np.exp(log_transition)
    return model


def as_categorical(model, log_emission):
    """Emission table where symbol t has our frame-t emission, so hmmlearn sees the same model.

    Each state's row is normalized to a distribution over the T symbols; the factor removed
    from each state is a per-state constant we put back into our emissions.
    """
    log_row_total = logsumexp(log_emission, axis=0)
    model.emissionprob_ = np.exp(log_emission - log_row_total).T
    return np.arange(len(log_emission))[:, None], log_emission - log_row_total


def brute_force(log_start, log_transition, log_emission, log_end=None):
    """Score of every path: {path: log probability}."""
    n_frames, n_states = log_emission.shape
    log_end = np.zeros(n_states) if log_end is None else log_end
    scores = {}
    for path in itertools.product(range(n_states), repeat=n_frames):
        score = log_start[path[0]] + log_emission[0, path[0]] + log_end[path[-1]]
        for t in range(1, n_frames):
            score += log_transition[path[t - 1], path[t]] + log_emission[t, path[t]]
        scores[path] = score
    return scores


# --- against hmmlearn ---

@pytest.mark.parametrize("seed, n_states, n_frames, left_to_right", [
    (0, 2, 1, False), (1, 3, 30, False), (2, 5, 60, False), (3, 4, 40, True), (4, 8, 200, True),
])
def test_matches_hmmlearn(seed, n_states, n_frames, left_to_right):
    log_start, log_transition, log_emission = random_model(seed, n_states, n_frames,
                                                           left_to_right)
    model = hmmlearn_model(log_start, log_transition)
    symbols, log_emission = as_categorical(model, log_emission)

    _, log_likelihood = hmm.forward(log_start, log_transition, log_emission)
    assert log_likelihood == pytest.approx(model.score(symbols), rel=1e-9)
    path, log_score = hmm.viterbi(log_start, log_transition, log_emission)
    reference_score, reference_path = model.decode(symbols, algorithm="viterbi")
    assert log_score == pytest.approx(reference_score, rel=1e-9)
    np.testing.assert_array_equal(path, reference_path)
    posteriors, _ = hmm.state_posteriors(log_start, log_transition, log_emission)
    np.testing.assert_allclose(posteriors, model.predict_proba(symbols), atol=1e-9)
    if left_to_right:  # the banded form gives the same answers
        banded = hmm.Banded(np.stack([np.diag(log_transition),
                                      np.append(np.diag(log_transition, 1), -np.inf)], axis=1))
        assert hmm.forward(log_start, banded, log_emission)[1] == pytest.approx(log_likelihood)
        np.testing.assert_array_equal(hmm.viterbi(log_start, banded, log_emission)[0], path)


def test_matches_hmmlearn_gaussian_hmm():
    """Multivariate Gaussian emissions computed by us, the whole model scored by hmmlearn."""
    rng = np.random.default_rng(7)
    n_states, n_dims = 3, 4
    model = hmmlearn.GaussianHMM(n_components=n_states, covariance_type="diag")
    model.startprob_ = rng.dirichlet(np.ones(n_states))
    model.transmat_ = rng.dirichlet(np.ones(n_states), size=n_states)
    model.means_ = rng.normal(size=(n_states, n_dims))
    variances = rng.uniform(0.05, 1.0, size=(n_states, n_dims))
    model.covars_ = variances
    frames, _ = model.sample(100, random_state=3)
    log_emission = norm.logpdf(frames[:, None, :], model.means_,
                               np.sqrt(variances)).sum(axis=2)
    log_start, log_transition = np.log(model.startprob_), np.log(model.transmat_)
    assert hmm.forward(log_start, log_transition, log_emission)[1] == \
        pytest.approx(model.score(frames), rel=1e-9)
    reference_score, reference_path = model.decode(frames)
    path, score = hmm.viterbi(log_start, log_transition, log_emission)
    np.testing.assert_array_equal(path, reference_path)
    assert score == pytest.approx(reference_score, rel=1e-9)


# --- against brute force ---

@given(st.integers(0, 10**6), st.integers(1, 3), st.integers(1, 5), st.booleans())
def test_matches_brute_force_enumeration(seed, n_states, n_frames, with_end):
    log_start, log_transition, log_emission = random_model(seed, n_states, n_frames)
    log_end = log(np.random.default_rng(seed).uniform(0, 1, n_states)) if with_end else None
    scores = brute_force(log_start, log_transition, log_emission, log_end)
    all_scores = np.array(list(scores.values()))

    log_alpha, log_likelihood = hmm.forward(log_start, log_transition, log_emission, log_end)
    assert log_likelihood == pytest.approx(logsumexp(all_scores), rel=1e-9, abs=1e-9)
    path, log_score = hmm.viterbi(log_start, log_transition, log_emission, log_end)
    assert log_score == pytest.approx(all_scores.max(), rel=1e-9, abs=1e-9)
    assert scores[tuple(path)] == pytest.approx(log_score, rel=1e-9, abs=1e-9)

    posteriors, _ = hmm.state_posteriors(log_start, log_transition, log_emission, log_end)
    for t in range(n_frames):
        for s in range(n_states):
            through = [score for p, score in scores.items() if p[t] == s]
            assert posteriors[t, s] == pytest.approx(
                np.exp(logsumexp(through) - log_likelihood), abs=1e-9)
    log_beta = hmm.backward(log_transition, log_emission, log_end)
    assert logsumexp(log_start + log_emission[0] + log_beta[0]) == \
        pytest.approx(log_likelihood, rel=1e-9, abs=1e-9)
    # alpha at the last frame, by state: the paths ending there, without the end score
    last = {s: [score for p, score in scores.items() if p[-1] == s] for s in range(n_states)}
    log_end = np.zeros(n_states) if log_end is None else log_end
    for s in range(n_states):
        assert log_alpha[-1, s] + log_end[s] == pytest.approx(logsumexp(last[s]), abs=1e-9)


def test_a_left_to_right_chain_with_skips_matches_brute_force():
    rng = np.random.default_rng(11)
    bands = log(rng.dirichlet(np.ones(3), size=5))  # stay, next, skip one
    bands[4, 1:] = -np.inf
    bands[4, 0] = 0.0
    bands[3, 2] = -np.inf
    bands[3, :2] -= logsumexp(bands[3, :2])
    banded = hmm.Banded(bands)
    log_start = log(np.eye(5)[0])
    log_emission = rng.normal(size=(6, 5))
    log_end = log(np.eye(5)[4])
    scores = np.array(list(brute_force(log_start, banded.dense(), log_emission, log_end).values()))
    assert hmm.forward(log_start, banded, log_emission, log_end)[1] == \
        pytest.approx(logsumexp(scores))
    assert hmm.viterbi(log_start, banded, log_emission, log_end)[1] == pytest.approx(scores.max())
    np.testing.assert_allclose(hmm.backward(banded, log_emission, log_end),
                               hmm.backward(banded.dense(), log_emission, log_end))


# --- properties on random models ---

@given(st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 40), st.booleans())
def test_viterbi_never_beats_the_sum_and_posteriors_are_distributions(seed, n_states, n_frames,
                                                                      left_to_right):
    log_start, log_transition, log_emission = random_model(seed, n_states, n_frames,
                                                           left_to_right)
    _, log_likelihood = hmm.forward(log_start, log_transition, log_emission)
    _, log_score = hmm.viterbi(log_start, log_transition, log_emission)
    assert log_score <= log_likelihood + 1e-9
    posteriors, _ = hmm.state_posteriors(log_start, log_transition, log_emission)
    assert np.all(posteriors >= 0)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-9)


@given(st.integers(0, 10**6), st.integers(1, 8), st.integers(1, 40))
def test_banded_and_dense_agree(seed, n_states, n_frames):
    rng = np.random.default_rng(seed)
    banded = hmm.left_to_right(rng.uniform(0, 1, n_states))
    log_start = log(rng.dirichlet(np.ones(n_states)))
    log_emission = rng.normal(size=(n_frames, n_states)) * 3
    dense = banded.dense()
    alpha_banded, ll_banded = hmm.forward(log_start, banded, log_emission)
    alpha_dense, ll_dense = hmm.forward(log_start, dense, log_emission)
    np.testing.assert_allclose(alpha_banded, alpha_dense, rtol=1e-9)
    np.testing.assert_allclose(hmm.backward(banded, log_emission),
                               hmm.backward(dense, log_emission), rtol=1e-9, atol=1e-12)
    path_banded, score_banded = hmm.viterbi(log_start, banded, log_emission)
    path_dense, score_dense = hmm.viterbi(log_start, dense, log_emission)
    np.testing.assert_array_equal(path_banded, path_dense)
    assert score_banded == pytest.approx(score_dense)
    assert np.all(np.diff(path_banded) >= 0) and np.all(np.diff(path_banded) <= 1)


def test_ties_go_to_the_lowest_state_in_both_forms():
    """State 1 at frame 2 is reached equally well from state 0 (stay, then step) and from
    itself (step, then stay): both scores are exactly 2 log 0.5. The path must take the lower
    predecessor, so it steps as late as it can."""
    banded = hmm.left_to_right([0.5, 0.5, 0.5])
    log_start = log(np.array([1.0, 0.0, 0.0]))
    log_emission = np.zeros((3, 3))
    end_in_state_1 = log(np.array([0.0, 1.0, 0.0]))
    for transition in (banded, banded.dense()):
        path, score = hmm.viterbi(log_start, transition, log_emission, end_in_state_1)
        assert path.tolist() == [0, 0, 1]  # not [0, 1, 1]
        assert score == 2 * np.log(0.5)
        # without an end constraint every final state ties too: the lowest wins
        assert hmm.viterbi(log_start, transition, log_emission)[0].tolist() == [0, 0, 0]


@given(st.integers(0, 10**6), st.integers(2, 6), st.integers(2, 12))
def test_banded_and_dense_break_ties_the_same_way(seed, n_states, n_frames):
    """Emissions from a few integers and equal self-loops make exact ties common; the banded
    recursion must break every one of them as the dense arg max does (lowest state)."""
    rng = np.random.default_rng(seed)
    banded = hmm.left_to_right(np.full(n_states, 0.5))
    log_start = log(np.eye(n_states)[0])
    log_emission = rng.integers(-1, 1, size=(n_frames, n_states)).astype(np.float64)
    log_end = log(np.eye(n_states)[min(n_states, n_frames) - 1])
    for end in (None, log_end):
        path_banded, score_banded = hmm.viterbi(log_start, banded, log_emission, end)
        path_dense, score_dense = hmm.viterbi(log_start, banded.dense(), log_emission, end)
        np.testing.assert_array_equal(path_banded, path_dense)
        assert score_banded == score_dense


def test_one_hundred_thousand_frames_do_not_underflow():
    rng = np.random.default_rng(0)
    n_frames, n_states = 100_000, 3
    banded = hmm.left_to_right([0.999, 0.999, 0.999])
    log_start = log(np.array([1.0, 0.0, 0.0]))
    log_emission = rng.normal(-20, 5, size=(n_frames, n_states))  # tiny probabilities per frame
    posteriors, log_likelihood = hmm.state_posteriors(log_start, banded, log_emission)
    assert np.isfinite(log_likelihood) and log_likelihood < -1e6  # far below float's range
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-9)
    path, log_score = hmm.viterbi(log_start, banded, log_emission)
    assert np.isfinite(log_score) and log_score <= log_likelihood
    _, dense_likelihood = hmm.forward(log_start, banded.dense(), log_emission)
    assert dense_likelihood == pytest.approx(log_likelihood, rel=1e-12)


def test_left_to_right_leaves_its_argument_alone():
    self_loops = np.array([0.3, 0.6, 0.9])
    banded = hmm.left_to_right(self_loops)
    np.testing.assert_array_equal(self_loops, [0.3, 0.6, 0.9])
    np.testing.assert_allclose(np.exp(banded.log_probs), [[0.3, 0.7], [0.6, 0.4], [1.0, 0.0]])


def test_nan_in_the_transitions_or_the_start_is_refused():
    nan_transition = np.log([[0.9, 0.1], [0.2, 0.8]])
    nan_transition[0, 1] = np.nan
    with pytest.raises(ValueError, match="log_transition must hold values without NaN"):
        hmm.forward(GOOD_START, nan_transition, GOOD_EMISSION)
    with pytest.raises(ValueError, match="log_start must hold values without NaN"):
        hmm.viterbi(np.array([np.nan, 0.0]), GOOD_TRANSITION, GOOD_EMISSION)


# --- durations ---

def test_self_loop_point_six_means_two_and_a_half_frames():
    assert hmm.expected_duration(0.6) == pytest.approx(2.5)


@given(st.floats(0, 0.95))
def test_duration_distribution_is_geometric_with_the_expected_mean(self_loop):
    probabilities = hmm.duration_distribution(self_loop, 2000)
    assert probabilities.sum() == pytest.approx(1.0)
    durations = np.arange(1, 2001)
    assert (durations * probabilities).sum() == pytest.approx(hmm.expected_duration(self_loop))


# --- bad input ---

GOOD_START = np.log([0.5, 0.5])
GOOD_TRANSITION = np.log([[0.9, 0.1], [0.2, 0.8]])
GOOD_EMISSION = np.zeros((4, 2))


@pytest.mark.parametrize("start, transition, emission, end, message", [
    (GOOD_START, GOOD_TRANSITION, np.zeros(4), None, "log_emission must be a 2-D array"),
    (GOOD_START, GOOD_TRANSITION, np.zeros((0, 2)), None, "empty sequence"),
    (GOOD_START, GOOD_TRANSITION, np.full((4, 2), np.nan), None, "NaN"),
    (GOOD_START, GOOD_TRANSITION, np.zeros((4, 3)), None, r"log_transition must have shape"),
    (np.log([1 / 3] * 3), GOOD_TRANSITION, GOOD_EMISSION, None, "log_start must have shape"),
    (GOOD_START, np.exp(GOOD_TRANSITION), GOOD_EMISSION, None, "not log-probabilities"),
    (np.exp(GOOD_START), GOOD_TRANSITION, GOOD_EMISSION, None, "not log-probabilities"),
    (GOOD_START, np.log([[0.5, 0.4], [0.2, 0.8]]), GOOD_EMISSION, None, "sum to 1"),
    (np.log([0.5, 0.4]), GOOD_TRANSITION, GOOD_EMISSION, None, "sum to 1"),
    (GOOD_START, GOOD_TRANSITION, GOOD_EMISSION, np.zeros(3), "log_end must have shape"),
    (GOOD_START, GOOD_TRANSITION, GOOD_EMISSION, np.array([1.0, 0.0]), "log_end must hold"),
    (GOOD_START, GOOD_TRANSITION, GOOD_EMISSION, np.full(2, -np.inf), "no state to end"),
    (GOOD_START, hmm.Banded(np.log([[0.5, 0.5], [0.5, 0.5]])), GOOD_EMISSION, None,
     "leave the chain"),
    (GOOD_START, hmm.Banded(np.zeros((3, 1))), GOOD_EMISSION, None, "Banded log_transition"),
    (GOOD_START, hmm.Banded(np.zeros((2, 0))), GOOD_EMISSION, None, "Banded log_transition"),
])
def test_bad_models_raise_a_clear_value_error(start, transition, emission, end, message):
    for run in (lambda: hmm.forward(start, transition, emission, end),
                lambda: hmm.viterbi(start, transition, emission, end),
                lambda: hmm.state_posteriors(start, transition, emission, end)):
        with pytest.raises(ValueError, match=message):
            run()


def test_backward_validates_too():
    with pytest.raises(ValueError, match="empty sequence"):
        hmm.backward(GOOD_TRANSITION, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="not log-probabilities"):
        hmm.backward(np.exp(GOOD_TRANSITION), GOOD_EMISSION)


# --- issue 9: complex and non-numeric input refused by name (course_lib.validate) ---

@pytest.mark.parametrize("argument", ["log_start", "log_transition", "log_emission", "log_end"])
def test_complex_model_arrays_are_refused_not_cut_to_their_real_part(argument):
    model = dict(log_start=GOOD_START, log_transition=GOOD_TRANSITION,
                 log_emission=GOOD_EMISSION, log_end=np.zeros(2))
    model[argument] = model[argument] + 0j
    for run in (hmm.forward, hmm.viterbi, hmm.state_posteriors):
        with pytest.raises(TypeError, match=f"{argument} must be"):
            run(**model)
    if argument != "log_start":
        del model["log_start"]
        with pytest.raises(TypeError, match=f"{argument} must be"):
            hmm.backward(**model)


@pytest.mark.parametrize("call, error, name", [
    (lambda: hmm.left_to_right([0.5 + 0j, 0.5]), TypeError, "self_loops"),
    (lambda: hmm.left_to_right("0.5"), TypeError, "self_loops"),
    (lambda: hmm.left_to_right([]), ValueError, "self_loops"),
    (lambda: hmm.expected_duration(np.nan), ValueError, "self_loop"),
    (lambda: hmm.expected_duration("0.5"), TypeError, "self_loop"),
    (lambda: hmm.expected_duration(None), TypeError, "self_loop"),
    (lambda: hmm.duration_distribution(0.5, 5.0), TypeError, "max_frames"),
    (lambda: hmm.duration_distribution(0.5, 0), ValueError, "max_frames"),
    (lambda: hmm.forward(GOOD_START, GOOD_TRANSITION, "frames"), TypeError, "log_emission"),
    (lambda: hmm.forward(GOOD_START, GOOD_TRANSITION, None), TypeError, "log_emission"),
    (lambda: hmm.forward(None, GOOD_TRANSITION, GOOD_EMISSION), TypeError, "log_start"),
    (lambda: hmm.viterbi(None, GOOD_TRANSITION, GOOD_EMISSION), TypeError, "log_start"),
    (lambda: hmm.forward(GOOD_START, hmm.Banded(np.zeros((2, 1)) + 0j), GOOD_EMISSION),
     TypeError, "log_transition"),
])
def test_bad_scalars_and_arrays_are_refused_by_name(call, error, name):
    with pytest.raises(error, match=f"{name} must"):
        call()


def test_numpy_scalars_and_lists_are_accepted():
    assert hmm.expected_duration(np.float32(0.5)) == 2.0
    np.testing.assert_allclose(hmm.duration_distribution(0.5, np.int64(3)), [0.5, 0.25, 0.125])
    path, _ = hmm.viterbi(GOOD_START.tolist(), GOOD_TRANSITION.tolist(), GOOD_EMISSION.tolist())
    np.testing.assert_array_equal(path, hmm.viterbi(GOOD_START, GOOD_TRANSITION,
                                                    GOOD_EMISSION)[0])


def test_impossible_sequences():
    log_start, banded = log(np.array([1.0, 0.0, 0.0])), hmm.left_to_right([0.5, 0.5, 0.5])
    must_end_last = log(np.array([0.0, 0.0, 1.0]))
    _, log_likelihood = hmm.forward(log_start, banded, np.zeros((2, 3)), must_end_last)
    assert log_likelihood == -np.inf  # two frames cannot reach the third state
    assert hmm.viterbi(log_start, banded, np.zeros((2, 3)), must_end_last)[1] == -np.inf
    with pytest.raises(ValueError, match="probability 0"):
        hmm.state_posteriors(log_start, banded, np.zeros((2, 3)), must_end_last)


@pytest.mark.parametrize("call, message", [
    (lambda: hmm.left_to_right([0.5, 1.5]), "self_loops"),
    (lambda: hmm.left_to_right(np.zeros((2, 2))), "self_loops"),
    (lambda: hmm.expected_duration(1.0), "self_loop"),
    (lambda: hmm.duration_distribution(-0.1, 5), "self_loop"),
])
def test_bad_durations_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- how long a chain of states lasts ---

def chain_duration_by_enumeration(self_loops, n_frames):
    """P(the chain lasts n_frames) summed over every split into per-state durations >= 1."""
    total = 0.0
    for split in itertools.product(range(1, n_frames + 1), repeat=len(self_loops)):
        if sum(split) == n_frames:
            total += np.prod([p ** (d - 1) * (1 - p) for p, d in zip(self_loops, split)])
    return total


@pytest.mark.parametrize("self_loops", [[0.6], [0.6, 0.6, 0.6], [0.0, 0.9], [0.3, 0.75, 0.5]])
def test_chain_duration_matches_enumerating_every_split(self_loops):
    distribution = hmm.chain_duration_distribution(self_loops, 9)
    expected = [chain_duration_by_enumeration(self_loops, d) for d in range(1, 10)]
    assert distribution == pytest.approx(expected, abs=1e-15)
    assert not distribution[:len(self_loops) - 1].any()  # n states need at least n frames


def test_chain_duration_matches_simulated_chains():
    self_loops = np.array([0.5, 0.8, 0.3])
    rng = np.random.default_rng(0)
    # frames in a state with self-loop p: geometric with success probability 1 - p
    durations = rng.geometric(1 - self_loops, size=(200_000, 3)).sum(axis=1)
    simulated = np.bincount(durations, minlength=31)[1:31] / len(durations)
    assert hmm.chain_duration_distribution(self_loops, 30) == pytest.approx(simulated, abs=3e-3)


@given(st.lists(st.floats(0.0, 0.95), min_size=1, max_size=4))
def test_chain_duration_has_the_summed_mean(self_loops):
    distribution = hmm.chain_duration_distribution(self_loops, 2000)
    durations = np.arange(1, 2001)
    expected_mean = sum(hmm.expected_duration(p) for p in self_loops)
    assert distribution.sum() == pytest.approx(1.0)
    assert (durations * distribution).sum() == pytest.approx(expected_mean)


@pytest.mark.parametrize("call, error, message", [
    (lambda: hmm.chain_duration_distribution([0.5, 1.0], 5), ValueError, "self_loops"),
    (lambda: hmm.chain_duration_distribution([], 5), ValueError, "self_loops"),
    (lambda: hmm.chain_duration_distribution("0.5", 5), TypeError, "self_loops"),
    (lambda: hmm.chain_duration_distribution([0.5], 0), ValueError, "max_frames"),
    (lambda: hmm.chain_duration_distribution([0.5], 5.0), TypeError, "max_frames"),
])
def test_bad_chain_durations_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()
