"""The course's data: a synthesized speech corpus with exact phone timings, and your own audio.

``build_corpus`` speaks a few hundred generated sentences with varied voices, speaking rates
and pitches, splits them into fixed train and test sets, and caches the result under
``data/cache/`` so that later notebooks load it in a fraction of a second. ``load_audio``
reads a WAV/FLAC/OGG file of your own (a path, an open file or its bytes) as a mono float32
array.

Explained in notebook 00, section "Rates on a corpus".
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import soundfile
from tqdm.auto import tqdm

from course_lib import text as corpus_text
from course_lib import validate
from course_lib.features import SAMPLE_RATE, resample
from course_lib.synth import Phone, Utterance, Word, synthesize

# Trained weights ship with the repository in data/; COURSE_DATA_DIR moves only the corpus caches.
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "data"
DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR", WEIGHTS_DIR))
CACHE_DIR = DATA_DIR / "cache"
_CORPUS_FORMAT = 2  # bump when the builder's output changes, so old caches are not reused

# Voice variants: ten of eSpeak NG's male and female timbres speak the training corpus; two
# more speak only held-out text (build_held_out("voices")), to measure a voice never heard.
CORPUS_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "f1", "f2", "f3", "f4")
HELD_OUT_VARIANTS = ("m7", "f5")
# The corpora that the shipped models train on (their training splits); the default corpus,
# build_corpus() = 400 utterances of seed 0, is the course's test bed and stays unseen by them.
TRAINING_CORPORA = {
    "recognizer": dict(n_utterances=3000, seed=1),
    "aligner": dict(n_utterances=1000, seed=2),
    "codec": dict(n_utterances=3000, seed=1),  # the recognizer's corpus: one cache, more voices
}
_INT16_SCALE = 32767  # waveforms are kept on the int16 grid, so the cache is exact and half size


@dataclass(frozen=True, eq=False)
class Corpus:
    """Utterances with a fixed train/test split.

    Attributes:
        utterances: every utterance, in the order the builder made them.
        split: ``"train"`` or ``"test"`` for each utterance.

    Explained in notebook 00, section "Rates on a corpus".
    """

    utterances: tuple[Utterance, ...]
    split: tuple[str, ...]

    @property
    def train(self) -> list[Utterance]:
        """The utterances of the training split, in order. Explained in notebook 00."""
        return [u for u, s in zip(self.utterances, self.split) if s == "train"]

    @property
    def test(self) -> list[Utterance]:
        """The utterances of the test split, in order. Explained in notebook 00."""
        return [u for u, s in zip(self.utterances, self.split) if s == "test"]

    def __len__(self) -> int:
        return len(self.utterances)


def build_corpus(
    n_utterances: int = 400,
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    sample_rate: int = SAMPLE_RATE,
    cache: bool = True,
) -> Corpus:
    """Synthesize a deterministic corpus of varied English sentences with phone alignments.

    Every utterance gets a generated sentence (:func:`course_lib.text.training_sentences`: words
    of a 20,000-word list, never a held-out word), one of :data:`CORPUS_VARIANTS`, a speaking
    rate of 100-240 words per minute and a pitch of 30-70, all drawn from ``seed``. A fixed
    share of utterances, also drawn from ``seed``, forms the test split. Waveforms lie on the
    int16 grid (multiples of 1/32767), as the cache stores them.

    Args:
        n_utterances: how many utterances (at least 2).
        seed: the same seed gives the identical corpus, sample for sample.
        test_fraction: share of utterances in the test split, strictly between 0 and 1.
        sample_rate: sample rate of the waveforms.
        cache: read the corpus from ``data/cache/`` if built before, and write it there if not.

    Returns:
        A :class:`Corpus`. 400 utterances take about ten seconds to build and well under a
        second to load from the cache (about 30 MB on disk).

    Explained in notebook 00, section "Rates on a corpus".
    """
    n_utterances = validate.integer(n_utterances, "n_utterances", minimum=2)
    seed = validate.integer(seed, "seed", minimum=0)
    test_fraction = validate.real(test_fraction, "test_fraction", above=0, below=1)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1_000, maximum=192_000)
    cache = validate.boolean(cache, "cache")
    settings = dict(
        n_utterances=n_utterances, seed=seed, test_fraction=test_fraction,
        sample_rate=sample_rate, format=_CORPUS_FORMAT, espeak=version("espeakng-loader"),
        text=_text_fingerprint(),
    )
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = CACHE_DIR / f"corpus-{n_utterances}-seed{seed}-{key}.npz"
    if cache and path.exists():
        return _load_corpus(path)

    sentences = corpus_text.training_sentences(n_utterances, seed)
    rng = np.random.default_rng([seed, 1])  # voices, rates, pitches and the split
    utterances = [_speak(sentence, CORPUS_VARIANTS[rng.integers(len(CORPUS_VARIANTS))], rng,
                         sample_rate)
                  for sentence in tqdm(sentences, desc="synthesizing corpus", unit="utt")]
    n_test = min(n_utterances - 1, max(1, round(test_fraction * n_utterances)))
    test_indices = set(rng.permutation(n_utterances)[:n_test].tolist())
    split = tuple("test" if i in test_indices else "train" for i in range(n_utterances))
    corpus = Corpus(tuple(utterances), split)
    if cache:
        _save_corpus(corpus, path)
    return corpus


def _text_fingerprint() -> str:
    """A hash of the word list and the held-out words: a cached corpus whose text source has
    changed since it was built is not reused."""
    source = "\n".join(corpus_text.english_words()) + "|" + "\n".join(
        sorted(corpus_text.held_out_words()))
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _speak(sentence: str, variant: str, rng: np.random.Generator, sample_rate: int
           ) -> Utterance:
    """Synthesize with a rate and pitch drawn from ``rng``, the waveform put on the int16 grid."""
    utterance = synthesize(sentence, variant=variant, words_per_minute=int(rng.integers(100, 241)),
                           pitch=int(rng.integers(30, 71)), sample_rate=sample_rate)
    on_grid = np.round(utterance.waveform * _INT16_SCALE) / np.float32(_INT16_SCALE)
    return dataclasses.replace(utterance, waveform=on_grid.astype(np.float32))


HELD_OUT_SETS = ("sentences", "voices")


def build_held_out(which: str = "sentences", *, sample_rate: int = SAMPLE_RATE,
                   cache: bool = True) -> list[Utterance]:
    """The held-out sentences (:func:`course_lib.text.held_out_sentences`) spoken once each.

    ``which="sentences"``: by the training voices (:data:`CORPUS_VARIANTS`), so only the text
    is new; ``which="voices"``: by :data:`HELD_OUT_VARIANTS`, voices no model heard in training.
    Rates and pitches are drawn as in :func:`build_corpus`, from a fixed seed; cached likewise.

    Explained in notebook 03, section "Four test sets".
    """
    which = validate.choice(which, "which", HELD_OUT_SETS)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1_000, maximum=192_000)
    cache = validate.boolean(cache, "cache")
    sentences = corpus_text.held_out_sentences()
    settings = dict(which=which, sample_rate=sample_rate, format=_CORPUS_FORMAT,
                    sentences=sentences, espeak=version("espeakng-loader"))
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = CACHE_DIR / f"held-out-{which}-{key}.npz"
    if cache and path.exists():
        return list(_load_corpus(path).utterances)
    variants = CORPUS_VARIANTS if which == "sentences" else HELD_OUT_VARIANTS
    rng = np.random.default_rng(2)
    utterances = tuple(_speak(sentence, variants[i % len(variants)], rng, sample_rate)
                       for i, sentence in enumerate(tqdm(sentences, desc=f"held-out {which}",
                                                         unit="utt")))
    if cache:
        _save_corpus(Corpus(utterances, ("test",) * len(utterances)), path)
    return list(utterances)


def _save_corpus(corpus: Corpus, path: Path) -> None:
    """Write all waveforms as one float32 array plus offsets, and the rest as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    waveforms = [np.round(u.waveform * _INT16_SCALE).astype(np.int16) for u in corpus.utterances]
    offsets = np.cumsum([0] + [len(w) for w in waveforms])
    metadata = [
        dict(text=u.text, sample_rate=u.sample_rate, phones=[list(p) for p in u.phones],
             words=[list(w) for w in u.words], voice=u.voice, variant=u.variant, words_per_minute=u.words_per_minute,
             pitch=u.pitch, split=s)
        for u, s in zip(corpus.utterances, corpus.split)
    ]
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, audio=np.concatenate(waveforms), offsets=offsets,
             metadata=np.array(json.dumps(metadata)))
    os.replace(temporary, path)


def _load_corpus(path: Path) -> Corpus:
    with np.load(path) as archive:
        audio, offsets = archive["audio"], archive["offsets"]
        metadata = json.loads(str(archive["metadata"]))
    utterances, split = [], []
    for i, item in enumerate(metadata):
        split.append(item.pop("split"))
        phones = tuple(Phone(*phone) for phone in item.pop("phones"))
        words = tuple(Word(*word) for word in item.pop("words"))
        waveform = audio[offsets[i]:offsets[i + 1]] / np.float32(_INT16_SCALE)
        utterances.append(Utterance(waveform=waveform, phones=phones, words=words, **item))
    return Corpus(tuple(utterances), tuple(split))


SILENCE_PEAK = 1e-4  # a peak amplitude below this (about -80 dBFS) is a silent recording


def check_audible(waveform: np.ndarray, name: str = "waveform") -> np.ndarray:
    """Refuse a silent recording: ``waveform`` (n_samples,) is returned unchanged if its peak
    amplitude reaches :data:`SILENCE_PEAK` (about -80 dBFS), else ``ValueError`` naming ``name``
    (a muted microphone gives such a recording).

    Explained in notebook 00, section "Your own audio".
    """
    peak = float(np.abs(waveform).max()) if len(waveform) else 0.0
    if peak < SILENCE_PEAK:
        raise ValueError(f"{name} must not be silent (a peak amplitude of at least "
                         f"{SILENCE_PEAK:g}; is the microphone muted?), got a peak of {peak:.1e}")
    return waveform


def load_audio(path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read an audio file (WAV, FLAC, OGG, ...) as mono float32 at ``sample_rate``.

    Channels are averaged; the signal is resampled with a polyphase filter.

    Args:
        path: a file path (``str`` or ``pathlib.Path``), an open binary file, or the bytes of a
            file (an upload, for instance).
        sample_rate: the rate to return, in Hz (1,000 to 192,000).

    Returns:
        The waveform, shape (n_samples,), float32.

    Raises:
        TypeError: if ``path`` is none of the three.
        ValueError: if the file does not exist, cannot be decoded as audio, holds no samples,
            holds NaN or infinite samples, or is silent (see :func:`check_audible`).

    Explained in notebook 00, section "Your own audio".
    """
    source, where = _audio_source(path)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1_000, maximum=192_000)
    try:
        samples, file_rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise ValueError(f"could not read {where} as audio (WAV, FLAC, OGG...): {error}") from None
    if samples.shape[0] == 0:
        raise ValueError(f"{where} is empty (0 samples)")
    mono = samples.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise ValueError(f"{where} holds NaN or infinite samples")
    check_audible(mono, where)
    return resample(mono, file_rate, sample_rate)


def _audio_source(path) -> tuple:
    """What ``soundfile.read`` can open for ``path``, and how error messages call it."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(path)), "the bytes given as path"
    if hasattr(path, "read"):
        return path, "the file object given as path"
    path = validate.existing_file(path, "path", "audio file", "a file path (str or "
                                  "pathlib.Path), an open binary file or bytes")
    return path, f"audio file {str(path)!r}"


# --- human recordings (CMU ARCTIC) -----------------------------------------------------------

REAL_SPEECH_DIR = WEIGHTS_DIR / "real-speech"  # the recordings, their licences, a0009's labels

# name -> (audio file, CMU ARCTIC speaker, what is said, HTS reference label file or None)
REAL_RECORDINGS = {
    "arctic_a0007": ("arctic_a0007.wav", "clb",
                     "And you always want to see it in the superlative degree.", None),
    "arctic_a0009": ("arctic_a0009.wav", "slt",
                     "He turned sharply, and faced Gregson across the table.",
                     "arctic_a0009_phone.lab"),
}
_HTS_STEPS_PER_SECOND = 10_000_000  # HTS label times count 100 ns steps


@dataclass(frozen=True, eq=False)
class RealRecording:
    """A human recording shipped in ``data/real-speech/`` (see :data:`REAL_RECORDINGS`).

    Attributes:
        name: its key in :data:`REAL_RECORDINGS`, e.g. ``"arctic_a0009"``.
        text: the sentence the speaker read.
        speaker: the CMU ARCTIC speaker (``"slt"``, ``"clb"``).
        waveform: float32 samples at ``sample_rate``, shape (n_samples,).
        sample_rate: 16,000 Hz, the course's rate.
        reference_phones: the HTS reference alignment mapped to eSpeak labels
            (:func:`course_lib.phones.arpabet_to_phones`), a tuple of
            :class:`course_lib.synth.Phone`; ``None`` for a recording without labels. It is an
            automatic alignment, a reference rather than ground truth.

    Explained in notebook 03, section "Human speech: what transfers".
    """

    name: str
    text: str
    speaker: str
    waveform: np.ndarray
    sample_rate: int
    reference_phones: tuple[Phone, ...] | None

    @property
    def duration(self) -> float:
        """Length in seconds. Explained in notebook 03, section "Human speech: what transfers"."""
        return len(self.waveform) / self.sample_rate


def read_hts_labels(path) -> list[tuple[float, float, str]]:
    """Read an HTS label file: one ``(start_s, end_s, arpabet)`` per line, in file order.

    Each line is ``start end label`` with times in units of 100 ns; the phone is the part of a
    full-context label between ``-`` and ``+`` (``x^sil-hh+iy=t@...`` -> ``hh``); a label with
    neither is read whole (monophone files). Blank lines are skipped. Raises ``ValueError`` for
    a missing file, a malformed line, times that are not integers, an end before its start, a
    segment starting before the previous one ends, or a file without segments.

    Explained in notebook 03, section "Human speech: what transfers".
    """
    path = validate.existing_file(path, "path", "label file")
    segments: list[tuple[float, float, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip():
            segments.append(_hts_segment(line, f"{path.name} line {number}", segments))
    if not segments:
        raise ValueError(f"label file {str(path)!r} must hold at least one segment, got none")
    return segments


def _hts_segment(line: str, where: str, previous: list) -> tuple[float, float, str]:
    """One ``start end label`` line as ``(start_s, end_s, phone)``, checked against ``previous``."""
    fields = line.split()
    if len(fields) != 3 or not (fields[0].isdigit() and fields[1].isdigit()):
        raise ValueError(f"{where} must read 'start end label' with integer times in 100 ns, "
                         f"got {line.strip()[:60]!r}")
    start, end = (int(fields[0]) / _HTS_STEPS_PER_SECOND, int(fields[1]) / _HTS_STEPS_PER_SECOND)
    label = fields[2]
    if "-" in label and "+" in label:
        label = label.split("-", 1)[1].split("+", 1)[0]
    if end < start or (previous and start < previous[-1][1] - 1e-9):
        raise ValueError(f"{where} must start at or after the previous end and end at or "
                         f"after its start, got {start:.4f}-{end:.4f} s")
    return start, end, label


def load_real_recording(name: str) -> RealRecording:
    """Load one of the human recordings of :data:`REAL_RECORDINGS` at 16 kHz.

    ``name`` is a key of :data:`REAL_RECORDINGS` (``"arctic_a0007"``, ``"arctic_a0009"``).
    The audio is read by :func:`load_audio`; a recording with an HTS label file gets its
    reference phones in eSpeak labels (:func:`read_hts_labels`, then
    :func:`course_lib.phones.arpabet_to_phones`).

    Explained in notebook 03, section "Human speech: what transfers".
    """
    from course_lib.phones import arpabet_to_phones

    name = validate.choice(validate.text(name, "name"), "name", tuple(REAL_RECORDINGS))
    audio_file, speaker, text, label_file = REAL_RECORDINGS[name]
    waveform = load_audio(REAL_SPEECH_DIR / audio_file)
    reference = None
    if label_file is not None:
        reference = arpabet_to_phones(read_hts_labels(REAL_SPEECH_DIR / label_file))
    return RealRecording(name, text, speaker, waveform, SAMPLE_RATE, reference)
