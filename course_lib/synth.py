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
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_POS_CHARACTER = 1
_CHARS_UTF8 = 1


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
        voice, variant, words_per_minute, pitch: the synthesizer settings used.

    Explained in notebook 00, section "One sentence, with its ground truth".
    """

    text: str
    waveform: np.ndarray
    sample_rate: int
    phones: tuple[Phone, ...]
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
    duration = len(waveform) / sample_rate
    phones = _phones_from_events(phone_events, native_rate, duration)
    return Utterance(
        text=text,
        waveform=waveform,
        sample_rate=sample_rate,
        phones=phones,
        voice=voice,
        variant=variant,
        words_per_minute=words_per_minute,
        pitch=pitch,
    )


def _run_espeak(text: str, voice_name: str, words_per_minute: int, pitch: int):
    """Synthesize once in a freshly loaded copy of the library.

    eSpeak NG keeps static state between calls (its pitch-flutter phase, for one), and breathy
    voice variants add noise from a clock-seeded generator, so the same sentence spoken twice
    would come out different. Loading the library anew for every utterance, unloading it
    afterwards, and seeding its random generators makes synthesis bitwise deterministic; it
    costs a few milliseconds.

    Returns (int16 samples at the native rate, the native rate, phone events), where a phone
    event is (start sample, IPA name).
    """
    chunks: list[np.ndarray] = []
    phone_events: list[tuple[int, str]] = []

    def on_audio(wav, n_samples, events):
        if n_samples > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = event.id.decode("utf-8", errors="replace")
                phone_events.append((event.sample, name))
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


def _phones_from_events(events, native_rate: int, duration: float) -> tuple[Phone, ...]:
    """Turn eSpeak's phone start events into contiguous, ordered segments covering [0, duration].

    Each phone ends where the next begins; the last ends at the end of the waveform. Phones of
    zero length are dropped, audio before the first phone is silence, and neighbouring pauses
    are merged into one.
    """
    ordered = sorted(events, key=lambda event: event[0])  # stable: ties keep eSpeak's order
    starts = [(0, SILENCE, 0)] + [(sample, *_split_stress(name)) for sample, name in ordered]
    phones: list[Phone] = []
    for i, (sample, label, stress) in enumerate(starts):
        start = sample / native_rate
        end = min(starts[i + 1][0] / native_rate if i + 1 < len(starts) else duration, duration)
        if end <= start:
            continue
        if phones and label == SILENCE and phones[-1].label == SILENCE:
            phones[-1] = phones[-1]._replace(end=end)
        else:
            phones.append(Phone(label, start, end, stress))
    phones[-1] = phones[-1]._replace(end=duration)  # close any rounding gap at the very end
    return tuple(phones)
