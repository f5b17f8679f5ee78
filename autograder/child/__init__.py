"""The sandboxed child: what runs in the jail, next to the student's code.

* :mod:`.main`: the entry point (``python -I -m autograder.child.main REQUESTS EVENTS``): runs the
  program, then each check's ``observe`` function, and reports plain data on a pipe;
* :mod:`.observe`: the helpers observers use to turn student objects into plain data, bound
  before student code runs, and the restore of what a submission patched;
* :mod:`.encode`: the one encoder of every event the child sends (numpy values, tensors,
  nan/inf, any other object by type and repr), bound before student code runs;
* :mod:`.errors`: an exception as plain data (what the grader's feedback puts into words);
* :mod:`.jail`: the fallback jail (``unshare``), which locks this process in before it execs
  :mod:`.main` where bubblewrap does not work.

Nothing here decides a score: the grading parent (``autograder/grading/``) judges. This package's
``__init__`` imports nothing, so the jail starts without torch.
"""
