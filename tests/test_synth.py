import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.synth import (
    MAX_WORDS_PER_MINUTE,
    MIN_WORDS_PER_MINUTE,
    SILENCE,
    available_variants,
    available_voices,
    phone_class,
    pronounce,
    synthesize,
    written_words,
)

SENTENCE = "The cat sat on the mat."
REPOSITORY = Path(__file__).resolve().parent.parent


def assert_valid_alignment(utterance):
    phones = utterance.phones
    assert phones, "no phones"
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(utterance.duration, abs=1e-12)
    for previous, phone in zip(phones, phones[1:]):
        assert previous.end == phone.start, "phones must be contiguous"
    assert all(p.end > p.start for p in phones), "phones must have positive length"
    assert not any(a.label == b.label == SILENCE for a, b in zip(phones, phones[1:])), \
        "neighbouring pauses should be merged"


def test_cat_sentence_alignment_is_contiguous_and_readable():
    utterance = synthesize(SENTENCE)
    assert_valid_alignment(utterance)
    assert utterance.sample_rate == 16_000
    assert utterance.waveform.dtype == np.float32
    assert 0.01 < np.abs(utterance.waveform).max() <= 1.0
    speech = [p.label for p in utterance.phones if p.label != SILENCE]
    assert speech == ["ð", "ə", "k", "æ", "t", "s", "æ", "t", "ɔ", "n", "ð", "ə", "m", "æ", "t"]
    # stress marks are separated from the phone symbol: the stressed vowel of cat, sat, mat
    assert [p.stress for p in utterance.phones if p.label == "æ"] == [1, 1, 1]
    assert not any("ˈ" in p.label or "ˌ" in p.label for p in utterance.phones)


def test_slower_rate_gives_longer_phones():
    slow = synthesize(SENTENCE, words_per_minute=100)
    fast = synthesize(SENTENCE, words_per_minute=300)
    speech = lambda u: [p for p in u.phones if p.label != SILENCE]  # noqa: E731
    assert [p.label for p in speech(slow)] == [p.label for p in speech(fast)]
    slow_durations = np.array([p.end - p.start for p in speech(slow)])
    fast_durations = np.array([p.end - p.start for p in speech(fast)])
    assert slow.duration > 1.8 * fast.duration
    assert np.mean(slow_durations > fast_durations) > 0.9
    assert slow_durations.sum() > 1.8 * fast_durations.sum()


def test_same_arguments_give_identical_audio_even_after_other_calls():
    # f3 is a breathy variant: its noise generator is seeded from the clock unless we seed it
    first = synthesize(SENTENCE, variant="f3", pitch=60)
    synthesize("Something else entirely, spoken quickly.", words_per_minute=400, variant="m2")
    time.sleep(1.1)  # let the clock tick past a second
    again = synthesize(SENTENCE, variant="f3", pitch=60)
    assert np.array_equal(first.waveform, again.waveform)
    assert first.phones == again.phones


def test_voice_variant_and_pitch_change_the_sound_not_the_phones():
    base = synthesize(SENTENCE)
    other = synthesize(SENTENCE, variant="f2", pitch=80)
    assert [p.label for p in base.phones] == [p.label for p in other.phones]
    assert not np.array_equal(base.waveform[:1000], other.waveform[:1000])


def test_sample_rate_is_respected():
    at_16k = synthesize(SENTENCE)
    at_8k = synthesize(SENTENCE, sample_rate=8_000)
    assert at_8k.sample_rate == 8_000
    assert at_8k.duration == pytest.approx(at_16k.duration, abs=2 / 8_000)
    assert at_8k.phones[3].start == at_16k.phones[3].start


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(text=""), "text must be a non-empty string"),
        (dict(text="   "), "text must be a non-empty string"),
        (dict(text=SENTENCE, voice="xx-nowhere"), "voice must be one of available_voices"),
        (dict(text=SENTENCE, variant="no-such-variant"), "variant must be one of"),
        (dict(text=SENTENCE, words_per_minute=MIN_WORDS_PER_MINUTE - 1), "words_per_minute"),
        (dict(text=SENTENCE, words_per_minute=MAX_WORDS_PER_MINUTE + 1), "words_per_minute"),
        (dict(text=SENTENCE, pitch=101), "pitch"),
        (dict(text=SENTENCE, sample_rate=0), "sample_rate"),
    ],
)
def test_bad_input_raises_clear_value_error(kwargs, message):
    text = kwargs.pop("text")
    with pytest.raises(ValueError, match=message):
        synthesize(text, **kwargs)


# --- issue 9: voices and variants checked against eSpeak's own lists, numbers of any kind ---

def _synthesize_in_a_subprocess(voice: str) -> subprocess.CompletedProcess:
    """Run synthesize() in a child process, so that a crash inside eSpeak fails the test
    instead of killing pytest. The child prints the ValueError/TypeError it got, if any."""
    program = (
        "from course_lib.synth import synthesize\n"
        "try:\n"
        f"    synthesize('Hello.', voice={voice!r})\n"
        "    print('accepted')\n"
        "except (ValueError, TypeError) as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=120, cwd=REPOSITORY, env=environment)


@pytest.mark.parametrize("voice", [
    "en-us+" + "x" * 37,                # eSpeak copies the variant into a 40-byte buffer
    "en-us+nonexistent",
    "en-us+../../../../etc/passwd",
    "../../../../etc/passwd",
    "x" * 300,
])
def test_bad_voices_are_refused_before_they_reach_espeak(voice):
    finished = _synthesize_in_a_subprocess(voice)
    assert finished.returncode == 0, f"the process died: {finished.stderr[-500:]}"
    assert finished.stdout.startswith("ValueError voice must be"), finished.stdout


def test_a_variant_written_into_the_voice_is_the_same_as_variant():
    written_in = synthesize("Hello.", voice="en-us+f3")
    passed = synthesize("Hello.", variant="f3")
    np.testing.assert_array_equal(written_in.waveform, passed.waveform)
    assert (written_in.voice, written_in.variant) == ("en-us", "f3")
    with pytest.raises(ValueError, match="variant"):
        synthesize("Hello.", voice="en-us+f3", variant="m1")


def test_voices_come_from_espeaks_list():
    voices = available_voices()
    assert {"en-us", "en"} <= set(voices)
    assert synthesize("Hi.", voice="EN-US").waveform.size > 0  # eSpeak ignores case


@pytest.mark.parametrize("kwargs", [
    dict(words_per_minute=np.int64(175)), dict(pitch=np.int32(50)),
    dict(sample_rate=np.int64(16_000)), dict(words_per_minute=175.0),
])
def test_numpy_integers_are_accepted_like_ints(kwargs):
    assert_valid_alignment(synthesize("Hello.", **kwargs))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(words_per_minute="175"), TypeError, "words_per_minute"),
    (dict(words_per_minute=None), TypeError, "words_per_minute"),
    (dict(words_per_minute=float("nan")), ValueError, "words_per_minute"),
    (dict(pitch=None), TypeError, "pitch"),
    (dict(sample_rate="16000"), TypeError, "sample_rate"),
    (dict(sample_rate=16_000.5), TypeError, "sample_rate"),
    (dict(voice=None), TypeError, "voice"),
    (dict(variant=3), TypeError, "variant"),
])
def test_numbers_and_names_of_the_wrong_kind_are_refused_by_name(kwargs, error, name):
    with pytest.raises(error, match=f"{name} must be"):
        synthesize("Hello.", **kwargs)


def test_variants_and_phone_classes():
    assert {"f1", "f5", "m1", "m7"} <= set(available_variants())
    assert phone_class("æ") == phone_class("aɪ") == phone_class("ɜː") == "vowel"
    assert phone_class("k") == phone_class("tʃ") == "consonant"
    assert phone_class(SILENCE) == "silence"


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)


@given(
    sentence=st.lists(words, min_size=1, max_size=6).map(" ".join),
    words_per_minute=st.integers(MIN_WORDS_PER_MINUTE, MAX_WORDS_PER_MINUTE),
    pitch=st.integers(0, 100),
)
def test_any_text_gives_a_valid_alignment(sentence, words_per_minute, pitch):
    utterance = synthesize(sentence, words_per_minute=words_per_minute, pitch=pitch)
    assert_valid_alignment(utterance)
    assert any(p.label != SILENCE for p in utterance.phones)
    assert_valid_word_timings(utterance)


def assert_valid_word_timings(utterance):
    """Words in order, one per written word, each spanning whole phones, from a spoken phone
    to a spoken phone."""
    words = utterance.words
    assert [w.text for w in words] == written_words(utterance.text)
    starts = {p.start for p in utterance.phones}
    ends = {p.end for p in utterance.phones}
    for previous, word in zip(words, words[1:]):
        assert previous.end <= word.start
    for word in words:
        assert 0 <= word.start < word.end <= utterance.duration
        assert word.start in starts and word.end in ends  # boundaries fall on phone boundaries
        inside = [p for p in utterance.phones if word.start <= p.start and p.end <= word.end]
        # a spelled-out word ("br": "bee are") may hold a pause inside, never at its ends
        assert inside and inside[0].label != SILENCE and inside[-1].label != SILENCE


def phones_of(utterance, word_text):
    word = next(w for w in utterance.words if w.text == word_text)
    return [p.label for p in utterance.phones if word.start <= p.start and p.end <= word.end]


@pytest.mark.parametrize("sentence", [
    "Turn on the light, and don't think about it!",
    "We went to the shop at eight, and I'd have gone out of it.",
    "Is it? Yes. Well... maybe; who knows.",
    "It is 42 degrees in well-known places.",
])
def test_word_timings_are_derived_for_clitics_and_punctuation(sentence):
    assert_valid_word_timings(synthesize(sentence))


def test_clitics_that_espeak_reads_with_their_neighbour_get_their_own_phones():
    # eSpeak tags the phones of "the" with the word "on", and those of "of" with "out"
    utterance = synthesize("Turn on the light, then go out of it.")
    assert phones_of(utterance, "on") == ["ɔ", "n"]
    assert phones_of(utterance, "the") == ["ð", "ə"]
    assert phones_of(utterance, "out")[0] == "aʊ" and phones_of(utterance, "of")[-1] == "v"
    # a pause (the comma) belongs to no word: "light" ends before "then" starts
    light, then = (next(w for w in utterance.words if w.text == t) for t in ("light", "then"))
    assert then.start - light.end > 0.05


def test_a_number_keeps_all_the_words_espeak_says_for_it():
    utterance = synthesize("It is 42 degrees.")
    assert [w.text for w in utterance.words] == ["It", "is", "42", "degrees"]
    assert len(phones_of(utterance, "42")) >= 6  # "forty two"


def test_pronounce_gives_the_dictionary_form_of_each_word():
    assert pronounce(["boy", "depth", "juice"]) == [("b", "ɔɪ"), ("d", "ɛ", "p", "θ"),
                                                    ("dʒ", "uː", "s")]
    assert pronounce([]) == []
    with pytest.raises(TypeError, match="words"):
        pronounce("boy")
    with pytest.raises(ValueError, match="voice"):
        pronounce(["boy"], voice="no-such-voice")


def test_written_words_follow_espeaks_reading():
    assert written_words("Don't stop, well-known I'd 42!") == ["Don't", "stop", "well", "known",
                                                               "I'd", "42"]
    assert written_words("...") == []


@pytest.mark.parametrize("variant", available_variants())
def test_every_variant_stays_within_full_scale(variant):
    # loud, high-pitched, fast speech: the settings that pushed 9 variants past 1.0 before
    utterance = synthesize("Hey! Stop that, right now!", variant=variant, pitch=100,
                           words_per_minute=300)
    assert np.abs(utterance.waveform).max() <= 1.0
    assert utterance.waveform.dtype == np.float32
