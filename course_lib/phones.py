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


# --- ARPAbet (CMU ARCTIC, CMUdict, TIMIT) -> the course's eSpeak labels -----------------------

ARPABET_TO_PHONES = {
    # vowels; a CMUdict stress digit may follow (0 unstressed, 1 primary, 2 secondary)
    "aa": "ɑː", "ae": "æ", "ah": "ʌ", "ao": "ɔː", "aw": "aʊ", "ax": "ə", "axr": "ɚ", "ay": "aɪ",
    "eh": "ɛ", "er": "ɜː", "ey": "eɪ", "ih": "ɪ", "ix": "ᵻ", "iy": "iː", "ow": "oʊ", "oy": "ɔɪ",
    "uh": "ʊ", "uw": "uː", "ux": "uː",
    # consonants
    "b": "b", "ch": "tʃ", "d": "d", "dh": "ð", "dx": "ɾ", "el": "əl", "en": "n̩", "f": "f",
    "g": "ɡ", "hh": "h", "jh": "dʒ", "k": "k", "l": "l", "m": "m", "n": "n", "ng": "ŋ", "p": "p",
    "r": "ɹ", "s": "s", "sh": "ʃ", "t": "t", "th": "θ", "v": "v", "w": "w", "y": "j", "z": "z",
    "zh": "ʒ", "q": "ʔ",  # TIMIT's glottal stop
    # pauses
    "pau": SILENCE, "sil": SILENCE, "h#": SILENCE,
}
# Unstressed (digit 0) vowels that eSpeak NG en-us writes with another symbol.
_UNSTRESSED_ARPABET = {"ah": "ə", "er": "ɚ", "iy": "i"}
# Two phones that eSpeak NG times as one when the second is not followed by a vowel
# ("sharply": ʃ ɑːɹ p l i; "very": v ɛ ɹ i keeps the ɹ apart, since a vowel follows it).
ESPEAK_MERGES = {
    ("ɑː", "ɹ"): "ɑːɹ", ("ɔː", "ɹ"): "ɔːɹ", ("oʊ", "ɹ"): "ɔːɹ", ("ɪ", "ɹ"): "ɪɹ",
    ("iː", "ɹ"): "ɪɹ", ("ɛ", "ɹ"): "ɛɹ", ("eɪ", "ɹ"): "ɛɹ", ("ʊ", "ɹ"): "ʊɹ", ("uː", "ɹ"): "ʊɹ",
    ("aɪ", "ɚ"): "aɪɚ", ("aɪ", "ɜː"): "aɪɚ", ("ə", "l"): "əl",
}


def arpabet_label(arpabet: str) -> tuple[str, int]:
    """One ARPAbet phone (``"aa"``, ``"ER0"``, ``"pau"``) -> ``(eSpeak label, stress)``.

    Case is ignored; a trailing CMUdict stress digit becomes the stress (0, 1 or 2; no digit
    gives 0) and picks eSpeak's unstressed vowel where it has one (``ah0`` -> ``ə``, ``er0`` ->
    ``ɚ``, ``iy0`` -> ``i``). Pauses (``pau``, ``sil``, ``h#``) become :data:`SILENCE`. Raises
    ``ValueError`` for a label outside :data:`ARPABET_TO_PHONES`.

    Explained in notebook 03, section "Human speech: what transfers".
    """
    name = validate.text(arpabet, "arpabet").strip().lower()
    digit = name[-1:] if name[-1:] in ("0", "1", "2") else ""
    name = name[:len(name) - len(digit)]
    if name not in ARPABET_TO_PHONES:
        raise ValueError(f"arpabet must be an ARPAbet phone of ARPABET_TO_PHONES (with an "
                         f"optional stress digit 0-2), got {arpabet!r}")
    if digit == "0" and name in _UNSTRESSED_ARPABET:
        return _UNSTRESSED_ARPABET[name], 0
    return ARPABET_TO_PHONES[name], int(digit or 0)


def arpabet_to_phones(segments) -> tuple:
    """Timed ARPAbet phones -> :class:`course_lib.synth.Phone` s in the course's eSpeak labels.

    ``segments`` is a sequence of ``(start_s, end_s, arpabet)`` (what
    :func:`course_lib.data.read_hts_labels` returns), in time order. Each phone is mapped by
    :func:`arpabet_label`; then, as eSpeak NG does, a vowel and a following ``ɹ`` (or ``ə l``,
    ``aɪ ɚ``) become one phone of :data:`ESPEAK_MERGES` when no vowel follows them, spanning
    both; and adjacent pauses become one ``"sil"``::

        ARPAbet   sh   aa   r    p   l   iy0   pau pau
        eSpeak    ʃ    ɑːɹ       p   l   i     sil

    Returns a tuple of Phones (label, start, end, stress). The mapping is a convention, not a
    fact of the audio: eSpeak and the lexicon behind ARPAbet can still disagree on a phone
    (``across``: ``ao`` -> ɔː, eSpeak says ɑː), which is why scores use
    :func:`course_lib.metrics.matched_boundary_errors`.

    Explained in notebook 03, section "Human speech: what transfers".
    """
    from course_lib.synth import Phone  # synth imports this module

    if isinstance(segments, (str, bytes)) or not hasattr(segments, "__len__"):
        raise TypeError(f"segments must be a sequence of (start_s, end_s, arpabet), got "
                        f"{validate.describe(segments)}")
    if len(segments) == 0:
        raise ValueError("segments must hold at least one (start_s, end_s, arpabet), got none")
    phones = [_timed_phone(segment, i) for i, segment in enumerate(segments)]
    return tuple(Phone(*phone) for phone in _merge_for_espeak(phones))


def _timed_phone(segment, index: int) -> list:
    """``[label, start, end, stress]`` of one ``(start_s, end_s, arpabet)`` segment, checked."""
    name = f"segments[{index}]"
    if isinstance(segment, (str, bytes)) or not hasattr(segment, "__len__") or len(segment) != 3:
        raise TypeError(f"{name} must be a (start_s, end_s, arpabet) triple, got "
                        f"{validate.describe(segment)}")
    start = validate.real(segment[0], f"{name} start_s", minimum=0)
    end = validate.real(segment[1], f"{name} end_s", minimum=start)
    label, stress = arpabet_label(segment[2])
    return [label, start, end, stress]


def _merge_for_espeak(phones: list[list]) -> list[list]:
    """Merge adjacent pauses, then the pairs of :data:`ESPEAK_MERGES` not followed by a vowel."""
    merged: list[list] = []
    for phone in phones:
        if merged and phone[0] == SILENCE and merged[-1][0] == SILENCE:
            merged[-1][2] = phone[2]
        else:
            merged.append(list(phone))
    result: list[list] = []
    i = 0
    while i < len(merged):
        pair = tuple(p[0] for p in merged[i:i + 2])
        followed_by_vowel = i + 2 < len(merged) and phone_class(merged[i + 2][0]) == "vowel"
        if pair in ESPEAK_MERGES and not followed_by_vowel:
            first, second = merged[i], merged[i + 1]
            result.append([ESPEAK_MERGES[pair], first[1], second[2], max(first[3], second[3])])
            i += 2
        else:
            result.append(merged[i])
            i += 1
    return result
