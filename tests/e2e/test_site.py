"""The course website (`make site`, build/site/) read in headless Chromium, offline.

For every notebook page: its figures are loaded images, each sound of the notebook is an
``<audio>`` element whose WAV data decodes to a positive duration, the explorers' saved
states are drawn with their figures, math is typeset, the page says where the interactive
version runs, and nothing was requested from outside the site. Screenshots go to
build/screenshots/site-*.png.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import NOTEBOOKS, SITE_DIR, block_outside_requests

pytestmark = pytest.mark.e2e
LIBRARY_MODULES = sorted(p.stem for p in (Path(__file__).parents[2] / "course_lib").glob("*.py")
                         if not p.name.startswith("_"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    """build/site/ served on a free local port for the duration of this module."""
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"no site in {SITE_DIR}: run `make site`")
    handler = functools.partial(QuietHandler, directory=str(SITE_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, site_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.blocked = block_outside_requests(page, site_url)
    yield page
    page.close()


def test_home_page_lists_every_notebook_with_its_goals_and_the_library(page, site_url,
                                                                        screenshots):
    page.goto(f"{site_url}/index.html")
    links = page.eval_on_selector_all(
        "article a[href*='notebooks/']", "links => links.map(a => a.getAttribute('href'))")
    for notebook in NOTEBOOKS:
        assert any(notebook.stem in href for href in links), f"no link to {notebook.name}"
    assert page.locator("article").inner_text().count("After this notebook you can") \
        == len(NOTEBOOKS)
    navigation = page.locator("nav.bd-links").inner_text()
    assert "Library reference" in navigation
    banner = page.locator(".bd-header-announcement").inner_text()
    assert "make lab" in banner, "every page's banner says where the interactive version runs"
    page.screenshot(path=screenshots / "site-home.png")
    assert page.blocked == [], f"the page fetched from outside the site: {page.blocked}"


@pytest.mark.parametrize("module", LIBRARY_MODULES)
def test_library_page_documents_the_module_from_its_docstrings(page, site_url, module):
    page.goto(f"{site_url}/api/{module}.html")
    documented = page.locator("dl.py.function, dl.py.class")
    assert documented.count() > 0, f"no function or class documented on the {module} page"
    assert documented.first.locator("> dd").inner_text().strip(), "an empty docstring"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_page_shows_figures_sounds_and_explorers(page, site_url, executed, screenshots,
                                                          notebook):
    expected = executed[notebook.name]
    page.goto(f"{site_url}/notebooks/{notebook.stem}.html")
    page.wait_for_load_state("load")
    text = page.locator("article").inner_text()
    assert "Learning goals" in text
    assert "make lab" in text, "the page must say where the interactive version runs"

    images = page.locator("article .cell_output img")
    assert images.count() >= expected.n_images, "a figure of the notebook is missing"
    page.wait_for_function("[...document.querySelectorAll('article .cell_output img')]"
                           ".every(img => img.complete)")
    broken = page.eval_on_selector_all("article .cell_output img",
                                       "imgs => imgs.filter(i => !(i.naturalWidth > 0)).length")
    assert broken == 0, f"{broken} images did not load"

    # the cells' players (an explorer's saved state may draw a player of its own: notebook 01)
    n_cell_players = page.eval_on_selector_all(
        "article audio", "els => els.filter(a => !a.closest('.widget-interact')).length")
    assert n_cell_players == expected.n_audio
    if expected.n_audio:  # the WAV data must decode: metadata gives a finite positive duration
        page.wait_for_function("[...document.querySelectorAll('article audio')]"
                               ".every(a => a.readyState >= 1)")
        durations = page.eval_on_selector_all("article audio", "els => els.map(a => a.duration)")
        assert all(0 < d < 600 for d in durations), durations

    if expected.n_explorers:  # saved widget states drawn by the vendored widget manager
        page.wait_for_function(f"document.querySelectorAll('.widget-interact').length >= "
                               f"{expected.n_explorers}", timeout=60_000)
        explorer = page.locator(".widget-interact").first
        explorer.scroll_into_view_if_needed()
        explorer.locator("img").first.wait_for()
        assert explorer.locator(".widget-slider, .widget-dropdown, .widget-toggle-buttons")\
            .count() > 0, "the explorer's controls were not drawn"
        explorer.screenshot(path=screenshots / f"site-{notebook.stem}-explorer.png")

    if expected.has_math:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        assert page.locator("mjx-container").count() > 0, "no formula was typeset"
        assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"

    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / f"site-{notebook.stem}.png")
    assert page.blocked == [], f"the page fetched from outside the site: {page.blocked}"
