"""The corpus's text: a packaged English word list, generated training sentences, and
held-out sentences written apart from the generator.

The training text is built for coverage, not for sense: each sentence strings together 5 to
12 words of a 20,000-word frequency list (``data/text/english_words.txt``), about a third of
them from the :data:`N_SHARED_WORDS` most frequent ones ("the", "of", "and"), the rest from the
whole list, and now and then a word chosen because it holds the phone that the text has said
least so far. An acoustic model hears thousands of words this way, in every neighbourhood,
so it cannot learn a grammar by heart; every phone that eSpeak NG's ``en-us`` says over the
word list comes up again and again.

The held-out sentences (``data/text/held_out_sentences.txt``) are ordinary sentences written by
hand. Their words outside the shared ones -- the :func:`held_out_words` -- never enter the
training text, so at least 30% of the words a model meets there are new to it.

Explained in notebook 00, section "Rates on a corpus".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from course_lib import validate
from course_lib.synth import pronounce, written_words

TEXT_DIR = Path(__file__).resolve().parent.parent / "data" / "text"
N_SHARED_WORDS = 150        # the most frequent words: in training text and held-out text alike
MIN_WORDS, MAX_WORDS = 5, 12  # words per generated sentence
SHARED_WORD_SHARE = 0.35     # chance that a word slot takes one of the shared words
RARE_PHONE_SHARE = 0.2       # chance that a word slot takes a word with the rarest phone so far


@lru_cache(maxsize=1)
def english_words() -> tuple[str, ...]:
    """The packaged word list: about 20,000 lower-case English words, most frequent first.

    From wordfreq 3.1.1 (data CC BY-SA 4.0; see ``data/text/README.md``).
    Explained in notebook 00, section "Rates on a corpus".
    """
    return tuple((TEXT_DIR / "english_words.txt").read_text(encoding="utf-8").split())


@lru_cache(maxsize=1)
def held_out_sentences() -> tuple[str, ...]:
    """The hand-written held-out sentences, one string each, never used for training.

    Explained in notebook 03, section "Four test sets".
    """
    lines = (TEXT_DIR / "held_out_sentences.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip())


@lru_cache(maxsize=1)
def held_out_words() -> frozenset[str]:
    """Lower-case words of the held-out sentences that training text never uses: all of their
    words except the :data:`N_SHARED_WORDS` most frequent words of the list.

    Explained in notebook 03, section "Four test sets".
    """
    shared = set(english_words()[:N_SHARED_WORDS])
    return frozenset(word.lower() for sentence in held_out_sentences()
                     for word in written_words(sentence) if word.lower() not in shared)


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(shared words, other training words, pronunciation of each other word)."""
    words = [w for w in english_words() if w not in held_out_words()]
    shared = tuple(words[:N_SHARED_WORDS])
    others = tuple(words[N_SHARED_WORDS:])
    return shared, others, tuple(pronounce(list(others)))


def training_sentences(n_sentences: int, seed: int = 0) -> list[str]:
    """``n_sentences`` generated training sentences, the same for the same ``seed``.

    Words of the shared list come with probability :data:`SHARED_WORD_SHARE`; the others are
    drawn from the rest of the list with weight ``1 / sqrt(rank)`` (common words often, rare
    ones now and then), except that with probability :data:`RARE_PHONE_SHARE` a slot takes a
    word holding the phone said least so far (counted over the dictionary pronunciations).
    Sentences end in ".", "?" or "!" and may hold a comma. Held-out words never appear.

    Explained in notebook 00, section "Rates on a corpus".
    """
    n_sentences = validate.integer(n_sentences, "n_sentences", minimum=1)
    seed = validate.integer(seed, "seed", minimum=0)
    shared, others, pronunciations = _vocabulary()
    cumulative = np.cumsum(1 / np.sqrt(np.arange(1, len(others) + 1)))
    cumulative /= cumulative[-1]
    words_with = {}
    for i, labels in enumerate(pronunciations):
        for label in set(labels):
            words_with.setdefault(label, []).append(i)
    phone_counts = dict.fromkeys(sorted(words_with), 0)
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(n_sentences):
        words = []
        for _ in range(int(rng.integers(MIN_WORDS, MAX_WORDS + 1))):
            draw = rng.random()
            if draw < SHARED_WORD_SHARE:
                words.append(shared[rng.integers(len(shared))])
                continue
            if draw < SHARED_WORD_SHARE + RARE_PHONE_SHARE:
                rarest = min(phone_counts, key=phone_counts.get)
                index = words_with[rarest][rng.integers(len(words_with[rarest]))]
            else:
                index = min(int(np.searchsorted(cumulative, rng.random())), len(others) - 1)
            for label in pronunciations[index]:
                phone_counts[label] += 1
            words.append(others[index])
        sentences.append(_punctuate(words, rng))
    return sentences


def _punctuate(words: list[str], rng: np.random.Generator) -> str:
    """Capitalize, maybe put a comma after a middle word, end with '.', '?' or '!'."""
    if len(words) > 4 and rng.random() < 0.4:
        cut = int(rng.integers(2, len(words) - 1))
        words = words[:cut - 1] + [words[cut - 1] + ","] + words[cut:]
    ending = ".?!"[int(rng.choice(3, p=[0.7, 0.2, 0.1]))]
    text = " ".join(words) + ending
    return text[0].upper() + text[1:]
