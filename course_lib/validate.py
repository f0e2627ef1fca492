"""One way to refuse bad input: the checks every public function of ``course_lib`` uses.

Each checker takes the value and the name of the argument it came from, returns the value in
the form the caller computes with (a Python ``int`` or ``float``, a NumPy array of a stated
dtype, a list of labels), and otherwise raises

* ``TypeError`` when the *kind* of value is wrong (a string where a number belongs, a complex
  array, ``None``), or
* ``ValueError`` when the kind is right but the value is not (negative, NaN, wrong shape,
  empty),

with a message of one shape: ``"<name> must be <what was expected>, got <what was given>"``.

What a learner naturally passes is accepted: Python or NumPy numbers, lists, tuples, NumPy
arrays of any real dtype, and torch tensors (detached and copied to the CPU). Booleans are not
numbers here: ``True`` as a frame count is almost always a mistake.

The conventions are described in ``CONTRIBUTING.md`` ("Validating input").
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np

__all__ = [
    "integer", "real", "array", "waveform", "labels", "label_indices", "choice", "text",
    "existing_file", "boolean", "tensor", "generator", "describe",
]


def describe(value) -> str:
    """A short description of ``value`` for error messages: arrays by shape and dtype."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(name: str, expected: str, value, error=ValueError):
    raise error(f"{name} must be {expected}, got {describe(value)}")


def integer(value, name: str, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """``value`` as a Python ``int``, checked to lie in ``[minimum, maximum]``.

    Accepts ``int``, NumPy integers and 0-d integer arrays or tensors; refuses ``bool``, floats
    (even ``3.0``: a count is not a measurement), strings and ``None`` with ``TypeError``.
    """
    expected = _range_text("an integer", minimum, maximum)
    if _is_scalar_array(value) and _dtype_kind(value) in "iu":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        _fail(name, expected, value, TypeError)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _fail(name, expected, value)
    return value


def real(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
         above: float | None = None, below: float | None = None) -> float:
    """``value`` as a finite Python ``float`` in ``[minimum, maximum]`` (and ``> above``,
    ``< below``: strict bounds, e.g. a self-loop probability ``< 1``).

    Accepts Python and NumPy integers and floats, and 0-d arrays or tensors; refuses ``bool``,
    complex numbers, strings and ``None`` with ``TypeError``, and NaN or infinity with
    ``ValueError``.
    """
    expected = _range_text("a finite real number", minimum, maximum, above, below)
    if _is_scalar_array(value):
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        _fail(name, expected, value, TypeError)
    value = float(value)
    if (not math.isfinite(value) or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
            or (above is not None and value <= above)
            or (below is not None and value >= below)):
        _fail(name, expected, value)
    return value


def array(value, name: str, *, ndim: int | None = None, dtype=np.float64,
          min_length: int = 1, finite: bool = True, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a NumPy array of ``dtype``, with ``ndim`` dimensions.

    Args:
        value: a list, tuple, NumPy array or torch tensor of real numbers.
        name: the argument's name, for the error message.
        ndim: required number of dimensions (``None``: any).
        dtype: ``np.float64`` (any real input is converted), ``np.int64`` (integer input
            only: floats are refused rather than truncated), or ``None`` (float32 and float64
            input keep their precision, anything else real becomes float64).
        min_length: smallest size allowed along every axis (0 allows empty arrays).
        finite: refuse NaN and infinity (for float arrays).
        allow_inf: with ``finite``, still allow ``-inf`` (log-probabilities of impossible
            events).

    Returns:
        A NumPy array (a copy only where conversion needs one).
    """
    given = value
    if _is_tensor(value):  # a torch tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) in ("torch.bfloat16", "torch.float16"):  # NumPy has no bfloat16
            value = value.float()
        value = value.numpy()
    if isinstance(value, (str, bytes)) or value is None:
        _fail(name, _array_text(ndim, dtype), given, TypeError)
    try:
        values = np.asarray(value)
    except ValueError:  # ragged nested lists
        _fail(name, _array_text(ndim, dtype) + " (a rectangular array)", given)
    kind = values.dtype.kind
    if dtype is None:
        dtype = values.dtype if values.dtype in (np.float32, np.float64) else np.float64
    allowed = "iu" if np.dtype(dtype).kind in "iu" else "iuf"
    if kind not in allowed and not (values.size == 0 and kind == "f"):
        _fail(name, _array_text(ndim, dtype), given, TypeError)
    if ndim is not None and values.ndim != ndim:
        _fail(name, _array_text(ndim, dtype), given)
    if values.ndim and min(values.shape) < min_length:
        _fail(name, _array_text(ndim, dtype) + f" with at least {min_length} entries per axis",
              given)
    values = values.astype(dtype, copy=False)
    if finite and values.dtype.kind == "f":
        bad = np.isnan(values) | (values == np.inf)
        if not allow_inf:
            bad |= values == -np.inf
        if bad.any():
            what = "finite values" if not allow_inf else "values without NaN or +inf"
            raise ValueError(f"{name} must hold {what}, got {int(bad.sum())} bad entries "
                             f"in {describe(given)}")
    return values


def waveform(value, name: str = "waveform", *, min_samples: int = 1) -> np.ndarray:
    """A mono waveform as a float64 array of shape (n_samples,), finite, with at least
    ``min_samples`` samples. Integer samples are taken as they are (not rescaled)."""
    samples = array(value, name, ndim=1, min_length=0)
    if len(samples) < min_samples:
        raise ValueError(f"{name} must have at least {min_samples} samples, got {len(samples)}")
    return samples


def labels(value, name: str, *, min_length: int = 0) -> list[str]:
    """A sequence of string labels (phones, words) as a list.

    A single string is refused rather than read as its characters: ``align(w, "sil")`` means
    the one phone ``"sil"``, so write ``["sil"]``.
    """
    expected = "a list of strings (e.g. ['h', 'ə', 'l', 'oʊ'])"
    if isinstance(value, str):
        raise TypeError(f"{name} must be {expected}, not a single string: wrap it as "
                        f"[{value!r}] or split it, got {describe(value)}")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, Sequence) or not all(isinstance(item, str) for item in value):
        _fail(name, expected, value, TypeError)
    if len(value) < min_length:
        _fail(name, expected + f" with at least {min_length} entries", value)
    return list(value)


def label_indices(value, name: str, *, n_labels: int | None = None,
                  min_length: int = 0) -> np.ndarray:
    """A 1-D sequence of label indices as an int64 array, each in ``[0, n_labels)``."""
    indices = array(value, name, ndim=1, dtype=np.int64, min_length=0)
    if len(indices) < min_length:
        raise ValueError(f"{name} must have at least {min_length} labels, got {len(indices)}")
    if n_labels is not None and ((indices < 0) | (indices >= n_labels)).any():
        raise ValueError(f"{name} must hold indices in [0, {n_labels}), got "
                         f"{describe(indices)} with values from {indices.min()} to "
                         f"{indices.max()}")
    return indices


def choice(value, name: str, options) -> object:
    """``value`` if it is one of ``options``, else ``ValueError`` listing them."""
    options = tuple(options)
    try:
        known = value in options
    except TypeError:  # unhashable or incomparable
        known = False
    if not known:
        shown = ", ".join(repr(option) for option in options[:8])
        more = ", ..." if len(options) > 8 else ""
        _fail(name, f"one of {shown}{more}", value)
    return value


def text(value, name: str, *, non_empty: bool = True) -> str:
    """``value`` if it is a ``str`` (with something besides white space, if ``non_empty``)."""
    expected = "a non-empty string" if non_empty else "a string"
    if not isinstance(value, str):
        _fail(name, expected, value, TypeError)
    if non_empty and not value.strip():
        _fail(name, expected, value)
    return value


def existing_file(value, name: str, what: str,
                  expected: str = "a file path (str or pathlib.Path)") -> Path:
    """``value`` as the ``Path`` of an existing file: ``TypeError`` if it is not a ``str`` or
    ``os.PathLike`` (saying ``expected``), ``ValueError`` "<what> '<path>' does not exist"."""
    if not isinstance(value, (str, os.PathLike)):
        _fail(name, expected, value, TypeError)
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"{what} {str(path)!r} does not exist")
    return path


def boolean(value, name: str) -> bool:
    """``value`` as a Python ``bool``: Python or NumPy booleans only, since ``"no"``, ``0.0``
    or ``None`` would be read as a truth value nobody meant."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, "True or False", value, TypeError)
    return bool(value)


def generator(value, name: str) -> np.random.Generator:
    """``value`` if it is a NumPy random ``Generator`` (``np.random.default_rng(seed)``), the
    one source of randomness a caller passes to a function it draws from many times; a seed,
    ``None`` or the legacy ``RandomState`` is refused with ``TypeError``."""
    if not isinstance(value, np.random.Generator):
        _fail(name, "a NumPy random Generator (np.random.default_rng(seed))", value, TypeError)
    return value


def tensor(value, name: str, *, dtype=None, min_ndim: int = 1, finite: bool = True):
    """``value`` as a real floating-point torch tensor, for the trainable torch modules.

    Accepts tensors, NumPy arrays and lists of real numbers. A tensor keeps its autograd graph
    (a cast to ``dtype`` is differentiable); NumPy arrays and lists become new tensors.

    Args:
        dtype: the torch dtype to cast to (a module's parameter dtype), or None to keep a
            floating tensor's dtype (integers become float32). An integer dtype (codes,
            indices) takes integer input only: floats are refused rather than truncated.
        min_ndim: fewest dimensions; every axis must have at least one entry.
        finite: refuse NaN and infinity.

    Raises:
        TypeError: for complex, boolean or non-numeric input, strings and ``None``.
        ValueError: for too few dimensions, an empty axis or non-finite values.
    """
    import torch  # only the torch modules call this: importing validate must not load torch

    integers = dtype is not None and not (dtype.is_floating_point or dtype.is_complex)
    expected = (f"{'an integer' if integers else 'a real'} tensor or array with at least "
                f"{min_ndim} dimension(s)")
    if isinstance(value, (str, bytes)) or value is None:
        _fail(name, expected, value, TypeError)
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(array(value, name, min_length=0, finite=False,
                                      dtype=np.int64 if integers else np.float64))
    if (value.is_complex() or value.dtype == torch.bool
            or (integers and value.is_floating_point())):
        _fail(name, expected, value, TypeError)
    target = dtype if dtype is not None else (
        value.dtype if value.is_floating_point() else torch.float32)
    value = value.to(target)
    if value.ndim < min_ndim or 0 in value.shape:
        _fail(name, expected + " and no empty axis", value)
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name} must hold finite values, got {bad} bad entries in "
                         f"{describe(value)}")
    return value


def _is_tensor(value) -> bool:
    return hasattr(value, "detach") and hasattr(value, "cpu")


def _is_scalar_array(value) -> bool:
    return hasattr(value, "shape") and tuple(value.shape) == () and hasattr(value, "item")


def _dtype_kind(value) -> str:
    """NumPy's one-letter kind of an array's or tensor's dtype ('i', 'u', 'f', 'c', 'b')."""
    if _is_tensor(value):
        if value.dtype.is_complex:
            return "c"
        if value.dtype.is_floating_point:
            return "f"
        return "b" if str(value.dtype) == "torch.bool" else "i"
    return np.asarray(value).dtype.kind


def _range_text(kind: str, minimum=None, maximum=None, above=None, below=None) -> str:
    parts = []
    if above is not None:
        parts.append(f"> {above}")
    if below is not None:
        parts.append(f"< {below}")
    if minimum is not None:
        parts.append(f">= {minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    return kind + (" " + " and ".join(parts) if parts else "")


def _array_text(ndim, dtype) -> str:
    kind = "integers" if np.dtype(dtype).kind in "iu" else "real numbers"
    shape = f"a {ndim}-D array" if ndim is not None else "an array"
    return f"{shape} of {kind} (list, NumPy array or tensor)"
