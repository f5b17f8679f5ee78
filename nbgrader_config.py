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

# --- Quiet autograding: the warnings below are expected and harmless ----------------------------
# * "Attribute 'checksum' for cell check_... has changed!": every self-check cell of the release
#   lacks the instructor's hidden tests (the hidden-tests region), so its checksum differs from the
#   source's; autograde then puts the instructor's cell back, hidden tests included. That is how
#   hidden tests reach the grading, for every student, even with an untouched release (a student
#   who edited a locked cell gets it restored the same way).
# * "Cell 'settings' does not exist in the database": the training-settings cells are editable
#   and ungraded, so nbgrader keeps no copy of them.
# * SQLAlchemy's SAWarning "Object of type <SubmittedAssignment> not in session": from nbgrader
#   0.9's own session handling under SQLAlchemy 2 (autoflush while it builds a submission); the
#   gradebook is written correctly (tests/test_nbgrader.py reads the scores back).
# Set GAN_COURSE_NBGRADER_VERBOSE=1 to see them again.
import logging  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402


class _ExpectedWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Attribute 'checksum' for cell check_")
                    or message == "Cell 'settings' does not exist in the database")


if os.environ.get("GAN_COURSE_NBGRADER_VERBOSE") != "1":
    for _app in ("AutogradeApp", "GenerateFeedbackApp", "GenerateAssignmentApp", "NbGraderApp"):
        logging.getLogger(_app).addFilter(_ExpectedWarnings())
    try:
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")
    except ImportError:
        pass
