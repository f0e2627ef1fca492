"""The tools behind `make site` (tools/), without building the site: executing a notebook with
its widget state, choosing which widget states a static page can draw, the generated table of
contents and home page, and unpacking the pinned JavaScript. The site itself is tested in a
browser by tests/e2e/test_site.py (`make e2e`)."""

import io
import json
import tarfile

import nbformat
import pytest

from tools import build_site, vendor_js
from tools.execute_notebooks import ROOT, course_notebooks, execute_notebook


def test_course_notebooks_are_every_numbered_notebook_in_order():
    found = course_notebooks()
    assert found == sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) and found
    numbers = [int(p.name[:2]) for p in found]  # gaps: tests/test_notebooks.py's NOT_WRITTEN_YET
    assert numbers == sorted(set(numbers))


def test_executed_copy_keeps_outputs_cell_times_and_widget_state(tmp_path):
    source = tmp_path / "source" / "00_tiny.ipynb"
    source.parent.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import ipywidgets\nslider = ipywidgets.IntSlider(value=3)\nslider")])
    nbformat.write(notebook, source)
    copy = nbformat.read(execute_notebook(source, tmp_path / "executed"), as_version=4)
    cell = copy.cells[0]
    assert build_site.WIDGET_VIEW in cell.outputs[0]["data"]
    assert "shell.execute_reply" in cell.metadata["execution"]
    states = copy.metadata["widgets"][build_site.WIDGET_STATE]["state"]
    sliders = [s for s in states.values() if s["model_name"] == "IntSliderModel"]
    assert len(sliders) == 1 and sliders[0]["state"]["value"] == 3
    assert nbformat.read(source, as_version=4).cells[0].outputs == [], "the source is untouched"


def widget_model(module, name, **state):
    return {"model_module": module, "model_module_version": "*", "model_name": name,
            "state": state}


def test_static_pages_keep_built_in_widgets_and_replace_the_rest():
    states = {
        "slider": widget_model("@jupyter-widgets/controls", "IntSliderModel",
                               layout="IPY_MODEL_layout"),
        "layout": widget_model("@jupyter-widgets/base", "LayoutModel"),
        "recorder": widget_model("anywidget", "AnyModel"),
        "box": widget_model("@jupyter-widgets/controls", "VBoxModel",
                            children=["IPY_MODEL_recorder", "IPY_MODEL_slider"]),
        "orphan": widget_model("@jupyter-widgets/controls", "IntSliderModel"),
    }

    def view(model_id):
        return nbformat.v4.new_output("display_data", data={
            build_site.WIDGET_VIEW: {"model_id": model_id, "version_major": 2,
                                     "version_minor": 0}, "text/plain": "widget"})

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[view("slider")]),
                                               nbformat.v4.new_code_cell(outputs=[view("box")])])
    notebook.metadata["widgets"] = {build_site.WIDGET_STATE: {"state": states}}
    assert build_site.keep_drawable_widgets(notebook) == 1
    assert build_site.WIDGET_VIEW in notebook.cells[0].outputs[0]["data"]
    assert "JupyterLab" in notebook.cells[1].outputs[0]["data"]["text/html"]
    kept = notebook.metadata["widgets"][build_site.WIDGET_STATE]["state"]
    assert set(kept) == {"slider", "layout"}


def test_every_notebook_has_a_title_and_learning_goals_for_the_home_page():
    for path in course_notebooks():
        title, goals = build_site.title_and_goals(nbformat.read(path, as_version=4))
        assert title[:2] == path.name[:2] and goals.startswith("After this notebook you can")
    with pytest.raises(ValueError, match="Learning goals"):
        build_site.title_and_goals(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell("# A title only")]))


def test_table_of_contents_lists_notebooks_then_the_library_in_order():
    toc = build_site.table_of_contents(["00_a.ipynb", "01_b.ipynb"], ["data", "synth"])
    lines = [line.strip() for line in toc.splitlines()]
    positions = [lines.index(f"- file: {f}") for f in
                 ("notebooks/00_a", "notebooks/01_b", "api/index", "api/data", "api/synth")]
    assert positions == sorted(positions)


def test_home_page_and_library_pages_cover_every_notebook_and_module():
    entries = [(p.name, *build_site.title_and_goals(nbformat.read(p, as_version=4)))
               for p in course_notebooks()]
    home = build_site.home_page(entries)
    assert build_site.NOTEBOOK_LIST_MARKER not in home
    assert all(f"(notebooks/{name})" in home for name, _, _ in entries)
    modules = build_site.library_modules()
    assert {"synth", "voice", "widgets"} <= set(modules)
    assert all(build_site.module_summary(m) for m in modules), "every module has a docstring"
    assert ".. automodule:: course_lib.synth" in build_site.module_page("synth")


def make_tarball(path, files):
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_vendored_files_are_unpacked_and_a_missing_one_is_an_error(tmp_path):
    tarball = tmp_path / "demo-1.0.0.tgz"
    make_tarball(tarball, {"LICENSE": b"MIT", "dist/a.js": b"1", "dist/a.js.map": b"2",
                           "src/a.ts": b"3"})
    package = {"name": "@scope/demo", "version": "1.0.0", "files": ["LICENSE", "dist/*.js"]}
    written = vendor_js.unpack(package, tarball, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == \
        ["@scope/demo/LICENSE", "@scope/demo/dist/a.js"]
    assert vendor_js.integrity_of(tarball).startswith("sha512-")
    with pytest.raises(ValueError, match="no file matching"):
        vendor_js.unpack({**package, "files": ["dist/*.css"]}, tarball, tmp_path / "out")


def test_the_site_javascript_is_pinned_by_version_and_digest():
    packages = vendor_js.load_manifest()
    assert {p["name"] for p in packages} >= set(build_site.VENDORED) - {"@jupyter-widgets"}
    for package in packages:
        assert package["version"].count(".") == 2 and package["integrity"].startswith("sha512-")
    config = (ROOT / "site" / "_config.yml").read_text()
    assert "vendor/mathjax/" in config and "embed-amd.js" in config
    assert "http" not in json.dumps([line for line in config.splitlines()
                                     if not line.lstrip().startswith("#")])
