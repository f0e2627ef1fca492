"""A small question-answer world: the facts that define a right spoken reply (notebook 09).

Six objects, each in one place. Every object can be asked about in two ways, so the world has
twelve questions and six replies::

    "Where is the red box?"          -> "The red box is behind the house."
    "What is behind the house?"      -> "The red box is behind the house."

A reply is right when its words are the intended reply's words. The pipelines of notebook 09
(`course_lib.pipelines`) answer spoken questions from this world with speech; this module holds
what every one of them is scored against:

* :func:`reply_for`: the intended reply to a written question (text outside the world is a
  ``ValueError``), and :func:`speak_question`: a question spoken by eSpeak NG;
* :func:`pronunciation`: eSpeak NG's phones of a world sentence in the reply voice;
* :func:`nearest_sentence`: the closed-set decoder that turns heard phones into the world
  sentence nearest to them (phone edit distance);
* :func:`score_reply`: the recognizer's phones of a spoken reply, their phone error rate
  against the intended reply, and whether the reply heard is the right one.

Explained in notebook 09, section "A small world of facts".
"""

from __future__ import annotations

import functools

import numpy as np

from . import metrics, synth, validate

OBJECTS = ("red box", "blue cup", "green ball", "black hat", "white key", "yellow book")
PLACES = ("behind the house", "under the table", "on the chair", "in the car", "near the door",
          "beside the bed")
FACTS = dict(zip(OBJECTS, PLACES))  # object -> place

QUESTIONS = (tuple(f"Where is the {thing}?" for thing in OBJECTS)
             + tuple(f"What is {place}?" for place in PLACES))
REPLIES = tuple(f"The {thing} is {place}." for thing, place in FACTS.items())

# the reply voice of every pipeline that speaks through eSpeak: one voice, one rate
REPLY_VOICE = dict(voice="en-us", variant=None, words_per_minute=synth.DEFAULT_WORDS_PER_MINUTE,
                   pitch=50)
# A heard sentence more than this share of phone edits away from every world sentence is not
# taken for any of them: the decoder answers None (an unrecognizable reply is a wrong reply).
MAX_EDIT_SHARE = 0.5


def words(text: str) -> tuple[str, ...]:
    """The lower-case written words of ``text`` (punctuation and case dropped), the unit in
    which replies are compared. Explained in notebook 09, section "A small world of facts"."""
    return tuple(word.lower() for word in synth.written_words(validate.text(text, "text")))


_QUESTION_REPLY = {words(question): REPLIES[i % len(OBJECTS)]
                   for i, question in enumerate(QUESTIONS)}


def reply_for(question: str) -> str:
    """The intended reply to a written ``question`` of the world (case and punctuation do not
    matter). Raises ValueError, naming the world's questions, for any other text.
    Explained in notebook 09, section "A small world of facts"."""
    key = words(question)
    if key not in _QUESTION_REPLY:
        raise ValueError(f"question must be one of the world's questions, such as "
                         f"{QUESTIONS[0]!r} or {QUESTIONS[-1]!r}; got {question!r}")
    return _QUESTION_REPLY[key]


def is_right(reply: str | None, question: str) -> bool:
    """Whether the words of ``reply`` are the intended reply's words (None, no reply, is
    wrong). Explained in notebook 09, section "A small world of facts"."""
    return reply is not None and words(reply) == words(reply_for(question))


def speak_question(question: str, *, variant: str | None = None,
                   words_per_minute: int = synth.DEFAULT_WORDS_PER_MINUTE, pitch: int = 50):
    """A world question spoken by eSpeak NG in the given voice variant, rate and pitch: an
    :class:`course_lib.synth.Utterance` whose waveform (16 kHz) is what a pipeline hears.
    Raises ValueError for text outside the world.
    Explained in notebook 09, section "A small world of facts"."""
    reply_for(question)  # refuses text outside the world
    return synth.synthesize(question, variant=variant, words_per_minute=int(words_per_minute),
                            pitch=int(pitch))


@functools.lru_cache(maxsize=64)
def pronunciation(sentence: str) -> tuple[str, ...]:
    """eSpeak NG's phone labels of ``sentence`` spoken in :data:`REPLY_VOICE`, pauses as
    ``"sil"`` (the recognizer's labels). Explained in notebook 09, section "The cascade"."""
    return tuple(synth.synthesize(validate.text(sentence, "sentence"), **REPLY_VOICE).phone_labels)


def _spoken(labels) -> list[str]:
    return [label for label in labels if label != "sil"]


def nearest_sentence(heard_phones, sentences) -> tuple[str | None, float]:
    """The closed-set decoder: the sentence of ``sentences`` whose pronunciation is fewest
    phone edits from ``heard_phones`` (pauses ignored), and that distance as a share of the
    sentence's phones. Answers ``(None, share)`` when even the nearest is more than
    :data:`MAX_EDIT_SHARE` away. A stand-in for a word decoder with a grammar: it can only
    ever write a sentence of the world. Ties go to the earlier sentence.
    Explained in notebook 09, section "The cascade".
    """
    heard = _spoken(validate.labels(heard_phones, "heard_phones"))
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must hold at least one sentence, got none")
    references = [_spoken(pronunciation(sentence)) for sentence in sentences]
    shares = [metrics.edit_distance(reference, heard) / len(reference)
              for reference in references]
    best = int(np.argmin(shares))
    return (sentences[best] if shares[best] <= MAX_EDIT_SHARE else None), float(shares[best])


def score_reply(waveform, question: str, recognizer) -> dict:
    """Score one spoken reply to ``question``: the recognizer's greedy phones of ``waveform``
    (16 kHz), their phone error rate against the intended reply's eSpeak phones (pauses
    included, as every PER of the course), the world reply nearest to them and whether it is
    the intended one. Returns a dict: ``heard_phones``, ``per``, ``heard_reply``, ``right``.
    Explained in notebook 09, section "Scoring a spoken reply".
    """
    intended = reply_for(question)
    waveform = validate.waveform(waveform, "waveform")
    heard = recognizer.transcribe(waveform)
    heard_reply, _ = nearest_sentence(heard, REPLIES)
    return dict(heard_phones=heard, per=metrics.phone_error_rate([list(pronunciation(intended))],
                                                                 [heard]),
                heard_reply=heard_reply, right=is_right(heard_reply, question))
