# nbgrader's configuration for a course directory made by `make grade` (see TEACHING.md).
# nbgrader reads it from the directory its commands run in; the gradebook is gradebook.db there.
c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

c.CourseDirectory.course_id = "llm-audio-course"
# A notebook cell may run for a minute or two on a small machine; nbgrader's default is 30 s.
c.Execute.timeout = 300

# With JupyterHub's exchange (nbgrader release_assignment / fetch_assignment / submit /
# collect), say where it lives:
# c.Exchange.root = "/srv/nbgrader/exchange"
