"""Hidden Markov models in log space: forward, backward, state posteriors and Viterbi.

Every function takes the model as three log-probability arrays and never leaves log space, so a
100,000-frame sequence runs without underflow:

* ``log_start``, shape (n_states,): log P(first state = s);
* ``log_transition``: either a dense (n_states, n_states) matrix, log P(s -> s'), or a
  :class:`Banded` left-to-right matrix that stores only the few transitions each state can make
  (to itself, to the next state, ...), so each frame costs O(n_states x n_bands) instead of
  O(n_states^2);
* ``log_emission``, shape (n_frames, n_states): log p(frame t | state s), e.g. Gaussian log
  densities of MFCC frames (these may be positive).

An optional ``log_end`` (n_states,) adds a score for the state the sequence ends in; forced
alignment uses it to insist that the path ends in the last state. Without it any state may end.

Explained in notebook 02, sections "A phone as three states with self-loops" to "What it costs";
the phone aligner built on top lives in ``course_lib.aligner``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib import validate

_TOLERANCE = 1e-6  # how far a row of probabilities may sum from 1


@dataclass(frozen=True, eq=False)
class Banded:
    """Left-to-right transitions stored by band: ``log_probs[s, k] = log P(s -> s + k)``.

    Band 0 is the self-loop, band 1 the step to the next state, band 2 a skip over one state.
    Entries that would leave the chain (``s + k >= n_states``) must be ``-inf``. For five
    states and three bands (``.`` is ``-inf``, never stored)::

        dense log A (from s, to s')          log_probs (n_states, n_bands)
              s'= 0   1   2   3   4                k = 0     1     2
        s = 0   [ a0  b0  c0  .   .  ]       s = 0   [ a0    b0    c0   ]
            1   [ .   a1  b1  c1  .  ]           1   [ a1    b1    c1   ]
            2   [ .   .   a2  b2  c2 ]   ->      2   [ a2    b2    c2   ]
            3   [ .   .   .   a3  b3 ]           3   [ a3    b3    -inf ]
            4   [ .   .   .   .   a4 ]           4   [ a4    -inf  -inf ]

    Row s of ``log_probs`` holds the diagonal entries ``A[s, s + k]``: O(S * n_bands) numbers
    instead of S * S.

    Attributes:
        log_probs: shape (n_states, n_bands).

    Explained in notebook 02, section "What it costs".
    """

    log_probs: np.ndarray

    def dense(self) -> np.ndarray:
        """The same transitions as a full (n_states, n_states) log matrix (-inf elsewhere).

        Explained in notebook 02.
        """
        n_states, n_bands = self.log_probs.shape
        matrix = np.full((n_states, n_states), -np.inf)
        for k in range(n_bands):
            rows = np.arange(n_states - k)
            matrix[rows, rows + k] = self.log_probs[rows, k]
        return matrix


def left_to_right(self_loops) -> Banded:
    """A left-to-right chain: state ``s`` stays with ``self_loops[s]`` or moves on to ``s + 1``.

    The last state has nowhere to go, so it always stays (its self-loop is set to 1).

    Args:
        self_loops: self-loop probabilities (not logs), shape (n_states,), each in [0, 1].

    Returns:
        A :class:`Banded` with two bands, ``log [p, 1 - p]`` per state.

    Explained in notebook 02, section "The algorithms, in log space, step by step".
    """
    self_loops = validate.array(self_loops, "self_loops", ndim=1)
    if np.any((self_loops < 0) | (self_loops > 1)):
        raise ValueError(f"self_loops must be probabilities in [0, 1], got values from "
                         f"{self_loops.min():g} to {self_loops.max():g}")
    stay = self_loops.copy()
    stay[-1] = 1.0
    with np.errstate(divide="ignore"):
        return Banded(np.log(np.stack([stay, 1.0 - stay], axis=1)))


# --- validation ---

def _logsumexp(values: np.ndarray, axis=None) -> np.ndarray:
    """log(sum(exp(values))) along ``axis``, exact for -inf entries and without overflow."""
    peak = np.max(values, axis=axis, keepdims=True)
    safe_peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(values - safe_peak), axis=axis, keepdims=True)) + safe_peak
    return np.squeeze(total, axis=axis) if axis is not None else total.reshape(())


def _check_log_distribution(values: np.ndarray, name: str) -> None:
    """Rows of ``values`` (last axis, already through ``validate.array``) must be
    log-probabilities that sum to 1."""
    if np.any(values > _TOLERANCE):
        raise ValueError(f"{name} has positive entries, so it holds probabilities, not "
                         f"log-probabilities: pass np.log of it")
    totals = np.exp(_logsumexp(values, axis=-1))
    if np.any(np.abs(totals - 1.0) > _TOLERANCE):
        worst = totals.flat[np.argmax(np.abs(totals - 1.0))]
        raise ValueError(f"{name} must hold log-probabilities whose exponentials sum to 1 "
                         f"(per row); one sums to {worst:.6g}")


def _check_model(log_start, log_transition, log_emission, log_end, *, with_start=True):
    """Validate and convert the model arrays; returns them (``log_start`` is ignored and
    returned as None when ``with_start`` is False, as backward() has no use for it)."""
    log_emission = validate.array(log_emission, "log_emission", ndim=2, min_length=0,
                                  allow_inf=True)
    n_frames, n_states = log_emission.shape
    if n_frames == 0:
        raise ValueError(f"log_emission must have at least one frame (an empty sequence has "
                         f"no path), got shape {log_emission.shape}")
    if n_states == 0:
        raise ValueError(f"log_emission must have at least one state, got shape "
                         f"{log_emission.shape}")

    if isinstance(log_transition, Banded):
        bands = validate.array(log_transition.log_probs, "log_transition", min_length=0,
                               allow_inf=True)
        if bands.ndim != 2 or bands.shape[0] != n_states or bands.shape[1] == 0:
            raise ValueError(f"a Banded log_transition needs log_probs of shape (n_states, "
                             f"n_bands) = ({n_states}, n_bands >= 1), got {bands.shape}")
        outside = np.arange(n_states)[:, None] + np.arange(bands.shape[1]) >= n_states
        if np.any(bands[outside] != -np.inf):
            raise ValueError("Banded log_transition has finite entries that leave the chain "
                             "(log_probs[s, k] with s + k >= n_states must be -inf)")
        _check_log_distribution(bands, "log_transition")
        log_transition = Banded(bands[:, :n_states])  # bands past the chain's length are empty
    else:
        log_transition = validate.array(log_transition, "log_transition", min_length=0,
                                        allow_inf=True)
        if log_transition.shape != (n_states, n_states):
            raise ValueError(f"log_transition must have shape (n_states, n_states) = "
                             f"({n_states}, {n_states}) or be Banded, got {log_transition.shape}")
        _check_log_distribution(log_transition, "log_transition")

    if not with_start:
        log_start = None
    else:
        log_start = validate.array(log_start, "log_start", min_length=0, allow_inf=True)
        if log_start.shape != (n_states,):
            raise ValueError(f"log_start must have shape (n_states,) = ({n_states},), "
                             f"got {log_start.shape}")
        _check_log_distribution(log_start, "log_start")

    if log_end is None:
        log_end = np.zeros(n_states)
    else:
        log_end = validate.array(log_end, "log_end", min_length=0, allow_inf=True)
        if log_end.shape != (n_states,):
            raise ValueError(f"log_end must have shape (n_states,) = ({n_states},), "
                             f"got {log_end.shape}")
        if np.any(log_end > _TOLERANCE):
            raise ValueError("log_end must hold log-probabilities (<= 0), e.g. 0 for states "
                             "that may end the sequence and -inf for the others")
        if np.all(log_end == -np.inf):
            raise ValueError("log_end allows no state to end the sequence")
    return log_start, log_transition, log_emission, log_end


# --- banded transitions, seen from the receiving state ---

def _incoming(bands: np.ndarray) -> np.ndarray:
    """``incoming[k, s] = bands[s - k, k]``: log P(reaching s from s - k), -inf where s < k."""
    n_states, n_bands = bands.shape
    incoming = np.full((n_bands, n_states), -np.inf)
    for k in range(n_bands):
        incoming[k, k:] = bands[:n_states - k, k]
    return incoming


# --- the algorithms ---

def forward(log_start, log_transition, log_emission, log_end=None):
    """The forward algorithm: ``log_alpha[t, s] = log p(frames 0..t, state at t = s)``.

    ``log_alpha[t] = logsumexp_s' (log_alpha[t-1, s'] + log_transition[s', s]) + log_emission[t]``,
    which sums the probabilities of all paths into each state without ever leaving log space.

    Args:
        log_start: (n_states,) log initial probabilities.
        log_transition: (n_states, n_states) log matrix, or a :class:`Banded` one.
        log_emission: (n_frames, n_states) log emission densities.
        log_end: optional (n_states,) log end scores (see the module docstring).

    Returns:
        ``(log_alpha, log_likelihood)``: log_alpha of shape (n_frames, n_states) and the log
        probability of the whole sequence, summed over every path.

    Raises:
        ValueError: on wrong shapes, rows that are not distributions, probabilities passed
            instead of log-probabilities, NaN, or an empty sequence.

    Explained in notebook 02, section "Forward".
    """
    log_start, log_transition, log_emission, log_end = _check_model(
        log_start, log_transition, log_emission, log_end)
    log_alpha = np.empty_like(log_emission)
    log_alpha[0] = log_start + log_emission[0]
    if isinstance(log_transition, Banded):
        incoming = _incoming(log_transition.log_probs)
        n_states = log_emission.shape[1]
        total = np.empty(n_states)
        from_behind = np.full_like(incoming, -np.inf)  # row k: what arrives from k states back
        for t in range(1, len(log_emission)):
            np.add(log_alpha[t - 1], incoming[0], out=total)
            for k in range(1, len(incoming)):
                np.add(log_alpha[t - 1, :n_states - k], incoming[k, k:], out=from_behind[k, k:])
                np.logaddexp(total, from_behind[k], out=total)
            np.add(total, log_emission[t], out=log_alpha[t])
    else:
        for t in range(1, len(log_emission)):
            log_alpha[t] = (_logsumexp(log_alpha[t - 1][:, None] + log_transition, axis=0)
                            + log_emission[t])
    return log_alpha, float(_logsumexp(log_alpha[-1] + log_end))


def backward(log_transition, log_emission, log_end=None) -> np.ndarray:
    """The backward algorithm: ``log_beta[t, s] = log p(frames t+1.. | state at t = s)``.

    Same arguments as :func:`forward` (the start distribution plays no part). Returns
    log_beta, shape (n_frames, n_states); its last row is ``log_end`` (zeros by default).

    Explained in notebook 02, section "Backward and state posteriors".
    """
    _, log_transition, log_emission, log_end = _check_model(
        None, log_transition, log_emission, log_end, with_start=False)
    log_beta = np.empty_like(log_emission)
    log_beta[-1] = log_end
    if isinstance(log_transition, Banded):
        bands = log_transition.log_probs
        n_states, n_bands = bands.shape
        ahead = np.full((n_bands, n_states), -np.inf)  # ahead[k, s]: via the move s -> s + k
        for t in range(len(log_emission) - 2, -1, -1):
            following = log_beta[t + 1] + log_emission[t + 1]
            for k in range(n_bands):
                np.add(bands[:n_states - k, k], following[k:], out=ahead[k, :n_states - k])
            log_beta[t] = np.logaddexp.reduce(ahead, axis=0)
    else:
        for t in range(len(log_emission) - 2, -1, -1):
            following = log_beta[t + 1] + log_emission[t + 1]
            log_beta[t] = _logsumexp(log_transition + following[None, :], axis=1)
    return log_beta


def state_posteriors(log_start, log_transition, log_emission, log_end=None):
    """P(state at t = s | all frames): forward times backward, normalized.

    Returns:
        ``(posteriors, log_likelihood)``: posteriors of shape (n_frames, n_states), each row
        summing to 1, and the sequence log-likelihood from :func:`forward`.

    Raises:
        ValueError: as :func:`forward`, and if no path fits the sequence (probability 0).

    Explained in notebook 02, section "Backward and state posteriors".
    """
    log_alpha, log_likelihood = forward(log_start, log_transition, log_emission, log_end)
    if log_likelihood == -np.inf:
        raise ValueError("the sequence has probability 0 under this model: no path fits it")
    log_beta = backward(log_transition, log_emission, log_end)
    log_gamma = log_alpha + log_beta
    log_gamma -= _logsumexp(log_gamma, axis=1)[:, None]  # each row sums to the likelihood
    return np.exp(log_gamma), log_likelihood


def viterbi(log_start, log_transition, log_emission, log_end=None):
    """The Viterbi algorithm: the single most probable state path and its log probability.

    The forward recursion with the sum replaced by a max gives ``log_delta[t, s]``, the score
    of the best path ending in s at t, and remembers which predecessor gave it (the
    lowest-numbered one on ties); following those back-pointers from the best final state
    recovers the path.

    Same arguments as :func:`forward`.

    Returns:
        ``(path, log_score)``: path of shape (n_frames,) with a state index per frame, and the
        joint log probability of the frames and that path (``-inf`` if no path fits).

    Explained in notebook 02, section "Viterbi".
    """
    log_start, log_transition, log_emission, log_end = _check_model(
        log_start, log_transition, log_emission, log_end)
    n_frames, n_states = log_emission.shape
    log_delta = log_start + log_emission[0]
    if isinstance(log_transition, Banded):
        # back-pointers as "how many states back": a left-to-right step never goes forward
        steps_back = np.zeros((n_frames, n_states), dtype=np.int64)
        incoming = _incoming(log_transition.log_probs)
        best = np.empty(n_states)
        from_behind = np.full_like(incoming, -np.inf)  # row k: what arrives from k states back
        better = np.empty(n_states, dtype=bool)
        for t in range(1, n_frames):
            np.add(log_delta, incoming[0], out=best)
            for k in range(1, len(incoming)):
                np.add(log_delta[:n_states - k], incoming[k, k:], out=from_behind[k, k:])
                np.greater_equal(from_behind[k], best, out=better)  # ties: the lower state
                np.maximum(best, from_behind[k], out=best)
                np.copyto(steps_back[t, k:], k, where=better[k:])
            np.add(best, log_emission[t], out=log_delta)
        came_from = np.arange(n_states) - steps_back
    else:
        came_from = np.zeros((n_frames, n_states), dtype=np.int64)
        states = np.arange(n_states)
        for t in range(1, n_frames):
            scores = log_delta[:, None] + log_transition
            came_from[t] = np.argmax(scores, axis=0)
            log_delta = scores[came_from[t], states] + log_emission[t]

    final = log_delta + log_end
    path = np.empty(n_frames, dtype=np.int64)
    state = int(np.argmax(final))
    score = float(final[state])
    steps = came_from.tolist()
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state = steps[t][state]
    return path, score


def expected_duration(self_loop: float) -> float:
    """Mean number of frames spent in a state with this self-loop probability: 1 / (1 - p).

    The time in the state is geometric: P(d frames) = p^(d-1) (1 - p) for d = 1, 2, ...

    Explained in notebook 02, section "A phone as three states with self-loops".
    """
    self_loop = validate.real(self_loop, "self_loop", minimum=0, below=1)
    return 1.0 / (1.0 - self_loop)


def duration_distribution(self_loop: float, max_frames: int) -> np.ndarray:
    """P(d frames in the state) for d = 1..max_frames, shape (max_frames,): p^(d-1) (1 - p).

    Explained in notebook 02, section "A phone as three states with self-loops".
    """
    self_loop = validate.real(self_loop, "self_loop", minimum=0, below=1)
    max_frames = validate.integer(max_frames, "max_frames", minimum=1)
    durations = np.arange(1, max_frames + 1)
    return self_loop ** (durations - 1) * (1 - self_loop)


# --- how long a chain of states lasts ---

def chain_duration_distribution(self_loops, max_frames: int) -> np.ndarray:
    """P(a left-to-right chain of states lasts d frames), for d = 1..max_frames.

    State i keeps the path with probability ``self_loops[i]`` each frame, so its duration
    is geometric (:func:`duration_distribution`); the chain's duration is the sum of those
    independent durations, and its distribution the convolution of theirs. A chain of n
    states never lasts fewer than n frames: the first n - 1 entries are 0. A 3-state phone
    with self-loops 0.6::

        d       1    2    3      4      5      ...
        P(d)    0    0    0.064  0.1152 0.1382 ...    (0.4^3, 3 x 0.6 x 0.4^3, ...)

    Args:
        self_loops: (n_states,) self-loop probabilities, each in [0, 1).
        max_frames: the longest duration returned, at least 1.

    Returns:
        Shape (max_frames,): entry d - 1 is P(d frames). Exact for every d it holds (the
        durations past ``max_frames`` are left out, so the sum may fall short of 1).
        Explained in notebook 02, section "Geometric durations against real ones".
    """
    self_loops = validate.array(self_loops, "self_loops", ndim=1)
    if ((self_loops < 0) | (self_loops >= 1)).any():
        raise ValueError(f"self_loops must hold probabilities in [0, 1), got {self_loops}")
    max_frames = validate.integer(max_frames, "max_frames", minimum=1)
    total = np.zeros(max_frames + 1)  # P(the states so far last d frames), d = 0..max_frames
    total[0] = 1.0
    for self_loop in self_loops:
        one_state = np.concatenate([[0.0], duration_distribution(self_loop, max_frames)])
        total = np.convolve(total, one_state)[:max_frames + 1]
    return total[1:]
