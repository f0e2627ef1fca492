"""course_lib.phones: the one phone inventory, its indices and classes."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from course_lib import phones
from course_lib.data import build_corpus
from course_lib.synth import Phone, pronounce
from course_lib.text import english_words


def test_the_inventory_is_what_espeak_says_over_the_word_list():
    """Derived from eSpeak NG and the packaged word list, never from a corpus."""
    said = {label for labels in pronounce(list(english_words())) for label in labels}
    assert said | {phones.SILENCE} == set(phones.PHONES)
    assert phones.PHONES[0] == phones.SILENCE and list(phones.PHONES[1:]) == sorted(said)
    for rare in ("θ", "ð", "dʒ", "ɔɪ", "ʒ", "ʊ", "tʃ", "ŋ"):  # "depth", "juice", "boy", ...
        assert rare in phones.PHONES


def test_labels_put_the_blank_first_and_every_corpus_phone_is_known():
    assert phones.LABELS[0] == phones.BLANK_SYMBOL and phones.LABELS[1:] == phones.PHONES
    assert len(set(phones.LABELS)) == len(phones.LABELS) == len(phones.PHONES) + 1
    corpus = build_corpus()
    assert {p.label for u in corpus.utterances for p in u.phones} == set(phones.PHONES)
    assert phones.inventory(corpus.utterances) == tuple(sorted(phones.PHONES))


def test_label_round_trip_and_errors():
    assert phones.indices_to_phones(phones.phones_to_indices(list(phones.PHONES))) == \
        list(phones.PHONES)
    assert phones.phones_to_indices(np.array(["sil", "k"])) == [1, phones.LABELS.index("k")]
    assert phones.indices_to_phones(np.array([0, 1])) == ["-", "sil"]
    with pytest.raises(ValueError, match="unknown phones"):
        phones.phones_to_indices(["k", "q"])
    with pytest.raises(ValueError, match="unknown phones"):
        phones.phones_to_indices(["-"])
    with pytest.raises(TypeError, match="phones"):
        phones.phones_to_indices("sil")
    with pytest.raises(ValueError, match="indices"):
        phones.indices_to_phones([len(phones.LABELS)])
    with pytest.raises(TypeError, match="indices"):
        phones.indices_to_phones([1.5])


def test_phone_classes():
    assert phones.phone_class("æ") == phones.phone_class("aɪ") == phones.phone_class("ɜː") == \
        "vowel"
    assert phones.phone_class("k") == phones.phone_class("tʃ") == "consonant"
    assert phones.phone_class(phones.SILENCE) == "silence"
    assert {phones.phone_class(p) for p in phones.PHONES} == {"vowel", "consonant", "silence"}
    with pytest.raises(TypeError, match="label"):
        phones.phone_class(None)


def test_phones_at_labels_each_time_with_the_phone_that_contains_it():
    alignment = (Phone("sil", 0.0, 0.1), Phone("k", 0.1, 0.15), Phone("æ", 0.15, 0.3))
    assert phones.phones_at(alignment, [0.0, 0.099, 0.1, 0.149, 0.2, 0.5]) == \
        ["sil", "sil", "k", "k", "æ", "æ"]
    with pytest.raises(ValueError, match="phones"):
        phones.phones_at((), [0.1])
    with pytest.raises(ValueError, match="times"):
        phones.phones_at(alignment, [np.nan])
    with pytest.raises(ValueError, match="utterances"):
        phones.inventory([])


def test_git_grep_finds_one_definition_of_each_concept():
    """One home per concept: the inventory, edit distance, frame times and run lengths."""
    root = Path(phones.__file__).parent.parent
    patterns = {
        r"^PHONES = ": "course_lib/phones.py",
        r"^SILENCE = ": "course_lib/phones.py",
        r"def phone_class\(": "course_lib/phones.py",
        r"def edit_distance\(": "course_lib/metrics.py",
        r"def frame_times\(": "course_lib/features.py",
        r"def runs\(": "course_lib/ctc.py",
        r"^SAMPLE_RATE = ": "course_lib/features.py",
    }
    for pattern, home in patterns.items():
        found = subprocess.run(["git", "grep", "-l", "-E", pattern, "--", "course_lib"],
                               cwd=root, capture_output=True, text=True, check=False)
        assert found.stdout.split() == [home], (pattern, found.stdout)
