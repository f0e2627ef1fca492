"""Execute course notebooks once, into executed copies that the site and the browser tests reuse.

Usage::

    python tools/execute_notebooks.py notebooks/00_the_four_mismatches.ipynb build/executed
    python tools/execute_notebooks.py --all build/executed      # every notebooks/NN_*.ipynb

Each notebook runs top to bottom in a fresh kernel of this environment, with ``notebooks/`` as
its working directory, as `make lab` would run it. The copy keeps every output, the time each
cell took (``cell.metadata.execution``) and the state of its widgets (notebook metadata
``widgets``), so that a static page can show the explorers as they were left. A cell that
raises stops the run and the script exits non-zero without writing the copy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
CELL_TIMEOUT_S = 300  # nbval allows 120 s a cell; a loaded shared machine gets some slack


def course_notebooks(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The course's notebooks in order: ``NN_topic.ipynb`` files of ``notebook_dir``."""
    return sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(source: Path, out_dir: Path, verbose: bool = False) -> Path:
    """Run ``source`` in a fresh kernel and write the executed copy to ``out_dir``/same name.

    The copy is written through a temporary file and renamed, so an interrupted run never
    leaves a half-executed copy that looks finished. ``verbose`` prints each cell as it starts.
    """
    source = Path(source)
    if not source.is_file() or source.suffix != ".ipynb":
        raise ValueError(f"source must be an existing .ipynb file, got {str(source)!r}")
    if __package__:  # imported as tools.execute_notebooks (the tests, build_site)
        from .nbclient_replies import wait_for_replies_in_slices
    else:            # run as a script: tools/ is on the path
        from nbclient_replies import wait_for_replies_in_slices

    notebook = nbformat.read(source, as_version=4)
    wait_for_replies_in_slices()
    sockets = Path(tempfile.mkdtemp(prefix="kernel-"))
    # Unix sockets in a folder of its own, not TCP ports: on a machine where others start
    # kernels too, a port picked as free can be taken before the kernel binds it.
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "ipc"))
    client = NotebookClient(notebook, km=kernel, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            store_widget_state=True, record_timing=True,
                            resources={"metadata": {"path": str(source.parent)}})
    if verbose:
        started = time.perf_counter()
        client.on_cell_execute = lambda cell, cell_index: print(
            f"  {time.perf_counter() - started:6.1f} s  {source.name} cell {cell_index}",
            file=sys.stderr, flush=True)
    try:
        client.execute()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.name
    partial = target.with_suffix(".partial")
    nbformat.write(notebook, partial)
    os.replace(partial, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute")
    parser.add_argument("out_dir", type=Path, help="folder for the executed copies")
    parser.add_argument("--all", action="store_true", help="every notebooks/NN_*.ipynb")
    parser.add_argument("--verbose", action="store_true", help="print each cell as it starts")
    args = parser.parse_args(argv)
    sources = course_notebooks() if args.all else args.notebooks
    if not sources:
        parser.error("name the notebooks to execute, or pass --all")
    for source in sources:
        started = time.perf_counter()
        target = execute_notebook(source, args.out_dir, args.verbose)
        print(f"executed {source.name} in {time.perf_counter() - started:.1f} s -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
