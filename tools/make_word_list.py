"""Write ``data/text/english_words.txt``: 20,000 common English words, most frequent first.

The words come from wordfreq 3.1.1 (``top_n_list("en", ...)``, its default "best" list).
wordfreq is not a course dependency, so install it into a scratch folder and point
PYTHONPATH at it; the same version gives the same file, byte for byte::

    python -m pip install --target /tmp/wf wordfreq==3.1.1
    PYTHONPATH=/tmp/wf:. python tools/make_word_list.py            # writes the file
    PYTHONPATH=/tmp/wf:. python tools/make_word_list.py --check    # compares, writes nothing

Filters, applied in wordfreq's frequency order until 20,000 words are kept:

* only the letters a-z, with at most one apostrophe, and that one inside the word
  ("don't", "it's"; not "'em", "rock'n'roll", "1st", "e.g", "café");
* no single letters except "a" and "i";
* at least one vowel letter (a, e, i, o, u, y): eSpeak NG spells a word without one letter by
  letter ("tv", "nyc", "dc"), which would teach letter names, not the word;
* English sounds only: no word whose eSpeak NG ``en-us`` pronunciation holds a phone that fewer
  than MIN_WORDS_PER_PHONE of the candidates use -- the foreign sounds of a few loan words and
  names (the /x/ of "bach", a nasal vowel, a trilled r), which no English corpus could repeat
  a hundred times.

The list feeds the corpus of notebook 03 and the phone inventory test; see data/text/README.md
for the licence (CC BY-SA 4.0, derived from wordfreq's data).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

WORDFREQ_VERSION = "3.1.1"
N_WORDS = 20_000
# wordfreq's list is asked for this many words, enough to keep N_WORDS after the filters.
N_CANDIDATES = 40_000
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "text" / "english_words.txt"

_LETTERS_WITH_ONE_INNER_APOSTROPHE = re.compile(r"[a-z]+(?:'[a-z]+)?")
_VOWEL_LETTERS = set("aeiouy")
_SINGLE_LETTER_WORDS = {"a", "i"}
MIN_WORDS_PER_PHONE = 20


def keep_word(word: str) -> bool:
    """True for a word the list keeps (the three filters in the module docstring)."""
    if not isinstance(word, str):
        raise TypeError(f"word: expected a str, got {type(word).__name__}")
    if not _LETTERS_WITH_ONE_INNER_APOSTROPHE.fullmatch(word):
        return False
    if len(word) == 1:
        return word in _SINGLE_LETTER_WORDS
    return bool(_VOWEL_LETTERS.intersection(word))


def english_sounds_only(words: list[str]) -> list[str]:
    """``words`` without those whose pronunciation holds a phone rarer than
    MIN_WORDS_PER_PHONE words (counted over ``words``)."""
    from collections import Counter

    from course_lib.synth import pronounce

    pronunciations = pronounce(words)
    words_per_phone = Counter(label for labels in pronunciations for label in set(labels))
    return [word for word, labels in zip(words, pronunciations)
            if all(words_per_phone[label] >= MIN_WORDS_PER_PHONE for label in labels)]


def build_word_list(n_words: int = N_WORDS) -> list[str]:
    """The ``n_words`` most frequent English words of wordfreq that pass :func:`keep_word`."""
    if not isinstance(n_words, int) or n_words < 1:
        raise ValueError(f"n_words: expected a positive int, got {n_words!r}")
    import wordfreq

    version = getattr(wordfreq, "__version__", None)
    if version is None:
        from importlib.metadata import version as package_version
        version = package_version("wordfreq")
    if version != WORDFREQ_VERSION:
        raise RuntimeError(f"wordfreq {WORDFREQ_VERSION} is needed for a byte-identical list, "
                           f"found {version}")
    kept = english_sounds_only([word for word in wordfreq.top_n_list("en", N_CANDIDATES)
                                if keep_word(word)])
    if len(kept) < n_words:
        raise RuntimeError(f"only {len(kept)} of {N_CANDIDATES} candidates pass the filters; "
                           f"raise N_CANDIDATES to reach {n_words}")
    return kept[:n_words]


def main(argv: list[str] | None = None) -> int:
    """Write the list to ``OUTPUT`` (or, with ``--check``, compare it with the file there)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    args = parser.parse_args(argv)
    text = "".join(word + "\n" for word in build_word_list())
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == text
        print(f"{OUTPUT}: {'identical' if same else 'DIFFERS'}")
        return 0 if same else 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {N_WORDS} words to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
