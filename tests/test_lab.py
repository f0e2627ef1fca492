"""`make lab` serves JupyterLab: start it on a free port, fetch /lab, stop it."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_serves_jupyterlab():
    port = free_port()
    flags = "--no-browser --ServerApp.ip=127.0.0.1 --IdentityProvider.token="
    server = subprocess.Popen(
        ["make", "lab", f"PORT={port}", f"LAB_FLAGS={flags}"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        status, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as response:
                    status, page = response.status, response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert server.poll() is None, server.stderr.read().decode()[-3000:]
        assert status == 200
        assert "JupyterLab" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as response:
            listing = json.load(response)
        assert "00_the_four_mismatches.ipynb" in {item["name"] for item in listing["content"]}, \
            "make lab should open on notebooks/"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
