"""Mutation testing for course_lib: change one small thing in a module, run that module's tests,
and count how many of the changes the tests notice.

Each *mutant* is the module with exactly one change at one place in its syntax tree:

* a comparison flipped at its boundary or negated (``<`` -> ``<=``, ``==`` -> ``!=``, ...);
* an arithmetic operator swapped (``+`` <-> ``-``, ``*`` <-> ``/``, ``//`` -> ``/``,
  ``**`` -> ``*``, ``&`` <-> ``|``), also in augmented assignments (``+=``);
* ``and`` <-> ``or``; a ``not`` or a unary minus dropped;
* a number changed (``n`` -> ``n + 1``), ``True`` <-> ``False``;
* ``min`` <-> ``max``, ``argmin`` <-> ``argmax``, ``minimum`` <-> ``maximum``;
* ``.detach()``, ``.clone()`` or ``.copy()`` dropped.

Strings, type annotations, f-strings (error messages) and the ``if __name__ == "__main__"`` block
are left alone. A mutant is *killed* when the tests fail (or time out, or cannot even import the
module); it *survives* when they all pass. Some survivors are equivalent to the original (a
change no input can reveal), so 100% is not the goal; a survivor is a place to look at.

A clean run of the module's tests (``tests/test_<module>.py``) first records which lines of the
module each test executes. A mutant then runs only the tests that execute its line (all of them
for lines run at import, such as default arguments), stopping at the first failure: a test that
never reaches the line cannot tell the mutant from the original. Every run happens in a forked
child of a process that has already imported the heavy libraries, inside a scratch copy of the
repository: the working tree is never touched.

Usage::

    python tools/mutate.py                       # hmm ctc features quantize rates augment serialize
    python tools/mutate.py rates --list          # show the mutants, run nothing
    python tools/mutate.py hmm --every 3         # every third mutant: a quicker estimate

``make mutate`` runs the first form and writes the survivors to ``build/mutation-report.txt``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODULES = ("hmm", "ctc", "features", "quantize", "rates", "augment", "serialize")

_COMPARISON_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
_OPERATOR_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
}
_NAME_SWAPS = {"min": "max", "max": "min", "argmin": "argmax", "argmax": "argmin",
               "minimum": "maximum", "maximum": "minimum"}
_DROPPABLE_METHODS = {"detach", "clone", "copy"}
_SYMBOLS = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**",
    ast.BitAnd: "&", ast.BitOr: "|", ast.And: "and", ast.Or: "or",
}


@dataclass(frozen=True)
class Mutant:
    """One change: the module, its position among the module's changes, its line."""

    module: str
    site: int
    line: int
    description: str


def _protected_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes that are never mutated: annotations, f-strings, the __main__ block."""
    protected: set[int] = set()

    def protect(node):
        if node is not None:
            protected.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            protect(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            protect(node.returns)
        elif isinstance(node, ast.AnnAssign):
            protect(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            protect(node)
        elif (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
              and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"):
            protect(node)
    return protected


def _variants(node: ast.AST) -> list[tuple[str, callable]]:
    """The changes possible at ``node``: (description, function that applies one in place)."""
    changes = []
    if isinstance(node, ast.Compare):
        for j, op in enumerate(node.ops):
            if type(op) in _COMPARISON_SWAPS:
                new = _COMPARISON_SWAPS[type(op)]
                changes.append((f"{_SYMBOLS[type(op)]} -> {_SYMBOLS[new]}",
                                lambda n, j=j, new=new: n.ops.__setitem__(j, new())))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _OPERATOR_SWAPS:
        new = _OPERATOR_SWAPS[type(node.op)]
        changes.append((f"{_SYMBOLS[type(node.op)]} -> {_SYMBOLS[new]}",
                        lambda n, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        changes.append((f"{_SYMBOLS[type(node.op)]} -> {_SYMBOLS[new]}",
                        lambda n, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        changes.append((f"{node.value} -> {not node.value}",
                        lambda n: setattr(n, "value", not n.value)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        changes.append((f"{node.value!r} -> {node.value + 1!r}",
                        lambda n: setattr(n, "value", n.value + 1)))
    elif isinstance(node, ast.Name) and node.id in _NAME_SWAPS:
        changes.append((f"{node.id} -> {_NAME_SWAPS[node.id]}",
                        lambda n: setattr(n, "id", _NAME_SWAPS[n.id])))
    elif isinstance(node, ast.Attribute) and node.attr in _NAME_SWAPS:
        changes.append((f".{node.attr} -> .{_NAME_SWAPS[node.attr]}",
                        lambda n: setattr(n, "attr", _NAME_SWAPS[n.attr])))
    return changes


def _child_replacements(node: ast.AST) -> list[tuple[str, str, int]]:
    """Changes that replace a child expression of ``node`` by the child's own operand:
    (description, field name, index in a list field or -1)."""
    replacements = []
    for field, value in ast.iter_fields(node):
        for index, child in (enumerate(value) if isinstance(value, list) else [(-1, value)]):
            if isinstance(child, ast.UnaryOp) and isinstance(child.op, (ast.Not, ast.USub)):
                replacements.append(("drop " + ("not" if isinstance(child.op, ast.Not) else "-"),
                                     field, index))
            elif (isinstance(child, ast.Call) and not child.args and not child.keywords
                  and isinstance(child.func, ast.Attribute)
                  and child.func.attr in _DROPPABLE_METHODS):
                replacements.append((f"drop .{child.func.attr}()", field, index))
    return replacements


def _unwrap(child: ast.AST) -> ast.AST:
    return child.operand if isinstance(child, ast.UnaryOp) else child.func.value


def _sites(tree: ast.Module):
    """Every (node, description, apply) in a fixed order: ast.walk of a fresh parse."""
    protected = _protected_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in protected:
            continue
        for description, apply in _variants(node):
            yield node, description, apply
        for description, field, index in _child_replacements(node):
            child = getattr(node, field) if index < 0 else getattr(node, field)[index]
            if id(child) in protected:
                continue

            def apply(n, field=field, index=index):
                if index < 0:
                    setattr(n, field, _unwrap(getattr(n, field)))
                else:
                    getattr(n, field)[index] = _unwrap(getattr(n, field)[index])
            yield child, description, lambda n, apply=apply, parent=node: apply(parent)


def list_mutants(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    return [Mutant(module, i, getattr(node, "lineno", 0), description)
            for i, (node, description, _) in enumerate(_sites(tree))]


def mutated_source(source: str, mutant: Mutant) -> str:
    tree = ast.parse(source)
    for i, (node, _, apply) in enumerate(_sites(tree)):
        if i == mutant.site:
            apply(node)
            break
    return ast.unparse(ast.fix_missing_locations(tree))


# --- running the tests ---------------------------------------------------------------------

def _preload() -> None:
    """Import what the tests import, once, so every forked child starts warm."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import matplotlib
    matplotlib.use("Agg")
    for name in ("numpy", "scipy.signal", "scipy.stats", "scipy.special", "scipy.sparse",
                 "scipy.fft", "torch", "torchaudio", "librosa", "sklearn.cluster",
                 "sklearn.metrics", "hmmlearn.hmm", "hypothesis", "pytest", "matplotlib.pyplot",
                 "ipywidgets"):
        __import__(name)
    import torch
    torch.set_num_threads(1)


_PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:anyio",
                "--assert=plain", "-o", "addopts=", "-W", "ignore"]


class _LineRecorder:
    """A pytest plugin that records which lines of one file each test executes."""

    def __init__(self, filename: str):
        self.filename = filename
        self.current = "<import>"  # lines run while the module is imported (defaults, constants)
        self.lines: dict[str, set[int]] = {}

    def trace(self, frame, event, arg):
        if frame.f_code.co_filename != self.filename:
            return None
        lines = self.lines.setdefault(self.current, set())
        lines.add(frame.f_lineno)

        def local(frame, event, arg):
            if event == "line":
                lines.add(frame.f_lineno)
            return local
        return local

    def pytest_runtest_logstart(self, nodeid, location):
        self.current = nodeid

    def pytest_runtest_logfinish(self, nodeid, location):
        self.current = "<between tests>"


def _in_child(workdir: Path, work, timeout: float) -> str:
    """Run ``work()`` (returns an exit code) in a forked child; 'passed', 'failed' or 'timeout'."""
    pid = os.fork()
    if pid == 0:  # the child: fresh imports of course_lib from the scratch copy
        try:
            os.chdir(workdir)
            sys.path.insert(0, str(workdir))
            sys.dont_write_bytecode = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = work()
        except BaseException:  # noqa: BLE001 -- anything the mutant breaks is a failure
            code = 1
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.02)


def _lines_by_test(workdir: Path, module: str, test_file: str) -> dict[str, set[int]] | None:
    """Run the clean tests once, recording the lines of the module each test executes.
    Returns None if the clean tests fail."""
    record = workdir / f"lines-{module}.json"

    def work():
        import pytest
        recorder = _LineRecorder(str(workdir / "course_lib" / f"{module}.py"))
        sys.settrace(recorder.trace)
        code = pytest.main([test_file, *_PYTEST_ARGS], plugins=[recorder])
        sys.settrace(None)
        record.write_text(json.dumps({k: sorted(v) for k, v in recorder.lines.items()}))
        return code

    if _in_child(workdir, work, timeout=3600) != "passed":
        return None
    return {k: set(v) for k, v in json.loads(record.read_text()).items()}


def _tests_for_line(line: int, lines_by_test: dict[str, set[int]]) -> list[str] | None:
    """The tests that execute ``line``; None (run them all) for lines run at import time or
    by no test at all."""
    if line in lines_by_test.get("<import>", ()):
        return None
    tests = [test for test, lines in lines_by_test.items()
             if not test.startswith("<") and line in lines]
    return tests or None


def _run_tests(workdir: Path, test_file: str, tests: list[str] | None, timeout: float) -> str:
    """'passed', 'failed' or 'timeout': ``tests`` (node ids, or the whole file), stopping at
    the first failure."""
    def work():
        import pytest
        return pytest.main([*(tests or [test_file]), "-x", *_PYTEST_ARGS])
    return _in_child(workdir, work, timeout)


def _scratch_copy() -> Path:
    """course_lib, tests and pyproject.toml copied, data/ linked (the shipped weights, caches)."""
    workdir = Path(tempfile.mkdtemp(prefix="course-mutants-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "course_lib", workdir / "course_lib", ignore=ignore)
    shutil.copytree(REPO / "tests", workdir / "tests", ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", workdir)
    (workdir / "data").symlink_to(REPO / "data", target_is_directory=True)
    return workdir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(DEFAULT_MODULES),
                        help="course_lib modules to mutate (default: %(default)s)")
    parser.add_argument("--every", type=int, default=1, help="run every n-th mutant only")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per mutant (default: 5 x the clean run, at least 30)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--report", type=Path, default=None, help="write the survivors here")
    args = parser.parse_args(argv)

    sources = {m: (REPO / "course_lib" / f"{m}.py").read_text() for m in args.modules}
    mutants = {m: list_mutants(m, s)[::args.every] for m, s in sources.items()}
    if args.list:
        for m in args.modules:
            for mutant in mutants[m]:
                print(f"{m}.py:{mutant.line}: {mutant.description}")
        return 0

    _preload()
    workdir = _scratch_copy()
    lines = []
    totals = {"killed": 0, "timeout": 0, "survived": 0}
    try:
        for module in args.modules:
            target = workdir / "course_lib" / f"{module}.py"
            test_file = f"tests/test_{module}.py"
            started = time.monotonic()
            lines_by_test = _lines_by_test(workdir, module, test_file)
            if lines_by_test is None:
                print(f"{module}: the unmutated tests fail; fix them first", file=sys.stderr)
                return 2
            timeout = args.timeout or max(60.0, 3 * (time.monotonic() - started))
            counts = {"killed": 0, "timeout": 0, "survived": 0}
            for number, mutant in enumerate(mutants[module], 1):
                target.write_text(mutated_source(sources[module], mutant))
                tests = _tests_for_line(mutant.line, lines_by_test)
                outcome = _run_tests(workdir, test_file, tests, timeout)
                result = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
                counts[result] += 1
                if result == "survived":
                    source_line = sources[module].splitlines()[mutant.line - 1].strip()
                    lines.append(f"{module}.py:{mutant.line}: {mutant.description}"
                                 f"    | {source_line}")
                if sys.stdout.isatty():
                    print(f"\r{module}: {number}/{len(mutants[module])} mutants, "
                          f"{counts['survived']} survived", end="", flush=True)
            target.write_text(sources[module])
            n = len(mutants[module])
            caught = counts["killed"] + counts["timeout"]
            print(f"\r{module}: {caught}/{n} killed ({100 * caught / max(n, 1):.0f}%; "
                  f"{counts['timeout']} by timeout), {counts['survived']} survived, "
                  f"{(time.monotonic() - started) / 60:.1f} min")
            for key in totals:
                totals[key] += counts[key]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    n = sum(totals.values())
    caught = totals["killed"] + totals["timeout"]
    summary = f"total: {caught}/{n} mutants killed ({100 * caught / max(n, 1):.1f}%)"
    print(summary)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(summary + "\nsurvivors:\n" + "\n".join(lines) + "\n")
        print(f"survivors listed in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
