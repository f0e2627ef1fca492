"""Fuzzing course_lib.data: corpus settings and audio files, valid and invalid."""

import numpy as np
import pytest
import soundfile
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import data
from tests.fuzz.common import assert_refused, bad_integers, bad_reals


@given(st.integers(2, 3), st.integers(0, 2**32 - 1).map(np.uint32),
       st.floats(0.01, 0.99), st.sampled_from([8_000, np.int64(16_000)]))
def test_small_corpora_are_split_and_deterministic(n_utterances, seed, test_fraction,
                                                   sample_rate):
    corpus = data.build_corpus(n_utterances, seed=seed, test_fraction=test_fraction,
                               sample_rate=sample_rate, cache=False)
    assert len(corpus) == n_utterances and set(corpus.split) == {"train", "test"}
    assert len(corpus.train) + len(corpus.test) == n_utterances
    for utterance in corpus.utterances:
        assert utterance.sample_rate == sample_rate
        assert np.isfinite(utterance.waveform).all() and utterance.variant in data.CORPUS_VARIANTS


@given(st.data())
def test_bad_corpus_settings_are_refused_by_name(data_draw):
    name, bad = data_draw.draw(st.sampled_from([
        ("n_utterances", bad_integers(minimum=2)), ("seed", bad_integers(minimum=0)),
        ("test_fraction", bad_reals(above=0)), ("test_fraction", st.floats(1.0, 1e9)),
        ("sample_rate", bad_integers(minimum=1_000)),
        ("cache", st.sampled_from([None, "no", 0, 1.0])),
    ]))
    assert_refused(lambda: data.build_corpus(**{"n_utterances": 2, "cache": False,
                                                name: data_draw.draw(bad)}), name)


@given(arrays(np.float32, st.tuples(st.integers(1, 4_000), st.integers(1, 3)),
              elements=st.floats(-1, 1, width=32)),
       st.sampled_from([8_000, 16_000, 44_100]), st.sampled_from([8_000, 16_000, 22_050]))
def test_audio_files_are_read_as_finite_mono(tmp_path_factory, samples, file_rate, sample_rate):
    path = tmp_path_factory.mktemp("audio") / "clip.wav"
    soundfile.write(path, samples, file_rate, subtype="FLOAT")
    if float(np.abs(samples.mean(axis=1)).max()) < 1e-4:  # the library's own rule
        assert_refused(lambda: data.load_audio(path, sample_rate), "silent")
        return
    waveform = data.load_audio(path, sample_rate)
    assert waveform.ndim == 1 and waveform.dtype == np.float32
    assert np.isfinite(waveform).all()
    assert abs(len(waveform) - len(samples) * sample_rate / file_rate) <= 1


@given(st.one_of(bad_integers(minimum=1_000), st.just(10**9)))
def test_bad_audio_sample_rates_are_refused_by_name(tmp_path_factory, sample_rate):
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    soundfile.write(path, np.sin(np.arange(800) / 3.0).astype(np.float32), 16_000)
    assert_refused(lambda: data.load_audio(path, sample_rate), "sample_rate")


@given(st.sampled_from([None, 3, 2.5, ["a.wav"], b"\x00"]))
def test_bad_paths_are_refused_by_name(path):
    assert_refused(lambda: data.load_audio(path), "path")


@pytest.mark.parametrize("name", ["missing.wav", "notes.wav"])
def test_unreadable_files_are_refused_with_their_name(tmp_path, name):
    if name == "notes.wav":
        (tmp_path / name).write_text("not audio")
    assert_refused(lambda: data.load_audio(tmp_path / name), name)


@given(st.lists(st.tuples(st.integers(0, 10**7), st.sampled_from(["sil", "k", "aa", "pau"])),
                min_size=1, max_size=12))
def test_hts_labels_round_trip_through_a_file(rows):
    import tempfile
    from pathlib import Path

    steps = np.cumsum([0] + [length for length, _ in rows])
    text = "".join(f"{a} {b} x^y-{name}+z=w@1_1/A:0\n"
                   for a, b, (_, name) in zip(steps[:-1], steps[1:], rows))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "round.lab"
        path.write_text(text)
        segments = data.read_hts_labels(path)
    assert [name for _, _, name in segments] == [name for _, name in rows]
    assert [start for start, _, _ in segments] == [a / 1e7 for a in steps[:-1]]
    assert segments[-1][1] == steps[-1] / 1e7


@given(st.sampled_from([None, 3, b"x.lab", ["a.lab"]]))
def test_bad_label_paths_are_refused_naming_them(value):
    assert_refused(lambda: data.read_hts_labels(value), "path")
