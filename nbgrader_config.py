"""nbgrader's configuration for this course (the course root is this repository's root).

nbgrader reads the reference notebooks from solutions/ (its "source" folder) and writes its own
release to release/; the repo's `python -m autograder release` writes assignments/ with the same
stub text, and tests/test_nbgrader.py proves that the two releases have the same cells.
"""

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets when this file is loaded

c.CourseDirectory.course_id = "gans-on-mnist"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The percent-format twins (*.pct.py) hold the solutions as text: never copy them to students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.pct.py"]

# The same stubs as the repo's release step (autograder/release.py).
c.ClearSolutions.code_stub = {"python": "# TODO: your code here\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every cell has a time limit: a submission with an endless loop fails that cell, not the batch.
# The training cells skip themselves under nbgrader (NBGRADER_EXECUTION), so 120 s is plenty.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
