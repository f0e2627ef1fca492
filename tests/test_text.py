"""course_lib.text: the word list, the generated training text and the held-out sentences."""

import pytest

from course_lib import text
from course_lib.data import TRAINING_CORPORA
from course_lib.synth import written_words


def test_the_word_list_is_packaged_lower_case_and_without_repeats():
    words = text.english_words()
    assert len(words) == 20_000 == len(set(words))
    assert all(word == word.lower() and word.replace("'", "").isalpha() for word in words)
    assert words[:3] == ("the", "to", "and") or set(words[:3]) <= {"the", "to", "and", "of", "a"}


def test_generated_sentences_are_deterministic_and_varied():
    first = text.training_sentences(200, seed=4)
    assert first == text.training_sentences(200, seed=4)
    assert first != text.training_sentences(200, seed=5)
    lengths = [len(written_words(s)) for s in first]
    assert min(lengths) >= text.MIN_WORDS and max(lengths) <= text.MAX_WORDS
    vocabulary = {w.lower() for s in first for w in written_words(s)}
    assert len(vocabulary) > 800  # a far wider text than a grammar of a few dozen words
    assert all(s[0].isupper() and s[-1] in ".?!" for s in first)


def test_held_out_sentences_are_ordinary_and_enough():
    sentences = text.held_out_sentences()
    assert len(sentences) >= 60 and len(set(sentences)) == len(sentences)
    assert all(6 <= len(written_words(s)) <= 14 for s in sentences)


@pytest.mark.parametrize("name", sorted(TRAINING_CORPORA))
def test_no_held_out_sentence_or_word_leaks_into_training_text(name):
    corpus = TRAINING_CORPORA[name]
    sentences = text.training_sentences(corpus["n_utterances"], corpus["seed"])
    seen = {w.lower() for s in sentences for w in written_words(s)}
    assert not seen & text.held_out_words()
    assert not set(sentences) & set(text.held_out_sentences())
    held_out_tokens = [w.lower() for s in text.held_out_sentences() for w in written_words(s)]
    unseen = sum(w not in seen for w in held_out_tokens) / len(held_out_tokens)
    assert unseen >= 0.30, f"only {unseen:.0%} of the held-out words are new to {name}"


def test_the_test_split_of_the_course_corpus_never_appears_in_training_text():
    from course_lib.data import build_corpus

    test_sentences = {u.text for u in build_corpus().test}
    for corpus in TRAINING_CORPORA.values():
        assert not test_sentences & set(text.training_sentences(corpus["n_utterances"],
                                                                corpus["seed"]))


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="n_sentences"):
        text.training_sentences(0)
    with pytest.raises(TypeError, match="seed"):
        text.training_sentences(3, seed="1")
