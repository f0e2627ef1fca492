import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

import course_lib.data as data
from course_lib.data import CORPUS_VARIANTS, build_corpus, load_audio
from course_lib.synth import MAX_WORDS_PER_MINUTE, MIN_WORDS_PER_MINUTE


def assert_same_corpus(a, b):
    assert a.split == b.split
    assert len(a) == len(b)
    for x, y in zip(a.utterances, b.utterances):
        assert x.text == y.text and x.variant == y.variant
        assert x.words_per_minute == y.words_per_minute and x.pitch == y.pitch
        assert x.phones == y.phones
        assert np.array_equal(x.waveform, y.waveform)


def test_same_seed_rebuilds_the_identical_corpus():
    assert_same_corpus(build_corpus(30, seed=7, cache=False), build_corpus(30, seed=7, cache=False))


def test_another_seed_gives_another_corpus():
    a, b = build_corpus(30, seed=1, cache=False), build_corpus(30, seed=2, cache=False)
    assert [u.text for u in a.utterances] != [u.text for u in b.utterances]


def test_corpus_is_varied_and_split_fixed():
    corpus = build_corpus(60, seed=3, test_fraction=0.25, cache=False)
    assert len(corpus.test) == 15 and len(corpus.train) == 45
    assert set(corpus.train).isdisjoint(corpus.test)
    assert len({u.text for u in corpus.utterances}) > 50
    assert len({u.variant for u in corpus.utterances}) >= 8
    assert {u.variant for u in corpus.utterances} <= set(CORPUS_VARIANTS)
    rates = [u.words_per_minute for u in corpus.utterances]
    assert MIN_WORDS_PER_MINUTE <= min(rates) and max(rates) <= MAX_WORDS_PER_MINUTE
    assert max(rates) - min(rates) > 80
    pitches = [u.pitch for u in corpus.utterances]  # drawn from 30-70
    assert 30 <= min(pitches) and max(pitches) <= 70
    assert max(pitches) - min(pitches) >= 30 and len(set(pitches)) >= 20
    for utterance in corpus.utterances:
        assert utterance.text[-1] in ".?!"
        assert utterance.phones[-1].end == pytest.approx(utterance.duration)


def test_cache_round_trip_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    built = build_corpus(12, seed=5)
    assert len(list(tmp_path.glob("corpus-12-seed5-*.npz"))) == 1
    loaded = build_corpus(12, seed=5)
    assert_same_corpus(built, loaded)
    assert_same_corpus(built, build_corpus(12, seed=5, cache=False))


def test_the_cache_never_serves_a_split_built_with_another_test_fraction(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    quarter = build_corpus(12, seed=5, test_fraction=0.25)
    half = build_corpus(12, seed=5, test_fraction=0.5)  # same utterances, another split
    assert len(quarter.test) == 3 and len(half.test) == 6
    assert_same_corpus(half, build_corpus(12, seed=5, test_fraction=0.5, cache=False))
    assert_same_corpus(build_corpus(12, seed=5, test_fraction=0.25), quarter)
    assert len(list(tmp_path.glob("corpus-12-seed5-*.npz"))) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(n_utterances=1), "n_utterances"), (dict(test_fraction=0.0), "test_fraction"),
     (dict(test_fraction=1.0), "test_fraction")],
)
def test_bad_corpus_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_corpus(cache=False, **kwargs)


def test_load_audio_mixes_to_mono_and_resamples(tmp_path):
    rate = 44_100
    t = np.arange(rate) / rate
    left, right = np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "stereo.flac"
    soundfile.write(path, np.stack([left, right], axis=1), rate)
    waveform = load_audio(path)
    assert waveform.dtype == np.float32 and waveform.ndim == 1
    assert len(waveform) == 16_000
    assert np.abs(waveform[1000:-1000]).max() == pytest.approx(0.75, abs=0.01)


def test_load_audio_keeps_the_signal(tmp_path):
    rate = 16_000
    signal = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)).astype(np.float32)
    path = tmp_path / "tone.wav"
    soundfile.write(path, signal, rate, subtype="FLOAT")
    assert np.array_equal(load_audio(path), signal)


def test_load_audio_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_audio(tmp_path / "missing.wav")
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are not samples")
    with pytest.raises(ValueError, match="could not read"):
        load_audio(not_audio)
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(ValueError, match="empty"):
        load_audio(empty)
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(16_000, dtype=np.float32), 16_000)
    with pytest.raises(ValueError, match="silent"):
        load_audio(silent)


# --- issue 9: numbers of any natural kind accepted, others refused by name ---

def test_numpy_integers_are_accepted_like_ints(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    assert_same_corpus(build_corpus(np.int64(3), seed=np.int32(5), cache=False),
                       build_corpus(3, seed=5, cache=False))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(n_utterances="400"), TypeError, "n_utterances"),
    (dict(n_utterances=None), TypeError, "n_utterances"),
    (dict(seed=None), TypeError, "seed"),           # None would draw a fresh, random corpus
    (dict(seed="0"), TypeError, "seed"),
    (dict(test_fraction="0.2"), TypeError, "test_fraction"),
    (dict(test_fraction=float("nan")), ValueError, "test_fraction"),
    (dict(sample_rate=None), TypeError, "sample_rate"),
    (dict(sample_rate=16_000.0), TypeError, "sample_rate"),
])
def test_bad_corpus_arguments_are_refused_by_name(kwargs, error, name):
    with pytest.raises(error, match=f"{name} must be"):
        build_corpus(**{"n_utterances": 3, "cache": False, **kwargs})


def test_load_audio_checks_its_sample_rate(tmp_path):
    path = tmp_path / "tone.wav"
    soundfile.write(path, np.sin(np.arange(1600) / 5.0).astype(np.float32), 16_000)
    assert len(load_audio(path, np.int64(8_000))) == 800
    with pytest.raises(TypeError, match="sample_rate must be"):
        load_audio(path, "16000")
    with pytest.raises(ValueError, match="sample_rate must be"):
        load_audio(path, 0)
    with pytest.raises(TypeError, match="path must be"):
        load_audio(None)


def test_committed_data_stays_small():
    """What ships in data/ (weights, READMEs), wherever COURSE_DATA_DIR puts the caches."""
    shipped = [p for p in data.WEIGHTS_DIR.rglob("*")
               if p.is_file() and data.WEIGHTS_DIR / "cache" not in p.parents]
    assert {"ctc_recognizer.pt", "codec.pt", "phone_aligner.npz"} <= {p.name for p in shipped}
    assert sum(p.stat().st_size for p in shipped) < 20 * 2**20


def test_course_data_dir_moves_the_caches_but_not_the_shipped_weights(tmp_path):
    script = ("from course_lib import aligner, codec, data, recognizer; "
              "print(data.CACHE_DIR, aligner.ALIGNER_PATH, codec.weights_path(), "
              "recognizer.WEIGHTS_PATH, sep='\\n')")
    env = {**os.environ, "COURSE_DATA_DIR": str(tmp_path)}
    output = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=True).stdout.split()
    cache, *weights = map(Path, output)
    assert cache == tmp_path / "cache"
    for path in weights:
        assert path.parent == data.WEIGHTS_DIR and path.is_file(), path


def test_load_audio_refuses_a_float_file_holding_nan_or_inf(tmp_path):
    """Issue 9, finding 2: a float WAV can hold NaN; load_audio must not pass it on."""
    for bad in (np.nan, np.inf):
        samples = np.sin(np.arange(1600) / 5).astype(np.float32)
        samples[100] = bad
        path = tmp_path / f"bad_{bad}.wav"
        soundfile.write(path, samples, 16_000, subtype="FLOAT")
        with pytest.raises(ValueError, match="NaN or infinite") as raised:
            load_audio(path)
        assert path.name in str(raised.value)


# --- issue 10: a corpus that covers English, held-out text and voices ---

@pytest.mark.parametrize("model", sorted(data.TRAINING_CORPORA))
def test_every_english_phone_is_heard_100_times_in_each_training_split(model):
    """The inventory comes from eSpeak and the word list (never from a corpus); each of its
    phones must occur at least 100 times in the training split a shipped model learns from."""
    from collections import Counter

    from course_lib.synth import pronounce
    from course_lib.text import english_words

    inventory = {label for labels in pronounce(list(english_words())) for label in labels}
    counts = Counter(p.label for u in build_corpus(**data.TRAINING_CORPORA[model]).train
                     for p in u.phones)
    rare = {label: counts[label] for label in inventory if counts[label] < 100}
    assert not rare, f"phones heard fewer than 100 times in the {model}'s training split: {rare}"


@pytest.mark.parametrize("which", data.HELD_OUT_SETS)
def test_held_out_sets_speak_every_held_out_sentence_once(which):
    from course_lib.text import held_out_sentences

    utterances = data.build_held_out(which)
    assert [u.text for u in utterances] == list(held_out_sentences())
    variants = {u.variant for u in utterances}
    expected = data.CORPUS_VARIANTS if which == "sentences" else data.HELD_OUT_VARIANTS
    assert variants <= set(expected) and len(variants) == len(expected)
    assert not set(data.HELD_OUT_VARIANTS) & set(data.CORPUS_VARIANTS)
    for utterance in utterances:
        assert np.abs(utterance.waveform).max() <= 1.0 and utterance.words


def test_training_corpora_never_use_a_held_out_voice_or_sentence():
    from course_lib.text import held_out_sentences

    for corpus in data.TRAINING_CORPORA.values():
        built = build_corpus(**corpus)
        assert {u.variant for u in built.utterances} <= set(data.CORPUS_VARIANTS)
        assert not {u.text for u in built.utterances} & set(held_out_sentences())


def test_the_cache_stores_int16_and_round_trips_words(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    built = build_corpus(6, seed=3)
    with np.load(next(tmp_path.glob("corpus-6-seed3-*.npz"))) as archive:
        assert archive["audio"].dtype == np.int16
    loaded = build_corpus(6, seed=3)
    assert [u.words for u in loaded.utterances] == [u.words for u in built.utterances]
    assert all(u.words for u in built.utterances)
