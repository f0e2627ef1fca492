"""Minutes of study per notebook and per section, measured: the tables of TEACHING.md.

Executes every course notebook once (nbclient, as JupyterLab would), records how long each
cell runs, counts the words a learner reads (markdown prose, and code as whitespace-separated
tokens; exercise solutions and hidden tests left out, as in the student version), and turns
both into minutes:

    minutes = prose words / PROSE_RATE + code tokens / CODE_RATE + run seconds / 60

Usage (from the repository root, in the course environment):

    python tools/teaching_minutes.py                       # print the tables
    python tools/teaching_minutes.py --write TEACHING.md   # replace them between the markers

Solving the exercises, listening to the audio and playing with the explorers are not in the
minutes: they depend on the learner, and TEACHING.md budgets them separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROSE_RATE = 200  # words per minute: a careful reading rate for technical prose
CODE_RATE = 80    # code tokens per minute: about ten lines of eight tokens, read to understand
BEGIN, END = "<!-- teaching-minutes:begin -->", "<!-- teaching-minutes:end -->"
SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.DOTALL)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.DOTALL)


@dataclass
class Section:
    title: str
    prose_words: int = 0
    code_tokens: int = 0
    run_seconds: float = 0.0

    @property
    def minutes(self) -> float:
        return (self.prose_words / PROSE_RATE + self.code_tokens / CODE_RATE
                + self.run_seconds / 60)


@dataclass
class NotebookMeasure:
    name: str
    sections: list[Section] = field(default_factory=list)
    figures: int = 0
    explorers: int = 0
    audio_players: int = 0
    exercises: int = 0
    points: float = 0
    peak_megabytes: float = 0.0

    def total(self, attribute: str, exercises: bool):
        return sum(getattr(s, attribute) for s in self.sections
                   if s.title.startswith("Exercises") == exercises)


def learner_visible(source: str) -> str:
    """A cell as the student version shows it: no solution, no hidden tests."""
    return HIDDEN.sub("", SOLUTION.sub("", source))


def count_media(cell) -> tuple[int, int, int]:
    """Figures shown as images, explorers and audio players in a cell's outputs. An explorer is
    an ``ipywidgets.interactive`` view (progress bars are widgets too, but not explorers); a
    figure drawn inside an explorer counts as the explorer."""
    figures = explorers = audio = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        figures += "image/png" in data
        explorers += ("application/vnd.jupyter.widget-view+json" in data
                      and str(data.get("text/plain", "")).startswith("interactive("))
        audio += "<audio" in str(data.get("text/html", ""))
    return figures, explorers, audio


def cell_seconds(cell) -> float:
    """How long the kernel spent on a cell, by its own clock: from the execute_input message
    to the execute_reply, whose times nbclient records in the cell's metadata (0 for a cell
    that did not run). The kernel's clock, not the client's: the client's wait for a reply is
    not the learner's (tools/nbclient_replies.py, jupyter/nbclient#312)."""
    timing = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return 0.0
    started = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    return (finished - started).total_seconds()


def measure(executed) -> list[Section]:
    """Split an executed notebook at its level-2 headings and total each part."""
    sections = [Section("Introduction and set-up")]
    for cell in executed["cells"]:
        source = learner_visible("".join(cell["source"]))
        if cell["cell_type"] == "markdown":
            # a cell may hold text of the current section, then one or more new headings
            for part in re.split(r"^(?=## )", source, flags=re.M):
                heading = re.match(r"## (.+)", part)
                if heading:
                    sections.append(Section(heading.group(1).strip()))
                sections[-1].prose_words += len(part.split())
        elif cell["cell_type"] == "code":
            sections[-1].code_tokens += len(source.split())
            sections[-1].run_seconds += cell_seconds(cell)
    return sections


PEAK_MEMORY = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def execute(path: Path):
    """Run the notebook as JupyterLab would, recording each cell's timing in its metadata.

    Returns the executed notebook and the kernel's peak resident memory in MB, read by one
    extra cell run after the last (and removed again). A cell may take 120 s, the course's
    budget (CONTRIBUTING.md).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient_replies import wait_for_replies_in_slices  # tools/ is the script's folder

    wait_for_replies_in_slices()
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY))
    NotebookClient(notebook, timeout=120, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    probe = notebook.cells.pop()
    peak_kilobytes = int("".join(o.get("text", "") for o in probe.outputs).split()[-1])
    return notebook, peak_kilobytes / 1024


def measure_notebook(path: Path) -> NotebookMeasure:
    executed, peak_megabytes = execute(path)
    result = NotebookMeasure(path.stem, measure(executed), peak_megabytes=peak_megabytes)
    for cell in executed["cells"]:
        figures, explorers, audio = count_media(cell)
        result.figures += figures
        result.explorers += explorers
        result.audio_players += audio
        grading = cell["metadata"].get("nbgrader", {})
        if grading.get("grade"):
            result.exercises += 1
            result.points += grading["points"]
    return result


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} cores, {platform.system()}, Python "
            f"{platform.python_version()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
            f"load average {load:.1f} when the measurement started, "
            f"{time.strftime('%Y-%m-%d')}")


def tables(measures: list[NotebookMeasure], machine_line: str) -> str:
    lines = [
        f"Measured by `python tools/teaching_minutes.py` on: {machine_line}. Reading rates: "
        f"{PROSE_RATE} words per minute of prose, {CODE_RATE} whitespace-separated tokens per "
        "minute of code. Study minutes = reading + running the cells (by the kernel's clock); "
        "exercises are counted apart (reading their statements and tests only, not solving "
        "them). Kernel memory: the peak resident memory of the notebook's kernel.",
        "",
        "| notebook | prose words | code tokens | cells run (s) | study (min) | exercises: reading (min) | exercises, points | figures | explorers | audio players | kernel memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for m in measures:
        study = sum(s.minutes for s in m.sections if not s.title.startswith("Exercises"))
        exercise_minutes = sum(s.minutes for s in m.sections if s.title.startswith("Exercises"))
        lines.append(
            f"| {m.name} | {m.total('prose_words', False)} | {m.total('code_tokens', False)} "
            f"| {m.total('run_seconds', False):.0f} | {study:.0f} | {exercise_minutes:.0f} "
            f"| {m.exercises}, {m.points:g} | {m.figures} | {m.explorers} | {m.audio_players} "
            f"| {m.peak_megabytes:.0f} |")
    lines += ["", "Minutes per section (reading + running):", ""]
    for m in measures:
        parts = "; ".join(f"{s.title} {s.minutes:.0f}" for s in m.sections)
        lines.append(f"* **{m.name}**: {parts}.")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="replace the tables between the markers "
                        f"{BEGIN} and {END} in this file")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to measure (default: notebooks/NN_*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    machine_line = machine()
    measures = []
    for path in paths:
        started = time.monotonic()
        measures.append(measure_notebook(path))
        cells = sum(s.run_seconds for s in measures[-1].sections)
        print(f"measured {path.name}: cells ran {cells:.0f} s by the kernel's clock, "
              f"{time.monotonic() - started:.0f} s by the wall clock", flush=True)
    text = tables(measures, machine_line)
    if args.write:
        document = args.write.read_text()
        if BEGIN not in document or END not in document:
            raise ValueError(f"{args.write} must contain the markers {BEGIN} and {END}")
        head, rest = document.split(BEGIN, 1)
        args.write.write_text(f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
    print(text)


if __name__ == "__main__":
    main()
