"""course_lib.world: the question-answer world of notebook 09, its closed-set decoder (checked
against a brute-force search over the sentences) and the scoring of a spoken reply."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import metrics, recognizer, synth, world


def test_every_question_has_the_reply_that_names_its_fact():
    assert len(world.QUESTIONS) == 2 * len(world.FACTS) and len(set(world.QUESTIONS)) == 12
    for thing, place in world.FACTS.items():
        by_thing = world.reply_for(f"Where is the {thing}?")
        by_place = world.reply_for(f"what is {place}")          # case and "?" do not matter
        assert by_thing == by_place == f"The {thing} is {place}."


@pytest.mark.parametrize("text", ["What is the capital of France?", "where is the red cup",
                                  "Where is the red box behind?"])
def test_text_outside_the_world_is_refused(text):
    with pytest.raises(ValueError, match="question must be one of the world's questions"):
        world.reply_for(text)


def test_a_reply_is_right_only_when_its_words_are_the_intended_ones():
    assert world.is_right("the RED box is behind the house", "Where is the red box?")
    assert not world.is_right("The red box is under the table.", "Where is the red box?")
    assert not world.is_right("The red box is behind the house", "Where is the blue cup?")
    assert not world.is_right(None, "Where is the red box?")


def test_each_sentence_decodes_to_itself_from_its_own_phones():
    for sentence in world.QUESTIONS + world.REPLIES:
        assert world.nearest_sentence(world.pronunciation(sentence), world.QUESTIONS
                                      + world.REPLIES) == (sentence, 0.0)


_SPOKEN_PHONES = sorted({p for s in world.QUESTIONS for p in world.pronunciation(s)} - {"sil"})


@settings(max_examples=30)
@given(st.lists(st.sampled_from(_SPOKEN_PHONES + ["sil"]), max_size=25))
def test_the_decoder_picks_what_a_brute_force_search_picks(heard):
    shares = []
    for sentence in world.QUESTIONS:                       # every sentence, scored one by one
        spoken = [p for p in world.pronunciation(sentence) if p != "sil"]
        shares.append(metrics.edit_distance(spoken, [p for p in heard if p != "sil"])
                      / len(spoken))
    best = min(range(len(shares)), key=lambda i: (shares[i], i))
    chosen, share = world.nearest_sentence(heard, world.QUESTIONS)
    assert share == pytest.approx(shares[best])
    assert chosen == (world.QUESTIONS[best] if shares[best] <= world.MAX_EDIT_SHARE else None)


def test_the_decoder_refuses_bad_input():
    with pytest.raises(ValueError, match="sentences"):
        world.nearest_sentence(["k"], [])
    with pytest.raises((TypeError, ValueError), match="heard_phones"):
        world.nearest_sentence("k æ t", world.QUESTIONS)


@pytest.fixture(scope="module")
def phone_recognizer():
    return recognizer.load_recognizer()


def test_a_spoken_reply_is_scored_by_what_the_recognizer_hears(phone_recognizer):
    question = world.QUESTIONS[3]
    right_reply = synth.synthesize(world.reply_for(question), variant="f5").waveform
    scored = world.score_reply(right_reply, question, phone_recognizer)
    assert scored["right"] and scored["heard_reply"] == world.reply_for(question)
    assert scored["per"] < 0.15
    wrong_reply = synth.synthesize(world.REPLIES[0], variant="f5").waveform
    scored = world.score_reply(wrong_reply, question, phone_recognizer)
    assert not scored["right"] and scored["per"] > 0.3
    with pytest.raises(ValueError, match="waveform"):
        world.score_reply(np.zeros(0, dtype=np.float32), question, phone_recognizer)
