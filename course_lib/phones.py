"""The course's phone inventory: one list of phones, one silence label, one CTC blank.

Every module that names phones takes them from here: ``synth`` labels pauses with
:data:`SILENCE`, the recognizer's outputs are :data:`LABELS` (the blank, then :data:`PHONES`),
the aligner and the distilled codec model the phones of :func:`inventory`, and the plots colour
phones by :func:`phone_class`.

The phones are those eSpeak NG's ``en-us`` voice says over the course's English word list
(``data/text/english_words.txt``; ``tests/test_phones.py`` derives them from eSpeak), plus
silence. They are eSpeak's symbols as the corpus uses them: stress marks are kept apart (``Phone.stress``),
rhotic vowels and diphthongs are single phones (the synthesizer times them as one unit, so their
true timings can be scored), and pauses are ``"sil"``. ::

    LABELS   index:  0    1     2     3    ...  58
             label:  -    sil   aɪ    aɪə  ...  ᵻ
                     ^    ^------ PHONES (58) ------^
                     the CTC blank (BLANK_SYMBOL)

Explained in notebook 00, section "One sentence, with its ground truth" (phones and silence)
and notebook 03, section "A small CTC phone recognizer" (the recognizer's labels).
"""

from __future__ import annotations

import numpy as np

from course_lib import validate

SILENCE = "sil"
BLANK_SYMBOL = "-"
PHONES = (
    SILENCE, "aɪ", "aɪə", "aɪɚ", "aʊ", "b", "d", "dʒ", "eɪ", "f", "h", "i", "iə", "iː", "j", "k",
    "l", "m", "n", "n̩", "oʊ", "p", "s", "t", "tʃ", "uː", "v", "w", "z", "æ", "ð", "ŋ", "ɐ", "ɑː",
    "ɑːɹ", "ɔ", "ɔɪ", "ɔː", "ɔːɹ", "ə", "əl", "ɚ", "ɛ", "ɛɹ", "ɜː", "ɡ", "ɪ", "ɪɹ", "ɹ", "ɾ", "ʃ",
    "ʊ", "ʊɹ", "ʌ", "ʒ", "ʔ", "θ", "ᵻ",
)
LABELS = (BLANK_SYMBOL,) + PHONES  # index 0 is the CTC blank (course_lib.ctc.BLANK)
_INDEX = {label: i for i, label in enumerate(LABELS)}
_VOWEL_LETTERS = set("aeiouyæɑɒɐəɚɛɜɝɞɪɨʉʊʌɔøœɤɯɘɵᵻɶ")


def phone_class(label: str) -> str:
    """``'vowel'``, ``'consonant'`` or ``'silence'`` for an IPA phone label.

    A label is a vowel when its first letter is a vowel letter (``'aɪ'`` and ``'ɜː'`` are
    vowels). Explained in notebook 00, section "One sentence, with its ground truth" (the
    colours of its phone row).
    """
    label = validate.text(label, "label")
    if label == SILENCE:
        return "silence"
    return "vowel" if label[0] in _VOWEL_LETTERS else "consonant"


def phones_to_indices(phones) -> list[int]:
    """Phone labels -> indices into :data:`LABELS` (1..58; 0 is the blank).

    Raises ``ValueError`` for a phone outside :data:`PHONES` (the blank included) and
    ``TypeError`` for a single string.
    Explained in notebook 03, section "A small CTC phone recognizer".
    """
    phones = validate.labels(phones, "phones")
    unknown = sorted({p for p in phones if p not in _INDEX or p == BLANK_SYMBOL})
    if unknown:
        raise ValueError(f"phones must be labels of PHONES, got unknown phones {unknown}")
    return [_INDEX[p] for p in phones]


def indices_to_phones(indices) -> list[str]:
    """Indices into :data:`LABELS` -> labels; the blank (index 0) reads as ``"-"``.

    Explained in notebook 03, section "A small CTC phone recognizer".
    """
    indices = validate.label_indices(indices, "indices", n_labels=len(LABELS))
    return [LABELS[i] for i in indices]


def inventory(utterances) -> tuple[str, ...]:
    """The phones that ``utterances`` contain, sorted: what a model trained on them can know.

    The aligner (notebook 02, section "A real forced aligner") and the distilled codec
    (notebook 06, section "Is codebook 1 content, 2 prosody, 3 timbre?") model exactly these phones;
    on the course's corpora they are all of :data:`PHONES`, sorted. Raises ``ValueError`` if
    a phone lies outside :data:`PHONES`.
    """
    found = {phone.label for utterance in utterances for phone in utterance.phones}
    if not found:
        raise ValueError("utterances must hold at least one phone, got none")
    unknown = sorted(found - set(PHONES))
    if unknown:
        raise ValueError(f"utterances must use phones of PHONES, got unknown phones {unknown}")
    return tuple(sorted(found))


def phones_at(phones, times) -> list[str]:
    """The label of the phone whose ``[start, end)`` contains each time (seconds).

    Label frames with ``times`` = their centres (:func:`course_lib.features.frame_times`).
    Times before the first phone get the first phone's label, times past the end the last
    one's (padding frames). ``phones`` is a sequence of :class:`course_lib.synth.Phone`;
    returns one label per time.

    Explained in notebook 05, section "Frames with an answer key"; used again in
    notebook 06, section "Is codebook 1 content, 2 prosody, 3 timbre?".
    """
    if isinstance(phones, (str, bytes)) or not hasattr(phones, "__len__"):
        raise TypeError(f"phones must be a non-empty sequence of Phone, got "
                        f"{validate.describe(phones)}")
    if len(phones) == 0:
        raise ValueError("phones must be a non-empty sequence of Phone, got an empty one")
    times = validate.array(times, "times", ndim=1, min_length=0)
    starts = np.array([phone.start for phone in phones])
    which = np.searchsorted(starts, times, side="right") - 1
    which = np.clip(which, 0, len(phones) - 1)
    return [phones[i].label for i in which]
