"""Speech without downloads: eSpeak NG through ctypes, with the phone alignment it reports.

eSpeak NG is a formant synthesizer. It is robotic, but it is real speech, it runs about
700x faster than real time on a laptop CPU, and -- the reason the course uses it -- it
tells us exactly when every phone starts. That gives every later notebook a ground truth
to judge alignments against (HMM Viterbi in 02, CTC in 03, adapters in 08).

The shared library and its voice data come from the ``espeakng-loader`` wheel.

Explained in notebook 00.
"""

from __future__ import annotations

import _ctypes
import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import espeakng_loader
import numpy as np

from course_lib.features import SAMPLE_RATE, resample
from course_lib.phones import SILENCE, phone_class  # noqa: F401  (phone_class: old import path)

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
        """Length of the waveform in seconds."""
        return len(self.waveform) / self.sample_rate

    @property
    def phone_labels(self) -> list[str]:
        """The phone labels in order, pauses included as ``"sil"``."""
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


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def available_variants() -> tuple[str, ...]:
    """Names of eSpeak NG's voice variants (``"f3"``, ``"m1"``, ``"klatt"``, ...), sorted."""
    variant_dir = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    return tuple(sorted(path.name for path in variant_dir.iterdir() if path.is_file()))


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
        ValueError: on empty text, an unknown voice or variant, or a rate, pitch or sample
            rate out of range.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    if not MIN_WORDS_PER_MINUTE <= words_per_minute <= MAX_WORDS_PER_MINUTE:
        raise ValueError(
            f"words_per_minute must be between {MIN_WORDS_PER_MINUTE} and "
            f"{MAX_WORDS_PER_MINUTE}, got {words_per_minute}"
        )
    if not 0 <= pitch <= 100:
        raise ValueError(f"pitch must be between 0 and 100, got {pitch}")
    if variant is not None and variant not in available_variants():
        raise ValueError(
            f"unknown voice variant {variant!r}; choose one of available_variants(), "
            f"e.g. {', '.join(available_variants()[:6])}"
        )
    if not (isinstance(sample_rate, int) and 1_000 <= sample_rate <= 192_000):
        raise ValueError(f"sample_rate must be an integer in Hz (1000-192000), got {sample_rate!r}")

    voice_name = voice if variant is None else f"{voice}+{variant}"
    samples, native_rate, phone_events = _run_espeak(
        text, voice_name, int(words_per_minute), int(pitch)
    )
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
        words_per_minute=int(words_per_minute),
        pitch=int(pitch),
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
    with _lock:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        native_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            espeakng_loader.get_data_path().encode(),
            _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT,
        )
        try:
            if native_rate <= 0:
                raise RuntimeError("eSpeak NG failed to initialize")
            lib.espeak_SetSynthCallback(callback)
            if lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
                raise ValueError(f"unknown voice {voice_name!r}; try 'en-us' or 'en-us+f3'")
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
        finally:
            lib.espeak_Terminate()
            _ctypes.dlclose(lib._handle)
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return samples, native_rate, phone_events


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
