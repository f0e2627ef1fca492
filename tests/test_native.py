"""Tests of course_lib.native, the native speech-to-speech toy of notebook 09.

Criteria for the shipped model, fixed before its evaluation was first run. They are scored on
the 12 questions x the two held-out voices (m7, f5, never trained on) x the 3 rate categories
(72 dialogues):

* speech-mode correctness (the recognizer + closed-set decoder hear the intended reply) at
  least 75%, against a chance of 1/6 (six replies);
* text-mode correctness at least 75%;
* the phone error rate of the spoken replies at most 15 points above the codec's own level-1
  decoding of the eSpeak reply (the ceiling of any level-1 model);
* rate survival: the replies to slow questions last at least 1.3 times as long as the replies
  to fast ones (the eSpeak replies differ by 230/120, about 1.9x).
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from course_lib import codec, native, world


# --- vocabulary ------------------------------------------------------------------------------

def test_vocabulary_holds_specials_then_words_then_256_codes():
    assert native.SPECIALS[:6] == ("<pad>", "<bos>", "<answer>", "<text>", "<speech>", "<eos>")
    assert list(native.WORDS) == sorted(native.WORDS)
    assert native.V_TEXT == len(native.SPECIALS) + len(native.WORDS)
    assert native.VOCAB_SIZE == native.V_TEXT + 256
    every_word = {w for s in world.QUESTIONS + world.REPLIES for w in world.words(s)}
    assert set(native.WORDS) == every_word


def test_words_and_codes_round_trip():
    words = list(world.words(world.REPLIES[3]))
    assert native.ids_to_words(native.word_ids(words)) == words
    codes = np.arange(256)
    ids = native.code_ids(codes)
    assert ids[0] == native.V_TEXT and ids[-1] == native.VOCAB_SIZE - 1
    assert np.array_equal(native.ids_to_codes(ids), codes)
    assert native.is_audio(ids).all() and not native.is_audio(native.word_ids(words)).any()


@pytest.mark.parametrize("call", [lambda: native.word_ids(["dragon"]),
                                  lambda: native.code_ids([256]),
                                  lambda: native.code_ids([-1]),
                                  lambda: native.ids_to_words([native.EOS]),
                                  lambda: native.ids_to_codes([native.V_TEXT - 1])])
def test_tokens_outside_the_vocabulary_raise(call):
    with pytest.raises(ValueError):
        call()


# --- layouts ---------------------------------------------------------------------------------

def test_plain_layouts():
    assert native.speech_reply([0, 5]).tolist() == [native.ANSWER, native.SPEECH, native.V_TEXT,
                                                    native.V_TEXT + 5, native.EOS]
    tokens = native.text_reply(["the", "red", "box"])
    assert tokens[:2].tolist() == [native.ANSWER, native.TEXT] and tokens[-1] == native.EOS
    words, codes = native.strip_markers(tokens)
    assert words == ["the", "red", "box"] and len(codes) == 0


@st.composite
def reply_with_timings(draw):
    words = draw(st.lists(st.sampled_from(native.WORDS), min_size=1, max_size=8))
    gaps = draw(st.lists(st.integers(0, 6), min_size=len(words), max_size=len(words)))
    starts = np.cumsum(gaps)
    n_frames = int(starts[-1]) + draw(st.integers(1, 6))
    codes = np.array(draw(st.lists(st.integers(0, 255), min_size=n_frames, max_size=n_frames)))
    modalities = draw(st.lists(st.sampled_from(native.MODALITIES), min_size=len(words),
                               max_size=len(words)))
    return words, codes, starts, modalities


@given(reply_with_timings())
def test_interleaving_without_its_markers_gives_back_the_words_and_codes(reply):
    words, codes, starts, modalities = reply
    tokens = native.interleaved_reply(words, codes, starts, modalities)
    spans = native.word_spans(starts, len(codes))
    text_words, heard_codes = native.strip_markers(tokens)
    assert text_words == [w for w, m in zip(words, modalities) if m == "text"]
    expected = [codes[a:b] for (a, b), m in zip(spans, modalities) if m == "speech"]
    assert np.array_equal(heard_codes, np.concatenate(expected) if expected else [])
    # a marker wherever the modality changes, and nowhere else
    n_changes = 1 + sum(a != b for a, b in zip(modalities, modalities[1:]))
    assert np.isin(tokens, (native.TEXT, native.SPEECH)).sum() == n_changes
    assert tokens[0] == native.ANSWER and tokens[-1] == native.EOS


@given(reply_with_timings())
def test_all_speech_interleaving_is_the_speech_layout(reply):
    words, codes, starts, _ = reply
    assert np.array_equal(native.interleaved_reply(words, codes, starts, ["speech"] * len(words)),
                          native.speech_reply(codes))


@given(st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_drawn_modalities_switch_only_at_word_boundaries(n_words, seed):
    modalities = native.draw_modalities(n_words, np.random.default_rng(seed))
    assert len(modalities) == n_words and set(modalities) <= set(native.MODALITIES)
    if n_words > 1:
        assert len(set(modalities)) == 2  # at least one switch


@given(st.lists(st.sampled_from(native.WORDS), min_size=1, max_size=10),
       st.lists(st.integers(1, 8), min_size=10, max_size=10), st.integers(1, 5))
def test_inner_monologue_has_every_word_at_its_start_frame(words, gaps, tail):
    starts = np.cumsum(gaps[:len(words)]) - 1  # strictly increasing, from frame >= 0
    n_frames = int(starts[-1]) + tail
    stream = native.inner_monologue(list(zip(words, starts)), n_frames)
    assert stream.shape == (n_frames,)
    assert native.ids_to_words(stream[starts]) == words
    others = np.delete(stream, starts)
    assert np.isin(others, (native.PAD, native.EPAD)).all()
    # <epad> exactly on the padding frames just before a word
    expected_epad = {s - 1 for s in starts if s > 0 and s - 1 not in set(starts)}
    assert set(np.flatnonzero(stream == native.EPAD)) == expected_epad


def test_word_frames_follow_the_frame_holding_each_start():
    starts = native.word_frame_starts([(0.0, 0.1), (0.019, 0.2), (0.02, 0.3), (0.5, 0.9)], 30)
    assert starts.tolist() == [0, 0, 1, 25]
    assert native.word_spans(starts, 30) == [(0, 0), (0, 1), (1, 25), (25, 30)]


# --- the model -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    return native.NativeModel().eval()


def test_model_is_causal(untrained):
    tokens = torch.randint(0, native.VOCAB_SIZE, (2, 40))
    changed = tokens.clone()
    changed[:, 25] = (changed[:, 25] + 1) % native.VOCAB_SIZE
    with torch.no_grad():
        a, b = untrained(tokens), untrained(changed)
    assert torch.allclose(a[:, :25], b[:, :25], atol=1e-6)
    assert not torch.allclose(a[:, 25:], b[:, 25:], atol=1e-4)


def test_cached_decoding_matches_the_full_forward(untrained):
    tokens = torch.randint(0, native.VOCAB_SIZE, (1, 30))
    caches = [{} for _ in untrained.blocks]
    with torch.no_grad():
        full = untrained(tokens)
        first = untrained(tokens[:, :20], caches)
        rest = [untrained(tokens[:, i:i + 1], caches) for i in range(20, 30)]
    assert torch.allclose(torch.cat([first, *rest], dim=1), full, atol=1e-5)


def test_training_sequence_scores_the_reply_after_its_marker():
    dialogue = dict(question_codes=np.array([3, 4, 5]), reply_codes=np.array([7, 8]),
                    reply_words=["the", "red"], word_starts=np.array([0, 1]))
    sequence, first = native.training_sequence(dialogue, "speech", np.random.default_rng(0))
    assert sequence.tolist() == [native.BOS, *native.code_ids([3, 4, 5]), native.ANSWER,
                                 native.SPEECH, *native.code_ids([7, 8]), native.EOS]
    assert sequence[first - 1] == native.SPEECH


@pytest.fixture(scope="module")
def codec_model():
    return codec.load_codec()


@pytest.mark.parametrize("waveform", [np.zeros(0), np.zeros(16_000),
                                      np.full(16_000, np.nan), np.ones((2, 100))])
def test_bad_audio_raises(untrained, codec_model, waveform):
    with pytest.raises(ValueError):
        native.answer(untrained, waveform, codec_model=codec_model)


def test_unknown_mode_raises(untrained, codec_model):
    with pytest.raises(ValueError):
        native.answer(untrained, np.ones(1600) * 0.1, mode="song", codec_model=codec_model)


def test_answers_obey_the_mode_and_the_caps(untrained, codec_model):
    question = world.speak_question(world.QUESTIONS[0], variant="m1").waveform
    spoken = native.answer(untrained, question, "speech", codec_model=codec_model)
    assert spoken["tokens"][-1] == native.EOS and len(spoken["codes"]) <= native.MAX_REPLY_FRAMES
    assert native.is_audio(spoken["tokens"][:-1]).all()
    assert spoken["waveform"].shape == (len(spoken["codes"]) * codec.SAMPLES_PER_FRAME,)
    written = native.answer(untrained, question, "text", codec_model=codec_model)
    assert len(written["words"]) <= native.MAX_REPLY_WORDS
    assert set(written["words"]) <= set(native.WORDS)


# --- the shipped model -----------------------------------------------------------------------

def test_shipped_file_is_small():
    assert native.WEIGHTS_PATH.stat().st_size < 0.9e6


@pytest.fixture(scope="module")
def shipped():
    return native.load_native()


def test_answer_tokens_stream_the_same_greedy_answer(shipped, codec_model):
    question = world.speak_question(world.QUESTIONS[7], variant="f5").waveform
    streamed = list(native.answer_tokens(shipped, question, "speech", codec_model=codec_model))
    again = native.answer(shipped, question, "speech", codec_model=codec_model)
    assert streamed == again["tokens"].tolist()


@pytest.fixture(scope="module")
def held_out_scores(shipped, codec_model):
    return native.evaluate(shipped, "held-out voices", codec_model=codec_model)


def test_speech_replies_to_unheard_voices_are_right(held_out_scores):
    assert held_out_scores["n"] == 72
    assert held_out_scores["speech_right"] >= 0.75


def test_text_replies_to_unheard_voices_are_right(held_out_scores):
    assert held_out_scores["text_right"] >= 0.75


def test_spoken_replies_are_near_the_level_1_ceiling(held_out_scores):
    assert held_out_scores["speech_per"] <= held_out_scores["ceiling_per"] + 0.15


def test_the_prompt_rate_survives_into_the_reply(held_out_scores):
    duration = held_out_scores["duration"]
    assert duration["slow"] >= 1.3 * duration["fast"]
