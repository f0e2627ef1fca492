"""Make nbclient wait for a kernel's reply in slices of at most a second (jupyter/nbclient#312).

nbclient waits for a cell's reply with one long poll of the kernel's shell socket. When the
cell displays a widget, that poll sometimes misses the reply: the client then sits until the
cell's whole timeout has passed, and at the end either goes on or fails the cell with "Cell
execution timed out". Measured on notebook 00 (two explorers), executed by nbclient with a
120 s timeout: 132 s without this, 11-15 s with it. An autograded notebook 00 failed that way
in CI. A fresh poll sees a reply that is already waiting, so polling again every second never
misses it.

Every tool that executes notebooks with nbclient calls :func:`wait_for_replies_in_slices` first:
``tools/execute_notebooks.py`` (the website), ``tools/teaching_minutes.py`` and, through
``nbgrader_config.py``, nbgrader's autograder.
"""

from __future__ import annotations


def wait_for_replies_in_slices() -> None:
    """Patch jupyter_client's asyncio channel so that ``get_msg(timeout)`` polls in slices of
    at most one second until ``timeout`` (or forever for ``None``); calling it again is a no-op."""
    from queue import Empty
    from time import monotonic

    from jupyter_client.channels import AsyncZMQSocketChannel

    poll_once = AsyncZMQSocketChannel.get_msg
    if getattr(poll_once, "in_slices", False):
        return

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            try:
                return await poll_once(self, timeout=1.0 if left is None else min(1.0, left))
            except Empty:
                if left is not None and left <= 1.0:
                    raise

    get_msg.in_slices = True
    AsyncZMQSocketChannel.get_msg = get_msg
