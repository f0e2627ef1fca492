"""Codebook serialization: the orders in which a model can emit a (T, K) matrix of codec codes.

A residual-VQ codec gives K codes per frame, T frames: ``codes[t, k]`` is level k+1 of frame t.
A language model emits tokens in some order, and that order decides how many *sequential*
steps generation takes and which tokens each token can see. Five orders, by name:

============== ================================================== ======================
pattern        what one sequential step emits                     steps (``rates``)
============== ================================================== ======================
``flattening`` one token; frame by frame, level by level          T x K
``valle``      level 1 one frame at a time, then a whole level    T + K - 1
``delay``      one token of every level, level k lagging k frames T + K - 1
``masked``     the most confident of a level's masked tokens      16 + (K - 1) by default
``rq``         one level of one frame, in a small depth model     T x K depth, T + delay
                                                                  temporal
============== ================================================== ======================

Each pattern has a :func:`build` that lays the codes out as the model reads them and an exact
:func:`revert`, and a decode loop (:func:`decode`) that asks a *model function* for
log-probabilities and fills the matrix in the pattern's order. The model function is the one
interface a generator implements (notebook 10, part 2 trains them)::

    def model(step: DecodeStep) -> np.ndarray:   # (len(step.targets), codebook_size)
        ...  # log-probabilities for the code at each (frame, level) in step.targets

``step.codes`` is the matrix so far, with :data:`MASK` where nothing was generated yet; the
model may read any entry that is not MASK (the loop guarantees those are the ones the pattern
lets the targets condition on) and calls :func:`build` on it if it wants the pattern's own
layout. Every call of the model is one sequential step, so a stub model that counts its calls
measures the step counts of ``course_lib.rates``.

Explained in notebook 10, section "Tokens per second, and a code matrix from the codec".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_lib import validate
from course_lib.rates import SERIALIZATIONS

PATTERNS = SERIALIZATIONS
"""The five pattern names: ``("flattening", "valle", "delay", "masked", "rq")``."""

PAD = -1
"""A position of a built layout that holds no code (the delay and RQ patterns' corners).
A real generator maps it to an embedding of its own, e.g. row ``codebook_size``."""

MASK = -2
"""A code not generated yet, in :attr:`DecodeStep.codes` during decoding."""


# --- layouts: build and revert -----------------------------------------------------------------

def build(codes, pattern: str, *, acoustic_delay: int = 1) -> np.ndarray:
    """Lay out a (T, K) code matrix in the order ``pattern`` generates it.

    Drawn for T = 4 frames and K = 3 levels, with ``aN`` level 1 of frame N, ``bN`` level 2,
    ``cN`` level 3, and ``.`` for :data:`PAD`:

    ``"flattening"``: shape (T*K,), one token per step::

        a0 b0 c0 a1 b1 c1 a2 b2 c2 a3 b3 c3

    ``"valle"``: shape (K, T); row 0 is generated left to right (autoregressive), every later
    row in one parallel pass::

        a0 a1 a2 a3      <- T steps, one token each
        b0 b1 b2 b3      <- one pass
        c0 c1 c2 c3      <- one pass

    ``"delay"``: shape (T+K-1, K); row s is what step s emits, level k delayed by k::

        step 0: a0 .  .
        step 1: a1 b0 .
        step 2: a2 b1 c0
        step 3: a3 b2 c1
        step 4: .  b3 c2
        step 5: .  .  c3

    ``"masked"``: shape (T, K), the matrix itself: every frame is one position whose K
    embeddings the model sums (SoundStorm); the order is chosen while decoding::

        a0 b0 c0
        a1 b1 c1
        a2 b2 c2
        a3 b3 c3

    ``"rq"``: shape (T+d, K) with d = ``acoustic_delay``; row s is temporal step s, read level
    by level by the depth model, levels 2..K lagging level 1 by d frames (d = 1 here)::

        step 0: a0 .  .
        step 1: a1 b0 c0
        step 2: a2 b1 c1
        step 3: a3 b2 c2
        step 4: .  b3 c3

    Args:
        codes: (n_frames, n_codebooks) non-negative integer codes.
        pattern: one of :data:`PATTERNS`.
        acoustic_delay: frames by which levels 2..K lag level 1 (``"rq"`` only; >= 0).

    Returns:
        The int64 layout, a new array (never a view of ``codes``).

    Explained in notebook 10, section "Flattening: one token per step".
    """
    codes = _codes(codes)
    pattern = validate.choice(pattern, "pattern", PATTERNS)
    acoustic_delay = validate.integer(acoustic_delay, "acoustic_delay", minimum=0)
    n_frames, n_codebooks = codes.shape
    if pattern == "flattening":
        return codes.reshape(-1).copy()
    if pattern == "valle":
        return codes.T.copy()
    if pattern == "masked":
        return codes.copy()
    layout = np.full((n_frames + _lag(pattern, n_codebooks - 1, acoustic_delay, n_codebooks),
                      n_codebooks), PAD, dtype=np.int64)
    for level in range(n_codebooks):
        lag = _lag(pattern, level, acoustic_delay, n_codebooks)
        layout[lag:lag + n_frames, level] = codes[:, level]
    return layout


def revert(layout, pattern: str, *, n_codebooks: int | None = None,
           acoustic_delay: int = 1) -> np.ndarray:
    """The (T, K) code matrix that :func:`build` laid out as ``layout``: the exact inverse.

    Args:
        layout: what ``build(codes, pattern)`` returned (shapes in its docstring).
        pattern: one of :data:`PATTERNS`.
        n_codebooks: K, needed for ``"flattening"`` only (a flat sequence does not show it).
        acoustic_delay: the delay ``build`` used (``"rq"`` only).

    Raises:
        ValueError: if the layout cannot come from ``build``: a wrong shape, a length that
            is not a multiple of ``n_codebooks``, a code where padding belongs or padding
            where a code belongs.

    Explained in notebook 10, section "Flattening: one token per step".
    """
    pattern = validate.choice(pattern, "pattern", PATTERNS)
    acoustic_delay = validate.integer(acoustic_delay, "acoustic_delay", minimum=0)
    if pattern == "flattening":
        return _revert_flattening(layout, n_codebooks)
    layout = validate.array(layout, "layout", ndim=2, dtype=np.int64, min_length=1)
    if pattern == "valle":
        return _codes(layout.T, "layout").copy()
    if pattern == "masked":
        return _codes(layout, "layout").copy()
    return _revert_lagged(layout, pattern, acoustic_delay)


def _revert_flattening(layout, n_codebooks) -> np.ndarray:
    sequence = validate.array(layout, "layout", ndim=1, dtype=np.int64, min_length=1)
    if n_codebooks is None:
        raise TypeError("revert(..., 'flattening') needs n_codebooks (the flat sequence does "
                        "not show K), got None")
    n_codebooks = validate.integer(n_codebooks, "n_codebooks", minimum=1)
    if len(sequence) % n_codebooks:
        raise ValueError(f"layout must have a multiple of n_codebooks={n_codebooks} tokens, "
                         f"got {len(sequence)}")
    return _codes(sequence.reshape(-1, n_codebooks), "layout").copy()


def _revert_lagged(layout: np.ndarray, pattern: str, acoustic_delay: int) -> np.ndarray:
    """Undo the delay or RQ layout, checking that padding sits exactly where build put it."""
    n_rows, n_codebooks = layout.shape
    n_frames = n_rows - _lag(pattern, n_codebooks - 1, acoustic_delay, n_codebooks)
    if n_frames < 1:
        raise ValueError(f"layout must have more than {n_rows - n_frames} rows for "
                         f"{n_codebooks} codebooks in the {pattern!r} pattern, got {n_rows}")
    codes = np.empty((n_frames, n_codebooks), dtype=np.int64)
    is_code = np.zeros(layout.shape, dtype=bool)
    for level in range(n_codebooks):
        lag = _lag(pattern, level, acoustic_delay, n_codebooks)
        codes[:, level] = layout[lag:lag + n_frames, level]
        is_code[lag:lag + n_frames, level] = True
    if (layout[~is_code] != PAD).any() or (layout[is_code] < 0).any():
        raise ValueError(f"layout is not a {pattern!r} layout: padding ({PAD}) must fill "
                         "exactly the positions build leaves empty, codes (>= 0) the rest")
    return codes


def _lag(pattern: str, level: int, acoustic_delay: int, n_codebooks: int) -> int:
    """Rows by which ``level`` (0-based) is shifted down in the delay or RQ layout."""
    if pattern == "delay":
        return level
    return acoustic_delay if level > 0 and n_codebooks > 1 else 0


def _codes(codes, name: str = "codes") -> np.ndarray:
    values = validate.array(codes, name, ndim=2, dtype=np.int64, min_length=1)
    if (values < 0).any():
        raise ValueError(f"{name} must hold codebook indices >= 0, got a minimum of "
                         f"{values.min()} in {validate.describe(values)}")
    return values


# --- decoding --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecodeStep:
    """What a decode loop hands the model function at one sequential step.

    Attributes:
        pattern: the pattern being decoded (one of :data:`PATTERNS`).
        index: this call's number, 0, 1, 2, ... (the sequential step).
        codes: (n_frames, n_codebooks) int64 copy of the matrix so far, :data:`MASK` where no
            code was generated yet.
        targets: (n_targets, 2) int64 rows of (frame, level), both 0-based: the codes the
            model must give log-probabilities for, in this order.
        temporal_step: the large model's step: for ``"rq"`` the frame-step s that this depth
            step belongs to (T + delay of them); for other patterns equal to ``index``. An RQ
            generator runs its large (temporal) model when this changes and its small (depth)
            model on every call.

    Explained in notebook 10, section "Flattening: one token per step".
    """

    pattern: str
    index: int
    codes: np.ndarray
    targets: np.ndarray
    temporal_step: int


@dataclass(frozen=True)
class Decoding:
    """What :func:`decode` returns.

    Attributes:
        codes: (n_frames, n_codebooks) int64 generated codes.
        step_of: (n_frames, n_codebooks) int64: the index of the model call that fixed each
            code (its generation order; equal entries were fixed in parallel).
        n_steps: the number of model calls, ``step_of.max() + 1``.

    Explained in notebook 10, section "Flattening: one token per step".
    """

    codes: np.ndarray
    step_of: np.ndarray
    n_steps: int


Model = Callable[[DecodeStep], np.ndarray]


def decode(model: Model, pattern: str, n_frames: int, n_codebooks: int, *,
           rng: np.random.Generator | None = None, first_passes: int = 16,
           later_passes: int = 1, acoustic_delay: int = 1) -> Decoding:
    """Generate a (n_frames, n_codebooks) code matrix in ``pattern``'s order, calling ``model``
    once per sequential step.

    ``model(step)`` gets a :class:`DecodeStep` and returns an (n_targets, codebook_size) array
    of log-probabilities (``-inf`` allowed), one row per ``step.targets`` row. The loop picks
    each code greedily (the highest log-probability, the lowest code on ties), or samples it
    with ``rng``. The masked pattern fixes only the most confident of its targets per pass
    (:func:`most_confident`), with :func:`masked_schedule` saying how many; every other
    pattern fixes all of a step's targets.

    Args:
        model: the model function.
        pattern: one of :data:`PATTERNS`.
        n_frames, n_codebooks: T and K, both >= 1.
        rng: a NumPy ``Generator`` to sample with, or None for greedy (deterministic).
        first_passes, later_passes: masked passes on level 1 and on each later level.
        acoustic_delay: the RQ pattern's delay of levels 2..K, in frames.

    Returns:
        A :class:`Decoding`: the codes, the step that fixed each, the number of steps.

    Raises:
        ValueError: for a bad size or option, or a model output of the wrong shape or with
            NaN or +inf.

    Explained in notebook 10, section "Flattening: one token per step".
    """
    if not callable(model):
        raise TypeError(f"model must be a function of a DecodeStep, got {validate.describe(model)}")
    pattern = validate.choice(pattern, "pattern", PATTERNS)
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    n_codebooks = validate.integer(n_codebooks, "n_codebooks", minimum=1)
    if rng is not None:
        validate.generator(rng, "rng")
    first_passes = validate.integer(first_passes, "first_passes", minimum=1)
    later_passes = validate.integer(later_passes, "later_passes", minimum=1)
    acoustic_delay = validate.integer(acoustic_delay, "acoustic_delay", minimum=0)
    state = _State(model, pattern, n_frames, n_codebooks, rng)
    if pattern == "masked":
        for level in range(n_codebooks):
            state.unmask_level(level, first_passes if level == 0 else later_passes)
    else:
        for targets, temporal_step in _fixed_schedule(pattern, n_frames, n_codebooks,
                                                      acoustic_delay):
            tokens, _ = state.ask(targets, temporal_step)
            state.fix(targets, tokens)
    return Decoding(state.codes, state.step_of, state.n_calls)


def _fixed_schedule(pattern: str, n_frames: int, n_codebooks: int, acoustic_delay: int):
    """The (targets, temporal_step) of each step of a pattern whose order is known in advance."""
    grid = [(frame, level) for frame in range(n_frames) for level in range(n_codebooks)]
    if pattern == "flattening":
        return [(np.array([cell]), index) for index, cell in enumerate(grid)]
    if pattern == "valle":
        firsts = [(np.array([[frame, 0]]), frame) for frame in range(n_frames)]
        passes = [(np.array([[frame, level] for frame in range(n_frames)]), n_frames + level - 1)
                  for level in range(1, n_codebooks)]
        return firsts + passes
    if pattern == "delay":
        return [(np.array([[step - level, level] for level in range(n_codebooks)
                           if 0 <= step - level < n_frames]), step)
                for step in range(n_frames + n_codebooks - 1)]
    steps = []  # rq: per temporal step, one depth step per level that has a frame there
    for temporal_step in range(n_frames + (acoustic_delay if n_codebooks > 1 else 0)):
        for level in range(n_codebooks):
            frame = temporal_step - (acoustic_delay if level > 0 else 0)
            if 0 <= frame < n_frames:
                steps.append((np.array([[frame, level]]), temporal_step))
    return steps


class _State:
    """The matrix being filled, and the bookkeeping every decode loop shares."""

    def __init__(self, model, pattern, n_frames, n_codebooks, rng):
        self.model, self.pattern, self.rng = model, pattern, rng
        self.codes = np.full((n_frames, n_codebooks), MASK, dtype=np.int64)
        self.step_of = np.full((n_frames, n_codebooks), -1, dtype=np.int64)
        self.n_calls = 0

    def ask(self, targets: np.ndarray, temporal_step: int) -> tuple[np.ndarray, np.ndarray]:
        """Call the model once; return the chosen code and its log-probability per target."""
        step = DecodeStep(self.pattern, self.n_calls, self.codes.copy(),
                          targets.astype(np.int64), temporal_step)
        log_probs = validate.array(self.model(step), "the model's output", ndim=2,
                                   finite=True, allow_inf=True)
        if log_probs.shape[0] != len(targets):
            raise ValueError(f"the model's output must have one row per target "
                             f"({len(targets)}), got shape {log_probs.shape}")
        self.n_calls += 1
        tokens = _choose(log_probs, self.rng)
        return tokens, log_probs[np.arange(len(tokens)), tokens]

    def fix(self, targets: np.ndarray, tokens: np.ndarray) -> None:
        frames, levels = targets[:, 0], targets[:, 1]
        self.codes[frames, levels] = tokens
        self.step_of[frames, levels] = self.n_calls - 1

    def unmask_level(self, level: int, passes: int) -> None:
        """Masked decoding of one level: each pass asks for every masked code of the level and
        fixes the most confident ones, as many as the cosine schedule says."""
        n_frames = self.codes.shape[0]
        for n_fix in masked_schedule(n_frames, passes):
            frames = np.flatnonzero(self.codes[:, level] == MASK)
            targets = np.column_stack([frames, np.full(len(frames), level)])
            tokens, confidences = self.ask(targets, self.n_calls)
            chosen = most_confident(confidences[:, None], n_fix)
            self.fix(targets[chosen], tokens[chosen])


def _choose(log_probs: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """One code per row: the argmax, or a draw from the row's distribution with ``rng``."""
    if rng is None:
        return log_probs.argmax(axis=1)
    weights = np.exp(log_probs - log_probs.max(axis=1, keepdims=True))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(log_probs))[:, None]
    return np.minimum((cumulative < draws).sum(axis=1), log_probs.shape[1] - 1)


def masked_schedule(n_tokens: int, passes: int) -> np.ndarray:
    """How many of ``n_tokens`` masked tokens each of the passes fixes, on a cosine schedule.

    After pass p of P = min(passes, n_tokens), about ``n_tokens * cos(pi/2 * p/P)`` stay masked
    (MaskGIT's and SoundStorm's schedule: few tokens early, while little is known, more
    later). Every pass fixes at least one token, and the last fixes the rest, so there are
    exactly P passes and the counts add up to ``n_tokens``. For 10 tokens in 4 passes::

        still masked:  10 -> 9 -> 7 -> 3 -> 0
        fixed:              1    2    4    3

    Returns:
        (P,) int64 counts, each >= 1, summing to ``n_tokens``.

    Explained in notebook 10, section "Masked decoding: a few passes per level".
    """
    n_tokens = validate.integer(n_tokens, "n_tokens", minimum=1)
    passes = min(validate.integer(passes, "passes", minimum=1), n_tokens)
    masked = [n_tokens]
    for step in range(1, passes + 1):
        target = math.floor(n_tokens * math.cos(math.pi / 2 * step / passes) + 1e-9)
        masked.append(min(masked[-1] - 1, max(target, passes - step)))
    return -np.diff(np.array(masked, dtype=np.int64))


def most_confident(log_probs, n_fix: int) -> np.ndarray:
    """The rows of the ``n_fix`` targets the model is surest of: the highest best
    log-probability per row, the lower row first on ties; returned in increasing row order.

    Args:
        log_probs: (n_targets, codebook_size) log-probabilities (``-inf`` allowed).
        n_fix: how many rows to pick, 0..n_targets.

    Returns:
        (n_fix,) int64 row indices, sorted.

    Explained in notebook 10, section "Masked decoding: a few passes per level".
    """
    log_probs = validate.array(log_probs, "log_probs", ndim=2, min_length=1, finite=True,
                               allow_inf=True)
    n_fix = validate.integer(n_fix, "n_fix", minimum=0, maximum=len(log_probs))
    confidence = log_probs.max(axis=1)
    return np.sort(np.argsort(-confidence, kind="stable")[:n_fix])


# --- orders and context, for the figures -------------------------------------------------------

def generation_order(pattern: str, n_frames: int, n_codebooks: int, *, first_passes: int = 16,
                     later_passes: int = 1, acoustic_delay: int = 1,
                     seed: int = 0) -> np.ndarray:
    """The step at which ``pattern`` fixes each code: :attr:`Decoding.step_of` of a decode run
    with a stand-in model. Its log-probabilities are random (seeded), so for ``"masked"`` the
    order shows one possible run: which tokens come first depends on the model's confidence.

    Returns:
        (n_frames, n_codebooks) int64 step indices from 0.

    Explained in notebook 10, section "Five generation orders, drawn".
    """
    rng = np.random.default_rng(validate.integer(seed, "seed", minimum=0))

    def stand_in(step: DecodeStep) -> np.ndarray:
        return np.log(rng.dirichlet(np.ones(4), size=len(step.targets)))

    return decode(stand_in, pattern, n_frames, n_codebooks, first_passes=first_passes,
                  later_passes=later_passes, acoustic_delay=acoustic_delay).step_of


def context(step_of, frame: int, level: int) -> np.ndarray:
    """Which codes the code at (``frame``, ``level``) may condition on: those fixed at an
    earlier step. Codes of the same step are generated in parallel and do not see each other.

    Args:
        step_of: (n_frames, n_codebooks) step indices (:func:`generation_order`).
        frame, level: the code asked about, 0-based.

    Returns:
        (n_frames, n_codebooks) bool, True where the code is visible.

    Explained in notebook 10, section "Five generation orders, drawn".
    """
    step_of = validate.array(step_of, "step_of", ndim=2, dtype=np.int64, min_length=1)
    frame = validate.integer(frame, "frame", minimum=0, maximum=step_of.shape[0] - 1)
    level = validate.integer(level, "level", minimum=0, maximum=step_of.shape[1] - 1)
    return step_of < step_of[frame, level]
