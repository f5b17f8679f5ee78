"""The course's grader.

Verbs (``python -m autograder VERB``), one module each:

* ``release``  build ``assignments/`` from ``solutions/`` (:mod:`autograder.instructor.release`)
* ``sync``     regenerate notebooks from their percent-format twins (:mod:`autograder.instructor.sync`)
* ``check``    a student's self-check: visible checks only (:mod:`autograder.grade`)
* ``grade``    grade one submission, write Gradescope ``results.json`` (:mod:`autograder.grade`)
* ``grade-all`` grade a folder of submissions, resumable, with a gradebook (:mod:`autograder.batch`)
* ``report``   a student's feedback page (Markdown/HTML) from ``results.json`` (:mod:`autograder.render`)
* ``package``  the autograder zip for Gradescope (:mod:`autograder.instructor.package`)

The student's code never runs in the grader's process: :mod:`autograder.sandbox` starts a child
(:mod:`autograder.child`) that only *observes* the submission; the verdicts are decided here
(:mod:`autograder.checks`, ``autograder/assignments/<id>`` and the probes of
:mod:`autograder.probes`).
"""

ASSIGNMENTS = ("first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project")
