"""The course's grader.

Verbs (``gan-grader VERB``, or ``python -m autograder VERB``), one module each:

* ``release``  build ``assignments/`` from ``solutions/`` (:mod:`autograder.instructor.release`)
* ``sync``     regenerate notebooks from their percent-format twins (:mod:`autograder.instructor.sync`)
* ``check``    a student's self-check: visible checks only (:mod:`autograder.grading.grade`)
* ``grade``    grade one submission, write Gradescope ``results.json`` (:mod:`autograder.grading.grade`)
* ``grade-all`` grade a folder of submissions, resumable, with a gradebook (:mod:`autograder.grading.batch`)
* ``report``   a student's feedback page (Markdown/HTML) from ``results.json`` (:mod:`autograder.grading.pages`)
* ``package``  the autograder zip for Gradescope (:mod:`autograder.instructor.package`)

The folders say who runs what:

* ``autograder/grading/``: the grading parent (load, run the sandbox, judge, results, feedback,
  render); never runs student code;
* ``autograder/child/``: what runs in the sandboxed child, next to the student's code (the entry
  point, the observers' helpers, the fallback jail); it only *observes*;
* ``autograder/probes/``: the probes the assignments share (observe half in the child, judge half
  in the parent);
* ``autograder/assignments/``: each assignment's checks;
* ``autograder/instructor/``: what instructors run (release, sync, package); not shipped to graders.

At the top level: the command line (``__main__``, whose start :mod:`autograder.safe_start`
guards), :mod:`autograder.checks` (what a check is, the contract both halves import),
:mod:`autograder.paths`, and what students run in their own process (:mod:`autograder.submit`,
:mod:`autograder.selfcheck`). The layers, bottom to top: docs/grading.md, "How a grading flows".
"""

ASSIGNMENTS = ("first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project", "dcgan")
