"""Shared test set-up: a headless plotting backend, deterministic hypothesis, no network."""

import os
import socket

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # headless figures in the tests (notebook kernels choose their own)

# Two hypothesis profiles. "short" (the default, `make test`): 40 examples a test, derived from
# each test's source (derandomize), so every run and every CI machine tries the same inputs.
# "long" (`make fuzz`, COURSE_FUZZ_PROFILE=long): 1,000 fresh random examples a test, plus the
# extreme sizes that tests/fuzz/ marks long-only. A test's own @settings still overrides either.
settings.register_profile("short", derandomize=True, deadline=None, max_examples=40,
                          print_blob=True)
settings.register_profile("long", deadline=None, max_examples=1_000, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("COURSE_FUZZ_PROFILE", "short"))

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
