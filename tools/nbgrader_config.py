# nbgrader's configuration for a course directory made by `make grade` (see TEACHING.md).
# nbgrader reads it from the directory its commands run in; the gradebook is gradebook.db there.
c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

c.CourseDirectory.course_id = "llm-audio-course"
# A cell may run for up to 120 s (the course's budget, as nbval's); nbgrader's default is 30 s.
# The bound also matters when a cell displays a widget: nbclient then sometimes notices the
# cell's reply only at this timeout (jupyter/nbclient#312), and the cell passes after the wait.
c.Execute.timeout = 120

# With JupyterHub's exchange (nbgrader release_assignment / fetch_assignment / submit /
# collect), say where it lives:
# c.Exchange.root = "/srv/nbgrader/exchange"
