"""Time course_lib's CTC loss (NumPy, log space) against torch's compiled CPU ctc_loss.

One utterance of T = 1,000 frames, a target of L = 100 labels, 50 symbols: the forward pass
alone (the loss), and forward + backward (loss and gradient). Both run here, in this process,
so the ratio is fair whatever the machine's load. Goal: within 3x of torch.

Run: python benchmarks/bench_ctc.py
"""

import time

import numpy as np
import torch

from course_lib import ctc

N_FRAMES, TARGET_LENGTH, N_LABELS = 1_000, 100, 50


def best_time(function, repeats=5):
    """The fastest of ``repeats`` runs, in milliseconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return 1000 * min(times)


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(N_FRAMES, N_LABELS))
    log_probs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    target = rng.integers(1, N_LABELS, size=TARGET_LENGTH)

    torch_log_probs = torch.tensor(log_probs)[:, None]  # (T, batch=1, C), float64 like ours
    torch_target = torch.tensor(target)[None]
    lengths = (torch.tensor([N_FRAMES]), torch.tensor([TARGET_LENGTH]))

    def torch_loss():
        return torch.nn.functional.ctc_loss(torch_log_probs, torch_target, *lengths,
                                            reduction="sum")

    def torch_loss_and_gradient():
        leaf = torch_log_probs.clone().requires_grad_()
        torch.nn.functional.ctc_loss(leaf, torch_target, *lengths, reduction="sum").backward()
        return leaf.grad

    assert np.isclose(ctc.ctc_loss(log_probs, target), torch_loss().item())
    rows = [
        ("loss (forward)", lambda: ctc.ctc_loss(log_probs, target), torch_loss),
        ("loss + gradient", lambda: ctc.ctc_gradient(log_probs, target), torch_loss_and_gradient),
    ]
    print(f"CTC, T = {N_FRAMES}, L = {TARGET_LENGTH}, {N_LABELS} labels, float64, 1 thread")
    print(f"{'':>16} {'course_lib (ms)':>16} {'torch (ms)':>11} {'ratio':>7}")
    for name, ours, theirs in rows:
        ours(), theirs()  # warm up
        ours_ms, torch_ms = best_time(ours), best_time(theirs)
        print(f"{name:>16} {ours_ms:16.1f} {torch_ms:11.1f} {ours_ms / torch_ms:6.1f}x")


if __name__ == "__main__":
    main()
