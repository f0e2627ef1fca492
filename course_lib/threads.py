"""Limit the threads of torch and of the BLAS libraries for one block of code, then restore them.

Small models (the recognizer's GRU, the codec, the aligner's Gaussians) gain nothing from many
threads, and on a shared 2-core machine several threads thrash: training runs inside
``with limited_threads(1):`` instead of calling ``torch.set_num_threads`` for the whole process.
torch is touched only if it is already imported, so NumPy-only code stays free of it.

Explained in notebook 03 ("A small CTC phone recognizer").
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

from course_lib import validate


@contextmanager
def limited_threads(n_threads: int = 1):
    """Within the block, torch and BLAS/OpenMP use at most ``n_threads`` threads; afterwards
    the previous settings come back (also when the block raises). Explained in notebook 03."""
    n_threads = validate.integer(n_threads, "n_threads", minimum=1)
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(n_threads)
        with threadpool_limits(n_threads):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(previous)
