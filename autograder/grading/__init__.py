"""The grading parent: everything the grader's own process runs to grade a submission.

Never runs student code. In the order of one grading:

* load: :mod:`.submission` (the program the child runs), :mod:`.match` and :mod:`.cells` (finding
  the student's cells), :mod:`.safe_read` (reading the submitted files without following links);
* run: :mod:`.sandbox` starts the child (``autograder/child/``) in a jail built by :mod:`.bwrap`
  (or ``autograder/child/jail.py``) inside the limits of :mod:`.cgroup`, and collects its events;
* judge: :mod:`.grade` (one submission), :mod:`.batch` (a folder of them), :mod:`.evaluate`
  (a trained generator's figures);
* results: :mod:`.results` (the Result, ``results.json``, the terminal table);
* feedback: :mod:`.feedback` (the words for an error the child reported);
* render: :mod:`.pages` (a student's feedback page from ``results.json``) and :mod:`.summary`
  (the class after ``grade-all``).
"""
