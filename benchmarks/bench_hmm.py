"""Forward and Viterbi of course_lib.hmm against hmmlearn, on one left-to-right model.

S = 120 states in a chain (40 phones x 3 states), T = 10,000 frames of random log emissions.
course_lib runs the banded recursion (2 transitions per state) and the dense one; hmmlearn's
compiled code runs dense, O(T S^2). hmmlearn is given the identical model through its public
API: a categorical HMM whose symbol t is emitted with our frame-t probability.

Run:  python benchmarks/bench_hmm.py
"""

import time

import numpy as np
from hmmlearn import hmm as hmmlearn
from scipy.special import logsumexp

from course_lib import hmm

N_STATES, N_FRAMES, REPEATS = 120, 10_000, 2


def best_time(function, repeats=REPEATS):
    """Fastest of ``repeats`` runs, in seconds, and the last result."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    rng = np.random.default_rng(0)
    banded = hmm.left_to_right(rng.uniform(0.4, 0.9, N_STATES))
    dense = banded.dense()
    log_start = np.full(N_STATES, -np.inf)
    log_start[0] = 0.0
    log_emission = rng.normal(-10, 3, size=(N_FRAMES, N_STATES))
    # hmmlearn needs emission distributions: normalize each state over the T "symbols" and
    # give ourselves the same normalized emissions, so both sides score the identical model
    log_emission -= logsumexp(log_emission, axis=0)
    model = hmmlearn.CategoricalHMM(n_components=N_STATES)
    model.startprob_, model.transmat_ = np.exp(log_start), np.exp(dense)
    model.emissionprob_ = np.exp(log_emission).T
    symbols = np.arange(N_FRAMES)[:, None]

    rows = {
        "forward": (lambda: hmm.forward(log_start, banded, log_emission)[1],
                    lambda: hmm.forward(log_start, dense, log_emission)[1],
                    lambda: model.score(symbols)),
        "viterbi": (lambda: hmm.viterbi(log_start, banded, log_emission)[1],
                    lambda: hmm.viterbi(log_start, dense, log_emission)[1],
                    lambda: model.decode(symbols, algorithm="viterbi")[0]),
    }
    print(f"left-to-right HMM, S = {N_STATES} states, T = {N_FRAMES:,} frames "
          f"(best of {REPEATS} runs; dense: 1 run)\n")
    print(f"{'':8} {'banded (s)':>11} {'dense (s)':>10} {'hmmlearn (s)':>13} "
          f"{'hmmlearn / banded':>18} {'same result':>12}")
    for name, (ours_banded, ours_dense, theirs) in rows.items():
        banded_time, banded_value = best_time(ours_banded)
        dense_time, dense_value = best_time(ours_dense, repeats=1)  # the slow one, once
        reference_time, reference_value = best_time(theirs)
        same = np.isclose(banded_value, reference_value, rtol=1e-9) and \
            np.isclose(dense_value, reference_value, rtol=1e-9)
        print(f"{name:8} {banded_time:11.3f} {dense_time:10.3f} {reference_time:13.3f} "
              f"{reference_time / banded_time:17.1f}x {str(same):>12}")


if __name__ == "__main__":
    main()
