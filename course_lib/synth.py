"""Speech without downloads: eSpeak NG through ctypes, with the phone alignment it reports.

eSpeak NG is a formant synthesizer. It is robotic, but it is real speech, it runs about
700x faster than real time on a laptop CPU, and -- the reason the course uses it -- it
tells us exactly when every phone starts. That gives every later notebook a ground truth
to judge alignments against (HMM Viterbi in 02, CTC in 03, adapters in 08).

The shared library and its voice data come from the ``espeakng-loader`` wheel.

Explained in notebook 00, section "One sentence, with its ground truth".
"""

from __future__ import annotations

import _ctypes
import ctypes
import itertools
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import espeakng_loader
import numpy as np

from course_lib.features import SAMPLE_RATE, resample
from course_lib.phones import SILENCE, phone_class  # noqa: F401  (phone_class: old import path)

from course_lib import validate

MIN_WORDS_PER_MINUTE = 80
MAX_WORDS_PER_MINUTE = 450
DEFAULT_WORDS_PER_MINUTE = 175

_PRIMARY_STRESS = "\u02c8"    # ˈ
_SECONDARY_STRESS = "\u02cc"  # ˌ

# Constants from eSpeak NG's public header, speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_PHONEME_SEPARATOR = "_"

# A written word: letters or digits, joined by apostrophes inside ("don't", "I'd"). A hyphen
# separates words ("well-known" is two), as eSpeak reads it.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


class Phone(NamedTuple):
    """One phone of an alignment: IPA label, start and end in seconds, lexical stress.

    ``stress`` is 0 (none), 1 (primary, written ˈ by eSpeak) or 2 (secondary, ˌ); the mark is
    kept out of ``label`` so that the /æ/ of "cat" and of "mat" share one phone symbol.
    Pauses carry the label ``"sil"``.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """

    label: str
    start: float
    end: float
    stress: int = 0


@dataclass(frozen=True, eq=False)
class Utterance:
    """A synthesized (or loaded) utterance with its ground-truth alignment.

    Attributes:
        text: what was spoken.
        waveform: float32 samples in [-1, 1], shape (n_samples,).
        sample_rate: samples per second of ``waveform``.
        phones: contiguous phone segments covering [0, duration], in order.
        words: the written words of ``text`` with their times, in order (see :class:`Word`).
        voice, variant, words_per_minute, pitch: the synthesizer settings used.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """

    text: str
    waveform: np.ndarray
    sample_rate: int
    phones: tuple[Phone, ...]
    words: tuple[Word, ...] = ()
    voice: str = "en-us"
    variant: str | None = None
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE
    pitch: int = 50

    @property
    def duration(self) -> float:
        """Length of the waveform in seconds. Explained in notebook 00."""
        return len(self.waveform) / self.sample_rate

    @property
    def phone_labels(self) -> list[str]:
        """The phone labels in order, pauses included as ``"sil"``. Explained in notebook 00."""
        return [phone.label for phone in self.phones]


class Word(NamedTuple):
    """One written word of an utterance with the time it is spoken: from the start of its first
    phone to the end of its last, in seconds (pauses belong to no word).

    Explained in notebook 00, section "One sentence, with its ground truth".
    """

    text: str
    start: float
    end: float


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from speak_lib.h (the ``id`` union read as its 8-byte string member)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


class _Voice(ctypes.Structure):
    """``espeak_VOICE`` from speak_lib.h."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def available_variants() -> tuple[str, ...]:
    """Names of eSpeak NG's voice variants (``"f3"``, ``"m1"``, ``"klatt"``, ...), sorted.

    Read from eSpeak NG's data folder (``voices/!v``). Explained in notebook 00.
    """
    variant_dir = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    return tuple(sorted(path.name for path in variant_dir.iterdir() if path.is_file()))


@lru_cache(maxsize=1)
def available_voices() -> tuple[str, ...]:
    """Every name eSpeak NG accepts for a voice, lower case and sorted (``"en-us"``, ``"en"``,
    ``"english (america)"``, ``"gmw/en-us"``, ...).

    Read from eSpeak NG's own list (``espeak_ListVoices``): for each voice its name, its file
    identifier and the identifier's last part. eSpeak compares names without regard to case.
    Explained in notebook 00.
    """
    names: set[str] = set()
    with _lock, _espeak_library(events=False) as (lib, _):
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        voices = lib.espeak_ListVoices(None)
        for i in itertools.count():
            if not voices[i]:
                break
            voice = voices[i].contents
            identifier = voice.identifier.decode("utf-8", errors="replace").lower()
            names |= {voice.name.decode("utf-8", errors="replace").lower(), identifier,
                      identifier.rsplit("/", 1)[-1]}
    return tuple(sorted(names))


def _voice_and_variant(voice, variant) -> tuple[str, str | None]:
    """Check ``voice`` (which may carry a variant as ``"en-us+f3"``) and ``variant`` against
    eSpeak NG's own lists, before any of it reaches the C library (a long unknown variant
    overflows a fixed buffer inside eSpeak and kills the process)."""
    voice = validate.text(voice, "voice")
    if variant is not None:
        variant = validate.text(variant, "variant")
    if "+" in voice:
        given = voice
        voice, written_variant = voice.split("+", 1)
        if variant is not None:
            raise ValueError(f"variant must be given once, in voice or in variant, got "
                             f"voice={given!r} and variant={variant!r}")
        if written_variant not in available_variants():
            raise ValueError(f"voice must be a voice name with an optional '+variant' from "
                             f"available_variants() (e.g. 'en-us+f3'), got "
                             f"{validate.describe(given)}")
        variant = written_variant
    if voice.lower() not in available_voices():
        raise ValueError(f"voice must be one of available_voices() (e.g. 'en-us', 'en'), "
                         f"got {validate.describe(voice)}")
    if variant is not None:
        validate.choice(variant, "variant", available_variants())
    return voice, variant


def synthesize(
    text: str,
    *,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    pitch: int = 50,
    voice: str = "en-us",
    variant: str | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> Utterance:
    """Speak ``text`` with eSpeak NG and return the waveform with its phone alignment.

    Args:
        text: the sentence to speak (any non-empty text).
        words_per_minute: speaking rate, from 80 to 450 (eSpeak's own range; 175 is its default).
        pitch: base pitch from 0 to 100 (50 is the voice's normal pitch).
        voice: an eSpeak NG voice name such as ``"en-us"``.
        variant: a voice variant from :func:`available_variants`, such as ``"f3"`` or ``"m2"``.
        sample_rate: sample rate of the returned waveform (eSpeak speaks at 22,050 Hz; the
            waveform is resampled with a polyphase filter).

    Returns:
        An :class:`Utterance`. The same arguments always give the identical waveform.

    Raises:
        TypeError: for arguments of the wrong kind (a string as a rate, ``None`` as a voice).
        ValueError: on empty text, a voice or variant not in eSpeak NG's lists
            (:func:`available_voices`, :func:`available_variants`; a variant may also be
            written into the voice, ``"en-us+f3"``), or a rate, pitch or sample rate out of
            range.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """
    text = validate.text(text, "text")
    words_per_minute = round(validate.real(words_per_minute, "words_per_minute",
                                           minimum=MIN_WORDS_PER_MINUTE,
                                           maximum=MAX_WORDS_PER_MINUTE))
    pitch = round(validate.real(pitch, "pitch", minimum=0, maximum=100))
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1_000, maximum=192_000)
    voice, variant = _voice_and_variant(voice, variant)

    voice_name = voice if variant is None else f"{voice}+{variant}"
    samples, native_rate, phone_events = _run_espeak(text, voice_name, words_per_minute, pitch)
    if samples.size == 0:
        raise ValueError(f"eSpeak NG produced no audio for text {text!r}")
    waveform = resample(samples.astype(np.float32) / 32768.0, native_rate, sample_rate)
    # the resampling filter can overshoot a full-scale int16 peak a little: scale such a
    # waveform back into [-1, 1] rather than clip it
    peak = float(np.abs(waveform).max())
    if peak > 1.0:
        waveform = (waveform / peak).astype(np.float32)
    duration = len(waveform) / sample_rate
    phones, positions = _phones_from_events(phone_events, native_rate, duration)
    return Utterance(
        text=text,
        waveform=waveform,
        sample_rate=sample_rate,
        phones=phones,
        words=_words_from_phones(text, phones, positions, voice_name),
        voice=voice,
        variant=variant,
        words_per_minute=words_per_minute,
        pitch=pitch,
    )


def written_words(text: str) -> list[str]:
    """The written words of ``text`` as eSpeak NG reads them: runs of letters or digits, with
    apostrophes inside a word ("don't"); hyphens and other punctuation separate words.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """
    return _WORD.findall(validate.text(text, "text"))


def pronounce(words, *, voice: str = "en-us") -> list[tuple[str, ...]]:
    """eSpeak NG's pronunciation of each word said alone: its phone labels, stress removed.

    ``words`` is a sequence of strings (one string is refused: pass ``[word]``); returns one
    tuple of labels per word, e.g. ``pronounce(["boy", "depth"])`` gives
    ``[("b", "ɔɪ"), ("d", "ɛ", "p", "θ")]``. Thousands of words take a fraction of a second (one
    library load for all). A word said in a sentence may differ ("the" is /ðə/ or /ði/), so
    this is the dictionary form, not what an utterance's ``phones`` hold.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """
    words = validate.labels(words, "words")
    voice, variant = _voice_and_variant(voice, None)
    separator = ord(_PHONEME_SEPARATOR) << 8
    pronunciations = []
    with _lock, _espeak_library(events=False) as (lib, _):
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                              ctypes.c_int]
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"voice must be a voice eSpeak NG can load, got {voice!r}")
        for word in words:
            remaining = ctypes.c_char_p(word.encode("utf-8"))
            pointer = ctypes.pointer(remaining)
            labels: list[str] = []
            while pointer.contents.value:  # eSpeak reads one clause per call
                clause = lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8,
                                                   _PHONEMES_IPA | separator).decode("utf-8")
                for name in re.split(f"[{_PHONEME_SEPARATOR} ]+", clause):
                    label, _ = _split_stress(name)
                    if name.strip() and label != SILENCE:
                        labels.append(label)
            pronunciations.append(tuple(labels))
    return pronunciations


def _run_espeak(text: str, voice_name: str, words_per_minute: int, pitch: int):
    """Synthesize once in a freshly loaded copy of the library.

    eSpeak NG keeps static state between calls (its pitch-flutter phase, for one), and breathy
    voice variants add noise from a clock-seeded generator, so the same sentence spoken twice
    would come out different. Loading the library anew for every utterance, unloading it
    afterwards, and seeding its random generators makes synthesis bitwise deterministic; it
    costs a few milliseconds.

    Returns (int16 samples at the native rate, the native rate, phone events), where a phone
    event is (start sample, IPA name, character position in ``text`` of the word it belongs to,
    counted from 1).
    """
    chunks: list[np.ndarray] = []
    phone_events: list[tuple[int, str, int]] = []

    def on_audio(wav, n_samples, events):
        if n_samples > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = event.id.decode("utf-8", errors="replace")
                phone_events.append((event.sample, name, event.text_position))
            i += 1
        return 0

    callback = _SynthCallback(on_audio)
    encoded = text.encode("utf-8")
    with _lock, _espeak_library(events=True) as (lib, native_rate):
        lib.espeak_SetSynthCallback(callback)
        if lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
            raise ValueError(f"voice must be a voice eSpeak NG can load, got {voice_name!r}")
        lib.espeak_SetParameter(_PARAM_RATE, words_per_minute, 0)
        lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        # breathy voice variants mix in noise from a generator eSpeak seeds with the clock
        lib.espeak_ng_SetRandSeed(ctypes.c_long(0))
        status = lib.espeak_Synth(
            ctypes.c_char_p(encoded), len(encoded) + 1, 0, _POS_CHARACTER, 0,
            _CHARS_UTF8, None, None,
        )
        if status != 0:
            raise RuntimeError(f"eSpeak NG synthesis failed with status {status}")
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return samples, native_rate, phone_events


@contextmanager
def _espeak_library(*, events: bool):
    """A freshly loaded, initialized copy of eSpeak NG, terminated and unloaded on exit.

    The caller holds ``_lock``; see :func:`_run_espeak` for why every use loads it anew.
    """
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    options = _INIT_DONT_EXIT | (_INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA if events else 0)
    native_rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), options)
    try:
        if native_rate <= 0:
            raise RuntimeError("eSpeak NG failed to initialize")
        yield lib, native_rate
    finally:
        lib.espeak_Terminate()
        _ctypes.dlclose(lib._handle)


def _split_stress(name: str) -> tuple[str, int]:
    """'ˈæ' -> ('æ', 1); 'ˌɪ' -> ('ɪ', 2); '' (an eSpeak pause) -> ('sil', 0)."""
    stress = 1 if _PRIMARY_STRESS in name else 2 if _SECONDARY_STRESS in name else 0
    label = name.replace(_PRIMARY_STRESS, "").replace(_SECONDARY_STRESS, "").strip("\x00 ")
    return (label or SILENCE), stress


def _phones_from_events(events, native_rate: int, duration: float
                        ) -> tuple[tuple[Phone, ...], tuple[int, ...]]:
    """Turn eSpeak's phone start events into contiguous, ordered segments covering [0, duration].

    Each phone ends where the next begins; the last ends at the end of the waveform. Phones of
    zero length are dropped, audio before the first phone is silence, and neighbouring pauses
    are merged into one. Also returns, per phone, the text position of its word (0: none).
    """
    ordered = sorted(events, key=lambda event: event[0])  # stable: ties keep eSpeak's order
    starts = [(0, SILENCE, 0, 0)] + [(sample, *_split_stress(name), position)
                                     for sample, name, position in ordered]
    phones: list[Phone] = []
    positions: list[int] = []
    for i, (sample, label, stress, position) in enumerate(starts):
        start = sample / native_rate
        end = min(starts[i + 1][0] / native_rate if i + 1 < len(starts) else duration, duration)
        if end <= start:
            continue
        if phones and label == SILENCE and phones[-1].label == SILENCE:
            phones[-1] = phones[-1]._replace(end=end)
        else:
            phones.append(Phone(label, start, end, stress))
            positions.append(0 if label == SILENCE else position)
    phones[-1] = phones[-1]._replace(end=duration)  # close any rounding gap at the very end
    return tuple(phones), tuple(positions)


def _words_from_phones(text: str, phones, positions, voice_name: str) -> tuple[Word, ...]:
    """Give every written word of ``text`` the span of its phones.

    eSpeak tags each phone with the text position of its word, but it reads some function
    words together with their neighbour ("out of", "on the", the two halves of "well-known")
    and tags all their phones with the first word's position. A group of phones that holds
    several written words is split between them in order, each word taking as many phones as
    :func:`pronounce` gives it alone; when those counts do not add up (a word said differently in
    context), each word but the last takes its count, at least one phone, and the last the rest.
    A written word that eSpeak speaks as several (a number such as "42") keeps all its phones.
    """
    tokens = [(match.start() + 1, match.group()) for match in _WORD.finditer(text)]
    if not tokens:
        return ()
    token_starts = [start for start, _ in tokens]
    # phone indices of each token, by the token that holds the phone's text position
    by_token: dict[int, list[int]] = {}
    groups: dict[int, list[int]] = {}  # the phones of each text position (one eSpeak group)
    for i, position in enumerate(positions):
        if position > 0:
            token = max(0, int(np.searchsorted(token_starts, position, side="right")) - 1)
            by_token.setdefault(token, []).append(i)
            groups.setdefault(position, []).append(i)
    # tokens without phones of their own take their share of the group before them
    voice = voice_name.split("+")[0]
    for token in range(len(tokens)):
        if token in by_token or token == 0:
            continue
        owner = max((t for t in by_token if t < token), default=None)
        if owner is None:
            continue
        last_group = groups[positions[by_token[owner][-1]]]
        joined = [owner] + [t for t in range(owner + 1, len(tokens))
                            if t not in by_token and _ends_before_next_group(t, tokens, positions,
                                                                             last_group)]
        if len(joined) < 2:
            continue
        counts = [len(p) for p in pronounce([tokens[t][1] for t in joined], voice=voice)]
        shares = _split_counts(counts, len(last_group))
        kept = [i for i in by_token[owner] if i not in last_group]
        cursor = 0
        for t, share in zip(joined, shares):
            piece = last_group[cursor:cursor + share]
            cursor += share
            by_token[t] = (kept + piece) if t == owner else piece
    words = []
    for token, (_, word) in enumerate(tokens):
        indices = by_token.get(token)
        if indices:
            words.append(Word(word, phones[indices[0]].start, phones[indices[-1]].end))
    return tuple(words)


def _ends_before_next_group(token: int, tokens, positions, group) -> bool:
    """Whether ``token`` lies before the first text position of any later phone group."""
    group_position = positions[group[0]]
    later = [p for p in positions if p > group_position]
    return not later or tokens[token][0] < min(later)


def _split_counts(counts: list[int], n_phones: int) -> list[int]:
    """Share ``n_phones`` between words in order: each its count while phones last (at least
    one each when there are enough), the last word whatever remains."""
    shares, left = [], n_phones
    for i, count in enumerate(counts):
        words_after = len(counts) - i - 1
        if words_after == 0:
            shares.append(left)
        else:
            share = max(1 if left > words_after else 0, min(count, left - words_after))
            shares.append(share)
            left -= share
    return shares
