"""A classical forced aligner: one 3-state left-to-right HMM per phone, Gaussian emissions on MFCCs.

Given a waveform and the phones it contains, in order, :meth:`PhoneAligner.align` finds when
each phone starts and ends: it strings the phones' HMMs into one left-to-right chain and lets
Viterbi (``course_lib.hmm``) pick the best path through it.

Training (:func:`train_phone_aligner`) needs only transcripts, not timings: a *flat start*
cuts every training utterance into equal parts, one per HMM state, and fits a Gaussian to each
state's frames; then *Viterbi training* alternates between aligning every utterance with the
current model and refitting the Gaussians and self-loops to the new alignment. The synthesizer's
true timings are used only to score the result.

Usage::

    from course_lib.aligner import load_phone_aligner
    aligner = load_phone_aligner()                     # the trained model shipped in data/
    phones = aligner.align(utterance.waveform, utterance.phone_labels)   # list[Phone]

Retrain and evaluate from the command line with ``python -m course_lib.aligner``.

Explained in notebook 02, section "A real forced aligner".
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from course_lib import hmm, validate
from course_lib.data import TRAINING_CORPORA, WEIGHTS_DIR, build_corpus, build_held_out
from course_lib.features import (DEFAULT_HOP_MS, DEFAULT_WINDOW_MS, SAMPLE_RATE, add_deltas,
                                 frame_times, mfcc, ms_to_samples)
from course_lib.metrics import boundary_errors
from course_lib.phones import inventory
from course_lib.synth import Phone, Utterance
from course_lib.threads import limited_threads

STATES_PER_PHONE = 3
VARIANCE_FLOOR = 1e-2  # features have unit variance per utterance; no state may be sharper
ALIGNER_PATH = WEIGHTS_DIR / "phone_aligner.npz"


def aligner_features(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """13 MFCCs with deltas and double deltas, normalized per utterance: shape (n_frames, 39).

    Each dimension has its mean removed and is divided by its standard deviation over the
    utterance (cepstral mean and variance normalization), which takes out much of what the
    speaker and the channel add. Frame i is centred at ``features.frame_times(n)[i]`` (25 ms
    windows every 10 ms, uncentred framing).
    Explained in notebook 02, section "A real forced aligner".
    """
    features = add_deltas(mfcc(waveform, sample_rate))
    return (features - features.mean(axis=0)) / np.maximum(features.std(axis=0), 1e-8)


def frame_to_seconds(frame: int | np.ndarray, sample_rate: int = SAMPLE_RATE
                     ) -> float | np.ndarray:
    """Time of the boundary just before ``frame``: halfway between its centre and the previous.

    Frame centres are ``features.frame_times`` (25 ms windows every 10 ms, uncentred), so the
    boundary between frames i - 1 and i lies half a hop before the centre of frame i
    (7.5 ms after ``i * hop`` for 25 ms / 10 ms)::

        frame      i - 1        i
        centre       |          |
        boundary          ^  (centre of i - hop / 2)

    Explained in notebook 02, section "A real forced aligner".
    """
    frames = validate.array(frame, "frame", dtype=np.int64, min_length=0)
    if frames.size and frames.min() < 0:
        raise ValueError(f"frame must be >= 0, got {frames.min()}")
    hop = ms_to_samples(DEFAULT_HOP_MS, sample_rate)
    window = ms_to_samples(DEFAULT_WINDOW_MS, sample_rate)
    # centre of frame i minus half a hop = centre of a (window - hop)-sample frame at the same
    # hop: one division, so the times are exactly (i * hop + (window - hop) / 2) / sample_rate
    boundaries = frame_times(int(frames.max()) + 1 if frames.size else 0, hop_length=hop,
                             frame_length=window - hop, sample_rate=sample_rate)[frames]
    return float(boundaries) if boundaries.ndim == 0 else boundaries


@dataclass(frozen=True, eq=False)
class PhoneAligner:
    """A trained set of phone HMMs. State ``3 i + j`` is state j (onset, middle, release) of
    phone ``phones[i]``.

    Attributes:
        phones: the phone inventory (IPA labels, ``"sil"`` for pauses).
        means, variances: diagonal Gaussian of each state, shape (n_phones * 3, n_dims).
        self_loops: probability that each state stays for another frame, (n_phones * 3,).
        history: mean log-likelihood per frame of the training alignments, per iteration.

    Explained in notebook 02, section "A real forced aligner".
    """

    phones: tuple[str, ...]
    means: np.ndarray
    variances: np.ndarray
    self_loops: np.ndarray
    history: tuple[float, ...] = ()

    def chain(self, phone_labels) -> np.ndarray:
        """Model states of the left-to-right chain for a phone sequence, (3 * n_labels,)::

            phones   k           æ           t
            states   k0 k1 k2 -> æ0 æ1 æ2 -> t0 t1 t2     (onset, middle, release)

        ``phone_labels`` is a list (or array) of labels; a single string is refused: write
        ``["sil"]``, not ``"sil"``. Explained in notebook 02, section "A real forced aligner".
        """
        phone_labels = validate.labels(phone_labels, "phone_labels", min_length=1)
        unknown = sorted(set(phone_labels) - set(self.phones))
        if unknown:
            raise ValueError(f"phone_labels must hold phones the aligner knows, got unknown "
                             f"phones {unknown}")
        index = {label: i for i, label in enumerate(self.phones)}
        first_states = np.array([STATES_PER_PHONE * index[label] for label in phone_labels])
        return (first_states[:, None] + np.arange(STATES_PER_PHONE)).ravel()

    def log_emission(self, features: np.ndarray) -> np.ndarray:
        """Gaussian log density of every frame under every state, shape (n_frames, n_states).
        Explained in notebook 02."""
        precision = 1.0 / self.variances
        constant = -0.5 * (np.log(2 * np.pi * self.variances).sum(axis=1)
                           + (self.means ** 2 * precision).sum(axis=1))
        return (constant - 0.5 * (features ** 2) @ precision.T
                + features @ (self.means * precision).T)

    def align_frames(self, features: np.ndarray, phone_labels: list[str]):
        """Viterbi path through the chain of ``phone_labels``: must start in the first state
        and end in the last.

        Returns:
            ``(positions, log_score)``: positions of shape (n_frames,), the index into the chain
            (0 .. 3 * n_labels - 1) of each frame, and the path's log probability.

        Raises:
            ValueError: if there are fewer frames than states (each state needs one frame).

        Explained in notebook 02, section "A real forced aligner".
        """
        chain = self.chain(phone_labels)
        if len(features) < len(chain):
            raise ValueError(f"{len(features)} frames cannot hold {len(phone_labels)} phones of "
                             f"{STATES_PER_PHONE} states each: the audio is too short")
        log_start = np.full(len(chain), -np.inf)
        log_start[0] = 0.0
        log_end = np.full(len(chain), -np.inf)
        log_end[-1] = 0.0
        return hmm.viterbi(log_start, hmm.left_to_right(self.self_loops[chain]),
                           self.log_emission(features)[:, chain], log_end)

    def align(self, waveform: np.ndarray, phone_labels: list[str],
              sample_rate: int = SAMPLE_RATE) -> list[Phone]:
        """Forced alignment: when does each phone of ``phone_labels`` start and end?

        Args:
            waveform: samples, shape (n_samples,).
            phone_labels: the phones spoken, in order (e.g. ``utterance.phone_labels``).
            sample_rate: of the waveform.

        Returns:
            One :class:`course_lib.synth.Phone` per label (stress 0), contiguous, from 0 to the
            end of the waveform; boundaries fall between 10 ms frames (``frame_to_seconds``).

        A single string is refused (``align(w, "sil")`` would read s, i, l): pass ``["sil"]``;
        a NumPy array of labels is accepted.
        Explained in notebook 02, section "A real forced aligner".
        """
        phone_labels = validate.labels(phone_labels, "phone_labels", min_length=1)
        waveform = validate.waveform(waveform, "waveform")
        sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
        positions, _ = self.align_frames(aligner_features(waveform, sample_rate), phone_labels)
        phone_of_frame = positions // STATES_PER_PHONE
        first_frames = np.searchsorted(phone_of_frame, np.arange(len(phone_labels)))
        starts = [0.0] + [frame_to_seconds(f, sample_rate) for f in first_frames[1:]]
        ends = starts[1:] + [len(waveform) / sample_rate]
        return [Phone(label, start, end) for label, start, end in zip(phone_labels, starts, ends)]

    def decode_phone_loop(self, waveform: np.ndarray, self_loop: float,
                          sample_rate: int = SAMPLE_RATE) -> list[Phone]:
        """Phone recognition without a transcript: Viterbi through a loop of all phone HMMs.

        Every state stays with probability ``self_loop`` (the trained self-loops are replaced);
        the last state of a phone moves on to the first state of any phone, all equally likely.
        With no transcript to fix the number of phones, the self-loop now decides how many
        segments the decoder prefers: the duration model at work (in forced alignment a
        self-loop shared by all states changes nothing, as notebook 02 shows).

        Returns:
            The decoded phones, contiguous from 0 to the end of the waveform.
        """
        hmm.expected_duration(self_loop)  # validates
        n_phones, n_states = len(self.phones), len(self.self_loops)
        transition = np.zeros((n_states, n_states))
        transition[np.arange(n_states), np.arange(n_states)] = self_loop
        within = np.arange(n_states).reshape(n_phones, STATES_PER_PHONE)[:, :-1].ravel()
        transition[within, within + 1] = 1 - self_loop
        transition[STATES_PER_PHONE - 1::STATES_PER_PHONE, ::STATES_PER_PHONE] = \
            (1 - self_loop) / n_phones
        log_start = np.full(n_states, -np.inf)
        log_start[::STATES_PER_PHONE] = -np.log(n_phones)
        with np.errstate(divide="ignore"):
            log_transition = np.log(transition)
        features = aligner_features(waveform, sample_rate)
        states, _ = hmm.viterbi(log_start, log_transition, self.log_emission(features))
        new_phone = np.flatnonzero((np.diff(states) != 0) & (states[1:] % STATES_PER_PHONE == 0))
        first_frames = np.concatenate([[0], new_phone + 1])
        starts = [0.0] + [frame_to_seconds(f, sample_rate) for f in first_frames[1:]]
        ends = starts[1:] + [len(waveform) / sample_rate]
        labels = [self.phones[states[f] // STATES_PER_PHONE] for f in first_frames]
        return [Phone(label, start, end) for label, start, end in zip(labels, starts, ends)]

    def save(self, path: str | Path) -> Path:
        """Write the model to a small ``.npz`` file at ``path`` (``.npz`` is appended if the
        name lacks it) and return the path written; :func:`load_phone_aligner` reads it back
        from either name. There is no default: the shipped model is overwritten only if you
        name it. Explained in notebook 02."""
        if path is None or not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a file name (str or Path), got "
                            f"{validate.describe(path)}")
        path = _with_npz_suffix(Path(path))
        np.savez(path, phones=np.array(json.dumps(self.phones)), means=self.means,
                 variances=self.variances, self_loops=self.self_loops,
                 history=np.array(self.history))
        return path


def _with_npz_suffix(path: Path) -> Path:
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_phone_aligner(path: str | Path | None = None) -> PhoneAligner:
    """The aligner saved by :meth:`PhoneAligner.save` at ``path`` (with or without its
    ``.npz``), or the one shipped in ``data/`` (``path=None``).
    Explained in notebook 02, section "A real forced aligner"."""
    path = ALIGNER_PATH if path is None else Path(path)
    if not path.is_file() and _with_npz_suffix(path).is_file():
        path = _with_npz_suffix(path)
    if not path.is_file():
        raise ValueError(f"no trained aligner at {str(path)!r}: run python -m course_lib.aligner")
    with np.load(path) as archive:
        return PhoneAligner(tuple(json.loads(str(archive["phones"]))), archive["means"],
                            archive["variances"], archive["self_loops"],
                            tuple(archive["history"].tolist()))


def _fit_states(features: list[np.ndarray], states: list[np.ndarray], n_states: int):
    """Gaussian of each state from the frames assigned to it, and each state's self-loop."""
    frames = np.concatenate(features)
    state_of_frame = np.concatenate(states)
    counts = np.bincount(state_of_frame, minlength=n_states).astype(np.float64)
    if np.any(counts == 0):
        raise ValueError("some phone state received no training frames")
    sums = np.stack([np.bincount(state_of_frame, frames[:, d], n_states)
                     for d in range(frames.shape[1])], axis=1)
    squares = np.stack([np.bincount(state_of_frame, frames[:, d] ** 2, n_states)
                        for d in range(frames.shape[1])], axis=1)
    means = sums / counts[:, None]
    variances = np.maximum(squares / counts[:, None] - means ** 2, VARIANCE_FLOOR)
    stays = np.zeros(n_states)
    leaves = np.zeros(n_states)
    for chain_states in states:
        same = chain_states[1:] == chain_states[:-1]
        np.add.at(stays, chain_states[:-1][same], 1)
        np.add.at(leaves, chain_states[:-1][~same], 1)
    self_loops = (stays + 1) / (stays + leaves + 2)  # add-one smoothing
    return means, variances, self_loops


def train_phone_aligner(utterances: list[Utterance], n_iterations: int = 8,
                        progress: bool = True) -> PhoneAligner:
    """Train phone HMMs from transcripts alone: flat start, then Viterbi training.

    Args:
        utterances: training utterances; only their waveforms and ``phone_labels`` are used.
        n_iterations: rounds of (align every utterance, refit every state).
        progress: show a progress bar.

    Returns:
        A :class:`PhoneAligner` whose ``history`` holds the mean Viterbi log-likelihood per
        frame after each round (it rises as the model improves). Nothing is written to disk
        (:func:`train` saves). Explained in notebook 02, section "A real forced aligner".
    """
    if len(utterances) == 0:
        raise ValueError("utterances must hold at least one utterance, got none")
    n_iterations = validate.integer(n_iterations, "n_iterations", minimum=1)
    with limited_threads(1):  # small matrices: threads only cost time
        return _train(utterances, n_iterations, progress)


def _train(utterances: list[Utterance], n_iterations: int, progress: bool) -> PhoneAligner:
    features = [aligner_features(u.waveform, u.sample_rate) for u in utterances]
    labels = [u.phone_labels for u in utterances]
    known = inventory(utterances)
    n_states = STATES_PER_PHONE * len(known)
    aligner = PhoneAligner(known, np.zeros((n_states, 1)), np.ones((n_states, 1)),
                           np.full(n_states, 0.5))
    chains = [aligner.chain(phone_labels) for phone_labels in labels]

    # flat start: each utterance cut into equal parts, one per state of its chain
    states = [chain[np.arange(len(f)) * len(chain) // len(f)] for f, chain in zip(features, chains)]
    history = []
    for _ in tqdm(range(n_iterations), desc="Viterbi training", disable=not progress):
        aligner = PhoneAligner(known, *_fit_states(features, states, n_states))
        total_score, states = 0.0, []
        for f, phone_labels, chain in zip(features, labels, chains):
            positions, log_score = aligner.align_frames(f, phone_labels)
            states.append(chain[positions])
            total_score += log_score
        history.append(total_score / sum(len(f) for f in features))
    return PhoneAligner(known, *_fit_states(features, states, n_states), tuple(history))


def evaluate(aligner: PhoneAligner, utterances: list[Utterance]) -> dict[str, float]:
    """Boundary errors of the aligner on utterances with known timings.

    Returns:
        ``{"mean_ms", "median_ms", "within_20ms", "n_boundaries"}``: mean and median absolute
        boundary error (``course_lib.metrics.boundary_errors``) in milliseconds, and the share
        of boundaries within 20 ms. Explained in notebook 02, section "Scored against the truth".
    """
    if len(utterances) == 0:
        raise ValueError("utterances must hold at least one utterance, got none")
    with limited_threads(1):
        errors = np.concatenate([
            boundary_errors(aligner.align(u.waveform, u.phone_labels, u.sample_rate), u.phones)
            for u in utterances
        ])
    return dict(mean_ms=1000 * errors.mean(), median_ms=1000 * np.median(errors),
                within_20ms=float(np.mean(errors <= 0.020)), n_boundaries=len(errors))


def train(n_utterances: int = TRAINING_CORPORA["aligner"]["n_utterances"],
          seed: int = TRAINING_CORPORA["aligner"]["seed"], n_iterations: int = 8, *,
          out: str | Path, progress: bool = True) -> PhoneAligner:
    """Train on the training split of ``build_corpus(n_utterances, seed=seed)`` (by default
    ``data.TRAINING_CORPORA["aligner"]``, 1,000 utterances of seed 2), save to
    ``out`` (required: the shipped model is overwritten only if you name it) and return the
    aligner as saved. Explained in notebook 02, section "A real forced aligner"."""
    corpus = build_corpus(n_utterances, seed=seed)
    path = train_phone_aligner(corpus.train, n_iterations, progress).save(out)
    return load_phone_aligner(path)


def main(argv: list[str] | None = None) -> None:
    """Command line: train on the default corpus's training split, score on its test split,
    save (``--out``, by default the shipped ``data/phone_aligner.npz``).

    Explained in notebook 02, section "A real forced aligner".
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int,
                        default=TRAINING_CORPORA["aligner"]["n_utterances"], help="corpus size")
    parser.add_argument("--seed", type=int, default=TRAINING_CORPORA["aligner"]["seed"],
                        help="corpus seed")
    parser.add_argument("--iterations", type=int, default=8, help="Viterbi training rounds")
    parser.add_argument("--out", type=Path, default=ALIGNER_PATH, help="where to save")
    args = parser.parse_args(argv)
    started = time.process_time()
    aligner = train(args.n_utterances, args.seed, args.iterations, out=args.out)
    print(f"trained in {(time.process_time() - started) / 60:.1f} min of CPU time")
    print("log-likelihood per frame by iteration:", " ".join(f"{h:.2f}" for h in aligner.history))
    for name, utterances in [("test split of the course corpus", build_corpus().test),
                             ("held-out sentences", build_held_out("sentences")),
                             ("held-out sentences, held-out voices", build_held_out("voices"))]:
        quality = evaluate(aligner, utterances)
        print(f"{name}: {len(utterances)} utterances, {quality['n_boundaries']} boundaries, "
              f"mean error {quality['mean_ms']:.1f} ms, median {quality['median_ms']:.1f} ms, "
              f"{100 * quality['within_20ms']:.1f}% within 20 ms")
    path = _with_npz_suffix(args.out)
    print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
