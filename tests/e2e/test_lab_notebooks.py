"""Every notebook as a learner meets it: JupyterLab in headless Chromium, one shared server.

For each notebook: run all cells and check that no output is an error; check that every
explorer that the executed copy (build/executed/) holds is drawn, move one control of each and
see its figure change; check that the audio players are there. A notebook with the voice
recorder gets a recording from Chromium's fake microphone (a CMU ARCTIC file) and must show
the recognizer's transcription. Screenshots go to build/screenshots/lab-*.png.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import NOTEBOOKS, block_outside_requests
from tests.servers import free_port, serving

pytestmark = pytest.mark.e2e
RUN_TIMEOUT_MS = 600_000     # the slowest notebook takes about a minute on 2 busy cores
REDRAW_TIMEOUT_MS = 120_000  # an explorer recomputes its figure (a Viterbi decode, a codec...)


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """One JupyterLab server for all notebooks, on copies, so that autosave cannot touch the
    repository. Its settings render every cell (no windowing: off-screen widgets exist in the
    page) and never fetch news."""
    root = tmp_path_factory.mktemp("lab")
    config = tmp_path_factory.mktemp("lab-config")  # outside the file browser's root
    for notebook in NOTEBOOKS:
        shutil.copy(notebook, root / notebook.name)
    settings = config / "settings" / "@jupyterlab"
    for plugin, values in [("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false"})]:
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    command = [
        Path(sys.executable).parent / "jupyter", "lab", "--no-browser", "--allow-root",
        f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={config / 'settings'}",
        f"--LabApp.workspaces_dir={config / 'workspaces'}",
    ]
    with serving(command, port) as url:
        yield url


def open_and_run(page, lab_url, name):
    """Open a notebook, wait for its kernel, run every cell and wait until all have run.

    Each notebook gets a workspace of its own, reset, so that JupyterLab does not reopen the
    notebooks of earlier tests beside it."""
    page.goto(f"{lab_url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started")
    page.wait_for_selector(".jp-Notebook")
    page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.context.ready;
        await panel.sessionContext.ready;
        window.runAllFinished = undefined;
        window.jupyterapp.commands.execute('notebook:run-all-cells')
            .then(ok => { window.runAllFinished = ok; });
    }""")
    page.wait_for_function("window.runAllFinished !== undefined", timeout=RUN_TIMEOUT_MS)
    page.wait_for_function("""() => {  // the kernel has gone idle after the last cell
        const panel = window.jupyterapp.shell.currentWidget;
        return panel.sessionContext.session.kernel.status === 'idle';
    }""", timeout=RUN_TIMEOUT_MS)


def error_outputs(page) -> list[str]:
    """Error outputs of the notebook's cells, and tracebacks shown anywhere in its page
    (an exception in an explorer's callback is printed inside the widget, not the cell)."""
    errors = page.evaluate("""() => {
        const panel = window.jupyterapp.shell.currentWidget;
        const found = [];
        for (const cell of panel.content.model.cells) {
            if (cell.type !== 'code') continue;
            for (const output of cell.outputs.toJSON()) {
                if (output.output_type === 'error') found.push(output.ename + ': ' + output.evalue);
            }
        }
        return found;
    }""")
    shown = page.locator(".jp-OutputArea-output").filter(has_text="Traceback (most recent call")
    return errors + [shown.nth(i).inner_text()[:300] for i in range(shown.count())]


def move_first_control(page, explorer) -> None:
    """Move the first control of an explorer one step (back, if it is at its maximum)."""
    handle = explorer.locator(".noUi-handle").first
    if handle.count():
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        return
    select = explorer.locator("select").first
    if select.count():
        options = select.locator("option").all_inner_texts()
        current = select.input_value()
        select.select_option(next(o for o in options if o != current))
        return
    raise AssertionError("the explorer has neither a slider nor a dropdown to move")


def check_explorers(page, notebook_stem, expected_count, screenshots):
    """Every explorer is drawn with a figure, and its figure changes when a control moves."""
    explorers = page.locator(".widget-interact")
    page.wait_for_function(f"document.querySelectorAll('.widget-interact').length >= "
                           f"{expected_count}", timeout=REDRAW_TIMEOUT_MS)
    assert explorers.count() == expected_count
    for index in range(expected_count):
        explorer = explorers.nth(index)
        explorer.scroll_into_view_if_needed()
        figure = explorer.locator(".widget-output img").first
        figure.wait_for(timeout=REDRAW_TIMEOUT_MS)
        before = figure.get_attribute("src")
        move_first_control(page, explorer)
        explorer.evaluate("""(el, before) => new Promise((resolve, reject) => {
            const changed = () => { const img = el.querySelector('.widget-output img');
                                    return img && img.getAttribute('src') !== before; };
            if (changed()) return resolve();
            const watch = new MutationObserver(() => { if (changed()) { watch.disconnect();
                                                                         resolve(); } });
            watch.observe(el, {subtree: true, childList: true, attributes: true});
            setTimeout(() => { watch.disconnect();
                               reject(new Error('the figure did not change')); }, %d);
        })""" % REDRAW_TIMEOUT_MS, before)
        explorer.screenshot(path=screenshots / f"lab-{notebook_stem}-explorer-{index}.png")


def check_recorder(page, screenshots):
    """Record about four seconds from the fake microphone; the transcription must appear."""
    voice = page.locator(".course-voice").first
    voice.scroll_into_view_if_needed()
    button = voice.locator(".course-recorder-button")
    button.click()
    page.wait_for_function("document.querySelector('.course-recorder-button')"
                           ".textContent.includes('Stop')", timeout=30_000)
    page.wait_for_timeout(4_000)
    button.click()
    transcription = voice.locator(".course-voice-transcription")
    transcription.filter(has_text="recognized phones:").wait_for(timeout=REDRAW_TIMEOUT_MS)
    phones = transcription.inner_text().split("recognized phones:", 1)[1].split("|")[0].split()
    assert phones and phones != ["(none)"], "the recognizer heard nothing in the recording"
    status = voice.locator(".course-recorder-status").inner_text()
    assert "recorded" in status or "done" in status, status
    voice.locator(".widget-output img").first.wait_for(timeout=REDRAW_TIMEOUT_MS)
    # typing the sentence adds eSpeak's phones, aligned by the HMM aligner
    sentence = voice.locator("input[type=text]")
    sentence.fill("He turned sharply, and faced Gregson across the table.")
    sentence.press("Enter")
    transcription.filter(has_text="phone error rate").wait_for(timeout=REDRAW_TIMEOUT_MS)
    voice.locator(".widget-output img").first.wait_for(timeout=REDRAW_TIMEOUT_MS)
    voice.screenshot(path=screenshots / "lab-recorder.png")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_responds_in_jupyterlab(browser, lab_url, executed, screenshots,
                                                   notebook):
    expected = executed[notebook.name]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    blocked = block_outside_requests(page, lab_url)
    try:
        open_and_run(page, lab_url, notebook.name)
        assert error_outputs(page) == []
        page.screenshot(path=screenshots / f"lab-{notebook.stem}.png")
        if expected.n_audio:  # the cells' players; an explorer may add its own (notebook 01)
            assert page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook audio')]
                .filter(player => !player.closest('.widget-interact')).length""") == \
                expected.n_audio
        check_explorers(page, notebook.stem, expected.n_explorers, screenshots)
        if expected.has_recorder:
            check_recorder(page, screenshots)
        assert error_outputs(page) == [], "moving a control raised an error"
        assert blocked == [], f"JupyterLab fetched from outside this machine: {blocked}"
    except Exception:
        page.screenshot(path=screenshots / f"lab-{notebook.stem}-failed.png")
        raise
    finally:
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        page.close()
