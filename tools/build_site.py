"""Build the course website from the executed notebooks (Jupyter Book 1.x, i.e. Sphinx).

Usage (`make site` runs it after executing the notebooks and fetching the JavaScript)::

    python tools/build_site.py --executed build/executed --js build/js --out build/site

It stages a book in ``build/site-src/``: the settings of ``site/``, a home page listing every
notebook with its learning goals, one page per executed notebook, one page per ``course_lib``
module (autodoc, from the docstrings), a generated table of contents, and the vendored
JavaScript; then ``jupyter-book build`` turns it into static HTML in ``--out``. The book is
built from whatever notebooks exist, so new notebooks appear without editing anything here.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "site"
sys.path.insert(0, str(ROOT))
from tools.execute_notebooks import course_notebooks  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BUILT_IN_WIDGET_MODULES = ("@jupyter-widgets/base", "@jupyter-widgets/controls",
                           "@jupyter-widgets/output")
NOTEBOOK_LIST_MARKER = "<!-- NOTEBOOKS -->"
VENDORED = ("mathjax", "@jupyter-widgets", "requirejs")


# --- notebooks -------------------------------------------------------------------------------

def title_and_goals(notebook) -> tuple[str, str]:
    """The title (first heading) and the learning goals (markdown) of a notebook's first cell."""
    first = notebook.cells[0]
    if first.cell_type != "markdown" or "Learning goals" not in first.source:
        raise ValueError("the first cell must be markdown with the title and **Learning goals**")
    title = first.source.splitlines()[0].lstrip("#").strip()
    goals = first.source.split("Learning goals", 1)[1].lstrip("*.: ").strip()
    return title, goals


def referenced_models(value) -> set[str]:
    """Model ids that a widget state or output refers to, at any depth."""
    if isinstance(value, str):
        return {value[len("IPY_MODEL_"):]} if value.startswith("IPY_MODEL_") else set()
    if isinstance(value, dict):
        found = {value["model_id"]} if isinstance(value.get("model_id"), str) else set()
        return found.union(*(referenced_models(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_models(v) for v in value))
    return set()


def closure(model_ids: set[str], states: dict) -> set[str]:
    """``model_ids`` and every model that they refer to, transitively."""
    seen, todo = set(), list(model_ids)
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in states:
            continue
        seen.add(model_id)
        todo.extend(referenced_models(states[model_id]["state"]))
    return seen


def keep_drawable_widgets(notebook) -> int:
    """Keep the widget views that the static page can draw with the built-in widget manager.

    A view that needs a widget module outside ``@jupyter-widgets`` (the anywidget recorder)
    would make the page fetch that module from a CDN: its view output is replaced by a note, and
    the saved state keeps only the models that the remaining views use. Returns how many views
    were replaced.
    """
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE)
    states = saved["state"] if saved else {}
    replaced, kept_views = 0, set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            needed = closure({view["model_id"]}, states)
            drawable = needed and all(states[m]["model_module"] in BUILT_IN_WIDGET_MODULES
                                      for m in needed)
            if drawable:
                kept_views |= needed
            else:
                output["data"] = {"text/html": (
                    "<p><em>An interactive widget that only works with a running kernel: "
                    "open this notebook in JupyterLab to use it.</em></p>")}
                replaced += 1
    if saved:
        saved["state"] = {m: s for m, s in states.items() if m in kept_views}
    return replaced


def run_note(notebook_name: str) -> nbformat.NotebookNode:
    """The markdown cell put under each notebook's title: where the interactive version runs."""
    return nbformat.v4.new_markdown_cell(
        ":::{note}\n"
        "This page shows the notebook as it ran when the site was built. To run it, change it "
        "and move its sliders, open `notebooks/" + notebook_name + "` in JupyterLab (`make lab` "
        "in a clone of the course), or on Binder from the repository (see the README).\n"
        ":::")


def stage_notebook(executed: Path, target: Path) -> tuple[str, str]:
    """Copy one executed notebook into the book with its note; return (title, goals)."""
    notebook = nbformat.read(executed, as_version=4)
    title, goals = title_and_goals(notebook)
    keep_drawable_widgets(notebook)
    notebook.cells.insert(1, run_note(executed.name))
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return title, goals


# --- library reference -----------------------------------------------------------------------

def library_modules() -> list[str]:
    """Names of the public modules of ``course_lib``, in alphabetical order."""
    return sorted(m.name for m in pkgutil.iter_modules([str(ROOT / "course_lib")])
                  if not m.name.startswith("_"))


def module_summary(name: str) -> str:
    """The first line of a module's (or package's) docstring, read without importing it."""
    path = ROOT / "course_lib" / name
    source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
    match = re.match(r'\s*(?:from __future__[^\n]*\n\s*)?[rub]*"""\s*(.+)', source)
    return match.group(1).strip() if match else ""


def module_page(name: str) -> str:
    """A reStructuredText page that autodoc fills from the module's docstrings (the docstrings
    are reStructuredText with Google-style sections, which napoleon reads)."""
    title = f"``course_lib.{name}``"
    return (f"{title}\n{'=' * len(title)}\n\n"
            f".. automodule:: course_lib.{name}\n   :members:\n   :show-inheritance:\n")


def library_index(names: list[str]) -> str:
    rows = "\n".join(f"| [`course_lib.{n}`]({n}.rst) | {module_summary(n)} |" for n in names)
    return ("# The library: `course_lib`\n\n"
            "What the notebooks derive step by step, kept as tested functions that later "
            "notebooks import. Each page is generated from the module's docstrings.\n\n"
            "| module | what it holds |\n|---|---|\n" + rows + "\n")


# --- the book --------------------------------------------------------------------------------

def table_of_contents(notebook_names: list[str], module_names: list[str]) -> str:
    lines = ["format: jb-book", "root: index", "parts:",
             "  - caption: Notebooks", "    chapters:"]
    lines += [f"      - file: notebooks/{Path(n).stem}" for n in notebook_names]
    lines += ["  - caption: Library reference", "    chapters:",
              "      - file: api/index", "        sections:"]
    lines += [f"          - file: api/{m}" for m in module_names]
    return "\n".join(lines) + "\n"


def home_page(entries: list[tuple[str, str, str]]) -> str:
    """The intro of ``site/intro.md`` with each notebook's title, link and learning goals."""
    listing = "\n\n".join(f"### [{title}](notebooks/{name})\n\n{goals}"
                          for name, title, goals in entries)
    intro = (SITE_DIR / "intro.md").read_text()
    if NOTEBOOK_LIST_MARKER not in intro:
        raise ValueError(f"site/intro.md must contain {NOTEBOOK_LIST_MARKER}")
    return intro.replace(NOTEBOOK_LIST_MARKER, listing)


def stage_book(executed_dir: Path, js_dir: Path, stage_dir: Path) -> list[str]:
    """Write the book's sources to ``stage_dir``; return the notebook file names staged."""
    names = [p.name for p in course_notebooks()]
    missing = [n for n in names if not (executed_dir / n).is_file()]
    if missing:
        raise ValueError(f"no executed copy in {executed_dir} of {missing}: run `make executed`")
    shutil.rmtree(stage_dir, ignore_errors=True)
    (stage_dir / "api").mkdir(parents=True)
    entries = [(name, *stage_notebook(executed_dir / name, stage_dir / "notebooks" / name))
               for name in names]
    modules = library_modules()
    for module in modules:
        (stage_dir / "api" / f"{module}.rst").write_text(module_page(module))
    (stage_dir / "api" / "index.md").write_text(library_index(modules))
    (stage_dir / "index.md").write_text(home_page(entries))
    (stage_dir / "_toc.yml").write_text(table_of_contents(names, modules))
    shutil.copy(SITE_DIR / "_config.yml", stage_dir / "_config.yml")
    for package in VENDORED:
        if not (js_dir / package).is_dir():
            raise ValueError(f"{js_dir / package} is missing: run tools/vendor_js.py {js_dir}")
        shutil.copytree(js_dir / package, stage_dir / "_static" / "vendor" / package)
    return names


def build_book(stage_dir: Path, out_dir: Path) -> None:
    """Run ``jupyter-book build`` on the staged sources; the HTML ends up in ``out_dir``.

    Sphinx warnings fail the build (a broken reference or docstring is a bug of the site).
    """
    build_dir = stage_dir.parent / (stage_dir.name + "-build")
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", str(stage_dir), "--path-output", str(build_dir),
                    "--builder", "html", "--warningiserror", "--keep-going", "--all"],
                   check=True, env=environment)
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(build_dir / "_build" / "html", out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--js", type=Path, default=ROOT / "build" / "js")
    parser.add_argument("--stage", type=Path, default=ROOT / "build" / "site-src")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    names = stage_book(args.executed, args.js, args.stage)
    build_book(args.stage, args.out)
    print(f"built {len(names)} notebook pages and {len(library_modules())} library pages "
          f"into {args.out}/ (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
