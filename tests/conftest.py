"""Shared test set-up: a headless plotting backend, deterministic hypothesis, no network."""

import socket

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")  # headless figures in the tests (notebook kernels choose their own)

settings.register_profile("course", derandomize=True, deadline=None, max_examples=40)
settings.load_profile("course")

_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in ("localhost", "::1") and not host.startswith("127."):
        raise AssertionError(f"the course must run offline, but something connected to {address!r}")
    return _connect(self, address)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Fail any test whose code opens a connection beyond this machine."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


def pytest_addoption(parser):
    parser.addoption("--e2e", action="store_true",
                     help="run the end-to-end browser tests of tests/e2e (what `make e2e` does)")


def pytest_collection_modifyitems(config, items):
    """Skip the e2e-marked tests unless --e2e is given, and say how to run them."""
    if config.getoption("--e2e"):
        return
    skip = pytest.mark.skip(reason="end-to-end browser test: run `make e2e` (executes the "
                                   "notebooks, builds the site, drives Chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)
