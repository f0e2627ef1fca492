"""Fuzz course_lib.metrics: properties on random valid input, clear errors on invalid input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import metrics
from course_lib.synth import Phone
from tests.fuzz.common import assert_refused, bad_integers

SYMBOLS = st.lists(st.sampled_from(["sil", "k", "æ", "t", "ə"]), max_size=12)
FINITE = st.floats(-1.0, 1.0, allow_nan=False, width=32)


@given(SYMBOLS, SYMBOLS, SYMBOLS)
def test_edit_distance_is_a_metric(a, b, c):
    ab = metrics.edit_distance(a, b)
    assert ab == metrics.edit_distance(b, a)
    assert (ab == 0) == (a == b)
    assert abs(len(a) - len(b)) <= ab <= max(len(a), len(b))
    assert metrics.edit_distance(a, c) <= ab + metrics.edit_distance(b, c)


@given(st.lists(st.tuples(SYMBOLS.filter(bool), SYMBOLS), min_size=1, max_size=4))
def test_phone_error_rate_is_finite_and_zero_only_when_all_match(pairs):
    references, hypotheses = [r for r, _ in pairs], [h for _, h in pairs]
    rate = metrics.phone_error_rate(references, hypotheses)
    assert np.isfinite(rate) and rate >= 0
    assert (rate == 0) == all(r == h for r, h in pairs)
    assert metrics.phone_error_rate(references, references) == 0


@given(st.lists(FINITE, min_size=1, max_size=200), st.floats(1e-3, 1e3), st.integers(0, 10_000))
def test_snr_is_scale_invariant_and_finite(values, scale, seed):
    reference = np.asarray(values, dtype=np.float64)
    if not np.any(reference):
        with pytest.raises(ValueError, match="reference"):
            metrics.snr_db(reference, reference)
        return
    noise = np.random.default_rng(seed).normal(size=len(reference)) * 0.1
    snr = metrics.snr_db(reference, reference + noise)
    assert np.isfinite(snr)
    assert metrics.snr_db(scale * reference, scale * (reference + noise)) == \
        pytest.approx(snr, abs=1e-6)


@given(st.integers(300, 1200), st.integers(0, 10_000))
def test_log_mel_distance_is_non_negative_symmetric_and_zero_on_itself(n_samples, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, n_samples))
    assert metrics.log_mel_distance(a, a) == 0.0
    distance = metrics.log_mel_distance(a, b)
    assert np.isfinite(distance) and distance > 0
    assert distance == pytest.approx(metrics.log_mel_distance(b, a), rel=1e-6)


@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from("abcd")), min_size=1, max_size=60),
       st.permutations(range(7)))
def test_purity_and_pnmi_lie_in_zero_one_and_ignore_unit_names(pairs, renaming):
    units = np.array([u for u, _ in pairs])
    labels = np.array([p for _, p in pairs])
    purity = metrics.purity(units, labels)
    pnmi = metrics.phone_normalized_mutual_information(units, labels)
    majority = max(np.mean(labels == p) for p in set(labels.tolist()))
    assert majority - 1e-12 <= purity <= 1 and -1e-12 <= pnmi <= 1 + 1e-12
    renamed = np.array(renaming)[units]
    assert metrics.purity(renamed, labels) == pytest.approx(purity)
    assert metrics.phone_normalized_mutual_information(renamed, labels) == pytest.approx(pnmi)


BAD_AUDIO = st.sampled_from([
    ("empty", []), ("NaN", [0.1, np.nan, 0.2]), ("inf", [np.inf] * 3), ("2-D", [[0.1, 0.2]]),
    ("complex", np.array([1j, 2j])), ("string", "abc"), ("None", None),
])


@given(BAD_AUDIO, st.sampled_from(["snr_db", "log_mel_distance", "stoi"]),
       st.sampled_from(["reference", "estimate"]))
def test_audio_scores_refuse_bad_audio_naming_the_argument(bad, score, which):
    _, value = bad
    good = np.random.default_rng(0).normal(size=4000)
    arguments = {"reference": good, "estimate": good}
    arguments[which] = value
    with pytest.raises((ValueError, TypeError), match=which):
        getattr(metrics, score)(arguments["reference"], arguments["estimate"])


@given(st.sampled_from([None, 3, "abc", [[1, 2]], np.array([1j])]))
def test_sequence_scores_refuse_what_is_not_a_sequence(value):
    with pytest.raises((ValueError, TypeError), match="reference|units"):
        if isinstance(value, np.ndarray):
            metrics.purity(value, ["a"])
        else:
            metrics.edit_distance(value, ["a"])


PHONE_ROWS = st.lists(st.tuples(st.sampled_from(["sil", "k", "æ", "t"]), st.floats(0.001, 0.3)),
                      min_size=1, max_size=10)


def _alignment(rows):
    starts = np.r_[0.0, np.cumsum([duration for _, duration in rows])[:-1]]
    return [Phone(label, float(start), float(start + duration))
            for (label, duration), start in zip(rows, starts)]


@given(SYMBOLS, SYMBOLS)
def test_edit_alignment_pairs_are_monotone_matches_and_explain_the_distance(a, b):
    pairs = metrics.edit_alignment(a, b)
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(i0 < i and j0 < j for (i0, j0), (i, j) in zip(pairs, pairs[1:]))
    # the gaps between kept pairs cost max(gap in a, gap in b) edits: together, the distance
    fenced = [(-1, -1)] + pairs + [(len(a), len(b))]
    cost = sum(max(i - i0 - 1, j - j0 - 1) for (i0, j0), (i, j) in zip(fenced, fenced[1:]))
    assert cost == metrics.edit_distance(a, b)


@given(PHONE_ROWS, PHONE_ROWS)
def test_matched_boundary_errors_are_finite_bounded_and_at_most_one_per_boundary(p, r):
    predicted, reference = _alignment(p), _alignment(r)
    errors = metrics.matched_boundary_errors(predicted, reference)
    assert errors.ndim == 1 and len(errors) <= min(len(predicted), len(reference)) - 1
    assert np.all(np.isfinite(errors)) and np.all(errors >= 0)
    assert np.all(errors <= max(predicted[-1].end, reference[-1].end))
    assert len(metrics.matched_boundary_errors(reference, reference)) == len(reference) - 1


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.floats(0.5, 0.999))
def test_wilson_interval_holds_the_rate_and_widens_with_confidence(counts, confidence):
    n_errors, n_trials = counts
    low, high = metrics.wilson_interval(n_errors, n_trials, confidence)
    assert 0 <= low <= n_errors / n_trials <= high <= 1
    wider = metrics.wilson_interval(n_errors, n_trials, (1 + confidence) / 2)
    assert wider[0] <= low and high <= wider[1]


@given(bad_integers(minimum=1))
def test_wilson_interval_refuses_bad_trial_counts(value):
    assert_refused(lambda: metrics.wilson_interval(0, value), "n_trials")
