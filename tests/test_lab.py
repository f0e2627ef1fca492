"""`make lab` serves JupyterLab: start it on a free port, fetch /lab, stop it."""

import json
import urllib.request
from pathlib import Path

from tests.servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent


def test_make_lab_serves_jupyterlab():
    port = free_port()
    flags = "--no-browser --ServerApp.ip=127.0.0.1 --IdentityProvider.token="
    with serving(["make", "lab", f"PORT={port}", f"LAB_FLAGS={flags}"], port, cwd=ROOT) as url:
        with urllib.request.urlopen(f"{url}/lab", timeout=10) as response:
            assert response.status == 200
            assert "JupyterLab" in response.read().decode()
        with urllib.request.urlopen(f"{url}/api/contents", timeout=10) as response:
            listing = json.load(response)
        assert "00_the_four_mismatches.ipynb" in {item["name"] for item in listing["content"]}, \
            "make lab should open on notebooks/"
