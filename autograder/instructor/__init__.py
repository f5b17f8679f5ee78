"""What instructors run: ``release`` (assignments/ from solutions/), ``sync`` (notebooks from
their percent-format twins) and ``package`` (the grader's zip for Gradescope).

Nothing here runs while grading, and nothing here is shipped to graders: the package step leaves
this folder out of the zip (:data:`autograder.instructor.package.INSTRUCTOR`).
"""
