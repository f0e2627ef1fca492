"""Fuzzing course_lib.ctc: torch's ctc_loss and brute force as references, any blank index,
refusals by name, and (in the long profile) 20,000 frames without underflow."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp

from course_lib import ctc
from tests.fuzz.common import CORRUPTIONS, assert_refused, bad_integers, corrupt, long_only


@st.composite
def cases(draw, max_frames=10, max_labels=5):
    """(log_probs, target, blank): a random log-softmax, any blank index, and a target of
    non-blank labels that may or may not fit in the frames."""
    n_frames = draw(st.integers(1, max_frames))
    n_labels = draw(st.integers(2, max_labels))
    blank = draw(st.integers(0, n_labels - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    logits = draw(st.sampled_from([0.5, 3.0, 20.0])) * rng.normal(size=(n_frames, n_labels))
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    labels = [c for c in range(n_labels) if c != blank]
    target = draw(st.lists(st.sampled_from(labels), max_size=n_frames + 1))
    if draw(st.booleans()):
        log_probs = log_probs.astype(np.float32)
    return log_probs, target, blank


def _torch_loss(log_probs, target, blank):
    log_probs = torch.as_tensor(np.asarray(log_probs, dtype=np.float64))[:, None]
    return float(torch.nn.functional.ctc_loss(
        log_probs, torch.tensor([target], dtype=torch.long), torch.tensor([len(log_probs)]),
        torch.tensor([len(target)]), blank=blank, reduction="sum", zero_infinity=False))


@given(cases())
def test_loss_matches_torch_and_gradient_is_finite(case):
    log_probs, target, blank = case
    fits = ctc.min_frames(target) <= len(log_probs)
    if not fits:
        with pytest.warns(RuntimeWarning, match="no CTC path"):
            assert ctc.ctc_loss(log_probs, target, blank) == np.inf
        assert_refused(lambda: ctc.best_path(log_probs, target, blank), "target", "log_probs")
        return
    loss = ctc.ctc_loss(log_probs, target, blank)
    np.testing.assert_allclose(loss, _torch_loss(log_probs, target, blank), rtol=1e-6,
                               atol=1e-6)
    gradient = ctc.ctc_gradient(log_probs, target, blank)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient.sum(axis=1), -1.0, atol=1e-6)  # one symbol a frame
    path, log_score = ctc.best_path(log_probs, target, blank)
    assert ctc.collapse(path, blank) == target and log_score <= -loss + 1e-6


@given(cases(max_frames=4, max_labels=3))
def test_prefix_beam_search_is_exact_with_a_wide_beam(case):
    log_probs, _, blank = case
    log_probs = np.asarray(log_probs, dtype=np.float64)
    n_frames, n_labels = log_probs.shape
    by_labeling = {}
    for path in itertools.product(range(n_labels), repeat=n_frames):
        score = sum(log_probs[t, s] for t, s in enumerate(path))
        labeling = tuple(ctc.collapse(path, blank))
        by_labeling[labeling] = np.logaddexp(by_labeling.get(labeling, -np.inf), score)
    beam = ctc.prefix_beam_search(log_probs, beam_width=len(by_labeling) + n_labels,
                                  blank=blank)
    for labels, score in beam:
        assert blank not in labels
        np.testing.assert_allclose(score, by_labeling[tuple(labels)], atol=1e-9)
    assert len(beam) == len(by_labeling)
    np.testing.assert_allclose(max(score for _, score in beam), max(by_labeling.values()),
                               atol=1e-9)


@given(cases())
def test_greedy_decoding_and_segments_never_return_the_blank(case):
    log_probs, _, blank = case
    decoded = ctc.greedy_decode(log_probs, blank)
    assert blank not in decoded
    assert decoded == ctc.collapse(np.argmax(log_probs, axis=1), blank)
    segments = ctc.ctc_segments(log_probs, blank)
    assert segments[0][1] == 0 and segments[-1][2] == len(log_probs)
    assert all(a[2] == b[1] for a, b in zip(segments, segments[1:]))


@given(cases(), st.sampled_from(["average", "last", "confidence"]), st.booleans(),
       st.sampled_from([np.int64, np.float32, np.float64]))
def test_merged_states_are_means_of_their_runs(case, mode, drop_blanks, dtype):
    log_probs, _, blank = case
    hidden = np.arange(len(log_probs) * 2).reshape(-1, 2).astype(dtype)
    merged, symbols = ctc.merge_by_ctc_segments(hidden, log_probs, mode, drop_blanks, blank)
    runs = [(s, a, b) for s, a, b in ctc.ctc_segments(log_probs, blank)
            if not (drop_blanks and s == blank)]
    assert symbols.tolist() == [s for s, _, _ in runs] and merged.dtype.kind == "f"
    for vector, (_, start, end) in zip(merged, runs):
        assert hidden[start:end].min() - 1e-4 <= vector.min()
        assert vector.max() <= hidden[start:end].max() + 1e-4
        if mode == "average":
            np.testing.assert_allclose(vector, hidden[start:end].mean(axis=0), rtol=1e-6)


@given(st.sampled_from(CORRUPTIONS), st.sampled_from(["ctc_loss", "greedy_decode",
                                                       "prefix_beam_search", "ctc_gradient"]))
def test_corrupted_log_probs_are_refused_by_name(how, function):
    log_probs = corrupt(np.log(np.full((4, 3), 1 / 3)), how)
    call = {"ctc_loss": lambda: ctc.ctc_loss(log_probs, [1]),
            "greedy_decode": lambda: ctc.greedy_decode(log_probs),
            "prefix_beam_search": lambda: ctc.prefix_beam_search(log_probs),
            "ctc_gradient": lambda: ctc.ctc_gradient(log_probs, [1])}[function]
    assert_refused(call, "log_probs")


@given(st.sampled_from([None, "12", [1.5], [[1]], [-1], [3], [0], np.array([1 + 0j]),
                        [True]]))
def test_bad_targets_are_refused_by_name(target):
    log_probs = np.log(np.full((4, 3), 1 / 3))
    assert_refused(lambda: ctc.ctc_loss(log_probs, target), "target")
    assert_refused(lambda: ctc.best_path(log_probs, target), "target")


@given(st.one_of(bad_integers(minimum=0), st.integers(3, 10**6)))
def test_bad_blanks_are_refused_by_name(blank):
    log_probs = np.log(np.full((4, 3), 1 / 3))
    assert_refused(lambda: ctc.ctc_loss(log_probs, [1], blank), "blank")
    assert_refused(lambda: ctc.greedy_decode(log_probs, blank), "blank")
    assert_refused(lambda: ctc.prefix_beam_search(log_probs, blank=blank), "blank")


@given(bad_integers(minimum=1))
def test_bad_beam_widths_are_refused_by_name(beam_width):
    log_probs = np.log(np.full((4, 3), 1 / 3))
    assert_refused(lambda: ctc.prefix_beam_search(log_probs, beam_width), "beam_width")


def test_minimum_sizes():
    log_probs = np.log([[0.5, 0.5]])
    assert ctc.ctc_loss(log_probs, []) == -np.log(0.5)
    assert ctc.ctc_loss(log_probs, [1]) == -np.log(0.5)
    assert ctc.greedy_decode(log_probs) in ([], [1])
    merged, symbols = ctc.merge_by_ctc_segments(np.ones((1, 1)), log_probs)
    assert merged.shape == (1, 1) and len(symbols) == 1


@long_only
def test_twenty_thousand_frames_do_not_underflow():
    rng = np.random.default_rng(0)
    logits = 3.0 * rng.normal(size=(20_000, 30))
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    target = rng.integers(1, 30, size=2_000)
    loss = ctc.ctc_loss(log_probs, target)
    assert np.isfinite(loss) and loss > 0
    np.testing.assert_allclose(loss, _torch_loss(log_probs, target.tolist(), 0), rtol=1e-9)
