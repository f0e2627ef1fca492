"""What the fuzz tests share: strategies for bad input and the one way a refusal must look.

Every fuzz test asserts one of two outcomes for what it feeds a public function: a correct,
finite result (checked against a reference or an invariant), or a ``ValueError``/``TypeError``
whose message names the argument at fault. Anything else -- another exception, NaN in a
result, a dead process -- fails the test.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import strategies as st

LONG = os.environ.get("COURSE_FUZZ_PROFILE") == "long"
long_only = pytest.mark.skipif(not LONG, reason="extreme sizes run in `make fuzz` only")

# Values that are not numbers at all, and numbers that are not finite.
NOT_NUMBERS = (None, "3", "", b"3", [3], (3,), {"n": 3}, 3j)
NOT_FINITE = (float("nan"), float("inf"), -float("inf"), np.nan, np.float32("nan"))


def assert_refused(call, *names: str) -> None:
    """``call()`` raises ValueError or TypeError and the message names one of ``names``."""
    with pytest.raises((ValueError, TypeError)) as raised:
        call()
    message = str(raised.value)
    assert any(name in message for name in names), (
        f"the error does not name {names}: {type(raised.value).__name__}: {message}")


def bad_integers(minimum: int | None = None) -> st.SearchStrategy:
    """Anything that is not an integer >= ``minimum``: floats (even whole ones), bools,
    strings, None, NaN, complex, and integers below the minimum."""
    options = [st.sampled_from(NOT_NUMBERS + NOT_FINITE + (True, 2.0, 2.5, np.float64(4.0)))]
    if minimum is not None:
        options.append(st.integers(max_value=minimum - 1).filter(lambda n: n > -10**9))
    return st.one_of(options)


def bad_reals(above: float | None = None) -> st.SearchStrategy:
    """Anything that is not a finite real number > ``above``."""
    options = [st.sampled_from(NOT_NUMBERS + NOT_FINITE + (True, np.complex128(1j)))]
    if above is not None:
        options.append(st.floats(max_value=above, min_value=above - 1e6))
    return st.one_of(options)


CORRUPTIONS = ("empty", "more dims", "fewer dims", "nan", "inf", "complex", "strings",
               "booleans", "none", "text", "ragged")


def corrupt(values: np.ndarray, how: str):
    """``values`` (a valid float array) made invalid in one of the ways of CORRUPTIONS."""
    values = np.array(values, dtype=np.float64)
    if how == "empty":
        return np.zeros((0,) * values.ndim)
    if how == "more dims":
        return values[None]
    if how == "fewer dims":
        return values.reshape(-1)[0] if values.ndim == 1 else values[0]
    if how == "nan":
        values.flat[len(values.flat) // 2] = np.nan
        return values
    if how == "inf":
        values.flat[0] = np.inf
        return values
    if how == "complex":
        return values + 1j
    if how == "strings":
        return values.astype(str)
    if how == "booleans":
        return values > 0
    if how == "none":
        return None
    if how == "text":
        return "0.5 0.5"
    if how == "ragged":
        return [[0.0], [0.0, 1.0]]
    raise AssertionError(how)
