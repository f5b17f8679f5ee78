"""Probes shared by the assignments: each observes one kind of behaviour beside student code.

* :mod:`~autograder.probes.device`: run a function on PyTorch's ``meta`` device and name the
  tensor that stayed on the CPU (catches device bugs on graders without a GPU).
* :mod:`~autograder.probes.standins`: call a function with the grader's own versions of the
  course functions it uses, so one mistake costs one function's points.
"""
