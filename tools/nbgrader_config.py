# nbgrader's configuration for a course directory made by `make grade` (see TEACHING.md).
# nbgrader reads it from the directory its commands run in; the gradebook is gradebook.db there.
c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

c.CourseDirectory.course_id = "llm-audio-course"
# A cell may run for up to 120 s (the course's budget, as nbval's); nbgrader's default is 30 s.
c.Execute.timeout = 120


def _wait_for_replies_in_slices():
    """Make nbclient wait for a kernel's reply in slices of at most a second.

    nbclient waits for a cell's reply with one long poll of the kernel's shell socket. When the
    cell displays a widget, the poll sometimes misses the reply (jupyter/nbclient#312): the cell
    then waits for the whole timeout above, and at the end either passes or fails with "Cell
    execution timed out" -- an explorer cell failed a student's homework that way. A fresh poll
    sees a reply that is already waiting, so polling again every second never misses it.
    """
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


_wait_for_replies_in_slices()

# With JupyterHub's exchange (nbgrader release_assignment / fetch_assignment / submit /
# collect), say where it lives:
# c.Exchange.root = "/srv/nbgrader/exchange"
