"""The shipped CTC phone recognizer: its API, determinism and quality on unseen utterances.

Nothing here trains for long: the tests load the weights in data/ and check them.
"""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_lib import ctc
from course_lib.data import TRAINING_CORPORA, build_corpus, build_held_out
from course_lib.plots import plot_ctc_posteriors
from course_lib.phones import LABELS, PHONES, phones_to_indices
from course_lib.recognizer import (AUGMENTATIONS, FRAMES_PER_SECOND, SHIPPED_AUGMENTATIONS,
                                   WEIGHTS_PATH, PhoneRecognizer, augmented_features,
                                   evaluation_sets, load_recognizer, log_mel_features,
                                   phone_error_rate, train)
from course_lib.widgets import ctc_explorer


@pytest.fixture(scope="module")
def recognizer():
    torch.set_num_threads(1)
    return load_recognizer()


@pytest.fixture(scope="module")
def held_out_utterances():
    return build_corpus().test[:12]


def test_weights_are_small_and_the_labels_put_the_blank_first():
    assert WEIGHTS_PATH.stat().st_size < 2_000_000
    assert LABELS[0] == "-" and LABELS[1:] == PHONES and len(set(LABELS)) == len(LABELS) == 59


def test_every_phone_of_the_default_corpus_is_in_the_phone_set():
    labels = {p.label for u in build_corpus().utterances for p in u.phones}
    assert labels == set(PHONES)


def test_encode_gives_50_frames_per_second_and_is_deterministic(recognizer, held_out_utterances):
    utterance = held_out_utterances[0]
    hidden, log_probs = recognizer.encode(utterance.waveform)
    assert recognizer.hidden_dim == 192 and hidden.shape == (len(log_probs), 192)
    assert log_probs.shape[1] == len(LABELS)
    assert abs(len(log_probs) - FRAMES_PER_SECOND * utterance.duration) <= 1
    assert np.allclose(np.exp(log_probs).sum(axis=1), 1, atol=1e-4)
    again_hidden, again_log_probs = recognizer.encode(utterance.waveform)
    assert np.array_equal(hidden, again_hidden) and np.array_equal(log_probs, again_log_probs)


def test_batched_forward_equals_one_at_a_time(recognizer, held_out_utterances):
    """Padding must not leak into the bidirectional GRU."""
    features = [log_mel_features(u.waveform) for u in held_out_utterances[:3]]
    lengths = torch.tensor([len(f) for f in features])
    padded = torch.nn.utils.rnn.pad_sequence(features, batch_first=True)
    with torch.no_grad():
        _, batch_log_probs, frame_lengths = recognizer(padded, lengths)
    for i, u in enumerate(held_out_utterances[:3]):
        _, single = recognizer.encode(u.waveform)
        assert frame_lengths[i] == len(single)
        assert np.allclose(batch_log_probs[i, :len(single)].numpy(), single, atol=1e-5)


def test_phone_error_rate_is_low_on_unseen_utterances(recognizer, held_out_utterances):
    assert phone_error_rate(recognizer, held_out_utterances) < 0.05


def test_phone_error_rate_is_low_on_sentences_written_apart_from_the_training_text(recognizer):
    """The course's target: below 5% on hand-written sentences, whose words outside the 150
    most frequent never occur in training (the first 20 of them, to stay quick)."""
    assert phone_error_rate(recognizer, build_held_out("sentences")[:20]) < 0.05


def test_the_shipped_weights_record_their_recipe():
    saved = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    assert tuple(saved["augmentations"]) == SHIPPED_AUGMENTATIONS
    assert saved["training_corpus"] == TRAINING_CORPORA["recognizer"]


def test_evaluation_sets_are_the_three_unseen_synthesized_sets():
    sets = evaluation_sets()
    assert list(sets) == ["test split", "held-out sentences", "held-out voices"]
    assert [u.text for u in sets["held-out sentences"]] == [u.text for u in sets["held-out voices"]]
    assert not {u.variant for u in sets["held-out voices"]} & {u.variant for u in sets["test split"]}


def test_augmented_features_apply_what_is_asked_and_nothing_else():
    waveform = build_corpus().test[0].waveform
    clean = log_mel_features(waveform)
    assert torch.equal(augmented_features(waveform, (), np.random.default_rng(0)), clean)
    lengths = {len(augmented_features(waveform, ("speed",), np.random.default_rng(seed)))
               for seed in range(12)}
    assert len(lengths) == 3 and len(clean) in lengths  # factors 0.9, 1.0 and 1.1
    masked = augmented_features(waveform, ("specaugment",), np.random.default_rng(0))
    assert masked.shape == clean.shape and not torch.equal(masked, clean)
    a, b = (augmented_features(waveform, AUGMENTATIONS, np.random.default_rng(3)) for _ in "ab")
    assert torch.equal(a, b)  # the generator decides everything


@pytest.mark.parametrize("augmentations, error", [(("echo",), ValueError), ("speed", TypeError)])
def test_train_refuses_unknown_augmentations_by_name(tmp_path, augmentations, error):
    with pytest.raises(error, match="augmentations"):
        train(epochs=1, augmentations=augmentations, out=tmp_path / "never.pt")


def test_forced_alignment_puts_most_spikes_near_their_phones(recognizer, held_out_utterances):
    near = []
    for utterance in held_out_utterances:
        _, log_probs = recognizer.encode(utterance.waveform)
        path, _ = ctc.best_path(log_probs, phones_to_indices(utterance.phone_labels))
        spikes = [t for t in range(len(path)) if path[t] and (t == 0 or path[t] != path[t - 1])]
        for frame, phone in zip(spikes, utterance.phones, strict=True):
            length = phone.end - phone.start
            near.append(phone.start - length <= frame / FRAMES_PER_SECOND <= phone.end + length)
    assert np.mean(near) > 0.9


def test_log_mel_features_shape_and_errors():
    features = log_mel_features(np.random.default_rng(0).normal(size=16_000).astype(np.float32))
    assert features.shape == (101, 40)
    assert torch.allclose(features.mean(0), torch.zeros(40), atol=1e-4)
    with pytest.raises(ValueError, match="at least 400 samples"):
        log_mel_features(np.zeros(100))
    with pytest.raises(ValueError, match="waveform must be a 1-D"):
        log_mel_features(np.zeros((2, 16_000)))


def test_load_recognizer_refuses_missing_weights(tmp_path):
    with pytest.raises(ValueError, match="python -m course_lib.recognizer"):
        load_recognizer(tmp_path / "missing.pt")


def mean_ctc_loss_per_phone(model, utterances):
    """CTC loss of the model's outputs (course_lib.ctc, float64) per true phone, averaged."""
    losses = []
    for utterance in utterances:
        log_probs = model.encode(utterance.waveform)[1].astype(np.float64)
        target = phones_to_indices(utterance.phone_labels)
        losses.append(ctc.ctc_loss(log_probs, target) / len(target))
    return float(np.mean(losses))


def test_training_lowers_the_ctc_loss_and_saves_loadable_weights(tmp_path, monkeypatch):
    """One short epoch (3 steps of 2 utterances) on a tiny corpus: the saved model loads, in
    eval mode, and fits its training utterances better than the untrained network it started
    from."""
    corpus = dict(n_utterances=6, seed=5)
    monkeypatch.setattr("course_lib.recognizer.TRAINING_CORPUS", corpus)
    model = train(epochs=1, batch_size=2, seed=0, out=tmp_path / "tiny.pt")
    assert isinstance(model, PhoneRecognizer) and not model.training
    assert (tmp_path / "tiny.pt").stat().st_size < 2_000_000
    reloaded = load_recognizer(tmp_path / "tiny.pt")
    for name, weights in model.state_dict().items():
        assert torch.equal(weights, reloaded.state_dict()[name])

    torch.manual_seed(0)
    untrained = PhoneRecognizer().eval()  # the initialization train(seed=0) starts from
    training_utterances = build_corpus(**corpus).train
    assert mean_ctc_loss_per_phone(model, training_utterances) < \
        0.9 * mean_ctc_loss_per_phone(untrained, training_utterances)


class _Initialized(Exception):
    """Raised by the spy below to stop train() once its network exists."""


def initial_weights_of_training(monkeypatch, tmp_path, seed):
    """The weights train(seed=...) initializes its network with (training is not run)."""
    created = []

    class Spy(PhoneRecognizer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append({k: v.clone() for k, v in self.state_dict().items()})
            raise _Initialized

    monkeypatch.setattr("course_lib.recognizer.TRAINING_CORPUS", dict(n_utterances=3, seed=5))
    monkeypatch.setattr("course_lib.recognizer.PhoneRecognizer", Spy)
    torch.manual_seed(12345)  # whatever the global generator held before must not matter
    with pytest.raises(_Initialized):
        train(epochs=1, batch_size=4, seed=seed, out=tmp_path / "never-written.pt")
    return created[0]


def test_training_is_seeded_by_its_seed_argument(monkeypatch, tmp_path):
    for seed in (0, 1):
        torch.manual_seed(seed)
        expected = PhoneRecognizer().state_dict()
        initial = initial_weights_of_training(monkeypatch, tmp_path, seed)
        for name, weights in expected.items():
            assert torch.equal(initial[name], weights), name
    zero, one = (initial_weights_of_training(monkeypatch, tmp_path, s) for s in (0, 1))
    assert not torch.equal(zero["output.weight"], one["output.weight"])


def test_load_recognizer_refuses_weights_trained_with_another_label_set(tmp_path):
    swapped = list(LABELS)
    swapped[1], swapped[2] = swapped[2], swapped[1]  # same size, so the weights would fit
    path = tmp_path / "other_labels.pt"
    torch.save({"labels": swapped, "config": {}, "state_dict": PhoneRecognizer().state_dict()},
               path)
    with pytest.raises(ValueError, match="another label set"):
        load_recognizer(path)
    torch.save({"labels": list(LABELS), "config": {},
                "state_dict": PhoneRecognizer().state_dict()}, path)
    assert isinstance(load_recognizer(path), PhoneRecognizer)  # the same file, right labels


def test_posterior_plot_and_explorer(recognizer, held_out_utterances):
    log_probs = [recognizer.encode(u.waveform)[1] for u in held_out_utterances[:2]]
    path, _ = ctc.best_path(log_probs[0], phones_to_indices(held_out_utterances[0].phone_labels))
    figure = plot_ctc_posteriors(held_out_utterances[0], log_probs[0], LABELS, aligned_path=path)
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    texts = [t.get_text() for t in figure.axes[1].texts]
    assert set(texts) <= set(PHONES) and len(texts) >= len(held_out_utterances[0].phones) // 2
    explorer = ctc_explorer(held_out_utterances[:2], log_probs, LABELS)
    explorer.children[0].value = 1
    assert held_out_utterances[1].text in explorer.result.get_suptitle()
    with pytest.raises(ValueError, match="one array per utterance"):
        ctc_explorer(held_out_utterances[:2], log_probs[:1], LABELS)


def test_three_alignments_plot_and_explorer(held_out_utterances):
    from course_lib.plots import plot_three_alignments
    from course_lib.widgets import alignment_explorer

    utterances = held_out_utterances[:2]
    hmm_paths = [np.repeat(np.arange(len(u.phones)), 3) for u in utterances]
    spikes = [np.arange(len(u.phones)) * 2 for u in utterances]
    weights = [np.full((len(u.phones), 40), 1 / 40) for u in utterances]
    figure = plot_three_alignments(utterances[0], hmm_paths[0], spikes[0], weights[0])
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    explorer = alignment_explorer(utterances, hmm_paths, spikes, weights)
    explorer.children[0].value = 1
    assert utterances[1].text in explorer.result.get_suptitle()
    with pytest.raises(ValueError, match="one HMM path"):
        alignment_explorer(utterances, hmm_paths[:1], spikes, weights)


# --- validation findings of issue 9 (2, 3 and 10) ---------------------------------------------

def test_nan_inf_and_absurdly_loud_audio_is_refused_naming_the_waveform(recognizer):
    for bad in (np.full(16_000, np.nan), np.r_[np.zeros(8_000), np.inf, np.zeros(7_999)]):
        for call in (recognizer.encode, recognizer.transcribe):
            with pytest.raises(ValueError, match="waveform") as raised:
                call(bad)
            assert "log_probs" not in str(raised.value)
    loud = np.random.default_rng(0).normal(size=16_000) * 1e30
    with pytest.raises(ValueError, match="waveform must hold samples within"):
        recognizer.encode(loud)


@pytest.mark.parametrize("sample_rate", [8_000, 48_000])
def test_encode_and_transcribe_resample_other_sample_rates(recognizer, held_out_utterances,
                                                           sample_rate):
    from course_lib.features import resample
    from course_lib.metrics import edit_distance
    utterance = held_out_utterances[0]
    other = resample(utterance.waveform, 16_000, sample_rate)
    _, log_probs = recognizer.encode(other, sample_rate=sample_rate)
    # the same resampler as data.load_audio, so the same numbers as resampling first
    at_16k = resample(other.astype(np.float64), sample_rate, 16_000)
    assert np.array_equal(log_probs, recognizer.encode(at_16k)[1])
    assert abs(len(log_probs) - len(recognizer.encode(utterance.waveform)[1])) <= 1
    heard = recognizer.transcribe(other, sample_rate=sample_rate)
    if sample_rate > 16_000:  # nothing lost: as good as the original
        assert edit_distance(utterance.phone_labels, heard) <= 1
    # read as if it were 16 kHz (the old behaviour) it is far worse
    misread = recognizer.transcribe(other)
    assert edit_distance(utterance.phone_labels, misread) > edit_distance(
        utterance.phone_labels, heard)
    with pytest.raises(TypeError, match="sample_rate"):
        recognizer.encode(other, sample_rate="16000")


def test_phone_error_rate_of_no_utterances_is_a_clear_error(recognizer):
    with pytest.raises(ValueError, match="utterances"):
        phone_error_rate(recognizer, [])


def test_load_recognizer_takes_a_path_and_none_means_the_shipped_weights(tmp_path):
    import shutil
    copy = tmp_path / "copy.pt"
    shutil.copy(WEIGHTS_PATH, copy)
    shipped, loaded = load_recognizer(None), load_recognizer(str(copy))
    for name, value in shipped.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[name]), name


def test_training_requires_an_output_path():
    with pytest.raises(TypeError, match="out"):
        train(epochs=1)
