"""Connectionist Temporal Classification (CTC) from scratch, in log space.

A CTC model emits, for every frame t, a distribution over the labels plus one extra symbol, the
*blank*. A *path* picks one symbol per frame; :func:`collapse` turns a path into a label
sequence by merging repeats and then deleting blanks (``- k k - æ æ t -`` -> ``k æ t``). The
probability of a label sequence is the sum over every path that collapses to it, computed
by a forward recursion over the 2L+1 states of the extended label sequence
``- y1 - y2 - ... - yL -`` in O(T L) time.

This module holds the tested versions of what notebook 03 derives: the collapse, the forward
and backward recursions, the loss and its gradient, the forced alignment (Viterbi on the
lattice: the best path for a known target), greedy and prefix beam search decoding, and
CTC-guided compression (merging encoder frames by the runs of a CTC model's greedy path; used
again by the adapters of notebook 08).

Shapes are time-major: ``log_probs`` is (n_frames, n_labels) of per-frame log-probabilities
(each row a log-softmax), ``target`` is (L,) of label indices that never contain the blank.

Explained in notebook 03, sections "The blank and the collapse function" to
"CTC-guided compression".
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from course_lib import validate

BLANK = 0
MERGE_MODES = ("average", "last", "confidence")


def runs(sequence) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal neighbours starts and ends: the course's one run-length helper.

    ``sequence`` is 1-D (labels, integers, a list or an array). Returns ``(starts, ends)``,
    int64 arrays with ``ends`` exclusive, covering every position once::

        sequence   sil sil k  k  æ  sil
        runs       [-----) [---) [) [)
        starts     0       2     4  5
        ends       2       4     5  6

    ``collapse``, ``ctc_segments``, ``quantize.deduplicate`` and ``rates.merged_segments``
    are all built on it. Explained in notebook 03, section "The blank and the collapse function".
    """
    values = np.asarray(sequence)
    if values.ndim != 1:
        raise ValueError(f"sequence must be 1-D, got shape {values.shape}")
    if len(values) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    changes = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate([[0], changes]).astype(np.int64), \
        np.concatenate([changes, [len(values)]]).astype(np.int64)


def collapse(path, blank: int = BLANK) -> list[int]:
    """The label sequence a CTC path stands for: merge runs of a symbol, then drop blanks.

    ``collapse([0, 3, 3, 0, 5, 5, 5, 0, 5]) == [3, 5, 5]``: the blank between the two runs
    of 5 keeps them apart. Collapsing twice changes nothing.

    Explained in notebook 03, section "The blank and the collapse function".
    """
    path = validate.label_indices(path, "path").tolist()
    blank = validate.integer(blank, "blank", minimum=0)
    starts, _ = runs(path)
    return [path[start] for start in starts if path[start] != blank]


def extend_with_blanks(target, blank: int = BLANK) -> np.ndarray:
    """The 2L+1 states of the CTC lattice: a blank before, between and after the labels.

    ``extend_with_blanks([3, 5, 5]) == [0, 3, 0, 5, 0, 5, 0]``. Even states are blanks, state
    2i+1 is label i; :func:`ctc_forward` draws a path through them.

    Explained in notebook 03, section "The 2L+1 lattice".
    """
    target = validate.label_indices(target, "target")
    blank = validate.integer(blank, "blank", minimum=0)
    extended = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    extended[1::2] = target
    return extended


def min_frames(target) -> int:
    """The fewest frames a path for ``target`` needs: one per label, plus one blank between
    each pair of equal neighbours (``k æ t`` needs 3 frames, ``l l`` needs 3).

    Explained in notebook 03, section "The blank and the collapse function".
    """
    target = validate.label_indices(target, "target")
    return int(len(target) + np.sum(target[1:] == target[:-1]))


def ctc_forward(log_probs: np.ndarray, target, blank: int = BLANK) -> np.ndarray:
    """Forward variables of the CTC lattice, in log space.

    ``log_alpha[t, s]`` is the log of the total probability of all path prefixes of frames
    0..t that end in state s of :func:`extend_with_blanks` and collapse to the labels so far.
    A state is reached from itself, from the state before, or -- when s is a label that
    differs from the label two states back -- by skipping the blank in between. One path
    of 7 frames for the target ``k æ t`` (``*`` marks its state at each frame)::

             s:  0   1   2   3   4   5   6
                 -   k   -   æ   -   t   -
        t = 0    *                            start in state 0 or 1
            1        *                        s-1 -> s: move on
            2        *                        s -> s: stay (k k collapses to k)
            3                *                s-2 -> s: skip the blank (k differs from æ)
            4                    *
            5                        *
            6                            *    end in state 2L-1 or 2L

    It collapses to ``k æ t``; ``log_alpha[t, s]`` sums over every such path prefix.

    Args:
        log_probs: (n_frames, n_labels) per-frame log-probabilities.
        target: (L,) label indices, none of them ``blank``.

    Returns:
        log_alpha, shape (n_frames, 2L+1); entries of unreachable states are -inf (never NaN).

    Explained in notebook 03, section "Counting paths, and the forward sum".
    """
    log_probs, target = _check(log_probs, target, blank)
    emissions = log_probs[:, extend_with_blanks(target, blank)]  # (T, S)
    can_skip = _skip_mask(target, blank)
    n_frames, n_states = emissions.shape
    # two -inf columns in front, so that "the state before" and "two states back" are slices
    padded = np.full((n_frames, n_states + 2), -np.inf)
    padded[0, 2:4] = emissions[0, :2]
    for t in range(1, n_frames):
        previous, current = padded[t - 1], padded[t, 2:]
        np.logaddexp(previous[2:], previous[1:-1], out=current)  # stay, or advance by one
        np.logaddexp(current, previous[:-2], out=current, where=can_skip)  # skip a blank
        current += emissions[t]
    return padded[:, 2:]


def ctc_backward(log_probs: np.ndarray, target, blank: int = BLANK) -> np.ndarray:
    """Backward variables of the CTC lattice, in log space.

    ``log_beta[t, s]`` is the log of the total probability of the frames t+1..T-1 given that
    frame t is in state s (the emission at frame t itself is *not* included, so that
    ``log_alpha + log_beta`` is the log-probability of all complete paths through (t, s)).

    Returns:
        log_beta, shape (n_frames, 2L+1).

    Explained in notebook 03, section "Backward, posteriors and the gradient".
    """
    log_probs, target = _check(log_probs, target, blank)
    emissions = log_probs[:, extend_with_blanks(target, blank)]
    # a transition s -> s+2 is allowed exactly when s+2 may skip back to s
    can_skip_ahead = np.zeros(emissions.shape[1], dtype=bool)
    can_skip_ahead[:-2] = _skip_mask(target, blank)[2:]
    n_frames, n_states = emissions.shape
    padded = np.full((n_frames, n_states + 2), -np.inf)  # two -inf columns at the end
    padded[-1, max(n_states - 2, 0):n_states] = 0.0  # both final states (one if target empty)
    following = np.full(n_states + 2, -np.inf)
    for t in range(n_frames - 2, -1, -1):
        np.add(padded[t + 1, :n_states], emissions[t + 1], out=following[:n_states])
        current = padded[t, :n_states]
        np.logaddexp(following[:-2], following[1:-1], out=current)
        np.logaddexp(current, following[2:], out=current, where=can_skip_ahead)
    return padded[:, :n_states]


def ctc_log_likelihood(log_probs: np.ndarray, target, blank: int = BLANK) -> float:
    """log P(target | input): the log of the summed probability of every path that collapses
    to ``target``, read off the last frame of the forward variables.

    A target that cannot fit in the frames (see :func:`min_frames`) has no path: the result
    is -inf and a ``RuntimeWarning`` says why.

    Explained in notebook 03, section "The loss, its gradient, and PyTorch".
    """
    log_probs, target = _check(log_probs, target, blank)
    if min_frames(target) > len(log_probs):  # decided before the (T, 2L+1) lattice is built
        _warn_if_too_short(len(log_probs), target)
        return -math.inf
    return float(_final_total(ctc_forward(log_probs, target, blank)))


def ctc_loss(log_probs: np.ndarray, target, blank: int = BLANK) -> float:
    """The CTC loss of one utterance: -log P(target | input). Equals
    ``torch.nn.functional.ctc_loss(..., reduction="sum")`` for a batch of one.

    Explained in notebook 03, section "The loss, its gradient, and PyTorch".
    """
    return -ctc_log_likelihood(log_probs, target, blank)


def ctc_state_posteriors(log_probs: np.ndarray, target, blank: int = BLANK) -> np.ndarray:
    """P(frame t is in lattice state s | input, target), shape (n_frames, 2L+1).

    Each row sums to 1: at every frame the paths that collapse to ``target`` are somewhere in
    the lattice. Raises ``ValueError`` if the target cannot fit in the frames.

    Explained in notebook 03, section "Backward, posteriors and the gradient".
    """
    log_probs, target = _check(log_probs, target, blank)
    if min_frames(target) > len(log_probs):
        raise ValueError(_too_short_message(len(log_probs), target))
    log_alpha = ctc_forward(log_probs, target, blank)
    log_beta = ctc_backward(log_probs, target, blank)
    log_likelihood = _final_total(log_alpha)
    return np.exp(log_alpha + log_beta - log_likelihood)


def ctc_gradient(log_probs: np.ndarray, target, blank: int = BLANK) -> np.ndarray:
    """Gradient of :func:`ctc_loss` with respect to ``log_probs``, shape (n_frames, n_labels).

    d loss / d log_probs[t, c] = -(expected number of paths' visits to symbol c at frame t):
    minus the state posteriors of :func:`ctc_state_posteriors` summed over the states that
    carry symbol c. (PyTorch's ``ctc_loss`` returns ``exp(log_probs)`` plus this, which is the
    gradient with respect to the logits of a log-softmax; both give the same gradient once
    propagated through the log-softmax.)

    Explained in notebook 03, section "Backward, posteriors and the gradient".
    """
    log_probs, target = _check(log_probs, target, blank)
    posteriors = ctc_state_posteriors(log_probs, target, blank)
    gradient = np.zeros_like(log_probs)
    np.add.at(gradient.T, extend_with_blanks(target, blank), -posteriors.T)
    return gradient


def best_path(log_probs: np.ndarray, target, blank: int = BLANK) -> tuple[np.ndarray, float]:
    """The single most probable path that collapses to ``target`` (Viterbi on the lattice).

    The forced alignment of notebook 03: the same recursion as :func:`ctc_forward` with max
    in place of log-sum-exp, followed by a trace back from the better of the two final states.

    Returns:
        (path, log_score): path is (n_frames,) of symbols per frame (blanks included) with
        ``collapse(path) == target``; log_score is the sum of their log-probabilities, never
        more than :func:`ctc_log_likelihood`.

    Raises:
        ValueError: if the target cannot fit in the frames.

    Explained in notebook 03, section "The forced alignment: the best path for a known target".
    """
    log_probs, target = _check(log_probs, target, blank)
    if min_frames(target) > len(log_probs):
        raise ValueError(_too_short_message(len(log_probs), target))
    extended = extend_with_blanks(target, blank)
    emissions = log_probs[:, extended]
    can_skip = _skip_mask(target, blank)
    n_frames, n_states = emissions.shape
    score = np.full(n_states, -np.inf)
    score[:2] = emissions[0, :2]
    came_from = np.zeros((n_frames, n_states), dtype=np.int64)  # steps back: 0, 1 or 2
    for t in range(1, n_frames):
        candidates = np.stack([score, _shift(score, 1), _shift(score, 2, can_skip)])
        came_from[t] = np.argmax(candidates, axis=0)
        score = candidates[came_from[t], np.arange(n_states)] + emissions[t]
    state = n_states - 1 if n_states == 1 or score[-1] >= score[-2] else n_states - 2
    log_score = float(score[state])
    states = np.empty(n_frames, dtype=np.int64)
    for t in range(n_frames - 1, -1, -1):
        states[t] = state
        state -= came_from[t, state]
    return extended[states], log_score


def greedy_decode(log_probs: np.ndarray, blank: int = BLANK) -> list[int]:
    """Greedy decoding: the most probable symbol at every frame (the greedy path), collapsed.

    Papers often call this "best path decoding"; the course keeps "best path" for the forced
    alignment of :func:`best_path`, the best path among those of a known target.

    Explained in notebook 03, section "Phone error rate on the test split".
    """
    log_probs = _check_log_probs(log_probs)
    blank = _check_blank(blank, log_probs)
    return collapse(np.argmax(log_probs, axis=1), blank)


def prefix_beam_search(
    log_probs: np.ndarray, beam_width: int = 8, blank: int = BLANK
) -> list[tuple[list[int], float]]:
    """Prefix beam search: keep the ``beam_width`` most probable label *prefixes*, each with
    the total probability of its paths ending in a blank and ending in its last label.

    Unlike greedy decoding this sums over paths: a labeling spread over many
    medium-probability paths can beat the single best path. At each frame only the
    ``beam_width`` most probable symbols are tried. With a beam at least as wide as the number
    of symbols and of possible prefixes, nothing is pruned: the scores are the exact CTC
    log-likelihoods of their labelings and the first is the most probable labeling.

    Returns:
        The final beam, best first: a list of (labels, log_probability) pairs.

    Explained in notebook 03, section "Greedy vs prefix beam search".
    """
    log_probs = _check_log_probs(log_probs)
    blank = _check_blank(blank, log_probs)
    beam_width = validate.integer(beam_width, "beam_width", minimum=1)
    # prefix (tuple) -> [log P(paths ending in blank), log P(paths ending in its last label)]
    beam = {(): (0.0, -math.inf)}
    n_tried = min(beam_width, log_probs.shape[1])
    for frame in log_probs:
        tried = np.argsort(frame)[::-1][:n_tried]
        grown: dict[tuple, list[float]] = {}

        def add(prefix, ends_in_blank, log_p):
            entry = grown.setdefault(prefix, [-math.inf, -math.inf])
            slot = 0 if ends_in_blank else 1
            entry[slot] = np.logaddexp(entry[slot], log_p)

        for prefix, (log_blank, log_label) in beam.items():
            log_total = np.logaddexp(log_blank, log_label)
            for symbol in tried:
                log_p = float(frame[symbol])
                if symbol == blank:
                    add(prefix, True, log_total + log_p)
                elif prefix and symbol == prefix[-1]:
                    add(prefix, False, log_label + log_p)              # a repeat: same prefix
                    add(prefix + (int(symbol),), False, log_blank + log_p)  # after a blank: new
                else:
                    add(prefix + (int(symbol),), False, log_total + log_p)
        possible = [item for item in grown.items() if np.logaddexp(*item[1]) > -math.inf]
        ranked = sorted(possible, key=lambda item: -np.logaddexp(*item[1]))
        beam = {prefix: tuple(scores) for prefix, scores in ranked[:beam_width]}
    return [(list(prefix), float(np.logaddexp(*scores))) for prefix, scores in beam.items()]


def ctc_segments(log_probs: np.ndarray, blank: int = BLANK) -> list[tuple[int, int, int]]:
    """Runs of the same symbol along the best (greedy) path: (symbol, start, end) with
    ``end`` exclusive, blank runs included, covering every frame once.

    Explained in notebook 03, section "CTC-guided compression".
    """
    log_probs = _check_log_probs(log_probs)
    _check_blank(blank, log_probs)
    path = np.argmax(log_probs, axis=1)
    starts, ends = runs(path)
    return [(int(path[s]), int(s), int(e)) for s, e in zip(starts, ends)]


def merge_by_ctc_segments(
    hidden: np.ndarray,
    log_probs: np.ndarray,
    mode: str = "average",
    drop_blanks: bool = False,
    blank: int = BLANK,
) -> tuple[np.ndarray, np.ndarray]:
    """CTC-guided compression: one vector per run of the CTC model's greedy path.

    Consecutive frames on which the greedy path shows the same symbol are merged into one
    vector, so a phone lasting 6 frames and a pause lasting 40 both become one token.

    Args:
        hidden: (n_frames, hidden_dim) encoder states.
        log_probs: (n_frames, n_labels) the CTC model's log-probabilities for those frames.
        mode: how a run becomes a vector: ``"average"`` (mean of its frames), ``"last"`` (its
            final frame), ``"confidence"`` (mean weighted by each frame's probability of the
            run's symbol).
        drop_blanks: drop the runs of blank (keeping only label runs) instead of merging each
            of them into a token of its own.

    Returns:
        (merged, symbols): merged is (n_segments, hidden_dim), symbols (n_segments,) the
        symbol of each run.

    Explained in notebook 03, section "CTC-guided compression".
    """
    # means are taken in float64 (integer states are not truncated); float32 states stay float32
    keeps_float32 = str(getattr(hidden, "dtype", "")).endswith("float32")
    hidden = validate.array(hidden, "hidden", ndim=2, min_length=0)
    log_probs = _check_log_probs(log_probs)
    blank = _check_blank(blank, log_probs)
    if len(hidden) != len(log_probs):
        raise ValueError(f"hidden and log_probs must have the same number of frames, got "
                         f"{len(hidden)} and {len(log_probs)}")
    validate.choice(mode, "mode", MERGE_MODES)
    drop_blanks = validate.boolean(drop_blanks, "drop_blanks")
    merged, symbols = [], []
    for symbol, start, end in ctc_segments(log_probs, blank):
        if drop_blanks and symbol == blank:
            continue
        frames = hidden[start:end]
        if mode == "average":
            merged.append(frames.mean(axis=0))
        elif mode == "last":
            merged.append(frames[-1])
        else:
            weights = np.exp(log_probs[start:end, symbol])
            merged.append(weights @ frames / weights.sum())
        symbols.append(symbol)
    merged_array = np.array(merged, dtype=np.float32 if keeps_float32 else np.float64)
    merged_array = merged_array.reshape(len(merged), hidden.shape[1])
    return merged_array, np.array(symbols, dtype=np.int64)


# --- which lattice nodes a complete path can visit ---

def lattice_skips(target, blank: int = BLANK) -> np.ndarray:
    """For each of the 2L+1 lattice states s: may a path jump to s from s - 2, over a blank?

    Only onto a label that differs from the label two states back (skipping the blank
    between two equal labels would merge them). The rule :func:`ctc_forward` uses, for
    ``k a a`` (states ``- k - a - a -``)::

        state   -  k  -  a  -  a  -
        skip    .  .  .  x  .  .  .      (a after k: yes; a after a: no)

    Returns:
        Boolean array of shape (2L+1,). Explained in notebook 03, section "The 2L+1 lattice".
    """
    blank = validate.integer(blank, "blank", minimum=0)
    target = validate.label_indices(target, "target")
    if (target == blank).any():
        raise ValueError(f"target must not contain the blank (index {blank}), got {target}")
    return _skip_mask(target, blank)


def lattice_nodes_on_paths(n_frames: int, target, blank: int = BLANK) -> np.ndarray:
    """Which nodes (t, s) of the CTC lattice lie on at least one complete path.

    A complete path starts at frame 0 in the first blank or the first label, moves by the
    rule of :func:`ctc_forward` (stay, advance one state, or skip the blank between two
    different labels: the same :func:`_skip_mask`), and ends at the last frame in the last
    label or the blank after it. A node is on a path when it can be reached from a start and
    can still reach an end. For ``k a k`` in 4 frames (``o`` on a path, ``.`` on none)::

                  t=0  1  2  3
        s=0  -      o  .  .  .
        s=1  k      o  o  .  .
        s=2  -      .  o  .  .
        s=3  a      .  o  o  .
        s=4  -      .  .  o  .
        s=5  k      .  .  o  o
        s=6  -      .  .  .  o

    Args:
        n_frames: frames T of the lattice, at least 1.
        target: (L,) label indices, none of them ``blank``.

    Returns:
        Boolean array of shape (n_frames, 2L+1); all False when the target needs more than
        ``n_frames`` frames (see :func:`min_frames`).

    Explained in notebook 03, section "The 2L+1 lattice" (the hollow nodes of its figure).
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    can_skip = lattice_skips(target, blank)
    n_states = 2 * len(target) + 1
    from_start = np.zeros((n_frames, n_states), dtype=bool)
    from_start[0, :2] = True
    for t in range(1, n_frames):
        before, now = from_start[t - 1], from_start[t]
        now[:] = before
        now[1:] |= before[:-1]
        now[2:] |= before[:-2] & can_skip[2:]
    to_end = np.zeros((n_frames, n_states), dtype=bool)
    to_end[-1, max(n_states - 2, 0):] = True
    for t in range(n_frames - 2, -1, -1):
        after, now = to_end[t + 1], to_end[t]
        now[:] = after
        now[:-1] |= after[1:]
        now[:-2] |= after[2:] & can_skip[2:]
    return from_start & to_end


# --- helpers ---

def _final_total(log_alpha: np.ndarray) -> float:
    """A complete path ends in the last label or the blank after it (the only state of an
    empty target)."""
    return np.logaddexp.reduce(log_alpha[-1, -2:])


def _shift(values: np.ndarray, by: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """values moved ``by`` (>= 1) places to the right, -inf shifted in; entries where
    ``allowed`` is False are -inf too."""
    shifted = np.full_like(values, -np.inf)
    shifted[by:] = values[:-by]
    if allowed is not None:
        shifted[~allowed] = -np.inf
    return shifted


def _skip_mask(target: np.ndarray, blank: int) -> np.ndarray:
    """For each lattice state s: may a path jump to s from s-2? Only for a label that differs
    from the label before it (jumping over the blank between equal labels would merge them)."""
    extended = extend_with_blanks(target, blank)
    mask = np.zeros(len(extended), dtype=bool)
    mask[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    return mask


def _too_short_message(n_frames: int, target) -> str:
    target = np.asarray(target)
    n_repeats = int(np.sum(target[1:] == target[:-1]))
    return (f"no CTC path: the target of {len(target)} labels ({n_repeats} repeated neighbours,"
            f" each needing a blank between them) needs at least {min_frames(target)} frames,"
            f" but log_probs has only {n_frames}")


def _warn_if_too_short(n_frames: int, target) -> None:
    if min_frames(target) > n_frames:
        warnings.warn(_too_short_message(n_frames, target) + "; log-likelihood is -inf",
                      RuntimeWarning, stacklevel=3)


def _check_log_probs(log_probs) -> np.ndarray:
    """(n_frames >= 1, n_labels >= 2) log-probabilities whose rows are log-softmaxes."""
    log_probs = validate.array(log_probs, "log_probs", ndim=2, min_length=0, allow_inf=True)
    if log_probs.shape[0] == 0 or log_probs.shape[1] < 2:
        raise ValueError("log_probs must have shape (n_frames >= 1, n_labels >= 2), "
                         f"got {log_probs.shape}")
    if (log_probs > 1e-6).any():
        raise ValueError("log_probs must hold log-probabilities (<= 0): pass the log of the "
                         "probabilities, e.g. a log_softmax")
    if not np.allclose(np.logaddexp.reduce(log_probs, axis=1), 0.0, atol=1e-4):
        raise ValueError("log_probs must hold a log-softmax in each row (probabilities that "
                         "sum to 1)")
    return log_probs


def _check_blank(blank, log_probs: np.ndarray) -> int:
    """The blank is one of the label indices of ``log_probs``."""
    return validate.integer(blank, "blank", minimum=0, maximum=log_probs.shape[1] - 1)


def _check(log_probs, target, blank) -> tuple[np.ndarray, np.ndarray]:
    log_probs = _check_log_probs(log_probs)
    blank = _check_blank(blank, log_probs)
    target = validate.label_indices(target, "target", n_labels=log_probs.shape[1])
    if (target == blank).any():
        raise ValueError(f"target must not contain the blank (index {blank}), got "
                         f"{validate.describe(target.tolist())}")
    return log_probs, target
