"""The rate explorer works for a person: JupyterLab in a real (headless) browser.

Opens notebook 00 in JupyterLab, runs every cell, presses the right arrow on the explorer's
duration slider, and checks that the readout and the figure change. Needs Debian's chromium
(`.ci/run` installs it); without it the test is skipped.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOTEBOOK = "00_the_four_mismatches.ipynb"
CHROMIUM_ARGS = [  # quiet on a machine without network: no background calls home
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def lab_url(tmp_path):
    """A JupyterLab server on a copy of the notebook, so autosave cannot touch the repo.

    Its own settings render every cell (no windowing, so off-screen widgets exist in the page)
    and never ask to fetch news.
    """
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, tmp_path / NOTEBOOK)
    settings = tmp_path / "settings" / "@jupyterlab"
    for plugin, values in [("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false"})]:
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    command = [
        Path(sys.executable).parent / "jupyter", "lab", "--no-browser", "--allow-root",
        f"--ServerApp.root_dir={tmp_path}", f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    with serving(command, port) as url:
        yield url


def test_rate_explorer_responds_in_jupyterlab(lab_url):
    from playwright.sync_api import sync_playwright

    figure_src = "document.querySelector('.widget-interact img')?.getAttribute('src')"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"{lab_url}/lab/tree/{NOTEBOOK}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.started")
        page.wait_for_selector(".jp-Notebook")
        page.evaluate("""async () => {  // wait until the notebook's kernel is up
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.context.ready;
            await panel.sessionContext.ready;
        }""")
        # not awaited: the command's promise settles only when every cell has run
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        outputs = page.locator(".jp-OutputArea-output")
        outputs.filter(has_text="phones per second of speech:").wait_for(timeout=120_000)
        assert outputs.filter(has_text="Traceback").count() == 0, "a cell raised an error"

        explorer = page.locator(".widget-interact").first
        explorer.scroll_into_view_if_needed()
        page.wait_for_function(f"{figure_src}?.startsWith('data:image/png')")
        readout = explorer.locator(".widget-readout").first
        handle = explorer.locator(".noUi-handle").first
        for expected in ("5.50", "6.00"):
            before = page.evaluate(figure_src)
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"{figure_src} && {figure_src} !== {json.dumps(before)}")
            assert readout.inner_text().strip() == expected
        browser.close()
