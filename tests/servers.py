"""Start a JupyterLab server for a test, wait until it answers, and always stop it."""

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(command, port, cwd=None, timeout_s=120):
    """Run ``command`` (a server on 127.0.0.1:``port``); yield its base URL once /lab answers."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    urllib.request.urlopen(f"{url}/lab", timeout=5).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        output = log.read().decode(errors="replace")[-3000:]
                        raise AssertionError(f"the server did not come up:\n{output}") from None
                    time.sleep(0.5)
            yield url
        finally:
            try:
                os.killpg(server.pid, signal.SIGTERM)
            except ProcessLookupError:  # it already exited
                pass
            server.wait(timeout=30)
