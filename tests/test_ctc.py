"""course_lib.ctc against brute-force enumeration, torch's ctc_loss and torchaudio's forced_align,
plus property tests on random inputs."""

import itertools
import math
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
import torchaudio
from hypothesis import given
from hypothesis import strategies as st

from course_lib import ctc


def random_log_probs(rng, n_frames, n_labels, peakiness=1.0):
    logits = peakiness * rng.normal(size=(n_frames, n_labels))
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def enumerate_paths(log_probs):
    """Every path over all frames with its log-probability (C**T of them: tiny cases only)."""
    n_frames, n_labels = log_probs.shape
    for path in itertools.product(range(n_labels), repeat=n_frames):
        yield path, float(sum(log_probs[t, s] for t, s in enumerate(path)))


def torch_ctc_loss(log_probs, targets, input_lengths):
    """torch's loss summed over a batch; log_probs (batch, T, C) float64 tensor."""
    return torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1), torch.cat([torch.tensor(t) for t in targets]),
        torch.tensor(input_lengths), torch.tensor([len(t) for t in targets]),
        blank=0, reduction="sum")


@st.composite
def ctc_cases(draw, max_frames=12, max_labels=5):
    """(log_probs, target) with a target that fits in the frames."""
    n_labels = draw(st.integers(2, max_labels))
    n_frames = draw(st.integers(1, max_frames))
    target = draw(st.lists(st.integers(1, n_labels - 1), max_size=n_frames))
    while ctc.min_frames(target) > n_frames:
        target = target[:-1]
    seed = draw(st.integers(0, 2**32 - 1))
    peakiness = draw(st.sampled_from([0.1, 1.0, 5.0]))
    return random_log_probs(np.random.default_rng(seed), n_frames, n_labels, peakiness), target


# --- collapse and lattice ---

def test_collapse_merges_repeats_before_dropping_blanks():
    assert ctc.collapse([0, 3, 3, 0, 5, 5, 5, 0, 5]) == [3, 5, 5]
    assert ctc.collapse([1, 1, 1]) == [1]
    assert ctc.collapse([0, 0]) == []
    assert ctc.extend_with_blanks([3, 5, 5]).tolist() == [0, 3, 0, 5, 0, 5, 0]
    assert ctc.min_frames([1, 2, 3]) == 3 and ctc.min_frames([1, 1, 2, 2]) == 6


@given(st.lists(st.integers(0, 4), max_size=20))
def test_collapse_is_idempotent_up_to_repeats_and_never_leaves_blanks(path):
    labels = ctc.collapse(path)
    assert 0 not in labels
    assert ctc.collapse(ctc.extend_with_blanks(labels)) == labels  # the canonical path
    if all(a != b for a, b in zip(labels, labels[1:])):
        assert ctc.collapse(labels) == labels
    else:  # equal neighbours survive only because a blank separated them in the path
        assert ctc.collapse(labels) != labels and 0 in path


def test_collapse_needs_the_blank_for_repeated_labels():
    assert ctc.collapse([1, 0, 1]) == [1, 1] and ctc.collapse([1, 1]) == [1]


# --- forward, backward, loss ---

@pytest.mark.parametrize("target", [[1], [1, 2], [1, 1], [2, 1, 2], []])
def test_forward_sum_equals_enumeration_over_paths(target):
    log_probs = random_log_probs(np.random.default_rng(len(target)), 5, 3)
    path_log_probs = [lp for path, lp in enumerate_paths(log_probs) if ctc.collapse(path) == target]
    assert ctc.ctc_log_likelihood(log_probs, target) == pytest.approx(
        np.logaddexp.reduce(path_log_probs), abs=1e-10)


def test_forward_and_backward_give_the_same_total_at_every_frame():
    log_probs = random_log_probs(np.random.default_rng(0), 40, 6)
    target = [1, 3, 3, 2, 5]
    log_alpha = ctc.ctc_forward(log_probs, target)
    log_beta = ctc.ctc_backward(log_probs, target)
    totals = np.logaddexp.reduce(log_alpha + log_beta, axis=1)
    assert np.allclose(totals, ctc.ctc_log_likelihood(log_probs, target))


@given(ctc_cases())
def test_forward_and_backward_agree_at_every_frame_for_any_target(case):
    """Empty targets (one lattice state) and repeated labels included."""
    log_probs, target = case
    totals = np.logaddexp.reduce(ctc.ctc_forward(log_probs, target)
                                 + ctc.ctc_backward(log_probs, target), axis=1)
    np.testing.assert_allclose(totals, ctc.ctc_log_likelihood(log_probs, target), atol=1e-9)


def test_loss_matches_torch_on_a_random_batch():
    rng = np.random.default_rng(1)
    lengths = [50, 37, 64, 20]
    targets = [rng.integers(1, 10, size=n).tolist() for n in (12, 20, 3, 9)]
    log_probs = torch.tensor(np.stack([random_log_probs(rng, 64, 10) for _ in lengths]))
    expected = torch_ctc_loss(log_probs, targets, lengths).item()
    mine = sum(ctc.ctc_loss(lp[:n].numpy(), t) for lp, n, t in zip(log_probs, lengths, targets))
    assert mine == pytest.approx(expected, rel=1e-10)


def test_gradient_matches_torch_through_the_log_softmax():
    """torch reports exp(log_probs) + d loss/d log_probs (the gradient of a log-softmax's
    logits); through a log-softmax both give the same gradient with respect to the logits."""
    rng = np.random.default_rng(2)
    logits = torch.tensor(rng.normal(size=(30, 7)), requires_grad=True)
    log_probs = logits.log_softmax(-1)
    log_probs.retain_grad()
    target = [1, 4, 4, 6, 2, 3]
    torch_ctc_loss(log_probs[None], [target], [30]).backward()
    gradient = ctc.ctc_gradient(log_probs.detach().numpy(), target)
    probs = np.exp(log_probs.detach().numpy())
    assert np.allclose(log_probs.grad.numpy(), gradient + probs, atol=1e-10)
    through_softmax = gradient - probs * gradient.sum(axis=1, keepdims=True)
    assert np.allclose(logits.grad.numpy(), through_softmax, atol=1e-10)


def test_gradient_is_the_derivative_of_the_loss():
    """Finite differences on the log-probabilities themselves (not renormalized)."""
    rng = np.random.default_rng(3)
    log_probs = random_log_probs(rng, 6, 4)
    target = [1, 2, 2]
    gradient = ctc.ctc_gradient(log_probs, target)
    step = 1e-6
    for t, c in [(0, 0), (3, 2), (5, 0), (4, 1)]:
        shifted = log_probs.copy()
        shifted[t, c] += step
        numeric = (_loss_unchecked(shifted, target) - _loss_unchecked(log_probs, target)) / step
        assert numeric == pytest.approx(gradient[t, c], abs=1e-4)


def _loss_unchecked(log_probs, target):
    """-log of the summed path probabilities by enumeration (no log-softmax check)."""
    paths = [lp for path, lp in enumerate_paths(log_probs) if ctc.collapse(path) == target]
    return -float(np.logaddexp.reduce(paths))


def test_state_posteriors_sum_to_one_per_frame():
    log_probs = random_log_probs(np.random.default_rng(4), 25, 5)
    posteriors = ctc.ctc_state_posteriors(log_probs, [1, 2, 3, 4])
    assert np.allclose(posteriors.sum(axis=1), 1.0)


def test_long_inputs_do_not_underflow():
    log_probs = random_log_probs(np.random.default_rng(5), 3000, 20)
    target = np.random.default_rng(6).integers(1, 20, size=300)
    value = ctc.ctc_log_likelihood(log_probs, target)
    assert np.isfinite(value) and value < -3000
    expected = torch_ctc_loss(torch.tensor(log_probs)[None], [target.tolist()], [3000]).item()
    assert -value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("target, n_frames", [([1, 2, 3, 4], 3), ([1, 1], 2), ([2, 2, 2], 4)])
def test_targets_that_cannot_fit_give_minus_infinity_and_say_why(target, n_frames):
    log_probs = random_log_probs(np.random.default_rng(7), n_frames, 5)
    with pytest.warns(RuntimeWarning, match=f"needs at least {ctc.min_frames(target)} frames"):
        assert ctc.ctc_log_likelihood(log_probs, target) == -math.inf
    log_alpha = ctc.ctc_forward(log_probs, target)
    assert not np.isnan(log_alpha).any()
    with pytest.raises(ValueError, match="no CTC path"):
        ctc.best_path(log_probs, target)
    with pytest.raises(ValueError, match="no CTC path"):
        ctc.ctc_gradient(log_probs, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_value = torch_ctc_loss(torch.tensor(log_probs)[None], [target], [n_frames]).item()
    assert torch_value == math.inf


def test_a_target_that_just_fits_has_exactly_one_path():
    log_probs = random_log_probs(np.random.default_rng(8), 3, 3)
    path_score = log_probs[0, 1] + log_probs[1, 0] + log_probs[2, 1]  # 1 - 1
    assert ctc.ctc_log_likelihood(log_probs, [1, 1]) == pytest.approx(path_score)


@given(ctc_cases())
def test_loss_equals_torch_on_random_cases(case):
    log_probs, target = case
    expected = torch_ctc_loss(torch.tensor(log_probs)[None], [target], [len(log_probs)]).item()
    assert ctc.ctc_loss(log_probs, target) == pytest.approx(expected, rel=1e-9, abs=1e-9)


# --- best path ---

def test_best_path_is_the_best_of_all_paths_on_a_tiny_case():
    log_probs = random_log_probs(np.random.default_rng(9), 5, 3)
    target = [2, 1]
    best = max(lp for path, lp in enumerate_paths(log_probs) if ctc.collapse(path) == target)
    path, score = ctc.best_path(log_probs, target)
    assert score == pytest.approx(best) and ctc.collapse(path) == target
    assert score == pytest.approx(sum(log_probs[t, s] for t, s in enumerate(path)))


def test_best_path_score_matches_torchaudio_forced_align():
    rng = np.random.default_rng(10)
    for n_frames, n_labels, length in [(60, 12, 20), (200, 30, 50), (30, 4, 14)]:
        log_probs = random_log_probs(rng, n_frames, n_labels, peakiness=3.0)
        target = rng.integers(1, n_labels, size=length)
        _, score = ctc.best_path(log_probs, target)
        _, frame_scores = torchaudio.functional.forced_align(
            torch.tensor(log_probs, dtype=torch.float32)[None],
            torch.tensor(target, dtype=torch.int32)[None], blank=0)
        assert score == pytest.approx(frame_scores.sum().item(), rel=1e-5)


@given(ctc_cases())
def test_best_path_score_never_exceeds_the_total_log_likelihood(case):
    log_probs, target = case
    path, score = ctc.best_path(log_probs, target)
    assert ctc.collapse(path) == list(target)
    assert score <= ctc.ctc_log_likelihood(log_probs, target) + 1e-9


# --- decoders ---

def test_prefix_beam_search_with_a_full_beam_finds_the_most_probable_labeling():
    log_probs = random_log_probs(np.random.default_rng(11), 5, 3, peakiness=0.5)
    totals = {}
    for path, lp in enumerate_paths(log_probs):
        key = tuple(ctc.collapse(path))
        totals[key] = np.logaddexp(totals.get(key, -np.inf), lp)
    best = max(totals, key=totals.get)
    labels, score = ctc.prefix_beam_search(log_probs, beam_width=1000)[0]
    assert tuple(labels) == best and score == pytest.approx(totals[best])


def test_prefix_beam_search_can_beat_greedy_decoding():
    """Two frames: 'blank' is the likeliest symbol at each, but 'a' wins overall as the sum
    of a-a, a-blank and blank-a (0.6 > 0.4 for the empty labeling)."""
    probs = np.array([[0.4, 0.3, 0.3], [0.4, 0.3, 0.3]]) / 1.0
    log_probs = np.log(probs)
    assert ctc.greedy_decode(log_probs) == []
    best, _ = ctc.prefix_beam_search(log_probs, beam_width=3)[0]
    assert best in ([1], [2])


@given(st.integers(1, 15), st.integers(2, 6), st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_decoders_never_emit_blanks_or_unmerged_repeats(n_frames, n_labels, seed, beam_width):
    log_probs = random_log_probs(np.random.default_rng(seed), n_frames, n_labels, 2.0)
    greedy = ctc.greedy_decode(log_probs)
    assert greedy == ctc.collapse(np.argmax(log_probs, axis=1))
    beams = [labels for labels, _ in ctc.prefix_beam_search(log_probs, beam_width)]
    for labels in [greedy] + beams:
        assert 0 not in labels
        assert ctc.min_frames(labels) <= n_frames  # repeats only where a blank can separate them
        assert ctc.collapse(ctc.extend_with_blanks(labels)) == labels
    scores = [score for _, score in ctc.prefix_beam_search(log_probs, beam_width)]
    assert scores == sorted(scores, reverse=True)


@given(st.integers(1, 5), st.integers(2, 3), st.integers(0, 2**32 - 1))
def test_prefix_beam_search_returns_beam_width_hypotheses_or_every_labeling(n_frames, n_labels,
                                                                           seed):
    """With every symbol possible at every frame, a beam of width k ends with exactly k
    distinct labelings, or with all of them (found by enumerating the paths) if fewer exist."""
    log_probs = random_log_probs(np.random.default_rng(seed), n_frames, n_labels)
    every_labeling = {tuple(ctc.collapse(path)) for path, _ in enumerate_paths(log_probs)}
    for beam_width in range(1, len(every_labeling) + 3):
        beam = ctc.prefix_beam_search(log_probs, beam_width)
        labelings = {tuple(labels) for labels, _ in beam}
        assert len(beam) == len(labelings) == min(beam_width, len(every_labeling))
        assert labelings <= every_labeling
    assert labelings == every_labeling


@given(st.integers(1, 15), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_a_beam_of_one_is_greedy_decoding(n_frames, n_labels, seed):
    """With one prefix kept and only the likeliest symbol tried, each frame extends the prefix
    by the arg max, as best-path decoding does."""
    log_probs = random_log_probs(np.random.default_rng(seed), n_frames, n_labels, 2.0)
    [(labels, _)] = ctc.prefix_beam_search(log_probs, beam_width=1)
    assert labels == ctc.greedy_decode(log_probs)


@given(ctc_cases(max_frames=6, max_labels=3))
def test_beam_scores_are_the_ctc_likelihoods_of_their_labelings(case):
    log_probs, _ = case
    for labels, score in ctc.prefix_beam_search(log_probs, beam_width=50):
        assert score == pytest.approx(ctc.ctc_log_likelihood(log_probs, labels), abs=1e-9)


# --- CTC-guided compression ---

def test_segments_cover_every_frame_once():
    log_probs = np.log(np.eye(3)[[0, 0, 1, 1, 1, 0, 2, 2, 0]] * 0.97 + 0.01)
    assert ctc.ctc_segments(log_probs) == [(0, 0, 2), (1, 2, 5), (0, 5, 6), (2, 6, 8), (0, 8, 9)]


def test_merge_modes():
    path = [0, 0, 1, 1, 1, 0, 2, 2, 0]
    probs = np.eye(3)[path] * 0.9 + 0.1 / 3
    probs[4] = [0.1, 0.6, 0.3]
    log_probs = np.log(probs)
    hidden = np.arange(18, dtype=float).reshape(9, 2)
    merged, symbols = ctc.merge_by_ctc_segments(hidden, log_probs, "average")
    assert symbols.tolist() == [0, 1, 0, 2, 0]
    assert np.allclose(merged[1], hidden[2:5].mean(axis=0))
    last, _ = ctc.merge_by_ctc_segments(hidden, log_probs, "last", drop_blanks=True)
    assert np.allclose(last, hidden[[4, 7]])
    weighted, _ = ctc.merge_by_ctc_segments(hidden, log_probs, "confidence")
    weights = probs[2:5, 1] / probs[2:5, 1].sum()
    assert np.allclose(weighted[1], weights @ hidden[2:5])
    assert weighted[1, 0] < merged[1, 0]  # the unsure last frame counts less


@given(ctc_cases(), st.sampled_from(ctc.MERGE_MODES), st.booleans())
def test_merging_gives_one_vector_per_run_inside_the_hull_of_its_frames(case, mode, drop_blanks):
    log_probs, _ = case
    hidden = np.random.default_rng(0).normal(size=(len(log_probs), 3))
    merged, symbols = ctc.merge_by_ctc_segments(hidden, log_probs, mode, drop_blanks)
    runs = [r for r in ctc.ctc_segments(log_probs) if not (drop_blanks and r[0] == 0)]
    assert merged.shape == (len(runs), 3) and symbols.tolist() == [r[0] for r in runs]
    for vector, (_, start, end) in zip(merged, runs):
        assert np.all(vector >= hidden[start:end].min(0) - 1e-12)
        assert np.all(vector <= hidden[start:end].max(0) + 1e-12)


# --- input validation ---

def test_bad_inputs_raise_clear_errors():
    good = random_log_probs(np.random.default_rng(12), 5, 4)
    with pytest.raises(ValueError, match="log_probs must be a 2-D array"):
        ctc.ctc_loss(good[0], [1])
    with pytest.raises(ValueError, match="log-softmax"):
        ctc.ctc_loss(good - 1.0, [1])
    with pytest.raises(ValueError, match="log-probabilities"):
        ctc.ctc_loss(-good, [1])
    with pytest.raises(ValueError, match="log-softmax"):  # integers are taken as numbers
        ctc.greedy_decode(np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="must not contain the blank"):
        ctc.ctc_loss(good, [1, 0])
    with pytest.raises(ValueError, match="must hold indices in"):
        ctc.ctc_loss(good, [1, 4])
    with pytest.raises(ValueError, match="1-D array"):
        ctc.ctc_loss(good, [[1]])
    with pytest.raises(ValueError, match="beam_width"):
        ctc.prefix_beam_search(good, beam_width=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        ctc.merge_by_ctc_segments(np.zeros((5, 2)), good, mode="max")
    with pytest.raises(ValueError, match="same number of frames"):
        ctc.merge_by_ctc_segments(np.zeros((4, 2)), good)


# --- issue 9: the blank checked, integer means, no lattice for an impossible target ---

@pytest.mark.parametrize("blank, error", [(-1, ValueError), (4, ValueError), (1.5, TypeError),
                                          ("0", TypeError), (None, TypeError)])
def test_blank_must_be_a_label_index(blank, error):
    log_probs = random_log_probs(np.random.default_rng(3), 6, 4)
    for run in (lambda: ctc.ctc_loss(log_probs, [1, 2], blank=blank),
                lambda: ctc.best_path(log_probs, [1, 2], blank=blank),
                lambda: ctc.ctc_gradient(log_probs, [1, 2], blank=blank),
                lambda: ctc.greedy_decode(log_probs, blank=blank),
                lambda: ctc.prefix_beam_search(log_probs, blank=blank),
                lambda: ctc.ctc_segments(log_probs, blank=blank),
                lambda: ctc.merge_by_ctc_segments(np.zeros((6, 2)), log_probs, blank=blank)):
        with pytest.raises(error, match="blank must be an integer"):
            run()


@pytest.mark.parametrize("blank", [0, 1, 3])
def test_decoders_never_return_the_blank(blank):
    rng = np.random.default_rng(blank)
    log_probs = random_log_probs(rng, 12, 4, peakiness=3.0)
    assert blank not in ctc.greedy_decode(log_probs, blank=blank)
    for labels, _ in ctc.prefix_beam_search(log_probs, beam_width=4, blank=blank):
        assert blank not in labels


def test_merging_integer_states_averages_in_float():
    log_probs = np.log([[0.1, 0.9], [0.1, 0.9]])  # one run of label 1 over both frames
    merged, symbols = ctc.merge_by_ctc_segments(np.array([[1], [2]]), log_probs)
    np.testing.assert_array_equal(merged, [[1.5]])
    assert merged.dtype == np.float64 and symbols.tolist() == [1]


def test_an_impossible_target_costs_no_lattice():
    """T = 20,000 frames and 10,001 repeated labels (20,001 frames needed): the lattice would be
    20,000 x 20,003 float64 values, 3.2 GB, before finding that no path fits."""
    log_probs = np.full((20_000, 3), np.log(1 / 3))
    target = np.ones(10_001, dtype=np.int64)
    tracemalloc.start()
    try:
        with pytest.warns(RuntimeWarning, match="needs at least 20001 frames"):
            loss = ctc.ctc_loss(log_probs, target)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loss == np.inf
    assert peak_bytes < 20 * 2**20


@pytest.mark.parametrize("call, error, name", [
    (lambda lp: ctc.ctc_gradient(lp + 0j, [1]), TypeError, "log_probs"),
    (lambda lp: ctc.ctc_loss(lp + 0j, [1]), TypeError, "log_probs"),
    (lambda lp: ctc.greedy_decode("log_probs"), TypeError, "log_probs"),
    (lambda lp: ctc.ctc_loss(lp, [1.0]), TypeError, "target"),
    (lambda lp: ctc.ctc_loss(lp, "ab"), TypeError, "target"),
    (lambda lp: ctc.ctc_loss(lp, None), TypeError, "target"),
    (lambda lp: ctc.prefix_beam_search(lp, beam_width=2.0), TypeError, "beam_width"),
    (lambda lp: ctc.merge_by_ctc_segments(np.zeros((5, 2)) + 0j, lp), TypeError, "hidden"),
    (lambda lp: ctc.merge_by_ctc_segments(np.full((5, 2), np.nan), lp), ValueError, "hidden"),
    (lambda lp: ctc.merge_by_ctc_segments(np.zeros((5, 2)), lp, mode=None), ValueError, "mode"),
    (lambda lp: ctc.collapse([0, 1.5]), TypeError, "path"),
    (lambda lp: ctc.collapse("ab"), TypeError, "path"),
    (lambda lp: ctc.min_frames([[1]]), ValueError, "target"),
])
def test_bad_arguments_are_refused_by_name(call, error, name):
    log_probs = random_log_probs(np.random.default_rng(12), 5, 4)
    with pytest.raises(error, match=f"{name} must"):
        call(log_probs)


def test_numpy_integers_and_float32_are_accepted():
    log_probs = random_log_probs(np.random.default_rng(5), 6, 4)
    expected = ctc.prefix_beam_search(log_probs, beam_width=3, blank=0)
    got = ctc.prefix_beam_search(log_probs.astype(np.float32), beam_width=np.int64(3),
                                 blank=np.int64(0))
    assert [labels for labels, _ in got] == [labels for labels, _ in expected]
    assert ctc.ctc_loss(log_probs, np.array([1, 2], dtype=np.int32)) == pytest.approx(
        ctc.ctc_loss(log_probs, [1, 2]))


# --- the lattice figure ---

def test_lattice_plot_marks_exactly_the_nodes_on_complete_paths():
    from course_lib.plots import plot_ctc_lattice

    figure = plot_ctc_lattice(["k", "a", "k"], 4)
    ax = figure.axes[0]
    filled, hollow = ax.collections[0].get_offsets(), ax.collections[1].get_offsets()
    log_probs = np.log(np.full((4, 3), 1 / 3))
    posteriors = ctc.ctc_state_posteriors(log_probs, [1, 2, 1])
    on_a_path = {(t, s) for t, s in zip(*np.nonzero(posteriors > 0))}
    assert {(int(t), int(s)) for t, s in filled} == on_a_path
    assert len(filled) + len(hollow) == 4 * 7
    coloured = plot_ctc_lattice(["k"], 3, log_alpha=ctc.ctc_forward(log_probs[:3], [1]),
                                path_states=np.array([0, 1, 2]))
    assert len(coloured.axes) == 2  # the lattice and its colour bar


# --- which lattice nodes a complete path visits ---

def lattice_states_of(path, target):
    """The lattice states a symbol path walks through, read from the path and the labels it
    has emitted so far (no skip rule involved): a blank after k labels is state 2k, and the
    k-th label is state 2k - 1."""
    states, emitted = [], 0
    for t, symbol in enumerate(path):
        if symbol == ctc.BLANK:
            states.append(2 * emitted)
        else:
            if t == 0 or path[t - 1] != symbol:
                emitted += 1
            states.append(2 * emitted - 1)
    return states


@pytest.mark.parametrize("target, n_frames", [
    ([1], 1), ([1], 4), ([1, 2, 1], 4), ([1, 1], 3), ([1, 1], 5), ([1, 2, 2, 3], 6),
    ([2, 2, 2], 4), ([], 3),
])
def test_lattice_nodes_on_paths_match_enumerated_paths(target, n_frames):
    on_a_path = np.zeros((n_frames, 2 * len(target) + 1), dtype=bool)
    for path in itertools.product([ctc.BLANK, *set(target)], repeat=n_frames):
        if ctc.collapse(path) == target:
            on_a_path[np.arange(n_frames), lattice_states_of(path, target)] = True
    assert np.array_equal(ctc.lattice_nodes_on_paths(n_frames, target), on_a_path)


def test_lattice_nodes_on_paths_are_those_with_posterior_mass():
    log_probs = random_log_probs(np.random.default_rng(3), 7, 4)
    target = [1, 3, 3, 2]
    posteriors = ctc.ctc_state_posteriors(log_probs, target)
    assert np.array_equal(ctc.lattice_nodes_on_paths(7, target), posteriors > 0)


def test_lattice_skips_only_onto_a_label_unlike_the_one_before():
    # states - k - a - a - k -: a after k may skip, a after a may not, k after a may
    assert ctc.lattice_skips([1, 2, 2, 1]).tolist() == [
        False, False, False, True, False, False, False, True, False]
    assert ctc.lattice_skips([]).tolist() == [False]
    with pytest.raises(ValueError, match="blank"):
        ctc.lattice_skips([1, 3], blank=3)


def test_lattice_nodes_on_paths_refuses_bad_input():
    assert not ctc.lattice_nodes_on_paths(2, [1, 1]).any()  # needs 3 frames: no path at all
    with pytest.raises(ValueError, match="blank"):
        ctc.lattice_nodes_on_paths(4, [1, 0])
    with pytest.raises(ValueError, match="n_frames"):
        ctc.lattice_nodes_on_paths(0, [1])
    with pytest.raises(TypeError, match="target"):
        ctc.lattice_nodes_on_paths(4, "ab")
