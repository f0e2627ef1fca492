"""Which library functions an exercise's answer calls while it runs.

Many exercises ask the learner to write something that ``course_lib`` (or a reference
library) already computes: ``dct_ii`` is ``features.dct_matrix``, ``snap`` is
``quantize.nearest_code``. An answer that calls that function passes every check of its value
while showing no understanding, so the exercise's test cell runs the answer inside
:func:`calls_to` and, after checking the values, asserts that none of those functions ran::

    library = selfcheck.calls_to(features.dct_matrix)
    with library:
        matrix = dct_ii(13, 40)
    assert matrix.shape == (13, 40), f"expected shape (13, 40), got {matrix.shape}"
    assert not library.called, f"dct_ii calls {library.report()}: build it from np.cos"

The record is made at call time, through ``sys.setprofile``: a function counts as called when
its code object starts to run, whatever name it was imported under and however deep in the
answer's helpers the call happens. Calls made outside the ``with`` block (the test computing
its expected values) are not recorded. It does not catch library source pasted into the
answer; that is copying, not calling.

Used by the exercise test cells of notebooks 01-07; CONTRIBUTING.md explains the convention.
"""

from __future__ import annotations

import inspect
import sys
import types


def _qualified_name(function) -> str:
    module = getattr(function, "__module__", None) or "?"
    return f"{module}.{getattr(function, '__qualname__', getattr(function, '__name__', '?'))}"


def _watched_code(function):
    """The code object whose start means ``function`` was called, or None if it has none.

    Plain functions and methods have one. For a decorated function it is the code of the
    function inside (``__wrapped__``), which its wrapper calls: the wrapper's own code is shared
    by every function the same decorator wraps. C builtins have none, and neither have objects
    that dispatch by name, such as scipy.fft's multimethods (``scipy.fft.dct`` looks up its
    implementation when called).
    """
    candidate = getattr(function, "__func__", function)  # bound or class methods
    if not isinstance(candidate, types.FunctionType):
        return None
    inner = inspect.unwrap(candidate)
    return (inner if isinstance(inner, types.FunctionType) else candidate).__code__


class LibraryCalls:
    """A reusable context manager recording which of the watched functions ran inside it.

    Build it with :func:`calls_to`. ``called`` lists the qualified names of the watched
    functions that ran in any ``with`` block so far, each once, in the order first seen.
    """

    def __init__(self, functions):
        if not functions:
            raise ValueError("calls_to needs at least one function to watch, got none")
        self._names_by_code = {}
        self._names_by_builtin = {}
        for function in functions:
            code = _watched_code(function)
            if code is not None:
                self._names_by_code[code] = _qualified_name(function)
            elif isinstance(function, types.BuiltinFunctionType):
                self._names_by_builtin[id(function)] = _qualified_name(function)
            else:
                raise TypeError("calls_to watches Python functions, methods or builtin functions, "
                                f"got {function!r} of type {type(function).__name__}")
        self.called: list[str] = []
        self._previous_profile = None
        self._active = False

    def _profile(self, frame, event, arg):
        if event == "call":
            name = self._names_by_code.get(frame.f_code)
        elif event == "c_call":
            name = self._names_by_builtin.get(id(arg))
        else:
            return
        if name is not None and name not in self.called:
            self.called.append(name)

    def __enter__(self) -> LibraryCalls:
        if self._active:
            raise RuntimeError("this LibraryCalls is already recording; blocks cannot nest")
        self._active = True
        self._previous_profile = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc_info) -> None:
        sys.setprofile(self._previous_profile)
        self._active = False

    def report(self) -> str:
        """The called functions as one readable string: 'course_lib.features.dct_matrix'."""
        return ", ".join(self.called) if self.called else "no watched function"


def calls_to(*functions) -> LibraryCalls:
    """Watch ``functions``: every ``with`` block of the result records which of them ran.

    Args:
        functions: Python functions or methods, or builtin functions.

    Returns:
        A :class:`LibraryCalls` whose ``called`` list is empty until a watched function runs.

    Raises:
        ValueError: if no function is given.
        TypeError: if an argument is neither a function nor a builtin function (a callable
            object that dispatches by name, such as ``scipy.fft.dct``, cannot be watched).
    """
    return LibraryCalls(functions)
