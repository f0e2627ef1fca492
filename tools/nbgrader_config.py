# nbgrader's configuration for a course directory made by `make grade` (see TEACHING.md).
# nbgrader reads it from the directory its commands run in; the gradebook is gradebook.db there.
c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

c.CourseDirectory.course_id = "llm-audio-course"
# A cell may run for up to 120 s (the course's budget, as nbval's); nbgrader's default is 30 s.
c.Execute.timeout = 120


def _wait_for_replies_in_slices():
    """nbclient polls for each cell's reply every second (tools/nbclient_replies.py, copied
    next to this file by `make grade`, says why: jupyter/nbclient#312)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("nbclient_replies.py")
    spec = importlib.util.spec_from_file_location("nbclient_replies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.wait_for_replies_in_slices()


_wait_for_replies_in_slices()
