"""Fuzzing course_lib.hmm: brute-force enumeration on small models, refusals by name, and (in
the long profile) a 100,000-frame sequence without underflow."""

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp

from course_lib import hmm
from tests.fuzz.common import (
    CORRUPTIONS,
    assert_refused,
    bad_integers,
    bad_reals,
    corrupt,
    long_only,
)


def _log(values):
    with np.errstate(divide="ignore"):
        return np.log(values)


@st.composite
def models(draw, max_states=3, max_frames=5):
    """(log_start, log_transition, log_emission, log_end) of a small random model, with
    zeros (-inf logs) now and then, as float32/float64 arrays or lists."""
    n_states = draw(st.integers(1, max_states))
    n_frames = draw(st.integers(1, max_frames))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(n_states))
    transition = rng.dirichlet(np.ones(n_states), size=n_states)
    if draw(st.booleans()):  # some impossible transitions
        transition = np.triu(transition)
        transition /= transition.sum(axis=1, keepdims=True)
    emission = rng.normal(scale=3.0, size=(n_frames, n_states))
    end = draw(st.sampled_from([None, "last", "any"]))
    log_end = None if end is None else _log(np.eye(n_states)[-1]) if end == "last" else np.zeros(
        n_states)
    kind = draw(st.sampled_from(["array", "list"]))
    arrays = [_log(start), _log(transition), emission]
    if kind == "list":
        arrays = [a.tolist() for a in arrays]
    return (*arrays, log_end)


def _brute_force(log_start, log_transition, log_emission, log_end):
    """log P(frames) and the best path's score by enumerating every state path."""
    log_start, log_transition = np.asarray(log_start), np.asarray(log_transition)
    log_emission = np.asarray(log_emission)
    n_frames, n_states = log_emission.shape
    log_end = np.zeros(n_states) if log_end is None else log_end
    scores = []
    for path in itertools.product(range(n_states), repeat=n_frames):
        score = log_start[path[0]] + log_emission[0, path[0]] + log_end[path[-1]]
        for t in range(1, n_frames):
            score += log_transition[path[t - 1], path[t]] + log_emission[t, path[t]]
        scores.append(score)
    return logsumexp(scores), max(scores)


@given(models())
def test_forward_and_viterbi_match_enumeration(model):
    total, best = _brute_force(*model)
    _, log_likelihood = hmm.forward(*model)
    path, score = hmm.viterbi(*model)
    if total == -np.inf:
        assert log_likelihood == -np.inf and score == -np.inf
        return
    np.testing.assert_allclose(log_likelihood, total, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(score, best, rtol=1e-9, atol=1e-9)
    posteriors, _ = hmm.state_posteriors(*model)
    assert np.isfinite(posteriors).all()
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-9)
    log_beta = hmm.backward(*model[1:])
    np.testing.assert_allclose(logsumexp(np.asarray(model[0]) + np.asarray(model[2])[0]
                                         + log_beta[0]), total, atol=1e-9)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6), st.integers(1, 8),
       st.integers(0, 2**32 - 1))
def test_banded_and_dense_transitions_agree(self_loops, n_frames, seed):
    banded = hmm.left_to_right(self_loops)
    n_states = len(self_loops)
    log_start = _log(np.eye(n_states)[0])
    log_emission = np.random.default_rng(seed).normal(size=(n_frames, n_states))
    for run in (hmm.forward, hmm.viterbi):
        by_band, dense = run(log_start, banded, log_emission), run(log_start, banded.dense(),
                                                                    log_emission)
        np.testing.assert_allclose(by_band[1], dense[1], atol=1e-9)


@given(st.floats(0.0, 0.999), st.integers(1, 200))
def test_duration_distribution_is_geometric_with_the_expected_mean(self_loop, max_frames):
    probabilities = hmm.duration_distribution(self_loop, max_frames)
    assert probabilities.shape == (max_frames,) and np.isfinite(probabilities).all()
    assert probabilities.sum() <= 1 + 1e-12
    assert hmm.expected_duration(self_loop) == 1 / (1 - self_loop)


@given(st.sampled_from(CORRUPTIONS),
       st.sampled_from(["log_start", "log_transition", "log_emission", "log_end"]))
def test_corrupted_model_arrays_are_refused_by_name(how, argument):
    model = dict(log_start=np.log([0.5, 0.5]), log_transition=np.log([[0.9, 0.1], [0.2, 0.8]]),
                 log_emission=np.zeros((3, 2)), log_end=np.zeros(2))
    if how == "none" and argument == "log_end":
        return  # log_end=None is valid: any state may end
    model[argument] = corrupt(model[argument], how)
    if how == "empty" and argument == "log_start":
        model["log_start"] = np.zeros(0)
    for run in (hmm.forward, hmm.viterbi, hmm.state_posteriors):
        assert_refused(lambda: run(**model), argument)


@given(st.sampled_from(CORRUPTIONS))
def test_corrupted_self_loops_are_refused_by_name(how):
    assert_refused(lambda: hmm.left_to_right(corrupt([0.5, 0.5], how)), "self_loops")


@given(bad_reals())
def test_bad_self_loop_probabilities_are_refused_by_name(bad):
    assert_refused(lambda: hmm.expected_duration(bad), "self_loop")
    assert_refused(lambda: hmm.duration_distribution(bad, 5), "self_loop")


@given(bad_integers(minimum=1))
def test_bad_duration_lengths_are_refused_by_name(bad):
    assert_refused(lambda: hmm.duration_distribution(0.5, bad), "max_frames")


def test_minimum_sizes():
    path, score = hmm.viterbi([0.0], [[0.0]], [[-1.5]])
    assert path.tolist() == [0] and score == -1.5
    assert hmm.forward([0.0], hmm.left_to_right([0.3]), [[0.0]])[1] == 0.0


@long_only
def test_a_hundred_thousand_frames_do_not_underflow():
    n_states, n_frames = 50, 100_000
    banded = hmm.left_to_right(np.full(n_states, 0.9))
    log_start = _log(np.eye(n_states)[0])
    log_end = _log(np.eye(n_states)[-1])
    log_emission = np.random.default_rng(0).normal(-3.0, 1.0, size=(n_frames, n_states))
    _, log_likelihood = hmm.forward(log_start, banded, log_emission, log_end)
    path, score = hmm.viterbi(log_start, banded, log_emission, log_end)
    assert np.isfinite(log_likelihood) and np.isfinite(score) and score <= log_likelihood
    assert path[0] == 0 and path[-1] == n_states - 1 and (np.diff(path) >= 0).all()
