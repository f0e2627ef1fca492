"""Shared set-up of the end-to-end tests: the executed notebooks, one Chromium, screenshots.

These tests run only with ``pytest --e2e`` (`make e2e`, after `make site`); `make test` skips
them (see tests/conftest.py). They read the copies that `make executed` wrote to
build/executed/ as the record of what each notebook shows: its figures, sounds and explorers.
"""

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
EXECUTED_DIR = BUILD / "executed"
SITE_DIR = BUILD / "site"
SCREENSHOT_DIR = BUILD / "screenshots"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAKE_MICROPHONE = ROOT / "data" / "real-speech" / "arctic_a0009.wav"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [  # quiet on a machine without network: no background calls home
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    # a microphone that "hears" a CMU ARCTIC recording, allowed without asking
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    f"--use-file-for-fake-audio-capture={FAKE_MICROPHONE}",
]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class ExecutedNotebook:
    """What the executed copy of a notebook shows, counted from its saved outputs."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self.notebook = json.loads(path.read_text())
        outputs = [o for c in self.notebook["cells"] if c["cell_type"] == "code"
                   for o in c["outputs"]]
        self.n_images = sum("image/png" in o.get("data", {}) for o in outputs)
        self.n_audio = sum("".join(o.get("data", {}).get("text/html", "")).count("<audio")
                           for o in outputs)
        self.n_errors = sum(o["output_type"] == "error" for o in outputs)
        states = self.notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {})
        models = states.get("state", {}).values()
        self.n_explorers = sum("widget-interact" in m["state"].get("_dom_classes", [])
                               for m in models)
        self.has_recorder = any(m["model_module"] == "anywidget" for m in models)
        self.has_math = any("$" in "".join(c["source"]) for c in self.notebook["cells"]
                            if c["cell_type"] == "markdown")


@pytest.fixture(scope="session")
def executed():
    """name -> :class:`ExecutedNotebook` for every course notebook; fails if a copy is missing
    or older than its notebook (run `make executed`)."""
    found = {}
    for source in NOTEBOOKS:
        copy = EXECUTED_DIR / source.name
        if not copy.is_file() or copy.stat().st_mtime < source.stat().st_mtime:
            pytest.fail(f"{copy} is missing or older than {source}: run `make executed`")
        found[source.name] = ExecutedNotebook(copy)
    return found


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every end-to-end test."""
    if not Path(CHROMIUM).exists():
        pytest.fail("the end-to-end tests need Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots():
    """The folder for screenshots (build/screenshots/), emptied once per session."""
    shutil.rmtree(SCREENSHOT_DIR, ignore_errors=True)
    SCREENSHOT_DIR.mkdir(parents=True)
    return SCREENSHOT_DIR


def block_outside_requests(page, base_url: str) -> list[str]:
    """Abort every request of ``page`` that leaves ``base_url`` (or data:/blob: URLs); return
    the list that collects the blocked URLs, for the test to assert empty."""
    blocked = []

    def handle(route):
        url = route.request.url
        if url.startswith((base_url, "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", handle)
    return blocked
