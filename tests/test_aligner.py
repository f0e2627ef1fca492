"""The phone HMM aligner: training from transcripts, forced alignment, boundary scoring."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from course_lib import aligner as aligner_module
from course_lib.aligner import (ALIGNER_PATH, PhoneAligner, aligner_features, evaluate,
                                frame_to_seconds, load_phone_aligner, train_phone_aligner)
from course_lib.data import build_corpus
from course_lib.metrics import boundary_errors
from course_lib.synth import Phone


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module")
def small_aligner(corpus):
    return train_phone_aligner(corpus.train[:60], n_iterations=3, progress=False)


def test_training_raises_the_likelihood_and_aligns_held_out_speech(corpus, small_aligner):
    history = small_aligner.history
    assert len(history) == 3 and history[-1] > history[0]
    known = [u for u in corpus.test if set(u.phone_labels) <= set(small_aligner.phones)][:15]
    quality = evaluate(small_aligner, known)
    # a model that ignored the audio would spread phones evenly: score that as a baseline
    even = []
    for u in known:
        edges = np.linspace(0, u.duration, len(u.phones) + 1)
        guess = [Phone(p.label, a, b) for p, a, b in zip(u.phones, edges, edges[1:])]
        even.append(boundary_errors(guess, u.phones))
    assert quality["mean_ms"] < 0.5 * 1000 * np.concatenate(even).mean()
    assert quality["mean_ms"] < 40


def test_alignment_is_contiguous_and_keeps_the_labels(corpus, small_aligner):
    utterance = next(u for u in corpus.test if set(u.phone_labels) <= set(small_aligner.phones))
    phones = small_aligner.align(utterance.waveform, utterance.phone_labels)
    assert [p.label for p in phones] == utterance.phone_labels
    assert phones[0].start == 0 and phones[-1].end == pytest.approx(utterance.duration)
    assert all(a.end == b.start and a.start < a.end for a, b in zip(phones, phones[1:]))


def test_the_shipped_aligner_meets_its_quality_bound(corpus):
    shipped = load_phone_aligner()
    assert ALIGNER_PATH.stat().st_size < 2_000_000
    quality = evaluate(shipped, corpus.test[:30])
    assert quality["mean_ms"] < 30 and quality["within_20ms"] > 0.6


def test_save_and_load_round_trip(tmp_path, small_aligner):
    path = tmp_path / "aligner.npz"
    small_aligner.save(path)
    loaded = load_phone_aligner(path)
    assert loaded.phones == small_aligner.phones and loaded.history == small_aligner.history
    np.testing.assert_array_equal(loaded.means, small_aligner.means)
    np.testing.assert_array_equal(loaded.variances, small_aligner.variances)
    np.testing.assert_array_equal(loaded.self_loops, small_aligner.self_loops)


@given(st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 5))
def test_log_emission_is_the_diagonal_gaussian_density(seed, n_states, n_dims):
    rng = np.random.default_rng(seed)
    model = PhoneAligner(("a",), rng.normal(size=(n_states, n_dims)),
                         rng.uniform(0.01, 3, size=(n_states, n_dims)), np.full(n_states, 0.5))
    frames = rng.normal(size=(7, n_dims))
    reference = norm.logpdf(frames[:, None, :], model.means,
                            np.sqrt(model.variances)).sum(axis=2)
    np.testing.assert_allclose(model.log_emission(frames), reference, rtol=1e-9, atol=1e-9)


def test_fitting_states_smooths_self_loops_and_floors_variances():
    """Two utterances' Viterbi state sequences, counted by hand: state 0 stays twice and leaves
    twice, state 1 stays once and never leaves (its utterances end in it). Add-one smoothing
    gives (2 + 1) / (4 + 2) and (1 + 1) / (1 + 2). State 1's frames are identical in
    dimension 0, so its variance there is the floor, not 0."""
    first = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0], [7.0, 3.0], [7.0, 5.0]])
    second = np.array([[6.0, 1.0], [7.0, 4.0]])
    means, variances, self_loops = aligner_module._fit_states(
        [first, second], [np.array([0, 0, 0, 1, 1]), np.array([0, 1])], n_states=2)
    np.testing.assert_allclose(self_loops, [3 / 6, 2 / 3])
    np.testing.assert_allclose(means, [[3.0, 1.0], [7.0, 4.0]])
    assert variances[1, 0] == aligner_module.VARIANCE_FLOOR > 0  # three frames, all 7.0
    np.testing.assert_allclose(variances[0], [5.0, aligner_module.VARIANCE_FLOOR])
    assert variances[1, 1] == pytest.approx(2 / 3)  # 3, 5, 4 about their mean 4


def test_forced_alignment_must_end_in_the_last_state():
    """Audio that sounds like "a" throughout, aligned to "a b": the path still has to reach
    b's last state, giving b the fewest frames it can (one per state) at the end."""
    rng = np.random.default_rng(0)
    means = np.repeat([[0.0, 0.0], [5.0, 5.0]], 3, axis=0)  # states 0-2: "a", 3-5: "b"
    model = PhoneAligner(("a", "b"), means, np.ones((6, 2)), np.full(6, 0.5))
    features = rng.normal(0.0, 0.3, size=(12, 2))
    positions, log_score = model.align_frames(features, ["a", "b"])
    assert positions[0] == 0 and positions[-3:].tolist() == [3, 4, 5]
    assert np.all(np.diff(positions) >= 0) and np.all(np.diff(positions) <= 1)
    assert np.isfinite(log_score)


def test_features_are_39_normalized_dimensions(corpus):
    features = aligner_features(corpus.train[0].waveform)
    assert features.shape[1] == 39
    np.testing.assert_allclose(features.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(features.std(axis=0), 1, atol=1e-6)


def test_frame_boundaries_fall_between_frame_centres():
    # frame 0 is centred at 12.5 ms and frame 1 at 22.5 ms: their boundary is 17.5 ms
    assert frame_to_seconds(1) == pytest.approx(0.0175)


def test_boundary_errors_by_hand():
    truth = [Phone("a", 0, 0.1), Phone("b", 0.1, 0.3), Phone("c", 0.3, 0.5)]
    guess = [Phone("a", 0, 0.12), Phone("b", 0.12, 0.27), Phone("c", 0.27, 0.5)]
    np.testing.assert_allclose(boundary_errors(guess, truth), [0.02, 0.03])


def test_bad_input_raises_a_clear_value_error(corpus, small_aligner, tmp_path):
    waveform = corpus.train[0].waveform
    with pytest.raises(ValueError, match="unknown"):
        small_aligner.align(waveform, ["sil", "no-such-phone"])
    with pytest.raises(ValueError, match="phone_labels"):
        small_aligner.align(waveform, [])
    with pytest.raises(ValueError, match="too short"):
        small_aligner.align(waveform[:1600], ["sil"] * 5)
    with pytest.raises(ValueError, match="same phones"):
        boundary_errors([Phone("a", 0, 1)], [Phone("b", 0, 1)])
    with pytest.raises(ValueError, match="no trained aligner"):
        load_phone_aligner(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="utterances"):
        train_phone_aligner([], progress=False)
    with pytest.raises(ValueError, match="n_iterations"):
        train_phone_aligner(corpus.train[:2], n_iterations=0, progress=False)


def test_command_line_trains_and_saves(tmp_path, capsys):
    output = tmp_path / "aligner.npz"
    aligner_module.main(["--n-utterances", "40", "--iterations", "2", "--out", str(output)])
    printed = capsys.readouterr().out
    assert "within 20 ms" in printed and output.exists()


# --- figures and the explorer of notebook 02 ---

def test_alignment_figures_and_self_loop_explorer(corpus):
    from matplotlib.figure import Figure

    from course_lib import hmm
    from course_lib.plots import plot_forced_alignment, plot_trellis
    from course_lib.widgets import self_loop_explorer

    shipped = load_phone_aligner()
    utterance = corpus.test[0]
    aligned = shipped.align(utterance.waveform, utterance.phone_labels)
    assert isinstance(plot_forced_alignment(utterance, aligned), Figure)

    log_emission = np.random.default_rng(0).normal(size=(8, 3))
    log_start = np.log([1.0, 1e-300, 1e-300]) - np.log1p(2e-300)
    posteriors, _ = hmm.state_posteriors(log_start, hmm.left_to_right([0.6] * 3), log_emission)
    path, _ = hmm.viterbi(log_start, hmm.left_to_right([0.6] * 3), log_emission)
    assert isinstance(plot_trellis(posteriors, path, ["s1", "s2", "s3"]), Figure)

    durations = np.array([5, 7, 9, 12])
    explorer = self_loop_explorer(shipped, utterance, durations)
    explorer.children[0].value = 0.05
    short_loops = len(shipped.decode_phone_loop(utterance.waveform, 0.05))
    assert f"{short_loops} phones decoded" in explorer.result.axes[1].get_title(loc="left")
    explorer.children[0].value = 0.95
    assert "self-loop 0.95" in explorer.result.axes[0].get_legend().get_texts()[1].get_text()
    long_loops = len(shipped.decode_phone_loop(utterance.waveform, 0.95))
    assert f"{long_loops} phones decoded" in explorer.result.axes[1].get_title(loc="left")
    assert long_loops < short_loops  # longer stays, fewer phones


def test_phone_loop_decoding_is_contiguous_and_a_shared_self_loop_leaves_forced_alignment_alone(
        corpus):
    from dataclasses import replace

    shipped = load_phone_aligner()
    utterance = corpus.test[1]
    decoded = shipped.decode_phone_loop(utterance.waveform, 0.6)
    assert decoded[0].start == 0 and decoded[-1].end == pytest.approx(utterance.duration)
    assert all(a.end == b.start and a.start < a.end for a, b in zip(decoded, decoded[1:]))
    aligned = [replace(shipped, self_loops=np.full_like(shipped.self_loops, p)).align(
        utterance.waveform, utterance.phone_labels) for p in (0.2, 0.9)]
    assert aligned[0] == aligned[1]
    with pytest.raises(ValueError, match="self_loop"):
        shipped.decode_phone_loop(utterance.waveform, 1.0)


# --- validation findings of issue 9 (5, 10, 12) -------------------------------------------------

def test_a_string_is_not_a_phone_list_but_an_array_of_labels_is(corpus, small_aligner):
    utterance = corpus.test[0]
    with pytest.raises(TypeError, match="phone_labels"):
        small_aligner.align(utterance.waveform, "sil")
    from_list = small_aligner.align(utterance.waveform, utterance.phone_labels)
    from_array = small_aligner.align(utterance.waveform, np.array(utterance.phone_labels))
    assert from_list == from_array


def test_evaluate_on_no_utterances_is_a_clear_error(small_aligner):
    with pytest.raises(ValueError, match="utterances"):
        evaluate(small_aligner, [])


def test_save_needs_a_path_and_round_trips_a_name_without_suffix(tmp_path, small_aligner,
                                                                 monkeypatch):
    before = ALIGNER_PATH.read_bytes()
    with pytest.raises(TypeError):
        small_aligner.save()
    assert ALIGNER_PATH.read_bytes() == before
    monkeypatch.chdir(tmp_path)
    written = small_aligner.save("my_aligner")
    assert written.name == "my_aligner.npz"
    for name in ("my_aligner", "my_aligner.npz", tmp_path / "my_aligner"):
        np.testing.assert_array_equal(load_phone_aligner(name).means, small_aligner.means)


def test_train_writes_only_where_told(tmp_path):
    trained = aligner_module.train(20, seed=3, n_iterations=1, out=tmp_path / "a", progress=False)
    assert (tmp_path / "a.npz").is_file() and len(trained.history) == 1


@pytest.mark.parametrize("which", ["sentences", "voices"])
def test_the_shipped_aligner_aligns_every_held_out_sentence(which):
    """Every phone of the hand-written sentences is modelled, and the boundaries land far
    closer than an even split would put them."""
    from course_lib.data import build_held_out

    shipped = load_phone_aligner()
    utterances = build_held_out(which)
    assert all(set(u.phone_labels) <= set(shipped.phones) for u in utterances)
    quality = evaluate(shipped, utterances)
    even = []
    for u in utterances:
        edges = np.linspace(0, u.duration, len(u.phones) + 1)
        even.append(boundary_errors([Phone(p.label, a, b) for p, a, b in
                                     zip(u.phones, edges, edges[1:])], u.phones))
    assert quality["n_boundaries"] == sum(len(u.phones) - 1 for u in utterances)
    assert quality["mean_ms"] < 0.25 * 1000 * np.concatenate(even).mean()
